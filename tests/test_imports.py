"""`import lrviz` and `lrviz --help` stay light: heavy libraries load only where needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

import lrviz
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


# Modules loaded by `body`, run with -S so that no site hook (such as the editable
# install's import finder, which loads pathlib) has loaded anything first.
LOADED_BY = """
import json, sys
sys.path[:0] = {paths!r}
before = set(sys.modules)
try:
    {body}
except SystemExit:
    pass
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def modules_loaded_by(body: str) -> set[str]:
    paths = [os.path.dirname(m.__path__[0]) for m in (lrviz, click)]
    code = LOADED_BY.format(paths=paths, body=body)
    done = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("command", [None, *sorted(main.commands)])
def test_help_loads_only_what_clicks_own_help_loads(command: str | None) -> None:
    """Beyond its own three modules, `lrviz --help` costs exactly what a bare click
    group's --help costs: not even pathlib (~7 ms of start-up on the slow machine)."""
    args = ["--help"] if command is None else [command, "--help"]
    bare = modules_loaded_by(
        "import click; click.Group('x', commands=[click.Command('y')])"
        ".main(['--help'], standalone_mode=False)"
    )
    ours = modules_loaded_by(
        f"from lrviz.cli import main; main.main({args!r}, prog_name='lrviz', standalone_mode=False)"
    )
    assert ours - bare == {"lrviz", "lrviz.__about__", "lrviz.cli"}
