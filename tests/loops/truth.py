"""What a loop truly did, read from torch while it ran: the oracle of the loop tests.

Nothing here reads lrviz: the rates of every optimizer update are read from the param
groups at the moment ``optimizer.step`` runs (an update GradScaler skips never calls
it), and each scheduler step's rates before and after it from the same groups.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any


def rates(optimizer: Any) -> tuple[float, ...]:
    """The rate of every param group now."""
    return tuple(float(group["lr"]) for group in optimizer.param_groups)


@dataclass
class Truth:
    """The rates a loop used and the changes its scheduler made.

    Attributes:
        used: The rates of each optimizer update that ran, in order.
        stepped: ``(before, after)`` rates of each scheduler step, in order.
        raised: 1-based numbers of the scheduler steps that raised.
        by_hand: 1-based numbers of the steps at whose start the loop set the rate itself.
        skipped: Updates the loop attempted that did not run (AMP's inf checks).
        micro_batches: Backward passes per optimizer update (1 without accumulation).
    """

    used: list[tuple[float, ...]] = field(default_factory=list)
    stepped: list[tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=list)
    raised: list[int] = field(default_factory=list)
    by_hand: list[int] = field(default_factory=list)
    skipped: int = 0
    micro_batches: int = 1

    def watch_updates(self, optimizer: Any) -> None:
        """Note the rates of every update ``optimizer.step`` makes from now on."""
        original = optimizer.step

        @functools.wraps(original)
        def step(*args: Any, **kwargs: Any) -> Any:
            self.used.append(rates(optimizer))
            return original(*args, **kwargs)

        optimizer.step = step

    def watch_scheduler(self, scheduler: Any, optimizer: Any) -> None:
        """Note the rates around every ``scheduler.step`` from now on (made after any
        Recorder, so that the Recorder still sees the steps)."""
        original = scheduler.step

        @functools.wraps(original)
        def step(*args: Any, **kwargs: Any) -> Any:
            before = rates(optimizer)
            try:
                return original(*args, **kwargs)
            except Exception:
                self.raised.append(len(self.stepped) + 1)
                raise
            finally:
                self.stepped.append((before, rates(optimizer)))

        scheduler.step = step

    def changed_steps(self, group: int = 0) -> list[int]:
        """The 1-based scheduler steps after which the group's rate differed."""
        return [
            k
            for k, (before, after) in enumerate(self.stepped, start=1)
            if changed(before[group], after[group])
        ]


def changed(before: float, after: float) -> bool:
    """Whether a rate changed by more than float rounding (torch's closed forms move a
    rate by an ulp or two where it stands still)."""
    return not math.isclose(before, after, rel_tol=1e-12, abs_tol=0.0)


def changes_between(
    used: list[tuple[float, ...]], final: tuple[float, ...], group: int = 0
) -> list[int]:
    """The 1-based steps k after which the rate differed from step k's, in a loop of one
    update per step: step k+1 (or ``final``) used another rate."""
    seq = [u[group] for u in used] + [final[group]]
    return [k for k in range(1, len(seq)) if changed(seq[k - 1], seq[k])]
