"""Seed lists: ``--seeds 0-49``, ``0,3,7``, ``0-9,20`` (SPEC §2), and their short form.

Pure functions, no torch: the command line and the TOML file parse seeds with
:func:`parse_seeds`, the report names them with :func:`format_seeds`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SEEDS = 1000
"""At most this many seeds per run: a typo such as ``0-999999`` should fail at once,
not train for an hour and fill the memory with traces."""

MIN_SEED, MAX_SEED = -(2**63), 2**64 - 1
"""The range of seeds ``torch.manual_seed`` accepts (a range in :func:`parse_seeds`
starts at 0: a minus sign there would be read as a range)."""

_ITEM = re.compile(r"([0-9]+)(?:-([0-9]+))?")  # ASCII only: \d and int() take other scripts' digits


def parse_seeds(text: str) -> tuple[int, ...]:
    """The seeds of a comma-separated list of numbers and ranges, in the order given.

    ``"0-49"`` is 0 to 49 inclusive, ``"0,3,7"`` three seeds, ``"0-9,20"`` eleven.

    Raises:
        ValueError: Not numbers and ranges, a range that runs backwards, a seed
            given twice, or more than :data:`MAX_SEEDS` seeds.
    """
    seeds: list[int] = []
    for item in text.split(","):
        match = _ITEM.fullmatch(item.strip())
        if match is None:
            raise ValueError(
                f"bad seeds {text!r}: {item.strip()!r} is not a seed or a range; "
                "write whole numbers >= 0 and ranges, e.g. 0-49, 0,3,7 or 0-9,20"
            )
        first = int(match[1])
        last = first if match[2] is None else int(match[2])
        if last < first:
            raise ValueError(
                f"bad seed range {item.strip()!r} in {text!r}: {last} < {first}; "
                f"write it {last}-{first}"
            )
        if last > MAX_SEED:
            raise ValueError(f"seed {last} in {text!r} is too large; seeds go up to {MAX_SEED}")
        if len(seeds) + last - first + 1 > MAX_SEEDS:
            raise ValueError(f"{text!r} asks for more than {MAX_SEEDS} seeds")
        seeds.extend(range(first, last + 1))
    return check_seeds(seeds)


def check_seeds(seeds: Iterable[int]) -> tuple[int, ...]:
    """Seeds as a tuple, checked: at least one, whole numbers, none twice, not too many.

    Raises:
        ValueError: No seed, a seed that is not a whole number in torch's range, a
            seed given twice, or more than :data:`MAX_SEEDS` seeds.
    """
    out = tuple(seeds)
    if not out:
        raise ValueError("need at least one seed")
    for seed in out:
        if isinstance(seed, bool) or not isinstance(seed, int) or not MIN_SEED <= seed <= MAX_SEED:
            raise ValueError(
                f"seeds must be whole numbers from {MIN_SEED} to {MAX_SEED}, got {seed!r}"
            )
    if len(out) > MAX_SEEDS:
        raise ValueError(f"{len(out)} seeds is more than the {MAX_SEEDS} allowed")
    seen: set[int] = set()
    for seed in out:
        if seed in seen:
            raise ValueError(f"seed {seed} is given twice")
        seen.add(seed)
    return out


def format_seeds(seeds: Iterable[int]) -> str:
    """The shortest spelling :func:`parse_seeds` reads back: ``(0, 1, 2, 3, 7)`` -> ``"0-3,7"``.

    Runs of three or more consecutive seeds become ranges; the order is kept.
    """
    items: list[str] = []
    run: list[int] = []
    for seed in [*seeds, None]:
        if run and seed is not None and seed == run[-1] + 1:
            run.append(seed)
            continue
        if len(run) >= 3:
            items.append(f"{run[0]}-{run[-1]}")
        else:
            items.extend(str(s) for s in run)
        run = [] if seed is None else [seed]
    return ",".join(items)
