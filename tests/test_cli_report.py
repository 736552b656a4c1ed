"""`lrviz report TRACE... [-o DIR]`: the report of saved traces, written as `lrviz run`
writes one (SPEC §5, §8): exit 0, 1 for a write failure, 2 for bad input, one line each."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from shapes import GOLDEN, plateau_max, seeds_recorded, simulate
from test_cli_run import files

from lrviz.cli import main
from lrviz.trace import Trace


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Trace files of every source: run (the goldens), simulate, record (.json.gz), rates."""
    folder = tmp_path_factory.mktemp("traces")
    out = {}
    for name in ("step", "exp", "plateau"):
        out[f"run-{name}"] = folder / f"{name}.json"
        shutil.copy(GOLDEN / f"{name}-seed0.lrtrace.json", out[f"run-{name}"])
    out["simulate"] = folder / "onecycle.json"
    simulate("onecycle", epochs=4, steps_per_epoch=5).save(out["simulate"])
    out["record"] = folder / "recorded.json.gz"
    plateau_max().save(out["record"])
    out["rates"] = folder / "rates.json"
    Trace.from_rates([0.1, 0.1, 0.01], name="by hand").save(out["rates"])
    for k, trace in enumerate(seeds_recorded()):
        out[f"seed{k}"] = folder / f"seed{k}.json"
        trace.save(out[f"seed{k}"])
    return out


def report(runner: CliRunner, *args: Any) -> Any:
    return runner.invoke(main, ["report", *map(str, args)])


def test_a_report_of_traces_of_every_source(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "mix"
    keys = ("run-plateau", "simulate", "record", "rates")
    result = report(runner, *(saved[k] for k in keys), "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Report: {out / 'index.html'}\n"
    page = (out / "index.html").read_text()
    assert (
        "4 schedules: 2 recorded from a training loop, 1 trained by lrviz run, 1 simulated" in page
    )
    assert len(list((out / "traces").iterdir())) == 4
    assert page.count('class="schedule"') == 4


def test_traces_of_one_schedule_under_several_seeds_get_the_seeds_view(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    result = report(runner, saved["seed0"], saved["seed1"], saved["seed2"], "-o", tmp_path)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "index.html").read_text()
    assert "Seed by seed (3 seeds)" in page and "1 schedule recorded under 3 seeds" in page


def test_the_default_folder_is_reports(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = report(runner, saved["run-step"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "index.html").exists()


def test_the_same_files_give_the_same_report_as_write_report(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    from lrviz.report import write_report

    paths = [saved["run-step"], saved["run-exp"], saved["run-plateau"]]
    assert report(runner, *paths, "-o", tmp_path / "cli").exit_code == 0
    write_report([Trace.load(p) for p in paths], tmp_path / "api")
    assert files(tmp_path / "cli") == files(tmp_path / "api")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read trace"),
        ("{not json", "is not JSON"),
        ('{"schema": "lrviz.trace/9"}', "unsupported trace schema"),
        ('{"schema": "lrviz.trace/2", "meta": {}}', "missing key"),
    ],
    ids=["missing", "not-json", "foreign-schema", "malformed"],
)
def test_a_bad_trace_is_one_line_and_exit_2(
    runner: CliRunner,
    saved: dict[str, Path],
    tmp_path: Path,
    content: str | None,
    message: str,
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    result = report(runner, saved["run-step"], bad, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert str(bad) in result.stderr or "bad.json" in result.stderr
    assert not (tmp_path / "out").exists()


def test_gzip_traces_are_read(runner: CliRunner, saved: dict[str, Path], tmp_path: Path) -> None:
    with gzip.open(saved["record"], "rt") as f:
        assert '"schema": "lrviz.trace/2"' in f.read(1000)
    assert report(runner, saved["record"], "-o", tmp_path).exit_code == 0


def test_no_trace_is_a_usage_error(runner: CliRunner) -> None:
    result = report(runner)
    assert result.exit_code == 2 and "Missing argument 'TRACE...'" in result.stderr


def test_two_traces_of_one_label_and_seed_are_refused(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    result = report(runner, saved["run-step"], saved["run-step"], "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "two traces are labelled 'step' but are the same seed" in result.stderr


def test_a_folder_lrviz_did_not_write_is_refused_and_left_alone(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "mine.png").write_bytes(b"mine")
    result = report(runner, saved["run-step"], "-o", tmp_path)
    assert result.exit_code == 2 and "that lrviz did not write" in result.stderr
    assert files(tmp_path) == {Path("figures/mine.png"): b"mine"}


def test_an_output_path_that_is_a_file_is_refused(
    runner: CliRunner, saved: dict[str, Path]
) -> None:
    result = report(runner, saved["run-step"], "-o", saved["run-exp"])
    assert result.exit_code == 2 and "is a file; give a folder" in result.stderr


def test_a_failed_write_is_exit_1_and_keeps_the_previous_report(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert report(runner, saved["run-step"], "-o", tmp_path).exit_code == 0
    before = files(tmp_path)
    real = os.replace

    def full(src: Any, dst: Any) -> None:
        if Path(dst).name == "index.html":
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", full)
    result = report(runner, saved["run-exp"], "-o", tmp_path)
    monkeypatch.undo()
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write the report to ")
    assert result.stderr.count("\n") == 1
    assert files(tmp_path) == before
