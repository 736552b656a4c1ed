"""The figure worker: the same figures as drawn in-process, bounded waits, a visible
fallback, and no stray processes.

The worker is only forked before torch is imported, so these tests drive it from fresh
interpreters that load the golden traces (no torch), and compare with figures drawn
here, in-process.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import wait_for

from lrviz.figure_worker import can_fork
from lrviz.report import Figure, build_figures
from lrviz.trace import Trace

GOLDEN = Path(__file__).parent / "golden" / "run-default"

PRELUDE = f"""
import os, pickle, signal, sys, time
from pathlib import Path
from lrviz.figure_worker import FigureWorker
from lrviz.trace import Trace
traces = [Trace.load(p) for p in sorted(Path({str(GOLDEN)!r}).glob("*.json"))]

def workers():
    tasks = Path(f"/proc/{{os.getpid()}}/task")
    return [int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()]
"""


DREW_HERE_NOT = "lrviz: figure worker drew 5 figures (this process did not import matplotlib)\n"


def traces() -> list[Trace]:
    return [Trace.load(path) for path in sorted(GOLDEN.glob("*.json"))]


def in_fresh_python(
    body: str, debug: bool = True
) -> tuple[list[Figure], list[tuple[object, ...]], bool, str]:
    """Run ``body`` after PRELUDE; it leaves ``figures`` and ``notes``. Returns them,
    whether that process imported matplotlib itself, and what it wrote on stderr (with
    ``LRVIZ_DEBUG=1`` if ``debug``)."""
    code = (
        PRELUDE
        + body
        + "\nsys.stdout.buffer.write(pickle.dumps((figures, notes, 'matplotlib' in sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if k != "LRVIZ_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        env={**env, "LRVIZ_DEBUG": "1"} if debug else env,
        timeout=120,
    )
    figures, notes, imported = pickle.loads(done.stdout)
    return figures, notes, imported, done.stderr.decode()


def drawn_here() -> tuple[list[Figure], list[tuple[object, ...]]]:
    notes: list[tuple[object, ...]] = []
    figures = build_figures(traces(), lambda *note: notes.append(note))
    return figures, notes


@pytest.mark.slow
def test_the_worker_and_its_helper_draw_the_same_figures_as_drawing_here() -> None:
    figures, notes, imported_matplotlib, stderr = in_fresh_python(
        """
notes = []
with FigureWorker() as worker:
    assert len(workers()) == 1
    worker.start(traces)
    figures = worker.figures(traces, lambda *note: notes.append(note))
    assert workers() == []  # stopped once it delivered
"""
    )
    assert not imported_matplotlib, "the figures were drawn in the main process"
    assert (
        stderr == "lrviz: figure worker drew 5 figures (this process did not import matplotlib)\n"
    )
    assert figures == drawn_here()[0]
    # The worker's half one by one, then the helper's half at once.
    assert notes == [("figures", k, 5) for k in (1, 2, 3, 5)]
    assert [f.slug for f in figures] == [
        "lr",
        "loss",
        *(f"schedule-{n}" for n in ("exp", "plateau", "step")),
    ]


@pytest.mark.slow
def test_if_the_worker_dies_the_figures_are_drawn_here() -> None:
    figures, notes, imported_matplotlib, stderr = in_fresh_python(
        """
