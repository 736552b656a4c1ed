"""Building real torch schedulers from resolved parameters."""

from __future__ import annotations

import torch.optim.lr_scheduler as lr_scheduler

from lrviz.resolve import resolve
from lrviz.schedules import BUILDABLE
from lrviz.spec import parse_spec
from lrviz.torchbridge import build

SIMPLE = [k for k in BUILDABLE if not k.composite]


def test_build_composites_on_one_optimizer() -> None:
    from lrviz.optim import Adam

    spec = parse_spec(
        'SequentialLR:schedulers=["constant:factor=0.5","exp:gamma=0.9"],milestones=[3]'
    )
    optimizer = Adam([], [0.1, 0.2])
    scheduler = build(spec.kind, resolve(spec, 10, [0.1, 0.2]), optimizer)
    assert isinstance(scheduler, lr_scheduler.SequentialLR)
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.1]
