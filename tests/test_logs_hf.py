"""HuggingFace ``trainer_state.json`` from a real ``Trainer`` run becomes a trace whose
rates are those the run's updates used, proved against lrviz's own callback on the same
run: the Trainer (transformers 5) logs, at step s, the rate update s used."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tiny_models import Regression

from lrviz.logs import kind_of, read_log
from lrviz.trace import Trace

transformers = pytest.importorskip("transformers", reason="the hf extra")


def train(tmp_path: Path) -> tuple[Path, Trace]:
    """A 2-epoch, 8-step run (linear decay: a new rate every step), logging every step,
    checkpointing every epoch, with HF's TensorBoard callback and recorded by lrviz's
    callback: its output folder and
    the recorded trace."""
    import lrviz.integrations.transformers

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
    data = [{"x": a, "labels": b} for a, b in zip(x, y, strict=True)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "my-run"),
        report_to="tensorboard",
        save_strategy="epoch",
        eval_strategy="epoch",
        use_cpu=True,
        per_device_train_batch_size=8,
        num_train_epochs=2,
        learning_rate=0.1,
        logging_steps=1,
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=Regression(),
        args=args,
        train_dataset=data,
        eval_dataset=data,
        callbacks=[lrviz.integrations.transformers.LRVizCallback(tmp_path / "report")],
    )
    trainer.train()
    (recorded,) = (tmp_path / "report" / "traces").glob("*.json")
    return tmp_path / "my-run", Trace.load(recorded)


@pytest.mark.slow
def test_the_logged_rate_of_step_s_is_the_rate_update_s_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, recorded = train(tmp_path)
    capsys.readouterr()  # the Trainer prints its logs
    assert recorded.steps is not None and recorded.step_count == 8
    assert kind_of(output) == "hf-trainer-state"
    (trace,) = read_log(output)  # the latest checkpoint's trainer_state.json
    assert trace.meta["log"] == "hf-trainer-state" and trace.label == "my-run"
    assert trace.meta["rates"] == "as logged"
    assert trace.steps is not None and trace.steps.at is None  # steps 1, 2, ..., 8
    used = recorded.rates(0)  # the rate each update used, then the rate after the last
    assert list(trace.steps.lr[0]) == used[:-1]
    # Not the rate after each step's scheduler step:
    assert list(trace.steps.lr[0]) != used[1:]
    # Epochs: the last training loss and the evaluation loss logged in each.
    state = json.loads((output / "checkpoint-8" / "trainer_state.json").read_text())
    history = state["log_history"]
    evals = [e["eval_loss"] for e in history if "eval_loss" in e]
    losses = [e["loss"] for e in history if "loss" in e]
    assert [(e.epoch, e.val_loss) for e in trace.epochs] == [(1, evals[0]), (2, evals[1])]
    assert [e.train_loss for e in trace.epochs] == [losses[3], losses[7]]
    # HF's TensorBoard callback logs the same rates, as float32, at the same steps.
    (from_tb,) = read_log(output / "runs")
    assert from_tb.meta["log"] == "tensorboard" and from_tb.steps is not None
    assert from_tb.steps.at is None
    assert from_tb.steps.lr[0] == tuple(np.float32(used[:-1]).astype(float).tolist())
    assert [(e.epoch, e.val_loss) for e in from_tb.epochs] == [
        (1, pytest.approx(evals[0], rel=1e-6)),
        (2, pytest.approx(evals[1], rel=1e-6)),
    ]
    # A checkpoint's own file holds the history up to it.
    (first,) = read_log(output / "checkpoint-4" / "trainer_state.json")
    assert first.label == "my-run" and first.rates(0)[:-1] == list(trace.steps.lr[0][:4])


def write_state(path: Path, history: list[Any]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    return path / "trainer_state.json"


def test_the_runs_summary_entry_is_not_a_training_loss(tmp_path: Path) -> None:
    path = write_state(
        tmp_path / "out",
        [
            {"learning_rate": 0.1, "loss": 2.0, "epoch": 0.5, "step": 1},
            {"learning_rate": 0.05, "loss": 1.0, "epoch": 1.0, "step": 2},
            {"train_runtime": 1.0, "train_loss": 1.5, "epoch": 1.0, "step": 2},
        ],
    )
    (trace,) = read_log(path)
    assert trace.rates() == [0.1, 0.05, 0.05]
    assert [(e.epoch, e.train_loss, e.val_loss) for e in trace.epochs] == [(1, 1.0, None)]


def test_bad_trainer_states_are_one_line_naming_the_file(tmp_path: Path) -> None:
    path = write_state(tmp_path / "a", [{"loss": 1.0, "step": 1}])
    with pytest.raises(ValueError, match=r"trainer_state.json': no learning-rate tag"):
        read_log(path)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "trainer_state.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"trainer_state.json': cannot read it as JSON"):
        read_log(tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "trainer_state.json").write_text('{"global_step": 3}')
    with pytest.raises(ValueError, match="no log_history list"):
        read_log(tmp_path / "c")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    os.environ.pop("WANDB_MODE", None)
