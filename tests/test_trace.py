"""The trace format (SPEC §3): strict, deterministic JSON that round-trips."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lrviz.trace import Epoch, Event, Trace
from lrviz.tracefile import SCHEMA


def make_trace(**changes: object) -> Trace:
    fields: dict[str, object] = {
        "meta": {"lrviz": "0.1.0", "torch": "2.13.0", "source": "run"},
        "experiment": {"dataset": "wine", "epochs": 3, "seed": 0},
        "schedule": {"name": "StepLR", "label": "step", "params": {"step_size": 2, "gamma": 0.1}},
        "initial_lr": (0.1,),
        "epochs": (
            Epoch(
                1, (0.1,), train_loss=1.5, val_loss=1.25, val_accuracy=0.5, state={"last_epoch": 1}
            ),
            Epoch(2, (0.1,), train_loss=math.nan, val_loss=math.inf, state={"last_epoch": 2}),
            Epoch(3, (0.01,), train_loss=-math.inf, val_loss=0.5, state={"last_epoch": 3}),
        ),
        "final_lr": (0.01,),
        "events": (
            Event(
                2, 0, "reduce", 0.1, 0.01, "epoch 2 is a multiple of step_size 2", {"step_size": 2}
            ),
        ),
    }
    fields.update(changes)
    return Trace(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_value_including_non_finite(tmp_path: Path) -> None:
    trace = make_trace()
    trace.save(tmp_path / "t.json")
    loaded = Trace.load(tmp_path / "t.json")
    assert loaded.to_json() == trace.to_json()
    assert math.isnan(loaded.epochs[1].train_loss or 0.0)
    assert loaded.epochs[1].val_loss == math.inf
    assert loaded.epochs[2].train_loss == -math.inf
    assert loaded.events == trace.events


def test_json_is_strict_with_named_non_finite_numbers() -> None:
    text = make_trace().to_json()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c}"))
    assert data["schema"] == SCHEMA
    assert data["epochs"][1]["train_loss"] == "NaN"
    assert data["epochs"][1]["val_loss"] == "Infinity"
    assert data["epochs"][2]["train_loss"] == "-Infinity"


def test_layout_follows_the_spec() -> None:
    data = json.loads(make_trace().to_json())
    assert list(data) == [
        "schema",
        "meta",
        "experiment",
        "schedule",
        "initial_lr",
        "epochs",
        "final_lr",
        "events",
    ]
    first = data["epochs"][0]
    assert first["epoch"] == 1 and first["lr"] == [0.1] and first["state"] == {"last_epoch": 1}
    assert "metric" not in first  # optional keys are left out when there is nothing to record
    assert data["events"][0]["kind"] == "reduce"


def test_same_trace_gives_identical_bytes() -> None:
    assert make_trace().to_json() == make_trace().to_json()


def test_no_timestamps_or_paths_in_the_file(tmp_path: Path) -> None:
    make_trace().save(tmp_path / "t.json")
    text = (tmp_path / "t.json").read_text()
    assert str(tmp_path) not in text
    assert "time" not in text.lower()


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"schema": "lrviz.trace/3"}', "unsupported trace schema 'lrviz.trace/3'"),
        ('{"epochs": []}', "not an lrviz trace"),
        ("[1, 2]", "not an lrviz trace"),
        ("{not json", "is not JSON"),
        ('{"schema": "lrviz.trace/1", "meta": {}}', "malformed lrviz.trace/1 trace"),
    ],
    ids=["other-version", "no-schema", "not-an-object", "not-json", "missing-keys"],
)
def test_readers_reject_foreign_files_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        Trace.load(path)


def test_missing_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read trace"):
        Trace.load(tmp_path / "nope.json")


def test_unknown_event_kind_is_rejected() -> None:
    data = make_trace().to_dict()
    data["events"][0]["kind"] = "explode"
    with pytest.raises(ValueError, match="unknown event kind 'explode'"):
        Trace.from_dict(data)


def _set(*path: object, value: object) -> Callable[[dict[str, Any]], None]:
    """A change to a trace's plain data: the value at ``path`` becomes ``value``."""

    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _renumber(*numbers: int) -> Callable[[dict[str, Any]], None]:
    """A change to a trace's plain data: its three epochs get these numbers."""

    def change(data: dict[str, Any]) -> None:
        for epoch, number in zip(data["epochs"], numbers, strict=True):
            epoch["epoch"] = number

    return change


