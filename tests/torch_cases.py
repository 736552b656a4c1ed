"""Torch's own scheduler test cases, as data.

Transcribed from pytorch/pytorch ``test/optim/test_lrscheduler.py`` (class
``TestLRScheduler``; stored copy at commit 01f9ef32eae5ef513002dd44902c23cbe6be3aae),
checked against the torch in this venv by ``tests/test_torch_cases.py``. Where torch's
test computes its targets with a list comprehension, the same formula is written here.

Convention (what ``targets[g][k]`` means)
-----------------------------------------
``targets[g][k]`` is ``optimizer.param_groups[g]["lr"]`` after ``offset + k`` calls of
``scheduler.step()``, each preceded by ``optimizer.step()`` as in a training loop.
``momentum_targets[g][k]`` is that group's ``"momentum"`` (SGD) or ``"betas"[0]`` (Adam)
at the same moment. Torch's helpers differ, so each case carries its ``offset``:

* ``offset == 0``: torch's ``_test``, ``_test_cycle_lr`` and ``_test_get_last_lr`` check
  the rate, then step. ``targets[g][k]`` is the rate applied during epoch k+1, i.e.
  BEFORE the (k+1)-th step: lrviz's ``trace.epochs[k].lr[g]``.
* ``offset == 1``: torch's ``_test_reduce_lr_on_plateau``, ``_test_with_epoch`` and the
  CosineAnnealingWarmRestarts ``step(epoch)`` helpers step, then check. ``targets[g][k]``
  is the rate AFTER the (k+1)-th step: lrviz's ``trace.epochs[k + 1].lr[g]``, or
  ``trace.final_lr[g]`` after the last step.

In both cases ``targets[g][k] == trace.rates(g)[offset + k]`` for a trace of ``epochs``
epochs (``Trace.rates`` is the epochs' rates followed by ``final_lr``). Cases with
``step_epochs`` pass ``step_epochs[k]`` to the (k+1)-th ``scheduler.step(epoch)`` call
(torch's deprecated epoch argument), which an lrviz trace never does.

Each target list holds exactly the values torch's test checks: where torch writes a
longer list than its loop reads (e.g. ``test_step_lr``: 12 values, 10 checked), it is cut
to the checked ones. ``targets`` may cover fewer groups than the optimizer has: torch
zips the groups with the targets (the ReduceLROnPlateau tests check only group 0).

Optimizer
---------
``optimizer`` is ``{"name": "SGD" | "Adam", "groups": [{"lr": ...}, ...]}`` plus any
constructor keyword arguments. Torch's ``setUp`` builds
``SGD([{conv1 params}, {conv2 params, "lr": torch.tensor(0.5)}], lr=0.05)`` (SGD's
default momentum is 0): a group with ``"tensor_lr": True`` has its rate passed as a 0-d
tensor. Each group holds the parameters of one ``Conv2d(1, 1, 1)``; parameters never
affect the rates (no gradients). Where torch's test overwrites ``param_groups[g]["lr"]``
before building the scheduler (plateau, LambdaLR, MultiplicativeLR), the groups are
written with the rates it sets, which are plain floats.

Schedulers
----------
``scheduler`` is a ``torch.optim.lr_scheduler`` class name and ``kwargs`` its arguments
besides the optimizer. Children of SequentialLR and ChainedScheduler are
``{"name": ..., "kwargs": ...}``, built in list order before their parent, as torch's
tests build them. ``scheduler == COMPOUND`` is torch's ``test_compound_*`` pattern: no
wrapper object; the children in ``kwargs["schedulers"]`` are built in order on the same
optimizer and each ``step()`` in order every epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

COMPOUND = "compound"
"""Pseudo scheduler name: a plain list of schedulers stepped one after another."""

SOURCE_COMMIT = "01f9ef32eae5ef513002dd44902c23cbe6be3aae"
"""The pytorch/pytorch commit of the test file these cases come from."""

Rates = list[list[float]]


@dataclass(frozen=True)
class TorchCase:
    """One of torch's scheduler test cases.

    Attributes:
        id: Readable, unique test id.
        source: The torch test function it comes from.
        scheduler: Class name in ``torch.optim.lr_scheduler``, or ``COMPOUND``.
        kwargs: Constructor arguments besides the optimizer.
        optimizer: How torch's test builds the optimizer (see the module docstring).
        epochs: How many times torch's test calls ``scheduler.step()``.
        targets: Expected rate per group per check (see the module docstring).
        metrics: ReduceLROnPlateau: ``metrics[k]`` is passed to the (k+1)-th step.
        momentum_targets: Expected momentum (SGD) or beta1 (Adam), like ``targets``.
        offset: Steps taken before ``targets[g][0]`` is checked (0 or 1).
        step_epochs: Values passed as ``scheduler.step(epoch)``, else None.
    """

    id: str
    source: str
    scheduler: str
    kwargs: dict[str, Any]
    optimizer: dict[str, Any]
    epochs: int
    targets: Rates
    metrics: list[float] | None = None
    momentum_targets: Rates | None = None
    offset: int = 0
    step_epochs: list[float] | None = None


# --- the optimizers of torch's tests -------------------------------------------------

# setUp: SGD([{conv1}, {conv2, "lr": torch.tensor(0.5)}], lr=0.05).
SGD_SETUP: dict[str, Any] = {
    "name": "SGD",
    "groups": [{"lr": 0.05}, {"lr": 0.5, "tensor_lr": True}],
}
# setUp, then `for param_group in self.opt.param_groups: param_group["lr"] = 0.5`.
SGD_PLATEAU: dict[str, Any] = {"name": "SGD", "groups": [{"lr": 0.5}, {"lr": 0.5}]}
# setUp, then param_groups[0]["lr"] = 0.05 and param_groups[1]["lr"] = 0.4.
SGD_LAMBDA: dict[str, Any] = {"name": "SGD", "groups": [{"lr": 0.05}, {"lr": 0.4}]}
# Adam([{conv1}, {conv2, "lr": 0.5}], lr=0.05).
ADAM_TWO_GROUPS: dict[str, Any] = {"name": "Adam", "groups": [{"lr": 0.05}, {"lr": 0.5}]}


def _child(name: str, **kwargs: Any) -> dict[str, Any]:
    return {"name": name, "kwargs": kwargs}


def _two(single: list[float]) -> Rates:
    """Targets for setUp's groups: torch writes group 1 as ``[x * 10 for x in single]``
    (spelled ``x * epochs`` with epochs = 10; 0.5 / 0.05 = 10)."""
    return [single, [x * 10 for x in single]]


def _case(
    id: str,
    source: str,
    scheduler: str,
    kwargs: dict[str, Any],
    optimizer: dict[str, Any],
    epochs: int,
    targets: Rates,
    *,
    checked: int | None = None,
    momentum_targets: Rates | None = None,
    **more: Any,
) -> TorchCase:
    """A case whose target lists are cut to the ``checked`` values torch reads (epochs)."""
    n = epochs if checked is None else checked
    return TorchCase(
        id=id,
        source=source,
        scheduler=scheduler,
        kwargs=kwargs,
        optimizer=optimizer,
        epochs=epochs,
        targets=[list(t[:n]) for t in targets],
        momentum_targets=None
        if momentum_targets is None
        else [list(t[:n]) for t in momentum_targets],
        **more,
    )


def _cos(lr: float, t: float, period: float, eta_min: float = 1e-10) -> float:
    """Torch's cosine target: eta_min + (lr - eta_min) * (1 + cos(pi * t / period)) / 2."""
    return eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


