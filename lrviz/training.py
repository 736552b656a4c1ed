"""Training the lesson's Wine classifier under real torch schedulers: the one path from an
experiment to its traces.

:func:`run` plans the runs (every schedule under every seed, each schedule resolved and
dry-run first, so bad values fail before any training), trains them and explains the
traces. One run is :func:`train`, the lesson's loop statement for statement: full
batch, ``Adam(lr)``, ``CrossEntropyLoss``, the validation loss every epoch,
``scheduler.step(val_loss)`` for a schedule that steps on a metric and
``scheduler.step()`` otherwise, after ``torch.manual_seed(seed)``, recorded by the same
:class:`~lrviz.recorder.Recorder` users put in their own loops.

With several seeds, :mod:`lrviz.batched` trains all runs at once, each bit for bit what
:func:`train` gives it; ``jobs`` spreads runs of :func:`train` over processes.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrviz.experiment import Experiment
from lrviz.progress import Progress
from lrviz.spec import ScheduleSpec, as_spec
from lrviz.trace import Trace

if TYPE_CHECKING:
    import torch

    from lrviz.data import Split

MODEL = "Linear(13,10) - ReLU - Linear(10,10) - ReLU - Linear(10,3)"


class ExactFallback(UserWarning):
    """The batched engine would not reproduce the exact path here; the exact path ran."""


@dataclass(frozen=True)
class Run:
    """One run of an experiment: a schedule, its resolved parameters, a seed."""

    spec: ScheduleSpec
    params: dict[str, Any]
    seed: int


def build_model() -> torch.nn.Module:
    """The lesson's MLP, initialised from torch's global RNG."""
    from torch import nn

    return nn.Sequential(
        nn.Linear(13, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3)
    )


def plan(experiment: Experiment) -> list[Run]:
    """Every (schedule, seed) run of an experiment, schedule-major, parameters resolved
    and each schedule dry-run on a dummy optimizer, so bad values fail first.

    Raises:
        ValueError: A schedule torch rejects.
    """
    from lrviz.resolve import resolve
    from lrviz.simulation import check

    runs: list[Run] = []
    for spec in experiment.schedules:
        params = resolve(spec, experiment.epochs, experiment.lr)
        check(spec.kind, params, experiment.lr, experiment.epochs)
        runs.extend(Run(spec, params, seed) for seed in experiment.seeds)
    return runs


def run(
    experiment: Experiment,
    *,
    exact: bool = False,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Trace]:
    """Train every schedule under every seed; explained traces, schedule-major.

    One seed, or ``exact``, trains run after run with :func:`train`; several seeds use
    the batched engine, which gives the same traces. Should the engine fail or disagree
    with :func:`train` on this machine, the runs are trained with :func:`train` and an
    :class:`ExactFallback` warning says why.

    Args:
        experiment: What to run.
        exact: Train every run with :func:`train`, even with several seeds.
        jobs: Processes for runs trained with :func:`train` (joblib); 1 trains them here.
        progress: Called as work advances.

    Raises:
        ValueError: A schedule torch rejects, or ``jobs`` < 1.
    """
    from lrviz import data
    from lrviz.explanation import explain

    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    runs = plan(experiment)
    split = data.load(experiment.dataset)
    traces = None
    if not exact and len(experiment.seeds) > 1:
        traces = _batched(split, runs, experiment, progress)
    if traces is None:
        traces = train_each(split, runs, experiment, jobs, progress)
    return [trace.with_events(explain(trace)) for trace in traces]


def _batched(
    split: Split, runs: Sequence[Run], experiment: Experiment, progress: Progress | None
) -> list[Trace] | None:
    """The batched engine's traces, or None (with a warning) where it cannot be trusted."""
    from lrviz import batched

    try:
        plan = batched.probe_products(split, len(runs))
        problem = batched.disagreement(split, runs, experiment, plan)
        if problem is None:
            return batched.train(split, runs, experiment, progress, plan)
    except Exception as exc:
        problem = f"the batched engine failed ({type(exc).__name__}: {exc})"
    warnings.warn(
        f"{problem}, so every run is trained on the exact path instead (slower; --jobs "
        "spreads it over processes)",
        ExactFallback,
        stacklevel=3,
    )
    return None


def train(split: Split, run: Run, experiment: Experiment) -> Trace:
    """One run of the lesson's loop under one schedule; the trace without events."""
    import torch

    from lrviz.optim import Adam
    from lrviz.recorder import Recorder
    from lrviz.torchbridge import build

    kind = run.spec.kind
    torch.manual_seed(run.seed)
    model = build_model()
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = Adam(model.parameters(), [experiment.lr])
    scheduler = build(kind, run.params, optimizer)
    recorder = Recorder(optimizer, scheduler, experiment=describe(experiment, run.seed))
    for _ in range(experiment.epochs):
        model.train()
        optimizer.zero_grad()
        loss = criterion(model(split.x_train), split.y_train)
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_outputs = model(split.x_valid)
            val_loss = criterion(val_outputs, split.y_valid)
            accuracy = (val_outputs.argmax(dim=1) == split.y_valid).double().mean()
        if kind.needs_metric:
            scheduler.step(val_loss)
        else:
            scheduler.step()
        recorder.log(train_loss=loss, val_loss=val_loss, val_accuracy=accuracy)
    return recorder.to_trace(source="run", schedule=schedule_of(run), explained=False)


