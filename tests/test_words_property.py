"""A property of lrviz's words (issue 18): over every torch scheduler with random
parameters, stepped in every documented way, lrviz says a rate changed "outside the
schedule", or names a misuse, only when the loop itself did that thing.

The loop is real torch (one parameter, SGD with momentum, a gradient each step); the
truth is read from torch while it runs (:mod:`loops.truth`). Parameters are drawn so
that no parameter pitfall is true (horizons within the run, milestones inside it),
so any pitfall or misuse message must be one the idiom caused.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loops.truth import Truth
from loops.words import all_words, event_steps, false_causes

import lrviz

KINDS = (
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
    "LambdaLR",
    "ReduceLROnPlateau",
)

IDIOMS = (
    "per step",  # scheduler.step() after every optimizer.step()
    "per epoch",  # once an epoch, after the epoch's updates
    "step(epoch)",  # the old epoch argument, at each epoch's end
    "fractional",  # step(epoch + i / iters), CosineAnnealingWarmRestarts' docstring
    "resumed",  # half a run, state_dicts saved, a new run loads them and goes on
    "amp skips",  # some updates skipped as GradScaler skips them (no optimizer.step())
    "accumulation",  # several micro-batches per update, the scheduler stepped per update
    "per micro-batch",  # the scheduler stepped at every micro-batch of accumulation
    "by hand",  # the loop sets the rate itself once, between two scheduler steps
)


@dataclass
class Loop:
    """One drawn loop: what to build and how to step it."""

    kind: str
    idiom: str
    epochs: int
    batches: int
    micro: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    skipped: frozenset[int] = frozenset()
    by_hand: int | None = None
    metrics: tuple[float, ...] = ()

    @property
    def per_epoch(self) -> bool:
        return self.idiom in ("per epoch", "step(epoch)")

    @property
    def horizon(self) -> int:
        """Scheduler steps in the whole run."""
        if self.per_epoch:
            return self.epochs
        return self.epochs * self.batches * (self.micro if self.idiom == "per micro-batch" else 1)


@st.composite
def loops(draw: st.DrawFn) -> Loop:
    kind = draw(st.sampled_from(KINDS))
    idioms = [
        i
        for i in IDIOMS
        if (i != "fractional" or kind == "CosineAnnealingWarmRestarts")
        and (i != "step(epoch)" or kind != "ReduceLROnPlateau")
    ]
    idiom = draw(st.sampled_from(idioms))
    loop = Loop(kind, idiom, draw(st.integers(2, 5)), draw(st.integers(2, 5)))
    if idiom in ("accumulation", "per micro-batch"):
        loop.micro = draw(st.integers(2, 4))
    updates = loop.epochs * loop.batches
    if idiom == "amp skips":
        loop.skipped = frozenset(
            draw(st.sets(st.integers(0, updates - 1), min_size=1, max_size=updates))
        )
    n = loop.horizon
    if idiom == "by hand":
        loop.by_hand = draw(st.integers(1, n - 1))
    loop.metrics = tuple(
        draw(st.lists(st.sampled_from([1.0, 0.9, 0.8, 1.1]), min_size=n, max_size=n))
    )
    loop.params = draw(parameters(kind, n))
    return loop


def parameters(kind: str, n: int) -> st.SearchStrategy[dict[str, Any]]:
    """Parameters of ``kind`` for a run of ``n`` scheduler steps whose settings are all
    sound: every horizon and milestone within the run."""
    gamma = st.sampled_from([0.1, 0.5, 0.9])
    within = st.integers(1, n)
    factor = st.sampled_from([0.1, 0.25, 0.5, 0.9])
    if kind == "StepLR":
        return st.fixed_dictionaries({"step_size": within, "gamma": gamma})
    if kind == "MultiStepLR":
        milestones = st.sets(within, min_size=1, max_size=3).map(sorted)
        return st.fixed_dictionaries({"milestones": milestones, "gamma": gamma})
    if kind == "ExponentialLR":
        return st.fixed_dictionaries({"gamma": st.sampled_from([0.5, 0.8, 0.95])})
    if kind == "CosineAnnealingLR":
        return st.fixed_dictionaries({"T_max": st.just(n), "eta_min": st.sampled_from([0.0, 1e-4])})
    if kind == "CosineAnnealingWarmRestarts":
        return st.fixed_dictionaries(
            {
                "T_0": st.integers(1, max(1, n // 2)),
                "T_mult": st.sampled_from([1, 2]),
                "eta_min": st.sampled_from([0.0, 1e-4]),
            }
        )
    if kind == "CyclicLR":
        return st.fixed_dictionaries(
            {
                "base_lr": st.just(0.01),
                "max_lr": st.just(0.1),
                "step_size_up": st.integers(1, max(1, n // 2)),
                "mode": st.sampled_from(["triangular", "triangular2", "exp_range"]),
                "gamma": st.just(0.9),
                "scale_fn": st.sampled_from([None, "half-sine"]),
            }
        )
    if kind == "OneCycleLR":
        # torch divides by each phase's length: the warm-up must last more than a step.
        pct = [p for p in (0.25, 0.3, 0.5) if p * n > 1] or [0.75]
        return st.fixed_dictionaries(
            {
                "max_lr": st.just(0.1),
                "total_steps": st.just(n),
                "pct_start": st.sampled_from(pct),
                "anneal_strategy": st.sampled_from(["cos", "linear"]),
                "three_phase": st.booleans() if pct != [0.75] else st.just(False),
            }
        )
    if kind == "LinearLR":
        return st.fixed_dictionaries({"start_factor": factor, "total_iters": within})
    if kind == "ConstantLR":
        return st.fixed_dictionaries({"factor": factor, "total_iters": within})
    if kind == "PolynomialLR":
        return st.fixed_dictionaries(
            {"total_iters": within, "power": st.sampled_from([0.5, 1.0, 2.0])}
        )
    if kind == "LambdaLR":
        return st.fixed_dictionaries({"warmup": within, "decay": st.sampled_from([1.0, 0.9])})
    return st.fixed_dictionaries(
        {"factor": st.sampled_from([0.1, 0.5]), "patience": st.integers(0, 2)}
    )


def build(loop: Loop, optimizer: torch.optim.Optimizer) -> Any:
    """The drawn scheduler."""
    sched = torch.optim.lr_scheduler
    p = dict(loop.params)
    if loop.kind == "CyclicLR":
        if p.pop("scale_fn") == "half-sine":
            p["scale_fn"] = lambda x: 0.5 * (1 + math.sin(x * math.pi / 2.0))
            p["scale_mode"] = "cycle"
        return sched.CyclicLR(optimizer, **p)
    if loop.kind == "LambdaLR":
        warmup, decay = p["warmup"], p["decay"]

        def warm_then_decay(k: int) -> float:  # a closure, as most loops write one
            return min(1.0, (k + 1) / warmup) * decay ** max(0, k - warmup)

        return sched.LambdaLR(optimizer, lr_lambda=warm_then_decay)
    return getattr(sched, loop.kind)(optimizer, **p)


@dataclass
class Ran:
    trace: lrviz.Trace
    truth: Truth
    did: set[str]
    hand_step: int | None = None


def train(loop: Loop) -> Ran:
    """Run the loop; return its trace, the truth, and which causes it really had."""
    did: set[str] = set()
    scheduled = 0

    def new() -> tuple[torch.nn.Parameter, torch.optim.Optimizer, Any]:
        w = torch.nn.Parameter(torch.zeros(2))
        optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
        return w, optimizer, build(loop, optimizer)

    def step_scheduler(scheduler: Any, epoch: int, i: int) -> None:
        nonlocal scheduled
        metric = loop.metrics[min(scheduled, len(loop.metrics) - 1)]
        scheduled += 1
        if loop.kind == "ReduceLROnPlateau":
            scheduler.step(metric)
        elif loop.idiom == "step(epoch)":
            scheduler.step(epoch + 1)
        elif loop.idiom == "fractional":
            scheduler.step(epoch + i / loop.batches)
        else:
            scheduler.step()

    w, optimizer, scheduler = new()
    start = 0
    if loop.idiom == "resumed":
        start = loop.epochs // 2
        for epoch in range(start):
            for i in range(loop.batches):
                w.grad = torch.ones_like(w)
                optimizer.step()
                step_scheduler(scheduler, epoch, i)
        saved = (optimizer.state_dict(), scheduler.state_dict())
        w, optimizer, scheduler = new()
        optimizer.load_state_dict(saved[0])
        scheduler.load_state_dict(saved[1])
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    truth = Truth(micro_batches=loop.micro)
    truth.watch_updates(optimizer)
    truth.watch_scheduler(scheduler, optimizer)
    hand_step = None
    update = start * loop.batches
    for epoch in range(start, loop.epochs):
        for i in range(loop.batches):
            for _ in range(loop.micro):
                w.grad = torch.ones_like(w) if w.grad is None else w.grad + 1
                if loop.idiom == "per micro-batch":
                    if _ == loop.micro - 1:
                        optimizer.step()
                        w.grad = None
                    step_scheduler(scheduler, epoch, i)
            if loop.idiom != "per micro-batch":
                if update in loop.skipped:
                    truth.skipped += 1  # GradScaler found inf: no optimizer.step()
                else:
                    optimizer.step()
                w.grad = None
                if not loop.per_epoch:
                    step_scheduler(scheduler, epoch, i)
            update += 1
            if (
                loop.by_hand is not None
                and len(truth.stepped) == loop.by_hand
                and hand_step is None
            ):
                for group in optimizer.param_groups:
                    group["lr"] = group["lr"] * 0.5
                hand_step = len(truth.stepped)
        if loop.per_epoch:
            step_scheduler(scheduler, epoch, loop.batches)
        rec.log(train_loss=1.0 / (epoch + 1))
    if loop.per_epoch and loop.kind in ("OneCycleLR", "CyclicLR"):
        did.add("per epoch")
    if loop.idiom in ("step(epoch)", "fractional"):
        did.add("epoch given")
    if truth.skipped:
        did.add("skipped")
    if loop.idiom == "per micro-batch":
        did.add("accumulation")
    if hand_step is not None:
        did.add("outside")
    if truth.used and truth.used[0][0] == 0:
        did.add("rate 0")  # the first update that ran did run at rate 0
    return Ran(rec.trace, truth, did, hand_step)


def run_quietly(loop: Loop) -> Ran:
    with warnings.catch_warnings():
        # torch's deprecation of step(epoch), and its order warning after a skipped update
        warnings.simplefilter("ignore")
        return train(loop)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loops())
def test_no_word_names_a_cause_the_loop_did_not_have(loop: Loop) -> None:
    ran = run_quietly(loop)
    trace = ran.trace
    false = false_causes(all_words(trace), ran.did)
    assert not false, f"{loop}: lrviz names causes the loop did not have: {false}"
    external = [e for e in trace.events if e.kind == "external"]
    if ran.hand_step is None:
        assert not external, f"{loop}: external events {[e.reason for e in external][:3]}"
    else:
        early = [e for e in external if e.at < ran.hand_step]
        assert not early, f"{loop}: set by hand after step {ran.hand_step}, yet {early[:2]}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loops())
def test_recorded_rates_and_events_are_torchs(loop: Loop) -> None:
    ran = run_quietly(loop)
    trace, truth = ran.trace, ran.truth
    before = [b[0] for b, _ in truth.stepped]
    assert trace.rates(0)[:-1] == before, f"{loop}: recorded rates are not the rates torch had"
    assert trace.final_lr[0] == truth.stepped[-1][1][0]
    if ran.hand_step is None and loop.idiom != "resumed":
        assert event_steps(trace) == truth.changed_steps(), f"{loop}: events at other steps"
    elif ran.hand_step is None:  # numbered from the resume point: the same count
        assert len(event_steps(trace)) == len(truth.changed_steps()), f"{loop}: events"