# --- LambdaLR and MultiplicativeLR: torch's lambdas, named ----------------------------


def pow_0_9(epoch: int) -> float:
    """``lambda x1: 0.9**x1`` of test_lambda_lr."""
    return 0.9**epoch


def pow_0_8(epoch: int) -> float:
    """``lambda x2: 0.8**x2`` of test_lambda_lr."""
    return 0.8**epoch


def times_0_9(epoch: int) -> float:
    """``lambda x1: 0.9`` of test_multiplicative_lr."""
    return 0.9


def times_0_8(epoch: int) -> float:
    """``lambda x2: 0.8`` of test_multiplicative_lr."""
    return 0.8


# --- StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, cosine ---

_STEP_3 = [0.05] * 3 + [0.005] * 3 + [0.0005] * 3 + [0.00005] * 3
_MULTISTEP_2_5_9 = [0.05] * 2 + [0.005] * 3 + [0.0005] * 4 + [0.00005] * 3
_CONSTANT_HALF_5 = [0.025] * 5 + [0.05] * 5


def _linear(start: float, end: float, iters: int, epochs: int = 10) -> list[float]:
    interpolation = [start + i * (end - start) / iters for i in range(iters)]
    return [x * 0.05 for x in interpolation] + [0.05 * end] * (epochs - iters)


def _poly(lr: float, power: float = 0.9, total_iters: int = 5, epochs: int = 10) -> list[float]:
    return [lr * (1.0 - x / total_iters) ** power for x in range(total_iters)] + [0.0] * (
        epochs - total_iters
    )


_COSINE_10 = [_cos(0.05, x, 10) for x in range(10)]

BASIC: list[TorchCase] = [
    _case(
        "StepLR-gamma0.1-step3",
        "test_step_lr",
        "StepLR",
        {"gamma": 0.1, "step_size": 3},
        SGD_SETUP,
        10,
        _two(_STEP_3),
    ),
    _case(
        "StepLR-gamma0.1-step3-1group-lr0.1-get_last_lr",
        "test_get_last_lr_step_lr",
        "StepLR",
        {"step_size": 3, "gamma": 0.1},
        {"name": "SGD", "groups": [{"lr": 0.1}]},
        10,
        [[0.1] * 3 + [0.01] * 3 + [0.001] * 3 + [0.0001]],
    ),
    _case(
        "MultiStepLR-gamma0.1-m2,5,9",
        "test_multi_step_lr",
        "MultiStepLR",
        {"gamma": 0.1, "milestones": [2, 5, 9]},
        SGD_SETUP,
        10,
        _two(_MULTISTEP_2_5_9),
    ),
    _case(
        "MultiStepLR-gamma0.1-m2,5,9-step(epoch)",
        "test_multi_step_lr_with_epoch",
        "MultiStepLR",
        {"gamma": 0.1, "milestones": [2, 5, 9]},
        SGD_SETUP,
        10,
        _two(_MULTISTEP_2_5_9),
        offset=1,
        step_epochs=list(range(10)),
    ),
    _case(
        "MultiStepLR-gamma0.1-m2,5,9-get_last_lr",
        "test_get_last_lr_multi_step_lr",
        "MultiStepLR",
        {"gamma": 0.1, "milestones": [2, 5, 9]},
        SGD_SETUP,
        10,
        _two([0.05] * 2 + [0.005] * 3 + [0.0005] * 4 + [0.00005] * 1),
    ),
    _case(
        "ConstantLR-factor0.5-iters5",
        "test_constantlr",
        "ConstantLR",
        {"factor": 1.0 / 2, "total_iters": 5},
        SGD_SETUP,
        10,
        _two(_CONSTANT_HALF_5),
    ),
    _case(
        "ConstantLR-factor0.5-iters5-step(epoch)",
        "test_constantlr_with_epoch",
        "ConstantLR",
        {"factor": 1.0 / 2, "total_iters": 5},
        SGD_SETUP,
        10,
        _two(_CONSTANT_HALF_5),
        offset=1,
        step_epochs=list(range(10)),
    ),
    _case(
        "ConstantLR-factor0.5-iters5-get_last_lr",
        "test_get_last_lr_constantlr",
        "ConstantLR",
        {"factor": 1.0 / 2, "total_iters": 5},
        SGD_SETUP,
        10,
        _two(_CONSTANT_HALF_5),
    ),
    _case(
        "LinearLR-start0.5-iters4",
        "test_linearlr",
        "LinearLR",
        {"start_factor": 1.0 / 2, "total_iters": 4},
        SGD_SETUP,
        10,
        _two(_linear(1.0 / 2, 1.0, 4)),
    ),
    _case(
        "LinearLR-start0.5-iters4-step(epoch)",
        "test_linearlr_with_epoch",
        "LinearLR",
        {"start_factor": 1.0 / 2, "total_iters": 4},
        SGD_SETUP,
        10,
        _two(_linear(1.0 / 2, 1.0, 4)),
        offset=1,
        step_epochs=list(range(10)),
    ),
    _case(
        "LinearLR-start0.25-end0.6-iters4-get_last_lr",
        "test_get_last_lr_linearlr",
        "LinearLR",
        {"start_factor": 1.0 / 4, "end_factor": 3.0 / 5, "total_iters": 4},
        SGD_SETUP,
        10,
        _two(_linear(1.0 / 4, 3.0 / 5, 4)),
    ),
    _case(
        "ExponentialLR-gamma0.9",
        "test_exp_lr",
        "ExponentialLR",
        {"gamma": 0.9},
        SGD_SETUP,
        10,
        _two([0.05 * 0.9**x for x in range(10)]),
    ),
    _case(
        "PolynomialLR-power0.9-iters5",
        "test_poly_lr",
        "PolynomialLR",
        {"power": 0.9, "total_iters": 5},
        SGD_SETUP,
        10,
        _two(_poly(0.05)),
    ),
    _case(
        "CosineAnnealingLR-Tmax10-eta1e-10",
        "test_cos_anneal_lr",
        "CosineAnnealingLR",
        {"T_max": 10, "eta_min": 1e-10},
        SGD_SETUP,
        10,
        _two(_COSINE_10),
    ),
]


