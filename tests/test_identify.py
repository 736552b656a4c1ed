"""Identification: every known schedule with random parameters, logged every N steps,
with gaps, rounded to float32, is named by a SPEC whose simulation reproduces the log;
curves no schedule made are refused."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.tensorboard import SummaryWriter

import lrviz
from lrviz.identify import identify, identify_trace
from lrviz.logs import read_log

LENGTH = 120
"""Steps simulated per case."""


def spec_strategy(family: str) -> st.SearchStrategy[str]:
    """Random parameters for one family, with each phase long enough to be seen in a
    log of every third step."""
    i, f = st.integers, st.floats
    if family == "constant":
        return st.just("constant:factor=1.0,total_iters=0")
    if family == "step":
        return st.builds(
            "step:step_size={},gamma={}".format, i(12, 50), st.sampled_from([0.1, 0.5, 0.3])
        )
    if family == "multistep":
        return st.builds(
            lambda a, b, g: f"multistep:milestones=[{a},{a + b}],gamma={g}",
            i(10, 50),
            i(10, 50),
            st.sampled_from([0.1, 0.5]),
        )
    if family == "constantlr":
        return st.builds("constant:factor={},total_iters={}".format, f(0.1, 0.9), i(10, 50))
    if family == "exponential":
        return st.builds("exp:gamma={}".format, f(0.9, 0.999))
    if family == "linear":
        return st.builds(
            "linear:start_factor={},end_factor={},total_iters={}".format,
            f(0.05, 1.0),
            f(0.05, 1.0),
            i(20, 100),
        ).filter(lambda s: "start_factor=1.0,end_factor=1.0" not in s)
    if family == "cosine":
        return st.builds("cosine:T_max={},eta_min={}".format, i(30, 200), f(0.0, 0.01))
    if family == "warmrestarts":
        return st.builds(
            "warmrestarts:T_0={},T_mult={},eta_min={}".format,
            i(20, 50),
            i(1, 2),
            st.sampled_from([0.0, 0.001]),
        )
    if family == "poly":
        return st.builds("poly:total_iters={},power={}".format, i(30, 300), f(0.3, 3.0))
    if family == "inverse_sqrt":
        return st.builds("hf:inverse_sqrt:num_warmup_steps={}".format, i(10, 30))
    if family == "hf_linear":
        return st.builds(
            "hf:linear:num_warmup_steps={},num_training_steps={}".format, i(10, 30), i(60, 200)
        )
    if family == "hf_cosine":
        return st.builds(
            "hf:cosine:num_warmup_steps={},num_training_steps={}".format, i(10, 30), i(60, 200)
        )
    if family == "warmup_cosine":
        return st.builds(
            lambda sf, w, t: (
                f"SequentialLR:schedulers=['linear:start_factor={sf},total_iters={w}',"
                f"'cosine:T_max={t},eta_min=0.0'],milestones=[{w}]"
            ),
            f(0.05, 0.5),
            i(15, 30),
            i(60, 150),
        )
    if family == "warmup_exponential":
        return st.builds(
            lambda sf, w, g: (
                f"SequentialLR:schedulers=['linear:start_factor={sf},total_iters={w}',"
                f"'exp:gamma={g}'],milestones=[{w}]"
            ),
            f(0.05, 0.5),
            i(15, 30),
            f(0.95, 0.99),
        )
    if family == "hf_constant":
        return st.builds("hf:constant_with_warmup:num_warmup_steps={}".format, i(10, 30))
    if family == "onecycle":
        return st.builds(
            "onecycle:max_lr={},total_steps={},pct_start={},anneal_strategy={}".format,
            f(0.05, 1.0),
            st.just(LENGTH),
            f(0.25, 0.6),
            st.sampled_from(["cos", "linear"]),
        )
    assert family == "cyclic"
    return st.builds(
        "cyclic:base_lr={},max_lr={},step_size_up={},step_size_down={}".format,
        f(0.001, 0.01),
        f(0.05, 0.1),
        i(20, 40),
        i(20, 40),
    )


FAMILIES = [
    "constant",
    "step",
    "multistep",
    "constantlr",
    "exponential",
    "linear",
    "cosine",
    "warmrestarts",
    "poly",
    "inverse_sqrt",
    "hf_linear",
    "hf_cosine",
    "warmup_cosine",
    "warmup_exponential",
    "hf_constant",
    "onecycle",
    "cyclic",
]


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_known_schedule_is_identified(family: str, data: st.DataObject) -> None:
    spec = data.draw(spec_strategy(family), label="spec")
    every = data.draw(st.integers(1, 3), label="every")
    float32 = data.draw(st.booleans(), label="float32")
    lr = data.draw(st.floats(1e-4, 1.0), label="lr")
    rates = np.array(lrviz.simulate(spec, epochs=LENGTH, lr=lr).rates(0)[:LENGTH])
    steps = np.arange(0, LENGTH, every)
    gaps = data.draw(st.sets(st.integers(1, steps.size - 2), max_size=2), label="gaps")
    steps = np.delete(steps, sorted(gaps))
    logged = rates[steps]
    if float32:
        logged = logged.astype(np.float32).astype(np.float64)
    found = identify(steps, logged, float32=float32)
    assert found.spec is not None, found.text()
    assert found.lr is not None
    again = np.array(lrviz.simulate(found.spec, epochs=int(steps[-1]) + 1, lr=found.lr).rates(0))
    floor = 1e-6 * float(np.max(np.abs(logged)))
    error = np.abs(again[steps] - logged) / np.maximum(np.abs(logged), floor)
    assert float(error.max()) <= (2e-6 if float32 else 1e-8), (found.spec, float(error.max()))


def test_steps_counted_from_one() -> None:
    rates = lrviz.simulate("step:step_size=10,gamma=0.5", epochs=40, lr=0.1).rates(0)[:40]
    found = identify(range(1, 41), rates)
    assert (found.spec, found.lr, found.offset) == ("step:step_size=10,gamma=0.5", 0.1, 1)


def test_drops_at_irregular_steps_are_told_as_consistent_with_plateau() -> None:
    rates = [0.1] * 7 + [0.01] * 20 + [0.001] * 4
    found = identify(range(len(rates)), rates)
    assert found.spec == "multistep:milestones=[7, 27],gamma=0.1"
    assert found.note == (
        "multiplicative drops by 0.1 at irregular steps: consistent with "
        "ReduceLROnPlateau(factor=0.1)"
    )


@pytest.mark.parametrize(
    "rates",
    [
        0.1 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.05, 200))),  # random walk
        0.05 + 0.04 * np.sin(np.arange(200) / 7.0),  # a sine over several periods
        0.1 / (1 + np.arange(200) / 10.0),  # 1/t: no schedule lrviz knows
    ],
    ids=["random-walk", "sine", "reciprocal"],
)
def test_curves_no_schedule_made_are_refused(rates: np.ndarray) -> None:
    found = identify(range(rates.size), rates)
    assert found.spec is None
    assert found.text().startswith("no known schedule fits; phases seen: ")


def test_identify_trace_names_the_schedule_of_a_trace() -> None:
    trace = lrviz.simulate("cosine:T_max=50,eta_min=0.001", epochs=50, lr=0.1)
    text = identify_trace(trace)
    assert text.startswith("cosine:T_max=50,eta_min=0.001: cosine:T_max=50,eta_min=0.00")
    assert "reproduces the logged rates (largest relative error" in text


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="same length >= 2, got 3 steps and 2 rates"):
        identify([0, 1, 2], [0.1, 0.1])
    with pytest.raises(ValueError, match="steps must be increasing whole numbers"):
        identify([0, 2, 1], [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="rates must be finite"):
        identify([0, 1], [0.1, math.nan])


def test_identify_trace_uses_the_steps_a_log_was_written_at(tmp_path: Path) -> None:
    rates = lrviz.simulate("cosine:T_max=200,eta_min=0.0", epochs=200, lr=0.1).rates(0)
    table = tmp_path / "lr.csv"
    # Step s logs the rate its update used: the rate after s - 1 scheduler steps.
    table.write_text("step,lr\n" + "".join(f"{s},{rates[s - 1]!r}\n" for s in range(1, 201, 10)))
    (trace,) = read_log(table)
    assert trace.steps is not None and trace.steps.at is not None
    text = identify_trace(trace)
    assert text.startswith("lr: cosine:T_max=200,eta_min=0.0 with lr=0.1"), text
    assert "reproduces the logged rates" in text


def test_identify_trace_judges_float32_logs_within_float32_rounding(tmp_path: Path) -> None:
    rates = lrviz.simulate("exp:gamma=0.97", epochs=60, lr=0.1).rates(0)
    writer = SummaryWriter(str(tmp_path / "run"))
    for s in range(1, 61):
        writer.add_scalar("lr", rates[s - 1], s)
    writer.close()
    (trace,) = read_log(tmp_path / "run")
    assert "float32" in trace.meta["rates"]
    text = identify_trace(trace)
    found = re.fullmatch(r"run: exp:gamma=(\S+) with lr=(\S+) reproduces the logged rates .*", text)
    assert found is not None, text
    assert math.isclose(float(found[1]), 0.97, rel_tol=1e-8), text
    assert math.isclose(float(found[2]), 0.1, rel_tol=1e-7), text


def test_a_wrong_candidate_is_dropped_at_its_first_chunk_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch

    import lrviz.identify

    steps = []
    step = torch.optim.lr_scheduler.CosineAnnealingLR.step
    monkeypatch.setattr(
        torch.optim.lr_scheduler.CosineAnnealingLR,
        "step",
        lambda self, *a: steps.append(1) or step(self, *a),
    )
    monkeypatch.setattr(lrviz.identify, "CHUNK", 50)
    rates = np.array(lrviz.simulate("cosine:T_max=1000", epochs=1000, lr=0.1).rates(0)[:1000])
    index = np.arange(1000)
    steps.clear()
    wrong = lrviz.identify._error("cosine:T_max=100,eta_min=0.0", 0.1, index, rates, 1e-3)
    assert wrong is None and len(steps) <= 100  # torch stopped after the chunk off
    steps.clear()
    right = lrviz.identify._error("cosine:T_max=1000,eta_min=0.0", 0.1, index, rates, 1e-3)
    assert right is not None and right <= 1e-12 and len(steps) >= 1000
