"""However ``lrviz run`` ends, it leaves no process behind, no staging folder, and the
previous report intact.

Each case starts ``lrviz run`` (its own session, a previous report in its folder), waits
for a moment of the run, sends a signal and checks what is left:

* moments: ``training`` (``--exact --jobs 2``: once both joblib workers are up),
  ``drawing`` (once the figure worker's helper exists: both draw), ``swap`` (the final
  swap, held after the new ``figures/`` went in by a test launcher);
* signals: SIGINT and SIGHUP to the whole process group, as a terminal sends Ctrl-C and
  its hang-up; SIGTERM and SIGKILL to the main process alone, as ``kill PID`` does;
* and, instead of a signal, an error (writing the page fails).

Then: the exit code (128 + N, or killed), one line on stderr, nothing on stdout, no
process whose environment carries the case's mark (which finds every process the run
started, wherever it was reparented), the pipes closed (``communicate`` returns), no
``.lrviz-*`` folder, and the previous report byte for byte. SIGKILL cannot be cleaned up
after: its staging folder is removed by the next report written there
(:func:`lrviz.report.remove_dead_stages`), which also undoes a swap cut short.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from processes import processes_marked, wait_for

from lrviz.cli import _Command
from lrviz.report import remove_dead_stages, write_report
from lrviz.trace import Trace

GOLDEN = Path(__file__).parent / "golden" / "run-default"

LAUNCH = """
import os, signal, sys, time, types
from pathlib import Path
import lrviz.report
# As a job in a terminal starts, whatever the test runner's own dispositions (a runner
# started in the background or under nohup ignores these, and lrviz would keep them so).
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
marker = Path(sys.argv.pop(1))
real_replace = os.replace

def replace(src, dst):  # hold the swap once the new figures/ is in, the rest not yet
    real_replace(src, dst)
    if Path(dst).name == "figures" and not marker.exists():
        marker.write_text("swapping")
        time.sleep(120)

def render_html(*args, **kwargs):  # the last step before the swap fails
    raise OSError("disk full")

if {hook!r} == "hold-swap":
    lrviz.report.os = types.SimpleNamespace(**{{**vars(os), "replace": replace}})
if {hook!r} == "fail-render":
    lrviz.report.render_html = render_html
