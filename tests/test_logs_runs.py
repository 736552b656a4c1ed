"""Which tags are learning rates, and how one optimizer's param groups are gathered."""

from __future__ import annotations

import pytest

from lrviz.logs._runs import is_rate, optimizers

RATES = [
    "lr",
    "train/lr",
    "LR",
    "learning_rate",
    "train/learning_rate",
    "lr-AdamW",
    "lr-AdamW/pg1",
    "lr-SGD-1",
    "my_lr",
    "optim/lr_group0",
]
NOT_RATES = [
    "loss",
    "eval/loss",
    "lr-AdamW-momentum",
    "lr-SGD/pg2-weight_decay",
    "flr",
    "lrate",
    "grad_norm",
    "epoch",
]


@pytest.mark.parametrize("tag", RATES)
def test_rate_tags(tag: str) -> None:
    assert is_rate(tag)


@pytest.mark.parametrize("tag", NOT_RATES)
def test_other_tags(tag: str) -> None:
    assert not is_rate(tag)


def test_param_groups_of_one_optimizer_are_one_trace_in_group_order() -> None:
    tags = ["lr-AdamW/pg10", "lr-AdamW/pg2", "lr-AdamW/pg1", "lr-SGD", "lr"]
    assert optimizers(tags) == {
        "lr": ["lr"],
        "lr-AdamW": ["lr-AdamW/pg1", "lr-AdamW/pg2", "lr-AdamW/pg10"],
        "lr-SGD": ["lr-SGD"],
    }


def test_logged_step_numbers_round_trip_and_must_increase() -> None:
    from lrviz.logs._runs import Run, to_traces
    from lrviz.trace import Trace

    run = Run(name="r", scalars={"lr": {10: 0.1, 20: 0.05, 40: 0.025}})
    (trace,) = to_traces(run, "csv", "r.csv")
    data = trace.to_dict()
    assert data["steps"]["at"] == [10, 20, 40]
    assert Trace.from_dict(data) == trace
    data["steps"]["at"] = [10, 40, 20]
    with pytest.raises(ValueError, match="steps at must be increasing step numbers"):
        Trace.from_dict(data)
    data["steps"]["at"] = [10, 20]
    with pytest.raises(ValueError, match=r"steps at has 2 values, not one per step \(3\)"):
        Trace.from_dict(data)
