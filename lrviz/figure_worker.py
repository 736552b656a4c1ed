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
fails in any way, the main process draws the figures itself, so an error surfaces
exactly as it would without the worker. The worker ignores Ctrl-C
(the main process handles it and stops the worker) and exits when the main process
goes away, even if that one is killed; a helper left drawing ends when it is done.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any, NoReturn

from lrviz.progress import Progress
from lrviz.report import Figure, FigureSpec, build_figures, draw_figure, figure_specs
from lrviz.trace import Trace


def can_fork() -> bool:
    """Whether a worker can be forked safely now: on Linux (macOS's system libraries,
    Accelerate among them, are not safe to fork), before torch is imported (its thread
    pools would be copied mid-flight)."""
    return sys.platform.startswith("linux") and "torch" not in sys.modules


class FigureWorker:
    """A process that draws one report's figures: :meth:`start` sends it the traces,
    :meth:`figures` collects what it drew. Use as a context manager, which stops it."""

    def __init__(self) -> None:
        self._sent: Sequence[Trace] | None = None
        self._process: Any = None
        if not can_fork():
            return
        context = multiprocessing.get_context("fork")
        jobs_in, self._jobs = context.Pipe(duplex=False)
        self._results, results_out = context.Pipe(duplex=False)
        # Anything buffered now would be written twice: by us and by the child at its exit.
        sys.stdout.flush()
        sys.stderr.flush()
        self._process = context.Process(
            target=_serve,
            args=(jobs_in, results_out, (self._jobs, self._results)),
            name="lrviz-figures",
            daemon=True,
        )
        self._process.start()
        jobs_in.close()
        results_out.close()

    def start(self, traces: Sequence[Trace]) -> None:
        """Send ``traces`` to the worker, which starts drawing their figures at once."""
        if self._process is None or self._sent is not None:
            return
        try:
            self._jobs.send(list(traces))
        except Exception:  # a dead worker (BrokenPipeError) or unpicklable traces
            self.close()
            return
        self._sent = traces

    def figures(self, traces: Sequence[Trace], progress: Progress | None = None) -> list[Figure]:
        """The report's figures for ``traces``, as :func:`lrviz.report.build_figures` draws
        them: the worker's if it is drawing these very traces, else drawn here."""
        self.start(traces)
        if self._process is not None and self._sent is traces:
            try:
                while True:
                    message = self._results.recv()
                    if isinstance(message, list):
                        return message
                    if progress:
                        progress(*message)
            except (EOFError, OSError):  # the worker failed: draw them here instead
                pass
            finally:
                self.close()
        return build_figures(traces, progress)

    def close(self) -> None:
        """Stop the worker, drawing or not."""
        if self._process is None:
            return
        self._jobs.close()
        self._results.close()
        self._process.terminate()
        self._process.join()
        self._process = None

    def __enter__(self) -> FigureWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(jobs: Connection, results: Connection, parents: tuple[Connection, ...]) -> None:
    """The worker: import matplotlib, wait for traces, draw, send progress notes and the
    figures. A helper forked from it (warm, with the traces) draws the second half."""
    for end in parents:  # so that our reads end when the main process goes away
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from lrviz import plots

        plots.warm_up()  # matplotlib's import and fonts, while the main process imports torch
        traces = jobs.recv()
        specs = figure_specs(traces)
        half = (len(specs) + 1) // 2
        theirs, helper_out = multiprocessing.Pipe(duplex=False)
        helper = os.fork()
        if helper == 0:
            _draw_and_exit(specs[half:], helper_out)
        helper_out.close()
        figures = []
        for spec in specs[:half]:
            figures.append(draw_figure(spec))
            results.send(("figures", len(figures), len(specs)))
        figures += theirs.recv()
        os.waitpid(helper, 0)
        results.send(("figures", len(figures), len(specs)))
        results.send(figures)
    except BaseException:  # the main process draws them itself and reports any error
        return


def _draw_and_exit(specs: Sequence[FigureSpec], out: Connection) -> NoReturn:
    """The helper: draw ``specs``, send them, and end (the worker reaps it)."""
    code = 1
    try:
        out.send([draw_figure(spec) for spec in specs])
        code = 0
    finally:
        os._exit(code)
