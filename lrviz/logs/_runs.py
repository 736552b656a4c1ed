"""What every reader hands over: one run's scalars by tag, and how they become traces.

A reader knows a file format; this module knows what the tags mean. Tags are named
by the tools that wrote them: ``lr`` and ``learning_rate`` (anything with either as a
word: ``train/learning_rate``, ``lr-AdamW``), Lightning's LearningRateMonitor's
``lr-<Optimizer>[/pg<k>][-momentum]``, and losses such as ``train/loss`` and
``eval_loss``. Rates of one optimizer's param groups (``lr-AdamW/pg1``,
``lr-AdamW/pg2``) make one trace of several groups; other rate tags make traces of
their own.

Which update a logged rate belongs to depends on the writer: the HuggingFace Trainer
(transformers 5) logs, at step s, the rate update s used (it reads it before its
scheduler step), so its steps stay as logged; Lightning's LearningRateMonitor logs, at
step s (the updates done), the rate before update s + 1, so its rates move one step on
(``shift``); a plain ``SummaryWriter`` or table log says nothing, so its steps are kept
as they are.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from lrviz.__about__ import __version__
from lrviz.trace import Epoch, Steps, Trace

_RATE = re.compile(r"(?:^|[^a-z0-9])(?:lr|learning_rate)(?:$|[^a-z0-9])", re.IGNORECASE)
_NOT_RATE = re.compile(r"-(?:momentum|weight_decay)$")
_GROUP = re.compile(r"/pg(\d+)$")
TRAIN_LOSS = ("train/loss", "loss", "train_loss", "train_loss_epoch", "train_loss_step")
VAL_LOSS = ("eval/loss", "eval_loss", "val_loss", "val/loss", "validation_loss")
"""Loss tags, as HF (``train/loss``, ``eval_loss``), Lightning and hand-made logs name
them, first match wins."""


@dataclass(frozen=True)
class Run:
    """One run's scalars as its log holds them.

    Attributes:
        name: The run's name as the tool named it (its folder, its file).
        scalars: ``tag -> {step: value}``; a step logged twice keeps its last value
            (as TensorBoard does when a resumed run writes a step again).
        epochs: ``step -> 1-based epoch`` of the update at that step, as the reader
            reads the log's own numbering (Lightning's 0-based epochs, HF's fractional
            progress), when it has one.
    """

    name: str
    scalars: Mapping[str, Mapping[int, float]]
    epochs: Mapping[int, float] = field(default_factory=dict)


def is_rate(tag: str) -> bool:
    """Whether a tag (or column) names a learning rate."""
    return bool(_RATE.search(tag)) and not _NOT_RATE.search(tag)


def optimizers(tags: Iterable[str]) -> dict[str, list[str]]:
    """Rate tags by optimizer: Lightning's ``lr-AdamW/pg1``, ``lr-AdamW/pg2`` are the
    groups of ``lr-AdamW``, in group order; any other rate tag stands alone."""
    out: dict[str, list[str]] = {}
    for tag in sorted(tags, key=_group_order):
        out.setdefault(_GROUP.sub("", tag), []).append(tag)
    return out


def _group_order(tag: str) -> tuple[str, int]:
    match = _GROUP.search(tag)
    return (_GROUP.sub("", tag), int(match.group(1)) if match else 0)


def writer_shift(tags: Iterable[str]) -> int:
    """1 when the rates were logged by Lightning's LearningRateMonitor (``lr-<Optimizer>``),
    which logs, at step s, the rate of update s + 1; else 0 (the steps are kept as
    logged)."""
    return int(any(tag.startswith("lr-") for tag in tags))


def to_traces(
    run: Run,
    kind: str,
    where: str,
    *,
    shift: int = 0,
    rates: Sequence[str] | None = None,
    precision: str | None = None,
) -> list[Trace]:
    """The traces of one run: one per optimizer whose rates it logged.

    Args:
        run: The run's scalars.
        kind: The log's kind for ``meta.log`` (tensorboard, hf-trainer-state, ...).
        where: The file or folder, for messages.
        shift: Added to a logged step to give the step whose update used the rate.
        rates: The rate tags, in group order, when their names do not say it.
        precision: How the log stored the rates ("float32"), when it narrowed them.

    Raises:
        ValueError: The run logged no rate, or a named rate tag is not in it.
    """
    if rates is not None and not rates:
        raise ValueError(f"{where!r}: rates= names no column; name at least one")
    if rates is not None:
        missing = [tag for tag in rates if tag not in run.scalars]
        if missing:
            raise ValueError(
                f"{where!r}: no column {missing[0]!r}; it has {sorted(run.scalars)[:20]}"
            )
        groups = {rates[0]: list(rates)}
    else:
        groups = optimizers(tag for tag in run.scalars if is_rate(tag))
    if not groups:
        raise ValueError(
            f"{where!r}: no learning-rate tag or column (lr, learning_rate, lr-*); it has "
            f"{sorted(run.scalars)[:20]}"
        )
    return [
        _trace(
            run, tags, kind, shift, precision, run.name if len(groups) == 1 else f"{run.name}/{key}"
        )
        for key, tags in groups.items()
    ]


def _trace(
    run: Run, tags: list[str], kind: str, shift: int, precision: str | None, name: str
) -> Trace:
    """One optimizer's trace: its steps are those every group logged a rate at."""
    columns = [run.scalars[tag] for tag in tags]
    steps = sorted(set(columns[0]).intersection(*columns[1:]) if len(columns) > 1 else columns[0])
    if not steps:
        raise ValueError(f"{name}: the rates {tags} were never logged at the same step")
    lr = tuple(_at_steps(c, steps) for c in columns)
    momenta = [run.scalars.get(f"{tag}-momentum") for tag in tags]
    momentum = None
    if all(m is not None and all(s in m for s in steps) for m in momenta):
        momentum = tuple(_at_steps(m, steps) for m in momenta if m is not None)
    at = tuple(steps) if shift == 0 else tuple(s + shift for s in steps)
    epoch_of = _epoch_of(run)
    numbers = _epoch_numbers(run, steps)
    whole = numbers and numbers[0] == 1 and all(b - a in (0, 1) for a, b in pairwise(numbers))
    meta: dict[str, Any] = {"lrviz": __version__, "source": "import", "log": kind, "run": name}
    meta["rates"] = "as logged" + (f", {precision}" if precision else "")
    return Trace(
        meta=meta,
        experiment=None,
        schedule={"name": "unknown", "label": name, "params": {}},
        initial_lr=tuple(column[0] for column in lr),
        epochs=_epochs(run, numbers, lr, epoch_of) if whole else (),
        final_lr=tuple(column[-1] for column in lr),
        steps=Steps(
            lr=lr,
            epoch=tuple(map(float, numbers)) if whole else (1.0,) * len(steps),
            momentum=momentum,
            at=None if at[0] == 1 and at[-1] == len(at) else at,  # increasing: 1..n
        ),
    )