# --- CosineAnnealingWarmRestarts --------------------------------------------------------


def _warm_restarts(T_mult: int, iters: int = 100) -> Rates:
    """test_CosineAnnealingWarmRestarts_lr1: plain step(), T_0 = 10."""
    T_i, T_cur = 10, 0
    targets: Rates = [[0.05], [0.5]]
    for _ in range(1, iters):
        T_cur += 1
        if T_cur >= T_i:
            T_cur = T_cur - T_i
            T_i = int(T_mult) * T_i
        targets[0].append(_cos(0.05, T_cur, T_i))
        targets[1].append(_cos(0.5, T_cur, T_i))
    return targets


# test_CosineAnnealingWarmRestarts_lr2 steps with
# [round(e.item(), 1) for e in torch.arange(0, 30, 0.1)] (300 values) and computes its
# targets over torch.arange(0.1, 30, 0.1) (299 values); tests/test_torch_cases.py checks
# that these plain-Python spellings equal torch's.
_TENTHS_TO_30 = [round(k * 0.1, 1) for k in range(300)]


def _warm_restarts_tenths(T_mult: int) -> Rates:
    """test_CosineAnnealingWarmRestarts_lr2: step(epoch) every 0.1 epoch, T_0 = 10."""
    T_i, T_cur = 10, 0.0
    targets: Rates = [[0.05], [0.5]]
    for _ in range(299):
        T_cur = round(T_cur + 0.1, 1)
        if T_cur >= T_i:
            T_cur = T_cur - T_i
            T_i = int(T_mult) * T_i
        targets[0].append(_cos(0.05, T_cur, T_i))
        targets[1].append(_cos(0.5, T_cur, T_i))
    return targets


