"""The ``lrviz`` program's exit (:func:`lrviz.cli.entry`): it skips Python's teardown
but keeps exit codes, output, every ``atexit`` hook and the stop of worker processes;
a failed write to stdout is one line."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from processes import processes_marked, wait_for

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


GOLDEN = Path(__file__).parent / "golden" / "run-default" / "step-seed0.json"
FULL = Path("/dev/full")  # every write to it fails with ENOSPC


@pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["schedulers"],
        ["simulate", "step"],
        ["check", str(GOLDEN), str(GOLDEN)],
        ["explain", str(GOLDEN)],
    ],
    ids=["help", "version", "run-help", "schedulers", "simulate", "check", "explain"],
)
def test_a_failed_write_to_stdout_is_one_line_and_exit_1(args: list[str]) -> None:
    with FULL.open("w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "lrviz", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert (done.returncode, done.stderr) == (
        1,
        "Error: cannot write to standard output: No space left on device\n",
    )


@pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    ("args", "code"),
    [(["--help"], 1), (["simulate", "nope"], 2), (["run", "--epochs", "0"], 2)],
    ids=["help", "bad-input", "usage"],
)
def test_with_stderr_full_too_the_exit_code_is_kept(args: list[str], code: int) -> None:
    """Nothing can be said; no traceback either (an uncaught one would exit 1)."""
    with FULL.open("w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "lrviz", *args], stdout=full, stderr=full, timeout=60
        )
    assert done.returncode == code


@pytest.mark.slow
def test_lrviz_run_with_jobs_exits_and_leaves_no_process(tmp_path: Path) -> None:
    """`--exact --jobs 2` used to write the report and then wait forever on joblib's idle
    workers: the quick exit skipped the threading exit hook that stops them."""
    mark = f"LRVIZ_TEST_{uuid.uuid4().hex}"
    command = [sys.executable, "-m", "lrviz", "run", "--exact", "--jobs", "2", "--seeds", "0-1"]
    done = subprocess.run(
        [*command, "--epochs", "5", "-q", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, mark: "1"},
        timeout=180,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "index.html", "traces"]
    assert wait_for(lambda: not processes_marked(mark)), processes_marked(mark)


WAIT_POLICY = """
import atexit, os, sys
atexit.register(lambda: print(os.environ.get("OMP_WAIT_POLICY")))
from lrviz.cli import entry
assert "torch" not in sys.modules  # the runtime reads the policy when torch loads it
sys.argv = ["lrviz", "--version"]
entry()
"""


@pytest.mark.parametrize(("given", "seen"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_threads_wait_passively_unless_the_environment_says_otherwise(
    given: str | None, seen: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    done = subprocess.run(
        [sys.executable, "-c", WAIT_POLICY], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == seen
