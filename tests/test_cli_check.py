"""`lrviz check ACTUAL GOLDEN`: exit 0 on a match, 1 with the divergence report, 2 on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lrviz.cli import main
from lrviz.comparison import ATOL, FIELDS, RTOL
from lrviz.trace import Epoch, Trace


def trace(lrs: list[float], val_loss: list[float], name: str = "StepLR") -> Trace:
    """One group; ``lrs`` are the applied rates, then the final rate."""
    return Trace(
        meta={"lrviz": "test", "source": "run"},
        experiment=None,
        schedule={"name": name, "params": {"step_size": 2, "gamma": 0.1}},
        initial_lr=(lrs[0],),
        epochs=tuple(
            Epoch(epoch=k, lr=(lr,), val_loss=loss)
            for k, (lr, loss) in enumerate(zip(lrs[:-1], val_loss, strict=True), start=1)
        ),
        final_lr=(lrs[-1],),
    )


GOLDEN = trace([0.1, 0.1, 0.01, 0.01, 0.001], [1.0, 0.8, 0.7, 0.65])


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    path = tmp_path / "golden.json"
    GOLDEN.save(path)
    return path


def save(tmp_path: Path, t: Trace, name: str = "actual.json") -> str:
    path = tmp_path / name
    t.save(path)
    return str(path)


def test_match_exits_0(runner: CliRunner, golden: Path, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", save(tmp_path, GOLDEN), str(golden)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "traces match: 4 epochs, compared lr, val_loss with rtol=1e-06, atol=0\n"
    )
    assert result.stderr == ""


def test_mismatch_exits_1_with_the_first_divergence(
    runner: CliRunner, golden: Path, tmp_path: Path
) -> None:
    actual = trace([0.1, 0.1, 0.05, 0.05, 0.005], [1.0, 0.8, 0.75, 0.7])
    result = runner.invoke(main, ["check", save(tmp_path, actual), str(golden)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "traces differ in 2 of 4 epochs (3-4)",
        "  first divergence: epoch 3, lr of group 0: actual 0.05, golden 0.01 "
        "(relative difference 4)",
        "  also: final_lr (after the last step) of group 0: actual 0.005, golden 0.001 "
        "(relative difference 4)",
        "  (compared lr, val_loss with rtol=1e-06, atol=0)",
    ]
    assert result.stderr == ""


def test_schedule_name_mismatch_exits_1(runner: CliRunner, golden: Path, tmp_path: Path) -> None:
    actual = trace([0.1, 0.1, 0.01, 0.01, 0.001], [1.0, 0.8, 0.7, 0.65], name="MultiStepLR")
    result = runner.invoke(main, ["check", save(tmp_path, actual), str(golden)])
    assert result.exit_code == 1
    assert "first divergence: schedule name: actual 'MultiStepLR', golden 'StepLR'" in result.stdout


def test_length_mismatch_exits_1(runner: CliRunner, golden: Path, tmp_path: Path) -> None:
    actual = trace([0.1, 0.1, 0.01], [1.0, 0.8])
    result = runner.invoke(main, ["check", save(tmp_path, actual), str(golden)])
    assert result.exit_code == 1
    assert "number of epochs: actual 2, golden 4 (epochs 3-4 only in golden)" in result.stdout


@pytest.mark.parametrize(
    ("options", "exit_code"),
    [
        ([], 1),
        (["--rtol", "1e-3"], 0),
        (["--rtol", "1e-4"], 1),
        (["--atol", "1e-3"], 0),
        (["--atol", "1e-5"], 1),
        (["--fields", "lr"], 0),
        (["--fields", "val_loss"], 1),
        (["--fields", "lr,val_loss", "--rtol", "1e-3"], 0),
    ],
    ids=["default", "rtol-in", "rtol-out", "atol-in", "atol-out", "lr-only", "val_loss", "both"],
)
def test_tolerance_and_fields_options(
    runner: CliRunner, golden: Path, tmp_path: Path, options: list[str], exit_code: int
) -> None:
    # Same rates; the validation loss of epoch 4 is off by 5e-4 (relative 7.7e-4).
    actual = trace([0.1, 0.1, 0.01, 0.01, 0.001], [1.0, 0.8, 0.7, 0.6505])
    result = runner.invoke(main, ["check", save(tmp_path, actual), str(golden), *options])
    assert result.exit_code == exit_code, result.output
    if exit_code:
        assert "first divergence: epoch 4, val_loss: actual 0.6505, golden 0.65" in result.stdout


def test_fields_neither_trace_records_are_named(
    runner: CliRunner, golden: Path, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["check", str(golden), str(golden), "--fields", "lr,momentum"])
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("; neither trace records momentum")


BAD_FILES = {
    "missing": None,
    "directory": "",
    "not-json": "{'schema': 'lrviz.trace/1'}",
    "foreign-schema": '{"schema": "lrviz.trace/2"}',
    "no-schema": '{"epochs": []}',
    "not-an-object": "[1, 2, 3]",
    "malformed": '{"schema": "lrviz.trace/1", "meta": {}}',
    "binary": "\udcff\udcfe",
    "final-lr-empty": GOLDEN.to_json().replace('"final_lr": [0.001]', '"final_lr": []'),
    "groups-differ": GOLDEN.to_json().replace('"initial_lr": [0.1]', '"initial_lr": [0.1, 0.1]'),
}


@pytest.mark.parametrize("which", ["actual", "golden"])
@pytest.mark.parametrize("kind", list(BAD_FILES), ids=list(BAD_FILES))
def test_unreadable_file_exits_2_with_one_line(
    runner: CliRunner, golden: Path, tmp_path: Path, kind: str, which: str
) -> None:
    bad = tmp_path / "bad.json"
    content = BAD_FILES[kind]
    if content == "":
        bad.mkdir()
    elif content is not None:
        bad.write_bytes(content.encode("utf-8", "surrogateescape"))
    args = [str(bad), str(golden)] if which == "actual" else [str(golden), str(bad)]
    result = runner.invoke(main, ["check", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "bad.json" in lines[0]
    assert "Traceback" not in result.stderr


def test_broken_golden_is_an_error_not_a_match(
    runner: CliRunner, golden: Path, tmp_path: Path
) -> None:
    """A golden without rates used to crash later, or even compare as a match."""
    golden.write_text(golden.read_text().replace('"final_lr": [0.001]', '"final_lr": []'))
    result = runner.invoke(main, ["check", save(tmp_path, GOLDEN), str(golden)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {str(golden)!r}: malformed lrviz.trace/2 trace: "
        "final_lr has 0 values but the trace has 1 param group"
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--fields", "lr,loss"], "Error: unknown field 'loss'; choose from lr, val_loss,"),
        (["--fields", ""], "Error: unknown field ''"),
        (["--fields", "momentum"], "Error: neither trace records momentum: nothing to compare"),
        (["--rtol", "-1"], "Error: rtol must be a finite number >= 0, got -1.0"),
        (["--atol", "nan"], "Error: atol must be a finite number >= 0, got nan"),
        (["--rtol", "abc"], "Error: Invalid value for '--rtol': 'abc' is not a valid float."),
        (["--bogus"], "Error: No such option '--bogus'."),
    ],
    ids=[
        "unknown-field",
        "empty-fields",
        "unrecorded-field",
        "negative-rtol",
        "nan-atol",
        "text-rtol",
        "bad-option",
    ],
)
def test_bad_options_exit_2_with_one_line(
    runner: CliRunner, golden: Path, options: list[str], message: str
) -> None:
    result = runner.invoke(main, ["check", str(golden), str(golden), *options])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)


def test_missing_argument_exits_2(runner: CliRunner, golden: Path) -> None:
    result = runner.invoke(main, ["check", str(golden)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: Missing argument 'GOLDEN'. (see 'lrviz check --help')"
    ]


def test_help_names_the_exit_codes_and_every_field(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Usage: lrviz check [OPTIONS] ACTUAL GOLDEN" in text
    assert "Exit 0 when they match; 1 when they differ" in text
    assert f"from: {', '.join(FIELDS)} (lr includes final_lr)" in text


def test_option_defaults_are_compares() -> None:
    # cli.py spells the defaults out (importing lrviz.comparison would slow `lrviz --help`).
    defaults = {p.name: p.default for p in main.commands["check"].params}
    assert (defaults["rtol"], defaults["atol"]) == (RTOL, ATOL)
