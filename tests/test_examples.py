"""The scripts in examples/ run as the README says, each writing its report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "report"),
    [
        ("recorder_loop.py", "reports/recorded/index.html"),
        ("lightning_fit.py", "reports/lightning/index.html"),
        ("hf_trainer.py", "reports/hf/index.html"),
        ("dask_sweep.py", "reports/dask/index.html"),
    ],
)
def test_example_writes_its_report(tmp_path: Path, script: str, report: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / report).read_text().startswith("<!DOCTYPE html>")
    assert "Traceback" not in done.stderr
