"""The report takes any valid trace (issue 11): every shape of tests/shapes.py, from
every source, renders a valid, accessible, self-contained page that shows what its
traces hold and nothing they do not; every param group has its line, events sit on
their own group's line."""

from __future__ import annotations

import html.parser
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import html5lib
import numpy as np
import pytest
from matplotlib.figure import Figure
from shapes import SHAPES, golden_run, plateau_max, simulate

from lrviz import bands, plots, series
from lrviz.explanation import metric_name, milestones
from lrviz.report import write_report
from lrviz.trace import Trace

Built = tuple[list[Trace], Path, str]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Built]:
    """Each shape's traces and report, made once for all the tests of this module."""
    cache: dict[str, Built] = {}

    def get(shape: str) -> Built:
        if shape not in cache:
            traces = SHAPES[shape]()
            out = tmp_path_factory.mktemp(shape)
            page = write_report(traces, out).read_text(encoding="utf-8")
            cache[shape] = (traces, out, page)
        return cache[shape]

    return get


SHAPE = pytest.mark.parametrize("shape", list(SHAPES))


class Page(html.parser.HTMLParser):
    """Start tags with their attributes, and the text inside each tag kind of interest."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "figcaption", "caption", "th", "p", "li", "h2"):
            self.open.append(tag)
            self.text.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.text[self.open[-1]][-1] += data


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    return parser


@SHAPE
def test_the_page_is_valid_self_contained_and_accessible(
    built: Callable[[str], Built], shape: str
) -> None:
    _, _, page = built(shape)
    html5lib.HTMLParser(strict=True).parse(page)
    found = parse(page)
    tags = [t for t, _ in found.tags]
    assert ("html", {"lang": "en"}) in found.tags
    assert tags.count("h1") == 1
    assert not {"script", "link", "iframe", "object", "embed"} & set(tags)
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "url(" not in page
    assert tags.count("figure") == tags.count("figcaption") == tags.count("img") >= 2
    images = [a for t, a in found.tags if t == "img"]
    for image in images:
        assert (image["src"] or "").startswith("data:image/svg+xml;base64,")
        alt = image.get("alt") or ""
        assert len(alt) > 40 and ("learning rate" in alt or "loss" in alt), alt
    assert tags.count("table") == tags.count("caption")
    assert all(a.get("scope") in ("col", "row") for t, a in found.tags if t == "th")
    assert all(text.strip() for text in found.text["figcaption"])


@SHAPE
def test_what_no_trace_recorded_is_left_out(built: Callable[[str], Built], shape: str) -> None:
    traces, out, page = built(shape)
    losses = any(
        e.train_loss is not None or e.val_loss is not None for t in traces for e in t.epochs
    )
    accuracy = any(e.val_accuracy is not None for t in traces for e in t.epochs)
    assert ('id="losses"' in page) == losses
    assert (out / "figures" / "loss.svg").exists() == losses
    assert ("Final accuracy" in page) == accuracy
    assert ("val loss" in page) == any(e.val_loss is not None for t in traces for e in t.epochs)
    run = all(t.meta.get("source") == "run" for t in traces)
    assert ("same initial weights" in page) == run
    assert ("torch.manual_seed" in page) == run
    if not any(t.meta.get("torch") for t in traces):
        assert "torch not recorded" in page
    assert "None" not in parse(page).text["th"]


@SHAPE
def test_the_lede_says_what_the_traces_are(built: Callable[[str], Built], shape: str) -> None:
    traces, _, page = built(shape)
    (lede,) = re.findall(r'<p class="lede">(.*?)</p>', page, re.S)
    sources = {t.meta.get("source") for t in traces}
    if sources == {"simulate"}:
        assert "simulated schedule" in lede and "no training" in lede
    elif sources == {"record"}:
        assert "recorded schedule" in lede or "recorded under" in lede
    elif len(sources) > 1:
        assert all(
            word in lede
            for word, source in (
                ("trained by lrviz run", "run"),
                ("recorded from a training loop", "record"),
                ("simulated (no training)", "simulate"),
            )
            if source in sources
        )
    if not any(
        e.train_loss is not None or e.val_loss is not None for t in traces for e in t.epochs
    ):
        assert "learning rates only: no losses were recorded" in lede


def legend_texts(fig: Figure) -> list[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    return [t.get_text() for legend in legends if legend for t in legend.get_texts()]


def figures(traces: list[Trace]) -> list[Figure]:
    if bands.several_seeds(traces):
        found = bands.groups(traces)
        return [plots.lr_bands(found), *(plots.schedule_bands(g, i) for i, g in enumerate(found))]
    return [plots.lr_overview(traces), *(plots.schedule_detail(t, i) for i, t in enumerate(traces))]


@SHAPE
def test_no_legend_repeats_a_name(built: Callable[[str], Built], shape: str) -> None:
    traces, _, _ = built(shape)
    for fig in figures(traces):
        for text in legend_texts(fig):
            assert not re.fullmatch(r"(.+) \(\1(, .*)?\)", text), text


def step_value(line: Any, x: float) -> float:
    """The value a steps-post line holds at x (the last vertex at or before x)."""
    xs = np.asarray(line.get_xdata(), dtype=float)
    ys = np.asarray(line.get_ydata(), dtype=float)
    return float(ys[np.searchsorted(xs, x, side="right") - 1])


@pytest.mark.parametrize("shape", [s for s in SHAPES if not s.startswith("seeds-")])
def test_every_group_has_a_line_and_its_events_sit_on_it(
    built: Callable[[str], Built], shape: str
) -> None:
    """(Several seeds are drawn as bands: test_every_group_has_a_band.)"""
    traces, _, _ = built(shape)
    fig = plots.lr_overview(traces)
    frame = series.frame(traces[: plots.MAX_LINES])
    lines = {
        line.get_gid(): (ax, line) for ax in fig.axes for line in ax.get_lines() if line.get_gid()
    }
    for i, trace in enumerate(traces[: plots.MAX_LINES]):
        for g in range(trace.groups):
            r = series.rates(trace, g)
            mine = [
                (ax, line)
                for gid, (ax, line) in lines.items()
                if gid.startswith(f"rate-{i}-g")
                or (len(traces) == 1 and gid.startswith("rate-0-g"))
            ]
            match = [
                (ax, line)
                for ax, line in mine
                if set(np.asarray(line.get_ydata(), dtype=float).tolist()) <= set(r.tolist())
                and np.nanmax(line.get_ydata()) == np.nanmax(r)
                and np.nanmin(line.get_ydata()) == np.nanmin(r)
            ]
            assert match, f"{trace.label}: no line for group {g}"
            ax, line = match[0]
            marks = {
                (round(float(x), 9), float(y))
                for c in ax.collections
                for x, y in np.asarray(c.get_offsets())
            }
            for e in plots.marked_events(trace):
                if e.group != g:
                    continue
                x = float(frame.x(trace, [e.at])[0])
                assert (round(x, 9), float(r[e.at])) in marks, (trace.label, e)
                assert step_value(line, x) == r[e.at], (trace.label, e)


def test_every_group_has_a_band(built: Callable[[str], Built]) -> None:
    traces, _, page = built("seeds-recorded-2-groups")
    fig = plots.lr_bands(bands.groups(traces))
    labels = legend_texts(fig)
    assert "group 0" in labels and "group 1" in labels
    assert "Seed by seed (3 seeds)" in page


@SHAPE
def test_axis_labels_use_the_recorded_names(built: Callable[[str], Built], shape: str) -> None:
    traces, _, _ = built(shape)
    recorded = any(
        e.val_loss is not None or e.train_loss is not None for t in traces for e in t.epochs
    )
    fig = plots.loss_bands(bands.groups(traces)) if bands.several_seeds(traces) else None
    if fig is None and recorded:
        fig = plots.losses(traces)
    if fig is None:
        with pytest.raises(ValueError, match="no trace recorded a loss"):
            plots.document(traces, "loss")
        return
    fig = fig
    label = fig.axes[0].get_ylabel()
    name = series.loss_name(traces)
    assert label.startswith(name or "loss"), label
    assert "cross-entropy" not in label
    for i, trace in enumerate(traces[:3]):
        detail = series.detail(trace)
        if detail.metric is not None:
            right = plots.schedule_detail(trace, i).axes[-1].get_ylabel()
            assert right.startswith(series.metric_label(metric_name(trace))), right


def test_a_loss_is_named_only_when_every_trace_with_losses_named_it() -> None:
    run, recorded, simulated = golden_run()[0], plateau_max(), simulate("cosine", epochs=5)
    assert run.experiment is not None and run.experiment["loss"] == "CrossEntropyLoss"
    assert series.loss_name([run, simulated]) == "CrossEntropyLoss"  # no losses: no say
    assert series.loss_name([run, recorded]) is None  # the recorded loop named none
    assert series.loss_name([simulated]) is None
    assert plots.losses([run, recorded]).axes[0].get_ylabel().startswith("loss")


def test_the_issue_s_recorded_loop(built: Callable[[str], Built]) -> None:
    """SGD with two groups, ReduceLROnPlateau(mode="max") stepped with accuracy."""
    (trace,), _, page = built("record-2-groups-plateau-max")
    assert "1 recorded schedule" in page and "same initial weights" not in page
    assert "ReduceLROnPlateau (ReduceLROnPlateau)" not in page
    assert "SGD(lr=0.1, momentum=0.9" in page and "SGD(lr=0.01, momentum=0.9" in page
    assert "(group 1)" in page
    detail = plots.schedule_detail(trace, 0)
    assert detail.axes[-1].get_ylabel() == "validation accuracy"
    assert "cross-entropy" not in page.lower()
    fig = plots.lr_overview([trace])
    assert {"group 0", "group 1"} <= set(legend_texts(fig))


@pytest.mark.parametrize(
    "shape", ["record-user-class", "record-lambda-warmup-from-0", "record-multiplicative"]
)
def test_schedulers_without_a_rule_are_shown_as_they_are(
    built: Callable[[str], Built], shape: str
) -> None:
    (trace,), _, page = built(shape)
    assert trace.events and all(e.kind in ("reduce", "increase") for e in trace.events)
    body = page[page.index("<body>") :]
    # Not a failure nor a change from outside (a pitfall warning may still apply).
    assert "external" not in body and "outside the schedule" not in body
    rows = re.findall(r'<tr class="(\w+)">', page)
    assert rows and set(rows) <= {"reduce", "increase"}
    if trace.name == "mymod.Decay":
        assert "lrviz has no rule for mymod.Decay" in page
        assert "lrviz has no rule for <code>mymod.Decay</code>" in page
    else:
        assert "lr_lambda" in page  # explained by its function


def test_a_rates_only_trace_says_it_stores_no_events(built: Callable[[str], Built]) -> None:
    _, _, page = built("from-rates-1-group")
    assert "This trace stores no events (it holds rates only). The rate changed 1 time: " in page
    assert "epoch 2 (0.1 → 0.01)" in page
    assert "never changed" not in page


@pytest.mark.parametrize("shape", ["simulate-rate-reaches-0", "record-lambda-warmup-from-0"])
def test_a_rate_of_0_is_drawn_not_dropped(built: Callable[[str], Built], shape: str) -> None:
    (trace,), _, page = built(shape)
    fig = plots.lr_overview([trace])
    (ax,) = fig.axes
    assert ax.get_yscale() == "symlog"
    (line,) = ax.get_lines()
    assert 0.0 in np.asarray(line.get_ydata()).tolist()
    assert "linear near 0 since a rate reaches 0" in page


@pytest.mark.parametrize(
    "shape", ["simulate-steps-onecycle", "record-steps-2-groups", "mix-epochs-and-steps"]
)
def test_steps_on_the_axis_with_epochs_beside(built: Callable[[str], Built], shape: str) -> None:
    traces, _, page = built(shape)
    fig = plots.lr_overview(traces)
    ax = fig.axes[0]
    frame = series.frame(traces)
    assert ax.get_xlabel() == frame.unit
    if all(t.per_step for t in traces):
        assert frame.unit == "step"
        (top,) = ax.child_axes
        assert top.get_xlabel() == "epoch"
        ticks = [t.get_text() for t in top.get_xticklabels()]
        assert ticks[0] == "0" and len(ticks) >= 3
        assert '<th scope="col">Step</th>' in page
    else:
        assert frame.unit == "epoch"


def test_many_epochs_keep_a_light_page_and_axis(built: Callable[[str], Built]) -> None:
    traces, _, page = built("epochs-10000")
    assert len(page) < 400_000
    fig = plots.lr_overview(traces)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(labels) <= 12 and "10,000" in labels


def test_twelve_schedules_each_look_different(built: Callable[[str], Built]) -> None:
    traces, _, _ = built("schedules-12")
    fig = plots.lr_overview(traces)
    (ax,) = fig.axes
    looks = {
        (line.get_color(), line.get_marker(), line.get_markerfacecolor()) for line in ax.get_lines()
    }
    assert len(looks) == 12
    assert len(legend_texts(fig)) >= 12


@SHAPE
def test_milestones_in_numpy_are_the_explanations(
    built: Callable[[str], Built], shape: str
) -> None:
    traces, _, _ = built(shape)
    for trace in traces:
        for g in range(trace.groups):
            assert series.milestone_steps(trace, g) == milestones(trace, g)


@pytest.mark.parametrize(
    "shape", ["mix-all-sources", "record-steps-2-groups", "from-rates-3-groups"]
)
def test_the_same_traces_give_the_same_bytes(
    built: Callable[[str], Built], shape: str, tmp_path: Path
) -> None:
    traces, out, _ = built(shape)
    again = tmp_path / "again"
    write_report(traces, again)
    for path in sorted(out.rglob("*")):
        if path.is_file():
            assert (again / path.relative_to(out)).read_bytes() == path.read_bytes(), path


def test_the_report_path_explains_each_trace_with_events_once(
    built: Callable[[str], Built], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page shows the events derived from the rates (a stored event its figure does
    not show would be false), at the cost of one explanation per trace that stores events,
    never more."""
    import lrviz.explanation

    traces, _, _ = built("mix-all-sources")
    explained: list[str] = []
    explain = lrviz.explanation.explain

    def counted(trace: Trace, *args: Any, **kwargs: Any) -> Any:
        explained.append(trace.label)
        return explain(trace, *args, **kwargs)

    monkeypatch.setattr(lrviz.explanation, "explain", counted)
    write_report(traces, tmp_path)
    assert sorted(explained) == sorted(t.label for t in traces if t.events)


def test_losses_partly_nan_or_infinite(built: Callable[[str], Built]) -> None:
    traces, _, page = built("losses-nan-inf")
    assert "training diverged at epoch 11" in page
    fig = plots.losses(traces)
    ys = np.concatenate(
        [np.asarray(line.get_ydata(), dtype=float) for line in fig.axes[0].get_lines()]
    )
    assert np.isnan(ys).any() and np.isfinite(ys).sum() > 100
    assert all(math.isfinite(v) for v in fig.axes[0].get_ylim())
