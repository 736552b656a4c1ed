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
from lrviz import columns, tracefile
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
            state=draw(
                st.dictionaries(
                    text,
                    st.just(tuple(range(1, n + 1)))
                    | st.tuples(*[plain] * n)
                    | st.tuples(*[st.lists(numbers, min_size=groups, max_size=groups)] * n)
                    | st.tuples(*[st.sampled_from([None, 0, 1, 2**70, 0.5, math.inf])] * n),
                    max_size=3,
                )
            ),
            updates={
                k: draw(st.sampled_from([0, 2, 3]))
                for k in draw(st.sets(st.integers(1, max(n, 1))))
                if k <= n
            },
            unscheduled=tuple(
                sorted(draw(st.sets(st.integers(1, max(n, 1)))) & set(range(1, n + 1)))
            ),
            early=tuple(range(1, n + 1)) if draw(st.booleans()) else (),
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
    with mock.patch.object(columns, "PACKED_FROM", 1):
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
    n = columns.PACKED_FROM
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
    data = _step_trace([0.1] * columns.PACKED_FROM)
    data["steps"]["lr"][0] = {"float64": packed}
    with pytest.raises(ValueError, match=r"steps lr\[0\]") as raised:
        Trace.from_dict(data)
    assert message in str(raised.value)


N = columns.PACKED_FROM


@pytest.mark.parametrize(
    ("values", "form"),
    [
        ([k / 7 for k in range(N)], "float64"),
        ([k % 17 - 8 for k in range(N)], "int64"),
        (list(range(5, N + 5)), "range"),
        ([[k / 3, -0.0, math.nan] for k in range(N)], "items"),
        ([None if k % 3 else k / 9 for k in range(N)], "kinds"),
        ([math.inf] + [k // 50 for k in range(N - 1)], "kinds"),
        ([True] * (N // 2) + [1] * (N // 2), "kinds"),
        (["warm-up"] * (N // 2) + [[1, 2]] * (N // 2), "runs"),
        ([2**70] * (N // 2) + [2**71] * (N // 2), "runs"),
    ],
    ids=[
        "floats",
        "ints",
        "counting",
        "lists",
        "floats-and-none",
        "inf-then-ints",
        "bools-then-ints",
        "strings-and-lists",
        "big-ints",
    ],
)
def test_every_kind_of_state_column_packs_and_reads_back_exactly(
    values: list[Any], form: str
) -> None:
    trace = Trace(
        meta={"source": "record"},
        experiment=None,
        schedule={"name": "LambdaLR", "params": {}},
        initial_lr=(0.1,),
        epochs=(Epoch(1, (0.1,), step=N),),
        final_lr=(0.1,),
        steps=Steps(lr=((0.1,) * N,), epoch=(1.0,) * N, state={"x": tuple(values)}),
    )
    data = json.loads(trace.to_json())
    assert next(iter(data["steps"]["state"]["x"])) == form
    again = Trace.from_dict(data).steps.state["x"]  # type: ignore[union-attr]
    assert json.dumps(tracefile.jsonable(list(again))) == json.dumps(tracefile.jsonable(values))
    assert [type(v) for v in again] == [type(v) for v in values]


def test_many_exceptions_are_written_as_a_column_of_every_step() -> None:
    n = 2 * N
    trace = Trace(
        meta={"source": "record"},
        experiment=None,
        schedule={"name": "StepLR", "params": {}},
        initial_lr=(0.1,),
        epochs=(Epoch(1, (0.1,), step=n),),
        final_lr=(0.1,),
        steps=Steps(
            lr=((0.1,) * n,),
            epoch=(1.0,) * n,
            updates={k: k % 3 * 2 for k in range(1, n + 1) if k % 3 != 2},
            unscheduled=tuple(range(2, n + 1, 2)),
            early=tuple(range(1, n + 1)),
        ),
    )
    text = trace.to_json()
    assert len(text) < n  # as pairs and lists, over 10 bytes per step
    data = json.loads(text)
    assert {k: set(data["steps"][k]) for k in ("updates", "unscheduled", "early")} == {
        "updates": {"int64"},
        "unscheduled": {"int64"},
        "early": {"int64"},
    }
    assert Trace.from_dict(data) == trace


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"int64": 5}, "steps state x int64 must be a base64 string, got 5"),
        ({"int64": _packed(bytes(8))}, "does not hold one whole number per step"),
        ({"runs": [[1, N - 1]]}, "runs hold 9999 values, not one per step"),
        ({"runs": [[1, N + 1]]}, "runs[0] must be [value, count] within the"),
        ({"items": []}, "items must be a non-empty list"),
        ({"kinds": _packed(bytes(N)), "parts": [[], [], []]}, "parts[0] has 0 values"),
        ({"kinds": _packed(b"\x07" * N), "parts": [[], [], []]}, "kinds must be 0, 1 or 2"),
        ({"range": [1, 2, 3]}, "range must be [first, count]"),
        ({"bits": "x"}, "no column form this lrviz reads"),
    ],
)
def test_bad_state_columns_are_named(value: Any, message: str) -> None:
    data = _step_trace([0.1] * N)
    data["steps"]["state"] = {"x": value}
    with pytest.raises(ValueError, match=r"steps state x") as raised:
        Trace.from_dict(data)
    assert message in str(raised.value)


def _schedule(name: str, optimizer: Any, steps: int) -> Any:
    from torch.optim import lr_scheduler as sched

    return {
        "StepLR": lambda: sched.StepLR(optimizer, 1000, 0.5),
        "LambdaLR": lambda: sched.LambdaLR(optimizer, lambda k: 1 / (1 + k)),
        "OneCycleLR": lambda: sched.OneCycleLR(optimizer, [0.1, 0.01], total_steps=steps),
        "CyclicLR": lambda: sched.CyclicLR(optimizer, 0.001, 0.1, step_size_up=2000),
        "CosineAnnealingWarmRestarts": lambda: sched.CosineAnnealingWarmRestarts(optimizer, 1000),
        "ReduceLROnPlateau": lambda: sched.ReduceLROnPlateau(optimizer, patience=100),
    }[name]()


SIZED = [
    "StepLR",
    "LambdaLR",
    "OneCycleLR",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "ReduceLROnPlateau",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", SIZED)
def test_a_long_recording_takes_at_most_20_bytes_per_step_and_group(name: str) -> None:
    import random

    import torch

    steps = 50_000
    params = [torch.zeros(1, requires_grad=True) for _ in range(2)]
    optimizer = torch.optim.SGD(
        [{"params": [p], "lr": lr} for p, lr in zip(params, (0.1, 0.01), strict=True)],
        lr=0.1,
        momentum=0.9,
    )
    scheduler = _schedule(name, optimizer, steps)
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    noise = random.Random(0)
    for k in range(steps):
        optimizer.step()
        if name == "ReduceLROnPlateau":
            scheduler.step(1 / (1 + k // 5000) + noise.random() / 100)  # a noisy plateau
        else:
            scheduler.step()
    trace = rec.trace
    text = trace.to_json()
    assert len(text.encode()) / (steps * 2) <= 20, f"{name}: {len(text) / steps / 2:.1f} bytes"
    assert Trace.from_dict(json.loads(text)) == trace
