"""HuggingFace transformers' schedules, by their own names: ``hf:linear``, ``hf:cosine``, ...

Each is what ``transformers.get_scheduler(NAME, ...)`` builds: a torch ``LambdaLR`` whose
function is a ``functools.partial`` of one of ``transformers.optimization``'s, counted
in optimizer steps. lrviz builds them with the real library (``pip install
'lrviz[hf]'``), never a copy of its formulas: the rates, and the factors the rule checks
them against, come from the library's own function. What lrviz adds is the reading: the
phases each schedule has (warm-up, then its decay), named with their numbers ("warm-up
step 37 of 100: 37% of the base rate").

A LambdaLR recorded from a loop of one's own (the HuggingFace Trainer's, say) is
recognised by its function and named the same way (:func:`recognise`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

from lrviz.schedules.base import EPOCHS, Kind, Params, Prediction, Preset, Timeline, const
from lrviz.schedules.functional import factors
from lrviz.text import number

EXTRA = "hf"
"""The extra that installs the library: ``pip install 'lrviz[hf]'``."""

PREFIX = "hf:"

FUNCTIONS = {
    "linear": "get_linear_schedule_with_warmup",
    "cosine": "get_cosine_schedule_with_warmup",
    "cosine_with_restarts": "get_cosine_with_hard_restarts_schedule_with_warmup",
    "polynomial": "get_polynomial_decay_schedule_with_warmup",
    "constant": "get_constant_schedule",
    "constant_with_warmup": "get_constant_schedule_with_warmup",
    "inverse_sqrt": "get_inverse_sqrt_schedule",
    "cosine_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup",
    "cosine_warmup_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "warmup_stable_decay": "get_wsd_schedule",
}
"""``transformers.get_scheduler`` names lrviz offers, and the function behind each.
(``reduce_lr_on_plateau`` is torch's ReduceLROnPlateau, ``plateau`` here; ``greedy`` is
not a torch scheduler.)"""

LAMBDAS = {
    "_get_linear_schedule_with_warmup_lr_lambda": "linear",
    "_get_cosine_schedule_with_warmup_lr_lambda": "cosine",
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": "cosine_with_restarts",
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": "polynomial",
    "_get_constant_lambda": "constant",
    "_get_constant_schedule_with_warmup_lr_lambda": "constant_with_warmup",
    "_get_inverse_sqrt_schedule_lr_lambda": "inverse_sqrt",
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": "cosine_warmup_with_min_lr",
    "_get_wsd_scheduler_lambda": "warmup_stable_decay",
}
"""The functions ``transformers.optimization`` builds its LambdaLRs on, and whose they are."""


def library() -> Any:
    """``transformers.optimization``.

    Raises:
        ValueError: transformers is not installed (saying which extra installs it).
    """
    try:
        from transformers import optimization
    except ImportError:
        raise ValueError(
            "HuggingFace schedules (hf:...) need the transformers library: "
            f"pip install 'lrviz[{EXTRA}]'"
        ) from None
    return optimization


def _factory(name: str) -> Callable[[], Callable[..., Any]]:
    """The library's function for ``name``, its arguments checked first (:func:`check`),
    as torch's constructors check theirs."""

    def make() -> Callable[..., Any]:
        function = getattr(library(), FUNCTIONS[name])

        @functools.wraps(function)  # its signature: lrviz reads the defaults from it
        def checked(*args: Any, **kwargs: Any) -> Any:
            check(name, kwargs)
            return function(*args, **kwargs)

        return checked

    return make


# -- the arguments' ranges -----------------------------------------------------------------


