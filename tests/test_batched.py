"""The batched engine gives every run the exact path's traces bit for bit, for every
schedule and for chaotic seeds; BatchedAdam is torch's Adam bit for bit; its probe sees
a difference in the last bits."""

from __future__ import annotations

import warnings

import pytest
import torch

from lrviz import batched, data, training
from lrviz.experiment import Experiment
from lrviz.schedules import BUILDABLE, Kind
from lrviz.spec import ScheduleSpec, parse_spec
from lrviz.trace import Trace

SEEDS = (0, 26)
"""Seed 26 is chaotic at lr 0.1: its round-off grows by orders of magnitude (its rates
even change with the number of BLAS threads), so any difference in the last bit shows."""

COMPOSITES = {
    "SequentialLR": "SequentialLR:schedulers=['linear','exp'],milestones=[5]",
    "ChainedScheduler": "ChainedScheduler:schedulers=['exp','constant']",
}


def spec_of(kind: Kind) -> ScheduleSpec:
    return parse_spec(COMPOSITES[kind.name] if kind.composite else kind.name)


@pytest.fixture(scope="module")
def split() -> data.Split:
    return data.load()


def assert_same_traces(batched: list[Trace], exact: list[Trace]) -> None:
    assert len(batched) == len(exact)
    for b, e in zip(batched, exact, strict=True):
        name = f"{b.label} seed {b.seed}"
        assert (b.meta, b.experiment, b.schedule) == (e.meta, e.experiment, e.schedule), name
        assert (b.initial_lr, b.final_lr) == (e.initial_lr, e.final_lr), name
        for be, ee in zip(b.epochs, e.epochs, strict=True):
            assert be.lr == ee.lr, (
                f"LR is wrong in epoch {ee.epoch} of {name}: expected {ee.lr}, got {be.lr}"
            )
            assert be == ee, f"{name} differs from the exact path in epoch {ee.epoch}:\n{be}\n{ee}"
        assert b.events == e.events, name


@pytest.mark.parametrize("label", ["step", "exp", "plateau"], ids=["step", "exp", "plateau"])
def test_a_sweep_is_the_exact_path_bit_for_bit(label: str) -> None:
    experiment = Experiment(seeds=SEEDS, schedules=(parse_spec(label),))
    with warnings.catch_warnings():
        warnings.simplefilter("error", training.ExactFallback)
        assert_same_traces(training.run(experiment), training.run(experiment, exact=True))


@pytest.mark.parametrize("kind", BUILDABLE, ids=[k.name for k in BUILDABLE])
def test_every_schedule_batched_is_the_exact_path(split: data.Split, kind: Kind) -> None:
    experiment = Experiment(seeds=(0, 1), epochs=12, schedules=(spec_of(kind),))
    runs = training.plan(experiment)
    plan = batched.probe_products(split, len(runs))  # as training.run trains them
    assert_same_traces(
        batched.train(split, runs, experiment, plan=plan),
        training.train_each(split, runs, experiment),
    )


def test_products_in_one_thread_give_the_runs_of_products_in_all(split: data.Split) -> None:
    experiment = Experiment(seeds=(26, 0, 7), epochs=40)  # seed 26 is chaotic
    runs = training.plan(experiment)
    plan = batched.probe_products(split, len(runs))
    assert plan, "no product can be computed in one thread here"
    threads = torch.get_num_threads()
    planned = batched.train(split, runs, experiment, plan=plan)
    assert torch.get_num_threads() == threads
    threaded = batched.train(split, runs, experiment)
    assert [t.epochs for t in planned] == [t.epochs for t in threaded]


def test_a_product_that_agrees_no_way_in_one_thread_keeps_the_thread_count(
    split: data.Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int | None] = []
    multiply = batched._multiply

    def counted(
        left: torch.Tensor,
        right: torch.Tensor,
        out: torch.Tensor,
        bias: torch.Tensor | None = None,
        rows: int | None = None,
    ) -> None:
        calls.append(rows)
        multiply(left, right, out, bias, rows)

    monkeypatch.setattr(batched, "_agree", lambda *args: False)
    assert batched.probe_products(split, 4) == {}
    monkeypatch.setattr(batched, "_multiply", counted)
    experiment = Experiment(seeds=(0, 1), epochs=2)
    batched.train(split, training.plan(experiment), experiment, plan={})
    assert calls and set(calls) == {None}


def test_a_run_does_not_depend_on_the_other_runs_of_its_sweep(split: data.Split) -> None:
    small = Experiment(seeds=(3,), epochs=20)
    large = Experiment(seeds=(5, 3, 9, 4), epochs=20)
    alone = batched.train(split, training.plan(small), small)
    among = [t for t in batched.train(split, training.plan(large), large) if t.seed == 3]
    assert [t.epochs for t in alone] == [t.epochs for t in among]


def test_the_probe_finds_nothing_on_this_machine(split: data.Split) -> None:
    experiment = Experiment(seeds=tuple(range(40)), epochs=3)
    runs = training.plan(experiment)
    plan = batched.probe_products(split, len(runs))
    assert batched.disagreement(split, runs, experiment, plan) is None


