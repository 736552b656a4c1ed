"""The static HTML report: traces -> figures -> one self-contained ``index.html``.

``write_report`` stages every file in a hidden folder inside the output folder and
swaps it in at the end, so a failed or interrupted run never leaves a half-written
report and never destroys the previous one. The staging folder's name holds the pid of
the process writing it, ``.lrviz-<pid>-<random>``: a process killed outright (SIGKILL)
cannot remove its own, so the next report written into that folder does, once that
process is gone (:func:`remove_dead_stages`).

With several seeds per schedule (SPEC §7.6) the report shows each schedule once: its
median across seeds with a 10-90% band in the figures, medians and spreads in the
comparison table, and how consistent the reductions were (:mod:`lrviz.bands`). With
one seed it shows every trace as it is.
"""

from __future__ import annotations

import base64
import math
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrviz import bands, schedules
from lrviz.__about__ import __version__
from lrviz.explanation import first_epoch_at_or_below, is_continuous, milestones, notable
from lrviz.files import check_folder_target, same_file_name, slug
from lrviz.progress import Progress
from lrviz.seeds import format_seeds
from lrviz.text import count, some
from lrviz.trace import Trace
from lrviz.tracefile import jsonable

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup
    from matplotlib.figure import Figure as MplFigure

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


Draw = Callable[[Sequence[Trace], Progress | None], list[Figure]]
"""``draw(traces, progress)``: the report's figures for ``traces`` (:func:`build_figures`)."""


def write_report(
    traces: Sequence[Trace],
    out: str | os.PathLike[str],
    progress: Progress | None = None,
    draw: Draw | None = None,
) -> Path:
    """Write ``index.html``, ``figures/`` and ``traces/`` into ``out``; return the index path.

    ``draw`` gives the figures, :func:`build_figures` by default; it is called after the
    trace files are written, so figures drawn elsewhere meanwhile
    (:class:`lrviz.figure_worker.FigureWorker`) cost no extra time.

    Raises:
        ValueError: No traces, labels that do not tell the schedules apart (see
            :func:`check_labels`), ``out`` is a file, or ``out`` has ``figures/`` or
            ``traces/`` but no lrviz ``index.html`` (someone else's folders: not replaced).
    """
    if not traces:
        raise ValueError("nothing to report: no traces")
    check_labels(traces)
    out = Path(out)
    check_output_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_dead_stages(out)
    stage = out / f"{STAGE_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
    try:
        stage.mkdir(mode=0o700)  # in the try: an interrupt right after it still removes it
        for sub in SUBDIRS:
            (stage / sub).mkdir()
        names = trace_file_names(traces)
        for k, (trace, name) in enumerate(zip(traces, names, strict=True), start=1):
            (stage / "traces" / name).write_text(trace.to_json(), encoding="utf-8")
            if progress:
                progress("traces", k, len(traces))
        page_template()  # compiled while figures drawn elsewhere (draw) are still coming
        figures = (draw or build_figures)(traces, progress)
        for fig in figures:
            (stage / "figures" / f"{fig.slug}.svg").write_bytes(fig.svg)
            (stage / "figures" / f"{fig.slug}.png").write_bytes(fig.png)
        (stage / "index.html").write_text(render_html(traces, figures), encoding="utf-8")
        _swap_in(stage, out)
    except BaseException:
        # Only a failed rollback leaves the previous report in the stage (beside the new
        # index, which goes last): keep it then.
        if not (any(stage.glob("old-*")) and (stage / "index.html").exists()):
            shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return out / "index.html"


STAGE_PREFIX = ".lrviz-"
"""Staging folders are ``<out>/.lrviz-<pid>-<random>``."""


