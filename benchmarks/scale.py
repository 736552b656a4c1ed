"""A million steps: what recording, saving, loading and checking a step-resolution trace
cost (SPEC §9's last row). Report and plot of it: benchmarks/scale_report.py.

Run from the repository root::

    .venv/bin/python benchmarks/scale.py              # 1,000,000 steps, 2 groups
    .venv/bin/python benchmarks/scale.py --steps 200000

The schedule is OneCycleLR, the per-batch schedule, with its momentum cycling (so the
trace holds rates and momenta of both groups at every step). The Recorder's cost is the
median of alternating rounds of the same loop with and without it, per step, in CPU time
(the loop runs on one thread: on a shared machine its wall time also counts the waits for
a core, which recording does not add); the trace is then explained, written as JSON and
gzip-compressed JSON, read back, and checked against itself with ``lrviz check`` in a
fresh process, as a CI job would (wall times). It prints a table of measure, value,
SPEC §9's target and whether the value meets it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from table import print_table

import lrviz


def loop(steps: int, record: bool) -> tuple[float, lrviz.Recorder | None]:
    params = [torch.zeros(1, requires_grad=True) for _ in range(2)]
    optimizer = torch.optim.SGD(
        [{"params": [p], "lr": lr} for p, lr in zip(params, (0.1, 0.01), strict=True)],
        lr=0.1,
        momentum=0.9,
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, [0.1, 0.01], total_steps=steps)
    rec = lrviz.Recorder(optimizer, scheduler, every="step") if record else None
    start = time.process_time()
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
    return time.process_time() - start, rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (cost)")
    parser.add_argument("--round-steps", type=int, default=1_000_000)
    args = parser.parse_args()
    loop(10_000, True)  # warm up
    bare, recorded = [], []
    for _ in range(args.rounds):
        bare.append(loop(args.round_steps, False)[0])
        recorded.append(loop(args.round_steps, True)[0])
    cost = (statistics.median(recorded) - statistics.median(bare)) / args.round_steps * 1e6
    _, rec = loop(args.steps, True)
    assert rec is not None
    start = time.perf_counter()
    trace = rec.trace
    explained = time.perf_counter() - start
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in ("trace.json", "trace.json.gz"):
            path = Path(folder) / name
            start = time.perf_counter()
            trace.save(path)
            saved = time.perf_counter() - start
            start = time.perf_counter()
            again = lrviz.Trace.load(path)
            loaded = time.perf_counter() - start
            assert again.step_count == args.steps
            rows.append((name, os.path.getsize(path) / 1e6, saved, loaded))
        lrviz_cli = Path(sys.executable).with_name("lrviz")
        path = str(Path(folder) / "trace.json.gz")
        start = time.perf_counter()
        done = subprocess.run([str(lrviz_cli), "check", path, path], capture_output=True)
        checked = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
    print(
        f"{args.steps:,} steps, 2 groups, OneCycleLR with momentum; torch {torch.__version__}, "
        f"load average {os.getloadavg()[0]:.1f}; the Recorder's cost: median of "
        f"{args.rounds} alternating rounds of {args.round_steps:,} steps, CPU time "
        f"(bare loop {statistics.median(bare) / args.round_steps * 1e6:.1f} us/step)"
    )
    if args.steps != 1_000_000:
        print("(the targets are SPEC §9's for 1,000,000 steps)")
    print()
    table = [
        ("Recorder cost over the bare loop", f"{cost:.2f} us/step", "<= 2 us/step", cost <= 2),
        ("explaining it (rec.trace)", f"{explained:.1f} s", "<= 3 s", explained <= 3),
    ]
    for name, megabytes, saved, loaded in rows:
        table.append((f"{name}: size", f"{megabytes:.1f} MB", "<= 40 MB", megabytes <= 40))
        table.append((f"{name}: written in", f"{saved:.1f} s", "", True))
        table.append((f"{name}: read back (Trace.load)", f"{loaded:.2f} s", "<= 2 s", loaded <= 2))
    table.append(
        (
            "lrviz check of it against itself, a fresh process",
            f"{checked:.2f} s",
            "<= 2 s",
            checked <= 2,
        )
    )
    print_table(table)


if __name__ == "__main__":
    main()
