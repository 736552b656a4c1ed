"""The Session behind the framework callbacks, driven as a framework drives it, with a
plain torch loop: each value at the step it belongs to, an epoch's values in its epoch,
several schedules named apart, and the writing left to global rank zero."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.distributed

from lrviz.integrations import Schedule, Session


def a_schedule(name: str | None, lr: float = 0.1) -> Schedule:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return Schedule(name, optimizer, scheduler, "step")


def train(session: Session, epochs: int = 2, batches: int = 2) -> None:
    """Batches stepping every scheduler, a loss per batch, an evaluation within each
    epoch and one at its end (as Lightning and the Trainer report them)."""
    for epoch in range(epochs):
        session.epoch_start()
        for batch in range(batches):
            session.batch_start()
            for recorder in session.recorders:
                recorder.optimizer.step()
                recorder.scheduler.step()
            session.batch_values({"loss": float(epoch * batches + batch), "note": "text"})
            if batch == 0:
                session.values({"eval_loss": 10.0 + epoch})
        session.epoch_values({"val_loss": 20.0 + epoch})
    session.values({"train_loss": 99.0}, epochs=False)  # a summary of the run


def test_every_value_at_its_step_and_the_epochs_own(tmp_path: Path) -> None:
    session = Session(tmp_path / "run")
    session.start([a_schedule(None)])
    train(session)
    assert session.finish() == tmp_path / "run" / "index.html"
    (trace,) = session.traces
    assert trace.label == "StepLR" and trace.step_count == 4
    logged = {name: list(zip(s.at, s.value, strict=True)) for name, s in trace.logged.items()}
    assert logged == {
        "loss": [(1, 0.0), (2, 1.0), (3, 2.0), (4, 3.0)],
        "eval_loss": [(1, 10.0), (3, 11.0)],
        "val_loss": [(2, 20.0), (4, 21.0)],
        "train_loss": [(4, 99.0)],
    }
    assert [(e.step, e.val_loss, e.train_loss) for e in trace.epochs] == [
        (2, 20.0, None),
        (4, 21.0, None),  # the run's summary is no epoch's
    ]


def test_an_evaluation_at_an_epochs_last_step_is_the_epochs(tmp_path: Path) -> None:
    session = Session(tmp_path / "run")
    session.start([a_schedule(None)])
    session.epoch_start()
    for _ in range(3):
        session.batch_start()
        session.recorders[0].optimizer.step()
        session.recorders[0].scheduler.step()
    session.values({"eval_loss": 3.0})  # the Trainer's evaluation at max_steps
    session.finish()
    assert [(e.step, e.val_loss) for e in session.traces[0].epochs] == [(3, 3.0)]


def test_several_schedules_are_named_apart(tmp_path: Path) -> None:
    session = Session(tmp_path / "run", label="gan")
    session.start([a_schedule("lr-Adam"), a_schedule("lr-Adam-1", lr=0.2)])
    train(session)
    session.finish()
    assert [t.label for t in session.traces] == ["gan lr-Adam", "gan lr-Adam-1"]
    assert sorted(p.name for p in (tmp_path / "run" / "traces").iterdir()) == [
        "gan_lr-Adam-1.json",
        "gan_lr-Adam.json",
    ]


def test_another_rank_records_but_does_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 1)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda: 2)
    session = Session(tmp_path / "run")
    session.start([a_schedule(None)])
    train(session)
    assert session.finish() is None
    assert not (tmp_path / "run").exists()
    assert session.traces[0].meta["rank"] == 1 and session.traces[0].meta["world_size"] == 2
