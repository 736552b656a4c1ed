"""The static HTML report: traces -> figures -> one self-contained ``index.html``.

``write_report`` stages every file in a hidden folder inside the output folder and
swaps it in at the end, so a failed or interrupted run never leaves a half-written
report and never destroys the previous one.
"""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrviz.__about__ import __version__
from lrviz.explain import CONTINUOUS, first_epoch_at_or_below, milestones
from lrviz.trace import Trace

SUBDIRS = ("figures", "traces")


@dataclass(frozen=True)
class Figure:
    """One rendered figure of the report."""

    slug: str
    caption: str
    alt: str
    svg: bytes
    png: bytes

    @property
    def data_uri(self) -> str:
        """The SVG inlined for a self-contained page."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


def write_report(traces: Sequence[Trace], out: str | os.PathLike[str]) -> Path:
    """Write ``index.html``, ``figures/`` and ``traces/`` into ``out``; return the index path.

    Raises:
        ValueError: No traces, or ``out`` is a file.
    """
    if not traces:
        raise ValueError("nothing to report: no traces")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {str(out)!r} is a file; give a folder")
    figures = build_figures(traces)
    html = render_html(traces, figures)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".lrviz-", dir=out))
    try:
        for sub in SUBDIRS:
            (stage / sub).mkdir()
        for fig in figures:
            (stage / "figures" / f"{fig.slug}.svg").write_bytes(fig.svg)
            (stage / "figures" / f"{fig.slug}.png").write_bytes(fig.png)
        for trace, name in zip(traces, trace_file_names(traces)):
            (stage / "traces" / name).write_text(trace.to_json(), encoding="utf-8")
        (stage / "index.html").write_text(html, encoding="utf-8")
        _swap_in(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out / "index.html"


def _swap_in(stage: Path, out: Path) -> None:
    """Move the staged folders and index into ``out``; the index goes last, atomically."""
    for sub in SUBDIRS:
        old = stage / f"old-{sub}"
        if (out / sub).exists():
            os.replace(out / sub, old)
        os.replace(stage / sub, out / sub)
    os.replace(stage / "index.html", out / "index.html")


def slug(text: str) -> str:
    """A file-name-safe version of a schedule label."""
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_") or "schedule"


def trace_file_names(traces: Sequence[Trace]) -> list[str]:
    """``<label>-seed<seed>.json`` for each trace, made unique."""
    names: list[str] = []
    for trace in traces:
        base = slug(trace.label) + ("" if trace.seed is None else f"-seed{trace.seed}")
        name, n = f"{base}.json", 2
        while name in names:
            name, n = f"{base}-{n}.json", n + 1
        names.append(name)
    return names


def build_figures(traces: Sequence[Trace]) -> list[Figure]:
    """The report's figures, rendered to SVG and PNG."""
    from lrviz import plots

    names = ", ".join(t.label for t in traces)
    specs = [
        ("lr", plots.lr_overview(traces),
         "Learning rate against epoch for every schedule (log scale); markers show events.",
         f"Line chart of the learning rate per epoch on a log axis for {names}."),
        ("loss", plots.losses(traces),
         "Training (dashed) and validation (solid) loss per schedule; markers show reductions.",
         f"Line chart of training and validation loss per epoch for {names}."),
    ]
    for i, trace in enumerate(traces):
        specs.append((
            f"schedule-{slug(trace.label)}", plots.schedule_detail(trace, i),
            f"{trace.label}: learning rate with the validation loss"
            + (", best-so-far value and bad-epoch count against patience."
               if trace.name == "ReduceLROnPlateau" else "."),
            f"Chart of the learning rate of {trace.label} and the validation loss per epoch.",
        ))
    return [
        Figure(slug, caption, alt, plots.render(fig, "svg"), plots.render(fig, "png"))
        for slug, fig, caption, alt in specs
    ]


def render_html(traces: Sequence[Trace], figures: Sequence[Figure]) -> str:
    """The report page (Jinja2, autoescaped), figures inlined."""
    import importlib.resources

    import jinja2
    import markupsafe

    templates = importlib.resources.files("lrviz.templates")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: templates.joinpath(name).read_text("utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    template = env.get_template("index.html.j2")
    return template.render(
        # Our own stylesheet: trusted, and entities would break it inside <style>.
        css=markupsafe.Markup(templates.joinpath("report.css").read_text("utf-8")),
        run=run_summary(traces),
        figures={f.slug: f for f in figures},
        schedules=[schedule_view(t, i) for i, t in enumerate(traces)],
        comparison=[comparison_row(t) for t in traces],
        warnings=report_warnings(traces),
        version=__version__,
    )


def fmt_number(x: Any, digits: int = 4) -> str:
    """A number for a table cell: 4 significant digits, '—' for missing."""
    if x is None:
        return "—"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}g}"


def run_summary(traces: Sequence[Trace]) -> dict[str, Any]:
    """What was run: the shared experiment settings, seeds and versions."""
    first = traces[0]
    experiment: Mapping[str, Any] = first.experiment or {}
    seeds = sorted({t.seed for t in traces if t.seed is not None})
    return {
        "experiment": experiment,
        "seeds": seeds,
        "meta": first.meta,
        "schedules": [{"label": t.label, "name": t.name, "params": t.params} for t in traces],
    }


def schedule_view(trace: Trace, index: int) -> dict[str, Any]:
    """One schedule's section: parameters, milestones, events."""
    continuous = trace.name in CONTINUOUS
    return {
        "index": index,
        "label": trace.label,
        "name": trace.name,
        "slug": slug(trace.label),
        "params": trace.params,
        "continuous": continuous,
        "milestones": milestones(trace),
        "events": list(trace.events),
        "headline": [e for e in trace.events if not continuous or "milestones" in e.evidence
                     or e.kind != "reduce"],
    }


def comparison_row(trace: Trace) -> dict[str, Any]:
    """SPEC §7.5: best and final val loss, final accuracy, reductions, final LR, 10% epoch."""
    finite = [(e.val_loss, e.epoch) for e in trace.epochs
              if e.val_loss is not None and math.isfinite(e.val_loss)]
    best = min(finite) if finite else (None, None)
    last = trace.epochs[-1]
    return {
        "label": trace.label,
        "best_val_loss": best[0],
        "best_epoch": best[1],
        "final_val_loss": last.val_loss,
        "final_accuracy": last.val_accuracy,
        "reductions": sum(1 for e in trace.events if e.kind == "reduce"),
        "final_lr": trace.final_lr[0],
        "epoch_10pct": first_epoch_at_or_below(trace, 0.1),
    }


def report_warnings(traces: Sequence[Trace]) -> list[str]:
    """Things the reader must not miss: external changes and diverged training."""
    out = []
    for trace in traces:
        external = [e for e in trace.events if e.kind == "external"]
        if external:
            epochs = ", ".join(str(e.epoch) for e in external[:10])
            out.append(f"{trace.label}: the rate changed outside the schedule's rule at "
                       f"epoch {epochs} (see the event table).")
        diverged = trace.diverged_epoch
        if diverged is not None:
            out.append(f"{trace.label}: training diverged at epoch {diverged} "
                       "(loss is NaN or infinite); later values are kept as recorded.")
    return out
