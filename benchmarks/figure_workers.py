"""Which figure worker: lrviz's hand-rolled fork, or a standard executor?

Run from the repository root (a few minutes; keep the machine otherwise idle)::

    .venv/bin/python benchmarks/figure_workers.py            # 7 rounds
    .venv/bin/python benchmarks/figure_workers.py --rounds 9

Two designs draw the report's figures beside the main process:

* ``fork``: :class:`lrviz.figure_worker.FigureWorker`, as shipped: a worker forked
  before torch is imported imports matplotlib while the main process imports torch and
  trains; given the traces, it forks a warm helper and the two draw half each.
* ``pool``: :class:`PoolFigureWorker` below, the standard library's executor: a
  ``concurrent.futures.ProcessPoolExecutor`` on a ``forkserver`` context. The fork
  server is started at once and imports matplotlib (``set_forkserver_preload``) while
  the main process imports torch and trains; given the traces, the pool forks two warm
  workers from it, and each draws half the figures. Its workers are tied to the fork
  server, which ends with the main process.

Each round runs ``lrviz run -q -o X`` and ``lrviz run --seeds 0-49 -q -o X`` under both
designs, each a fresh process, in an order that rotates from round to round. It prints
the medians of three measures: wall time; the time the main process spends in the
worker's methods (starting it, handing it the traces, waiting for the figures), the
design's share of the critical path; and the CPU time of every process but the main
one (this process is a child subreaper, so the fork server, orphaned when lrviz ends,
is reaped here and counts), the design's own work, which unlike wall time and the
main process's CPU (torch's threads spin-wait on a busy machine) a busy machine barely
inflates. Then every value. Both designs go
through the same launcher (``LAUNCH``), which imports the same modules, checks that the
worker drew the figures, and differs only in the class it installs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path

from lrviz.figure_worker import TIMEOUT, _key, debug, tie_to_parent
from lrviz.progress import Progress
from lrviz.report import Figure, build_figures, draw_figure, figure_specs
from lrviz.trace import Trace

HERE = Path(__file__).resolve().parent

PRELOAD = [
    "lrviz.report",
    "lrviz.plots",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg",
]
"""What the fork server imports before it forks any worker: matplotlib and lrviz's
drawing code (the rest of a warm-up, the first figure's fonts, is ~0.04 s)."""


class PoolFigureWorker:
    """:class:`lrviz.figure_worker.FigureWorker`'s interface over a forkserver
    ``ProcessPoolExecutor`` of two workers."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        from multiprocessing import forkserver

        self._timeout = timeout
        self._key: list[tuple[object, ...]] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[list[Figure]]] = []
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        forkserver.ensure_running()  # starts it now: it imports matplotlib meanwhile

    def start(self, traces: Sequence[Trace]) -> None:
        if self._key is not None:
            return
        self._key = _key(traces)
        self._pool = ProcessPoolExecutor(2, mp_context=self._context, initializer=_tie)
        shares = list(traces)
        self._futures = [self._pool.submit(_draw_share, shares, k, 2) for k in range(2)]

    def figures(self, traces: Sequence[Trace], progress: Progress | None = None) -> list[Figure]:
        self.start(traces)
        if self._pool is not None and self._key == _key(traces):
            try:
                done, _ = wait(self._futures, timeout=self._timeout)
                if len(done) == len(self._futures):
                    figures = [f for future in self._futures for f in future.result()]
                    if progress:
                        progress("figures", len(figures), len(figures))
                    debug(f"figure pool drew {len(figures)} figures")
                    return figures
                debug(f"figure pool failed (no figures for {self._timeout:g} s)")
            except Exception as exc:
                debug(f"figure pool failed ({type(exc).__name__}: {exc})")
            finally:
                self.close()
        return build_figures(traces, progress)

    def close(self) -> None:
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        processes = list((getattr(pool, "_processes", None) or {}).values())  # none public
        pool.shutdown(wait=False, cancel_futures=True)
        if any(not f.done() for f in self._futures):  # stuck or interrupted: no waiting
            for process in processes:
                process.kill()

    def __enter__(self) -> PoolFigureWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _tie() -> None:
    tie_to_parent(os.getppid())  # the fork server, which ends with the main process


def _draw_share(traces: Sequence[Trace], k: int, n: int) -> list[Figure]:
    specs = figure_specs(traces)
    size = (len(specs) + n - 1) // n
    return [draw_figure(spec) for spec in specs[k * size : (k + 1) * size]]


LAUNCH = """
import atexit, sys, time
sys.path.insert(0, {here!r})
import figure_workers, lrviz.figure_worker
if {design!r} == "pool":
    lrviz.figure_worker.FigureWorker = figure_workers.PoolFigureWorker
worker = lrviz.figure_worker.FigureWorker
spent = [0.0]

def clocked(method):
    def call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
    return call

for name in ("__init__", "start", "figures", "close"):
    setattr(worker, name, clocked(getattr(worker, name)))

def report():
    import resource
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu = own.ru_utime + own.ru_stime
    print(f"main-thread {{spent[0]:.4f}} own-cpu {{cpu:.4f}}", file=sys.stderr)

atexit.register(report)
sys.argv = ["lrviz", *sys.argv[1:]]
from lrviz.cli import entry
entry()
"""

COMMANDS = {"run": ["run", "-q"], "sweep": ["run", "--seeds", "0-49", "-q"]}
MEASURES = {
    "wall": "wall time",
    "main": "main process in the worker's methods",
    "others": "CPU time of the other processes",
}


def timed(design: str, args: Sequence[str], out: Path) -> dict[str, float]:
    """One command's :data:`MEASURES`."""
    code = LAUNCH.format(here=str(HERE), design=design)
    env = {**os.environ, "LRVIZ_DEBUG": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args, "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    wall = time.perf_counter() - start
    _reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{design} {args} failed: {done.stderr}")
    used = "figure pool drew" if design == "pool" else "figure worker drew"
    if used not in done.stderr:
        raise SystemExit(f"{design} {args} did not use its worker: {done.stderr}")
    main, _, own = done.stderr.rsplit("main-thread ", 1)[1].split()[:3]
    return {"wall": wall, "main": float(main), "others": cpu - float(own)}


def _reap_orphans(seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)
    raise SystemExit("a process of the last command outlived it by 30 s")


def main() -> None:
    import ctypes

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    pr_set_child_subreaper = 36
    ctypes.CDLL(None).prctl(pr_set_child_subreaper, ctypes.c_ulong(1), 0, 0, 0)
    designs = ["fork", "pool"]
    keys = [(d, c) for c in COMMANDS for d in designs]
    results: dict[tuple[str, str], list[dict[str, float]]] = {key: [] for key in keys}
    with tempfile.TemporaryDirectory() as work:
        for name in COMMANDS:  # warm the disk cache and the bytecode; not counted
            for design in designs:
                timed(design, COMMANDS[name], Path(work) / "warm")
        for r in range(rounds):
            order = keys[r % len(keys) :] + keys[: r % len(keys)]
            for design, name in order:
                out = Path(work) / f"{design}-{name}"
                results[design, name].append(timed(design, COMMANDS[name], out))
            print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    load = os.getloadavg()
    print(f"{rounds} rounds, {os.cpu_count()} cores, load average at the end {load[0]:.1f}")
    print("| command | measure | fork (shipped) | pool (forkserver executor) | pool / fork |")
    print("|---|---|---|---|---|")
    for name, args in COMMANDS.items():
        shown = " ".join(["lrviz", *args, "-o", "X"])
        for measure, what in MEASURES.items():
            fork = [m[measure] for m in results["fork", name]]
            pool = [m[measure] for m in results["pool", name]]
            # Also the ratio within each round: the load of the moment weighs on both.
            paired = statistics.median(p / f for p, f in zip(pool, fork, strict=True))
            a, b = statistics.median(fork), statistics.median(pool)
            print(
                f"| `{shown}` | {what} | {a:.3f} s | {b:.3f} s | "
                f"{b / a:.2f}x (per round {paired:.2f}x) |"
            )
    for (design, name), runs in results.items():
        for measure in MEASURES:
            print(design, name, measure, " ".join(f"{m[measure]:.3f}" for m in runs))


if __name__ == "__main__":
    main()
