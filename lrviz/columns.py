"""Long columns of a trace file, packed: one value per step, exact, deterministic.

A column of :data:`PACKED_FROM` values or more is written in the first of these forms
that fits it (a shorter one as a plain list; more than two whole numbers counting up by
one as a range, however many):

* ``{"range": [first, count]}``: whole numbers counting up by one (``last_epoch``);
* ``{"float64": "..."}``: floats, as little-endian IEEE doubles;
* ``{"int64": "..."}``: whole numbers within 64 bits, as little-endian integers;
* ``{"items": [column, ...]}``: lists of one length (a value per param group), one
  column per position;
* ``{"kinds": "...", "parts": [floats, ints, others]}``: a mix (floats and None, a
  ``best`` that starts at ``inf`` and goes on with ints): one byte per value saying
  which part holds it (0, 1, 2), each part a column;
* ``{"runs": [[value, count], ...]}``: anything else that repeats (None, strings,
  bools, lists of varying length);
* a plain list.

Numbers are byte-shuffled (every value's first byte, then every value's second byte,
...), zlib-compressed and base64-encoded: neighbouring values share their high bytes,
which zlib then folds away. Reading checks every form and its length.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from lrviz.text import count, short_repr

PACKED_FROM = 10_000
"""Columns at least this long are written packed."""

_INT64 = (-(1 << 63), (1 << 63) - 1)
_FLOAT, _INT, _OTHER = 0, 1, 2


def encode(values: Sequence[Any], short: Callable[[Any], Any] = lambda v: v) -> Any:
    """A column as the file holds it: packed when long (see the module), else a list of
    ``short(value)`` for each value."""
    types = set(map(type, values))  # at C speed: a million steps call this
    whole = types == {int} and _INT64[0] <= min(values) and max(values) <= _INT64[1]
    if whole and _counting(values):
        return {"range": [values[0], len(values)]}
    if len(values) < PACKED_FROM:
        return [short(v) for v in values]
    if types == {float}:
        return {"float64": _pack(values, "<f8")}
    if whole:
        return {"int64": _pack(values, "<i8")}
    kinds = bytes(map(_kind, values))
    if _FLOAT not in kinds and _INT not in kinds:
        return _others(values)
    parts: list[list[Any]] = [[], [], []]
    for kind, value in zip(kinds, values, strict=True):
        parts[kind].append(value)
    return {"kinds": _compress(kinds), "parts": [encode(part) for part in parts]}


def _counting(values: Sequence[int]) -> bool:
    """More than two whole numbers (within 64 bits), counting up by one."""
    if len(values) <= 2 or values[-1] - values[0] != len(values) - 1:
        return False
    if len(values) < PACKED_FROM:
        return all(b - a == 1 for a, b in pairwise(values))
    import numpy as np

    return bool((np.diff(np.asarray(values, dtype=np.int64)) == 1).all())


def _kind(value: Any) -> int:
    if type(value) is float:
        return _FLOAT
    if type(value) is int and _INT64[0] <= value <= _INT64[1]:
        return _INT
    return _OTHER


def _others(values: Sequence[Any]) -> Any:
    """Values that are neither floats nor ints: a column per position of lists of one
    length, runs of equal values when they repeat, else a list."""
    first = values[0]
    if (
        type(first) is list
        and first
        and all(type(v) is list and len(v) == len(first) for v in values)
    ):
        return {"items": [encode([v[i] for v in values]) for i in range(len(first))]}
    runs: list[list[Any]] = []
    last = None
    for value in values:
        # Equal as the file holds them: 1, 1.0 and True are three values.
        key = json.dumps(value, sort_keys=False, default=repr)
        if runs and key == last:
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
            last = key
    return {"runs": runs} if 4 * len(runs) <= len(values) else list(values)


def _pack(values: Sequence[Any], dtype: str) -> str:
    """base64(zlib(the values as ``dtype``, byte-shuffled: every value's first byte, then
    every value's second byte, ...))."""
    import numpy as np

    return _compress(np.asarray(values, dtype=dtype).view(np.uint8).reshape(-1, 8).T.tobytes())


def _compress(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


# -- reading -------------------------------------------------------------------------


def decode(raw: Any, n: int, what: str) -> list[Any]:
    """The ``n`` values of a column in any form :func:`encode` writes (values as the
    file holds them: non-finite floats in lists stay strings).

    Raises:
        ValueError: The column is malformed or does not hold ``n`` values (the message
            names ``what``).
    """
    if not isinstance(raw, Mapping):
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"{what} must be a list, got {short_repr(raw)}")
        if len(raw) != n:
            raise ValueError(f"{what} has {count(len(raw), 'value')}, not one per step ({n})")
        return list(raw)
    forms = set(raw)
    if forms == {"range"}:
        return _range(raw["range"], n, what)
    if forms == {"float64"}:
        return _unpack(raw["float64"], n, "<f8", what, "float64", "float")
    if forms == {"int64"}:
        return _unpack(raw["int64"], n, "<i8", what, "int64", "whole number")
    if forms == {"items"}:
        return _items(raw["items"], n, what)
    if forms == {"runs"}:
        return _runs(raw["runs"], n, what)
    if forms == {"kinds", "parts"}:
        return _mixed(raw, n, what)
    raise ValueError(f"{what} is no column form this lrviz reads: {short_repr(raw)}")


def _range(raw: Any, n: int, what: str) -> list[int]:
    if not isinstance(raw, list) or len(raw) != 2 or not all(type(v) is int for v in raw):
        raise ValueError(f"{what} range must be [first, count], got {short_repr(raw)}")
    first, length = raw
    if length != n:
        raise ValueError(f"{what} counts {length}, not one per step ({n})")
    return list(range(first, first + length))


def _inflate(packed: Any, n: int, width: int, what: str, form: str, value: str) -> bytes:
    """The ``n * width`` bytes of base64(zlib(...)); no more than one byte beyond them is
    ever inflated (a zlib bomb stops there)."""
    if not isinstance(packed, str):
        raise ValueError(f"{what} {form} must be a base64 string, got {short_repr(packed)}")
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.b64decode(packed, validate=True), n * width + 1)
    except (binascii.Error, zlib.error) as exc:
        raise ValueError(f"{what} is not packed {form} data ({exc})") from None
    if len(raw) != n * width or not inflate.eof:
        raise ValueError(f"{what} does not hold one {value} per step ({n})")
    return raw


def _unpack(packed: Any, n: int, dtype: str, what: str, form: str, value: str) -> list[Any]:
    import numpy as np

    raw = _inflate(packed, n, 8, what, form, value)
    values: list[Any] = (
        np.frombuffer(raw, np.uint8).reshape(8, n).T.copy().view(dtype).ravel().tolist()
    )
    return values


def _items(raw: Any, n: int, what: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{what} items must be a non-empty list, got {short_repr(raw)}")
    columns = [decode(c, n, f"{what} items[{i}]") for i, c in enumerate(raw)]
    return [list(row) for row in zip(*columns, strict=True)]


def _runs(raw: Any, n: int, what: str) -> list[Any]:
    if not isinstance(raw, list):
        raise ValueError(f"{what} runs must be a list, got {short_repr(raw)}")
    out: list[Any] = []
    for i, run in enumerate(raw):
        if (
            not isinstance(run, list)
            or len(run) != 2
            or type(run[1]) is not int
            or not 0 < run[1] <= n - len(out)
        ):
            raise ValueError(
                f"{what} runs[{i}] must be [value, count] within the {n} steps, "
                f"got {short_repr(run)}"
            )
        out.extend([run[0]] * run[1])
    if len(out) != n:
        raise ValueError(f"{what} runs hold {count(len(out), 'value')}, not one per step ({n})")
    return out


def _mixed(raw: Mapping[str, Any], n: int, what: str) -> list[Any]:
    kinds = _inflate(raw["kinds"], n, 1, what, "kinds", "kind")
    if kinds.translate(None, bytes((_FLOAT, _INT, _OTHER))):
        raise ValueError(f"{what} kinds must be 0, 1 or 2 for each step")
    parts = raw["parts"]
    if not isinstance(parts, list) or len(parts) != 3:
        raise ValueError(f"{what} parts must be 3 columns, got {short_repr(parts)}")
    columns = [
        iter(decode(part, kinds.count(k), f"{what} parts[{k}]")) for k, part in enumerate(parts)
    ]
    return [next(columns[k]) for k in kinds]