notes = []
with FigureWorker() as worker:
    (pid,) = workers()
    os.kill(pid, signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # dead, not yet collected
    figures = worker.figures(traces, lambda *note: notes.append(note))
"""
    )
    assert imported_matplotlib
    assert (figures, notes) == drawn_here()
    assert stderr == (
        "lrviz: figure worker failed (cannot send it the traces: BrokenPipeError: "
        "[Errno 32] Broken pipe); drawing the figures here\n"
    )


@pytest.mark.slow
def test_if_the_helper_fails_the_figures_are_drawn_here() -> None:
    figures, notes, imported_matplotlib, stderr = in_fresh_python(
        """
import lrviz.figure_worker
draw = lrviz.figure_worker.draw_figure

def fail_in_helper(spec):  # the helper draws the second half, the exp and step schedules
    if spec[0] == "schedule-step":
        raise RuntimeError("helper failed")
    return draw(spec)

lrviz.figure_worker.draw_figure = fail_in_helper
notes = []
with FigureWorker() as worker:
    figures = worker.figures(traces, lambda *note: notes.append(note))
"""
    )
    assert imported_matplotlib
    expected, counted = drawn_here()
    assert figures == expected
    assert notes == [("figures", k, 5) for k in (1, 2, 3)] + counted  # the worker's, then here
    assert stderr == (
        "lrviz: figure worker failed (RuntimeError: the helper failed (RuntimeError: helper "
        "failed)); drawing the figures here\n"
    )


@pytest.mark.slow
def test_a_failure_is_silent_without_lrviz_debug() -> None:
    figures, _, imported_matplotlib, stderr = in_fresh_python(
        """
notes = []
with FigureWorker() as worker:
    worker.start(traces[:1])
    figures = worker.figures(traces)
""",
        debug=False,
    )
    assert imported_matplotlib
    assert figures == drawn_here()[0]
    assert stderr == ""


HANG_IN_HELPER = """
import shutil, tempfile
import lrviz.figure_worker
draw = lrviz.figure_worker.draw_figure
HELPER = Path(tempfile.mkdtemp()) / "helper-pid"

def hang_in_helper(spec):  # the helper draws the second half, the plateau and step schedules
    if spec[0] == "schedule-step":
        HELPER.write_text(str(os.getpid()))
        time.sleep(3600)
    return draw(spec)

lrviz.figure_worker.draw_figure = hang_in_helper
"""


@pytest.mark.slow
def test_a_hung_helper_costs_the_timeout_then_the_figures_are_drawn_here() -> None:
    figures, _, imported_matplotlib, stderr = in_fresh_python(
        HANG_IN_HELPER
        + """
notes = []
with FigureWorker(timeout=1.5) as worker:
    figures = worker.figures(traces, lambda *note: notes.append(note))
    assert workers() == []
print(HELPER.read_text(), file=sys.stderr)
shutil.rmtree(HELPER.parent)
"""
    )
    assert imported_matplotlib
    assert figures == drawn_here()[0]
    reason, helper = stderr.splitlines()
    # The worker gave up on its helper, or the main process on the worker: both bounded.
    assert reason in (
        "lrviz: figure worker failed (TimeoutError: no figures from the helper for 1.5 s); "
        "drawing the figures here",
        "lrviz: figure worker failed (no word from it for 1.5 s); drawing the figures here",
    )
    assert wait_for(lambda: not running(int(helper))), "the hung helper outlived its worker"


@pytest.mark.slow
def test_the_helper_dies_with_its_worker() -> None:
    """A helper left drawing once its worker was gone used to block forever on a pipe
    whose both ends it held, keeping lrviz's stdout and stderr open."""
    _, _, _, stderr = in_fresh_python(
        HANG_IN_HELPER
        + """
notes, figures = [], []
worker = FigureWorker()
(pid,) = workers()
worker.start(traces)
while not (HELPER.exists() and HELPER.read_text()):  # the helper is drawing (stuck, even)
    time.sleep(0.01)
os.kill(pid, signal.SIGKILL)
print(HELPER.read_text(), file=sys.stderr)
shutil.rmtree(HELPER.parent)
""",
        debug=False,
    )
    assert wait_for(lambda: not running(int(stderr))), "the helper outlived its worker"


@pytest.mark.slow
def test_the_worker_draws_for_equal_traces_that_are_other_objects() -> None:
    """The hand-off compares what the traces are, not which objects they are."""
    figures, _, imported_matplotlib, _ = in_fresh_python(
        """
notes = []
with FigureWorker() as worker:
    worker.start(traces)
    figures = worker.figures([Trace.load(p) for p in sorted(Path({golden!r}).glob("*.json"))])
""".replace("{golden!r}", repr(str(GOLDEN)))
    )
    assert not imported_matplotlib
    assert figures == drawn_here()[0]


@pytest.mark.slow
def test_figures_of_other_traces_than_those_sent_are_drawn_here() -> None:
    figures, notes, imported_matplotlib, stderr = in_fresh_python(
        """
notes = []
with FigureWorker() as worker:
    worker.start(traces[:1])
    figures = worker.figures(traces, lambda *note: notes.append(note))
"""
    )
    assert imported_matplotlib
    assert (figures, notes) == drawn_here()
    assert (
        stderr
        == "lrviz: figure worker failed (it was sent other traces); drawing the figures here\n"
    )


def test_the_worker_ignores_ctrl_c_and_ends_when_its_parent_is_killed() -> None:
    code = PRELUDE + "worker = FigureWorker()\nprint(*workers(), flush=True)\ntime.sleep(60)"
    command = [sys.executable, "-c", code]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as parent:
        try:
            assert parent.stdout is not None
            pid = int(parent.stdout.readline())
            assert wait_for(lambda: ignores_sigint(pid)), "the worker does not ignore Ctrl-C"
            os.kill(pid, signal.SIGINT)
            time.sleep(0.2)
            assert running(pid)
        finally:
            parent.kill()
    assert wait_for(lambda: not running(pid)), "the worker outlived its killed parent"


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_no_worker_off_linux(platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert can_fork()
    monkeypatch.setattr(sys, "platform", platform)
    assert not can_fork()


def test_no_worker_once_torch_is_imported() -> None:
    import torch  # noqa: F401

    assert not can_fork()


def ignores_sigint(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    ignored = int(
        next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16
    )
    return bool(ignored & (1 << (signal.SIGINT - 1)))


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait a while to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_traces_travel_to_the_worker_without_torch(tmp_path: Path) -> None:
    """The worker unpickles the traces: torch objects in them (torch.__version__ is a
    TorchVersion) would make it import torch, 2 s, before it could draw."""
    import torch

    from lrviz import Recorder
    from lrviz.experiment import Experiment
    from lrviz.simulation import simulate
    from lrviz.training import run

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    recorder = Recorder(optimizer, torch.optim.lr_scheduler.StepLR(optimizer, 2))
    recorder.log(train_loss=torch.tensor(1.0))
    traces = [*run(Experiment(epochs=2)), simulate("step", epochs=3), recorder.trace]
    (tmp_path / "traces.pickle").write_bytes(pickle.dumps(traces))
    code = f"""
import pickle, sys
traces = pickle.loads(open({str(tmp_path / "traces.pickle")!r}, "rb").read())
assert len(traces) == 5 and "torch" not in sys.modules, sorted(sys.modules)
"""
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_lrviz_run_draws_its_figures_in_the_worker_as_its_traces_give(tmp_path: Path) -> None:
    """End to end: ``lrviz run`` uses its worker (its debug line says so, and that the
    main process never imported matplotlib; this fails if anything imported torch before
    the worker could be forked), and the figures it writes are those drawn here from the
    trace files it writes."""
    command = [sys.executable, "-m", "lrviz", "run", "--epochs", "12", "-q", "-o", str(tmp_path)]
    done = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "LRVIZ_DEBUG": "1"},
        timeout=300,
    )
    assert done.stderr == DREW_HERE_NOT
    names = ["step", "exp", "plateau"]  # the run's order
    written = [Trace.load(tmp_path / "traces" / f"{name}-seed0.json") for name in names]
    figures = build_figures(written)
    assert len(figures) == 5
    for fig in figures:
        assert (tmp_path / "figures" / f"{fig.slug}.svg").read_bytes() == fig.svg, fig.slug
        assert (tmp_path / "figures" / f"{fig.slug}.png").read_bytes() == fig.png, fig.slug


def test_no_worker_says_why_in_debug_output(capsys: pytest.CaptureFixture[str]) -> None:
    import torch  # noqa: F401

    from lrviz.figure_worker import FigureWorker

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LRVIZ_DEBUG", "1")
        with FigureWorker() as worker:
            assert worker.figures(traces()[:1]) == build_figures(traces()[:1])
    assert capsys.readouterr().err == (
        "lrviz: no figure worker (torch is imported already); the figures will be drawn here\n"
    )
