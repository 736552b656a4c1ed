"""The batched engine: every run of a sweep trained at once, each bit for bit the exact path.

A run is one schedule under one seed. :func:`lrviz.training.train`, the exact path, is
the lesson's loop: ~120 small torch operations per epoch per run. This engine does the
same arithmetic for all runs at once, in ~40 operations per epoch for the whole sweep:

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
* Each run's rate comes from a real torch scheduler on a dummy optimizer
  (:class:`lrviz.simulation.Stepper`). ReduceLROnPlateau gets one per run, stepped
  with that run's validation loss; a schedule that never sees the metric sets the same
  rates whatever the weights, so all seeds of it share one.

So a sweep gives each run the numbers the exact path gives it, bit for bit
(``tests/test_batched.py`` checks every schedule, and seeds whose round-off would
otherwise grow by orders of magnitude). Before a sweep, :func:`disagreement` trains
a few epochs of the sweep both ways and compares them; on a machine where they differ
the runs are trained on the exact path (:func:`lrviz.training.run` warns).

Each product is hundreds of tiny GEMMs, and with torch's threads each is a parallel
region whose threads wait for each other, for long when another process holds a core
(:mod:`lrviz.threads`). So the engine computes a product in one thread where
:func:`probe_products` shows that gives the per-run bits (:data:`Plan`). A GEMM that
a BLAS splits between two threads by rows of its output gives other last bits in one
thread, but the same bits as its two row blocks multiplied apart in one thread: so
MKL's first-layer weight gradient here (rows 0-7 and 8-9). A product that agrees
neither way keeps torch's thread count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from lrviz.experiment import Experiment
from lrviz.progress import Progress
from lrviz.threads import one_thread
from lrviz.trace import Epoch, Trace
from lrviz.training import Run, build_model, describe, schedule_of, train_each

if TYPE_CHECKING:
    import torch

    from lrviz.data import Split
    from lrviz.simulation import Stepper

ALIGN = 16
"""Floats per 64 bytes: every run's slab starts on such a boundary, as a fresh tensor does."""

PROBE_EPOCHS = 2
"""Epochs :func:`disagreement` trains both ways before a sweep."""

PROBE_RUNS = 16
"""Runs of the sweep :func:`disagreement` compares with the exact path."""

Product = tuple[str, int, int]
"""A matrix product of the batched engine: ``("forward" | "weight" | "input", layer,
samples)``: a layer's output, its weight gradient, its input gradient."""

Plan = dict[Product, int]
"""The products the batched engine computes in one thread, each as two blocks of output
rows, ``[:k]`` and ``[k:]``, multiplied apart (``k`` = all rows: one block); the others
use torch's thread count. From :func:`probe_products`."""

_Operands = tuple["torch.Tensor", "torch.Tensor", "torch.Tensor | None"]
"""A product's left and right operands and its bias (or None)."""


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
            # denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps). In one thread:
            # MKL's sqrt would start a parallel region for every run's slab, and these
            # correctly rounded operations give each element the same bits however the
            # elements are shared among threads.
            with one_thread():
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


def _multiply(
    left: torch.Tensor,
    right: torch.Tensor,
    out: torch.Tensor,
    bias: torch.Tensor | None = None,
    rows: int | None = None,
) -> None:
    """``out = bias + left @ right`` batch entry by batch entry (``baddbmm`` / ``bmm``):
    with torch's thread count, or with ``rows`` in one thread, output rows ``[:rows]``
    and ``[rows:]`` apart (see :data:`Plan`)."""
    import torch

    blocks = [slice(None)] if rows is None else [slice(0, rows), slice(rows, None)]
    with one_thread(rows is not None):
        for block in blocks:
            if out[:, block].shape[1] == 0:
                continue
            if bias is None:
                torch.bmm(left[:, block], right, out=out[:, block])
            else:
                torch.baddbmm(bias, left[:, block], right, out=out[:, block])


