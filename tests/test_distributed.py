"""Distributed training on two CPU processes (gloo): a plain DDP loop and a HuggingFace
Trainer under ``torchrun``, and a Lightning fit with the DDP strategy. Every rank records
and every rank is asked to write to the same paths; only global rank zero writes, its
trace saying ``world_size`` 2 and ``rank`` 0, unless a path names ``{rank}``. The
scripts (``tests/test_distributed/``) mark each call of the writing function with the
rank that made it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import lrviz

SCRIPTS = Path(__file__).parent / "test_distributed"
ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def launch(command: list[str], out: Path) -> None:
    """Run ``command`` (two processes) to its end; its stderr in the message if it fails."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(out),
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(free_port()),
    }
    done = subprocess.run(
        command, cwd=out, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr[-4000:]}"


def torchrun(script: str, out: Path) -> None:
    launch(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_port",
            str(free_port()),
            str(SCRIPTS / script),
            str(out),
        ],
        out,
    )


def called(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("called-*"))


def the_report_trace(out: Path) -> lrviz.Trace:
    (path,) = (out / "report" / "traces").glob("*.json")
    return lrviz.Trace.load(path)


@pytest.mark.slow
def test_a_plain_ddp_loop_saves_from_rank_zero_unless_the_path_names_the_rank(
    tmp_path: Path,
) -> None:
    torchrun("plain_loop.py", tmp_path)
    assert json.loads((tmp_path / "wrote-0.json").read_text()) == [True, True]
    assert json.loads((tmp_path / "wrote-1.json").read_text()) == [False, True]
    assert called(tmp_path) == ["called-save-0", "called-save-1"]  # rank 1: its own file
    meta = lrviz.Trace.load(tmp_path / "trace.json").meta
    assert (meta["world_size"], meta["rank"]) == (2, 0)
    for rank in (0, 1):
        meta = lrviz.Trace.load(tmp_path / f"trace-{rank}.json").meta
        assert (meta["world_size"], meta["rank"]) == (2, rank)


@pytest.mark.slow
def test_a_trainer_under_torchrun_writes_one_report_from_rank_zero(tmp_path: Path) -> None:
    torchrun("hf_trainer.py", tmp_path)
    assert called(tmp_path) == ["called-write_report-0"]
    trace = the_report_trace(tmp_path)
    assert (trace.meta["world_size"], trace.meta["rank"]) == (2, 0)
    assert trace.step_count == 6
    # Rank 1 recorded too: its trace stays on its callback.
    meta = json.loads((tmp_path / "meta-1.json").read_text())
    assert (meta["world_size"], meta["rank"]) == (2, 1)


@pytest.mark.slow
def test_a_lightning_ddp_fit_writes_one_report_from_rank_zero(tmp_path: Path) -> None:
    launch([sys.executable, str(SCRIPTS / "lightning_ddp.py"), str(tmp_path)], tmp_path)
    assert called(tmp_path) == ["called-write_report-0"]
    trace = the_report_trace(tmp_path)
    assert (trace.meta["world_size"], trace.meta["rank"]) == (2, 0)
    assert trace.label == "lr-SGD" and trace.rates() == [0.1, 0.05, 0.025, 0.0125]
    meta = json.loads((tmp_path / "meta-1.json").read_text())
    assert (meta["world_size"], meta["rank"]) == (2, 1)
