"""The ``lrviz`` program's exit (:func:`lrviz.cli.entry`): it skips Python's teardown
but keeps exit codes, output and every ``atexit`` hook."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lrviz.__about__ import __version__

PROGRAM = """
import atexit, sys
atexit.register(lambda: print("hook ran", file=sys.stderr))
from lrviz.cli import entry
sys.argv = ["lrviz", *sys.argv[1:]]
entry()
raise AssertionError("entry() returned")
"""


@pytest.mark.parametrize(
    ("args", "code", "out", "err"),
    [
        (["--version"], 0, f"lrviz, version {__version__}\n", ""),
        (["schedulers"], 0, "StepLR  aliases: step\n", ""),
        (["run", "--epochs", "0"], 2, "", "Error: Invalid value for '--epochs'"),
        (["explain", "missing.json"], 2, "", "Error: "),
    ],
    ids=["version", "output", "usage", "bad-input"],
)
def test_exit_code_output_and_atexit_hooks_survive_the_quick_exit(
    args: list[str], code: int, out: str, err: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == code, done.stderr
    assert done.stdout.startswith(out)  # flushed, though the pipe is no terminal
    lines = done.stderr.splitlines()
    assert lines[-1] == "hook ran"
    assert "\n".join(lines[:-1]).startswith(err)
    assert len(lines) == (2 if err else 1)  # one-line errors, no traceback
