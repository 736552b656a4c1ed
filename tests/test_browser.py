"""The report opens from file:// in a real headless browser and shows its figures.

Needs Debian's ``chromium`` (``.ci/run`` installs it). Without it the tests skip, saying
so in pytest's summary; on CI (``LRVIZ_CI=1``) they fail instead, because then nothing
checks what users actually see.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from external_tools import chromium
from matplotlib.image import imread
from shapes import plateau_max

from lrviz.experiment import Experiment
from lrviz.plots import PALETTE
from lrviz.report import write_report
from lrviz.training import run

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = chromium()
    profile = tmp_path / "profile"
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def pixels_of(pixels: np.ndarray, color: str) -> int:
    """How many pixels of the screenshot have this colour."""
    return int((np.abs(pixels - rgb(color)).max(axis=2) < 0.05).sum())


def screenshot(tmp_path: Path, index: Path, height: int) -> np.ndarray:
    shot = tmp_path / "shot.png"
    browse(tmp_path, f"--screenshot={shot}", f"--window-size=1200,{height}", index.as_uri())
    pixels = imread(shot)[:, :, :3]
    assert pixels.shape[:2] == (height, 1200)
    return pixels


def test_report_renders_offline_with_its_figures(tmp_path: Path) -> None:
    chromium()  # before the training, if it is missing
    index = write_report(run(Experiment(epochs=35)), tmp_path / "report")
    pixels = screenshot(tmp_path, index, 1600)
    # The first schedule's colour appears: the inline SVG figures were drawn.
    assert pixels_of(pixels, PALETTE[0]) > 200
    # Text was drawn: plenty of dark pixels, not a blank or error page.
    assert (pixels.max(axis=2) < 0.3).sum() > 5000

    dom = browse(tmp_path, "--dump-dom", index.as_uri()).stdout
    assert "Learning-rate schedules, explained" in dom
    assert dom.count("<img") == 5


def test_both_groups_of_a_recorded_loop_are_on_screen(tmp_path: Path) -> None:
    """The issue's loop (SGD, two param groups, ReduceLROnPlateau on accuracy): each group
    has its line in the overview, in its own colour, where a reader scrolls first."""
    index = write_report([plateau_max()], tmp_path / "report")
    pixels = screenshot(tmp_path, index, 1400)
    top = pixels[:1400]
    group0, group1 = pixels_of(top, PALETTE[0]), pixels_of(top, PALETTE[1])
    assert group0 > 300 and group1 > 300, (group0, group1)
    # Both lines are drawn at full length, not a stray marker or two: each colour spans
    # most of the figure's width.
    for color in PALETTE[:2]:
        columns = np.flatnonzero((np.abs(top - rgb(color)).max(axis=2) < 0.05).any(axis=0))
        assert columns.max() - columns.min() > 600, color
