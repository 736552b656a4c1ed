"""Trace file size per step and param group, schedule by schedule (SPEC §9: at most 20
bytes, any schedule; a million steps of two groups in at most 40 MB).

Run from the repository root::

    .venv/bin/python benchmarks/trace_size.py                  # 200,000 steps, 2 groups
    .venv/bin/python benchmarks/trace_size.py --steps 50000

Each schedule is recorded over a loop of ``--steps`` optimizer and scheduler steps (SGD
with momentum, 2 param groups; ReduceLROnPlateau is given a noisy metric that levels
off every 5,000 steps), explained (``rec.trace``), written as JSON (``Trace.to_json``)
and read back; the table gives the bytes per step and group and checks that the trace
read back is the one written.
"""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

import torch
from table import print_table
from torch.optim import lr_scheduler as sched

import lrviz

SCHEDULES = {
    "StepLR(1000, 0.5)": lambda o, n: sched.StepLR(o, 1000, 0.5),
    "LambdaLR(lambda k: 1 / (1 + k))": lambda o, n: sched.LambdaLR(o, lambda k: 1 / (1 + k)),
    "OneCycleLR (momentum cycled)": lambda o, n: sched.OneCycleLR(o, [0.1, 0.01], total_steps=n),
    "CyclicLR (momentum cycled)": lambda o, n: sched.CyclicLR(o, 0.001, 0.1, step_size_up=2000),
    "CosineAnnealingWarmRestarts(1000)": lambda o, n: sched.CosineAnnealingWarmRestarts(o, 1000),
    "ReduceLROnPlateau(patience=100)": lambda o, n: sched.ReduceLROnPlateau(o, patience=100),
}


def record(name: str, steps: int) -> Any:
    params = [torch.zeros(1, requires_grad=True) for _ in range(2)]
    optimizer = torch.optim.SGD(
        [{"params": [p], "lr": lr} for p, lr in zip(params, (0.1, 0.01), strict=True)],
        lr=0.1,
        momentum=0.9,
    )
    scheduler = SCHEDULES[name](optimizer, steps)
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    noise = random.Random(0)
    plateau = isinstance(scheduler, sched.ReduceLROnPlateau)
    for k in range(steps):
        optimizer.step()
        if plateau:
            scheduler.step(1 / (1 + k // 5000) + noise.random() / 100)
        else:
            scheduler.step()
    return rec.trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    args = parser.parse_args()
    n = args.steps
    rows = []
    for name in SCHEDULES:
        trace = record(name, n)
        text = trace.to_json()
        exact = lrviz.Trace.from_dict(json.loads(text)) == trace
        per = len(text.encode()) / (n * 2)
        rows.append(
            (
                f"{name}: bytes per step and group (file {len(text) / 1e6:.1f} MB"
                f"{'' if exact else ', NOT READ BACK EXACTLY'})",
                f"{per:.1f}",
                "<= 20",
                per <= 20 and exact,
            )
        )
    print(f"{n:,} steps, 2 param groups, torch {torch.__version__}; JSON as written")
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
