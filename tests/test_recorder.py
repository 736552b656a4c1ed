"""Recorder: your own loop gives the same trace, and the same explanations, as `lrviz run`."""

from __future__ import annotations

import pytest
import torch
from test_lesson import SCHEDULERS
from torch import nn

import lrviz
from lrviz import data
from lrviz.comparison import compare
from lrviz.optim import Adam


def recorded(schedule: str, seed: int = 0, epochs: int = 60) -> lrviz.Trace:
    split = data.load()
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(13, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3)
    )
    criterion = nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), [0.1])
    scheduler = SCHEDULERS[schedule](optimizer)
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(split.x_train), split.y_train)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val_loss = criterion(model(split.x_valid), split.y_valid)
        if schedule == "plateau":
            scheduler.step(val_loss)
        else:
            scheduler.step()
        rec.log(train_loss=loss, val_loss=val_loss)
    return rec.trace


@pytest.mark.parametrize("schedule", sorted(SCHEDULERS))
def test_recorded_trace_equals_lrviz_run(schedule: str) -> None:
    mine = recorded(schedule)
    theirs = lrviz.run_experiment(schedule, epochs=60)
    result = compare(mine, theirs, fields=("lr", "train_loss", "val_loss", "metric"))
    assert result.ok, result.report()
    assert mine.events == theirs.events
    assert mine.meta["source"] == "record" and mine.experiment is None
    assert [e.state for e in mine.epochs] == [e.state for e in theirs.epochs]


def test_a_scheduler_without_a_rule_has_its_changes_reported_as_external() -> None:
    optimizer = Adam([], [0.1])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 0.5 if k >= 3 else 1.0)
    rec = lrviz.Recorder(optimizer, scheduler)
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        rec.log()
    trace = rec.trace
    assert trace.name == "LambdaLR" and trace.params == {}
    assert [(e.epoch, e.kind) for e in trace.events] == [(3, "external")]
    assert trace.rates() == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]
