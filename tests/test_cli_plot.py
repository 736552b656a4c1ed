"""`lrviz plot TRACE... -o FILE.svg|png|pdf`: one figure for documentation, the same bytes
for the same input, readable without colour; bad input is one line and exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread
from shapes import GOLDEN, plateau_max, simulate

from lrviz import plots
from lrviz.cli import main
from lrviz.trace import Trace

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("traces")
    out = {}
    # The README's command plots `lrviz run`'s traces/*.json: exp, plateau, step in that
    # order (tests/test_golden.py keeps lrviz run's traces equal to these goldens).
    for name in ("exp", "plateau", "step"):
        out[name] = folder / f"{name}-seed0.json"
        shutil.copy(GOLDEN / f"{name}-seed0.lrtrace.json", out[name])
    out["cosine"] = folder / "cosine.json"
    simulate("cosine", epochs=30).save(out["cosine"])
    out["steps"] = folder / "onecycle.json"
    simulate("onecycle", epochs=5, steps_per_epoch=20, lr=[0.1, 0.01]).save(out["steps"])
    out["record"] = folder / "record.json.gz"
    plateau_max().save(out["record"])
    return out


def plot(runner: CliRunner, *args: Any) -> Any:
    return runner.invoke(main, ["plot", *map(str, args)])


def run_names(saved: dict[str, Path]) -> list[Path]:
    return [saved["exp"], saved["plateau"], saved["step"]]


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_the_same_input_gives_the_same_bytes_in_every_format(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    inputs = [*run_names(saved), saved["steps"], saved["record"]]
    first, second, fresh = (tmp_path / f"{k}.{fmt}" for k in ("a", "b", "c"))
    for out in (first, second):
        result = plot(runner, *inputs, "-o", out, "--metric", "both", "--size", "7,6")
        assert result.exit_code == 0, result.output
    # And in a fresh interpreter: nothing (ids, dates, hash seeds) differs between runs.
    args = [*map(str, inputs), "-o", str(fresh), "--metric", "both", "--size", "7,6"]
    subprocess.run([sys.executable, "-m", "lrviz", "plot", *args], check=True)
    data = first.read_bytes()
    assert data == second.read_bytes() == fresh.read_bytes()
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[fmt]
    assert data.startswith(magic)
    assert b"CreationDate" not in data and b"<dc:date>" not in data


def test_size_and_dpi_set_the_pixels(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "lr.png"
    assert plot(runner, saved["cosine"], "-o", out, "--size", "5,3", "--dpi", "100").exit_code == 0
    assert imread(out).shape[:2] == (300, 500)


def test_the_readme_figure_is_what_its_command_draws(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    """docs/lr.png is `lrviz run -q -o /tmp/r && lrviz plot /tmp/r/traces/*.json -o
    docs/lr.png --size 7,3` (README). The pixels are compared, not the file's bytes: a
    PNG's compressed stream depends on the zlib Pillow was built with, the pixels only on
    matplotlib and its bundled fonts (byte-for-byte reproducibility on one machine is
    tested above)."""
    out = tmp_path / "lr.png"
    result = plot(runner, *run_names(saved), "-o", out, "--size", "7,3")
    assert result.exit_code == 0, result.output
    committed = imread(ROOT / "docs" / "lr.png")
    drawn = imread(out)
    assert committed.shape == drawn.shape == (450, 1050, 4)
    assert np.array_equal(committed, drawn), "docs/lr.png is stale: rerun the README's command"


def lines_of(fig: Any) -> list[Any]:
    return [line for ax in fig.axes for line in ax.get_lines() if line.get_gid()]


def test_every_line_reads_without_colour(saved: dict[str, Path]) -> None:
    traces = [Trace.load(saved[k]) for k in ("exp", "plateau", "step", "record", "steps")]
    fig = plots.document(traces, "lr", (7, 5))
    lines = lines_of(fig)
    assert len(lines) == 3 + 2 + 2  # the recorded and the step traces have two groups
    shapes = {(line.get_marker(), line.get_markerfacecolor() == "white") for line in lines}
    assert len(shapes) == len(lines)
    kinds = {c.get_paths()[0].vertices.tobytes() for c in fig.axes[0].collections}
    assert len(kinds) >= 2  # reduce and increase markers


def test_a_rate_of_0_gets_a_linear_stretch_not_a_gap(saved: dict[str, Path]) -> None:
    fig = plots.document([Trace.load(saved["cosine"])], "lr", (7, 3))
    ax = fig.axes[0]
    assert ax.get_yscale() == "symlog"
    assert "linear 0" in ax.get_ylabel()
    assert 0.0 in lines_of(fig)[0].get_ydata()


def test_steps_with_epochs_above(saved: dict[str, Path]) -> None:
    fig = plots.document([Trace.load(saved["steps"])], "lr", (7, 3))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step"
    (top,) = ax.child_axes
    assert top.get_xlabel() == "epoch"


def test_both_draws_rates_over_losses(saved: dict[str, Path]) -> None:
    fig = plots.document([Trace.load(saved["record"])], "both", (7, 6))
    rates, losses = fig.axes
    assert rates.get_ylabel() == "learning rate (log)"
    assert losses.get_ylabel() == "loss (log)"  # the loop recorded no loss name
    assert losses.get_title(loc="left").startswith("Loss per epoch: validation (solid)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/lr.gif"], "the file name must end in .svg, .png, .pdf"),
        (["-o", "{tmp}/lr"], "cannot tell the format of"),
        (["-o", "{tmp}/lr.png", "--size", "7"], "expected W,H in inches, e.g. 7,3; got '7'"),
        (["-o", "{tmp}/lr.png", "--size", "7,x"], "expected W,H in inches"),
        (["-o", "{tmp}/lr.png", "--size", "0.5,3"], "each side must be 2 to 40 inches"),
        (["-o", "{tmp}/lr.png", "--dpi", "0"], "'--dpi'"),
        (["-o", "{tmp}/lr.png", "--metric", "loss"], "no trace recorded a loss"),
        (["-o", "{tmp}/lr.png", "--metric", "acc"], "'--metric'"),
        (["-o", "{tmp}"], "is a folder; give a file"),
        (["{tmp}/missing.json", "-o", "{tmp}/lr.png"], "cannot read trace"),
    ],
    ids=[
        "gif",
        "no-suffix",
        "size-one-number",
        "size-not-number",
        "size-too-small",
        "dpi",
        "no-loss",
        "metric",
        "folder",
        "missing-trace",
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    result = plot(runner, saved["cosine"], *(a.format(tmp=tmp_path) for a in args))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr, result.stderr
    assert not list(tmp_path.glob("lr*"))


def test_a_legend_that_does_not_fit_is_refused(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path
) -> None:
    many = [simulate(f"step:step_size={k}", epochs=20) for k in range(1, 31)]
    paths = []
    for k, trace in enumerate(many):
        paths.append(tmp_path / f"{k}.json")
        trace.save(paths[-1])
    result = plot(runner, *paths, "-o", tmp_path / "lr.png", "--size", "7,3")
    assert result.exit_code == 2
    assert "has no room for 31 legend entries" in result.stderr
    assert "give a taller --size (e.g. 7," in result.stderr


def test_a_failed_write_is_exit_1(
    runner: CliRunner, saved: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    result = plot(runner, saved["cosine"], "-o", tmp_path / "lr.svg")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot write {tmp_path / 'lr.svg'}: [Errno 28] No space left on device\n"
    )
    assert list(tmp_path.iterdir()) == []
