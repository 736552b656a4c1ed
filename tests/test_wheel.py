"""The built wheel carries the templates: installed in a fresh venv, it renders a report
from an unrelated folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def sh(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_renders_a_report(tmp_path: Path) -> None:
    # Built from a copy without build/: setuptools reuses build/lib, so a module deleted
    # from lrviz/ but left there by an earlier build would be shipped (and tested) again.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info"))
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", source)
    (wheel,) = (tmp_path / "dist").glob("lrviz-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "lrviz/templates/index.html.j2" in names and "lrviz/templates/report.css" in names
    shipped = {name for name in names if name.endswith(".py")}
    ours = {path.relative_to(ROOT).as_posix() for path in (ROOT / "lrviz").rglob("*.py")}
    assert shipped == ours | {"lrviz/templates/__init__.py"}

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    site = Path(
        sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    )
    # Dependencies (torch, matplotlib, ...) come from this environment; lrviz only from the wheel.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    sh(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = sh(python, "-c", "import lrviz.report; print(lrviz.report.__file__)", cwd=elsewhere)
    assert where.startswith(str(site))
    sh(
        fresh / "bin" / "lrviz",
        "run",
        "--epochs",
        "3",
        "-s",
        "step",
        "-q",
        "-o",
        "out",
        cwd=elsewhere,
    )
    page = (elsewhere / "out" / "index.html").read_text()
    assert "Learning-rate schedules, explained" in page and "<style>" in page