MALFORMED = {
    "epoch-infinity": (
        _set("epochs", 0, "epoch", value="Infinity"),
        "epochs item 1: epoch must be a whole number, got 'Infinity'",
    ),
    "epoch-bool": (
        _set("epochs", 0, "epoch", value=True),
        "epochs item 1: epoch must be a whole number, got true",
    ),
    "epoch-float": (
        _set("epochs", 0, "epoch", value=1.7),
        "epochs item 1: epoch must be a whole number, got 1.7",
    ),
    "epoch-missing": (lambda d: d["epochs"][0].pop("epoch"), "epochs item 1: missing key 'epoch'"),
    "epochs-item-null": (
        _set("epochs", 1, value=None),
        "epochs item 2 must be an object, got null",
    ),
    "epochs-item-list": (
        _set("epochs", 1, value=[1, 2]),
        "epochs item 2 must be an object, got a list",
    ),
    "epochs-string": (_set("epochs", value="abc"), "epochs must be a list, got 'abc'"),
    "epochs-object": (_set("epochs", value={"a": 1}), "epochs must be a list, got an object"),
    "epochs-empty": (
        _set("epochs", value=[]),
        "events item 1: the trace has no steps for an event to be at",
    ),
    "epochs-reversed": (
        _renumber(3, 2, 1),
        "epochs item 1 is epoch 3; epochs must be numbered in order, one by one (1, 2, 3, "
        "..., or in a step trace from the epoch a resumed run started at), so it must be 1",
    ),
    "epochs-duplicated": (_renumber(1, 1, 2), "epochs item 2 is epoch 1"),
    "epochs-from-0": (_renumber(0, 1, 2), "epochs item 1 is epoch 0"),
    "epochs-negative": (_renumber(-1, 2, 3), "epochs item 1 is epoch -1"),
    "epochs-gap": (_renumber(1, 2, 4), "epochs item 3 is epoch 4"),
    "schedule-empty": (_set("schedule", value={}), "schedule: missing key 'name'"),
    "schedule-list": (_set("schedule", value=[]), "schedule must be an object, got a list"),
    "schedule-name-number": (
        _set("schedule", "name", value=3),
        "schedule name must be a non-empty string, got 3",
    ),
    "schedule-label-empty": (
        _set("schedule", "label", value=""),
        "schedule label must be a non-empty string, got ''",
    ),
    "schedule-params-null": (
        _set("schedule", "params", value=None),
        "schedule params must be an object, got null",
    ),
    "schedule-params-list": (
        _set("schedule", "params", value=[1]),
        "schedule params must be an object, got a list",
    ),
    "meta-list": (_set("meta", value=[]), "meta must be an object, got a list"),
    "experiment-string": (_set("experiment", value="x"), "experiment must be an object, got 'x'"),
    "initial-lr-empty": (_set("initial_lr", value=[]), "initial_lr is empty"),
    "final-lr-empty": (
        _set("final_lr", value=[]),
        "final_lr has 0 values but the trace has 1 param group",
    ),
    "epoch-lr-empty": (
        _set("epochs", 2, "lr", value=[]),
        "epoch 3: lr has 0 values but the trace has 1 param group",
    ),
    "more-initial-groups": (
        _set("initial_lr", value=[0.1, 0.1]),
        "epoch 1: lr has 1 value but the trace has 2 param groups",
    ),
    "more-epoch-groups": (
        _set("epochs", 1, "lr", value=[0.1, 0.1]),
        "epoch 2: lr has 2 values but the trace has 1 param group",
    ),
    "momentum-groups": (
        _set("epochs", 0, "momentum", value=[0.9, 0.9]),
        "epoch 1: momentum has 2 values but the trace has 1 param group",
    ),
    "lr-bool": (
        _set("epochs", 0, "lr", 0, value=True),
        "epoch 1: lr[0] must be a number, got true",
    ),
    "lr-string": (
        _set("epochs", 0, "lr", 0, value="0.1"),
        "epoch 1: lr[0] must be a number, got '0.1'",
    ),
    "lr-huge-int": (
        _set("initial_lr", 0, value=10**400),
        "initial_lr[0] is too large for a float",
    ),
    "loss-string": (
        _set("epochs", 0, "train_loss", value="1.5"),
        "epoch 1: train_loss must be a number, got '1.5'",
    ),
    "state-null": (_set("epochs", 0, "state", value=None), "epoch 1: state must be an object"),
    "events-null": (_set("events", value=None), "events must be a list, got null"),
    "event-epoch-infinity": (
        _set("events", 0, "epoch", value="Infinity"),
        "events item 1: epoch must be a whole number, got 'Infinity'",
    ),
    "event-epoch-outside": (
        _set("events", 0, "epoch", value=4),
        "events item 1: epoch 4 is not one of the trace's epochs 1-3",
    ),
    "event-group-outside": (
        _set("events", 0, "group", value=1),
        "events item 1: group 1 is not one of the trace's groups 0-0",
    ),
    "event-lr-string": (
        _set("events", 0, "lr_after", value="0.01"),
        "events item 1: lr_after must be a number, got '0.01'",
    ),
}


