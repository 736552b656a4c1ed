"""The report opens from file:// in a real headless browser and shows its figures.

Needs Debian's ``chromium`` (``.ci/run`` installs it); the test fails, rather than
skips, when it is missing, because then nothing checks what users actually see.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from matplotlib.image import imread

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


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "headless Chromium is needed: apt-get install chromium"
    profile = tmp_path / "profile"
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_report_renders_offline_with_its_figures(tmp_path: Path) -> None:
    index = write_report(run(Experiment(epochs=35)), tmp_path / "report")
    shot = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", index.as_uri())
    pixels = imread(shot)[:, :, :3]
    assert pixels.shape[:2] == (1600, 1200)
    # The first schedule's colour appears: the inline SVG figures were drawn.
    blue = np.array([int(PALETTE[0][i : i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(pixels - blue).max(axis=2) < 0.05).sum() > 200
    # Text was drawn: plenty of dark pixels, not a blank or error page.
    assert (pixels.max(axis=2) < 0.3).sum() > 5000

    dom = chromium(tmp_path, "--dump-dom", index.as_uri()).stdout
    assert "Learning-rate schedules, explained" in dom
    assert dom.count("<img") == 5
