"""Many seeds fast: every run of a sweep trained at once, each bit for bit the exact path.

A run is one schedule under one seed. With one seed (or ``exact=True``), :func:`run`
trains each run on the exact path, :func:`lrviz.experiment.train`: the lesson's loop,
~120 small torch operations per epoch per run. With several seeds it uses the
*batched engine*, which does the same arithmetic for all runs at once, in ~40
operations per epoch for the whole sweep:

* Every run's weights, activations and gradients live in one stacked tensor per
  layer. Matrix products are ``torch.baddbmm`` / ``torch.bmm``, which on CPU multiply
  batch entry by batch entry with the same GEMM call as the ``addmm`` / ``mm`` of
  ``nn.Linear`` and its autograd formulas (forward ``addmm(b, x, W.t())``, weight
  gradient ``g.t().mm(a)``, input gradient ``g.mm(W)``, bias gradient ``g.sum(0)``).
* BLAS kernels pick their code path by the operands' memory alignment, and so the
  last bits of a product. A fresh tensor starts on a 64-byte boundary; so does every
  run's slab here (:func:`aligned`). Without that, a third of the runs drift apart
  from the exact path by round-off, and chaotic seeds (seed 26 at lr 0.1) end with
  other reduction epochs.
* Row-wise and elementwise operations (log-softmax and its backward, ReLU and its
  backward, Adam in :class:`BatchedAdam`) run the same kernels on the same rows; the
  loss is ``nll_loss`` per run, whose reduction order is its own.
* Each run's rate comes from a real torch scheduler on a rate holder
  (``lrviz.optim.Adam([], [lr])``, no parameters). ReduceLROnPlateau gets one per run,
  stepped with that run's validation loss; a schedule that never sees the metric sets
  the same rates whatever the weights, so all seeds of it share one.

So a sweep gives each run the numbers the exact path gives it, bit for bit
(``tests/test_sweep.py`` checks every schedule, and seeds whose round-off would
otherwise grow by orders of magnitude). Before a sweep, :func:`kernels_agree` probes the
batched products against per-run ones on random data of the sweep's shapes; on a
machine whose BLAS disagrees, the sweep runs on the exact path and warns
(:class:`ExactFallback`) rather than give other numbers.

``jobs`` spreads exact-path runs over processes with joblib; a dask or ray joblib
backend takes them beyond one machine.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lrviz import schedules
from lrviz.config import Experiment
from lrviz.explanation import explain
from lrviz.schedules import ScheduleSpec
from lrviz.trace import Epoch, Trace

if TYPE_CHECKING:
    import torch

    from lrviz.data import Split

ALIGN = 16
"""Floats per 64 bytes: every run's slab starts on such a boundary, as a fresh tensor does."""

Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``, called as work advances, e.g. ("training", 40, 100)."""


class ExactFallback(UserWarning):
    """The batched engine would not reproduce the exact path here; the exact path ran."""


@dataclass(frozen=True)
class Job:
    """One run of a sweep: a schedule, its resolved parameters, a seed."""

    spec: ScheduleSpec
    params: dict[str, Any]
    seed: int


def jobs_of(experiment: Experiment) -> list[Job]:
    """Every (schedule, seed) run of an experiment, schedule-major, parameters resolved
    and each schedule built and stepped once on a rate holder, so bad values fail first.

    Raises:
        ValueError: A schedule torch rejects.
    """
    out: list[Job] = []
    for spec in experiment.schedules:
        params = schedules.resolve(spec, experiment.epochs, experiment.lr)
        schedules.check(spec.kind, params, experiment.lr, experiment.epochs)
        out.extend(Job(spec, params, seed) for seed in experiment.seeds)
    return out


def run(
    experiment: Experiment,
    *,
    exact: bool = False,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Trace]:
    """Train every schedule under every seed; explained traces, schedule-major.

    One seed, or ``exact``, trains run after run on the exact path; several seeds use
    the batched engine, which gives the same traces.

    Args:
        experiment: What to run.
        exact: Train every run on the exact path, even with several seeds.
        jobs: Processes for exact-path runs (joblib); 1 trains them in this process.
        progress: Called as work advances.

    Raises:
        ValueError: A schedule torch rejects, or ``jobs`` < 1.
    """
    from lrviz import data

    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    work = jobs_of(experiment)
    split = data.load(experiment.dataset)
    if exact or len(experiment.seeds) == 1:
        traces = train_exact(split, work, experiment, jobs, progress)
    elif not kernels_agree(split, len(work)):
        warnings.warn(
            "this machine's batched matrix products differ from per-run ones in the last "
            "bits, so the batched engine would change the numbers: every run is trained "
            "on the exact path instead (slower; --jobs spreads it over processes)",
            ExactFallback,
            stacklevel=2,
        )
        traces = train_exact(split, work, experiment, jobs, progress)
    else:
        traces = train_batched(split, work, experiment, progress)
    return [trace.with_events(explain(trace)) for trace in traces]


# -- the exact path, optionally in parallel --------------------------------------------


def train_exact(
    split: Split,
    work: Sequence[Job],
    experiment: Experiment,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Trace]:
    """Each job on the exact path (the lesson's loop), in order, without events.

    ``jobs`` > 1 trains them in joblib worker processes, each with this process's
    thread count: BLAS splits a product differently over another number of threads,
    and a chaotic seed then ends elsewhere.

    Raises:
        ValueError: The active joblib backend runs jobs in threads (they would share
            torch's global random seed).
    """
    from lrviz.experiment import train

    if jobs == 1:
        results: Iterator[Trace] = (
            train(split, job.spec, job.params, experiment, job.seed) for job in work
        )
    else:
        results = _parallel(split, work, experiment, jobs)
    out = []
    for trace in results:
        out.append(trace)
        if progress:
            progress("training", len(out), len(work))
    return out


def _parallel(
    split: Split, work: Sequence[Job], experiment: Experiment, jobs: int
) -> Iterator[Trace]:
    import torch
    from joblib import Parallel, delayed, parallel_config
    from joblib.parallel import get_active_backend

    from lrviz.experiment import train

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
    with parallel_config(**threads):
        # More workers than runs would only start idle processes (--jobs 200 on 2 runs).
        yield from Parallel(n_jobs=min(jobs, len(work)), return_as="generator")(
            delayed(train)(split, job.spec, job.params, experiment, job.seed) for job in work
        )


# -- the batched engine -------------------------------------------------------------------


def aligned(runs: int, *shape: int) -> torch.Tensor:
    """A zero float32 tensor ``(runs, *shape)`` whose run slabs each start on a 64-byte
    boundary, as a freshly allocated tensor does (torch's allocator aligns to 64)."""
    import torch

    numel = math.prod(shape)
    padded = -(-numel // ALIGN) * ALIGN
    return torch.zeros(runs, padded)[:, :numel].view(runs, *shape)


class BatchedAdam:
    """Adam over runs stacked along dimension 0: torch's single-tensor arithmetic, op for op.

    Each run has its own rate, betas and eps; all runs step together (they share the
    step count, as runs of one sweep do). Per element the operations are those of
    ``torch.optim.Adam`` (``foreach=False``, no weight decay, no amsgrad), so each
    run's weights stay bit for bit what torch's Adam gives it (``tests/test_sweep.py``).

    Args:
        params: Stacked parameters, each ``(runs, ...)``; updated in place.
    """

    def __init__(self, params: Sequence[torch.Tensor]) -> None:
        self.params = list(params)
        self.runs = self.params[0].shape[0]
        self.exp_avg = [aligned(self.runs, *p.shape[1:]) for p in self.params]
        self.exp_avg_sq = [aligned(self.runs, *p.shape[1:]) for p in self.params]
        self.steps = 0

    def step(
        self,
        grads: Sequence[torch.Tensor],
        lrs: Sequence[float],
        betas: Sequence[tuple[float, float]],
        eps: Sequence[float],
    ) -> None:
        """One Adam update of every run, run ``r`` with ``lrs[r]``, ``betas[r]``, ``eps[r]``.

        Raises:
            ValueError: Not one gradient per parameter, or not one value per run.
        """
        import torch

        if len(grads) != len(self.params):
            raise ValueError(
                f"need one gradient per parameter ({len(self.params)}), got {len(grads)}"
            )
        if not len(lrs) == len(betas) == len(eps) == self.runs:
            raise ValueError(
                f"need one lr, betas and eps per run ({self.runs}), got "
                f"{len(lrs)}, {len(betas)} and {len(eps)}"
            )
        self.steps += 1
        step = float(self.steps)
        # torch computes these in Python floats and rounds them to float32 inside the
        # kernels; rounding the same doubles here gives the same float32 values.
        columns = {
            "one_minus_beta1": [1 - b1 for b1, _ in betas],
            "beta2": [b2 for _, b2 in betas],
            "one_minus_beta2": [1 - b2 for _, b2 in betas],
            "bias_correction2_sqrt": [(1 - b2**step) ** 0.5 for _, b2 in betas],
            "eps": list(eps),
            "neg_step_size": [
                -(lr / (1 - b1**step)) for lr, (b1, _) in zip(lrs, betas, strict=True)
            ],
        }
        coef = {k: torch.tensor(v, dtype=torch.float32) for k, v in columns.items()}
        for p, grad, exp_avg, exp_avg_sq in zip(
            self.params, grads, self.exp_avg, self.exp_avg_sq, strict=True
        ):
            c = {k: v.view((self.runs,) + (1,) * (p.dim() - 1)) for k, v in coef.items()}
            # exp_avg.lerp_(grad, 1 - beta1)
            exp_avg.lerp_(grad, c["one_minus_beta1"])
            # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2); the kernel
            # computes value * t1 * t2 + self, so value * grad comes first here too.
            exp_avg_sq.mul_(c["beta2"]).addcmul_(grad * c["one_minus_beta2"], grad)
            # denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            denom = (exp_avg_sq.sqrt() / c["bias_correction2_sqrt"]).add_(c["eps"])
            # p.addcdiv_(exp_avg, denom, value=-step_size): value * t1 / t2 + self.
            p.addcdiv_(exp_avg * c["neg_step_size"], denom)


def layer_sizes(model: torch.nn.Module) -> list[tuple[int, int]]:
    """``(in, out)`` of each Linear layer of a ``Linear, ReLU, ..., Linear`` model.

    Raises:
        TypeError: The model is not such a stack (the batched engine runs no other).
    """
    from torch import nn

    modules = list(model.children())
    linear = modules[0::2]
    ok = (
        len(modules) % 2 == 1
        and all(isinstance(m, nn.Linear) and m.bias is not None for m in linear)
        and all(isinstance(m, nn.ReLU) for m in modules[1::2])
    )
    if not ok:
        raise TypeError(
            f"the batched engine runs Linear (with bias) and ReLU layers in turn, not {model}"
        )
    return [(m.in_features, m.out_features) for m in linear if isinstance(m, nn.Linear)]


class _Net:
    """The stacked model of every run: weights, gradients and buffers, all aligned."""

    def __init__(self, runs: int, sizes: Sequence[tuple[int, int]], samples: Sequence[int]):
        import torch

        self.runs = runs
        self.weights = [aligned(runs, o, i) for i, o in sizes]
        self.biases = [aligned(runs, o) for _, o in sizes]
        self.grad_w = [aligned(runs, o, i) for i, o in sizes]
        self.grad_b = [aligned(runs, o) for _, o in sizes]
        # Per sample count (training, validation): each layer's output (after ReLU), the
        # log-probabilities, and each run's rows of them, made once, not every epoch.
        self.out = {n: [aligned(runs, n, o) for _, o in sizes] for n in samples}
        # Contiguous: log-softmax and its backward run their fast kernel on contiguous
        # rows (as in the exact path); their arithmetic needs no alignment.
        self.log_probs = {n: torch.empty(runs, n, sizes[-1][1]) for n in samples}
        self.rows = {n: self.log_probs[n].unbind(0) for n in samples}
        self.delta = [aligned(runs, samples[0], o) for _, o in sizes]
        self.back = [aligned(runs, samples[0], i) for i, _ in sizes[1:]]

    @property
    def params(self) -> list[torch.Tensor]:
        """Weights and biases in the model's ``parameters()`` order."""
        return [t for pair in zip(self.weights, self.biases, strict=True) for t in pair]

    @property
    def grads(self) -> list[torch.Tensor]:
        """Gradients in the order of :attr:`params`."""
        return [t for pair in zip(self.grad_w, self.grad_b, strict=True) for t in pair]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Each run's log-probabilities for the samples ``x``: ``nn.Linear`` as ``addmm``."""
        import torch

        h = x.expand(self.runs, *x.shape)
        outs = self.out[x.shape[0]]
        for layer, (w, b, out) in enumerate(zip(self.weights, self.biases, outs, strict=True)):
            torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2), out=out)
            if layer < len(outs) - 1:
                out.relu_()
            h = out
        log_probs = self.log_probs[x.shape[0]]
        torch._log_softmax(h, 2, False, out=log_probs)  # what Tensor.log_softmax(2) calls
        return log_probs

    def losses(self, y: torch.Tensor) -> list[float]:
        """Each run's mean cross-entropy after :meth:`forward`: ``nll_loss`` run by run,
        so each sums its samples in the kernel's own order (``nn.CrossEntropyLoss``'s)."""
        import torch

        nll = torch._C._nn.nll_loss_nd  # F.nll_loss without its Python checks; 1 = mean
        return [nll(row, y, None, 1, -100).item() for row in self.rows[y.shape[0]]]  # type: ignore[arg-type]

    def backward(self, x: torch.Tensor, y: torch.Tensor, log_probs: torch.Tensor) -> None:
        """Gradients of each run's mean cross-entropy, as autograd computes them for
        ``nn.CrossEntropyLoss`` and ``nn.Linear`` (after :meth:`forward` on ``x``)."""
        import torch

        n = x.shape[0]
        grad_log_probs = torch.zeros_like(log_probs)
        # nll_loss's backward: -(grad_output / total_weight) at each target, in float32.
        grad_log_probs[:, torch.arange(n), y] = -(torch.tensor(1.0) / n)
        last = len(self.weights) - 1
        self.delta[last].copy_(
            torch._log_softmax_backward_data(grad_log_probs, log_probs, 2, torch.float32)
        )
        outs = self.out[n]
        for layer in range(last, -1, -1):
            delta = self.delta[layer]
            inputs = outs[layer - 1] if layer else x.expand(self.runs, *x.shape)
            torch.bmm(delta.transpose(1, 2), inputs, out=self.grad_w[layer])
            torch.sum(delta, 1, out=self.grad_b[layer])
            if layer:
                back = self.back[layer - 1]
                torch.bmm(delta, self.weights[layer], out=back)
                torch.ops.aten.threshold_backward.grad_input(
                    back, outs[layer - 1], 0, grad_input=self.delta[layer - 1]
                )


def kernels_agree(split: Split, runs: int) -> bool:
    """Whether this machine's batched products give per-run products' bits, probed on
    random data in every shape the batched engine multiplies, ``runs`` at a time (the
    batch size can change a BLAS's code path), checking a sample of the runs."""
    import torch

    from lrviz.experiment import build_model

    sizes = layer_sizes(build_model())
    gen = torch.Generator().manual_seed(0)
    for x in (split.x_train, split.x_valid):
        n = x.shape[0]
        for layer, (i, o) in enumerate(sizes):
            inputs = aligned(runs, n, i)
            inputs.copy_(x if layer == 0 else torch.randn(runs, n, i, generator=gen))
            w, b, delta = aligned(runs, o, i), aligned(runs, o), aligned(runs, n, o)
            for t in (w, b, delta):
                t.copy_(torch.randn(t.shape, generator=gen))
            batched = [aligned(runs, n, o), aligned(runs, o, i), aligned(runs, n, i)]
            torch.baddbmm(b.unsqueeze(1), inputs, w.transpose(1, 2), out=batched[0])
            torch.bmm(delta.transpose(1, 2), inputs, out=batched[1])
            torch.bmm(delta, w, out=batched[2])
            for r in sorted({*range(0, runs, max(1, runs // 16)), runs - 1}):
                # Per-run operands freshly allocated, as the exact path's are.
                x_r, w_r, b_r, d_r = (t[r].clone() for t in (inputs, w, b, delta))
                single = (torch.addmm(b_r, x_r, w_r.t()), d_r.t().mm(x_r), d_r.mm(w_r))
                if not all(torch.equal(s, bt[r]) for s, bt in zip(single, batched, strict=True)):
                    return False
    return True


@dataclass
class _Driver:
    """A rate holder and its real scheduler, setting the rates of the runs in ``runs``."""

    kind: schedules.Kind
    holder: Any
    scheduler: Any
    momentum: bool
    runs: list[int]
    rates: list[tuple[float, ...]] = field(default_factory=list)
    momenta: list[tuple[float, ...] | None] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> None:
        """Note the rates and momenta the coming epoch applies."""
        self.rates.append(_rates(self.holder))
        self.momenta.append(schedules.momenta(self.holder) if self.momentum else None)

    def advance(self, epoch: int, val_losses: Sequence[float]) -> None:
        """The end of an epoch: one scheduler step, with the metric if it needs one."""
        self.holder.step()  # no parameters: it only tells the scheduler a step happened
        metric = val_losses[self.runs[0]] if self.kind.needs_metric else None
        schedules.advance(self.kind, self.scheduler, epoch, metric)
        self.states.append(schedules.state_of(self.kind, self.scheduler))


def _drivers(work: Sequence[Job], experiment: Experiment) -> tuple[list[_Driver], list[int]]:
    """Rate drivers for every job, and the index of each job's driver."""
    from lrviz.optim import Adam

    drivers: list[_Driver] = []
    shared: dict[int, int] = {}
    driver_of = []
    for r, job in enumerate(work):
        if not job.spec.kind.needs_metric and id(job.spec) in shared:
            d = shared[id(job.spec)]
            drivers[d].runs.append(r)
        else:
            holder = Adam([], [experiment.lr])
            scheduler = schedules.build(job.spec.kind, job.params, holder)
            momentum = schedules.varies_momentum(job.spec.kind, job.params)
            d = len(drivers)
            drivers.append(_Driver(job.spec.kind, holder, scheduler, momentum, [r]))
            shared.setdefault(id(job.spec), d)
        driver_of.append(d)
    return drivers, driver_of


def train_batched(
    split: Split, work: Sequence[Job], experiment: Experiment, progress: Progress | None = None
) -> list[Trace]:
    """Train every job at once; one trace per job (without events), as the exact path's.

    Raises:
        ValueError: A scheduler fails while stepping.
    """
    import torch

    from lrviz.experiment import build_model, run_trace

    runs = len(work)
    initial: dict[int, list[torch.Tensor]] = {}
    for seed in dict.fromkeys(job.seed for job in work):
        torch.manual_seed(seed)
        model = build_model()
        initial[seed] = [p.detach() for p in model.parameters()]
    net = _Net(runs, layer_sizes(model), (split.x_train.shape[0], split.x_valid.shape[0]))
    with torch.no_grad():
        for k, p in enumerate(net.params):
            p.copy_(torch.stack([initial[job.seed][k] for job in work]))
    optimizer = BatchedAdam(net.params)
    drivers, driver_of = _drivers(work, experiment)
    initial_lr = [_rates(d.holder) for d in drivers]
    train_losses: list[list[float]] = []
    val_losses: list[list[float]] = []
    accuracies: list[list[float]] = []
    with torch.no_grad():
        for epoch in range(1, experiment.epochs + 1):
            for d in drivers:
                d.record()
            groups = [drivers[d].holder.param_groups[0] for d in driver_of]
            log_probs = net.forward(split.x_train)
            train_losses.append(net.losses(split.y_train))
            net.backward(split.x_train, split.y_train, log_probs)
            optimizer.step(
                net.grads,
                [g["lr"] for g in groups],
                [tuple(g["betas"]) for g in groups],
                [g["eps"] for g in groups],
            )
            log_probs = net.forward(split.x_valid)
            val_losses.append(net.losses(split.y_valid))
            accuracies.append((log_probs.argmax(dim=2) == split.y_valid).double().mean(1).tolist())
            for d in drivers:
                d.advance(epoch, val_losses[-1])
            if progress:
                progress("training", epoch, experiment.epochs)
    traces = []
    for r, job in enumerate(work):
        d = drivers[driver_of[r]]
        epochs = tuple(
            Epoch(
                epoch=k + 1,
                lr=d.rates[k],
                train_loss=train_losses[k][r],
                val_loss=val_losses[k][r],
                val_accuracy=accuracies[k][r],
                metric=val_losses[k][r] if d.kind.needs_metric else None,
                momentum=d.momenta[k],
                state=d.states[k],
            )
            for k in range(experiment.epochs)
        )
        traces.append(
            run_trace(
                experiment,
                job.spec,
                job.params,
                job.seed,
                initial_lr[driver_of[r]],
                epochs,
                _rates(d.holder),
            )
        )
    return traces


def _rates(optimizer: Any) -> tuple[float, ...]:
    return tuple(float(g["lr"]) for g in optimizer.param_groups)
