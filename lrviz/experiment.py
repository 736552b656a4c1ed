"""What to run, as frozen data, and how it is read from a TOML file (SPEC §2).

::

    [experiment]
    epochs = 100
    lr = 0.1
    seeds = [0, 1, 2]

    [[schedule]]
    name = "StepLR"          # class name or alias; every other key is a parameter
    step_size = 30

    [[schedule]]
    name = "SequentialLR"
    label = "warmup-cosine"  # optional: names the schedule in headings and files
    milestones = [5]
    schedulers = [{name = "LinearLR", start_factor = 0.1, total_iters = 5}, "cosine"]

Unknown keys are errors, not ignored. Command-line options win over the file:
:func:`merge` takes the file and the options the user actually gave.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrviz import checks
from lrviz.data import DATASETS
from lrviz.files import same_file_name, slug
from lrviz.seeds import check_seeds
from lrviz.spec import ScheduleSpec, parse_spec, spec_from_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

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
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        checks.epochs(self.epochs)
        checks.lr(self.lr)
        check_seeds(self.seeds)
        if not self.schedules:
            raise ValueError("need at least one schedule")
        runs = len(self.seeds) * len(self.schedules)
        checks.steps_fit(self.epochs * runs, f"{self.epochs:,} epochs of {runs:,} runs")
        for k, spec in enumerate(self.schedules):
            for earlier in self.schedules[:k]:
                if earlier.label == spec.label:
                    raise ValueError(
                        f"schedule {spec.label!r} is given twice; each schedule needs its own label"
                    )
                if same_file_name(earlier.label, spec.label):
                    raise ValueError(
                        f"schedules {earlier.label!r} and {spec.label!r} would share the file "
                        f"name {slug(spec.label)!r}; label one of them otherwise"
                    )


# -- experiment files ------------------------------------------------------------------

MAX_BYTES = 1 << 20
"""The largest experiment file read (1 MiB): a few dozen lines is a large one."""

EXPERIMENT_KEYS = ("dataset", "epochs", "lr", "seeds")
"""Keys of the ``[experiment]`` table."""

TOP_LEVEL_KEYS = ("experiment", "schedule")
"""Tables of the file."""


@dataclass(frozen=True)
class ConfigFile:
    """What an experiment file says.

    Attributes:
        source: The file name, for messages.
        settings: The ``[experiment]`` keys the file sets (validated).
        schedules: The ``[[schedule]]`` tables, parsed; empty means lrviz's defaults.
    """

    source: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    schedules: tuple[ScheduleSpec, ...] = ()


def load(path: str | os.PathLike[str]) -> ConfigFile:
    """Read and check an experiment file.

    Raises:
        ValueError: Unreadable file, bad TOML, an unknown key or a bad value; the
            message names the file.
    """
    from lrviz.files import read_text

    return parse(read_text(path, "config", MAX_BYTES), os.fspath(path))


def parse(text: str, source: str = "config") -> ConfigFile:
    """Check the text of an experiment file (see :func:`load`).

    Raises:
        ValueError: Bad TOML, an unknown key or a bad value.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from exc
    except RecursionError:
        raise ValueError(f"{source}: not valid TOML: nested too deeply") from None
    try:
        _known(data, TOP_LEVEL_KEYS, "top-level key")
        table = data.get("experiment", {})
        if not isinstance(table, Mapping):
            raise ValueError("experiment must be a table: [experiment]")
        _known(table, EXPERIMENT_KEYS, "key in [experiment]")
        settings = {key: _CHECKS[key](table[key]) for key in EXPERIMENT_KEYS if key in table}
        return ConfigFile(source, settings, _schedules(data.get("schedule", [])))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from exc


def _known(table: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
    for key in table:
        if key not in allowed:
            raise ValueError(f"unknown {what} {key!r}; allowed: {', '.join(allowed)}")


def _schedules(value: Any) -> tuple[ScheduleSpec, ...]:
    # One [schedule] table is accepted as well as an array of [[schedule]] tables.
    tables = [value] if isinstance(value, Mapping) else value
    if not isinstance(tables, list):
        raise ValueError(f"schedule must be [[schedule]] tables, got {value!r}")
    return tuple(spec_from_table(t, f"schedule {i + 1}") for i, t in enumerate(tables))


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return value


def _seeds(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"seeds must be a non-empty list of whole numbers, got {value!r}")
    return check_seeds(_whole(v, "every seed") for v in value)


def _dataset(value: Any) -> str:
    if value not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {value!r}")
    return str(value)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "dataset": _dataset,
    "epochs": checks.epochs,
    "lr": checks.lr,
    "seeds": _seeds,
}


def merge(config: ConfigFile | None, **given: Any) -> Experiment:
    """The experiment: lrviz's defaults, then the file, then the options given.

    Args:
        config: The experiment file, if any.
        **given: Command-line values the user gave (``None`` means not given):
            ``dataset``, ``epochs``, ``lr``, ``seeds`` and ``schedules``.

    Raises:
        TypeError: An unknown option name.
        ValueError: A bad value.
    """
    unknown = sorted(set(given) - {*EXPERIMENT_KEYS, "schedules"})
    if unknown:
        raise TypeError(f"unknown experiment option {unknown[0]!r}")
    values: dict[str, Any] = {}
    if config is not None:
        values.update(config.settings)
        if config.schedules:
            values["schedules"] = config.schedules
    values.update({k: v for k, v in given.items() if v is not None and v != ()})
    return Experiment(**values)