def test_the_probe_sees_a_difference_in_the_last_bits(
    split: data.Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    forward = batched._Net.forward

    def off_in_the_last_bits(self: batched._Net, x: torch.Tensor) -> torch.Tensor:
        log_probs = forward(self, x)
        log_probs[-1] *= 1 + 2**-20  # the last run only
        return log_probs

    monkeypatch.setattr(batched._Net, "forward", off_in_the_last_bits)
    experiment = Experiment(seeds=(3, 4, 5), epochs=3, schedules=(parse_spec("exp"),))
    problem = batched.disagreement(split, training.plan(experiment), experiment, {})
    assert problem is not None and "run 3 of 3, exp seed 5" in problem


def test_the_probe_sees_misaligned_operands(
    split: data.Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why every run's slab is aligned, and that the probe would notice if one were not.
    Machine-dependent: MKL on this x86 machine picks another kernel for operands off a
    64-byte boundary; on a BLAS that does not, there is nothing to notice."""

    def unaligned(runs: int, *shape: int) -> torch.Tensor:
        # Slabs packed back to back: most start off a 64-byte boundary.
        return torch.zeros(runs, *shape)

    runs, x = 40, split.x_train
    delta = unaligned(runs, x.shape[0], 10)
    delta.copy_(torch.randn(delta.shape, generator=torch.Generator().manual_seed(0)))
    inputs = unaligned(runs, *x.shape)
    inputs.copy_(x)
    packed = torch.bmm(delta.transpose(1, 2), inputs)  # the first layer's weight gradient
    if all(torch.equal(packed[r], delta[r].clone().t().mm(x)) for r in range(runs)):
        pytest.skip("this machine's BLAS gives misaligned operands the same bits")
    monkeypatch.setattr(batched, "aligned", unaligned)
    experiment = Experiment(seeds=tuple(range(runs)), epochs=3)
    assert batched.disagreement(split, training.plan(experiment), experiment, {}) is not None


@pytest.mark.parametrize(
    "model",
    [
        torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 2)),
        torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()),
        torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False)),
    ],
    ids=["tanh", "ends-in-relu", "no-bias"],
)
def test_the_engine_refuses_models_it_cannot_batch(model: torch.nn.Module) -> None:
    with pytest.raises(TypeError, match=r"Linear \(with bias\) and ReLU layers in turn"):
        batched.layer_sizes(model)


def test_aligned_slabs_start_on_64_byte_boundaries() -> None:
    t = batched.aligned(7, 10, 13)
    assert t.shape == (7, 10, 13) and not t.any()
    assert all(t[r].data_ptr() % 64 == 0 and t[r].is_contiguous() for r in range(7))


# -- BatchedAdam against torch.optim.Adam -----------------------------------------------

SHAPES = [(10, 13), (10,), (10, 10), (10,), (3, 10), (3,)]


@pytest.mark.parametrize(
    "lrs, betas",
    [
        ([0.1, 0.01, 0.3, 1e-3], [(0.9, 0.999)] * 4),
        ([0.1, 0.1, 0.05, 0.2], [(0.9, 0.999), (0.85, 0.99), (0.95, 0.999), (0.8, 0.9)]),
        ([0.0, 1e-8, 10.0, 0.1], [(0.0, 0.5), (0.9, 0.999), (0.9, 0.999), (0.99, 0.9999)]),
    ],
    ids=["rates", "betas", "extremes"],
)
def test_batched_adam_is_torch_adam_bit_for_bit(
    lrs: list[float], betas: list[tuple[float, float]]
) -> None:
    gen = torch.Generator().manual_seed(0)
    runs = len(lrs)
    start = [torch.randn(runs, *s, generator=gen) for s in SHAPES]
    singles = [[p[r].clone().requires_grad_() for p in start] for r in range(runs)]
    optimizers = [
        torch.optim.Adam(singles[r], lr=lrs[r], betas=betas[r], foreach=False) for r in range(runs)
    ]
    stacked = [batched.aligned(runs, *s) for s in SHAPES]
    for p, s in zip(stacked, start, strict=True):
        p.copy_(s)
    adam = batched.BatchedAdam(stacked)
    for step in range(12):
        grads = [torch.randn(runs, *s, generator=gen) for s in SHAPES]
        # Cycled momentum (CyclicLR, OneCycleLR) changes beta1 between steps.
        step_betas = [(b1 * (1 - 0.01 * step), b2) for b1, b2 in betas]
        for r, opt in enumerate(optimizers):
            opt.param_groups[0]["betas"] = step_betas[r]
            for p, g in zip(singles[r], grads, strict=True):
                p.grad = g[r].clone()
            opt.step()
        adam.step(grads, lrs, step_betas, [1e-8] * runs)
        for r in range(runs):
            for k, p in enumerate(singles[r]):
                assert torch.equal(stacked[k][r], p.detach()), (
                    f"run {r}, parameter {k}, step {step + 1}: "
                    f"max diff {(stacked[k][r] - p).abs().max().item()}"
                )


def test_batched_adam_wants_one_value_per_run_and_one_grad_per_param() -> None:
    adam = batched.BatchedAdam([torch.zeros(3, 2)])
    with pytest.raises(ValueError, match=r"one lr, betas and eps per run \(3\), got 2, 3 and 3"):
        adam.step([torch.zeros(3, 2)], [0.1, 0.1], [(0.9, 0.999)] * 3, [1e-8] * 3)
    with pytest.raises(ValueError, match=r"one gradient per parameter \(1\), got 0"):
        adam.step([], [0.1] * 3, [(0.9, 0.999)] * 3, [1e-8] * 3)
