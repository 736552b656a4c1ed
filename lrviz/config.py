"""What to run, as frozen data: the experiment and its schedules (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lrviz.schedules import ScheduleSpec, parse_spec, slug
from lrviz.seeds import check_seeds

DEFAULT_SCHEDULES = ("step", "exp", "plateau")
"""The lesson's three: StepLR(30, 0.1), ExponentialLR(0.95), ReduceLROnPlateau(min, 0.1, 10)."""


def _default_schedules() -> tuple[ScheduleSpec, ...]:
    return tuple(parse_spec(s) for s in DEFAULT_SCHEDULES)


@dataclass(frozen=True)
class Experiment:
    """One lrviz run: every schedule trained under every seed.

    Attributes:
        dataset: The data set (only the lesson's ``wine`` for now).
        epochs: Full-batch epochs per run; one scheduler step each.
        lr: Adam's initial learning rate.
        seeds: ``torch.manual_seed`` values; each schedule starts from the same weights.
        schedules: The schedules to compare.
    """

    dataset: str = "wine"
    epochs: int = 100
    lr: float = 0.1
    seeds: tuple[int, ...] = (0,)
    schedules: tuple[ScheduleSpec, ...] = field(default_factory=_default_schedules)

    def __post_init__(self) -> None:
        if self.epochs <= 0:
            raise ValueError(f"epochs must be a whole number > 0, got {self.epochs}")
        check_seeds(self.seeds)
        if not self.schedules:
            raise ValueError("need at least one schedule")
        for k, spec in enumerate(self.schedules):
            for earlier in self.schedules[:k]:
                if earlier.label == spec.label:
                    raise ValueError(
                        f"schedule {spec.label!r} is given twice; each schedule needs its own label"
                    )
                if slug(earlier.label) == slug(spec.label):
                    raise ValueError(
                        f"schedules {earlier.label!r} and {spec.label!r} would share the file "
                        f"name {slug(spec.label)!r}; label one of them otherwise"
                    )
