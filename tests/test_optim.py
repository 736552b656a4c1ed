"""lrviz.optim.Adam is torch.optim.Adam, bit for bit, while the real schedulers drive it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lrviz.optim import Adam


def _model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 2))


@pytest.mark.parametrize("betas, eps", [((0.9, 0.999), 1e-8), ((0.5, 0.9), 1e-3)])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_parameter_equals_torch_adam_after_every_step(
    seed: int, betas: tuple[float, float], eps: float
) -> None:
    ours, theirs = _model(seed), _model(seed)
    opt_ours = Adam(ours.parameters(), [0.05], betas=betas, eps=eps)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=0.05, betas=betas, eps=eps)
    sched_ours = torch.optim.lr_scheduler.StepLR(opt_ours, step_size=7, gamma=0.3)
    sched_theirs = torch.optim.lr_scheduler.StepLR(opt_theirs, step_size=7, gamma=0.3)
    generator = torch.Generator().manual_seed(seed)
    for step in range(1, 41):
        x = torch.randn(16, 5, generator=generator)
        for model, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
        sched_ours.step()
        sched_theirs.step()
        for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert torch.equal(a, b), f"parameters differ after step {step}"
        assert opt_ours.param_groups[0]["lr"] == opt_theirs.param_groups[0]["lr"]


def test_zero_grad_forgets_gradients_like_torch() -> None:
    model = _model(0)
    opt = Adam(model.parameters(), [0.1])
    model(torch.ones(1, 5)).sum().backward()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_a_param_less_adam_is_a_rate_holder_schedulers_accept() -> None:
    holder = Adam([], [0.1, 0.2])
    scheduler = torch.optim.lr_scheduler.ExponentialLR(holder, gamma=0.5)
    holder.step()
    scheduler.step()
    assert [g["lr"] for g in holder.param_groups] == [0.05, 0.1]


def test_needs_a_rate() -> None:
    with pytest.raises(ValueError, match="at least one param group"):
        Adam([], [])