# test_CosineAnnealingWarmRestarts_lr3: interleaved step(epoch) values and the T_cur and
# T_i torch expects after each, for T_mult = 1, 2, 3.
_INTERLEAVED: list[tuple[int, list[float], list[float], list[int]]] = [
    (
        1,
        [0, 1, 2, 3, 4, 5, 12, 27, 3, 4, 5, 6, 13],
        [1, 2, 3, 4, 5, 2, 7, 3, 4, 5, 6, 3],
        [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
    ),
    (
        2,
        [0, 1, 2, 3, 4, 5, 25, 32, 33, 34, 80, 81, 3],
        [1, 2, 3, 4, 5, 15, 2, 3, 4, 10, 11, 3],
        [10, 10, 10, 10, 10, 20, 40, 40, 40, 80, 80, 10],
    ),
    (
        3,
        [0, 0.1, 0.2, 0.3, 1.3, 2.3, 17.5, 18.5, 19.5, 29.5, 30.5, 31.5, 50],
        [0.1, 0.2, 0.3, 1.3, 2.3, 7.5, 8.5, 9.5, 19.5, 20.5, 21.5, 10],
        [10, 10, 10, 10, 10, 30, 30, 30, 30, 30, 30, 90],
    ),
]

WARM_RESTARTS: list[TorchCase] = (
    [
        _case(
            f"CosineAnnealingWarmRestarts-T0_10-Tmult{T_mult}-eta1e-10",
            "test_CosineAnnealingWarmRestarts_lr1",
            "CosineAnnealingWarmRestarts",
            {"T_0": 10, "T_mult": T_mult, "eta_min": 1e-10},
            SGD_SETUP,
            100,
            _warm_restarts(T_mult),
        )
        for T_mult in (1, 2, 4)
    ]
    + [
        _case(
            f"CosineAnnealingWarmRestarts-T0_10-Tmult{T_mult}-eta1e-10-step(epoch/10)",
            "test_CosineAnnealingWarmRestarts_lr2",
            "CosineAnnealingWarmRestarts",
            {"T_0": 10, "T_mult": T_mult, "eta_min": 1e-10},
            SGD_SETUP,
            len(_TENTHS_TO_30),
            _warm_restarts_tenths(T_mult),
            offset=1,
            step_epochs=list(_TENTHS_TO_30),
        )
        for T_mult in (1, 2, 4)
    ]
    + [
        _case(
            f"CosineAnnealingWarmRestarts-T0_10-Tmult{T_mult}-eta1e-10-step(interleaved)",
            "test_CosineAnnealingWarmRestarts_lr3",
            "CosineAnnealingWarmRestarts",
            {"T_0": 10, "T_mult": T_mult, "eta_min": 1e-10},
            SGD_SETUP,
            len(epochs),
            [
                [0.05] + [_cos(0.05, t, i) for t, i in zip(T_curs, T_is, strict=True)],
                [0.5] + [_cos(0.5, t, i) for t, i in zip(T_curs, T_is, strict=True)],
            ],
            offset=1,
            step_epochs=epochs,
        )
        for T_mult, epochs, T_curs, T_is in _INTERLEAVED
    ]
)


# --- ReduceLROnPlateau: torch's helper steps with metrics[k], then checks (offset 1) ---


def _plateau(
    id: str,
    source: str,
    kwargs: dict[str, Any],
    epochs: int,
    targets: Rates,
    metrics: list[float],
) -> TorchCase:
    return _case(
        id,
        source,
        "ReduceLROnPlateau",
        kwargs,
        SGD_PLATEAU,
        epochs,
        targets,
        offset=1,
        metrics=list(metrics[:epochs]),
    )


PLATEAU: list[TorchCase] = [
    _plateau(
        "ReduceLROnPlateau-min-abs0.01-patience5-cooldown5",
        "test_reduce_lr_on_plateau1",
        {"threshold_mode": "abs", "mode": "min", "threshold": 0.01, "patience": 5, "cooldown": 5},
        10,
        [[0.5] * 20],
        [10 - i * 0.0167 for i in range(20)],
    ),
    _plateau(
        "ReduceLROnPlateau-min-abs0.1-patience5-cooldown0",
        "test_reduce_lr_on_plateau2",
        {"patience": 5, "cooldown": 0, "threshold_mode": "abs", "mode": "min", "threshold": 0.1},
        22,
        [[0.5] * 6 + [0.05] * 7 + [0.005] * 7 + [0.0005] * 2],
        [10 - i * 0.0165 for i in range(22)],
    ),
    _plateau(
        "ReduceLROnPlateau-max-abs1e-4-patience5-cooldown5",
        "test_reduce_lr_on_plateau3",
        {"mode": "max", "patience": 5, "cooldown": 5, "threshold_mode": "abs"},
        22,
        [[0.5] * (2 + 6) + [0.05] * (5 + 6) + [0.005] * 4],
        [-0.8] * 2 + [-0.234] * 20,
    ),
    _plateau(
        "ReduceLROnPlateau-max-rel0.1-patience3",
        "test_reduce_lr_on_plateau4",
        {"mode": "max", "patience": 3, "threshold_mode": "rel", "threshold": 0.1},
        20,
        [[0.5] * 20],
        [1.5 * (1.025**i) for i in range(20)],  # 1.025 > 1.1**0.25
    ),
    _plateau(
        "ReduceLROnPlateau-max-rel0.1-patience5-cooldown5",
        "test_reduce_lr_on_plateau5",
        {"mode": "max", "threshold_mode": "rel", "threshold": 0.1, "patience": 5, "cooldown": 5},
        20,
        [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4],
        [1.5 * (1.005**i) for i in range(20)],
    ),
    _plateau(
        "ReduceLROnPlateau-min-rel0.1-patience10",
        "test_reduce_lr_on_plateau6",
        {"mode": "min", "threshold_mode": "rel", "threshold": 0.1},
        20,
        [[0.5] * 20],
        [1.5 * (0.85**i) for i in range(20)],
    ),
    _plateau(
        "ReduceLROnPlateau-min-rel0.1-patience5-cooldown5",
        "test_reduce_lr_on_plateau7",
        {"mode": "min", "threshold_mode": "rel", "threshold": 0.1, "patience": 5, "cooldown": 5},
        20,
        [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4],
        [1] * 7 + [0.6] + [0.5] * 12,
    ),
    _plateau(
        "ReduceLROnPlateau-max-rel0.1-patience5-cooldown5-min_lr0.4,0.3",
        "test_reduce_lr_on_plateau8",
        {
            "mode": "max",
            "threshold_mode": "rel",
            "min_lr": [0.4, 0.3],
            "threshold": 0.1,
            "patience": 5,
            "cooldown": 5,
        },
        20,
        [[0.5] * 6 + [0.4] * 14, [0.5] * 6 + [0.3] * 14],
        [1.5 * (1.005**i) for i in range(20)],
    ),
]


# --- SequentialLR -------------------------------------------------------------------

_SEQUENTIAL_3 = [0.005] * 3 + [0.05, 0.04, 0.032] + [0.05, 0.05, 0.005, 0.005, 0.0005, 0.0005]

SEQUENTIAL: list[TorchCase] = [
    _case(
        "SequentialLR-Exp0.8-Step0.1x4-m3",
        "test_sequentiallr1",
        "SequentialLR",
        {
            "schedulers": [
                _child("ExponentialLR", gamma=0.8),
                _child("StepLR", gamma=0.1, step_size=4),
            ],
            "milestones": [3],
        },
        SGD_SETUP,
        19,
        [
            [0.05, 0.04, 0.032]
            + [0.05 for x in range(4)]
            + [0.05 * 0.1 for x in range(4)]
            + [0.05 * 0.01 for x in range(4)]
            + [0.05 * 0.001 for x in range(4)]
        ],
    ),
    _case(
        "SequentialLR-Constant0.1x3-Exp0.9-m3",
        "test_sequentiallr2",
        "SequentialLR",
        {
            "schedulers": [
                _child("ConstantLR", factor=0.1, total_iters=3),
                _child("ExponentialLR", gamma=0.9),
            ],
            "milestones": [3],
        },
        SGD_SETUP,
        13,
        [[0.005, 0.005, 0.005] + [0.05 * 0.9**x for x in range(10)]],
    ),
    _case(
        "SequentialLR-Constant0.1x3-Exp0.8-Step0.1x2-m3,6",
        "test_sequentiallr3",
        "SequentialLR",
        {
            "schedulers": [
                _child("ConstantLR", factor=0.1, total_iters=3),
                _child("ExponentialLR", gamma=0.8),
                _child("StepLR", gamma=0.1, step_size=2),
            ],
            "milestones": [3, 6],
        },
        SGD_SETUP,
        12,
        [_SEQUENTIAL_3],
    ),
    _case(
        "SequentialLR-Constant1-Constant0.1-m10-initial",
        "test_sequentiallr4",
        "SequentialLR",
        {
            "schedulers": [_child("ConstantLR", factor=1), _child("ConstantLR", factor=0.1)],
            "milestones": [10],
        },
        {"name": "SGD", "groups": [{"lr": 0.1}]},
        0,
        [[0.1]],  # building SequentialLR leaves the rate as it was
        checked=1,
    ),
    _case(
        # Torch builds ConstantLR before LinearLR, then chains [LinearLR, ConstantLR];
        # both multiply the current rate when built, so the order does not matter.
        "SequentialLR-Chained(Linear0.1x5,Constant0.1x5)-Constant0.5x5-m5",
        "test_sequentiallr5",
        "SequentialLR",
        {
            "schedulers": [
                _child(
                    "ChainedScheduler",
                    schedulers=[
                        _child("LinearLR", start_factor=0.1, total_iters=5),
                        _child("ConstantLR", factor=0.1, total_iters=5),
                    ],
                ),
                _child("ConstantLR", factor=0.5, total_iters=5),
            ],
            "milestones": [5],
        },
        SGD_SETUP,
        10,
        [[0.0005, 0.0014, 0.0023, 0.0032, 0.0041, 0.025, 0.025, 0.025, 0.025, 0.025]],
    ),
    _case(
        "SequentialLR-Linear0.1to0.8x4-Linear0.8to0.1x4-m4-tensor_lr2",
        "test_sequentiallr_does_not_alias_lr_and_initial_lr",
        "SequentialLR",
        {
            "schedulers": [
                _child("LinearLR", start_factor=0.1, end_factor=0.8, total_iters=4),
                _child("LinearLR", start_factor=0.8, end_factor=0.1, total_iters=8 - 4),
            ],
            "milestones": [4],
        },
        # SGD(self.net.parameters(), lr=torch.tensor(2.0)): one group, both convs.
        {"name": "SGD", "groups": [{"lr": 2.0, "tensor_lr": True}]},
        8,
        [[0.2, 0.55, 0.9, 1.25, 1.6, 1.25, 0.9, 0.55]],
    ),
    _case(
        "SequentialLR-Constant0.1x3-Exp0.8-Step0.1x2-m3,6-get_last_lr",
        "test_get_last_lr_sequentiallr",
        "SequentialLR",
        {
            "schedulers": [
                _child("ConstantLR", factor=0.1, total_iters=3),
                _child("ExponentialLR", gamma=0.8),
                _child("StepLR", gamma=0.1, step_size=2),
            ],
            "milestones": [3, 6],
        },
        SGD_SETUP,
        12,
        _two(_SEQUENTIAL_3),
    ),
]


# --- ChainedScheduler -----------------------------------------------------------------

CHAINED: list[TorchCase] = [
    _case(
        "ChainedScheduler-Step0.1x3",
        "test_chained_lr1",
        "ChainedScheduler",
        {"schedulers": [_child("StepLR", gamma=0.1, step_size=3)]},
        SGD_SETUP,
        10,
        [[0.05] * 3 + [0.005] * 3 + [0.0005] * 3 + [0.00005] * 3],
    ),
    _case(
        "ChainedScheduler-Linear0.4x3",
        "test_chained_lr2",
        "ChainedScheduler",
        {"schedulers": [_child("LinearLR", start_factor=0.4, total_iters=3)]},
        SGD_SETUP,
        10,
        [[0.02, 0.03, 0.04] + [0.05] * 9],
    ),
    _case(
        "ChainedScheduler-Linear0.4x3-MultiStep0.1-m4,8,10",
        "test_chained_lr3",
        "ChainedScheduler",
        {
            "schedulers": [
                _child("LinearLR", start_factor=0.4, total_iters=3),
                _child("MultiStepLR", milestones=[4, 8, 10], gamma=0.1),
            ]
        },
        SGD_SETUP,
        10,
        [[0.02, 0.03, 0.04, 0.05] + [0.005] * 4 + [0.0005] * 3 + [0.00005] * 3],
    ),
    _case(
        "ChainedScheduler-Exp0.9-Constant0.2x4-Step0.1x3",
        "test_chained_lr4",
        "ChainedScheduler",
        {
            "schedulers": [
                _child("ExponentialLR", gamma=0.9),
                _child("ConstantLR", factor=0.2, total_iters=4),
                _child("StepLR", gamma=0.1, step_size=3),
            ]
        },
        SGD_SETUP,
        9,
        [
            [0.05 * 0.2 * 0.9**x for x in range(3)]
            + [0.05 * 0.2 * 0.9**3 * 0.1]
            + [0.05 * 0.9**x * 0.1 for x in range(4, 6)]
            + [0.05 * 0.9**x * 0.01 for x in range(6, 9)]
        ],
    ),
    _case(
        "ChainedScheduler-Poly0.9x5-Constant0.1x5",
        "test_chained_lr5",
        "ChainedScheduler",
        {
            "schedulers": [
                _child("PolynomialLR", power=0.9, total_iters=5),
                _child("ConstantLR", factor=0.1),
            ]
        },
        SGD_SETUP,
        10,
        [[x * 0.1 for x in _poly(0.05)], [x * 0.1 for x in _poly(0.5)]],
    ),
]


# --- test_compound_*: two schedulers on one optimizer, stepped in turn ----------------


def _linear_ramp(single: list[float], start: float, end: float, iters: int) -> list[float]:
    """Torch's ``single_targets[i] *= start + i / iters * (end - start)`` for i < iters."""
    out = list(single)
    for i in range(iters):
        out[i] *= start + i / iters * (end - start)
    return out


def _compound_exp_linear() -> list[float]:
    single = _linear_ramp([0.05 * 0.9**x for x in range(11)], 0.4, 0.9, 4)
    for i in range(4, 11):
        single[i] *= 0.9
    return single


COMPOUND_CASES: list[TorchCase] = [
    _case(
        "compound-Step0.1x3+MultiStep0.1-m2,5,9",
        "test_compound_step_and_multistep_lr",
        COMPOUND,
        {
            "schedulers": [
                _child("StepLR", gamma=0.1, step_size=3),
                _child("MultiStepLR", gamma=0.1, milestones=[2, 5, 9]),
            ]
        },
        SGD_SETUP,
        10,
        [[0.05] * 2 + [0.005] * 1 + [5e-4] * 2 + [5e-5] + [5e-6] * 3 + [5e-8]],
    ),
    _case(
        "compound-Step0.1x3+Exp0.9",
        "test_compound_step_and_exp_lr",
        COMPOUND,
        {
            "schedulers": [
                _child("StepLR", gamma=0.1, step_size=3),
                _child("ExponentialLR", gamma=0.9),
            ]
        },
        SGD_SETUP,
        10,
        _two(
            [0.05 * (0.9**x) for x in range(3)]
            + [0.005 * (0.9**x) for x in range(3, 6)]
            + [0.0005 * (0.9**x) for x in range(6, 9)]
            + [0.00005 * (0.9**x) for x in range(9, 12)]
        ),
    ),
    _case(
        "compound-MultiStep0.1-m2,5,9+Exp0.9",
        "test_compound_exp_and_multistep_lr",
        COMPOUND,
        {
            "schedulers": [
                _child("MultiStepLR", gamma=0.1, milestones=[2, 5, 9]),
                _child("ExponentialLR", gamma=0.9),
            ]
        },
        SGD_SETUP,
        10,
        _two(
            [0.05 * (0.9**x) for x in range(2)]
            + [0.005 * (0.9**x) for x in range(2, 5)]
            + [0.0005 * (0.9**x) for x in range(5, 9)]
            + [0.00005 * (0.9**x) for x in range(9, 11)]
        ),
    ),
    _case(
        "compound-Linear0.4to0.9x4+Exp0.9",
        "test_compound_exp_and_linearlr",
        COMPOUND,
        {
            "schedulers": [
                _child("LinearLR", start_factor=0.4, end_factor=0.9, total_iters=4),
                _child("ExponentialLR", gamma=0.9),
            ]
        },
        SGD_SETUP,
        10,
        _two(_compound_exp_linear()),
    ),
    _case(
        "compound-Step0.1x3+Constant0.4x4",
        "test_compound_step_and_constantlr",
        COMPOUND,
        {
            "schedulers": [
                _child("StepLR", gamma=0.1, step_size=3),
                _child("ConstantLR", factor=0.4, total_iters=4),
            ]
        },
        SGD_SETUP,
        10,
        _two([0.05 * 0.4] * 3 + [0.005 * 0.4] + [0.005] * 2 + [0.0005] * 3 + [0.00005] * 3),
    ),
    _case(
        "compound-MultiStep0.1-m2,5,9+Linear0.4x4",
        "test_compound_linearlr_and_multistep_lr",
        COMPOUND,
        {
            "schedulers": [
                _child("MultiStepLR", gamma=0.1, milestones=[2, 5, 9]),
                _child("LinearLR", start_factor=0.4, total_iters=4),
            ]
        },
        SGD_SETUP,
        10,
        _two(_linear_ramp([0.05] * 2 + [0.005] * 3 + [0.0005] * 4 + [0.00005] * 2, 0.4, 1, 4)),
    ),
    _case(
        "compound-Cosine10+Step0.1x3",
        "test_compound_cosanneal_and_step_lr",
        COMPOUND,
        {
            "schedulers": [
                _child("CosineAnnealingLR", T_max=10, eta_min=1e-10),
                _child("StepLR", gamma=0.1, step_size=3),
            ]
        },
        SGD_SETUP,
        10,
        _two([x * 0.1 ** (i // 3) for i, x in enumerate(_COSINE_10)]),
    ),
    _case(
        "compound-Cosine10+MultiStep0.1-m2,5,9",
        "test_compound_cosanneal_and_multistep_lr",
        COMPOUND,
        {
            "schedulers": [
                _child("CosineAnnealingLR", T_max=10, eta_min=1e-10),
                _child("MultiStepLR", gamma=0.1, milestones=[2, 5, 9]),
            ]
        },
        SGD_SETUP,
        10,
        _two(
            [
                x * y
                for x, y in zip(_COSINE_10, [1] * 2 + [0.1] * 3 + [0.01] * 4 + [0.001], strict=True)
            ]
        ),
    ),
    _case(
        "compound-Linear0.4x4+Cosine10",
        "test_compound_cosanneal_and_linearlr",
        COMPOUND,
        {
            "schedulers": [
                _child("LinearLR", start_factor=0.4, total_iters=4),
                _child("CosineAnnealingLR", T_max=10, eta_min=1e-10),
            ]
        },
        SGD_SETUP,
        10,
        _two(_linear_ramp(_COSINE_10, 0.4, 1, 4)),
    ),
    _case(
        "compound-Cosine10+Exp0.1",
        "test_compound_cosanneal_and_exp_lr",
        COMPOUND,
        {
            "schedulers": [
                _child("CosineAnnealingLR", T_max=10, eta_min=1e-10),
                _child("ExponentialLR", gamma=0.1),
            ]
        },
        SGD_SETUP,
        10,
        _two([x * 0.1**i for i, x in enumerate(_COSINE_10)]),
    ),
]


# --- CyclicLR: torch's _test_cycle_lr checks, then steps (offset 0) ---------------------

_TRIANGULAR: list[float] = [1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3]
_TRIANGULAR_MOMENTUM: list[float] = [5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3]
_TRIANGULAR2 = [1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2.0, 2.5, 3.0, 2.5, 2.0, 1.5, 1]
_TRIANGULAR2 += [1.25, 1.50, 1.75, 2.00, 1.75]
_TRIANGULAR2_MOMENTUM = [5.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.5, 4.0, 3.5, 3.0]
_TRIANGULAR2_MOMENTUM += [3.5, 4.0, 4.5, 5.0, 4.75, 4.5, 4.25, 4.0, 4.25]
_EXP_RANGE_XS = [0, 0.25, 0.5, 0.75, 1, 0.75, 0.50, 0.25, 0, 0.25, 0.5, 0.75, 1]
_EXP_RANGE_UP_DOWN_XS = [0.0, 0.5, 1.0, 5.0 / 6, 4.0 / 6, 3.0 / 6, 2.0 / 6, 1.0 / 6, 0.0]
_EXP_RANGE_UP_DOWN_XS += [0.5, 1.0, 5.0 / 6, 4.0 / 6]
_TRIANGULAR_UP_DOWN = [1.0, 2.0, 3.0, 4.0, 5.0, 13.0 / 3, 11.0 / 3, 9.0 / 3, 7.0 / 3, 5.0 / 3]
_TRIANGULAR_UP_DOWN += [1.0]
_TRIANGULAR_UP_DOWN_MOMENTUM = [5.0, 4.0, 3.0, 2.0, 1.0, 5.0 / 3, 7.0 / 3, 3.0, 11.0 / 3]
_TRIANGULAR_UP_DOWN_MOMENTUM += [13.0 / 3, 5.0]
_TRIANGULAR2_UP_DOWN = [1.0, 3.0, 5.0, 13.0 / 3, 11.0 / 3, 9.0 / 3, 7.0 / 3, 5.0 / 3, 1.0]
_TRIANGULAR2_UP_DOWN += [2.0, 3.0, 8.0 / 3, 7.0 / 3, 6.0 / 3, 5.0 / 3, 4.0 / 3, 1.0]
_TRIANGULAR2_UP_DOWN += [3.0 / 2, 2.0, 11.0 / 6, 10.0 / 6, 9.0 / 6, 8.0 / 6, 7.0 / 6]
_TRIANGULAR2_UP_DOWN_MOMENTUM = [5.0, 3.0, 1.0, 5.0 / 3, 7.0 / 3, 3.0, 11.0 / 3, 13.0 / 3]
_TRIANGULAR2_UP_DOWN_MOMENTUM += [5.0, 4.0, 3.0, 10.0 / 3, 11.0 / 3, 4.0, 13.0 / 3, 14.0 / 3]
_TRIANGULAR2_UP_DOWN_MOMENTUM += [5.0, 4.5, 4.0, 25.0 / 6, 13.0 / 3, 4.5, 14.0 / 3, 29.0 / 6]


def _exp_range(base: float, top: float, xs: list[float], gamma: float = 0.9) -> list[float]:
    """Torch's ``[base + x * (top - base) * gamma**i for i, x in enumerate(xs)]``."""
    return [base + x * (top - base) * gamma**i for i, x in enumerate(xs)]


def _exp_range_momentum(
    base: float, top: float, xs: list[float], gamma: float = 0.9
) -> list[float]:
    """Torch's ``[top - x * (top - base) * gamma**i for i, x in enumerate(xs)]``."""
    return [top - x * (top - base) * gamma**i for i, x in enumerate(xs)]


def _shifted(values: list[float], deltas: tuple[float, ...]) -> Rates:
    return [[x + d for x in values] for d in deltas]


CYCLIC: list[TorchCase] = [
    _case(
        "CyclicLR-triangular-1to5-up4-momentum",
        "test_cycle_lr_triangular_mode_one_lr",
        "CyclicLR",
        {
            "base_lr": 1,
            "max_lr": 5,
            "step_size_up": 4,
            "cycle_momentum": True,
            "base_momentum": 1,
            "max_momentum": 5,
            "mode": "triangular",
        },
        SGD_SETUP,
        len(_TRIANGULAR),
        [_TRIANGULAR, _TRIANGULAR],
        momentum_targets=[_TRIANGULAR_MOMENTUM, _TRIANGULAR_MOMENTUM],
    ),
    _case(
        "CyclicLR-triangular-1to5-up4-no-momentum",
        "test_cycle_lr_triangular_mode_one_lr_no_momentum",
        "CyclicLR",
        {
            "base_lr": 1,
            "max_lr": 5,
            "step_size_up": 4,
            "cycle_momentum": False,
            "mode": "triangular",
        },
        SGD_SETUP,
        len(_TRIANGULAR),
        [_TRIANGULAR, _TRIANGULAR],
        # [self.opt.defaults["momentum"]] * len(lr_target): SGD's default momentum, 0.
        momentum_targets=[[0] * len(_TRIANGULAR)] * 2,
    ),
    _case(
        "CyclicLR-triangular2-1to5-up4-momentum",
        "test_cycle_lr_triangular2_mode_one_lr",
        "CyclicLR",
        {
            "base_lr": 1,
            "max_lr": 5,
            "step_size_up": 4,
            "cycle_momentum": True,
            "base_momentum": 1,
            "max_momentum": 5,
            "mode": "triangular2",
        },
        SGD_SETUP,
        len(_TRIANGULAR2),
        [_TRIANGULAR2, _TRIANGULAR2],
        momentum_targets=[_TRIANGULAR2_MOMENTUM, _TRIANGULAR2_MOMENTUM],
    ),
    _case(
        "CyclicLR-exp_range0.9-1to5-up4-momentum",
        "test_cycle_lr_exp_range_mode_one_lr",
        "CyclicLR",
        {
            "base_lr": 1,
            "max_lr": 5,
            "step_size_up": 4,
            "cycle_momentum": True,
            "base_momentum": 1,
            "max_momentum": 5,
            "mode": "exp_range",
            "gamma": 0.9,
        },
        SGD_SETUP,
        len(_EXP_RANGE_XS),
        [_exp_range(1, 5, _EXP_RANGE_XS)] * 2,
        momentum_targets=[_exp_range_momentum(1, 5, _EXP_RANGE_XS)] * 2,
    ),
    _case(
        "CyclicLR-triangular-per-group-1to5,2to6-up4-momentum",
        "test_cycle_lr_triangular_mode",
        "CyclicLR",
        {
            "base_lr": [1, 2],
            "max_lr": [5, 6],
            "step_size_up": 4,
            "cycle_momentum": True,
            "base_momentum": [1, 2],
            "max_momentum": [5, 6],
            "mode": "triangular",
        },
        SGD_SETUP,
        len(_TRIANGULAR),
        _shifted(_TRIANGULAR, (0, 1)),
        momentum_targets=_shifted(_TRIANGULAR_MOMENTUM, (0, 1)),
    ),
    _case(
        "CyclicLR-triangular2-per-group-1to5,3to7-up4-momentum",
        "test_cycle_lr_triangular2_mode",
        "CyclicLR",
        {
            "base_lr": [1, 3],
            "max_lr": [5, 7],
            "step_size_up": 4,
            "cycle_momentum": True,
            "base_momentum": [1, 3],
            "max_momentum": [5, 7],
            "mode": "triangular2",
        },
        SGD_SETUP,
        len(_TRIANGULAR2),
        _shifted(_TRIANGULAR2, (0, 2)),
        momentum_targets=_shifted(_TRIANGULAR2_MOMENTUM, (0, 2)),
    ),
    _case(
        "CyclicLR-exp_range0.9-per-group-1to5,5to12-up4-momentum",
        "test_cycle_lr_exp_range_mode",
        "CyclicLR",
        {
            "base_lr": [1, 5],
            "max_lr": [5, 12],
            "step_size_up": 4,
            "cycle_momentum": True,
            "base_momentum": [1, 5],
            "max_momentum": [5, 12],
            "mode": "exp_range",
            "gamma": 0.9,
        },
        SGD_SETUP,
        len(_EXP_RANGE_XS),
        [_exp_range(1, 5, _EXP_RANGE_XS), _exp_range(5, 12, _EXP_RANGE_XS)],
        momentum_targets=[
            _exp_range_momentum(1, 5, _EXP_RANGE_XS),
            _exp_range_momentum(5, 12, _EXP_RANGE_XS),
        ],
    ),
    _case(
        "CyclicLR-triangular-1to5-up4-down6-momentum",
        "test_cycle_lr_triangular_mode_step_size_up_down",
        "CyclicLR",
        {
            "base_lr": 1,
            "max_lr": 5,
            "step_size_up": 4,
            "step_size_down": 6,
            "cycle_momentum": True,
            "base_momentum": 1,
            "max_momentum": 5,
            "mode": "triangular",
        },
        SGD_SETUP,
        len(_TRIANGULAR_UP_DOWN),
        [_TRIANGULAR_UP_DOWN] * 2,
        momentum_targets=[_TRIANGULAR_UP_DOWN_MOMENTUM] * 2,
    ),
    _case(
        "CyclicLR-triangular2-per-group-1to5,3to7-up2-down6-momentum",
        "test_cycle_lr_triangular2_mode_step_size_up_down",
        "CyclicLR",
        {
            "base_lr": [1 + d for d in (0, 2)],
            "max_lr": [5 + d for d in (0, 2)],
            "step_size_up": 2,
            "step_size_down": 6,
            "cycle_momentum": True,
            "base_momentum": [1 + d for d in (0, 2)],
            "max_momentum": [5 + d for d in (0, 2)],
            "mode": "triangular2",
        },
        SGD_SETUP,
        len(_TRIANGULAR2_UP_DOWN),
        _shifted(_TRIANGULAR2_UP_DOWN, (0, 2)),
        momentum_targets=_shifted(_TRIANGULAR2_UP_DOWN_MOMENTUM, (0, 2)),
    ),
    _case(
        "CyclicLR-exp_range0.9-1to5-up2-down6-momentum",
        "test_cycle_lr_exp_range_mode_step_size_up_down",
        "CyclicLR",
        {
            "base_lr": 1,
            "max_lr": 5,
            "step_size_up": 2,
            "step_size_down": 6,
            "cycle_momentum": True,
            "base_momentum": 1,
            "max_momentum": 5,
            "mode": "exp_range",
            "gamma": 0.9,
        },
        SGD_SETUP,
        len(_EXP_RANGE_UP_DOWN_XS),
        [_exp_range(1, 5, _EXP_RANGE_UP_DOWN_XS)] * 2,
        momentum_targets=[_exp_range_momentum(1, 5, _EXP_RANGE_UP_DOWN_XS)] * 2,
    ),
    _case(
        # Adam has no "momentum" and torch's helper reads beta1 only with use_beta1:
        # its momentum targets are [None] * 11, never checked.
        "CyclicLR-triangular-1to5-up4-Adam-no-momentum",
        "test_cycle_lr_with_momentumless_optimizer",
        "CyclicLR",
        {
            "base_lr": 1,
            "max_lr": 5,
            "step_size_up": 4,
            "cycle_momentum": False,
            "mode": "triangular",
        },
        ADAM_TWO_GROUPS,
        len(_TRIANGULAR),
        [_TRIANGULAR, _TRIANGULAR],
    ),
]


# --- OneCycleLR ---------------------------------------------------------------------


def _annealing_cos(start: float, end: float, pct: float) -> float:
    """Torch's test helper: end + (start - end) / 2 * (cos(pi * pct) + 1)."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


_ONECYCLE_LINEAR: list[float] = [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5]
_ONECYCLE_LINEAR_MOMENTUM: list[float] = [22, 11.5, 1, 4, 7, 10, 13, 16, 19, 22]
_ONECYCLE_COS = [1, 13, 25] + [_annealing_cos(25, 0.5, i / 7.0) for i in range(1, 7)] + [0.5]
_ONECYCLE_COS_MOMENTUM = [22, 11.5, 1]
_ONECYCLE_COS_MOMENTUM += [_annealing_cos(1, 22, i / 7.0) for i in range(1, 7)] + [22]
_ONECYCLE_KWARGS = {"max_lr": 25, "final_div_factor": 2, "base_momentum": 1, "max_momentum": 22}

ONECYCLE: list[TorchCase] = [
    _case(
        "OneCycleLR-linear-max25-steps10-momentum",
        "test_onecycle_lr_linear_annealing",
        "OneCycleLR",
        {**_ONECYCLE_KWARGS, "total_steps": 10, "anneal_strategy": "linear"},
        SGD_SETUP,
        10,
        [_ONECYCLE_LINEAR] * 2,
        momentum_targets=[_ONECYCLE_LINEAR_MOMENTUM] * 2,
    ),
    _case(
        "OneCycleLR-linear-three_phase-max25-steps10-momentum",
        "test_onecycle_lr_linear_annealing_three_phases",
        "OneCycleLR",
        {
            "max_lr": 25,
            "div_factor": 25,
            "base_momentum": 1,
            "max_momentum": 22,
            "total_steps": 10,
            "anneal_strategy": "linear",
            "pct_start": 0.4,
            "final_div_factor": 4,
            "three_phase": True,
        },
        SGD_SETUP,
        10,
        [[1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25]] * 2,
        momentum_targets=[[22, 15, 8, 1, 8, 15, 22, 22, 22, 22]] * 2,
    ),
    _case(
        "OneCycleLR-cos-max25-steps10-momentum",
        "test_onecycle_lr_cosine_annealing",
        "OneCycleLR",
        {**_ONECYCLE_KWARGS, "total_steps": 10},
        SGD_SETUP,
        10,
        [_ONECYCLE_COS] * 2,
        momentum_targets=[_ONECYCLE_COS_MOMENTUM] * 2,
    ),
    _case(
        "OneCycleLR-linear-max25-steps10-Adam-beta1",
        "test_cycle_lr_with_adam",
        "OneCycleLR",
        {**_ONECYCLE_KWARGS, "total_steps": 10, "anneal_strategy": "linear"},
        ADAM_TWO_GROUPS,
        10,
        [_ONECYCLE_LINEAR] * 2,
        momentum_targets=[_ONECYCLE_LINEAR_MOMENTUM] * 2,
    ),
]


# --- LambdaLR and MultiplicativeLR ----------------------------------------------------

LAMBDA: list[TorchCase] = [
    _case(
        "LambdaLR-0.9**e,0.8**e",
        "test_lambda_lr",
        "LambdaLR",
        {"lr_lambda": [pow_0_9, pow_0_8]},
        SGD_LAMBDA,
        10,
        [[0.05 * (0.9**x) for x in range(10)], [0.4 * (0.8**x) for x in range(10)]],
    ),
    _case(
        "MultiplicativeLR-x0.9,x0.8",
        "test_multiplicative_lr",
        "MultiplicativeLR",
        {"lr_lambda": [times_0_9, times_0_8]},
        SGD_LAMBDA,
        10,
        [[0.05 * (0.9**x) for x in range(10)], [0.4 * (0.8**x) for x in range(10)]],
    ),
]


CASES: list[TorchCase] = [
    *BASIC,
    *WARM_RESTARTS,
    *PLATEAU,
    *SEQUENTIAL,
    *CHAINED,
    *COMPOUND_CASES,
    *CYCLIC,
    *ONECYCLE,
    *LAMBDA,
]
"""Every transcribed case, in the order of the groups above."""