def describe(experiment: Experiment, seed: int) -> dict[str, Any]:
    """A run's ``experiment`` in its trace: what was trained, how, from which seed."""
    return {
        "dataset": experiment.dataset,
        "epochs": experiment.epochs,
        "seed": seed,
        "model": MODEL,
        "loss": "CrossEntropyLoss",
    }


def schedule_of(run: Run) -> dict[str, Any]:
    """A run's ``schedule`` in its trace: the class, the label, every parameter."""
    return {"name": run.spec.kind.name, "label": run.spec.label, "params": run.params}


def train_each(
    split: Split,
    runs: Sequence[Run],
    experiment: Experiment,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Trace]:
    """Each run with :func:`train`, in order, without events.

    ``jobs`` > 1 trains them in joblib worker processes, each with this process's
    thread count: BLAS splits a product differently over another number of threads,
    and a chaotic seed then ends elsewhere.

    Raises:
        ValueError: The active joblib backend runs jobs in threads (they would share
            torch's global random seed).
    """
    if jobs == 1:
        results: Generator[Trace, None, None] = (train(split, r, experiment) for r in runs)
    else:
        results = _parallel(split, runs, experiment, jobs)
    out = []
    try:
        for trace in results:
            out.append(trace)
            if progress:
                progress("training", len(out), len(runs))
    finally:
        # Now, not whenever the generator is collected: on Ctrl-C this cancels the runs
        # still in joblib's workers and stops them before the exception goes on.
        results.close()
    return out


def _parallel(
    split: Split, runs: Sequence[Run], experiment: Experiment, jobs: int
) -> Generator[Trace, None, None]:
    import os

    import torch
    from joblib import Parallel, delayed, parallel_config
    from joblib.parallel import LokyBackend, get_active_backend

    from lrviz.figure_worker import signals_held, tie_to_parent

    # The default backend (loky, or one a caller chose with joblib.parallel_config, e.g.
    # dask or ray) runs the jobs. Loky caps its workers' BLAS threads to share the cores;
    # keep this process's count instead. Other backends' workers keep their own settings.
    backend, _ = get_active_backend()
    if getattr(backend, "uses_threads", False):
        raise ValueError(
            f"joblib backend {type(backend).__name__} runs jobs in threads of one process, "
            "which share torch's random seed; use processes (loky, the default; dask; ray)"
        )
    threads = (
        {"backend": backend, "inner_max_num_threads": torch.get_num_threads()}
        if getattr(backend, "supports_inner_max_num_threads", False)
        else {}
    )
    loky = isinstance(backend, LokyBackend)
    # Loky's workers die with this process, even if it is killed (SIGKILL), and leave
    # Ctrl-C, SIGTERM and SIGHUP to it: it stops them.
    tied = {"initializer": tie_to_parent, "initargs": (os.getpid(),)} if loky else {}
    with parallel_config(**threads):
        outputs = None
        try:
            # Loky starts its workers and resource trackers here; a Ctrl-C or hang-up
            # sent to the whole job must not reach them half set up (a tracker killed by
            # SIGHUP is restarted, and the new one prints a traceback per resource).
            with signals_held():
                # More workers than runs would only start idle processes (--jobs 200).
                outputs = Parallel(n_jobs=min(jobs, len(runs)), return_as="generator", **tied)(
                    delayed(train)(split, r, experiment) for r in runs
                )
            # Not `yield from`: that would close `outputs` before the finally below.
            for trace in outputs:  # noqa: UP028
                yield trace
        finally:
            if outputs is not None:
                # Stopped early (Ctrl-C): joblib cancels the remaining runs and warns
                # that it did, which is what was asked for. A no-op once all came.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    outputs.close()
    if loky:
        # Done: stop loky's workers now rather than at exit (they would sit idle, holding
        # memory, while the report is drawn). reuse=True: the executor just used.
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor(reuse=True).shutdown(wait=True)


def run_experiment(
    schedule: str | ScheduleSpec = "plateau",
    *,
    seed: int = 0,
    epochs: int = 100,
    lr: float = 0.1,
    dataset: str = "wine",
) -> Trace:
    """Train the lesson's model under one schedule and return its explained trace.

    Args:
        schedule: A schedule SPEC such as ``"step:step_size=10"``, or a parsed spec.
        seed: ``torch.manual_seed`` before the model is built.
        epochs: Epochs (one scheduler step each).
        lr: Adam's initial learning rate.
        dataset: The data set (``"wine"``).

    Raises:
        TypeError: An argument of the wrong type.
        ValueError: A bad schedule, parameter, seed, epoch count or rate.
    """
    experiment = Experiment(
        dataset=dataset, epochs=epochs, lr=lr, seeds=(seed,), schedules=(as_spec(schedule),)
    )
    return run(experiment)[0]
