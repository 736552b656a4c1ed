"""Reports of several trace shapes pass the W3C Nu HTML checker (vnu.jar) without an
error: valid HTML5, inline SVG swatches and data-URI figures included."""

from __future__ import annotations

import subprocess
from pathlib import Path

from external_tools import vnu
from shapes import SHAPES
from test_report_budget import many_schedules

from lrviz.report import write_report

CHECKED = (
    "run-3-schedules",
    "from-rates-1-group",
    "simulate-steps-onecycle",
    "record-2-groups-plateau-max",
    "record-user-class",
    "seeds-recorded-2-groups",
    "mix-all-sources",
    "mix-epochs-and-steps",
)


def test_reports_of_several_shapes_are_valid_html5(tmp_path: Path) -> None:
    command = vnu()
    pages = [write_report(SHAPES[shape](), tmp_path / shape) for shape in CHECKED]
    pages.append(write_report(many_schedules(30), tmp_path / "schedules-30"))
    done = subprocess.run(
        [*command, "--errors-only", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr + done.stdout


def test_the_checker_catches_an_invalid_page(tmp_path: Path) -> None:
    """So that the test above cannot pass by checking nothing."""
    command = vnu()
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><title>x</title></head><body><p><div></p>")
    done = subprocess.run([*command, "--errors-only", str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "error" in done.stderr
