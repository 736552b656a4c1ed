"""The batched engine gives every run the exact path's traces bit for bit, for every
schedule and for chaotic seeds; BatchedAdam is torch's Adam bit for bit; the exact path
in joblib workers is the exact path; a machine whose kernels disagree falls back."""

from __future__ import annotations

import warnings

import joblib
import pytest
import torch

from lrviz import data, schedules, sweep
from lrviz.config import Experiment
from lrviz.experiment import run as run_exact
from lrviz.schedules import KINDS, ScheduleSpec, parse_spec
from lrviz.trace import Trace

SEEDS = (0, 26)
"""Seed 26 is chaotic at lr 0.1: its round-off grows by orders of magnitude (its rates
even change with the number of BLAS threads), so any difference in the last bit shows."""

COMPOSITES = {
    "SequentialLR": "SequentialLR:schedulers=['linear','exp'],milestones=[5]",
    "ChainedScheduler": "ChainedScheduler:schedulers=['exp','constant']",
}


def spec_of(kind: schedules.Kind) -> ScheduleSpec:
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
        warnings.simplefilter("error", sweep.ExactFallback)
        assert_same_traces(sweep.run(experiment), run_exact(experiment))


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_schedule_batched_is_the_exact_path(split: data.Split, kind: schedules.Kind) -> None:
    experiment = Experiment(seeds=(0, 1), epochs=12, schedules=(spec_of(kind),))
    work = sweep.jobs_of(experiment)
    assert_same_traces(
        sweep.train_batched(split, work, experiment), sweep.train_exact(split, work, experiment)
    )


def test_a_run_does_not_depend_on_the_other_runs_of_its_sweep(split: data.Split) -> None:
    small = Experiment(seeds=(3,), epochs=20)
    large = Experiment(seeds=(5, 3, 9, 4), epochs=20)
    alone = sweep.train_batched(split, sweep.jobs_of(small), small)
    among = [t for t in sweep.train_batched(split, sweep.jobs_of(large), large) if t.seed == 3]
    assert [t.epochs for t in alone] == [t.epochs for t in among]


def test_exact_trains_every_run_on_the_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_batching(*args: object) -> None:
        raise AssertionError("the batched engine ran")

    monkeypatch.setattr(sweep, "train_batched", no_batching)
    experiment = Experiment(seeds=(3, 4), epochs=5)
    assert sweep.run(experiment, exact=True) == run_exact(experiment)
    one = Experiment(seeds=(3,), epochs=5)
    assert sweep.run(one) == run_exact(one)


def test_disagreeing_kernels_fall_back_to_the_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep, "kernels_agree", lambda split, runs: False)
    experiment = Experiment(seeds=(3, 4), epochs=5)
    with pytest.warns(sweep.ExactFallback, match="every run is trained on the exact path"):
        assert sweep.run(experiment) == run_exact(experiment)


def test_the_probe_sees_misaligned_operands(
    split: data.Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sweep.kernels_agree(split, 40)

    def unaligned(runs: int, *shape: int) -> torch.Tensor:
        # Slabs packed back to back: most start off a 64-byte boundary.
        return torch.zeros(runs, *shape)

    monkeypatch.setattr(sweep, "aligned", unaligned)
    assert not sweep.kernels_agree(split, 40)


def test_progress_counts_epochs_of_a_sweep_and_runs_of_the_exact_path() -> None:
    calls: list[tuple[str, int, int]] = []
    experiment = Experiment(seeds=(1, 2), epochs=3, schedules=(parse_spec("step"),))
    sweep.run(experiment, progress=lambda *a: calls.append(a))
    sweep.run(experiment, exact=True, progress=lambda *a: calls.append(a))
    assert calls == [("training", k, 3) for k in (1, 2, 3)] + [("training", k, 2) for k in (1, 2)]


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="jobs must be >= 1, got 0"):
        sweep.run(Experiment(epochs=1), jobs=0)


def test_parallel_exact_runs_are_bit_for_bit_the_in_process_ones(split: data.Split) -> None:
    # Seed 26 is chaotic: joblib's default thread cap in its workers would change it.
    experiment = Experiment(seeds=(26, 0), epochs=30, schedules=(parse_spec("plateau"),))
    work = sweep.jobs_of(experiment)
    assert sweep.train_exact(split, work, experiment, jobs=2) == sweep.train_exact(
        split, work, experiment
    )


def test_no_more_workers_than_runs(split: data.Split, monkeypatch: pytest.MonkeyPatch) -> None:
    # --jobs 200 for 2 runs started over 100 idle processes on a 2-core machine.
    class Started(Exception):
        pass

    def parallel(n_jobs: int, **_: object) -> None:
        raise Started(n_jobs)

    monkeypatch.setattr(joblib, "Parallel", parallel)
    experiment = Experiment(seeds=(0, 1), epochs=2, schedules=(parse_spec("step"),))
    with pytest.raises(Started) as started:
        sweep.train_exact(split, sweep.jobs_of(experiment), experiment, jobs=200)
    assert started.value.args == (2,)


def test_thread_backends_are_refused(split: data.Split) -> None:
    # Process backends plug in alike (joblib.parallel_config(backend="dask") or "ray");
    # threads would share torch's global seed and build each other's models.
    from joblib import parallel_config

    experiment = Experiment(seeds=(4, 5), epochs=2, schedules=(parse_spec("step"),))
    with (
        parallel_config(backend="threading"),
        pytest.raises(ValueError, match="ThreadingBackend runs jobs in threads"),
    ):
        sweep.train_exact(split, sweep.jobs_of(experiment), experiment, jobs=2)


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
        sweep.layer_sizes(model)


def test_aligned_slabs_start_on_64_byte_boundaries() -> None:
    t = sweep.aligned(7, 10, 13)
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
    stacked = [sweep.aligned(runs, *s) for s in SHAPES]
    for p, s in zip(stacked, start, strict=True):
        p.copy_(s)
    batched = sweep.BatchedAdam(stacked)
    for step in range(12):
        grads = [torch.randn(runs, *s, generator=gen) for s in SHAPES]
        # Cycled momentum (CyclicLR, OneCycleLR) changes beta1 between steps.
        step_betas = [(b1 * (1 - 0.01 * step), b2) for b1, b2 in betas]
        for r, opt in enumerate(optimizers):
            opt.param_groups[0]["betas"] = step_betas[r]
            for p, g in zip(singles[r], grads, strict=True):
                p.grad = g[r].clone()
            opt.step()
        batched.step(grads, lrs, step_betas, [1e-8] * runs)
        for r in range(runs):
            for k, p in enumerate(singles[r]):
                assert torch.equal(stacked[k][r], p.detach()), (
                    f"run {r}, parameter {k}, step {step + 1}: "
                    f"max diff {(stacked[k][r] - p).abs().max().item()}"
                )


def test_batched_adam_wants_one_value_per_run_and_one_grad_per_param() -> None:
    adam = sweep.BatchedAdam([torch.zeros(3, 2)])
    with pytest.raises(ValueError, match=r"one lr, betas and eps per run \(3\), got 2, 3 and 3"):
        adam.step([torch.zeros(3, 2)], [0.1, 0.1], [(0.9, 0.999)] * 3, [1e-8] * 3)
    with pytest.raises(ValueError, match=r"one gradient per parameter \(1\), got 0"):
        adam.step([], [0.1] * 3, [(0.9, 0.999)] * 3, [1e-8] * 3)
