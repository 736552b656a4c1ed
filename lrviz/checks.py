"""The values a user gives lrviz (epochs, rates), checked once for every way in: the
command line, TOML files and the Python API. Each check returns the value it accepts
or raises a ``ValueError`` / ``TypeError`` that names it and says what is allowed."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any

from lrviz.text import short_repr


def epochs(value: Any, what: str = "epochs") -> int:
    """A whole number of epochs > 0.

    Raises:
        TypeError: Not a whole number (a bool, a float, a string).
        ValueError: 0 or fewer.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be a whole number > 0, got {short_repr(value)}")
    if value <= 0:
        raise ValueError(f"{what} must be a whole number > 0, got {value}")
    return int(value)


STEP_BYTES = 1024
"""What one recorded step costs, at most, while a trace is recorded, explained and
written (its rates, state and JSON text; measured about 600 bytes for two groups)."""


def memory() -> int:
    """The machine's memory in bytes (8 GiB where the system does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def steps_fit(steps: int, what: str) -> int:
    """``steps`` recorded steps fit in half this machine's memory.

    Raises:
        ValueError: They would not, with the estimate, before any work.
    """
    most = memory() // 2 // STEP_BYTES
    if steps > most:
        raise ValueError(
            f"{what} asks for {steps:,} recorded steps, about {steps * STEP_BYTES / 2**30:,.0f} "
            f"GiB; this machine has {memory() / 2**30:.0f} GiB, room for {most:,}"
        )
    return steps


def lr(value: Any, what: str = "lr") -> float:
    """A learning rate: a finite number >= 0.

    Raises:
        TypeError: Not a number (a bool or a string is not one).
        ValueError: Negative or not finite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {short_repr(value)}")
    rate = float(value)
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {rate}")
    return rate


def rates(value: Any) -> tuple[float, ...]:
    """One initial rate per param group: a number, or a list of numbers.

    Raises:
        TypeError: Neither a number nor a list of numbers.
        ValueError: No rate, or a negative or non-finite one.
    """
    if isinstance(value, numbers.Real):
        return (lr(value),)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(
            f"lr must be a number or a list of numbers (one per param group), got "
            f"{short_repr(value)}"
        )
    if not value:
        raise ValueError("need at least one learning rate (one per param group)")
    return tuple(lr(r) for r in value)