def remove_dead_stages(out: Path) -> list[Path]:
    """Remove the staging folders in ``out`` whose process has ended without removing
    them (it was killed with SIGKILL, or the machine went down); return them.

    One killed in the middle of the final swap is undone first: the new folders that
    were moved in go, the previous ones come back. Staging folders of running processes
    (another lrviz writing into the same folder), and ones this cannot undo, are left
    alone.
    """
    removed = []
    for stage in sorted(out.glob(f"{STAGE_PREFIX}*")):
        owner = stage.name[len(STAGE_PREFIX) :].split("-")[0]
        if not stage.is_dir() or not owner.isdigit() or _alive(int(owner)):
            continue
        try:
            if (stage / "index.html").exists():  # killed before or during the swap
                for sub in SUBDIRS:
                    if not (stage / sub).exists():  # moved in: take it back out
                        os.replace(out / sub, stage / sub)
                    if (stage / f"old-{sub}").exists():  # moved aside: put it back
                        os.replace(stage / f"old-{sub}", out / sub)
            shutil.rmtree(stage)
        except OSError:  # half undone: leave the rest for someone to look at
            continue
        removed.append(stage)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a recycled pid counts as alive: nothing is lost
    by waiting for a later run)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's process
        return True
    return True


GENERATOR = b'<meta name="generator" content="lrviz '
"""In the head of every ``index.html`` lrviz writes (templates/index.html.j2)."""


