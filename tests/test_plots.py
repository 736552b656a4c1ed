"""Overview figures keep their legend under the axes, clear of the lines, however many
schedules they show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lrviz import plots
from lrviz.simulation import simulate
from lrviz.trace import Trace

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
