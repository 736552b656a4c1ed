"""The progress bar: stderr only, only on a terminal, only after about a second; and
`lrviz run --seeds` end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from lrviz.cli import Progress, main


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_drawn_during_the_first_second() -> None:
    stream, clock = Terminal(), Clock()
    with Progress(stream=stream, clock=clock) as progress:
        for k in range(1, 51):
            clock.now += 0.01
            progress("training", k, 100)
    assert stream.getvalue() == ""


def test_longer_work_draws_a_bar_that_follows_the_stages() -> None:
    stream, clock = Terminal(), Clock()
    with Progress(stream=stream, clock=clock) as progress:
        clock.now += 1.5
        progress("training", 40, 100)
        progress("training", 100, 100)
        progress("figures", 1, 3)
    text = stream.getvalue()
    assert "training" in text and "100%" in text
    assert "figures" in text and text.index("figures") > text.index("training")
    assert text.endswith("\n")


def test_no_bar_off_a_terminal_or_when_quiet() -> None:
    for stream, enabled in ((io.StringIO(), True), (Terminal(), False)):
        clock = Clock()
        with Progress(enabled=enabled, stream=stream, clock=clock) as progress:
            clock.now += 5
            progress("training", 1, 2)
        assert stream.getvalue() == ""


def test_run_with_seeds_writes_one_trace_per_schedule_and_seed(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(
        main,
        ["run", "--seeds", "0-2", "-s", "step:step_size=2", "--epochs", "4", "-o", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress bar off a terminal
    names = sorted(p.name for p in (tmp_path / "traces").iterdir())
    assert names == [f"step_step_size=2-seed{s}.json" for s in range(3)]
    seeds = [json.loads((tmp_path / "traces" / n).read_text())["experiment"]["seed"] for n in names]
    assert seeds == [0, 1, 2]
