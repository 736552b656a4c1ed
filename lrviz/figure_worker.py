"""The report's figures, drawn in a second process while the first imports torch and trains.

Importing matplotlib and drawing a report's figures take as long as training a
150-run sweep, and they used to come after it. ``lrviz run`` forks this worker before
it imports torch: the worker imports matplotlib while the main process imports torch.
Once the traces arrive it forks a helper, warm and holding them too, and the two draw
half the figures each (:func:`lrviz.report.draw_figure`, the same code) while the main
process writes the trace files. Only where the figures are drawn changes, not their
bytes (tested).

The worker is a convenience, never a second source of truth: off Linux, after torch is
imported (forking a process whose thread pools are running is unsafe), or if the worker
fails in any way (an error, a crash, no word from it for ``timeout`` seconds), the main
process draws the figures itself, so an error surfaces exactly as it would without the
worker. With ``LRVIZ_DEBUG=1`` in the environment, one line on stderr says which
happened (:func:`debug`).

Lifetimes: every wait is bounded (the main process waits at most ``timeout`` seconds
between two messages of the worker, the worker as long for its helper), and every
process dies with its parent, even one killed with SIGKILL (:func:`tie_to_parent`: on
Linux the kernel sends SIGKILL to the worker when the main process ends, and to the
helper when the worker ends). Both ignore Ctrl-C, SIGTERM and SIGHUP: the main process
handles them and stops the worker, whose helper goes with it.

Why a hand-rolled fork rather than the standard library's executor: measured against a
``concurrent.futures.ProcessPoolExecutor`` on a forkserver that imports matplotlib while
the main process imports torch (``benchmarks/figure_workers.py``, on the 2-core
development machine, busy with other jobs), wall time could not tell them apart (25
alternating rounds; the pool faster in 14 for both ``lrviz run -q`` and ``lrviz run
--seeds 0-49 -q``; medians 7.2 s against the fork's 8.7 s and 27.2 s against 26.2 s).
What the load blurs less favours the fork (medians of 9 rounds): the main process
spends 0.53 s in this class's methods during ``lrviz run`` and 1.02 s in the pool's (the
pool forks its workers only once it has the traces), 0.76 s against 0.63 s during the
sweep; the other processes use 1.16 s of CPU against the pool's 1.29 s (1.31 s against
1.47 s). Killing a hung pool worker would also need the executor's private
``_processes`` before Python 3.14.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, NoReturn

from lrviz.progress import Progress
from lrviz.report import Figure, FigureSpec, build_figures, draw_figure, figure_specs
from lrviz.trace import Trace

TIMEOUT = 60.0
"""Seconds of silence after which the main process gives up on the worker (and the
worker on its helper). Drawing one figure takes well under a second."""


def debug(message: str) -> None:
    """Print ``lrviz: message`` on stderr if ``LRVIZ_DEBUG`` is set (to anything but
    ``0`` or nothing): what the figure worker did, and why the main process drew the
    figures itself when it did."""
    if os.environ.get("LRVIZ_DEBUG", "") not in ("", "0"):
        print(f"lrviz: {message}", file=sys.stderr, flush=True)


def can_fork() -> bool:
    """Whether a worker can be forked safely now: on Linux (macOS's system libraries,
    Accelerate among them, are not safe to fork), before torch is imported (its thread
    pools would be copied mid-flight)."""
    return sys.platform.startswith("linux") and "torch" not in sys.modules


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""What stops lrviz cleanly (no SIGHUP on Windows); its child processes ignore them
(:func:`tie_to_parent`)."""


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold back :data:`STOP_SIGNALS` while child processes start: the children inherit
    them held, and ignore them once set up, so that one sent to the whole job meanwhile
    (as a terminal sends Ctrl-C and its hang-up) cannot kill or interrupt a child half
    set up. This process gets it as the block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def tie_to_parent(parent: int) -> None:
    """Tie this (just started) process to its parent process ``parent``: the kernel
    kills it (SIGKILL) when the parent ends, however that ends, and the signals that
    stop lrviz (Ctrl-C, SIGTERM, SIGHUP; a terminal sends them to every process of the
    job) are left to the parent, which stops its children itself (with SIGKILL). Linux
    only; elsewhere a no-op.

    Used by the figure worker, its helper and lrviz's joblib workers
    (:func:`lrviz.training.train_each`).
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # it ended before we asked: nobody would send the signal
        os._exit(1)


def _key(traces: Sequence[Trace]) -> list[tuple[object, ...]]:
    """What identifies a report's traces, cheaply: the figures drawn for traces with
    another key are not theirs (the report's events, derived from the rates, may not be
    the ones a trace file stores: their markers would not be)."""
    return [
        (t.label, t.seed, t.name, len(t.epochs), tuple((e.at, e.group, e.kind) for e in t.events))
        for t in traces
    ]


class FigureWorker:
    """A process that draws one report's figures: :meth:`start` sends it the traces,
    :meth:`figures` collects what it drew. Use as a context manager, which stops it.

    Args:
        timeout: Seconds the main process waits for the next word from the worker (a
            figure drawn, the rest of them, an error) before it draws them itself.
    """

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self._timeout = timeout
        self._key: list[tuple[object, ...]] | None = None
        self._process: Any = None
        if not can_fork():
            debug(
                "no figure worker ("
                + ("torch is imported already" if sys.platform.startswith("linux") else "not Linux")
                + "); the figures will be drawn here"
            )
            return
        context = multiprocessing.get_context("fork")
        jobs_in, self._jobs = context.Pipe(duplex=False)
        self._results, results_out = context.Pipe(duplex=False)
        # Anything buffered now would be written twice: by us and by the child at its exit.
        sys.stdout.flush()
        sys.stderr.flush()
        process = context.Process(
            target=_serve,
            args=(jobs_in, results_out, (self._jobs, self._results), os.getpid(), timeout),
            name="lrviz-figures",
            daemon=True,
        )
        with signals_held():
            process.start()
            self._process = process  # before any Ctrl-C: close() must find it
        # Should close() never come (a caller without `with`), multiprocessing's exit hook
        # would wait for a worker that ignores SIGTERM: kill it first (a no-op once reaped).
        multiprocessing.util.Finalize(self, process.kill, exitpriority=100)
        jobs_in.close()
        results_out.close()

    def start(self, traces: Sequence[Trace]) -> None:
        """Send ``traces`` to the worker, which starts drawing their figures at once."""
        if self._process is None or self._key is not None:
            return
        try:
            self._jobs.send(list(traces))
        except Exception as exc:  # a dead worker (BrokenPipeError) or unpicklable traces
            self._fail(f"cannot send it the traces: {_describe(exc)}")
            return
        self._key = _key(traces)

    def figures(self, traces: Sequence[Trace], progress: Progress | None = None) -> list[Figure]:
        """The report's figures for ``traces``, as :func:`lrviz.report.build_figures` draws
        them: the worker's if it is drawing these traces, else drawn here."""
        self.start(traces)
        if self._process is not None and self._key != _key(traces):
            self._fail("it was sent other traces")
        if self._process is not None:
            try:
                while self._results.poll(self._timeout):
                    message = self._results.recv()
                    if isinstance(message, list):
                        here = "imported" if "matplotlib" in sys.modules else "did not import"
                        debug(
                            f"figure worker drew {len(message)} figures "
                            f"(this process {here} matplotlib)"
                        )
                        return message
                    if message[0] == "error":
                        self._fail(message[1])
                        break
                    if progress:
                        progress(*message)
                else:
                    self._fail(f"no word from it for {self._timeout:g} s")
            except (EOFError, OSError) as exc:  # it died
                self._fail(f"it ended without the figures ({_describe(exc)})")
            finally:
                self.close()
        return build_figures(traces, progress)

    def _fail(self, why: str) -> None:
        debug(f"figure worker failed ({why}); drawing the figures here")
        self.close()

    def close(self) -> None:
        """Stop the worker, drawing or not (its helper dies with it); wait a bounded time."""
        if self._process is None:
            return
        process, self._process = self._process, None
        self._jobs.close()
        self._results.close()
        process.kill()  # it ignores SIGTERM (tie_to_parent) and has nothing to clean up
        process.join(5)

    def __enter__(self) -> FigureWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _serve(
    jobs: Connection,
    results: Connection,
    parents: tuple[Connection, ...],
    parent: int,
    timeout: float,
) -> None:
    """The worker: import matplotlib, wait for traces, draw, send progress notes and the
    figures. A helper forked from it (warm, with the traces) draws the second half."""
    tie_to_parent(parent)
    for end in parents:  # so that our reads end when the main process goes away
        end.close()
    helper = 0
    try:
        from lrviz import plots

        plots.warm_up()  # matplotlib's import and fonts, while the main process imports torch
        traces = jobs.recv()  # until the traces come, or the main process ends
        specs = figure_specs(traces)
        half = (len(specs) + 1) // 2
        theirs, helper_out = multiprocessing.Pipe(duplex=False)
        me = os.getpid()
        helper = os.fork()
        if helper == 0:
            theirs.close()  # else a helper whose worker is gone blocks on a full pipe forever
            _draw_and_exit(specs[half:], helper_out, me)
        helper_out.close()
        figures = []
        for spec in specs[:half]:
            figures.append(draw_figure(spec))
            results.send(("figures", len(figures), len(specs)))
        if not theirs.poll(timeout):
            raise TimeoutError(f"no figures from the helper for {timeout:g} s")
        message = theirs.recv()
        _reap(helper)  # before the figures go: the main process stops us once it has them
        helper = 0
        if not isinstance(message, list):
            raise RuntimeError(f"the helper failed ({message[1]})")
        figures += message
        results.send(("figures", len(figures), len(specs)))
        results.send(figures)
    except BaseException as exc:  # the main process draws them itself and reports any error
        try:
            results.send(("error", _describe(exc)))
        except BaseException:
            return
    finally:
        if helper > 0:
            _reap(helper)


def _reap(helper: int) -> None:
    """End the helper, done or stuck (SIGKILL: no wait), and collect its exit status."""
    try:
        os.kill(helper, signal.SIGKILL)
        os.waitpid(helper, 0)
    except OSError:
        pass


def _draw_and_exit(specs: Sequence[FigureSpec], out: Connection, parent: int) -> NoReturn:
    """The helper: draw ``specs``, send them (or what went wrong), and end."""
    code = 1
    try:
        tie_to_parent(parent)
        try:
            out.send([draw_figure(spec) for spec in specs])
            code = 0
        except BaseException as exc:
            out.send(("error", _describe(exc)))
    finally:
        os._exit(code)
