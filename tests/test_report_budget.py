"""The page stays small however long or many the traces (issue 11): long event tables list
their first rows and say where the rest are; schedules past the first sections get a
table row; long lines are thinned, keeping every minimum, maximum and event."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lrviz import plots, series
from lrviz.report import MAX_ROWS, MAX_SECTIONS, write_report
from lrviz.trace import Epoch, Event, Trace


def many_schedules(n: int, epochs: int = 20) -> list[Trace]:
    """``n`` step schedules by hand, each with its events (a rule's reasons)."""
    out = []
    for k in range(n):
        size = 2 + k % 9
        rates = [0.1 * 0.5 ** (e // size) for e in range(epochs + 1)]
        trace = Trace.from_rates(rates, name="StepLR", params={"step_size": size, "gamma": 0.5})
        events = [
            Event(e, 0, "reduce", rates[e - 1], rates[e], f"epoch {e} is a multiple of {size}")
            for e in range(1, epochs + 1)
            if rates[e] != rates[e - 1]
        ]
        out.append(
            replace(
                trace.with_events(events),
                schedule={**trace.schedule, "label": f"step-{k}"},
            )
        )
    return out


def long_run(epochs: int) -> Trace:
    """An every-epoch decay of ``epochs`` epochs, with losses and an event per epoch (its
    milestones marked), as ``lrviz run --epochs`` would record it."""
    rates = (0.1 * 0.9999 ** np.arange(epochs + 1)).tolist()
    marks = {int(np.argmax(np.asarray(rates) <= f * 0.1)): f for f in (0.5, 0.1, 0.01)}
    return Trace(
        meta={"lrviz": "0.1.0", "torch": "2.13.0", "source": "run"},
        experiment={"dataset": "wine", "epochs": epochs, "seed": 0, "loss": "CrossEntropyLoss"},
        schedule={"name": "ExponentialLR", "label": "exp", "params": {"gamma": 0.9999}},
        initial_lr=(rates[0],),
        epochs=tuple(
            Epoch(e, (rates[e - 1],), train_loss=1 + 1 / e, val_loss=1.1 + 1 / e)
            for e in range(1, epochs + 1)
        ),
        final_lr=(rates[-1],),
        events=tuple(
            Event(
                e,
                0,
                "reduce",
                rates[e - 1],
                rates[e],
                "every epoch: rate x gamma 0.9999",
                {"milestones": [marks[e]]} if e in marks else {},
            )
            for e in range(1, epochs + 1)
        ),
    )


def test_2000_schedules_make_a_page_of_a_few_megabytes(tmp_path: Path) -> None:
    traces = many_schedules(2000)
    page = write_report(traces, tmp_path).read_text()
    assert len(page.encode()) < 3_000_000
    assert page.count('class="schedule"') == MAX_SECTIONS
    assert f"{2000 - MAX_SECTIONS} more schedules, beyond the first sections" in page
    assert '<a href="traces/step-1999.json">step-1999.json</a>' in page
    assert len(list((tmp_path / "traces").iterdir())) == 2000
    assert len(list((tmp_path / "figures").glob("*.svg"))) == 1 + MAX_SECTIONS
    assert "Drawn: the first 12 of 2000 schedules" in page


def test_100000_epochs_make_a_page_under_a_megabyte(tmp_path: Path) -> None:
    trace = long_run(100_000)
    page = write_report([trace], tmp_path).read_text()
    assert len(page.encode()) < 1_000_000
    assert f"(the first {MAX_ROWS} of 100,000)" in page
    assert f"… and {100_000 - MAX_ROWS:,} more events: the full list is in" in page
    assert "traces/exp-seed0.json" in page
    for svg in (tmp_path / "figures").glob("*.svg"):
        assert svg.stat().st_size < 400_000, svg


def test_thinning_keeps_the_extremes_the_ends_and_the_events() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(1_000_003)
    y[[17, 500_000, 999_999]] = [5.0, -1.0, math.nan]
    keep = series.thin(y, keep=[123_456])
    assert len(keep) < 5 * series.COLUMNS
    assert {0, len(y) - 1, 17, 500_000, 999_999, 123_456} <= set(keep.tolist())
    assert np.array_equal(keep, np.unique(keep))
    size = math.ceil(len(y) / series.COLUMNS)  # a column: this many points
    columns = [np.arange(k, min(k + size, len(y))) for k in range(0, len(y), size)]
    for column in columns[::7]:  # every column's lowest and highest point is drawn
        finite = column[np.isfinite(y[column])]
        assert finite[np.argmin(y[finite])] in keep and finite[np.argmax(y[finite])] in keep


def test_a_million_steps_are_drawn_with_every_event_on_its_line() -> None:
    n = 1_000_000
    steps = np.arange(n)
    rates = np.where(steps < 300_000, 0.1 * (steps + 1) / 300_000, 0.1 * 0.99999 ** (steps - 3e5))
    rates[654_321] = 0.5  # a rate set by hand for one step
    from lrviz.trace import Steps

    trace = Trace(
        meta={"source": "record"},
        experiment=None,
        schedule={"name": "LambdaLR", "params": {}},
        initial_lr=(float(rates[0]),),
        epochs=tuple(
            Epoch(e, (float(rates[(e - 1) * 1000]),), step=e * 1000) for e in range(1, 1001)
        ),
        final_lr=(float(rates[-1]),),
        steps=Steps(lr=(tuple(rates.tolist()),), epoch=tuple((steps // 1000 + 1.0).tolist())),
        events=(
            Event(655, 0, "external", float(rates[654_320]), 0.5, "set by hand", step=654_321),
            Event(655, 0, "external", 0.5, float(rates[654_322]), "set by hand", step=654_322),
        ),
    )
    fig = plots.lr_overview([trace])
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    ys = np.asarray(line.get_ydata())
    assert len(ys) < 5 * series.COLUMNS
    assert ys.max() == 0.5 and ys.min() == rates.min()
    xs = np.asarray(line.get_xdata())
    assert 654_321 in xs and 654_322 in xs
    (marks,) = ax.collections
    assert {tuple(p) for p in np.asarray(marks.get_offsets()).tolist()} == {
        (654_321.0, 0.5),
        (654_322.0, float(rates[654_322])),
    }


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_every_group_of_a_trace_gets_its_own_line(n: int) -> None:
    rates = [[0.1 / (g + 1) * 0.5 ** (e // 3) for g in range(n)] for e in range(10)]
    trace = Trace.from_rates(rates, name="groups")
    fig = plots.lr_overview([trace])
    assert len(fig.axes[0].get_lines()) == n
    same = Trace.from_rates([[0.1] * n, [0.05] * n], name="same")
    (line,) = plots.lr_overview([same]).axes[0].get_lines()
    assert plots.lr_overview([same]).legends[0].get_texts()[0].get_text() == (
        "same" if n == 1 else f"same, all {n} groups (same rates)"
    )
    assert line.get_gid() == "rate-0-g0"


def many_groups(n: int, own_rates: bool) -> Trace:
    """A recorded StepLR over ``n`` param groups: the same rate each, or a rate each."""
    import torch

    import lrviz

    weights = [torch.nn.Parameter(torch.zeros(1)) for _ in range(n)]
    optimizer = torch.optim.SGD(
        [
            {"params": [w], "lr": 0.1 * (1 + g / n if own_rates else 1)}
            for g, w in enumerate(weights)
        ]
    )
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 2, 0.5)
    recorder = lrviz.Recorder(optimizer, scheduler)
    for _ in range(5):
        optimizer.step()
        scheduler.step()
    return recorder.trace


@pytest.mark.parametrize("own_rates", [False, True], ids=["same-rates", "a-rate-each"])
def test_10000_param_groups_make_a_page_as_small_as_one_group(
    tmp_path: Path, own_rates: bool
) -> None:
    """Each group's settings and final rate and a line per group were 170 bytes a group
    on the page and 3 kB in each figure: 47 MB for a million groups."""
    page = write_report([many_groups(10_000, own_rates)], tmp_path).read_text()
    assert len(page.encode()) < 300_000
    if own_rates:
        assert "and 9,992 more param groups, with 9,992 other settings (the trace file" in page
        assert "0.025 and 9,992 more, from 0.025 to 0.05 (the trace file has every" in page
        assert page.count("first 12 of 10,000 lines, one per set of param groups") == 2
        for svg in (tmp_path / "figures").glob("*.svg"):
            assert svg.stat().st_size < 100_000, svg
    else:
        assert "fused=None) (groups 0\N{EN DASH}9,999)</code>" in page
        assert "<td>0.025 (all 10,000 groups)</td>" in page