class _Net:
    """The stacked model of every run: weights, gradients and buffers, all aligned; its
    products computed as ``plan`` says (all with torch's thread count by default)."""

    def __init__(
        self,
        runs: int,
        sizes: Sequence[tuple[int, int]],
        samples: Sequence[int],
        plan: Mapping[Product, int] | None = None,
    ):
        import torch

        self.runs = runs
        self.plan = dict(plan or {})
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
            rows = self.plan.get(("forward", layer, x.shape[0]))
            _multiply(h, w.transpose(1, 2), out, b.unsqueeze(1), rows)
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
            rows = self.plan.get(("weight", layer, n))
            _multiply(delta.transpose(1, 2), inputs, self.grad_w[layer], rows=rows)
            torch.sum(delta, 1, out=self.grad_b[layer])
            if layer:
                back = self.back[layer - 1]
                rows = self.plan.get(("input", layer, n))
                _multiply(delta, self.weights[layer], back, rows=rows)
                torch.ops.aten.threshold_backward.grad_input(
                    back, outs[layer - 1], 0, grad_input=self.delta[layer - 1]
                )


def _sample(runs: int, size: int) -> list[int]:
    """About ``size`` indices spread over ``range(runs)``, the first and last among them."""
    return sorted({*range(0, runs, max(1, runs // size)), runs - 1})


def probe_products(split: Split, runs: int) -> Plan:
    """How the batched engine can compute each of its products in one thread and give
    the per-run products' bits, probed on random data in every shape it multiplies,
    ``runs`` at a time (the batch size can change a BLAS's code path), checking a sample
    of the runs against per-run products made with torch's thread count, as the exact
    path's are.

    Each product is tried in one thread whole, then as two blocks of output rows split
    at each row in turn. A product that agrees neither way is left out of the plan and
    keeps torch's thread count; :func:`disagreement` judges the whole engine.
    """
    import torch

    sizes = layer_sizes(build_model())
    gen = torch.Generator().manual_seed(0)
    sample = _sample(runs, PROBE_RUNS)
    plan: Plan = {}
    for x in (split.x_train, split.x_valid):
        n = x.shape[0]
        for layer, (i, o) in enumerate(sizes):
            inputs = aligned(runs, n, i)
            inputs.copy_(x if layer == 0 else torch.randn(runs, n, i, generator=gen))
            w, b, delta = aligned(runs, o, i), aligned(runs, o), aligned(runs, n, o)
            for t in (w, b, delta):
                t.copy_(torch.randn(t.shape, generator=gen))
            # Per-run operands freshly allocated, as the exact path's are.
            per_run = [[t[r].clone() for t in (inputs, w, b, delta)] for r in sample]
            products: dict[Product, tuple[_Operands, list[torch.Tensor]]] = {
                ("forward", layer, n): (
                    (inputs, w.transpose(1, 2), b.unsqueeze(1)),
                    [torch.addmm(b_r, x_r, w_r.t()) for x_r, w_r, b_r, _ in per_run],
                ),
                ("weight", layer, n): (
                    (delta.transpose(1, 2), inputs, None),
                    [d_r.t().mm(x_r) for x_r, _, _, d_r in per_run],
                ),
                ("input", layer, n): (
                    (delta, w, None),
                    [d_r.mm(w_r) for _, w_r, _, d_r in per_run],
                ),
            }
            if layer == 0:
                del products[("input", layer, n)]  # the data needs no gradient
            for product, (operands, singles) in products.items():
                rows = operands[0].shape[1]
                ways = (rows, *range(1, rows))
                how = next((k for k in ways if _agree(operands, k, singles, sample)), None)
                if how is not None:
                    plan[product] = how
    return plan


def _agree(
    operands: _Operands, rows: int, singles: Sequence[torch.Tensor], sample: Sequence[int]
) -> bool:
    """Whether the batched product of ``operands`` computed in one thread with ``rows``
    (see :func:`_multiply`) gives the runs in ``sample`` the bits of their ``singles``."""
    import torch

    left, right, bias = operands
    out = aligned(left.shape[0], left.shape[1], right.shape[2])
    _multiply(left, right, out, bias, rows)
    return all(torch.equal(s, out[r]) for s, r in zip(singles, sample, strict=True))


def disagreement(
    split: Split, runs: Sequence[Run], experiment: Experiment, plan: Mapping[Product, int]
) -> str | None:
    """Why this engine, computing its products as ``plan`` says, cannot be trusted on
    this machine, or None when it can.

    Trains the first epochs of the whole sweep here (the batch size can change a BLAS's
    code path) and a sample of its runs on the exact path, and compares them bit for bit:
    forward, loss, backward, Adam and the schedules, end to end.
    """
    probe = replace(experiment, epochs=min(PROBE_EPOCHS, experiment.epochs))
    batched = train(split, runs, probe, plan=plan)
    sample = _sample(len(runs), PROBE_RUNS)
    exact = train_each(split, [runs[r] for r in sample], probe)
    for r, trace in zip(sample, exact, strict=True):
        if batched[r].to_json() != trace.to_json():  # NaN equals NaN in the file
            return (
                f"this machine's batched matrix products differ from per-run ones in the last "
                f"bits (run {r + 1} of {len(runs)}, {trace.label} seed {trace.seed}), so the "
                "batched engine would change the numbers"
            )
    return None


def _steppers(runs: Sequence[Run], experiment: Experiment) -> tuple[list[Stepper], list[int]]:
    """A stepper for every run (shared by the runs of a schedule that never reads the
    metric), and the index of each run's stepper."""
    from lrviz.simulation import Stepper

    steppers: list[Stepper] = []
    shared: dict[int, int] = {}
    stepper_of = []
    for run in runs:
        if run.spec.kind.needs_metric or id(run.spec) not in shared:
            shared.setdefault(id(run.spec), len(steppers))
            steppers.append(Stepper(run.spec.kind, run.params, [experiment.lr]))
            stepper_of.append(len(steppers) - 1)
        else:
            stepper_of.append(shared[id(run.spec)])
    return steppers, stepper_of


def train(
    split: Split,
    runs: Sequence[Run],
    experiment: Experiment,
    progress: Progress | None = None,
    plan: Mapping[Product, int] | None = None,
) -> list[Trace]:
    """Train every run at once; one trace per run (without events), as the exact path's.

    Products are computed as ``plan`` (from :func:`probe_products`) says; without one,
    all with torch's thread count.

    Raises:
        ValueError: A scheduler fails while stepping.
    """
    import torch

    n = len(runs)
    initial: dict[int, list[torch.Tensor]] = {}
    for seed in dict.fromkeys(r.seed for r in runs):
        # The CPU generator is all the exact path's torch.manual_seed sets that building
        # the model reads; torch.manual_seed also queues the seed for CUDA, XPU and MTIA
        # with a formatted stack each time (a millisecond a seed).
        torch.default_generator.manual_seed(seed)
        model = build_model()
        initial[seed] = [p.detach() for p in model.parameters()]
    net = _Net(n, layer_sizes(model), (split.x_train.shape[0], split.x_valid.shape[0]), plan)
    with torch.no_grad():
        for k, p in enumerate(net.params):
            p.copy_(torch.stack([initial[r.seed][k] for r in runs]))
    optimizer = BatchedAdam(net.params)
    steppers, stepper_of = _steppers(runs, experiment)
    train_losses: list[list[float]] = []
    val_losses: list[list[float]] = []
    accuracies: list[list[float]] = []
    with torch.no_grad():
        for epoch in range(1, experiment.epochs + 1):
            groups = [steppers[s].optimizer.param_groups[0] for s in stepper_of]
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
            done = set()
            for r, s in enumerate(stepper_of):
                if s not in done:  # the first run of a shared stepper stands for all
                    done.add(s)
                    metric = val_losses[-1][r] if runs[r].spec.kind.needs_metric else None
                    steppers[s].step(metric)
                    steppers[s].end_epoch()
            if progress:
                progress("training", epoch, experiment.epochs)
    traces = []
    rates_of: dict[int, Trace] = {}  # per stepper: its runs share the schedule and rates
    for r, run in enumerate(runs):
        s = stepper_of[r]
        if s not in rates_of:
            rates_of[s] = steppers[s].recorder.to_trace(
                source="run", schedule=schedule_of(run), explained=False
            )
        rates = rates_of[s]
        # Built directly: dataclasses.replace inspects the fields of each of a sweep's
        # 15,000 epochs, a tenth of a second.
        epochs = tuple(
            Epoch(
                epoch=e.epoch,
                lr=e.lr,
                train_loss=train_losses[k][r],
                val_loss=val_losses[k][r],
                val_accuracy=accuracies[k][r],
                metric=e.metric,
                momentum=e.momentum,
                state=e.state,
                step=e.step,
                updates=e.updates,
            )
            for k, e in enumerate(rates.epochs)
        )
        traces.append(replace(rates, experiment=describe(experiment, run.seed), epochs=epochs))
    return traces
