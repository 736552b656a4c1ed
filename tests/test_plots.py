"""Overview figures keep their legend under the axes, clear of the lines, however many
schedules they show."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lrviz import plots, series
from lrviz.simulation import simulate
from lrviz.trace import Logged, Trace

SIX = ("step", "exp", "plateau", "cosine", "onecycle", "warmrestarts")


def traces(kinds: Sequence[str]) -> list[Trace]:
    metrics = [1.0 / (k + 1) for k in range(100)]  # for ReduceLROnPlateau
    return [simulate(kind, metrics=metrics if kind == "plateau" else None) for kind in kinds]


def with_losses(trace: Trace) -> Trace:
    """Simulated traces have no losses: made-up falling ones, for the loss figure."""
    epochs = tuple(
        replace(e, train_loss=1.0 / e.epoch, val_loss=1.2 / e.epoch) for e in trace.epochs
    )
    return replace(trace, epochs=epochs)


FIGURES: dict[str, Callable[[list[Trace]], Figure]] = {
    "lr": plots.lr_overview,
    "loss": lambda ts: plots.losses([with_losses(t) for t in ts]),
}


@pytest.mark.parametrize("figure", list(FIGURES))
def test_legend_lies_below_the_axes_which_keep_their_size(figure: str) -> None:
    one, six = (FIGURES[figure](traces(kinds)) for kinds in (SIX[:1], SIX))
    canvas = FigureCanvasAgg(six)
    canvas.draw()
    renderer = canvas.get_renderer()
    (ax,) = six.axes
    (legend,) = six.legends
    assert not ax.get_legend()
    # Under the whole axes: its tick labels and x label included.
    axes = ax.get_tightbbox(renderer)
    assert axes is not None and legend.get_window_extent(renderer).y1 < axes.y0
    assert len(legend.get_texts()) >= 6
    assert one.axes[0].get_position().height * one.get_figheight() == pytest.approx(
        ax.get_position().height * six.get_figheight()
    )
    assert six.get_figheight() > one.get_figheight()


@pytest.mark.parametrize(
    ("labels", "columns"),
    [
        (["step (StepLR)"], 1),
        (["step (StepLR)", "exp (ExponentialLR)", "plateau (ReduceLROnPlateau)"], 3),
        # Three fit a row; four then take two rows, so two columns of two.
        (["step (StepLR)", "exp (ExponentialLR)", "plateau (ReduceLROnPlateau)", "event: x"], 2),
        (["warmrestarts (CosineAnnealingWarmRestarts, 50 seeds)"] * 5, 2),
        (["x" * 200], 1),
    ],
)
def test_legend_columns(labels: list[str], columns: int) -> None:
    assert plots.legend_columns(labels) == columns


def test_no_two_of_the_first_72_lines_look_alike() -> None:
    looks = {(look.color, look.marker, look.hollow) for look in map(plots.look, range(72))}
    assert len(looks) == 72
    # Shapes alone tell the first nine apart (greyscale), and none is an event's shape.
    assert len({plots.look(i).marker for i in range(9)}) == 9
    assert not {plots.look(i).marker for i in range(72)} & set(plots.MARKERS.values())


@pytest.mark.parametrize("index", range(18))
def test_a_swatch_is_the_line_s_colour_and_shape(index: int) -> None:
    look = plots.look(index)
    swatch = plots.swatch(index)
    assert swatch.startswith('<svg class="swatch"') and 'aria-hidden="true"' in swatch
    assert f'stroke="{look.color}"' in swatch
    assert f'fill="{"white" if look.hollow else look.color}"' in swatch
    assert ("<circle" in swatch) == (look.marker == "o")


@pytest.mark.parametrize(
    ("values", "scale", "smallest"),
    [
        ([[0.1, 0.01]], "log", 0.01),
        ([[0.0, 0.05, 0.1], [0.2]], "symlog", 0.05),
        ([[0.0, 0.0]], "linear", 0.0),
        ([[math.nan, 0.1]], "log", 0.1),
    ],
    ids=["positive", "a-zero", "all-zero", "nan"],
)
def test_rate_scale(values: list[list[float]], scale: str, smallest: float) -> None:
    import numpy as np

    assert series.rate_scale(np.asarray(v) for v in values) == (scale, smallest)


@pytest.mark.parametrize(
    ("value", "top", "text"),
    [(1500.0, 2000.0, "1,500"), (0.0, 1e6, "0"), (2e5, 1e6, "0.2M"), (5e4, 1e5, "50k")],
)
def test_step_ticks_never_use_an_offset(value: float, top: float, text: str) -> None:
    assert plots.count_label(value, top) == text


def test_epochs_of_a_step_trace_without_epoch_records() -> None:
    from lrviz.trace import Steps

    steps = Steps(lr=((0.1,) * 6,), epoch=(1.0, 1.5, 2.0, 2.5, 3.0, 3.5))
    trace = Trace(
        meta={},
        experiment=None,
        schedule={"name": "x", "params": {}},
        initial_lr=(0.1,),
        epochs=(),
        final_lr=(0.1,),
        steps=steps,
    )
    clock = series.clock(trace)
    assert (clock.ends, clock.numbers) == ((2, 4, 6), (1, 2, 3))
    assert series.frame([trace]).epoch_ends() == {0: 0.0, 1: 2.0, 2: 4.0, 3: 6.0}
    assert clock.epoch_position(np.asarray([0.0, 1.0, 4.0, 6.0])).tolist() == [0, 0.5, 2, 3]


def test_steps_share_an_axis_only_with_steps_of_the_same_epochs() -> None:
    a = simulate("onecycle", epochs=3, steps_per_epoch=4)
    b = simulate("onecycle", epochs=3, steps_per_epoch=5)
    assert series.frame([a, a]).unit == "step"
    assert series.frame([a, b]).unit == "epoch"
    assert series.frame([a, simulate("step", epochs=3)]).unit == "epoch"
    assert series.frame_length(series.frame([a, b]), [a, b]) == 3.0


def _rate_tick_labels(trace: Trace) -> list[str]:
    fig = plots.schedule_detail(trace)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    return [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high]


@pytest.mark.parametrize(
    ("spec", "labels"),
    [
        ("step:step_size=2,gamma=0.5", ["0.02", "0.05", "0.1"]),  # within a decade or two
        ("exp:gamma=0.1", ["10⁻⁷", "10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹"]),  # decades
    ],
)
def test_a_rate_axis_labels_its_ticks_in_one_style(spec: str, labels: list[str]) -> None:
    """Ticks at 1, 2 and 5 times powers of ten read as decimals; decades as powers; never
    "10⁻¹" beside "0.05" (as a narrow axis once did)."""
    assert _rate_tick_labels(simulate(spec, epochs=6)) == labels
    assert plots._one_two_five(2e-5) == "2\N{MULTIPLICATION SIGN}10⁻⁵"


# -- labels are text, not TeX (issue 19) ---------------------------------------------------

TEX_LABELS = ("$\\undefinedmacro$", "budget $5 to $10", "a\\$b $x^2$")


def _labelled(trace: Trace, label: str, seed: int | None = None) -> Trace:
    experiment = None if seed is None else {"seed": seed}
    return replace(
        with_losses(trace), schedule={**trace.schedule, "label": label}, experiment=experiment
    )


def _figures_of(labels: Sequence[str]) -> list[Figure]:
    from lrviz import bands

    one = [_labelled(t, x) for t, x in zip(traces(["step"] * len(labels)), labels, strict=True)]
    seeded = [_labelled(traces(["exp"])[0], x, seed) for x in labels for seed in (0, 1)]
    groups = bands.groups(seeded)
    return [
        plots.lr_overview(one),
        plots.losses(one),
        plots.schedule_detail(one[0]),
        plots.document(one, "both"),
        plots.lr_bands(groups),
        plots.loss_bands(groups),
        plots.schedule_bands(groups[0]),
    ]


def test_labels_are_drawn_as_typed_in_every_figure() -> None:
    from matplotlib.text import Text

    for fig in _figures_of(TEX_LABELS):
        svg = plots.render(fig, "svg").decode()  # no mathtext parse error
        plots.render(fig, "png")
        texts = [t.get_text() for t in fig.findobj(Text)]
        named = [label for label in TEX_LABELS if any(label in text for text in texts)]
        assert named, texts
        for label in named:
            escaped = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in svg, (label, fig)


def test_groups_with_the_same_rates_share_a_line_and_a_panel() -> None:
    two = Trace.from_rates([[0.1, 0.1, 0.2], [0.05, 0.05, 0.1]], name="StepLR")
    one = Trace.from_rates([[0.1], [0.05]], name="StepLR")
    assert series.same_groups(two) == [(0, 1), (2,)]
    # group 1 joins group 0's panel: the only trace that has group 1 gives them one rate
    assert series.group_panels([two, one]) == [(0, 1), (2,)]
    assert series.group_panels([one, two]) == [(0, 1), (2,)]
    other = Trace.from_rates([[0.1, 0.3], [0.05, 0.3]], name="StepLR")
    assert series.group_panels([two, other]) == [(0,), (1,), (2,)]


def test_losses_too_large_to_draw_are_gaps_not_overflow_warnings() -> None:
    """A diverged run's losses near the largest float overflowed matplotlib's log axis
    (RuntimeWarning, an error under this suite's filterwarnings)."""
    from lrviz import bands

    step = traces(["step"])[0]
    huge = replace(
        step,
        epochs=tuple(replace(e, train_loss=1e308, val_loss=1e307 * e.epoch) for e in step.epochs),
    )
    seeded = bands.groups([replace(huge, experiment={"seed": s}) for s in (0, 1)])
    for fig in (
        plots.losses([huge]),
        plots.schedule_detail(huge),
        plots.document([huge], "both"),
        plots.loss_bands(seeded),
        plots.schedule_bands(seeded[0]),
    ):
        plots.render(fig, "svg")


def evaluated_every_five_steps() -> Trace:
    """An HF Trainer-like trace: no losses in its epochs, ``eval_loss`` and ``loss`` logged
    at their steps (and a rate, which is no loss)."""
    trace = simulate("cosine:T_max=15", epochs=3, steps_per_epoch=5)
    return replace(
        trace,
        logged={
            "loss": Logged(at=(2, 4, 6, 8, 10, 12, 14), value=(2.0, 1.8, 1.5, 1.3, 1.2, 1.1, 1.0)),
            "eval_loss": Logged(at=(5, 10, 12, 15), value=(1.6, 1.25, 1.2, 1.15)),
            "learning_rate": Logged(at=(5, 10), value=(0.05, 0.02)),
        },
    )


def test_losses_logged_at_their_steps_are_drawn_there() -> None:
    trace = evaluated_every_five_steps()
    assert not any(e.val_loss is not None or e.train_loss is not None for e in trace.epochs)
    fig = plots.losses([trace])
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    drawn = {label.split(": ")[-1] for label in lines if not label.startswith("_")}
    assert drawn == {"loss", "eval_loss"}
    (line,) = [v for k, v in lines.items() if k.endswith(": eval_loss")]
    assert np.asarray(line.get_xdata(), dtype=float).tolist() == [5, 10, 12, 15]
    assert np.asarray(line.get_ydata(), dtype=float).tolist() == [1.6, 1.25, 1.2, 1.15]


def test_logged_losses_are_drawn_instead_of_the_epochs_ones() -> None:
    """HF Trainer keeps an epoch's last training loss and the last evaluation in the
    epochs; the logged series hold every evaluation at its step: those are drawn."""
    trace = evaluated_every_five_steps()
    epochs = tuple(replace(e, train_loss=1.0, val_loss=1.2) for e in trace.epochs)
    fig = plots.losses([replace(trace, epochs=epochs)])
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert sorted(x.split(": ")[-1] for x in labels if not x.startswith("_")) == [
        "eval_loss",
        "loss",
    ]
