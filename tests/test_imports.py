"""`import lrviz` and `lrviz --help` stay light: heavy libraries load only where needed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lrviz.cli import main

HEAVY = ("torch", "matplotlib", "sklearn", "scipy", "numpy", "jinja2")

PROBE = """
import json, sys
from lrviz.cli import main
try:
    main.main({args!r}, prog_name="lrviz", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def heavy_modules_after(*args: str) -> list[str]:
    code = PROBE.format(args=list(args), heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_import_lrviz_is_light() -> None:
    code = f"import sys, lrviz; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("command", [None, *sorted(main.commands)])
def test_help_imports_nothing_heavy(command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    assert heavy_modules_after(*args) == []
