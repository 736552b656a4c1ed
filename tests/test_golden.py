"""The default run's traces stay what they were when checked against the lesson's loop.

tests/golden/run-default/ was written by `lrviz run` (seed 0, defaults) and, before it
was committed, compared epoch by epoch with the lesson's own loop (the last test here
keeps checking that, so the golden can never drift from the lesson unnoticed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_reference_arithmetic
from test_lesson import lesson

from lrviz.comparison import compare
from lrviz.experiment import Experiment
from lrviz.trace import Trace
from lrviz.training import run

GOLDEN = Path(__file__).parent / "golden" / "run-default"
NAMES = ("step", "exp", "plateau")


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {t.label: t for t in run(Experiment())}


@pytest.mark.parametrize("name", NAMES)
def test_default_run_matches_its_golden_trace(traces: dict[str, Trace], name: str) -> None:
    golden = Trace.load(GOLDEN / f"{name}-seed0.json")
    result = compare(traces[name], golden, fields=("lr", "train_loss", "val_loss", "val_accuracy"))
    assert result.ok, result.report()
    assert traces[name].events == golden.events
    assert traces[name].to_dict()["schedule"] == golden.to_dict()["schedule"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_golden_trace_is_the_lessons_loop(name: str) -> None:
    """Bit for bit on the reference machine, where the golden was written; elsewhere
    tests/test_lesson.py compares lrviz with the lesson live."""
    require_reference_arithmetic()
    golden = Trace.load(GOLDEN / f"{name}-seed0.json")
    rows = lesson(0, name)
    assert [e.lr[0] for e in golden.epochs] == [r["lr"] for r in rows]
    assert [e.val_loss for e in golden.epochs] == [r["val_loss"] for r in rows]
    assert [e.train_loss for e in golden.epochs] == [r["train_loss"] for r in rows]
    assert golden.final_lr[0] == rows[-1]["lr_after"]
