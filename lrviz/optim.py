"""Adam with torch's exact arithmetic, as a ``torch.optim.Optimizer`` the real schedulers drive.

``torch.optim.Adam(...)`` imports ``torch._dynamo`` on construction, which costs more
than a second, longer than the lesson's whole training. This class skips
``Optimizer.__init__`` (the part that imports it) and performs, op for op, what torch
2.x's default single-tensor Adam does on CPU, so every parameter stays bit-for-bit
equal to ``torch.optim.Adam`` (``tests/test_optim.py`` checks that after every step).
It is still an ``Optimizer``, so the real ``torch.optim.lr_scheduler`` classes accept
it and set the rates in its ``param_groups``. With no parameters it is the dummy
optimizer that ``simulate`` drives schedules on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import torch


class Adam(torch.optim.Optimizer):
    """Adam(lr, betas=(0.9, 0.999), eps=1e-8), no weight decay, no amsgrad.

    Args:
        params: Tensors to optimise (one param group per entry of ``lrs``; all go in
            the first group), or empty for a rate holder.
        lrs: The initial rate of each param group.
        betas: Adam's coefficients, as in torch.
        eps: Adam's denominator term, as in torch.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lrs: Sequence[float],
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        if not lrs:
            raise ValueError("need at least one param group rate")
        self.defaults = {"lr": lrs[0], "betas": betas, "eps": eps}
        self.state: defaultdict[torch.Tensor, Any] = defaultdict(dict)
        self.param_groups = [{"params": [], "lr": lr, "betas": betas, "eps": eps} for lr in lrs]
        self.param_groups[0]["params"] = list(params)
        self._steps = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients, as torch's default ``zero_grad`` does."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        """One Adam update with each group's current ``lr``."""
        self._steps += 1
        # torch keeps the count in a float32 tensor and reads it back with .item().
        step = float(self._steps)
        for group in self.param_groups:
            if not group["params"]:  # a rate holder: nothing to update, nothing to compute
                continue
            beta1, beta2 = group["betas"]
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            step_size = group["lr"] / bias_correction1
            bias_correction2_sqrt = bias_correction2**0.5
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg, exp_avg_sq, grad = state["exp_avg"], state["exp_avg_sq"], p.grad
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
                p.addcdiv_(exp_avg, denom, value=-step_size)
