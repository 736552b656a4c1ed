"""A TensorBoard log of a million rates imported, identified and reported: SPEC §9's
"<= 10 s and <= 1 GiB" for the three together.

Run from the repository root (writing the log takes a minute or two; it is kept in the
temp folder for the next run)::

    .venv/bin/python benchmarks/log_scale.py
    .venv/bin/python benchmarks/log_scale.py --points 100000

The log is written by torch's ``SummaryWriter``: ``add_scalar("lr", ...)`` at steps
0..N-1 of a real ``CosineAnnealingLR(T_max=N)`` from 0.1 (float32, as TensorBoard keeps
it). Each command then runs in a fresh process, as a user runs it:

* ``lrviz import LOG -o trace.json``
* ``lrviz identify LOG`` (it must name the cosine)
* ``lrviz report LOG -o DIR``

Seconds are the process's wall time, from the interpreter's start to its exit (imports
included); peak memory is the process's ``VmHWM``, read at its exit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from table import print_table

CHILD = r"""
import atexit, json, sys
out = sys.argv[1]

def peak():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent's image.
    status = open("/proc/self/status").read()
    with open(out, "w") as f:
        json.dump({"peak_mib": int(status.split("VmHWM:")[1].split()[0]) / 1024}, f)

atexit.register(peak)
from lrviz.cli import main
main(sys.argv[2:], prog_name="lrviz")
"""

TARGET_SECONDS = 10.0
TARGET_MIB = 1024.0


def write_log(folder: Path, points: int) -> None:
    """``points`` rates of a real CosineAnnealingLR, one per step, by SummaryWriter."""
    import torch
    from torch.utils.tensorboard import SummaryWriter

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=points)
    writer = SummaryWriter(str(folder))
    for step in range(points):
        writer.add_scalar("lr", optimizer.param_groups[0]["lr"], step)
        optimizer.step()
        scheduler.step()
    writer.close()


def run(args: list[str], work: Path) -> tuple[float, float, str]:
    """One ``lrviz`` command in a fresh process: wall seconds, peak MiB, its output."""
    stats = work / "peak.json"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(stats), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"lrviz {' '.join(args)} failed:\n{result.stderr}")
    peak: float = json.loads(stats.read_text())["peak_mib"]
    return seconds, peak, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / f"lrviz-bench-log-scale-{args.points}"
    if not any(folder.glob("*tfevents*")):
        print(f"writing {args.points:,} scalars with SummaryWriter to {folder} ...", flush=True)
        write_log(folder, args.points)
    work = Path(tempfile.mkdtemp())
    commands = {
        "import": ["import", str(folder), "-o", str(work / "trace.json")],
        "identify": ["identify", str(folder)],
        "report": ["report", str(folder), "-o", str(work / "report"), "-q"],
    }
    rows = []
    total, highest = 0.0, 0.0
    for name, command in commands.items():
        seconds, peak, output = run(command, work)
        if name == "identify":
            print(output.strip())
            if f"cosine:T_max={args.points}," not in output:
                raise SystemExit("lrviz identify did not name the cosine")
        total, highest = total + seconds, max(highest, peak)
        rows.append((f"lrviz {name}: seconds", f"{seconds:.2f}", "-", True))
        rows.append((f"lrviz {name}: peak MiB", f"{peak:.0f}", "-", True))
    met = total <= TARGET_SECONDS
    rows.append(("import + identify + report: seconds", f"{total:.2f}", "<= 10 s", met))
    rows.append(("largest peak: MiB", f"{highest:.0f}", "<= 1024 MiB", highest <= TARGET_MIB))
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{args.points:,} rates; load average {load}")
    print_table(rows)


if __name__ == "__main__":
    main()
