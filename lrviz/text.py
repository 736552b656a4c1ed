"""Small pieces of text shared by messages, warnings and reports."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: "1 value", "2 values"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def shorten(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` characters, ending in "..." when cut."""
    return text if len(text) <= width else f"{text[: width - 3]}..."


def short_repr(value: Any) -> str:
    """``value`` for an error message: short and on one line (containers by their kind)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return shorten(repr(value))


MAX_DETAILS = 5
"""Details listed in one line (seeds, epochs); the rest are counted."""


def some(items: Sequence[str], limit: int = MAX_DETAILS, sep: str = "; ") -> str:
    """The first ``limit`` items joined, then "and N more" for the rest."""
    more = len(items) - limit
    return sep.join(items[:limit]) + (f"{sep}and {more} more" if more > 0 else "")


def number(x: float) -> str:
    """A number for a sentence: 4 significant digits."""
    return f"{x:.4g}"


def labelled(label: str, text: str) -> str:
    """``text`` under a schedule's label, "label: text", unless it already starts with the
    label (a trace labelled by its class name): never "SequentialLR: SequentialLR"."""
    return text if text == label or text.startswith(f"{label} ") else f"{label}: {text}"
