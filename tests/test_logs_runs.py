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
