"""Careless and hostile use, rounds two and three: bad output targets found before any
training, outputs that would replace an input, bounded reads, sizes a machine cannot
hold, file names safe and distinct everywhere, labels drawn as text, and the Python
API's own one-line errors. Each case failed before it was fixed."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import lrviz
from lrviz.cli import main
from lrviz.files import same_file_name, slug

RUN = ["run", "--epochs", "2", "-q"]


def one_line_exit_2(result: Any, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert re.search(message, result.stderr), result.stderr


# -- output targets, checked before any training -----------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("afile/sub", r"output folder '.*afile/sub' cannot be made: '.*afile' is a file"),
        ("/proc/lrviz", r"output folder '/proc/lrviz' cannot be written"),
        ("dangling", r"output folder '.*dangling' is a symbolic link to '.*nowhere', which"),
        ("/", r"output folder '/' is the file system's root"),
        ("checkout", r"output folder '.*checkout' is the root of a git checkout"),
    ],
    ids=["under-a-file", "proc", "dangling-link", "root", "git-checkout"],
)
def test_a_report_that_could_not_be_written_fails_before_training(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, target: str, message: str
) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "checkout" / ".git").mkdir(parents=True)
    trained: list[Any] = []
    monkeypatch.setattr("lrviz.training.run", lambda *a, **k: trained.append(a))
    out = target if target.startswith("/") else str(tmp_path / target)
    one_line_exit_2(runner.invoke(main, [*RUN, "-o", out]), message)
    assert trained == []


def test_a_folder_inside_a_checkout_is_fine(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / ".git").mkdir()
    result = runner.invoke(main, [*RUN, "-s", "step", "-o", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output


# -- reads and sizes with a bound ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["check", "/dev/zero", "/dev/zero"],
            r"'/dev/zero' is not an lrviz trace: one starts with '\{'",
        ),
        (["explain", "/dev/urandom"], r"'/dev/urandom' is not an lrviz trace"),
        ([*RUN, "-c", "/dev/zero"], r"config file '/dev/zero' is larger than the 1 MiB"),
        (["simulate", "plateau", "--metrics", "/dev/zero"], r"larger than the 64 MiB"),
        (["simulate", "step", "--epochs", "99999999999"], r"99,999,999,999 recorded steps, about"),
        (["run", "--epochs", "100000000", "--seeds", "0-9"], r"3,000,000,000 recorded steps"),
    ],
    ids=["check-zero", "explain-random", "config-zero", "metrics-zero", "epochs", "sweep"],
)
def test_reads_and_sizes_are_bounded(runner: CliRunner, args: list[str], message: str) -> None:
    one_line_exit_2(runner.invoke(main, args), message)


def test_a_gzip_bomb_is_read_only_up_to_the_bound(tmp_path: Path) -> None:
    import gzip

    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"{" + b" " * (300 << 20), compresslevel=9))
    with pytest.raises(ValueError, match="larger than the 256 MiB lrviz reads of one"):
        lrviz.Trace.load(bomb)


# -- file names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("step", "step"),
        ("StepLR:step_size=30,gamma=0.1", "StepLR_step_size=30_gamma=0.1"),
        (".", "3a52ce78"),  # nothing safe left: the label's hash
        ("../x", "x-72e4d01d"),  # most of it lost: the rest, and the hash
        (".hidden", "hidden"),
        ("con", "con_"),
        ("NUL.txt", "NUL.txt_"),
    ],
)
def test_file_names_are_safe(label: str, name: str) -> None:
    assert slug(label) == name


def test_long_and_foreign_labels_keep_apart() -> None:
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert len(slug(long_a)) <= 100 and slug(long_a) != slug(long_b)
    assert slug("余弦退火") != slug("阶梯衰减")
    assert not slug("余弦退火").startswith(("-", ".", "_"))


def test_labels_that_differ_only_in_case_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    assert same_file_name("Step", "step")
    one_line_exit_2(
        runner.invoke(main, [*RUN, "-s", "Step", "-s", "step", "-o", str(tmp_path / "r")]),
        r"schedules 'Step' and 'step' would share the file name",
    )
    a = lrviz.Trace.from_rates([0.1, 0.1], name="StepLR").with_events([])
    traces = [
        lrviz.Trace(**{**vars(a), "schedule": {"name": "StepLR", "label": label, "params": {}}})
        for label in ("Fast", "fast")
    ]
    with pytest.raises(ValueError, match="give the same file name"):
        lrviz.write_report(traces, tmp_path / "report")


# -- the Python API: TypeError or ValueError naming the argument ---------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: lrviz.simulate(None), TypeError, "a schedule SPEC must be a string"),  # type: ignore[arg-type]
        (lambda: lrviz.simulate("step", lr="0.1"), TypeError, "lr must be a number or a list"),  # type: ignore[arg-type]
        (lambda: lrviz.simulate("step", epochs=2.5), TypeError, "epochs must be a whole number"),  # type: ignore[arg-type]
        (lambda: lrviz.simulate("step", steps_per_epoch=0), ValueError, "steps_per_epoch must be"),
        (lambda: lrviz.simulate("step", optimizer="lion"), ValueError, "optimizer must be one of"),
        (lambda: lrviz.run_experiment("step", epochs="5"), TypeError, "epochs must be a whole"),  # type: ignore[arg-type]
        (lambda: lrviz.run_experiment("step", lr=-1), ValueError, "lr must be a finite number"),
        (lambda: lrviz.Recorder(object(), None), TypeError, "optimizer must be a torch optimizer"),
        (lambda: lrviz.compare("a", "b"), TypeError, "actual must be an lrviz.Trace"),  # type: ignore[arg-type]
        (lambda: lrviz.simulate("LambdaLR"), ValueError, "LambdaLR takes Python functions"),
    ],
    ids=[
        "spec-none",
        "lr-string",
        "epochs-float",
        "steps-zero",
        "optimizer",
        "run-epochs",
        "run-lr",
        "recorder",
        "compare",
        "lambda",
    ],
)
def test_the_api_names_the_culprit(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message) as raised:
        call()
    assert "\n" not in str(raised.value)


def test_writer_and_reader_agree_on_an_empty_recorder(tmp_path: Path) -> None:
    import torch

    from lrviz.optim import Adam

    optimizer = Adam([], [0.1])
    trace = lrviz.Recorder(optimizer, torch.optim.lr_scheduler.StepLR(optimizer, 3)).trace
    path = tmp_path / "t.json"
    trace.save(path)
    assert lrviz.Trace.load(path) == trace


@pytest.fixture(autouse=True)
def _here(tmp_path: Path) -> Any:
    old = os.getcwd()
    os.chdir(tmp_path)
    yield
    os.chdir(old)


def test_labels_in_any_script_draw_without_a_word_on_stderr(tmp_path: Path) -> None:
    """Glyphs no font has fall back to matplotlib's last-resort font, not to a flood of
    "Glyph missing" warnings (this was 6 lines per figure, even with -q)."""
    import subprocess
    import sys

    config = tmp_path / "labels.toml"
    config.write_text(
        '[[schedule]]\nname = "step"\nlabel = "🙂 smile → λ"\n\n'
        '[[schedule]]\nname = "exp"\nlabel = "学习率 Ωμέγα"\n',
        encoding="utf-8",
    )
    lrviz_cli = Path(sys.executable).with_name("lrviz")
    done = subprocess.run(
        [
            str(lrviz_cli),
            "run",
            "-q",
            "-c",
            str(config),
            "--epochs",
            "3",
            "-o",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert len(list((tmp_path / "r" / "figures").glob("schedule-*.png"))) == 2


# -- round three: an output never replaces an input (issue 19) ---------------------------


def _report_folder(out: Path) -> list[Path]:
    """A report of three schedules in ``out``, as ``lrviz run -o out`` leaves it."""
    traces = [lrviz.simulate(name, epochs=3) for name in ("step", "exp", "cosine")]
    lrviz.write_report(traces, out)
    return sorted((out / "traces").iterdir())


@pytest.mark.parametrize(
    ("given", "out"),
    [
        ("d/traces/step-seed0.json", "d"),
        ("link.json", "d"),  # a link to a trace in the folder
        ("d/traces/step-seed0.json", "alias"),  # the folder by a link
        ("d/traces/step-seed0.json", "d/traces/.."),
        ("d/index.html", "d"),
    ],
    ids=["plain", "input-link", "folder-link", "dotdot", "index"],
)
def test_a_report_never_replaces_its_input(
    runner: CliRunner, tmp_path: Path, given: str, out: str
) -> None:
    before = _report_folder(tmp_path / "d")
    (tmp_path / "link.json").symlink_to(tmp_path / "d" / "traces" / "step-seed0.json")
    (tmp_path / "alias").symlink_to(tmp_path / "d")
    result = runner.invoke(main, ["report", given, "-o", out])
    one_line_exit_2(result, rf"^Error: -o {re.escape(out)} holds the input {re.escape(given)}; ")
    assert "choose another -o" in result.stderr
    assert sorted((tmp_path / "d" / "traces").iterdir()) == before


def test_a_report_beside_its_input_is_fine(runner: CliRunner, tmp_path: Path) -> None:
    _report_folder(tmp_path / "d")
    (tmp_path / "d" / "mine.json").write_text(lrviz.simulate("step", epochs=3).to_json())
    result = runner.invoke(main, ["report", "d/mine.json", "-o", "d"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "mine.json").exists()


def test_run_refuses_a_config_its_report_would_replace_before_training(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _report_folder(tmp_path / "d")
    config = tmp_path / "d" / "traces" / "exp.toml"
    config.write_text('[[schedule]]\nname = "step"\n')
    trained: list[Any] = []
    monkeypatch.setattr("lrviz.training.run", lambda *a, **k: trained.append(a))
    one_line_exit_2(
        runner.invoke(main, [*RUN, "-c", "d/traces/exp.toml", "-o", "d"]),
        r"-o d holds the input d/traces/exp.toml; a report replaces d/traces/",
    )
    assert trained == [] and config.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["export", "t.json", "--format", "json", "-o", "t.json"],
        ["export", "t.json", "--format", "json", "-o", "./t.json"],
        ["simulate", "plateau", "--metrics", "t.json", "-o", "t.json"],
        ["simulate", "-c", "t.json", "-o", "t.json"],
        ["plot", "t.svg", "-o", "t.svg"],
    ],
    ids=["export", "export-dot", "simulate-metrics", "simulate-config", "plot"],
)
def test_a_file_output_never_overwrites_its_input(runner: CliRunner, args: list[str]) -> None:
    given = Path(args[-1]).name
    Path(given).write_text("[1.0, 0.5]")
    one_line_exit_2(
        runner.invoke(main, args), rf"-o \S*{given} would overwrite the input \S*{given}"
    )
    assert Path(given).read_text() == "[1.0, 0.5]"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("traces/notes.txt", lambda p: p.write_text("mine")),
        ("traces/mine.json", lambda p: p.write_text('{"not": "a trace"}')),
        ("traces/runs", lambda p: p.mkdir()),
        ("figures/notes.md", lambda p: p.write_text("mine")),
    ],
    ids=["text", "other-json", "folder", "figure-folder"],
)
def test_a_report_never_deletes_what_lrviz_did_not_write(
    runner: CliRunner, tmp_path: Path, name: str, make: Any
) -> None:
    _report_folder(tmp_path / "d")
    make(tmp_path / "d" / name)
    Path("t.json").write_text(lrviz.simulate("step", epochs=3).to_json())
    one_line_exit_2(
        runner.invoke(main, ["report", "t.json", "-o", "d"]),
        rf"output folder 'd' has 'd/{name}', which lrviz did not write there; a report "
        rf"replaces {name.split('/')[0]}/ whole",
    )
    assert (tmp_path / "d" / name).exists()


# -- round three: labels are text, not TeX ---------------------------------------------


def test_labels_with_dollars_and_backslashes_are_drawn_as_typed(
    runner: CliRunner, tmp_path: Path
) -> None:
    Path("labels.toml").write_text(
        '[[schedule]]\nname = "step"\nlabel = "$\\\\undefinedmacro$"\n\n'
        '[[schedule]]\nname = "exp"\nlabel = "budget $5 to $10"\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, [*RUN, "-c", "labels.toml", "-o", "r"])
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    overview = (tmp_path / "r" / "figures" / "lr.svg").read_text()
    assert "$\\undefinedmacro$" in overview and "budget $5 to $10" in overview
    traces = sorted(str(p) for p in (tmp_path / "r" / "traces").iterdir())
    result = runner.invoke(main, ["plot", *traces, "-o", "f.svg"])
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    figure = Path("f.svg").read_text()
    assert "$\\undefinedmacro$" in figure and "budget $5 to $10" in figure


# -- round three: one rule for the labels of a report and of a figure ----------------------


@pytest.mark.parametrize("command", [["report", "-o", "r"], ["plot", "-o", "f.svg"]])
def test_plot_and_report_refuse_the_same_trace_twice_alike(
    runner: CliRunner, command: list[str]
) -> None:
    lrviz.simulate("step", epochs=3).save("t.json")
    one_line_exit_2(
        runner.invoke(main, [*command, "t.json", "t.json"]),
        r"^Error: two traces are labelled 'step' but are the same seed; give each schedule "
        r"its own label",
    )
    assert not Path("f.svg").exists() and not Path("r").exists()


def test_plot_names_the_seeds_of_one_schedule(runner: CliRunner) -> None:
    for seed in (0, 1):
        trace = lrviz.simulate("step", epochs=3)
        lrviz.Trace(**{**vars(trace), "experiment": {"seed": seed}}).save(f"s{seed}.json")
    result = runner.invoke(main, ["plot", "s0.json", "s1.json", "-o", "f.svg"])
    assert result.exit_code == 0, result.output
    assert "step (StepLR), seed 1" in Path("f.svg").read_text()


# -- round three: what a figure cannot draw is said, not warned about ----------------------

NOT_DRAWN = "rates that are infinite, NaN or beyond 1e+300 in size, of "


def _lrviz(*args: str) -> Any:
    """The lrviz program in a child process: its figure worker's stderr is the child's."""
    import subprocess
    import sys

    return subprocess.run(
        [str(Path(sys.executable).with_name("lrviz")), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )


def test_a_huge_rate_is_left_out_of_the_figures_with_a_word_and_no_warnings(
    tmp_path: Path,
) -> None:
    done = _lrviz("run", "-q", "--epochs", "2", "--lr", "1e308", "-s", "step", "-o", "r")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    page = (tmp_path / "r" / "index.html").read_text()
    assert page.count(f"Not drawn: {NOT_DRAWN}step (3 rates).") == 2  # overview, section


def test_an_infinite_rate_is_named_where_it_is_not_drawn(tmp_path: Path) -> None:
    import math

    lrviz.Trace.from_rates([0.1, math.inf, 0.05, 0.05], name="StepLR").save("inf.json")
    done = _lrviz("plot", "inf.json", "-o", "f.svg")
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == f"Warning: f.svg: not drawn: {NOT_DRAWN}StepLR (1 rate).\n"
    done = _lrviz("report", "-q", "inf.json", "-o", "r")
    assert (done.returncode, done.stderr) == (0, "")
    assert f"Not drawn: {NOT_DRAWN}StepLR (1 rate)." in (tmp_path / "r" / "index.html").read_text()


def test_a_huge_rate_over_several_seeds_is_reported_not_a_crash(tmp_path: Path) -> None:
    """The band figures too: the losses of such a run are NaN (a loss band of no finite
    point crashed matplotlib's marker spacing)."""
    done = _lrviz("run", "-q", "--epochs", "2", "--lr", "1e308", "--seeds", "0-1", "-s", "exp")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    page = (tmp_path / "reports" / "index.html").read_text()
    assert page.count(f"Not drawn: {NOT_DRAWN}exp (6 rates).") == 2


# -- round three: a damaged gzip file is named as such --------------------------------------


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        (lambda b: b[:100], r"it ends after 100 bytes, before its end mark"),
        (lambda b: b[:-6] + bytes([b[-6] ^ 0xFF]) + b[-5:], r"incorrect data check"),
        (lambda b: b[:2] + b"garbage", r"unknown compression method"),
    ],
    ids=["truncated", "checksum", "garbage"],
)
def test_a_damaged_gzip_trace_is_named_as_such(runner: CliRunner, damage: Any, detail: str) -> None:
    lrviz.simulate("step", epochs=50).save("t.json.gz")
    Path("bad.json.gz").write_bytes(damage(Path("t.json.gz").read_bytes()))
    for command in (["explain"], ["report", "-o", "r"], ["check", "t.json.gz"]):
        one_line_exit_2(
            runner.invoke(main, [*command, "bad.json.gz"]),
            r"^Error: cannot read trace 'bad.json.gz': the gzip stream is truncated or "
            rf"corrupt \(.*{detail}",
        )


def test_plot_says_which_param_groups_it_leaves_out(runner: CliRunner) -> None:
    rows = [[0.1 * (1 + g / 100) * 0.5 ** (e // 2) for g in range(100)] for e in range(4)]
    lrviz.Trace.from_rates(rows, name="StepLR").save("t.json")
    result = runner.invoke(main, ["plot", "t.json", "-o", "f.svg"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: f.svg: drawn: StepLR's first 12 of 100 lines, one per set of param groups "
        "with the same rates; its trace file has every group's.\n"
    )
