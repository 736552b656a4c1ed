"""Each log source, written as its tool writes it, becomes a report, a figure, a CSV
export, an identified SPEC, and a ``check`` against the simulation of that SPEC: one
command each, as a user types them.

The rates are a real torch ``CosineAnnealingLR``'s; each source logs them the way its
writer does: which step holds which rate, how often, and at what precision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from test_logs_tables import mlflow_run
from torch.utils.tensorboard import SummaryWriter

from lrviz.cli import main

UPDATES = 40
"""Optimizer updates of the run each log comes from."""


def used_rates() -> list[float]:
    """``[k]``: the rate after k scheduler steps of a real CosineAnnealingLR, the rate
    update k + 1 used (k = 0..UPDATES)."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50, eta_min=0.001)
    out = []
    for _ in range(UPDATES + 1):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def tensorboard(folder: Path, rates: list[float]) -> Path:
    """A loop's ``SummaryWriter`` logging every 2nd step from 0, before the step's update
    (float32, as TensorBoard keeps scalars)."""
    writer = SummaryWriter(str(folder / "runs" / "cosine"))
    for step in range(0, UPDATES, 2):
        writer.add_scalar("lr", rates[step], step)
    writer.close()
    return folder / "runs" / "cosine"


def hf_trainer_state(folder: Path, rates: list[float]) -> Path:
    """An HF Trainer's output folder: its last checkpoint's ``trainer_state.json``, whose
    log history holds, at step s, the rate update s used (``logging_steps=1``)."""
    history: list[dict[str, float | int]] = [
        {
            "epoch": s / 10,
            "grad_norm": 1.0,
            "learning_rate": rates[s - 1],
            "loss": 2.0 / s,
            "step": s,
        }
        for s in range(1, UPDATES + 1)
    ]
    history.append({"epoch": 4.0, "step": UPDATES, "train_loss": 0.5, "train_runtime": 1.0})
    state = {"global_step": UPDATES, "epoch": 4.0, "log_history": history, "max_steps": UPDATES}
    output = folder / "my-run"
    (output / f"checkpoint-{UPDATES}").mkdir(parents=True)
    (output / f"checkpoint-{UPDATES}" / "trainer_state.json").write_text(json.dumps(state))
    return output


def lightning_csv(folder: Path, rates: list[float]) -> Path:
    """A CSVLogger's ``metrics.csv`` with LearningRateMonitor: at step s (the updates
    done) the rate of update s + 1, and a row of its own for the training loss."""
    rows = ["epoch,lr-SGD,step,train_loss"]
    for s in range(UPDATES):
        rows += [f",{rates[s]!r},{s},", f"{s // 10},,{s},{1.0 / (s + 1)!r}"]
    path = folder / "lightning_logs" / "version_0" / "metrics.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(rows) + "\n")
    return path.parent


def mlflow(folder: Path, rates: list[float]) -> Path:
    """An MLflow file store run folder: ``log_metric("lr", ..., step)`` before each
    update, steps counted from 0."""
    points = [(s, rates[s]) for s in range(UPDATES)]
    return mlflow_run(folder / "mlruns", "0", "a1b2", "cosine", {"lr": points})


def table(folder: Path, rates: list[float]) -> Path:
    """A W&B export: ``_step`` and ``train/learning_rate`` columns, every 4th step."""
    path = folder / "export.csv"
    lines = ["_step,train/learning_rate", *(f"{s},{rates[s]!r}" for s in range(0, UPDATES, 4))]
    path.write_text("\n".join(lines) + "\n")
    return path


SOURCES: dict[str, tuple[Callable[[Path, list[float]], Path], str]] = {
    "tensorboard": (tensorboard, "TensorBoard, rates as logged, float32"),
    "hf": (hf_trainer_state, "HuggingFace trainer_state.json, rates as logged"),
    "lightning": (lightning_csv, "Lightning metrics.csv, rates as logged"),
    "mlflow": (mlflow, "MLflow, rates as logged"),
    "table": (table, "a table, rates as logged"),
}


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, f"{args}\n{result.output}"
    return result.output


@pytest.mark.parametrize("source", SOURCES)
def test_a_log_becomes_a_report_a_figure_an_export_and_a_check(
    source: str, tmp_path: Path, runner: CliRunner
) -> None:
    write, tool = SOURCES[source]
    rates = used_rates()
    log = str(write(tmp_path, rates))

    ok(runner, "report", log, "-o", str(tmp_path / "report"), "-q")
    page = (tmp_path / "report" / "index.html").read_text()
    assert f"imported from {tool}." in page

    ok(runner, "plot", log, "-o", str(tmp_path / "f.svg"))
    assert (tmp_path / "f.svg").read_text().startswith("<?xml")

    rows = [line.split(",") for line in ok(runner, "export", log).splitlines()]
    header, values = rows[0], rows[1:]
    assert header[0] == "step"
    logged = {
        "tensorboard": range(0, UPDATES, 2),
        "hf": range(1, UPDATES + 1),
        "lightning": range(1, UPDATES + 1),  # the monitor's step s: update s + 1's rate
        "mlflow": range(UPDATES),
        "table": range(0, UPDATES, 4),
    }[source]
    assert [int(row[0]) for row in values] == list(logged)

    said = ok(runner, "identify", log)
    found = re.search(r": (cosine:T_max=50,eta_min=\S+) with lr=(\S+) reproduces", said)
    assert found is not None, said
    spec, lr = found[1], found[2]
    assert float(spec.split("eta_min=")[1]) == pytest.approx(0.001, rel=1e-4)  # float32
    assert float(lr) == pytest.approx(0.1, rel=1e-6)

    simulated = str(tmp_path / "sim.json")
    ok(runner, "simulate", spec, "--lr", lr, "--epochs", str(UPDATES), "-o", simulated)
    assert ok(runner, "check", log, simulated).startswith("traces match: ")
    # The check looks at every logged rate: one schedule step off fails it.
    off = str(tmp_path / "off.json")
    wrong = spec.replace("T_max=50", "T_max=51")
    ok(runner, "simulate", wrong, "--lr", lr, "--epochs", str(UPDATES), "-o", off)
    result = runner.invoke(main, ["check", log, off])
    assert result.exit_code == 1
    # Named by the first update whose rate differs (update 2: after one scheduler step)
    # among those logged; a log counting from 0 logs at step s the rate of update s + 1.
    first = min(u for u in (s + (logged[0] == 0) for s in logged) if u >= 2)
    assert f"first divergence: step {first} (epoch " in result.output, result.output
