"""What a trace keeps of a framework's run beyond rates: every logged scalar at its steps
(``Trace.logged``, written and read back), and the rank of a distributed run, which
decides who writes (``Trace.save``)."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import lrviz
from lrviz.columns import PACKED_FROM
from lrviz.trace import Logged


def a_trace(**meta: object) -> lrviz.Trace:
    trace = lrviz.Trace.from_rates([0.1, 0.1, 0.01, 0.01])
    return replace(trace, meta={**trace.meta, **meta})


def test_logged_scalars_round_trip(tmp_path: Path) -> None:
    long = PACKED_FROM + 1  # a long column is packed, and read back the same
    trace = replace(
        a_trace(),
        logged={
            "val/acc": Logged(at=(1, 3), value=(0.5, math.nan)),
            "loss_step": Logged(at=tuple(k % 4 for k in range(long)), value=(0.25,) * long),
            "lr-SGD": Logged(at=(0, 1, 2, 3), value=(0.1, 0.1, 0.01, 0.01)),
        },
    )
    trace.save(tmp_path / "t.json")
    back = lrviz.Trace.load(tmp_path / "t.json")
    assert back.logged.keys() == trace.logged.keys()
    assert back.logged["val/acc"].at == (1, 3) and math.isnan(back.logged["val/acc"].value[1])
    assert back.logged["loss_step"] == trace.logged["loss_step"]
    assert back.logged["lr-SGD"] == trace.logged["lr-SGD"]
    assert back.to_json() == trace.to_json()


def test_a_trace_without_logged_scalars_writes_none() -> None:
    assert "logged" not in a_trace().to_dict()


@pytest.mark.parametrize(
    ("logged", "message"),
    [
        ({"x": {"at": [4], "value": [1.0]}}, "logged 'x' at[0] must be from 0 to 3, got 4"),
        ({"x": {"at": [1, 2], "value": [1.0]}}, "logged 'x' has 1 value but 2 steps"),
        ({"x": {"at": [1], "value": ["a"]}}, "logged 'x' value[0] must be a number"),
        ({"x": {"value": [1.0]}}, "logged 'x': missing key 'at'"),
        ({"x": [1.0]}, "logged 'x' must be an object"),
    ],
)
def test_malformed_logged_scalars_are_refused(logged: object, message: str) -> None:
    data = a_trace().to_dict() | {"logged": logged}
    with pytest.raises(ValueError, match="malformed") as raised:
        lrviz.Trace.from_dict(data)
    assert message in str(raised.value)


class Distributed:
    """``torch.distributed`` as a process of a distributed run sees it."""

    def __init__(self, rank: int) -> None:
        self.rank = rank

    def is_available(self) -> bool:
        return True

    def is_initialized(self) -> bool:
        return True

    def get_rank(self) -> int:
        return self.rank


def test_any_trace_is_saved_outside_a_distributed_run(tmp_path: Path) -> None:
    assert a_trace().save(tmp_path / "a.json") is True
    # A trace recorded on rank 1 and saved later, by one process: nothing lost.
    assert a_trace(world_size=2, rank=1).save(tmp_path / "b.json") is True
    assert a_trace(world_size=2, rank=1).save(tmp_path / "c-{rank}.json") is True
    assert lrviz.Trace.load(tmp_path / "b.json").meta["world_size"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "c-1.json"]


def test_rank_zero_saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch.distributed", Distributed(0))
    assert a_trace(world_size=2, rank=0).save(tmp_path / "trace.json") is True
    assert a_trace(world_size=2, rank=0).save(tmp_path / "trace-{rank}.json") is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace-0.json", "trace.json"]


def test_another_rank_saves_only_to_a_path_naming_its_rank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch.distributed", Distributed(1))
    trace = a_trace(world_size=2, rank=1)
    assert trace.save(tmp_path / "trace.json") is False
    assert trace.save(tmp_path / "trace-{rank}.json") is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace-1.json"]
    assert lrviz.Trace.load(tmp_path / "trace-1.json").meta["rank"] == 1
