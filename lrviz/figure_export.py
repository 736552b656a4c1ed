"""``lrviz plot``: one figure of saved traces for documentation, as SVG, PNG or PDF.

The figure is :func:`lrviz.plots.document`'s, written atomically. The same traces and
options give the same bytes in every format, on every run: no dates in the metadata,
a fixed hash salt for the SVG's ids, PNG and PDF written without a time stamp.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from lrviz.labels import check_labels
from lrviz.trace import Trace

FORMATS = ("svg", "png", "pdf")
"""The formats ``lrviz plot`` writes, chosen by the output file's suffix."""

Metric = Literal["lr", "loss", "both"]

SIZE = (7.0, 3.5)
"""The default figure size in inches: a page's or a column's width."""

SMALLEST, LARGEST = 2.0, 40.0
"""Figure sides ``--size`` accepts, in inches."""


def output_format(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for: its suffix, svg, png or pdf (any case).

    Raises:
        ValueError: Another suffix, or none.
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {str(path)!r}: the file name must end in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return suffix


def parse_size(text: str) -> tuple[float, float]:
    """``"W,H"`` in inches, e.g. ``"7,3"``.

    Raises:
        ValueError: Not two numbers, or a side outside 2-40 inches.
    """
    parts = text.split(",")
    try:
        width, height = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"expected W,H in inches, e.g. 7,3; got {text!r}") from None
    for side in (width, height):
        if not (math.isfinite(side) and SMALLEST <= side <= LARGEST):
            raise ValueError(f"each side must be {SMALLEST:g} to {LARGEST:g} inches; got {text!r}")
    return width, height


def plot(
    traces: Sequence[Trace],
    out: str | os.PathLike[str],
    metric: Metric = "lr",
    size: tuple[float, float] = SIZE,
    dpi: int = 150,
) -> Path:
    """Draw ``traces`` (:func:`lrviz.plots.document`) and write the figure to ``out``, in
    the format its suffix names; return the path.

    Raises:
        ValueError: No traces, traces their labels do not tell apart
            (:func:`lrviz.labels.check_labels`), an unknown suffix, no loss in any trace
            for ``loss`` or ``both``, or more lines than the figure's height leaves room
            to name.
        OSError: The file could not be written.
    """
    from lrviz import plots
    from lrviz.files import write_atomic

    if not traces:
        raise ValueError("nothing to plot: no traces")
    check_labels(traces)
    fmt = output_format(out)
    figure = plots.document(traces, metric, size)
    path = Path(out)
    write_atomic(path, plots.render(figure, fmt, dpi=dpi))
    return path