def _at_steps(column: Mapping[int, float], steps: list[int]) -> tuple[float, ...]:
    """A column's values at ``steps`` (all of its steps, in order, read straight off)."""
    if len(column) == len(steps) and list(column) == steps:
        return tuple(map(float, column.values()))
    return tuple(float(column[s]) for s in steps)


def _epoch_numbers(run: Run, steps: Sequence[int]) -> list[int]:
    """:func:`_epoch_of` of every one of ``steps`` (increasing), in one walk."""
    known = sorted(run.epochs)
    values = [int(run.epochs[k]) for k in known]
    out = []
    k, last = 0, len(known) - 1
    for step in steps if known else ():
        while k < last and known[k] < step:
            k += 1
        out.append(values[k])
    return out


def _epoch_of(run: Run) -> Callable[[int], int]:
    """The 1-based epoch of a logged step: the one logged at it or next after it (a
    Lightning log numbers its epochs on the rows of each epoch's end), or the last one
    logged; 0 when the log numbers none."""
    known = sorted(run.epochs)

    def epoch(step: int) -> int:
        if not known:
            return 0
        k = min(bisect.bisect_left(known, step), len(known) - 1)
        return int(run.epochs[known[k]])

    return epoch


def _epochs(
    run: Run,
    numbers: Sequence[int],
    lr: Sequence[Sequence[float]],
    epoch_of: Callable[[int], int],
) -> tuple[Epoch, ...]:
    """One record per epoch: its first entry's rates, its last entry, and the training
    and validation losses logged last in it."""
    losses = [_last_per_epoch(run, tags, epoch_of) for tags in (TRAIN_LOSS, VAL_LOSS)]
    out = []
    first = 0
    for k, number in enumerate(numbers):
        if k and numbers[k - 1] != number:
            first = k
        if k + 1 == len(numbers) or numbers[k + 1] != number:
            out.append(
                Epoch(
                    epoch=number,
                    lr=tuple(column[first] for column in lr),
                    train_loss=losses[0].get(number),
                    val_loss=losses[1].get(number),
                    step=k + 1,
                )
            )
    return tuple(out)


def _last_per_epoch(
    run: Run, tags: Sequence[str], epoch_of: Callable[[int], int]
) -> dict[int, float]:
    """The value of the first of ``tags`` the run has, logged last in each epoch."""
    for tag in tags:
        if tag in run.scalars:
            return {epoch_of(s): v for s, v in sorted(run.scalars[tag].items())}
    return {}
