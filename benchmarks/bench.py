"""lrviz against the lesson's script: every row of SPEC §9, as medians and ratios.

Run from the repository root (takes a few minutes; keep the machine otherwise idle)::

    .venv/bin/python benchmarks/bench.py                     # both modes, 5 rounds
    .venv/bin/python benchmarks/bench.py --rounds 9
    .venv/bin/python benchmarks/bench.py --mode contention   # one mode only

Each round runs the lesson's script (``benchmarks/lesson.py``), ``lrviz run`` (three
schedules and the full report) and ``lrviz run --seeds 0-49`` (150 runs and the report)
as fresh processes, in an order that rotates from round to round, so slow drifts of
the machine hit every command alike; ``lrviz --help`` runs three times a round, from a
regular install (a wheel of this checkout in a scratch venv, as users get it) and from
this checkout, next to a bare click group's ``--help`` (``BARE_CLICK``), its floor. Wall
times come from the parent; peak memory counts each command's process tree (see
``timed``). Then, in this process, the lesson's training loop runs with and without
``lrviz.Recorder``, alternating, for the recorder's overhead, and child processes time
the training alone (batched engine, exact path) for runs per second. Ratios are
medians over medians; the machine's speed cancels out of them, its load does not.

``--mode`` chooses the conditions, each with its own table (SPEC §9 holds lrviz to the
same targets in both):

* ``normal``: nothing else runs beside the commands.
* ``contention``: one competing CPU-bound process (``BUSY``, a Python busy loop) runs
  beside every measured command, the lesson's script and lrviz's alike, and beside the
  Recorder loops and the training-alone runs: started and spinning before each, killed
  after. On a 2-core machine it takes a core that torch's two threads would use.
* ``both`` (the default): both, a round of each mode in turn (which mode goes first
  alternates), so drifts of the machine hit both alike.

lrviz's bytecode is compiled first (``compileall``), as ``pip install`` does: with
``PYTHONDONTWRITEBYTECODE`` set, an editable checkout would otherwise recompile every
module at every start, which ``lrviz --help`` would pay.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
LESSON = HERE / "lesson.py"

TRAINING = """
import os, sys, time
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the lrviz command sets it
from lrviz import batched, data, training
from lrviz.experiment import Experiment
experiment = Experiment(seeds=tuple(range({seeds})))
runs, split = training.plan(experiment), data.load()
start = time.perf_counter()
if {exact}:
    training.train_each(split, runs, experiment)
else:
    plan = batched.probe_products(split, len(runs))
    batched.disagreement(split, runs, experiment, plan)
    batched.train(split, runs, experiment, plan=plan)
print(len(runs) / (time.perf_counter() - start))
"""

# What any click program pays for --help: click's import and its help formatter.
BARE_CLICK = "import click; click.Group('x', commands=[click.Command('y')]).main(['--help'])"

# The competing process of contention mode: says it has started, then spins on one core.
BUSY = "import sys; sys.stdout.write('spinning\\n'); sys.stdout.flush()\nwhile True: pass"

MODES = {"normal": False, "contention": True}
"""Each mode and whether a competing busy process runs beside every measurement."""

TARGETS = {"normal": {"run": 0.5, "sweep": 0.8}, "contention": {"run": 0.8, "sweep": 0.95}}
"""SPEC §9's ratios to the lesson's script: quiet (normal) and with a busy neighbour."""


@contextlib.contextmanager
def competing(busy: bool) -> Iterator[None]:
    """With ``busy``, one CPU-bound process (``BUSY``) runs while the block does: it is
    spinning before the block starts and killed (and reaped) when the block ends."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.PIPE)
    try:
        assert spinner.stdout is not None
        spinner.stdout.readline()  # it has started: from here on it spins
        yield
    finally:
        spinner.kill()
        spinner.wait()


