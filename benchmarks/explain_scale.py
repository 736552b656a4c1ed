"""What explaining a million-step trace costs (issue 19: at most 3 s for two groups).

Run from the repository root::

    .venv/bin/python benchmarks/explain_scale.py                    # 1,000,000 steps
    .venv/bin/python benchmarks/explain_scale.py --steps 100000 --step-by-step

A OneCycleLR over two param groups is recorded by stepping torch's scheduler (not
timed), then ``lrviz.explain`` is timed on it (wall time, best of ``--rounds``): the
bulk path, and with ``--step-by-step`` the path that asks the rule at every step.
"""

from __future__ import annotations

import argparse
import time

import torch

import lrviz
from lrviz import explanation


def record(steps: int) -> lrviz.Trace:
    params = [torch.zeros(1, requires_grad=True) for _ in range(2)]
    optimizer = torch.optim.SGD(
        [{"params": [p], "lr": lr} for p, lr in zip(params, (0.1, 0.01), strict=True)],
        lr=0.1,
        momentum=0.9,
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, [0.1, 0.01], total_steps=steps)
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for k in range(steps):
        optimizer.step()
        scheduler.step()
        if (k + 1) % 1000 == 0:
            rec.log()
    return rec.to_trace(explained=False)


def best_time(trace: lrviz.Trace, rounds: int) -> tuple[float, int]:
    times, events = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        events = len(lrviz.explain(trace))
        times.append(time.perf_counter() - start)
    return min(times), events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--step-by-step", action="store_true", help="also time the slow path")
    args = parser.parse_args()
    trace = record(args.steps)
    seconds, events = best_time(trace, args.rounds)
    print(f"explain, {args.steps:,} steps x 2 groups, in bulk: {seconds:.2f} s ({events} events)")
    if args.step_by_step:
        explanation.BULK = 10**12  # type: ignore[misc]
        seconds, events = best_time(trace, 1)
        print(f"explain, step by step: {seconds:.2f} s ({events} events)")


if __name__ == "__main__":
    main()
