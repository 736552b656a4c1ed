"""Seed lists: the --seeds grammar, its errors, the short spelling, and the CLI options."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from lrviz.cli import main
from lrviz.seeds import MAX_SEED, MAX_SEEDS, MIN_SEED, check_seeds, format_seeds, parse_seeds


@pytest.mark.parametrize(
    "text, seeds",
    [
        ("0-49", tuple(range(50))),
        ("0,3,7", (0, 3, 7)),
        ("0-9,20", (*range(10), 20)),
        ("5", (5,)),
        ("3-3", (3,)),
        (" 7 , 1-2 ", (7, 1, 2)),
        (f"{MAX_SEED}", (MAX_SEED,)),
    ],
    ids=[
        "range",
        "list",
        "range-and-seed",
        "one",
        "one-wide-range",
        "spaces-order-kept",
        "largest",
    ],
)
def test_parse_seeds(text: str, seeds: tuple[int, ...]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    "text, message",
    [
        ("", r"'' is not a seed or a range"),
        ("a", r"'a' is not a seed or a range; write whole numbers >= 0 and ranges, e.g. 0-49"),
        ("1-", r"'1-' is not a seed or a range"),
        ("-1", r"'-1' is not a seed or a range"),
        ("1,,2", r"'' is not a seed or a range"),
        ("1.5", r"'1.5' is not a seed or a range"),
        ("\u0661", r"'\u0661' is not a seed or a range"),
        ("0-9,5", r"seed 5 is given twice"),
        ("9-2", r"bad seed range '9-2' in '9-2': 2 < 9; write it 2-9"),
        (f"0-{MAX_SEEDS}", rf"'0-{MAX_SEEDS}' asks for more than {MAX_SEEDS} seeds"),
        (f"{MAX_SEED + 1}", rf"seed {MAX_SEED + 1} in '{MAX_SEED + 1}' is too large"),
    ],
    ids=[
        "empty",
        "word",
        "open-range",
        "negative",
        "empty-item",
        "fraction",
        "arabic-indic-digit",
        "twice",
        "backwards",
        "too-many",
        "too-large",
    ],
)
def test_bad_seeds_name_the_culprit(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_seeds(text)


def test_check_seeds_takes_torchs_range_and_rejects_the_rest() -> None:
    assert check_seeds([MIN_SEED, 0, MAX_SEED]) == (MIN_SEED, 0, MAX_SEED)
    for bad in ([], [True], [1.0], [MIN_SEED - 1], [MAX_SEED + 1], [2, 2], range(MAX_SEEDS + 1)):
        with pytest.raises(ValueError, match="seed"):
            check_seeds(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "seeds, text",
    [
        ((0, 1, 2, 3, 7), "0-3,7"),
        ((0, 1), "0,1"),
        ((5, 4, 3), "5,4,3"),
        ((9,), "9"),
        (tuple(range(50)), "0-49"),
        ((1, 2, 3, 10, 11, 12, 13, 20), "1-3,10-13,20"),
    ],
    ids=["range-then-seed", "pair", "descending", "one", "fifty", "two-ranges"],
)
def test_format_seeds(seeds: tuple[int, ...], text: str) -> None:
    assert format_seeds(seeds) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=60, unique=True))
def test_format_seeds_reads_back(seeds: list[int]) -> None:
    assert parse_seeds(format_seeds(seeds)) == tuple(seeds)


def test_experiment_file_seeds_get_the_same_checks(tmp_path: Path) -> None:
    """TOML seeds do not pass through --seeds' parser: the Experiment checks them."""
    runner = CliRunner()
    config = tmp_path / "x.toml"
    for seeds, message in (
        ("[1, 1]", "seed 1 is given twice"),
        ("[18446744073709551616]", "seeds must be whole numbers from"),
    ):
        config.write_text(f"[experiment]\nepochs = 2\nseeds = {seeds}\n")
        result = runner.invoke(main, ["run", "-c", str(config), "-o", str(tmp_path / "o")])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Error: ") and message in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seeds", "9-2"], r"Invalid value for '--seeds': bad seed range '9-2'"),
        (["--seeds", "x"], r"Invalid value for '--seeds': bad seeds 'x'"),
        (["--seeds", "0-2", "--seed", "1"], r"give --seed or --seeds, not both"),
        (["--jobs", "0"], r"Invalid value for '--jobs'"),
    ],
    ids=["backwards", "word", "with-seed", "zero-jobs"],
)
def test_bad_seed_options_are_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(main, ["run", "--epochs", "2", "-o", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "index.html").exists()
