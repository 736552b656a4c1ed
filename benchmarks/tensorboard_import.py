"""Reading a TensorBoard log of a million rates: TensorBoard's ``EventAccumulator``
against lrviz's reader (``lrviz.logs.tensorboard``), and ``lrviz import`` as a whole.

Run from the repository root (writing the log takes a minute; it is kept in the temp
folder for the next run)::

    .venv/bin/python benchmarks/tensorboard_import.py
    .venv/bin/python benchmarks/tensorboard_import.py --points 100000 --rounds 3

The log is written by torch's ``SummaryWriter`` (``add_scalar("lr", ...)`` at steps
0..N-1, a cosine). Each measurement runs in a fresh process, so that its peak memory
(``VmHWM``) is its own; times are medians over the rounds, measured in the child
around the work alone (the interpreter's start is not counted):

* ``EventAccumulator``: ``Reload()`` with every scalar kept, then ``Scalars("lr")``.
* ``lrviz read_log``: the event file to traces.
* ``lrviz import``: ``read_log`` and the trace saved to a file (``lrviz import``'s work).

SPEC §9 holds a million points to <= 10 s and <= 1 GiB for import, identification and
report together; this measures the import.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
kind, path, out = sys.argv[1:4]
start = time.perf_counter()
if kind == "accumulator":
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(path, size_guidance={"scalars": 0})
    acc.Reload()
    n = len(acc.Scalars("lr"))
else:
    from lrviz.logs import read_log
    (trace,) = read_log(path)
    n = trace.step_count
    if kind == "import":
        trace.save(out)
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent's image.
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak, "points": n}))
"""

KINDS = {
    "accumulator": "EventAccumulator",
    "read": "lrviz read_log",
    "import": "lrviz import (read + save)",
}


def write_log(folder: Path, points: int) -> None:
    """``points`` rates, one per step, written by torch's SummaryWriter."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder))
    for step in range(points):
        writer.add_scalar("lr", 0.05 * (1 + math.cos(math.pi * step / points)), step)
    writer.close()


def measure(kind: str, folder: Path, out: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(folder), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{result.stderr}")
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / f"lrviz-bench-tensorboard-{args.points}"
    if not any(folder.glob("*tfevents*")):
        print(f"writing {args.points:,} scalars with SummaryWriter to {folder} ...", flush=True)
        write_log(folder, args.points)
    size = sum(p.stat().st_size for p in folder.glob("*tfevents*"))
    print(f"{args.points:,} points, event file {size / 2**20:.1f} MiB, {args.rounds} rounds")
    out = Path(tempfile.mkdtemp()) / "trace.json"
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    for _ in range(args.rounds):
        for kind in KINDS:  # interleaved, so that drifts of the machine hit each alike
            results[kind].append(measure(kind, folder, out))
    for kind, label in KINDS.items():
        seconds = statistics.median(r["seconds"] for r in results[kind])
        peak = max(r["peak_mib"] for r in results[kind])
        points = int(results[kind][0]["points"])
        print(f"{label:<28} {seconds:7.2f} s   peak {peak:7.0f} MiB   {points:,} points")
    ratio = statistics.median(r["seconds"] for r in results["accumulator"]) / statistics.median(
        r["seconds"] for r in results["read"]
    )
    print(f"EventAccumulator / lrviz read_log: {ratio:.1f}x")


if __name__ == "__main__":
    main()