def check_output_folder(out: Path) -> None:
    """Refuse a report folder that is a file, or whose ``index.html``, ``figures/`` or
    ``traces/`` lrviz did not write: a report replaces them (``-o .`` in a project would
    take its figures).

    Raises:
        ValueError: Saying which.
    """
    check_folder_target(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {str(out)!r} is a file; give a folder (-o DIR)")
    if not any((out / name).exists() for name in (*SUBDIRS, "index.html")):
        return
    try:
        with (out / "index.html").open("rb") as index:
            ours = GENERATOR in index.read(4096)
    except OSError:  # missing, a folder, unreadable
        ours = False
    if not ours:
        raise ValueError(
            f"output folder {str(out)!r} has an index.html, figures/ or traces/ that lrviz "
            "did not write; choose a new or empty folder"
        )


def _swap_in(stage: Path, out: Path) -> None:
    """Move the staged folders and index into ``out``; the index goes last.

    All or nothing: if any move fails, or a signal (Ctrl-C, SIGTERM) interrupts the
    swap, the moves already made are undone in reverse (new folders back to the stage,
    old ones back to ``out``) and the error re-raised. Once the index is in, the new
    report is whole and stays.
    """
    done: list[tuple[Path, Path]] = []

    def move(src: Path, dst: Path) -> None:
        done.append((src, dst))  # first: an interrupt right after the rename must undo it
        os.replace(src, dst)

    try:
        for sub in SUBDIRS:
            if (out / sub).exists():
                move(out / sub, stage / f"old-{sub}")
            move(stage / sub, out / sub)
        move(stage / "index.html", out / "index.html")
    except BaseException:
        if (stage / "index.html").exists():  # else the new report is in, whole
            for src, dst in reversed(done):
                if dst.exists() and not src.exists():  # this move was made
                    os.replace(dst, src)
        raise


def check_labels(traces: Sequence[Trace]) -> None:
    """The report names each schedule by its label: traces that share one must be the
    same schedule under distinct seeds, and different labels need different file names.

    Raises:
        ValueError: Saying which label, and how to fix it.
    """
    seen: dict[str, Trace] = {}
    seeds: dict[str, set[int | None]] = {}
    for trace in traces:
        first = seen.setdefault(trace.label, trace)
        same = (first.name, jsonable(first.params)) == (trace.name, jsonable(trace.params))
        if not same or trace.seed in seeds.setdefault(trace.label, set()):
            raise ValueError(
                f"two traces are labelled {trace.label!r} but are "
                + ("different schedules" if not same else "the same seed")
                + "; give each schedule its own label (e.g. Recorder(..., label=...))"
            )
        seeds[trace.label].add(trace.seed)
    files: dict[str, str] = {}
    for label in seen:
        other = files.setdefault(slug(label).lower(), label)
        if other != label and same_file_name(other, label):
            raise ValueError(
                f"labels {other!r} and {label!r} give the same file name {slug(label)!r}; "
                "rename one"
            )


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


def build_figures(traces: Sequence[Trace], progress: Progress | None = None) -> list[Figure]:
    """The report's figures, rendered to SVG and PNG."""
    specs = figure_specs(traces)
    out = []
    for k, spec in enumerate(specs, start=1):
        out.append(draw_figure(spec))
        if progress:
            progress("figures", k, len(specs))
    return out


FigureSpec = tuple[str, Callable[[], "MplFigure"], str, str]
"""(slug, figure maker, caption, text alternative)."""


def figure_specs(traces: Sequence[Trace]) -> list[FigureSpec]:
    """What the report's figures show, in page order; nothing drawn yet."""
    return _multi_seed_figures(traces) if bands.several_seeds(traces) else _figures(traces)


def draw_figure(spec: FigureSpec) -> Figure:
    """One figure of the report, rendered to SVG and PNG."""
    from lrviz import plots

    name, make, caption, alt = spec
    fig = make()
    return Figure(name, caption, alt, plots.render(fig, "svg"), plots.render(fig, "png"))


def _figures(traces: Sequence[Trace]) -> list[FigureSpec]:
    from lrviz import plots

    names = ", ".join(t.label for t in traces)
    specs: list[FigureSpec] = [
        (
            "lr",
            partial(plots.lr_overview, traces),
            "Learning rate against epoch for every schedule (log scale); markers show events.",
            f"Line chart of the learning rate per epoch on a log axis for {names}.",
        ),
        (
            "loss",
            partial(plots.losses, traces),
            "Training (dashed) and validation (solid) loss per schedule; markers show reductions.",
            f"Line chart of training and validation loss per epoch for {names}.",
        ),
    ]
    for i, trace in enumerate(traces):
        specs.append(
            (
                f"schedule-{slug(trace.label)}",
                partial(plots.schedule_detail, trace, i),
                f"{trace.label}: learning rate with the validation loss"
                + (
                    ", best-so-far value and bad-epoch count against patience."
                    if _needs_metric(trace)
                    else "."
                ),
                f"Chart of the learning rate of {trace.label} and the validation loss per epoch.",
            )
        )
    return specs


def _needs_metric(trace: Trace) -> bool:
    kind = schedules.kind_of(trace)
    return kind is not None and kind.needs_metric


def _multi_seed_figures(traces: Sequence[Trace]) -> list[FigureSpec]:
    from lrviz import plots

    found = bands.groups(traces)
    names = ", ".join(f"{g.label} ({len(g.traces)} seeds)" for g in found)
    specs: list[FigureSpec] = [
        (
            "lr",
            partial(plots.lr_bands, found),
            "Learning rate against epoch (log scale): each schedule's median across its seeds "
            "(line) and the band from the 10th to the 90th percentile.",
            "Line chart with shaded bands of the learning rate per epoch on a log axis for "
            f"{names}.",
        ),
        (
            "loss",
            partial(plots.loss_bands, found),
            "Validation loss (solid line: median across seeds; band: 10th to 90th percentile) "
            "and median training loss (dashed) per schedule.",
            f"Line chart with shaded bands of the validation loss, and lines of the training "
            f"loss, per epoch for {names}.",
        ),
    ]
    for i, group in enumerate(found):
        varies = not group.same_rates
        specs.append(
            (
                f"schedule-{slug(group.label)}",
                partial(plots.schedule_bands, group, i),
                f"{group.label}: learning rate and validation loss across "
                f"{len(group.traces)} seeds (medians, 10-90% bands)"
                + ("; below, how many seeds reduced the rate at each epoch." if varies else "."),
                f"Chart of the median learning rate and validation loss of {group.label} per epoch "
                "with 10-90% bands"
                + (", and a bar chart of reductions per epoch." if varies else "."),
            )
        )
    return specs


@cache
def page_template() -> jinja2.Template:
    """The page's Jinja2 template (autoescaped), compiled once."""
    import importlib.resources

    import jinja2

    templates = importlib.resources.files("lrviz.templates")
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: templates.joinpath(name).read_text("utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    env.filters["spread"] = fmt_spread
    return env.get_template("index.html.j2")


def render_html(traces: Sequence[Trace], figures: Sequence[Figure]) -> str:
    """The report page (:func:`page_template`), figures inlined."""
    import importlib.resources

    import markupsafe

    templates = importlib.resources.files("lrviz.templates")
    template = page_template()
    multi = bands.several_seeds(traces)
    found = bands.groups(traces)
    return template.render(
        # Our own stylesheet: trusted, and entities would break it inside <style>.
        css=markupsafe.Markup(templates.joinpath("report.css").read_text("utf-8")),
        run=run_summary(traces),
        figures={f.slug: f for f in figures},
        multi=multi,
        schedules=[schedule_view(t, i) for i, t in enumerate(traces)] if not multi else [],
        groups=[group_view(g, i) for i, g in enumerate(found)] if multi else [],
        comparison=[comparison_row(t) for t in traces] if not multi else [],
        spreads=[comparison_spread(g) for g in found] if multi else [],
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


def fmt_spread(s: bands.Spread, kind: str = "band", digits: int = 4) -> Markup:
    """A spread for a table cell: the median, and below it the 10-90% band (``kind="iqr"``:
    the quartiles) unless the seeds agree on it, and how many seeds had no value."""
    from markupsafe import Markup

    if s.n == 0:
        return Markup("—") if not s.missing else Markup("none ({} seeds)").format(s.missing)
    low, high = (s.q1, s.q3) if kind == "iqr" else (s.low, s.high)
    parts = []
    if low != high:
        parts.append(f"{fmt_number(low, digits)}\N{EN DASH}{fmt_number(high, digits)}")
    if s.missing:
        parts.append(f"none in {s.missing}")
    cell = Markup("{}").format(fmt_number(s.median, digits))
    if parts:
        cell += Markup('<span class="spread">{}</span>').format("; ".join(parts))
    return cell


def run_summary(traces: Sequence[Trace]) -> dict[str, Any]:
    """What was run: the shared experiment settings, seeds, versions, each schedule once."""
    first = traces[0]
    experiment: Mapping[str, Any] = first.experiment or {}
    seeds = list(dict.fromkeys(t.seed for t in traces if t.seed is not None))
    return {
        "experiment": experiment,
        "seeds": sorted(seeds),
        "seed_text": format_seeds(sorted(seeds)).replace("-", "\N{EN DASH}").replace(",", ", "),
        "meta": first.meta,
        "optimizer": first.optimizer,
        "schedules": [
            {"label": g.label, "name": g.name, "params": g.traces[0].params}
            for g in bands.groups(traces)
        ],
    }


def schedule_view(trace: Trace, index: int) -> dict[str, Any]:
    """One schedule's section: parameters, milestones, events."""
    continuous = is_continuous(trace)
    return {
        "index": index,
        "label": trace.label,
        "name": trace.name,
        "slug": slug(trace.label),
        "params": trace.params,
        "continuous": continuous,
        "milestones": milestones(trace),
        "events": list(trace.events),
        "headline": notable(trace),
    }


def comparison_row(trace: Trace) -> dict[str, Any]:
    """SPEC §7.5: best and final val loss, final accuracy, reductions, final LR, 10% epoch."""
    finite = [
        (e.val_loss, e.epoch)
        for e in trace.epochs
        if e.val_loss is not None and math.isfinite(e.val_loss)
    ]
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


def group_view(group: bands.Group, index: int) -> dict[str, Any]:
    """One schedule's section over several seeds: when it reduced, a representative
    event timeline, and every seed's outcome."""
    first = group.traces[0]
    continuous = is_continuous(first)
    found = [] if group.same_rates else bands.reductions(group)
    typical = first if group.same_rates else _typical(group)
    return {
        "index": index,
        "label": group.label,
        "name": group.name,
        "slug": slug(group.label),
        "seeds": len(group.traces),
        "same_rates": group.same_rates,
        "continuous": continuous,
        "consistency": bands.consistency(group, continuous),
        "reductions": found,
        "events": notable(typical),
        "events_caption": _events_caption(group, typical, continuous),
        "per_seed": [_seed_row(t, continuous) for t in group.traces],
    }


def _events_caption(group: bands.Group, typical: Trace, continuous: bool) -> str:
    which = (
        "the same for every seed"
        if group.same_rates
        else f"of seed {typical.seed}, whose first reduction is nearest the median"
    )
    if continuous:
        return f"Milestones and anything unusual, {which} ({len(typical.events)} events in all)"
    return "Events, the same for every seed" if group.same_rates else f"Events {which}"


def _typical(group: bands.Group) -> Trace:
    """The seed whose first reduction is nearest the median first reduction."""
    first = bands.reductions(group)[0].epochs.median if bands.reductions(group) else None
    if first is None:
        return group.traces[0]
    return min(
        (t for t in group.traces if bands.reduction_epochs(t)),
        key=lambda t: abs(bands.reduction_epochs(t)[0] - first),
    )


def _seed_row(trace: Trace, continuous: bool) -> dict[str, Any]:
    row = comparison_row(trace)
    if continuous:
        changes = "; ".join(
            f"{f:.0%} at {f'epoch {e}' if e is not None else 'never'}"
            for f, e in milestones(trace).items()
        )
    else:
        reduced = bands.reduction_epochs(trace)
        changes = ", ".join(map(str, reduced)) if reduced else "none"
        held = sum(1 for e in trace.events if e.kind == "held")
        if held:
            changes += f" ({held} held)"
    return {**row, "seed": trace.seed, "changes": changes}


def comparison_spread(group: bands.Group) -> dict[str, Any]:
    """SPEC §7.5's comparison over seeds: each number's median and spread."""
    rows = [comparison_row(t) for t in group.traces]
    return {
        "label": group.label,
        "seeds": len(rows),
        **{
            key: bands.spread([r[key] for r in rows])
            for key in (
                "best_val_loss",
                "best_epoch",
                "final_val_loss",
                "final_accuracy",
                "reductions",
                "final_lr",
                "epoch_10pct",
            )
        },
    }


def report_warnings(traces: Sequence[Trace]) -> list[str]:
    """Things the reader must not miss: external changes, diverged training, pitfalls;
    one line per schedule, naming the seeds when there are several."""
    from lrviz.pitfalls import messages

    out = []
    for group in bands.groups(traces):
        several = len(group.traces) > 1
        external = {
            t.seed: [e.epoch for e in t.events if e.kind == "external"] for t in group.traces
        }
        hit = {seed: epochs for seed, epochs in external.items() if epochs}
        if hit:
            where = _per_seed(hit, several, lambda e: "epoch " + ", ".join(map(str, e[:10])))
            out.append(
                f"{group.label}: the rate changed outside the schedule's rule {where} "
                "(see the event table)."
            )
        diverged = {t.seed: t.diverged_epoch for t in group.traces if t.diverged_epoch is not None}
        if diverged:
            where = _per_seed(diverged, several, lambda e: f"epoch {e}")
            tail = (
                "; their losses from then on are left out of the medians and bands"
                if several
                else "; later values are kept as recorded"
            )
            out.append(f"{group.label}: training diverged {where} (loss is NaN or infinite){tail}.")
    return out + messages(traces)


def _per_seed(found: Mapping[Any, Any], several: bool, say: Callable[[Any], str]) -> str:
    """ "at epoch 5" for one trace; "in 2 of 50 seeds (seed 3: epoch 5; ...)" for several."""
    if not several:
        (value,) = found.values()
        return f"at {say(value)}"
    shown = some([f"seed {seed}: {say(value)}" for seed, value in found.items()])
    return f"in {count(len(found), 'seed')} ({shown})"
