"""The phase finder: hand-built rates of each shape with known boundaries, nanoGPT's own
``get_lr`` set by hand on a real optimizer, torch's schedulers as the oracle, and a
property over random piecewise schedules."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lrviz
from lrviz.explanation import explain
from lrviz.phases import FLOAT32_REL_TOL, REL_TOL, Phase, describe, find_phases


def shape(phases: list[Phase]) -> list[tuple[str, int, int, bool]]:
    return [(p.kind, p.start, p.end, p.jumped) for p in phases]


def assert_reproduces(rates: np.ndarray, phases: list[Phase], rel_tol: float) -> None:
    """Every phase's model gives its rates within the tolerance, and the phases cover the
    series once, in order."""
    assert phases[0].start == 1 and phases[-1].end == rates.size
    for before, after in pairwise(phases):
        assert after.start == before.end + 1
    floor = 1e-6 * float(np.max(np.abs(rates)))
    for p in phases:
        got = rates[p.start - 1 : p.end]
        error = np.abs(p.rates() - got) / np.maximum(np.abs(got), floor)
        assert float(error.max()) <= rel_tol, (p, float(error.max()))


# -- nanoGPT, as train.py writes it ------------------------------------------------------

learning_rate = 6e-4  # max learning rate
warmup_iters = 10
lr_decay_iters = 80
min_lr = 6e-5


def get_lr(it: int) -> float:
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    # 2) if it > lr_decay_iters, return min learning rate
    if it > lr_decay_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff ranges 0..1
    return min_lr + coeff * (learning_rate - min_lr)


NANOGPT = (
    "linear warm-up from 5.455e-05 to 0.0006 over steps 1-11 (5.455e-05 per step), then "
    "cosine decay from 0.0005997 to 6e-05 over steps 12-81 (half cosine between 6e-05 and "
    "0.0006 over 70 steps), then constant at 6e-05 to step 100"
)


def test_nanogpts_get_lr_is_a_warm_up_a_cosine_and_a_constant() -> None:
    rates = np.array([get_lr(it) for it in range(100)])
    phases = find_phases(rates)
    assert shape(phases) == [
        ("linear", 1, 11, False),
        ("cosine", 12, 81, False),
        ("constant", 82, 100, False),
    ]
    assert phases[0].params["slope"] == pytest.approx(learning_rate / (warmup_iters + 1))
    cosine = phases[1].params
    assert (cosine["high"], cosine["low"]) == pytest.approx((learning_rate, min_lr), rel=1e-9)
    assert cosine["half_period"] == pytest.approx(lr_decay_iters - warmup_iters, rel=1e-9)
    assert describe(phases) == NANOGPT
    assert_reproduces(rates, phases, REL_TOL)


def test_nanogpts_rates_logged_as_float32_give_the_same_phases() -> None:
    rates = np.array([get_lr(it) for it in range(100)], dtype=np.float32).astype(np.float64)
    phases = find_phases(rates, rel_tol=FLOAT32_REL_TOL)
    assert [p.kind for p in phases] == ["linear", "cosine", "constant"]
    assert not any(p.jumped for p in phases)
    assert_reproduces(rates, phases, FLOAT32_REL_TOL)


def test_nanogpt_set_by_hand_on_two_param_groups_is_explained_phase_by_phase() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.AdamW(
        [
            {"params": [model.weight], "weight_decay": 0.1},
            {"params": [model.bias], "weight_decay": 0.0},
        ],
        lr=learning_rate,
        betas=(0.9, 0.95),
    )
    rec = lrviz.Recorder(optimizer, None, every="step")
    for iter_num in range(100):
        lr = get_lr(iter_num)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        rec.step()
    trace = rec.trace
    events = list(trace.events)
    assert events == explain(trace)
    assert not [e for e in events if e.kind == "external"]
    assert [(e.at, e.group, e.kind, e.evidence["last_step"]) for e in events] == [
        (1, 0, "increase", 10),
        (1, 1, "increase", 10),
        (11, 0, "reduce", 80),
        (11, 1, "reduce", 80),
    ]
    assert events[0].reason == (
        "linear warm-up, steps 1-10: 5.455e-05 -> 0.0006 (5.455e-05 per step; set by hand, "
        "no scheduler; phase found from the rates alone)"
    )
    assert events[2].reason == (
        "cosine decay, steps 11-80: 0.0006 -> 6e-05 (half cosine between 6e-05 and 0.0006 "
        "over 70 steps; set by hand, no scheduler; phase found from the rates alone)"
    )
    assert all("no rule" not in e.reason for e in events)


def test_a_step_drop_set_by_hand_is_a_reduce_event_at_its_step() -> None:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    rec = lrviz.Recorder(optimizer, None)
    for epoch in range(9):  # one step an epoch, recorded per step
        optimizer.param_groups[0]["lr"] = 0.1 * 0.1 ** (epoch // 3)  # by hand, every 3
        optimizer.step()
        rec.step()
        rec.log()
    events = rec.trace.events
    assert [(e.at, e.kind, e.lr_before, e.lr_after) for e in events] == [
        (3, "reduce", 0.1, pytest.approx(0.01)),
        (6, "reduce", pytest.approx(0.01), pytest.approx(0.001)),
    ]
    assert events[0].reason.startswith("step drop at step 3: 0.1 -> 0.01 (set by hand")


# -- shapes with known boundaries -------------------------------------------------------


def test_each_shape_by_hand() -> None:
    flat = [0.1] * 5
    warm = [0.02 * k for k in range(1, 6)]  # ends at 0.1
    decay = [0.1 * 0.9**k for k in range(1, 21)]
    drop = [0.001] * 4
    rates = np.array(flat + warm + decay + drop)
    phases = find_phases(rates)
    assert shape(phases) == [
        ("constant", 1, 5, False),
        ("linear", 6, 10, True),
        ("exponential", 11, 30, False),
        ("constant", 31, 34, True),
    ]
    assert phases[2].params["ratio"] == pytest.approx(0.9)
    assert describe(phases) == (
        "constant at 0.1 over steps 1-5, then jumped to 0.02 at step 6, linear warm-up from "
        "0.02 to 0.1 over steps 6-10 (0.02 per step), then exponential decay from 0.09 to "
        "0.01216 over steps 11-30 (x0.9 per step), then dropped to 0.001 at step 31 (constant "
        "to step 34)"
    )


def test_a_cosine_rising_and_a_cut_short_one() -> None:
    k = np.arange(30)
    rising = 0.01 + 0.045 * (1 - np.cos(math.pi * k / 29))  # 0.01 -> 0.1, OneCycle's rise
    cut = 0.1 * (1 + np.cos(math.pi * np.arange(1, 21) / 50)) / 2  # 20 of 50 steps
    phases = find_phases(np.concatenate([rising, cut]))
    assert shape(phases) == [("cosine", 1, 30, False), ("cosine", 31, 50, False)]
    assert phases[0].end_rate > phases[0].start_rate
    assert phases[1].params["half_period"] == pytest.approx(50, rel=1e-9)


def sched_rates(build: Callable[[torch.optim.Optimizer], object], steps: int) -> np.ndarray:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = build(optimizer)
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()  # type: ignore[attr-defined]
    return np.array(out)


@pytest.mark.parametrize(
    ("build", "kinds"),
    [
        (lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5), ["constant"] * 3),
        (lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.95), ["exponential"]),
        (lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 20, 1e-3), ["cosine"]),
        (lambda o: torch.optim.lr_scheduler.LinearLR(o, 0.1, 1.0, 10), ["linear", "constant"]),
        (
            lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 10),
            ["cosine", "cosine"],
        ),
    ],
    ids=["step", "exponential", "cosine", "linear", "warm-restarts"],
)
def test_torchs_own_rates(
    build: Callable[[torch.optim.Optimizer], object], kinds: list[str]
) -> None:
    rates = sched_rates(build, 20)
    phases = find_phases(rates)
    assert [p.kind for p in phases] == kinds
    assert_reproduces(rates, phases, REL_TOL)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="rates must be a non-empty"):
        find_phases([])
    with pytest.raises(ValueError, match="rel_tol must be a number between 0 and 1, got 0"):
        find_phases([0.1], rel_tol=0)


def test_a_non_finite_rate_is_a_phase_of_its_own() -> None:
    phases = find_phases([0.1, 0.1, math.nan, math.nan, 0.1])
    assert [(p.start, p.end) for p in phases] == [(1, 2), (3, 4), (5, 5)]


# -- random piecewise schedules ---------------------------------------------------------


@st.composite
def pieces(draw: st.DrawFn) -> list[np.ndarray]:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["constant", "linear", "exponential", "cosine"]))
        level = draw(st.floats(1e-5, 1.0))
        if kind == "constant":
            out.append(np.full(draw(st.integers(1, 40)), level))
            continue
        n = draw(st.integers(8, 60))
        k = np.arange(n, dtype=np.float64)
        if kind == "linear":
            end = draw(st.floats(0.0, 1.0))
            assume(abs(end - level) > 1e-3 * level)
            out.append(level + (end - level) * k / (n - 1))
        elif kind == "exponential":
            ratio = draw(st.sampled_from([0.8, 0.9, 0.97, 1.03, 1.1]))
            out.append(level * ratio**k)
        else:
            low = level * draw(st.floats(0.0, 0.5))
            half = draw(st.integers(n - 1, 3 * n))  # cut short when longer than the piece
            wave = low + (level - low) * (1 + np.cos(math.pi * k / half)) / 2
            out.append(wave[::-1] if draw(st.booleans()) else wave)
    return out


@settings(max_examples=150, deadline=None)
@given(pieces(), st.booleans())
def test_random_piecewise_schedules(parts: list[np.ndarray], float32: bool) -> None:
    rates = np.concatenate(parts)
    rel_tol = REL_TOL
    if float32:
        rates, rel_tol = rates.astype(np.float32).astype(np.float64), FLOAT32_REL_TOL
    phases = find_phases(rates, rel_tol=rel_tol)
    assert_reproduces(rates, phases, rel_tol)
    assert len(phases) <= len(parts), shape(phases)


def test_a_log_of_every_third_step_with_gaps() -> None:
    steps = np.delete(np.arange(0, 100, 3), [5, 6, 20])  # steps 15, 18 and 60 missing
    rates = np.array([get_lr(int(it)) for it in steps])
    phases = find_phases(rates, steps=steps)
    assert [(p.kind, p.start, p.end) for p in phases] == [
        ("linear", 0, 9),
        ("cosine", 12, 78),
        ("constant", 81, 99),
    ]
    assert phases[1].params["half_period"] == pytest.approx(70, rel=1e-9)
    for p in phases:
        held = (steps >= p.start) & (steps <= p.end)
        assert np.allclose(p.value(steps[held]), rates[held], rtol=1e-9, atol=0)
    with pytest.raises(ValueError, match="steps must hold one increasing step per rate"):
        find_phases(rates, steps=steps[::-1])


def test_a_cosine_over_several_periods_is_one_phase_per_half() -> None:
    rates = sched_rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 30), 120)
    phases = find_phases(rates)
    assert [p.kind for p in phases] == ["cosine"] * 4
    for p in phases:  # each spans half a period at most: 31 rates, from peak to trough
        assert p.params["half_period"] == pytest.approx(30)
        assert p.end - p.start <= 30
    assert_reproduces(rates, phases, REL_TOL)
