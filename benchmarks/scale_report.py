"""`lrviz report` and `lrviz plot` of a 1,000,000-step, 2-group trace (SPEC §9: <= 5 s and
<= 1 GiB each).

Run from the repository root::

    .venv/bin/python benchmarks/scale_report.py             # 3 rounds
    .venv/bin/python benchmarks/scale_report.py --rounds 5 --steps 1000000

The trace is built here from NumPy (``lrviz.simulate`` would take minutes to step
torch's OneCycleLR a million times, and explaining it half a minute more): OneCycleLR's
own formula (cosine warm-up over 30% of the steps, cosine annealing after) for two
param groups peaking at 0.1 and 0.01, 1,000 epochs of 1,000 steps, and the events its
explanation gives (phases and turning points), saved as ``lrviz simulate`` would save
it. Each command then runs as a fresh process (bytecode compiled first, as ``pip
install`` does); wall time comes from the parent, CPU time from ``wait4``, peak memory
is the larger of the biggest process's and the process tree's (``lrviz report`` forks a
figure worker), as ``benchmarks/bench.py`` measures them. Medians over the rounds, and
each as a share of its target. On a busy machine wall times grow with the load; the CPU
seconds show the work itself.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import timed  # noqa: E402  (the same measures as the other benchmarks)

TARGET_SECONDS = 5.0
TARGET_MIB = 1024.0


def build(steps: int, per_epoch: int) -> object:
    """A OneCycleLR trace of ``steps`` steps and two param groups, with its events."""
    import numpy as np

    from lrviz.__about__ import __version__
    from lrviz.trace import Epoch, Event, Steps, Trace

    k = np.arange(steps + 1, dtype=float)
    up = 0.3 * steps - 1  # torch's OneCycleLR: the peak at step pct_start * total - 1
    peaks = (0.1, 0.01)
    columns, events = [], []
    for group, peak in enumerate(peaks):
        start, end = peak / 25, peak / 25 / 1e4
        warm = start + (peak - start) * (1 - np.cos(np.pi * np.minimum(k, up) / up)) / 2
        down = end + (peak - end) * (1 + np.cos(np.pi * (k - up) / (steps - 1 - up))) / 2
        rates = np.where(k <= up, warm, down)
        columns.append(rates)
        top, low = math.floor(up), steps - 1
        r = rates.tolist()
        events += [
            Event(1, group, "increase", r[0], r[top], f"one-cycle warm-up, steps 1-{top:,}",
                  {"phase": "one-cycle warm-up", "last_step": top, "steps": top}, step=1),
            Event(top // per_epoch + 1, group, "increase", r[top], r[top + 1],
                  f"one-cycle warm-up: peak at {peak}", {"landmark": "peak"}, step=top + 1),
            Event((top + 1) // per_epoch + 1, group, "reduce", r[top + 1], r[low],
                  f"one-cycle annealing, steps {top + 2:,}-{low:,}",
                  {"phase": "one-cycle annealing", "last_step": low, "steps": low - top - 1,
                   "milestones": [0.5, 0.1, 0.01]}, step=top + 2),
            Event(steps // per_epoch, group, "reduce", r[low], r[steps],
                  f"one-cycle annealing: lowest point at {r[steps]:.3g}",
                  {"landmark": "lowest"}, step=steps),
        ]  # fmt: skip
    lr = tuple(tuple(c[:-1].tolist()) for c in columns)
    epochs = steps // per_epoch
    return Trace(
        meta={"lrviz": __version__, "torch": "2.13.0+cpu", "source": "simulate"},
        experiment=None,
        schedule={
            "name": "OneCycleLR",
            "label": "onecycle",
            "params": {
                "max_lr": list(peaks),
                "total_steps": steps,
                "pct_start": 0.3,
                "anneal_strategy": "cos",
                "div_factor": 25.0,
                "final_div_factor": 10000.0,
                "three_phase": False,
            },
        },
        initial_lr=tuple(float(c[0]) for c in columns),
        epochs=tuple(
            Epoch(e, tuple(float(c[(e - 1) * per_epoch]) for c in columns), step=e * per_epoch)
            for e in range(1, epochs + 1)
        ),
        final_lr=tuple(float(c[-1]) for c in columns),
        steps=Steps(lr=lr, epoch=tuple(float(s // per_epoch + 1) for s in range(steps))),
        events=tuple(sorted(events, key=lambda e: (e.at, e.group))),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--steps-per-epoch", type=int, default=1000)
    args = parser.parse_args()

    import lrviz

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(lrviz.__file__).parent)], check=True
    )
    lrviz_cmd = [sys.executable, "-m", "lrviz"]
    with tempfile.TemporaryDirectory(prefix="lrviz-scale-") as scratch:
        folder = Path(scratch)
        start = time.perf_counter()
        trace = build(args.steps, args.steps_per_epoch)
        path = folder / "onecycle.json"
        trace.save(path)  # type: ignore[attr-defined]
        print(
            f"trace: {args.steps:,} steps, 2 groups, {path.stat().st_size / 2**20:.1f} MiB "
            f"(built and saved in {time.perf_counter() - start:.1f} s)"
        )
        commands = {
            "lrviz report": [*lrviz_cmd, "report", "-q", str(path), "-o", "report"],
            "lrviz plot (png)": [*lrviz_cmd, "plot", str(path), "-o", "lr.png"],
            "lrviz plot (svg)": [*lrviz_cmd, "plot", str(path), "-o", "lr.svg"],
        }
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                results[name].append(timed(command, folder))
        print(f"medians of {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
        print(f"{'command':18} {'wall s':>7} {'CPU s':>6} {'peak MiB':>9}   vs target (5 s, 1 GiB)")
        for name, rows in results.items():
            wall, cpu, mib = (statistics.median(r[i] for r in rows) for i in range(3))
            print(
                f"{name:18} {wall:7.2f} {cpu:6.2f} {mib:9.0f}   "
                f"{wall / TARGET_SECONDS:.2f}x time, {mib / TARGET_MIB:.2f}x memory"
            )
        size = (folder / "report" / "index.html").stat().st_size
        print(f"index.html: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
