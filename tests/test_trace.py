"""The trace format (SPEC §3): strict, deterministic JSON that round-trips."""

from __future__ import annotations

import json
import math
import os
import stat
import threading
from pathlib import Path

import pytest

from lrviz.trace import SCHEMA, Epoch, Event, Trace


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
        ('{"schema": "lrviz.trace/2"}', "unsupported trace schema 'lrviz.trace/2'"),
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