def _whole(low: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low


def _between(low: float, high: float, low_open: bool = False) -> Callable[[Any], bool]:
    def fits(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return False
        return (v > low if low_open else v >= low) and v <= high

    return fits


_RANGES: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "num_warmup_steps": (_whole(0), "a whole number >= 0"),
    "num_training_steps": (_whole(1), "a whole number >= 1"),
    "num_decay_steps": (_whole(0), "a whole number >= 0"),
    "num_stable_steps": (_whole(0), "a whole number >= 0"),
    "timescale": (_whole(1), "a whole number >= 1"),
    "num_cycles": (_between(0, math.inf, low_open=True), "a number > 0"),
    "power": (_between(0, math.inf, low_open=True), "a number > 0"),
    "lr_end": (_between(0, math.inf), "a number >= 0"),
    "min_lr": (_between(0, math.inf), "a number >= 0"),
    "min_lr_rate": (_between(0, 1), "a number from 0 to 1"),
    "warmup_lr_rate": (_between(0, 1), "a number from 0 to 1"),
    "min_lr_ratio": (_between(0, 1), "a number from 0 to 1"),
}
"""What each argument of transformers' schedules may be: the ranges their formulas make
sense in (the library checks few itself; a negative warm-up or a cycle count of 0 would
only give rates no one meant)."""

_WHOLE_CYCLES = {"num_cycles": (_whole(1), "a whole number >= 1")}
"""cosine_with_restarts counts its cycles (hard restarts) in whole numbers."""


def check(name: str, params: Mapping[str, Any]) -> None:
    """Check the arguments of ``hf:NAME`` against their ranges (:data:`_RANGES`); None is
    left to the library (an optional argument's "not given").

    Raises:
        ValueError: Naming the first argument out of range, what it may be, and its value.
    """
    ranges = {**_RANGES, **(_WHOLE_CYCLES if name == "cosine_with_restarts" else {})}
    for key, value in params.items():
        if key in ranges and value is not None and not ranges[key][0](value):
            raise ValueError(f"{key} must be {ranges[key][1]}, got {value!r}")


# -- phases ------------------------------------------------------------------------------


def _warmup(p: Params) -> int:
    value: int = p.get("num_warmup_steps") or 0
    return value


def _decay(name: str, p: Params, t: int) -> tuple[str, str]:
    """(phase, where in it) of the step that set the rate of step ``t`` (after warm-up)."""
    warmup = _warmup(p)
    total = p.get("num_training_steps")
    since = t - warmup
    span = f"step {since} of {total - warmup}" if isinstance(total, int) else f"step {since}"
    if name == "linear":
        return "linear decay", span
    if name in ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        floor = p.get("min_lr_rate") or p.get("min_lr")
        return ("cosine decay" + (f" to {number(floor)}" if floor else "")), span
    if name == "cosine_with_restarts":
        cycles = p.get("num_cycles", 1)
        length = (total - warmup) / cycles if isinstance(total, int) and cycles else 0
        cycle = int(since // length) + 1 if length else 1
        return f"cosine cycle {min(cycle, cycles)} of {cycles}", span
    if name == "polynomial":
        return (
            f"polynomial decay (power {number(p['power'])}, to lr_end {number(p['lr_end'])})",
            span,
        )
    if name == "inverse_sqrt":
        return "inverse square-root decay", f"step {since}"
    if name == "warmup_stable_decay":
        stable = p.get("num_stable_steps")
        if stable is None and isinstance(total, int):
            stable = total - warmup - p["num_decay_steps"]
        if stable is not None and since < stable:
            return "stable", f"step {since} of {stable}"
        return f"{p['decay_type']} decay", f"step {since - (stable or 0)} of {p['num_decay_steps']}"
    return "constant", f"step {since}"


def _rule(name: str) -> Callable[[Timeline], list[Prediction]]:
    def rule(timeline: Timeline) -> list[Prediction]:
        """base x lr_lambda(t), the library's own factors, read phase by phase."""
        p, g = timeline.params, timeline.group
        base = timeline.base
        if base is None:
            raise KeyError("base rate")
        warmup = _warmup(p)
        ts = timeline.state.get("last_epoch") or range(1, len(timeline.before) + 1)
        out = []
        for t, step_factors in zip(ts, timeline.state["factor"], strict=True):
            factor = step_factors[g]
            if name != "constant" and t <= warmup and warmup:
                phase, where = "warm-up", f"step {t} of {warmup}"
            else:
                phase, where = _decay(name, p, t)
            reason = f"{phase}, {where}: {factor:.0%} of the base rate {number(base)}"
            out.append(Prediction(base * factor, reason, {"phase": phase, "factor": factor}))
        return out

    return rule


# -- recognising a recorded scheduler ---------------------------------------------------


def recognise(scheduler: Any) -> tuple[Kind, dict[str, Any]] | None:
    """The ``hf:`` schedule a live LambdaLR is, with its arguments, or None."""
    functions = getattr(scheduler, "lr_lambdas", None)
    if not functions:
        return None
    first = functions[0]
    func = getattr(first, "func", first)
    if getattr(func, "__module__", "") != "transformers.optimization":
        return None
    name = LAMBDAS.get(getattr(func, "__name__", ""))
    if name is None:
        return None
    keywords = dict(getattr(first, "keywords", {}) or {})
    if name == "cosine" and "min_lr_rate" in keywords:
        name = "cosine_with_min_lr"
    keywords.pop("lr_init", None)  # polynomial's copy of the optimizer's rate
    return KINDS_BY_NAME[PREFIX + name], keywords


# -- the registry entries -----------------------------------------------------------------

_DECAY = Preset("epochs/10", lambda epochs, rates: max(1, epochs // 10))
"""warmup_stable_decay's num_decay_steps, which the library requires: the last tenth."""

_PRESETS: Mapping[str, Mapping[str, Preset]] = {
    "linear": {"num_warmup_steps": const(0), "num_training_steps": EPOCHS},
    "cosine": {"num_warmup_steps": const(0), "num_training_steps": EPOCHS},
    "cosine_with_restarts": {"num_warmup_steps": const(0), "num_training_steps": EPOCHS},
    "polynomial": {"num_warmup_steps": const(0), "num_training_steps": EPOCHS},
    "constant": {},
    "constant_with_warmup": {"num_warmup_steps": const(0)},
    "inverse_sqrt": {"num_warmup_steps": const(0)},
    "cosine_with_min_lr": {
        "num_warmup_steps": const(0),
        "num_training_steps": EPOCHS,
        "min_lr_rate": Preset("0.1", lambda epochs, rates: 0.1, unless=("min_lr",)),
    },
    "cosine_warmup_with_min_lr": {
        "num_warmup_steps": const(0),
        "num_training_steps": EPOCHS,
        "min_lr_rate": Preset("0.1", lambda epochs, rates: 0.1, unless=("min_lr",)),
    },
    "warmup_stable_decay": {
        "num_warmup_steps": const(0),
        "num_training_steps": EPOCHS,
        "num_decay_steps": _DECAY,
    },
}


def _kind(name: str) -> Kind:
    return Kind(
        PREFIX + name,
        presets=_PRESETS[name],
        continuous=name != "constant",
        child=False,
        per_batch=True,
        rule=_rule(name),
        derived_state=factors,
        factory=_factory(name),
        library=f"transformers (pip install 'lrviz[{EXTRA}]')",
    )


KINDS = tuple(_kind(name) for name in FUNCTIONS)
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}

__all__ = ["KINDS", "library", "recognise"]
