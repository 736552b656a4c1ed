"""The report's staging folders: an interrupted swap is undone, and what a killed run
leaves is removed, or its swap undone, by the next report into the folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lrviz.report
from lrviz.report import Figure, build_figures, remove_dead_stages, write_report
from lrviz.trace import Trace

GOLDEN = Path(__file__).parent / "golden" / "run-default"


@pytest.fixture(scope="module")
def traces() -> list[Trace]:
    return [Trace.load(path) for path in sorted(GOLDEN.glob("*.json"))]


@pytest.fixture(scope="module")
def drawn(traces: list[Trace]) -> dict[int, list[Figure]]:
    """The figures of the first one and of all three traces, drawn once."""
    return {n: build_figures(traces[:n]) for n in (1, 3)}


def draw(drawn: dict[int, list[Figure]]) -> Any:
    return lambda traces, progress: drawn[len(traces)]


@pytest.fixture(scope="module")
def reports(
    traces: list[Trace], drawn: dict[int, list[Figure]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A previous report (three schedules) and a new one (one schedule)."""
    old, new = tmp_path_factory.mktemp("old"), tmp_path_factory.mktemp("new")
    write_report(traces, old, draw=draw(drawn))
    write_report(traces[:1], new, draw=draw(drawn))
    return old, new


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


SWAP = [  # the renames of the swap, in order (lrviz.report._swap_in)
    ("figures", "stage/old-figures"),
    ("stage/figures", "figures"),
    ("traces", "stage/old-traces"),
    ("stage/traces", "traces"),
    ("stage/index.html", "index.html"),
]


def killed_in_swap(out: Path, new: Path, moves: int) -> Path:
    """What a run killed (SIGKILL) after ``moves`` renames of its swap leaves in ``out``."""
    stage = out / f".lrviz-{dead_pid()}-0123abcd"
    shutil.copytree(new, stage)
    where = {"stage": stage}
    for src, dst in SWAP[:moves]:
        os.replace(_at(out, where, src), _at(out, where, dst))
    return stage


def _at(out: Path, where: dict[str, Path], name: str) -> Path:
    head, _, tail = name.partition("/")
    return where[head] / tail if head in where else out / name


@pytest.mark.parametrize("moves", range(6))
def test_a_swap_cut_short_by_sigkill_is_undone_by_the_next_report(
    reports: tuple[Path, Path], tmp_path: Path, moves: int
) -> None:
    old, new = reports
    out = tmp_path / "out"
    shutil.copytree(old, out)
    stage = killed_in_swap(out, new, moves)
    assert remove_dead_stages(out) == [stage]
    assert sorted(p.name for p in out.iterdir()) == ["figures", "index.html", "traces"]
    # Whole: the previous report, or the new one if its index was in (the swap was done).
    assert files(out) == files(new if moves == len(SWAP) else old)


def test_the_next_report_removes_a_dead_stage_first(
    reports: tuple[Path, Path],
    traces: list[Trace],
    drawn: dict[int, list[Figure]],
    tmp_path: Path,
) -> None:
    old, new = reports
    shutil.copytree(old, tmp_path, dirs_exist_ok=True)
    killed_in_swap(tmp_path, new, 2)  # the new figures/ in, the old one aside
    (tmp_path / f".lrviz-{dead_pid()}-89abcdef").mkdir()  # killed while training
    write_report(traces, tmp_path, draw=draw(drawn))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "index.html", "traces"]
    assert files(tmp_path) == files(old)


def test_stages_of_running_processes_and_other_names_are_left_alone(tmp_path: Path) -> None:
    # pid 1 is always running (not ours when not root: EPERM counts as alive).
    kept = [f".lrviz-{os.getpid()}-00000000", ".lrviz-1-00000000", ".lrviz-abcdefgh"]
    for name in kept:
        (tmp_path / name).mkdir()
    (tmp_path / f".lrviz-{dead_pid()}").write_text("a file, not a stage")
    assert remove_dead_stages(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == sorted(kept)


class Interrupt(BaseException):
    """As a signal handler's exception: raised between two statements."""


@pytest.mark.parametrize("after", range(1, 6))
def test_an_interrupt_right_after_a_rename_of_the_swap_is_undone(
    reports: tuple[Path, Path],
    traces: list[Trace],
    drawn: dict[int, list[Figure]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    after: int,
) -> None:
    """The swap notes each rename before making it, so that Ctrl-C or SIGTERM landing
    just after one (before the note, as it was) still undoes it."""
    old, new = reports
    shutil.copytree(old, tmp_path, dirs_exist_ok=True)
    real_replace, calls = os.replace, 0

    def replace(src: Any, dst: Any) -> None:
        nonlocal calls
        real_replace(src, dst)
        calls += 1
        if calls == after:
            raise Interrupt

    monkeypatch.setattr(lrviz.report, "os", _Os(replace))
    with pytest.raises(Interrupt):
        write_report(traces[:1], tmp_path, draw=draw(drawn))
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "index.html", "traces"]
    # Once the index is in, the new report is whole and stays.
    assert files(tmp_path) == files(new if after == len(SWAP) else old)


class _Os:
    """``os`` with another ``replace``, for lrviz.report alone."""

    def __init__(self, replace: Any) -> None:
        self.replace = replace

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)
