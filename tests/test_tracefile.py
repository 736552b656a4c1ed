"""Writer and reader agree on every file the writer can produce (hypothesis), step
resolution included; lrviz.trace/1 files keep loading (a committed one)."""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrviz
from lrviz import tracefile
from lrviz.trace import Epoch, Event, Steps, Trace
from lrviz.tracefile import SCHEMA

V1 = Path(__file__).parent / "golden" / "run-default" / "plateau-seed0.json"

numbers = st.floats(allow_nan=True, allow_infinity=True, width=64)
rates = st.floats(min_value=0, max_value=10, allow_nan=False)
text = st.text(min_size=1, max_size=12)
plain = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | numbers | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def traces(draw: Any) -> Trace:
    groups = draw(st.integers(1, 3))
    per_step = draw(st.booleans())
    n = draw(st.integers(0, 12))
    row = st.tuples(*[rates] * groups)
    maybe = st.none() | numbers
    lrs = [draw(row) for _ in range(n)]
    if per_step:
        bounds = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
        epochs = tuple(
            Epoch(k, draw(row), draw(maybe), draw(maybe), draw(maybe), draw(maybe), step=b)
            for k, b in enumerate(bounds, 1)
        )
        steps = Steps(
            lr=tuple(tuple(r[g] for r in lrs) for g in range(groups)),
            epoch=tuple(draw(st.floats(1, 9)) for _ in range(n)),
            momentum=draw(
                st.none() | st.just(tuple(tuple(r[g] for r in lrs) for g in range(groups)))
            ),
            metric=draw(st.none() | st.tuples(*[maybe] * n)),
            state={"last_epoch": tuple(range(1, n + 1))} if draw(st.booleans()) else {},
            updates={
                k: draw(st.integers(0, 3))
                for k in draw(st.sets(st.integers(1, max(n, 1))))
                if k <= n
            },
            unscheduled=tuple(
                sorted(draw(st.sets(st.integers(1, max(n, 1)))) & set(range(1, n + 1)))
            ),
        )
    else:
        epochs = tuple(
            Epoch(
                k,
                r,
                draw(maybe),
                draw(maybe),
                draw(maybe),
                draw(maybe),
                draw(st.none() | row),
                draw(st.dictionaries(text, plain, max_size=2)),
                updates=draw(st.none() | st.integers(0, 5)),
            )
            for k, r in enumerate(lrs, 1)
        )
        steps = None
    events = tuple(
        Event(
            epoch=draw(st.integers(1, 9)) if per_step else k,
            group=draw(st.integers(0, groups - 1)),
            kind=draw(st.sampled_from(["reduce", "increase", "held", "external"])),
            lr_before=draw(numbers),
            lr_after=draw(numbers),
            reason=draw(st.text(max_size=20)),
            evidence=draw(st.dictionaries(text, plain, max_size=2)),
            step=k if per_step else None,
        )
        for k in sorted(draw(st.sets(st.integers(1, max(n, 1)), max_size=3 if n else 0)))
    )
    return Trace(
        meta={"lrviz": "0", "source": draw(st.sampled_from(["run", "simulate", "record"]))},
        experiment=draw(st.none() | st.dictionaries(text, plain, max_size=3)),
        schedule={
            "name": draw(text),
            "label": draw(text),
            "params": draw(st.dictionaries(text, plain, max_size=3)),
        },
        initial_lr=draw(row),
        epochs=epochs,
        final_lr=draw(row),
        events=events,
        steps=steps,
        optimizer=draw(
            st.none()
            | st.builds(
                lambda g: {"name": "SGD", "groups": g},
                st.lists(
                    st.dictionaries(text, plain, max_size=2), min_size=groups, max_size=groups
                ),
            )
        ),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traces())
def test_every_file_the_writer_writes_reads_back_the_same(trace: Trace) -> None:
    text = trace.to_json()
    again = Trace.from_dict(json.loads(text))
    assert again.to_json() == text


@settings(max_examples=50, deadline=None)
@given(traces())
def test_gzip_files_read_back_the_same(trace: Trace) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.json.gz"
        trace.save(path)
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        assert Trace.load(path).to_json() == trace.to_json()


def test_a_committed_v1_file_loads_as_a_trace_of_one_step_per_epoch() -> None:
    assert b'"schema": "lrviz.trace/1"' in V1.read_bytes()
    trace = lrviz.Trace.load(V1)
    assert not trace.per_step and trace.step_count == 100 and trace.groups == 1
    assert trace.epochs[0].state == {
        "best": trace.epochs[0].val_loss,
        "num_bad_epochs": 0,
        "cooldown_counter": 0,
    }
    assert trace.to_dict()["schema"] == SCHEMA == "lrviz.trace/2"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traces())
def test_packed_columns_read_back_bit_for_bit(trace: Trace) -> None:
    with mock.patch.object(tracefile, "PACKED_FROM", 1):
        packed = trace.to_json()
        again = Trace.from_dict(json.loads(packed))
    assert again.to_json() == trace.to_json()
    if trace.steps is not None and trace.steps.count:
        assert '"lr": [{"float64": ' in packed


def _step_trace(lr: list[float]) -> dict[str, Any]:
    n = len(lr)
    trace = Trace(
        meta={"source": "record"},
        experiment=None,
        schedule={"name": "OneCycleLR", "params": {}},
        initial_lr=(lr[0],),
        epochs=(Epoch(1, (lr[0],), step=n),),
        final_lr=(lr[-1],),
        steps=Steps(lr=(tuple(lr),), epoch=(1.0,) * n),
    )
    data: dict[str, Any] = json.loads(trace.to_json())
    return data


def test_a_long_column_is_packed_and_reads_back_bit_for_bit() -> None:
    n = tracefile.PACKED_FROM
    lr = [(k * 0.618033988749895) % 1 for k in range(n - 4)] + [-0.0, 5e-324, math.inf, math.nan]
    data = _step_trace(lr)
    assert set(data["steps"]["lr"][0]) == {"float64"}
    again = Trace.from_dict(data).steps.lr[0]  # type: ignore[union-attr]
    assert [struct.pack("<d", x) for x in again] == [struct.pack("<d", x) for x in lr]


def _packed(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw)).decode()


@pytest.mark.parametrize(
    ("packed", "message"),
    [
        (17, "float64 must be a base64 string, got 17"),
        ("not base64!", "is not packed float64 data"),
        (base64.b64encode(b"not zlib").decode(), "is not packed float64 data"),
        (_packed(bytes(8)), "does not hold one float per step"),
        (_packed(bytes(80 << 20)), "does not hold one float per step"),  # a zlib bomb
    ],
)
def test_bad_packed_columns_are_named(packed: Any, message: str) -> None:
    data = _step_trace([0.1] * tracefile.PACKED_FROM)
    data["steps"]["lr"][0] = {"float64": packed}
    with pytest.raises(ValueError, match=r"steps lr\[0\]") as raised:
        Trace.from_dict(data)
    assert message in str(raised.value)
