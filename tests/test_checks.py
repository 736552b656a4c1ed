"""Values users give lrviz, checked the same way everywhere."""

from __future__ import annotations

import pytest

from lrviz import checks
from lrviz.schedules import BUILDABLE

SIMPLE = [k for k in BUILDABLE if not k.composite]


def test_as_rates_checks_every_rate() -> None:
    assert checks.rates(0.1) == (0.1,)
    assert checks.rates([0.1, 0]) == (0.1, 0.0)
    for bad in ([], [0.1, -1.0], float("nan"), [float("inf")]):
        with pytest.raises(ValueError):
            checks.rates(bad)