def regular_install(work: Path) -> Path:
    """A scratch venv holding a wheel of this checkout and click (all ``--help`` needs):
    the start-up users of ``pip install lrviz`` get. An editable install starts slower:
    setuptools serves the flat layout's top-level ``templates/`` through an import hook
    that every Python start in that venv loads (with pathlib and importlib.util)."""
    from importlib.metadata import version

    # From a copy without build/, whose stale files setuptools would ship.
    source = work / "source"
    shutil.copytree(HERE.parent, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q", "--no-deps"]
    subprocess.run([*pip, str(source), f"click=={version('click')}"], check=True)
    return venv / "bin"


def lrviz_command() -> list[str]:
    """The installed ``lrviz`` script next to this interpreter, else ``python -m lrviz``."""
    script = Path(sys.executable).with_name("lrviz")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lrviz"]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux ``/proc``); shared
    pages are counted once per process, so forked helpers count in full."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):  # gone meanwhile
            continue
    return total


def timed(command: Sequence[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident memory (MiB) of one child process and
    its own children together. The peak is the larger of ``wait4``'s (the biggest single
    process) and the process tree's total, sampled every 20 ms (lrviz run forks a figure
    worker)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            samples.append(tree_rss(child.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    peak = max(samples)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        assert child.stderr is not None
        sys.exit(f"{' '.join(command)} failed ({child.returncode}): {child.stderr.read().decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, max(usage.ru_maxrss * 1024, peak) / 2**20  # Linux reports KiB


def recorder_overhead(rounds: int) -> tuple[float, float, float]:
    """The lesson's 100-epoch loop without and with ``Recorder.log``, alternating: the
    median seconds of each, and the median share the ``log`` calls add to a loop (timed
    around the calls themselves, so a load burst elsewhere in the loop does not count)."""
    import torch
    from torch import nn, optim
    from torch.optim import lr_scheduler

    from lrviz import Recorder, data

    split = data.load()

    def loop(record: bool) -> tuple[float, float]:
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(13, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3)
        )
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.1)
        scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=10)
        rec = Recorder(optimizer, scheduler) if record else None
        logging = 0.0
        start = time.perf_counter()
        for _ in range(100):
            model.train()
            optimizer.zero_grad()
            loss = criterion(model(split.x_train), split.y_train)
            loss.backward()
            optimizer.step()
            model.eval()
            with torch.no_grad():
                val_loss = criterion(model(split.x_valid), split.y_valid)
            scheduler.step(val_loss)
            if rec is not None:
                before = time.perf_counter()
                rec.log(train_loss=loss, val_loss=val_loss)
                logging += time.perf_counter() - before
        total = time.perf_counter() - start
        return total, logging / (total - logging)

    loop(True)  # warm up: the first torch.optim optimizer imports torch._dynamo
    plain, recorded, shares = [], [], []
    for _ in range(rounds):
        plain.append(loop(False)[0])
        seconds, share = loop(True)
        recorded.append(seconds)
        shares.append(share)
    return statistics.median(plain), statistics.median(recorded), statistics.median(shares)


def rotate(items: list[str], k: int) -> list[str]:
    return items[k % len(items) :] + items[: k % len(items)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seeds", type=int, default=50, help="seeds in the sweep (default 50)")
    parser.add_argument(
        "--mode",
        choices=[*MODES, "both"],
        default="both",
        help="normal: nothing else running; contention: one busy process beside every "
        "command; both (default): a table for each",
    )
    args = parser.parse_args()
    modes = list(MODES) if args.mode == "both" else [args.mode]
    lrviz = lrviz_command()
    import lrviz as package

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(package.__file__).parent)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if os.getloadavg()[0] > 0.5:
        print(
            f"note: load average {os.getloadavg()[0]:.1f}; the machine is busy, expect noise",
            file=sys.stderr,
        )
    work = Path(tempfile.mkdtemp(prefix="lrviz-bench-"))
    sweep_args = ["--seeds", f"0-{args.seeds - 1}"]
    commands: dict[str, Callable[[int], list[str]]] = {
        "lesson": lambda k: [sys.executable, str(LESSON)],
        "run": lambda k: [*lrviz, "run", "-q", "-o", str(work / f"run{k}")],
        "sweep": lambda k: [*lrviz, "run", *sweep_args, "-q", "-o", str(work / f"sweep{k}")],
    }
    installed = regular_install(work)
    helps: dict[str, list[str]] = {
        "help": [str(installed / "lrviz"), "--help"],
        "help here": [*lrviz, "--help"],
        "click": [str(installed / "python"), "-c", BARE_CLICK],
    }
    names = [*commands, *helps, "batched", "exact"]
    wall: dict[str, dict[str, list[float]]] = {mode: {name: [] for name in names} for mode in modes}
    memory: dict[str, dict[str, list[float]]] = {
        mode: {name: [] for name in commands} for mode in modes
    }
    recorder: dict[str, tuple[float, float, float]] = {}
    load = os.getloadavg()[0]
    try:
        for k in range(args.rounds):
            for mode in rotate(modes, k):
                busy = MODES[mode]
                for name in rotate(list(commands), k):
                    with competing(busy):
                        seconds, _, mib = timed(commands[name](k), work)
                    wall[mode][name].append(seconds)
                    memory[mode][name].append(mib)
                    shutil.rmtree(work / f"{name}{k}", ignore_errors=True)
                for _ in range(3):
                    for name, command in helps.items():
                        with competing(busy):
                            wall[mode][name].append(timed(command, work)[0])
                print(
                    f"round {k + 1}/{args.rounds}, {mode}: "
                    + ", ".join(f"{name} {wall[mode][name][-1]:.2f} s" for name in commands),
                    file=sys.stderr,
                )
        for k in range(args.rounds):
            for mode in rotate(modes, k):
                for name, exact, seeds in (("batched", False, args.seeds), ("exact", True, 5)):
                    code = TRAINING.format(seeds=seeds, exact=exact)
                    with competing(MODES[mode]):
                        out = subprocess.run(
                            [sys.executable, "-c", code],
                            cwd=work,
                            check=True,
                            capture_output=True,
                            text=True,
                        ).stdout
                    wall[mode][name].append(float(out))
        for mode in modes:
            with competing(MODES[mode]):
                recorder[mode] = recorder_overhead(max(15, 6 * args.rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = max(load, os.getloadavg()[0])
    for mode in modes:
        report(args, mode, wall[mode], memory[mode], recorder[mode], load)


def report(
    args: argparse.Namespace,
    mode: str,
    wall: dict[str, list[float]],
    memory: dict[str, list[float]],
    recorder: tuple[float, float, float],
    load: float,
) -> None:
    import torch

    plain, recorded, share = recorder
    med = {name: statistics.median(values) for name, values in wall.items()}
    mem = {name: statistics.median(values) for name, values in memory.items()}
    runs = 3 * args.seeds
    rows = [
        (
            "lrviz run (3 schedules + report) vs lesson",
            f"{med['run']:.2f} s",
            f"{med['lesson']:.2f} s",
            med["run"] / med["lesson"],
            "x",
            TARGETS[mode]["run"],
        ),
        (
            f"{runs} runs (3 x {args.seeds} seeds + report) vs lesson",
            f"{med['sweep']:.2f} s",
            f"{med['lesson']:.2f} s",
            med["sweep"] / med["lesson"],
            "x",
            TARGETS[mode]["sweep"],
        ),
        ("lrviz --help (regular install)", f"{med['help']:.3f} s", "", med["help"], "s", 0.1),
        (
            "Recorder overhead in the lesson's loop",
            f"{recorded * 1e3:.1f} ms",
            f"{plain * 1e3:.1f} ms",
            share,
            "%",
            0.02,
        ),
        (
            "peak memory, lrviz run vs lesson",
            f"{mem['run']:.0f} MiB",
            f"{mem['lesson']:.0f} MiB",
            mem["run"] / mem["lesson"],
            "x",
            1.3,
        ),
    ]
    beside = "one busy process beside every command" if MODES[mode] else "nothing beside"
    print()
    print(
        f"lrviz benchmark, {mode} mode ({beside}): {args.rounds} alternating rounds, "
        f"medians. Python {platform.python_version()}, torch {torch.__version__}, "
        f"{os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, load average up "
        f"to {load:.1f}"
    )
    print()
    print(f"| {'measure':<44} | {'lrviz':>9} | {'lesson':>9} | {'ratio':>7} | target   | met |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 11}|{'-' * 9}|----------|-----|")
    for measure, ours, theirs, value, unit, target in rows:
        shown = {"x": f"{value:.2f}x", "s": f"{value:.3f} s", "%": f"{value:+.1%}"}[unit]
        goal = {"x": f"<= {target}x", "s": f"<= {target} s", "%": f"<= {target:.0%}"}[unit]
        met = "yes" if value <= target else "NO"
        print(f"| {measure:<44} | {ours:>9} | {theirs:>9} | {shown:>7} | {goal:<8} | {met:>3} |")
    print()
    print(
        f"sweep: {runs} runs in {med['sweep']:.2f} s end to end ({runs / med['sweep']:.0f} runs/s "
        f"with start-up and report); training alone {med['batched']:.0f} runs/s on the batched "
        f"engine, {med['exact']:.1f} runs/s one by one on the exact path "
        f"({med['batched'] / med['exact']:.0f}x); the lesson: 1 run in {med['lesson']:.2f} s"
    )
    print(
        f"Recorder: its log calls add {share:.1%} to the lesson's loop (timed around them); "
        f"the loops with and without them differ by {recorded / plain - 1:+.1%} "
        "(load noise included)"
    )
    print(
        f"peak memory of the sweep: {mem['sweep']:.0f} MiB "
        f"({mem['sweep'] / mem['lesson']:.2f}x the lesson)"
    )
    print(
        f"lrviz --help: {med['help']:.3f} s from a regular install, {med['help here']:.3f} s "
        f"from this checkout; a bare click group's --help {med['click']:.3f} s "
        f"(lrviz: {(med['help'] - med['click']) * 1e3:+.0f} ms)"
    )


if __name__ == "__main__":
    main()
