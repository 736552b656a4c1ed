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
designs, each a fresh process, in an order that rotates from round to round; it prints
the medians of the wall times. Both designs go through the same launcher (``LAUNCH``),
which imports the same modules and differs only in the class it installs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
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
import sys
sys.path.insert(0, {here!r})
import figure_workers, lrviz.figure_worker
if {design!r} == "pool":
    lrviz.figure_worker.FigureWorker = figure_workers.PoolFigureWorker
sys.argv = ["lrviz", *sys.argv[1:]]
from lrviz.cli import entry
entry()
"""

COMMANDS = {"run": ["run", "-q"], "sweep": ["run", "--seeds", "0-49", "-q"]}


def timed(design: str, args: Sequence[str], out: Path, check: bool) -> float:
    code = LAUNCH.format(here=str(HERE), design=design)
    env = {**os.environ, "LRVIZ_DEBUG": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args, "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{design} {args} failed: {done.stderr}")
    used = "figure pool drew" if design == "pool" else "figure worker drew"
    if check and used not in done.stderr:
        raise SystemExit(f"{design} {args} did not use its worker: {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    designs = ["fork", "pool"]
    keys = [(d, c) for c in COMMANDS for d in designs]
    times: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    with tempfile.TemporaryDirectory() as work:
        for name in COMMANDS:  # warm the disk cache and the bytecode; not counted
            for design in designs:
                timed(design, COMMANDS[name], Path(work) / "warm", check=True)
        for r in range(rounds):
            order = keys[r % len(keys) :] + keys[: r % len(keys)]
            for design, name in order:
                out = Path(work) / f"{design}-{name}"
                times[design, name].append(timed(design, COMMANDS[name], out, check=False))
            print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    load = os.getloadavg()
    print(f"{rounds} rounds, {os.cpu_count()} cores, load average at the end {load[0]:.1f}")
    print("| command | fork (shipped) | pool (forkserver executor) | pool / fork |")
    print("|---|---|---|---|")
    for name, args in COMMANDS.items():
        fork = statistics.median(times["fork", name])
        pool = statistics.median(times["pool", name])
        shown = " ".join(["lrviz", *args, "-o", "X"])
        print(f"| `{shown}` | {fork:.2f} s | {pool:.2f} s | {pool / fork:.2f}x |")
    for key, values in times.items():
        print(key, " ".join(f"{v:.2f}" for v in values), file=sys.stderr)


if __name__ == "__main__":
    main()
