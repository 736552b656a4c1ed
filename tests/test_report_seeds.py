"""The report over several seeds (SPEC §7.6): one section per schedule, medians and 10-90%
bands, how consistent the reductions were; and the statistics behind it (lrviz.bands)."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import html5lib
import numpy as np
import pytest

from lrviz import bands, plots, training
from lrviz.experiment import Experiment
from lrviz.report import fmt_spread, write_report
from lrviz.spec import parse_spec
from lrviz.trace import Epoch, Event, Trace

SEEDS = (0, 1, 2, 26)


@pytest.fixture(scope="module")
def traces() -> list[Trace]:
    return training.run(Experiment(seeds=SEEDS, epochs=40))


@pytest.fixture(scope="module")
def page(traces: list[Trace], tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_report(traces, tmp_path_factory.mktemp("seeds")).read_text(encoding="utf-8")


def test_one_section_and_one_figure_per_schedule_not_per_trace(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)
    assert page.count('class="schedule"') == 3
    assert page.count("<figure>") == page.count("<figcaption>") == page.count("<img") == 5
    assert all(alt.strip() for alt in re.findall(r'<img src="[^"]*" alt="([^"]*)"', page))
    assert "median across its seeds (line) and the band from the 10th to the 90th" in page


def test_what_was_run_names_the_seeds_once_per_schedule(page: str) -> None:
    assert "0\N{EN DASH}2, 26 (4 seeds)" in page
    assert page.count("step_size=30, gamma=0.1") == 1  # one row per schedule


def test_consistency_of_the_reductions(page: str, traces: list[Trace]) -> None:
    assert (
        "The rates are the same for all 4 seeds: StepLR reduced the rate at epoch 30 every" in page
    )
    assert (
        "The rates are the same for all 4 seeds: ExponentialLR does not depend on the weights"
        in page
    )
    plateau = [t for t in traces if t.label == "plateau"]
    firsts = sorted(bands.reduction_epochs(t)[0] for t in plateau if bands.reduction_epochs(t))
    median = np.median(firsts)
    shown = f"{median:.0f}" if median.is_integer() else f"{median:.1f}"
    assert f"First reduction at epoch {shown} (median; IQR" in page
    assert "When each reduction happened across the seeds that got that far" in page
    assert re.search(r"Events of seed \d+, whose first reduction is nearest the median", page)


def test_comparison_table_has_medians_and_spreads(page: str, traces: list[Trace]) -> None:
    for heading in (
        "Seeds",
        "Best val loss",
        "Best epoch",
        "Final val loss",
        "Final accuracy",
        "Reductions",
        "Final LR",
        "10% LR at epoch",
    ):
        assert f'<th scope="col">{heading}</th>' in page
    finals = [t.epochs[-1].val_loss for t in traces if t.label == "exp"]
    low, high = np.quantile(finals, [0.1, 0.9])
    assert f"{low:.4g}\N{EN DASH}{high:.4g}" in page


def test_seed_by_seed_table_lists_every_seed(page: str) -> None:
    assert page.count("<summary>Seed by seed (4 seeds)</summary>") == 3
    section = page[page.index('id="schedule-plateau"') :]
    for seed in SEEDS:
        assert f"<tr><td>{seed}</td>" in section


def test_every_trace_file_is_written_and_progress_is_reported(
    traces: list[Trace], tmp_path: Path
) -> None:
    calls: list[tuple[str, int, int]] = []
    write_report(traces, tmp_path, progress=lambda *a: calls.append(a))
    names = sorted(p.name for p in (tmp_path / "traces").iterdir())
    assert names == sorted(
        f"{label}-seed{s}.json" for label in ("step", "exp", "plateau") for s in SEEDS
    )
    # Trace files first: figures drawn elsewhere meanwhile (the CLI's worker) come last.
    assert calls == [("traces", k, 12) for k in range(1, 13)] + [
        ("figures", k, 5) for k in range(1, 6)
    ]


def test_warnings_name_the_seeds_once_per_schedule(traces: list[Trace], tmp_path: Path) -> None:
    steps = [t for t in traces if t.label == "step"]
    epochs = list(steps[2].epochs)
    epochs[7] = replace(epochs[7], val_loss=math.nan)
    diverged = replace(steps[2], epochs=tuple(epochs))
    # Seed 1's rate of epoch 6 set by hand to half the schedule's: the page derives its
    # events from the rates, so the change must be in them.
    epochs = list(steps[1].epochs)
    epochs[5] = replace(epochs[5], lr=tuple(x / 2 for x in epochs[5].lr))
    external = replace(steps[1], epochs=tuple(epochs))
    page = write_report([steps[0], external, diverged, steps[3]], tmp_path).read_text()
    assert (
        "step: the rate changed outside the schedule&#39;s rule in 1 seed (seed 1: epoch 5, "
        "epoch 6)" in page
    )
    assert "step: training diverged in 1 seed (seed 2: epoch 8)" in page
    assert "left out of the medians and bands" in page


def test_one_seed_keeps_the_single_run_report(tmp_path: Path) -> None:
    one = training.run(Experiment(seeds=(3,), epochs=12))
    page = write_report(one, tmp_path).read_text()
    assert "Seed by seed" not in page and "Best val loss (epoch)" in page
    assert page.count('class="schedule"') == 3


# -- lrviz.bands ------------------------------------------------------------------------------


def trace(seed: int, losses: list[float], reductions: list[int]) -> Trace:
    """A ReduceLROnPlateau trace whose rate falls x0.1 at the end of each epoch in
    ``reductions`` (so epoch k + 1 carries the new rate)."""
    rates, rate = [], 0.1
    for epoch in range(1, len(losses) + 2):
        rates.append(rate)
        rate *= 0.1 if epoch in reductions else 1
    return Trace(
        meta={"source": "run"},
        experiment={"seed": seed},
        schedule={"name": "ReduceLROnPlateau", "label": "plateau", "params": {}},
        initial_lr=(rates[0],),
        epochs=tuple(
            Epoch(k + 1, (rates[k],), train_loss=v, val_loss=v) for k, v in enumerate(losses)
        ),
        final_lr=(rates[-1],),
        events=tuple(Event(e, 0, "reduce", 0.1, 0.01, "rule") for e in reductions),
    )


def test_spread_quantiles_and_missing_values() -> None:
    s = bands.spread([5.0, 1.0, None, 3.0, 2.0, math.nan, 4.0])
    assert (s.n, s.missing, s.median, s.q1, s.q3, s.min, s.max) == (5, 2, 3.0, 2.0, 4.0, 1.0, 5.0)
    assert s.low == pytest.approx(1.4) and s.high == pytest.approx(4.6)
    assert not s.constant and bands.spread([2, 2, None]).constant
    assert bands.spread([None]) == bands.Spread(0, 1)


def test_bands_leave_non_finite_seeds_out() -> None:
    group = bands.Group(
        "plateau",
        "ReduceLROnPlateau",
        (
            trace(0, [1.0, 4.0], []),
            trace(1, [2.0, math.nan], [2]),
            trace(2, [3.0, math.inf], [1]),
        ),
    )
    band = bands.metric_band(group, "val_loss")
    assert band.x == [1, 2] and band.median == [2.0, 4.0] and band.low[0] == pytest.approx(1.2)
    rates = bands.rate_band(group)
    assert rates.x == [0, 1, 2] and rates.median == pytest.approx([0.1, 0.1, 0.01])
    assert not group.same_rates


def test_reductions_line_up_the_kth_reduction_of_every_seed() -> None:
    group = bands.Group(
        "plateau",
        "ReduceLROnPlateau",
        (
            trace(0, [1.0] * 50, [20, 31]),
            trace(1, [1.0] * 50, [24]),
            trace(2, [1.0] * 50, []),
        ),
    )
    first, second = bands.reductions(group)
    assert (first.order, first.epochs.n, first.epochs.missing, first.epochs.median) == (1, 2, 1, 22)
    assert (second.epochs.n, second.epochs.median) == (1, 31)
    assert bands.consistency(group, continuous=False) == (
        "First reduction at epoch 22 (median; IQR 21\N{EN DASH}23, range 20\N{EN DASH}24) "
        "across 3 seeds; 1 seed never reduced."
    )


def test_several_seeds_needs_distinct_seeds() -> None:
    a, b = trace(0, [1.0], []), trace(1, [1.0], [])
    assert bands.several_seeds([a, b]) and not bands.several_seeds([a])
    assert not bands.several_seeds([a, a])


@pytest.mark.parametrize(
    "value, text",
    [(1e-3, "10⁻³"), (0.1, "10⁻¹"), (1.0, "10⁰"), (100.0, "10²"), (0.5, "0.5"), (0.0, "")],
    ids=["milli", "tenth", "one", "hundred", "half", "zero"],
)
def test_rate_ticks_are_plain_unicode(value: float, text: str) -> None:
    assert plots.power_of_ten(value) == text


def test_loss_axes_clip_the_early_spike_and_say_so() -> None:
    spike = [40.0, 9.0, 3.0] + [1.1 - 0.001 * k for k in range(37)]
    traces = [trace(s, spike, []) for s in (0, 1)]
    fig = plots.loss_bands(bands.groups(traces))
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 2 and "up to 40, are off the top" in ax.get_xlabel()
    calm = plots.losses([trace(0, [1.2 - 0.01 * k for k in range(20)], [])])
    assert "off the top" not in calm.axes[0].get_xlabel()


def test_reduction_counts_per_epoch_in_the_schedule_figure() -> None:
    group = bands.Group(
        "plateau",
        "ReduceLROnPlateau",
        (
            trace(0, [1.0] * 30, [20]),
            trace(1, [1.0] * 30, [20]),
            trace(2, [1.0] * 30, [25]),
        ),
    )
    fig = plots.schedule_bands(group, 2)
    (stairs,) = fig.axes[1].patches
    values, edges, _ = stairs.get_data()
    counts = {round((a + b) / 2): v for a, b, v in zip(edges, edges[1:], values, strict=False)}
    assert counts[20] == 2 and counts[25] == 1 and sum(counts.values()) == 3


def test_fmt_spread() -> None:
    assert fmt_spread(bands.spread([1.0, 2.0, 3.0, 4.0, 5.0])) == (
        '3<span class="spread">1.4\N{EN DASH}4.6</span>'
    )
    assert fmt_spread(bands.spread([7, 7, 7])) == "7"
    assert fmt_spread(bands.spread([10, 20, 30, None]), "iqr") == (
        '20<span class="spread">15\N{EN DASH}25; none in 1</span>'
    )
    assert fmt_spread(bands.spread([None, None])) == "none (2 seeds)"


def test_cli_summarises_a_sweep_per_schedule(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lrviz.cli import main

    result = CliRunner().invoke(
        main,
        [
            "run",
            "--seeds",
            "0-2",
            "-s",
            "plateau:patience=2",
            "--epochs",
            "20",
            "-o",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    line = result.stdout.splitlines()[0]
    assert line.startswith("plateau:patience=2 ReduceLROnPlateau  3 seeds, final val loss ")
    assert "First reduction at epoch" in line
    assert parse_spec("plateau:patience=2").label in result.stdout