sys.argv[0] = "lrviz"
from lrviz.cli import entry
entry()
"""

ARGS = {
    "training": ["--exact", "--jobs", "2", "--seeds", "0-1"],
    "drawing": [],
    "swap": [],
}

CASES = [
    (signal.SIGINT, "training"),
    (signal.SIGINT, "drawing"),
    (signal.SIGTERM, "training"),
    (signal.SIGTERM, "drawing"),
    (signal.SIGTERM, "swap"),
    (signal.SIGHUP, "training"),
    (signal.SIGHUP, "drawing"),
    (signal.SIGKILL, "training"),
    (signal.SIGKILL, "drawing"),
    (signal.SIGKILL, "swap"),
]

TO_GROUP = {signal.SIGINT, signal.SIGHUP}


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report already in the folder, as from an earlier run."""
    out = tmp_path_factory.mktemp("previous")
    write_report([Trace.load(path) for path in sorted(GOLDEN.glob("*.json"))][:2], out)
    return out


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("signum", "moment"), CASES, ids=[f"{s.name}-{m}" for s, m in CASES])
def test_a_signal_leaves_no_process_no_stage_and_the_previous_report(
    signum: signal.Signals, moment: str, previous: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    marker = tmp_path / "swapping"
    mark = f"LRVIZ_TEST_{uuid.uuid4().hex}"
    code = LAUNCH.format(hook="hold-swap" if moment == "swap" else None)
    command = [sys.executable, "-c", code, str(marker), "run", "--epochs", "5", "-q"]
    with subprocess.Popen(
        [*command, *ARGS[moment], "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, mark: "1"},
        start_new_session=True,  # its own process group, as a job in a terminal
    ) as lrviz:
        try:
            reached = {
                "training": lambda: len(loky_workers_ignoring_ctrl_c(mark)) == 2,
                "drawing": lambda: bool(grandchildren(lrviz.pid)),
                "swap": marker.exists,
            }[moment]
            assert wait_for(lambda: reached() or lrviz.poll() is not None, 120)
            assert lrviz.poll() is None, f"the run ended before the {moment}"
            if signum in TO_GROUP:
                os.killpg(lrviz.pid, signum)
            else:
                os.kill(lrviz.pid, signum)
            # Times out if any process still holds lrviz's stdout or stderr.
            stdout, stderr = lrviz.communicate(timeout=90)
        finally:
            if lrviz.poll() is None:
                lrviz.kill()
    assert wait_for(lambda: not processes_marked(mark)), processes_marked(mark)
    assert stdout == ""
    if signum == signal.SIGKILL:
        assert lrviz.returncode == -signal.SIGKILL
        assert report(out) == report(previous) or moment == "swap"
        remove_dead_stages(out)  # what the next report into `out` does first
    else:
        assert (lrviz.returncode, stderr) == (128 + signum, f"Aborted ({signum.name}).\n")
    assert sorted(p.name for p in out.iterdir()) == ["figures", "index.html", "traces"]
    assert report(out) == report(previous)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_an_error_leaves_no_process_no_stage_and_the_previous_report(
    previous: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    mark = f"LRVIZ_TEST_{uuid.uuid4().hex}"
    code = LAUNCH.format(hook="fail-render")
    command = [sys.executable, "-c", code, str(tmp_path / "unused"), "run", "--epochs", "5"]
    done = subprocess.run(
        [*command, "-q", "-o", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, mark: "1"},
        timeout=120,  # times out if any process still holds lrviz's stdout or stderr
    )
    assert (done.returncode, done.stderr) == (
        1,
        f"Error: cannot write the report to {out}: disk full\n",
    )
    assert wait_for(lambda: not processes_marked(mark)), processes_marked(mark)
    assert sorted(p.name for p in out.iterdir()) == ["figures", "index.html", "traces"]
    assert report(out) == report(previous)


def report(folder: Path) -> dict[str, bytes]:
    """The report's files (staging folders left aside), by path."""
    files = (p for p in folder.rglob("*") if p.is_file())
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in files
        if not p.relative_to(folder).parts[0].startswith(".lrviz-")
    }


def loky_workers_ignoring_ctrl_c(mark: str) -> list[int]:
    """joblib's workers of the marked run that are set up: they ignore Ctrl-C."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or mark.encode() not in (proc / "environ").read_bytes():
                continue
            if b"popen_loky_posix" not in (proc / "cmdline").read_bytes():
                continue
            status = (proc / "status").read_text()
        except OSError:
            continue
        ignored = next(line for line in status.splitlines() if line.startswith("SigIgn:"))
        if int(ignored.split()[1], 16) & (1 << (signal.SIGINT - 1)):
            found.append(int(proc.name))
    return found


def children(pid: int) -> list[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return [int(c) for task in tasks for c in (task / "children").read_text().split()]
    except OSError:
        return []


def grandchildren(pid: int) -> list[int]:
    return [g for c in children(pid) for g in children(c)]


def probe_command(body: Callable[[], None]) -> click.Command:
    """A command of lrviz's group class, running ``body``."""
    return click.command(cls=_Command)(body)


@pytest.fixture
def default_dispositions() -> Iterator[None]:
    """Stop signals handled as in a terminal's foreground job for the test, whatever the
    runner's own (one started in the background or under nohup ignores SIGINT, SIGHUP)."""
    defaults = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.SIG_DFL,
        signal.SIGHUP: signal.SIG_DFL,
    }
    previous = {s: signal.signal(s, handler) for s, handler in defaults.items()}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@pytest.mark.usefixtures("default_dispositions")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_during_a_command_is_one_line_and_128_plus_n(
    signum: signal.Signals,
) -> None:
    cleaned: list[str] = []

    def body() -> None:
        try:
            os.kill(os.getpid(), signum)
            time.sleep(10)  # the handler raises before this ends
        finally:
            cleaned.append("clean-up ran")
            # A second signal during the clean-up is ignored, not a second interrupt.
            os.kill(os.getpid(), signal.SIGTERM)

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    result = CliRunner().invoke(probe_command(body))
    assert (result.exit_code, result.stderr) == (128 + signum, f"Aborted ({signum.name}).\n")
    assert cleaned == ["clean-up ran"]
    assert {s: signal.getsignal(s) for s in before} == before  # put back


@pytest.mark.usefixtures("default_dispositions")
def test_signals_ignored_at_start_stay_ignored() -> None:
    """``nohup lrviz run`` keeps ignoring the hang-up."""
    seen = {}

    def body() -> None:
        seen.update({s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)})

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        assert CliRunner().invoke(probe_command(body)).exit_code == 0
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert seen[signal.SIGHUP] == signal.SIG_IGN
    assert callable(seen[signal.SIGTERM])
