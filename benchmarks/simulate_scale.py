"""``lrviz simulate`` of a million steps against torch stepping the same scheduler bare
(SPEC §9: <= 1.5x the wall time, <= 1 GiB).

Run from the repository root::

    .venv/bin/python benchmarks/simulate_scale.py               # 1,000,000 steps, 3 rounds
    .venv/bin/python benchmarks/simulate_scale.py --steps 200000 --rounds 5

Each round runs, as fresh processes in an order that rotates from round to round:

* ``bare``: ``import torch``, OneCycleLR on the optimizer ``simulate`` drives (lrviz's
  Adam with no parameters: the cheapest optimizer torch's schedulers accept), stepped in a
  plain loop; the process ends with ``os._exit``, skipping Python's teardown as the
  ``lrviz`` command does, so neither gains from it;
* ``simulate``: ``lrviz simulate 'onecycle:max_lr=0.1,total_steps=N' --epochs 1
  --steps-per-epoch N -o trace.json``, as users run it: stepping, recording, explaining,
  writing the file;
* ``unexplained``: the same command with the explanation left out (``explain`` replaced
  by one that finds no events), to show what the rest costs.

Wall times and peak memory (``benchmarks/bench.py``'s ``timed``); medians and the ratios
of medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench import lrviz_command, timed
from table import print_table

BARE = """
import os, sys, torch
from lrviz.optim import Adam
n = int(sys.argv[1])
optimizer = Adam([], [0.1])
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps=n)
for _ in range(n):
    optimizer.step()
    scheduler.step()
os._exit(0)
"""

UNEXPLAINED = """
import sys
import lrviz.explanation
lrviz.explanation.explain = lambda trace: ()
from lrviz.cli import entry
sys.argv[0] = "lrviz"
entry()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = parser.parse_args()
    n = args.steps
    folder = Path(tempfile.mkdtemp(prefix="lrviz-simulate-"))
    out = folder / "trace.json"
    simulate = [
        "simulate",
        f"onecycle:max_lr=0.1,total_steps={n}",
        "--epochs",
        "1",
        "--steps-per-epoch",
        str(n),
        "-o",
        str(out),
    ]
    commands = {
        "bare": [sys.executable, "-c", BARE, str(n)],
        "simulate": [*lrviz_command(), *simulate],
        "unexplained": [sys.executable, "-c", UNEXPLAINED, *simulate],
    }
    wall: dict[str, list[float]] = {name: [] for name in commands}
    peak: dict[str, list[float]] = {name: [] for name in commands}
    load = os.getloadavg()[0]
    names = list(commands)
    for k in range(args.rounds):
        for name in names[k % 3 :] + names[: k % 3]:
            seconds, _, mib = timed(commands[name], folder)
            wall[name].append(seconds)
            peak[name].append(mib)
        size = out.stat().st_size
        print(
            f"round {k + 1}/{args.rounds}: "
            + ", ".join(f"{name} {wall[name][-1]:.1f} s" for name in names),
            file=sys.stderr,
        )
    load = max(load, os.getloadavg()[0])
    med = {name: statistics.median(values) for name, values in wall.items()}
    mem = {name: max(values) for name, values in peak.items()}
    ratio = med["simulate"] / med["bare"]
    rest = med["unexplained"] / med["bare"]
    print(
        f"lrviz simulate of {n:,} OneCycleLR steps (1 group) against torch stepping it bare; "
        f"{args.rounds} alternating rounds, medians; load average up to {load:.1f}"
    )
    print()
    print_table(
        [
            (
                "torch stepping the scheduler bare (a fresh process)",
                f"{med['bare']:.1f} s",
                "",
                True,
            ),
            ("lrviz simulate, as users run it", f"{med['simulate']:.1f} s", "", True),
            ("lrviz simulate / bare loop", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5),
            ("lrviz simulate without explaining / bare", f"{rest:.2f}x", "(<= 1.5x)", rest <= 1.5),
            (
                "peak memory, lrviz simulate",
                f"{mem['simulate']:.0f} MiB",
                "<= 1024 MiB",
                mem["simulate"] <= 1024,
            ),
            ("peak memory, without explaining", f"{mem['unexplained']:.0f} MiB", "", True),
            ("peak memory, bare loop", f"{mem['bare']:.0f} MiB", "", True),
            ("trace file", f"{size / 1e6:.1f} MB", "", True),
        ]
    )
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
