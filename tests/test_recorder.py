"""Recorder: your own loop gives the same trace, and the same explanations, as `lrviz run`."""

from __future__ import annotations

from pathlib import Path

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


def two_step_variants(labels: tuple[str | None, str | None]) -> list[lrviz.Trace]:
    traces = []
    for step_size, label in zip((2, 3), labels, strict=True):
        optimizer = Adam([], [0.1])
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size)
        rec = lrviz.Recorder(optimizer, scheduler, label=label)
        for _ in range(6):
            optimizer.step()
            scheduler.step()
            rec.log(train_loss=1.0, val_loss=1.0)
        traces.append(rec.trace)
    return traces


def test_two_variants_of_one_scheduler_need_labels_for_a_report(tmp_path: Path) -> None:
    """Both would be "StepLR": one section, one figure file for two schedules."""
    with pytest.raises(ValueError, match="labelled 'StepLR' but are different schedules"):
        lrviz.write_report(two_step_variants((None, None)), tmp_path / "unlabelled")
    assert not (tmp_path / "unlabelled").exists()
    labelled = two_step_variants(("every 2", "every 3"))
    assert [t.label for t in labelled] == ["every 2", "every 3"]
    assert lrviz.Trace.from_dict(labelled[0].to_dict()).label == "every 2"
    page = lrviz.write_report(labelled, tmp_path / "labelled").read_text()
    assert 'id="schedule-every_2"' in page and 'id="schedule-every_3"' in page
