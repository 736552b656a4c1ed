"""The one driver: a run's schedules are planned and dry-run first, trained by the batched
engine or one by one (in joblib workers with --jobs), and the exact path decides
whenever the engine cannot be trusted."""

from __future__ import annotations

import joblib
import pytest

from lrviz import batched, data, training
from lrviz.experiment import Experiment
from lrviz.explanation import explain
from lrviz.spec import parse_spec
from lrviz.trace import Trace


@pytest.fixture(scope="module")
def split() -> data.Split:
    return data.load()


def exact(experiment: Experiment) -> list[Trace]:
    """Every run of the lesson's loop, one by one, explained."""
    split = data.load()
    return [
        t.with_events(explain(t))
        for t in training.train_each(split, training.plan(experiment), experiment)
    ]


def test_exact_and_one_seed_never_use_the_batched_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[object] = []
    monkeypatch.setattr(batched, "train", lambda *args: used.append(args))
    experiment = Experiment(seeds=(3, 4), epochs=5)
    assert training.run(experiment, exact=True) == exact(experiment)
    one = Experiment(seeds=(3,), epochs=5)
    assert training.run(one) == exact(one)
    assert used == []


def test_disagreeing_kernels_fall_back_to_the_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batched, "disagreement", lambda *args: "the products differ")
    experiment = Experiment(seeds=(3, 4), epochs=5)
    with pytest.warns(
        training.ExactFallback, match="the products differ, so every run is trained on the exact"
    ):
        assert training.run(experiment) == exact(experiment)


def test_a_failing_engine_falls_back_to_the_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: object, **kwargs: object) -> None:
        raise TypeError("bmm() got an unexpected keyword argument 'out'")

    monkeypatch.setattr(batched, "train", fails)
    experiment = Experiment(seeds=(3, 4), epochs=5)
    with pytest.warns(
        training.ExactFallback, match=r"the batched engine failed \(TypeError: bmm\(\) got"
    ):
        assert training.run(experiment) == exact(experiment)


def test_progress_counts_epochs_of_a_sweep_and_runs_of_the_exact_path() -> None:
    calls: list[tuple[str, int, int]] = []
    experiment = Experiment(seeds=(1, 2), epochs=3, schedules=(parse_spec("step"),))
    training.run(experiment, progress=lambda *a: calls.append(a))
    training.run(experiment, exact=True, progress=lambda *a: calls.append(a))
    assert calls == [("training", k, 3) for k in (1, 2, 3)] + [("training", k, 2) for k in (1, 2)]


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="jobs must be >= 1, got 0"):
        training.run(Experiment(epochs=1), jobs=0)


def test_parallel_exact_runs_are_bit_for_bit_the_in_process_ones(split: data.Split) -> None:
    # Seed 26 is chaotic: joblib's default thread cap in its workers would change it.
    experiment = Experiment(seeds=(26, 0), epochs=30, schedules=(parse_spec("plateau"),))
    runs = training.plan(experiment)
    assert training.train_each(split, runs, experiment, jobs=2) == training.train_each(
        split, runs, experiment
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
        training.train_each(split, training.plan(experiment), experiment, jobs=200)
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
        training.train_each(split, training.plan(experiment), experiment, jobs=2)
