"""Every command that takes a trace also takes a log, and ``lrviz import`` converts one:
a TensorBoard folder written by ``SummaryWriter`` through import, export, plot, explain,
check and report."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from torch.utils.tensorboard import SummaryWriter

from lrviz.cli import main
from lrviz.logs import read_log
from lrviz.trace import Trace


def write(folder: Path, rates: list[tuple[int, float]]) -> Path:
    writer = SummaryWriter(str(folder))
    for step, rate in rates:
        writer.add_scalar("train/lr", rate, step)
    writer.close()
    return folder


STEPPED = [(s, 0.1 * 0.5 ** (s // 10)) for s in range(0, 40, 2)]


def test_import_writes_the_trace_the_log_gives(tmp_path: Path, runner: CliRunner) -> None:
    log = write(tmp_path / "runs" / "a", STEPPED)
    result = runner.invoke(main, ["import", str(log), "-o", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    assert f"a: 20 rates -> {tmp_path / 'a.json'}" in result.output
    assert [Trace.load(tmp_path / "a.json")] == read_log(log)


def test_import_never_writes_over_or_into_its_log(tmp_path: Path, runner: CliRunner) -> None:
    log = write(tmp_path / "runs" / "a", STEPPED)
    (event,) = log.iterdir()
    before = event.read_bytes()
    for out in (event, log, tmp_path / "runs"):
        result = runner.invoke(main, ["import", str(event), "-o", str(out)])
        assert result.exit_code == 2 and "holds the log" in result.output
    assert list(log.iterdir()) == [event] and event.read_bytes() == before


def test_import_of_several_runs_writes_one_trace_each(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path / "runs" / "a", STEPPED)
    write(tmp_path / "runs" / "b" / "x", STEPPED)
    args = ["import", str(tmp_path / "runs"), "-o"]
    result = runner.invoke(main, [*args, str(tmp_path / "one.json")])
    assert result.exit_code == 2 and "holds 2 runs (a, b/x); give -o a folder" in result.output
    result = runner.invoke(main, [*args, str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json", "b-x.json"]
    # A command of one trace says which runs the folder holds.
    result = runner.invoke(main, ["explain", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "holds 2 runs (a, b/x); give one run's path" in result.output


def test_table_columns_are_named_on_the_command_line(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "log.csv").write_text("it,my_rate\n1,0.1\n2,0.05\n")
    args = ["import", str(tmp_path / "log.csv"), "-o", str(tmp_path / "t.json")]
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and "no step column" in result.output
    result = runner.invoke(main, [*args, "--step", "it", "--rates", "my_rate"])
    assert result.exit_code == 0, result.output
    assert Trace.load(tmp_path / "t.json").rates() == [0.1, 0.05, 0.05]


def test_export_check_and_explain_take_a_log(tmp_path: Path, runner: CliRunner) -> None:
    log = write(tmp_path / "run", STEPPED)
    result = runner.invoke(main, ["export", str(log)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # The log's own step numbers: logged every 2 steps from 0.
    assert [line.split(",")[0] for line in lines[:4]] == ["step", "0", "2", "4"]
    runner.invoke(main, ["import", str(log), "-o", str(tmp_path / "t.json")])
    result = runner.invoke(main, ["check", str(log), str(tmp_path / "t.json")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["explain", str(log)])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output  # a log stores no events to differ from


def test_a_bad_log_is_one_line_and_exit_2(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "log.csv").write_text("step,loss\n1,2.0\n")
    result = runner.invoke(main, ["export", str(tmp_path / "log.csv")])
    assert result.exit_code == 2
    assert "log.csv': no learning-rate tag or column" in result.output


@pytest.mark.slow
def test_plot_and_report_take_a_folder_of_runs(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path / "runs" / "a", STEPPED)
    write(tmp_path / "runs" / "b", [(s, 0.1 - 0.002 * s) for s in range(40)])
    figure = tmp_path / "f.svg"
    result = runner.invoke(main, ["plot", str(tmp_path / "runs"), "-o", str(figure)])
    assert result.exit_code == 0, result.output
    assert figure.read_text().startswith("<?xml")
    out = tmp_path / "report"
    result = runner.invoke(main, ["report", str(tmp_path / "runs"), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and len(list((out / "traces").iterdir())) == 2
    page = (out / "index.html").read_text()
    assert "2 imported schedules" in page
    assert "a, b: imported from TensorBoard, rates as logged, float32." in page


def test_a_missing_tensorboard_is_one_line_naming_the_extra(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    log = write(tmp_path / "run", STEPPED)
    monkeypatch.setitem(sys.modules, "tensorboard.compat.proto", None)  # as uninstalled
    result = runner.invoke(main, ["import", str(log), "-o", str(tmp_path / "t.json")])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: TensorBoard event files need the tensorboard package: "
        "pip install 'lrviz[tensorboard]'\n"
    )
