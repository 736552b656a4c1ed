"""`lrviz run`: outputs, the lesson's print format, exit codes, one-line errors, safe writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lrviz.cli import main


def run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(main, ["run", *args])


def test_writes_index_figures_and_one_trace_per_schedule(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "--epochs", "12", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "index.html").is_file()
    figures = sorted(p.name for p in (tmp_path / "figures").iterdir())
    for stem in ("lr", "loss", "schedule-step", "schedule-exp", "schedule-plateau"):
        assert f"{stem}.svg" in figures and f"{stem}.png" in figures
    traces = sorted(p.name for p in (tmp_path / "traces").iterdir())
    assert traces == ["exp-seed0.json", "plateau-seed0.json", "step-seed0.json"]
    data = json.loads((tmp_path / "traces" / "step-seed0.json").read_text())
    assert data["schema"] == "lrviz.trace/2"
    assert data["schedule"]["params"] == {"step_size": 30, "gamma": 0.1}
    assert len(data["epochs"]) == 12
    assert f"Report: {tmp_path / 'index.html'}" in result.stdout


def test_print_every_groups_each_schedules_lines_under_a_header(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = run(
        runner,
        "--epochs",
        "6",
        "--print-every",
        "3",
        "-s",
        "step:step_size=2",
        "-s",
        "exp",
        "-o",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        "step:step_size=2: StepLR, seed 0",
        "Epoch [3/6], LR: 0.010000",
        "Epoch [6/6], LR: 0.000100",
        "exp: ExponentialLR, seed 0",
        "Epoch [3/6], LR: 0.085737",
        "Epoch [6/6], LR: 0.073509",
    ]


def test_quiet_prints_nothing(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "--epochs", "3", "-q", "--print-every", "1", "-o", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_empty_output_path_is_refused_not_taken_for_here(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unset variable in `-o "$OUT"` must not put a report in the current folder.
    monkeypatch.chdir(tmp_path)
    result = run(runner, "-o", "")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Invalid value for '-o' / '--out': empty path (see 'lrviz run --help')\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["-s", "nope"], r"unknown schedule 'nope'; choose one of: StepLR \(step\)"),
        (
            ["-s", "step:gama=0.5"],
            r"unknown parameter 'gama' for StepLR; allowed: step_size, gamma",
        ),
        (
            ["-s", "step:step_size"],
            r"bad parameter 'step_size' in 'step:step_size'; write key=value",
        ),
        (
            ["-s", "plateau:mode=sideways"],
            r"ReduceLROnPlateau mode must be one of 'min', 'max', got 'sideways'",
        ),
        (["-s", "plateau:factor=2"], r"Factor should be < 1.0"),
        (["--epochs", "0"], r"--epochs"),
        (["--epochs", "ten"], r"--epochs"),
        (["--lr", "nan"], r"lr must be a finite number >= 0, got nan"),
        (["--lr", "-0.1"], r"lr must be a finite number >= 0, got -0.1"),
        (["--lr", "inf"], r"lr must be a finite number >= 0, got inf"),
        (["--dataset", "iris"], r"--dataset"),
        (["-c", ""], r"Invalid value for '-c' / '--config': empty path"),
        (["-s", "step", "-s", "exp", "-s", "step"], r"schedule 'step' is given twice; each"),
        (
            ["-s", "step:step_size=2", "-s", "step: step_size=2"],
            r"schedules 'step:step_size=2' and 'step: step_size=2' would share the file name",
        ),
        (["--bogus"], r"No such option .--bogus.*\(see .lrviz run --help.\)"),
    ],
    ids=[
        "unknown-schedule",
        "unknown-param",
        "no-equals",
        "torch-rejects-mode",
        "torch-rejects-factor",
        "zero-epochs",
        "word-epochs",
        "nan-lr",
        "negative-lr",
        "inf-lr",
        "unknown-dataset",
        "empty-config-path",
        "same-schedule-twice",
        "same-file-name",
        "unknown-option",
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(runner, *args, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "out").exists()


def test_output_path_that_is_a_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("keep me")
    result = run(runner, "--epochs", "2", "-o", str(target))
    assert result.exit_code == 2
    assert (
        result.stderr == f"Error: output path {str(target)!r} is a file; give a folder (-o DIR)\n"
    )
    assert target.read_text() == "keep me"


def files(folder: Path) -> dict[Path, bytes]:
    """Every file below ``folder`` with its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_folder_lrviz_did_not_fill_is_refused_before_training(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "mine.png").write_bytes(b"mine")
    result = run(runner, "--epochs", "2", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: output folder {str(tmp_path)!r} has an index.html, figures/ or traces/ that "
        "lrviz did not write; choose a new or empty folder\n"
    )
    assert files(tmp_path) == {Path("figures/mine.png"): b"mine"}


def test_a_run_that_fails_while_writing_keeps_the_previous_report(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(runner, "--epochs", "3", "-o", str(tmp_path)).exit_code == 0
    before = files(tmp_path)

    import lrviz.report

    def broken(*_: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(lrviz.report, "render_html", broken)
    result = run(runner, "--epochs", "4", "-s", "exp", "-o", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write the report to {tmp_path}: disk full\n"
    after = files(tmp_path)
    assert after == before


def test_a_failure_after_staging_leaves_no_half_written_report(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(runner, "--epochs", "3", "-o", str(tmp_path)).exit_code == 0
    before = files(tmp_path)
    import lrviz.report

    def interrupted(stage: Path, out: Path) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(lrviz.report, "_swap_in", interrupted)
    assert run(runner, "--epochs", "4", "-s", "exp", "-o", str(tmp_path)).exit_code == 1
    after = files(tmp_path)
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lrviz-")]


def test_version_and_help(runner: CliRunner) -> None:
    assert runner.invoke(main, ["--version"]).stdout == "lrviz, version 0.1.0\n"
    result = runner.invoke(main, ["run", "--help"])
    assert result.exit_code == 0
    assert "--print-every" in result.stdout and "--schedule" in result.stdout
