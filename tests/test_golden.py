"""The default run's traces stay what they were when checked against the lesson's loop.

The goldens live in tests/test_golden/, kept by lrviz's own pytest plugin
(``pytest --lrviz-regen`` rewrites them). They were written by `lrviz run` (seed 0,
defaults) and, before they were committed, compared epoch by epoch with the lesson's own
loop (the last test here keeps checking that, so a golden can never drift from the
lesson unnoticed) and with the lrviz.trace/1 goldens of lrviz 0.1 in tests/golden/,
whose rates and losses they repeat bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_reference_arithmetic
from test_lesson import lesson

from lrviz.experiment import Experiment
from lrviz.pytest_plugin import LRTraceRegression
from lrviz.trace import Trace
from lrviz.training import run

HERE = Path(__file__).parent
GOLDEN = HERE / "test_golden"
V1 = HERE / "golden" / "run-default"
NAMES = ("step", "exp", "plateau")
FIELDS = ("lr", "train_loss", "val_loss", "val_accuracy", "metric", "momentum")


def golden(name: str) -> Trace:
    return Trace.load(GOLDEN / f"{name}-seed0.lrtrace.json")


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {t.label: t for t in run(Experiment())}


@pytest.mark.parametrize("name", NAMES)
def test_default_run_matches_its_golden_trace(
    traces: dict[str, Trace], name: str, lr_trace_regression: LRTraceRegression
) -> None:
    lr_trace_regression.check(traces[name], basename=f"{name}-seed0", fields=FIELDS)
    assert traces[name].events == golden(name).events
    assert traces[name].to_dict()["schedule"] == golden(name).to_dict()["schedule"]


@pytest.mark.parametrize("name", NAMES)
def test_the_golden_repeats_the_lrviz_0_1_trace(name: str) -> None:
    old, new = Trace.load(V1 / f"{name}-seed0.json"), golden(name)
    assert [
        (e.lr, e.train_loss, e.val_loss, e.val_accuracy, e.metric, e.state) for e in old.epochs
    ] == [(e.lr, e.train_loss, e.val_loss, e.val_accuracy, e.metric, e.state) for e in new.epochs]
    assert (old.initial_lr, old.final_lr, old.schedule) == (
        new.initial_lr,
        new.final_lr,
        new.schedule,
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_golden_trace_is_the_lessons_loop(name: str) -> None:
    """Bit for bit on the reference machine, where the golden was written; elsewhere
    tests/test_lesson.py compares lrviz with the lesson live."""
    require_reference_arithmetic()
    rows = lesson(0, name)
    trace = golden(name)
    assert [e.lr[0] for e in trace.epochs] == [r["lr"] for r in rows]
    assert [e.val_loss for e in trace.epochs] == [r["val_loss"] for r in rows]
    assert [e.train_loss for e in trace.epochs] == [r["train_loss"] for r in rows]
    assert trace.final_lr[0] == rows[-1]["lr_after"]