@pytest.mark.parametrize(("change", "message"), MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_traces_are_rejected_with_one_clear_line(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = json.loads(make_trace().to_json())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        Trace.load(path)
    text = str(raised.value)
    assert text.startswith(f"{str(path)!r}: malformed lrviz.trace/2 trace: ")
    assert "\n" not in text


def test_non_finite_names_are_still_accepted_as_rates() -> None:
    data = make_trace().to_dict()
    data["epochs"][0]["lr"] = ["NaN"]
    data["final_lr"] = ["Infinity"]
    trace = Trace.from_dict(data)
    assert math.isnan(trace.epochs[0].lr[0]) and trace.final_lr == (math.inf,)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000, "is not an lrviz trace: one starts with"),
        ('{"a":' * 100_000, "is nested too deeply"),
        ('{"schema": "lrviz.trace/1", "x": ' + "1" * 5000 + "}", "is not JSON: Exceeds the limit"),
        ('{"schema": "lrviz.trace/1", "x": NaN}', 'bare NaN is not strict JSON; .* string "NaN"'),
        ('{"schema": "lrviz.trace/1", "x": -Infinity}', "bare -Infinity is not strict JSON"),
    ],
    ids=["deep-array", "deep-object", "huge-integer", "bare-nan", "bare-infinity"],
)
def test_unparsable_json_is_a_value_error_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as raised:
        Trace.load(path)
    assert str(raised.value).startswith(repr(str(path)))


def test_deeply_nested_data_is_a_value_error() -> None:
    data = make_trace().to_dict()
    for _ in range(100_000):
        data["meta"] = {"x": data["meta"]}
    with pytest.raises(ValueError, match="trace: nested too deeply"):
        Trace.from_dict(data)


def test_save_is_atomic_and_leaves_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    path.write_text("previous")

    def interrupted(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("lrviz.trace.os.replace", interrupted)
    with pytest.raises(OSError, match="disk full"):
        make_trace().save(path)
    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_save_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    umask = os.umask(0o022)
    try:
        make_trace().save(new)
        old.write_text("previous")
        old.chmod(0o640)
        make_trace().save(old)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644  # not mkstemp's 0o600
    assert stat.S_IMODE(old.stat().st_mode) == 0o640


def test_save_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("previous")
    link.symlink_to(target)
    make_trace().save(link)
    assert link.is_symlink() and Trace.load(target) == make_trace()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "target.json"]


def test_save_to_a_pipe_writes_into_it_instead_of_replacing_it(tmp_path: Path) -> None:
    """As /dev/stdout or /dev/null would be: a rename would put a regular file in their
    place (as root, even in /dev)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    make_trace().save(fifo)
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received == [make_trace().to_json()]


def test_rates_are_the_applied_rates_then_final_lr() -> None:
    assert make_trace().rates() == [0.1, 0.1, 0.01, 0.01]


def test_diverged_epoch_is_the_first_non_finite_loss() -> None:
    assert make_trace().diverged_epoch == 2
    assert make_trace(epochs=make_trace().epochs[:1]).diverged_epoch is None
