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

The page shows what its traces hold, whatever made them (``lrviz run``, ``simulate``, a
Recorder, ``Trace.from_rates``): a section whose data no trace has is left out, labels
use the names the traces recorded, and the events are those lrviz derives from each
trace's rates and schedule as it writes the page (:func:`derive_events`): a trace file
whose stored events differ (edited, or written by an older lrviz) is shown with the
derived ones, and the page says so. It stays small however long or many the traces are:
event tables list their first :data:`MAX_ROWS` rows and say where the rest are, and
the first :data:`MAX_SECTIONS` schedules get a section with a figure, the others a row.
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

from lrviz import bands, schedules, series
from lrviz.__about__ import __version__
from lrviz.explanation import by_hand, is_continuous, notable, rederive
from lrviz.files import check_folder_target, slug
from lrviz.labels import check_labels
from lrviz.progress import Progress
from lrviz.seeds import format_seeds
from lrviz.text import count, number, some
from lrviz.trace import Event, Trace, process_rank
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
    (:class:`lrviz.figure_worker.FigureWorker`) cost no extra time. The page, its
    figures and ``traces/`` hold each trace with its events derived now
    (:func:`derive_events`).

    In a distributed run (``torch.distributed`` initialised) only global rank zero writes,
    so that every rank can call it with the same ``out``; the others return the index
    path without writing.

    Raises:
        ValueError: No traces, labels that do not tell the schedules apart (see
            :func:`lrviz.labels.check_labels`), ``out`` is a file, or ``out`` has ``figures/`` or
            ``traces/`` but no lrviz ``index.html`` (someone else's folders: not replaced).
    """
    if not traces:
        raise ValueError("nothing to report: no traces")
    check_labels(traces)
    out = Path(out)
    if process_rank() != 0:
        return out / "index.html"
    traces, stale = derive_events(traces)
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
        (stage / "index.html").write_text(render_html(traces, figures, stale), encoding="utf-8")
        _swap_in(stage, out)
    except BaseException:
        # Only a failed rollback leaves the previous report in the stage (beside the new
        # index, which goes last): keep it then.
        if not (any(stage.glob("old-*")) and (stage / "index.html").exists()):
            shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return out / "index.html"


def derive_events(traces: Sequence[Trace]) -> tuple[list[Trace], list[str]]:
    """Each trace with the events lrviz derives from its rates now
    (:func:`lrviz.explanation.rederive`), and one warning for each trace whose stored
    events differ from those: a page lists only the changes its figure shows. A trace
    that stores no events (rates only) is kept as it is: its page says so and claims none."""
    out, stale = [], []
    for trace in traces:
        if not trace.events:  # rates only: the page says so, and claims no events
            out.append(trace)
            continue
        derived, difference = rederive(trace)
        out.append(derived)
        if difference:
            seed = "" if trace.seed is None else f" (seed {trace.seed})"
            stale.append(
                f"{trace.label}{seed}: the trace stores other events than lrviz derives from "
                f"its rates now ({difference}); the page shows the derived ones."
            )
    return out, stale


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
    foreign = _foreign_entry(out)
    if foreign is not None:
        raise ValueError(
            f"output folder {str(out)!r} has {str(foreign)!r}, which lrviz did not write "
            f"there; a report replaces {foreign.parent.name}/ whole: move it out or choose "
            "a new or empty folder"
        )


def replaced_paths(out: Path) -> list[Path]:
    """What writing a report to ``out`` replaces (or deletes): its ``figures/``,
    ``traces/`` and ``index.html``."""
    return [out / sub for sub in SUBDIRS] + [out / "index.html"]


_WRITTEN = {"figures": (".svg", ".png"), "traces": (".json",)}
"""What lrviz writes in each folder of a report, by suffix."""

_TRACE_MARK = b'"lrviz.trace/'
"""In the first bytes of every trace file (its schema, :meth:`Trace.to_json`)."""


def _foreign_entry(out: Path) -> Path | None:
    """The first entry of ``out``'s ``figures/`` or ``traces/`` that is not a file lrviz
    writes there (a figure, a trace of its own format), or the folder itself when it is
    not one: the swap would delete it with the old report."""
    for sub, suffixes in _WRITTEN.items():
        folder = out / sub
        if not folder.exists() and not folder.is_symlink():
            continue
        if not folder.is_dir():
            return folder
        for entry in sorted(folder.iterdir()):
            if not entry.is_file() or entry.suffix not in suffixes:
                return entry
            if sub == "traces" and not _has_mark(entry):
                return entry
    return None


def _has_mark(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return _TRACE_MARK in f.read(4096)
    except OSError:
        return False


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


MAX_ROWS = 50
"""Rows of one event table; the rest are counted and found in the trace file."""

MAX_SECTIONS = 24
"""Schedules with a section and a figure of their own; further ones get a table row."""


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


has_losses = series.has_losses


def _shown(labels: Sequence[str], limit: int) -> str:
    """ "a, b and c" naming the first ``limit``, then how many more."""
    names = ", ".join(labels[:limit])
    return names + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _drawn_note(n: int, what: str = "schedules") -> str:
    from lrviz.plots import MAX_LINES

    if n <= MAX_LINES:
        return ""
    return f" Drawn: the first {MAX_LINES} of {n} {what}; every one is in the tables and traces/."


def _lr_caption(traces: Sequence[Trace]) -> str:
    frame = series.frame(traces)
    unit = frame.unit
    panels = len(traces) > 1 and any(len(series.same_groups(t)) > 1 for t in traces)
    groups = len(traces) == 1 and len(series.same_groups(traces[0])) > 1
    zero = series.rate_scale(series.rates(t, g) for t in traces for g in range(t.groups))[0]
    scale = {
        "log": "log scale",
        "symlog": "log scale, linear near 0 since a rate reaches 0",
        "linear": "linear scale",
    }[zero]
    text = f"Learning rate against {unit} ({scale})"
    if unit == "step" and frame.epoch_ends():
        text += ", epochs on the axis above"
    if panels:
        text += "; a panel per param group"
    elif groups:
        text += "; a line per param group"
    marked = any(t.events for t in traces)
    return (
        text
        + ("; markers show events." if marked else ".")
        + _drawn_note(len(traces))
        + _not_drawn(_drawn(traces))
    )


def _not_drawn(traces: Sequence[Trace], firsts: Sequence[Trace] | None = None) -> str:
    """What a figure of ``traces`` leaves out: the lines of param groups past its share
    (of ``firsts``, one trace per schedule, when given) and rates no figure can draw."""
    note = series.not_drawn(traces)
    lines = series.groups_note(traces if firsts is None else firsts)
    return lines + (f" {note}" if note else "")


def _drawn(traces: Sequence[Trace]) -> Sequence[Trace]:
    """The traces an overview figure draws: the first :data:`lrviz.plots.MAX_LINES`."""
    from lrviz.plots import MAX_LINES

    return traces[:MAX_LINES]


def _alt_rates(traces: Sequence[Trace]) -> str:
    """What the rate lines do, in words: each schedule's first and last rate and its
    changes (the first few schedules)."""
    parts = []
    for t in traces[:6]:
        r = series.rates(t, 0)
        kinds: dict[str, int] = {}
        for e in t.events:
            if e.group == 0:
                kinds[e.kind] = kinds.get(e.kind, 0) + 1
        changes = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no events"
        parts.append(f"{t.label} from {number(r[0])} to {number(r[-1])} ({changes})")
    more = f"; and {len(traces) - 6} more" if len(traces) > 6 else ""
    return "; ".join(parts) + more


def _figures(traces: Sequence[Trace]) -> list[FigureSpec]:
    from lrviz import plots

    names = _shown([t.label for t in traces], 12)
    unit = series.frame(traces).unit
    specs: list[FigureSpec] = [
        (
            "lr",
            partial(plots.lr_overview, traces),
            _lr_caption(traces),
            f"Line chart of the learning rate per {unit} for {names}: {_alt_rates(traces)}.",
        )
    ]
    if has_losses(traces):
        specs.append(
            (
                "loss",
                partial(plots.losses, traces),
                _loss_caption(traces),
                f"Line chart of the recorded losses {_loss_where(traces)} for "
                f"{_shown([t.label for t in traces if has_losses([t])], 12)}.",
            )
        )
    for i, trace in enumerate(traces[:MAX_SECTIONS]):
        shown = series.detail(trace)
        specs.append(
            (
                f"schedule-{slug(trace.label)}",
                partial(plots.schedule_detail, trace, i),
                shown.caption(trace.label, series.loss_name([trace])) + _not_drawn([trace]),
                f"Chart of the learning rate of {trace.label} per {series.frame([trace]).unit}"
                + _alt_detail(shown)
                + f": {_alt_rates([trace])}.",
            )
        )
    return specs


def _alt_detail(shown: series.Detail) -> str:
    if shown.metric is not None:
        return f" with the {series.metric_label(shown.metric)} it was stepped on"
    if shown.loss is not None:
        return f" with the {series.metric_label(shown.loss)}"
    return ""


def _loss_caption(traces: Sequence[Trace]) -> str:
    by_epoch = [t for t in traces if not series.logged_losses(t)]
    val, train = series.has(by_epoch, "val_loss"), series.has(by_epoch, "train_loss")
    logged = sorted({name for t in traces for name in series.logged_losses(t)})
    at_steps = f"losses as logged ({', '.join(logged)}), at the steps they were logged"
    if not (val or train):
        return f"{at_steps[0].upper()}{at_steps[1:]}, per schedule" + _loss_tail(traces)
    what = (
        "Training (dashed) and validation (solid) loss"
        if val and train
        else "Validation loss"
        if val
        else "Training loss (dashed)"
    )
    name = series.loss_name(traces)
    text = what + (f" ({name})" if name else "") + " per schedule, as recorded"
    if logged:
        text += f"; {at_steps}"
    with_epochs = [t for t in by_epoch if _epoch_losses([t])]
    if any(e.kind == "reduce" for t in with_epochs for e in t.events):
        text += "; markers show reductions"
    return text + _loss_tail(traces)


def _epoch_losses(traces: Sequence[Trace]) -> bool:
    return series.has(traces, "val_loss") or series.has(traces, "train_loss")


def _loss_where(traces: Sequence[Trace]) -> str:
    """Where the loss figure puts the losses: "per epoch", "at the steps they were logged"."""
    by_epoch = [t for t in traces if not series.logged_losses(t)]
    if len(by_epoch) == len(traces):
        return "per epoch"
    return ("per epoch and " if _epoch_losses(by_epoch) else "") + "at the steps they were logged"


def _loss_tail(traces: Sequence[Trace]) -> str:
    text = ""
    missing = [t.label for t in traces if not has_losses([t])]
    if missing:
        text += f". No losses recorded for {_shown(missing, 5)}"
    return text + "." + _drawn_note(len(traces))


def _multi_seed_figures(traces: Sequence[Trace]) -> list[FigureSpec]:
    from lrviz import plots

    found = bands.groups(traces)
    names = _shown([f"{g.label} ({len(g.traces)} seeds)" for g in found], 12)
    unit = series.frame(traces).unit
    specs: list[FigureSpec] = [
        (
            "lr",
            partial(plots.lr_bands, found),
            f"Learning rate against {unit} (log scale): each schedule's median across its "
            "seeds (line) and the band from the 10th to the 90th percentile."
            + _drawn_note(len(found))
            + _not_drawn(
                [t for g in found[: plots.MAX_LINES] for t in g.traces],
                [g.traces[0] for g in found[: plots.MAX_LINES]],
            ),
            f"Line chart with shaded bands of the learning rate per {unit} on a log axis for "
            f"{names}.",
        )
    ]
    if _epoch_losses(traces):  # the bands are of the epochs' losses
        val = series.has(traces, "val_loss")
        specs.append(
            (
                "loss",
                partial(plots.loss_bands, found),
                (
                    "Validation loss (solid line: median across seeds; band: 10th to 90th "
                    "percentile) and median training loss (dashed) per schedule."
                    if val
                    else "Median training loss across seeds (dashed) per schedule."
                )
                + _drawn_note(len(found)),
                f"Line chart with shaded bands of the recorded losses per epoch for {names}.",
            )
        )
    for i, group in enumerate(found[:MAX_SECTIONS]):
        varies = not group.same_rates
        loss = next((f for f in ("val_loss", "train_loss") if has_losses(group.traces)), None)
        with_loss = f" and {series.metric_label(loss)}" if loss else ""
        specs.append(
            (
                f"schedule-{slug(group.label)}",
                partial(plots.schedule_bands, group, i),
                f"{group.label}: learning rate{with_loss} across "
                f"{len(group.traces)} seeds (medians, 10-90% bands)"
                + ("; below, how many seeds reduced the rate at each epoch." if varies else ".")
                + _not_drawn(group.traces, group.traces[:1]),
                f"Chart of the median learning rate{with_loss} of {group.label} per {unit} "
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


def render_html(
    traces: Sequence[Trace], figures: Sequence[Figure], notes: Sequence[str] = ()
) -> str:
    """The report page (:func:`page_template`), figures inlined; ``notes`` head its
    warnings (:func:`derive_events`'s)."""
    import importlib.resources

    import markupsafe

    templates = importlib.resources.files("lrviz.templates")
    template = page_template()
    multi = bands.several_seeds(traces)
    found = bands.groups(traces)
    files = dict(zip(map(id, traces), trace_file_names(traces), strict=True))
    columns = _columns(traces)
    labels = [g.label for g in found]
    return template.render(
        # Our own stylesheet: trusted, and entities would break it inside <style>.
        css=markupsafe.Markup(templates.joinpath("report.css").read_text("utf-8")),
        title=_shown(labels, 8),
        lede=lede(traces),
        run=run_summary(traces),
        figures={f.slug: f for f in figures},
        multi=multi,
        columns=columns,
        schedules=(
            [schedule_view(t, i, files[id(t)]) for i, t in enumerate(traces[:MAX_SECTIONS])]
            if not multi
            else []
        ),
        groups=(
            [group_view(g, i, files) for i, g in enumerate(found[:MAX_SECTIONS])] if multi else []
        ),
        more=[_more_row(g, files) for g in found[MAX_SECTIONS:]],
        comparison=[comparison_row(t) for t in traces] if not multi else [],
        spreads=[comparison_spread(g) for g in found] if multi else [],
        warnings=[*notes, *report_warnings(traces)],
        version=__version__,
    )


def fmt_number(x: Any, digits: int = 4) -> str:
    """A number for a table cell: 4 significant digits, '—' for missing."""
    if x is None:
        return "—"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
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


# -- what the traces are ------------------------------------------------------------------

SOURCES = {
    "run": ("trained by lrviz run", "trained"),
    "record": ("recorded from a training loop", "recorded"),
    "simulate": ("simulated (no training)", "simulated"),
    "import": ("imported from a log (rates as logged)", "imported"),
}
"""How the lede names each ``meta.source``: in a mix, and before "schedule"."""


def source(trace: Trace) -> str:
    """The trace's ``meta.source`` (run, record, simulate), or "unknown"."""
    return str(trace.meta.get("source", "unknown"))


def unchecked(trace: Trace) -> bool:
    """Whether the trace's changes were listed without a rule to check them by (a scheduler
    lrviz has no rule for)."""
    return schedules.kind_of(trace) is None or any(
        e.evidence.get("unchecked") for e in trace.events
    )


def after_last(trace: Trace) -> str:
    """ "After the last step the rate is X (no update used it)." for the groups whose last
    step went past the schedule's end (see :func:`lrviz.series.final_rates`); "" when none."""
    used = series.final_rates(trace)
    moved = [(g, x) for g, x in enumerate(trace.final_lr) if x != used[g]]
    if not moved:
        return ""
    several = trace.groups > 1
    if several and len(moved) == trace.groups and len({x for _, x in moved}) == 1:
        shown = [f"of every group is {number(moved[0][1])}"]
    else:
        shown = [f"{f'of group {g} ' if several else ''}is {number(x)}" for g, x in moved]
    return f"After the last step the rate {some(shown, 5, ', ')} (no update used it)."


def changes(trace: Trace) -> list[tuple[int, int, float, float]]:
    """(step, group, before, after) of every change of rate, read from the rates alone
    (for traces that store no events)."""
    import numpy as np

    out = []
    for g in range(trace.groups):
        r = series.rates(trace, g)
        for k in np.flatnonzero(r[1:] != r[:-1]).tolist():
            out.append((k + 1, g, float(r[k]), float(r[k + 1])))
    return sorted(out)


def lede(traces: Sequence[Trace]) -> list[str]:
    """The sentences under the title: what the traces are (never more than they show),
    where imported ones came from, how they are summarised, and how their changes were
    explained."""
    from lrviz.logs import provenance

    found = bands.groups(traces)
    firsts = [g.traces[0] for g in found]
    n = len(found)
    kinds = {source(t) for t in traces}
    seeds = sorted({t.seed for t in traces if t.seed is not None})
    multi = bands.several_seeds(traces)
    run = kinds == {"run"}
    single = next(iter(kinds)) if len(kinds) == 1 else ""
    if single in SOURCES:
        what = f"{n} {SOURCES[single][1]} schedule{'s' if n != 1 else ''}"
    else:
        by = {k: sum(1 for t in firsts if source(t) == k) for k in sorted({*map(source, firsts)})}
        what = f"{count(n, 'schedule')}: " + ", ".join(
            f"{m} {SOURCES[k][0] if k in SOURCES else f'of source {k!r}'}" for k, m in by.items()
        )
    out = []
    seed_text = format_seeds(seeds).replace("-", "\N{EN DASH}").replace(",", ", ")
    if multi:
        verb = SOURCES[single][1] + " " if single in SOURCES else ""
        under = f"under {len({t.seed for t in found[0].traces})} seeds ({seed_text})"
        each = ", each " if n > 1 else " "
        head = f"{count(n, 'schedule')}{each}{verb}{under}" if single else f"{what}{each}{under}"
        out.append(
            head
            + (
                "; under one seed every schedule starts from the same initial weights."
                if run
                else "."
            )
        )
        out.append(
            "Lines are medians across the seeds, shaded bands span the 10th to the 90th percentile."
        )
    elif run:
        where = (
            f" (seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))})" if seeds else ""
        )
        out.append(
            f"{count(n, 'schedule')} trained on the same model from the same initial "
            f"weights{where}."
        )
    else:
        out.append(what + (", no training." if kinds == {"simulate"} else "."))
    imported: dict[str, list[str]] = {}
    for t in firsts:
        words = provenance(t)
        if words is not None:
            imported.setdefault(words, []).append(t.label)
    out += [f"{_shown(labels, 5)}: {words}." for words, labels in imported.items()]
    if not has_losses(traces):
        out.append(
            ("The traces hold" if len(traces) > 1 else "The trace holds")
            + " learning rates only: no losses were recorded."
        )
    ruled = [t.label for t in firsts if not unchecked(t) and t.events]
    unknown = [t.label for t in firsts if unchecked(t) and t.events]
    silent = [t.label for t in firsts if not t.events and changes(t)]
    checked = "the rates torch applied" if run else "the recorded rates"
    if ruled and len(ruled) == n:
        out.append(
            f"Every rate change below is derived from the schedule's own rule and checked "
            f"against {checked}."
        )
    elif ruled:
        out.append(
            f"The rate changes of {_shown(ruled, 5)} are derived from "
            f"{'its' if len(ruled) == 1 else 'each'} schedule's own rule and checked against "
            f"{checked}."
        )
    norule = [
        t.label for t in firsts if t.events and schedules.kind_of(t) is None and not by_hand(t)
    ]
    if norule:
        out.append(
            f"lrviz has no rule for {_shown(norule, 5)}: "
            f"{'its' if len(norule) == 1 else 'their'} changes are listed as recorded, unchecked."
        )
    hand = [t.label for t in firsts if t.name == "none" and (t.events or changes(t))]
    if hand:
        out.append(
            f"{_shown(hand, 5)} set {'its' if len(hand) == 1 else 'their'} rates without a "
            "scheduler: the changes below are phases found from the rates alone, with no rule "
            "to check them by."
        )
    logged = [t.label for t in firsts if by_hand(t) and t.name != "none" and t.events]
    if logged:
        out.append(
            f"{_shown(logged, 5)}: the log names no scheduler lrviz knows; the changes below "
            "are read from the logged rates alone, unchecked."
        )
    failed = [label for label in unknown if label not in {*norule, *hand, *logged}]
    if failed:
        out.append(
            f"lrviz could not apply the rule of {_shown(failed, 5)} to the recorded parameters: "
            f"{'its' if len(failed) == 1 else 'their'} changes are listed as recorded, unchecked."
        )
    if silent:
        out.append(
            f"{_shown(silent, 5)} store{'s' if len(silent) == 1 else ''} no events (rates "
            "only): the figures show the changes, and lrviz explain on the trace file derives "
            "them."
        )
    return out


# -- what was run -------------------------------------------------------------------------


def _code(text: str) -> Markup:
    from markupsafe import Markup

    return Markup("<code>{}</code>").format(text)


def fmt_value(value: Any) -> str:
    """A recorded value as written in Python: ``[0.9, 0.999]``, ``True``, ``'rel'``."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {fmt_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    return str(value)


def fmt_params(params: Mapping[str, Any]) -> str:
    """``k=v, k=v`` for a schedule's or a param group's settings."""
    return ", ".join(f"{k}={fmt_value(v)}" for k, v in params.items())


MAX_GROUP_LINES = 8
"""Param groups whose settings the page lists one by one; past them, groups with the same
settings share a line, and settings past this many lines are counted (the trace file
has every group's)."""


def _optimizer_text(optimizer: Mapping[str, Any]) -> list[str]:
    groups = list(optimizer.get("groups", []))
    name = str(optimizer.get("name", "optimizer"))
    if not groups:
        return [name]
    if len(groups) <= MAX_GROUP_LINES:
        return [
            f"{name}({fmt_params(g)})" + (f" (group {k})" if len(groups) > 1 else "")
            for k, g in enumerate(groups)
        ]
    alike: dict[str, list[int]] = {}
    for k, g in enumerate(groups):
        alike.setdefault(fmt_params(g), []).append(k)
    settings = list(alike.items())
    lines = [
        f"{name}({text}) ({series.groups_text(members)})"
        for text, members in settings[:MAX_GROUP_LINES]
    ]
    rest = settings[MAX_GROUP_LINES:]
    if rest:
        lines.append(
            f"and {sum(len(m) for _, m in rest):,} more param groups, with "
            f"{len(rest):,} other settings (the trace file has every group's)"
        )
    return lines


def _many(n: int, noun: str) -> str:
    """ "10,000 epochs", "1 epoch"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _length(trace: Trace) -> str:
    """ "3 epochs, 30 scheduler steps"; a trace no scheduler set counts steps (updates,
    or a log's entries) and rates."""
    step = "step" if by_hand(trace) else "scheduler step"
    if trace.per_step:
        epochs = len(series.clock(trace).ends)
        return f"{_many(epochs, 'epoch')}, {_many(trace.step_count, step)}"
    per = "one rate" if by_hand(trace) else "one scheduler step"
    return f"{_many(trace.step_count, 'epoch')}, {per} per epoch"


RUN_KEYS = ("dataset", "model", "loss", "epochs", "seed", "optimizer")
"""Experiment fields the run rows show in words (the rest are listed as recorded)."""


def _shared_experiment(traces: Sequence[Trace]) -> dict[str, Any]:
    """The experiment fields every trace recorded with the same value (not the seed)."""
    experiments = [t.experiment for t in traces]
    if not experiments or any(e is None for e in experiments):
        return {}
    first = experiments[0]
    assert first is not None
    return {
        k: v
        for k, v in first.items()
        if k != "seed"
        and all(e is not None and k in e and jsonable(e[k]) == jsonable(v) for e in experiments)
    }


def run_summary(traces: Sequence[Trace]) -> dict[str, Any]:
    """What was run: the experiment settings the traces share, seeds, optimizer and its
    param groups, length, versions; each schedule once, with what differs between them."""
    from markupsafe import Markup

    found = bands.groups(traces)
    firsts = [g.traces[0] for g in found]
    shared = _shared_experiment(traces)
    seeds = sorted({t.seed for t in traces if t.seed is not None})
    seed_text = format_seeds(seeds).replace("-", "\N{EN DASH}").replace(",", ", ")
    run = all(source(t) == "run" for t in traces)
    rows: list[tuple[str, Markup]] = []
    if run and shared.get("dataset") == "wine":
        rows.append(
            (
                "Dataset",
                Markup(
                    "{} (scikit-learn <code>load_wine</code>, 80/20 split, "
                    "<code>random_state=42</code>)"
                ).format(shared["dataset"]),
            )
        )
        if "model" in shared:
            model = Markup("<code>{}</code>, <code>{}</code>, full batch")
            rows.append(("Model", model.format(shared["model"], shared.get("loss", ""))))
    else:
        for key in ("dataset", "model", "loss"):
            if key in shared:
                rows.append((key.capitalize(), _code(fmt_value(shared[key]))))
    lengths = {_length(t) for t in traces}
    if len(lengths) == 1:
        length = lengths.pop()
        if run and not traces[0].per_step:
            rows.append(
                ("Epochs", Markup("{}, one scheduler step per epoch").format(traces[0].step_count))
            )
        else:
            rows.append(("Length", Markup("{}").format(length)))
    seeded = bool(seeds) and all(t.seed is not None for t in traces)
    if seeded:
        several = f" ({len(seeds)} seeds)" if len(seeds) > 1 else ""
        how = "; <code>torch.manual_seed</code> before each model is built" if run else ""
        rows.append(("Seeds", Markup("{}{}" + how).format(seed_text, several)))
    rows += _optimizer_rows(traces, firsts)
    for key, value in shared.items():
        if key not in RUN_KEYS:
            rows.append((str(key), _code(fmt_value(value))))
    versions = sorted(
        {
            f"lrviz {t.meta.get('lrviz', 'unknown')}, "
            + (f"torch {t.meta['torch']}" if t.meta.get("torch") else "torch not recorded")
            for t in traces
        }
    )
    rows.append(("Versions", Markup("; ").join(Markup("{}").format(v) for v in versions)))
    per = _per_schedule_columns(found, shared, seeded)
    return {
        "rows": rows,
        "seeds": seeds,
        "seed_text": seed_text,
        "schedules": [
            {
                "label": g.label,
                "name": g.name,
                # Past the sections no figure draws it: no swatch to look for.
                "swatch": _swatch(i) if i < MAX_SECTIONS else "",
                "params": fmt_params(g.traces[0].params) or "none recorded",
                "extra": [f(g.traces[0]) for f in per.values()],
            }
            for i, g in enumerate(found)
        ],
        "extra": list(per),
    }


def _optimizer_rows(traces: Sequence[Trace], firsts: Sequence[Trace]) -> list[tuple[str, Markup]]:
    """The optimizer and every param group's settings, once when the traces share them,
    else per schedule; or the experiment's optimizer when no trace recorded one."""
    from markupsafe import Markup

    named = [t for t in firsts if t.optimizer]
    if named and len({str(jsonable(t.optimizer)) for t in traces}) == 1:
        lines = [_code(x) for x in _optimizer_text(named[0].optimizer or {})]
        return [("Optimizer", Markup("<br>").join(lines))]
    if named:
        lines = [
            Markup("{}: ").format(t.label)
            + Markup("; ").join(_code(x) for x in _optimizer_text(t.optimizer or {}))
            for t in named[:MAX_SECTIONS]
        ]
        if len(named) > MAX_SECTIONS:
            lines.append(
                Markup("and {} more (in their trace files)").format(len(named) - MAX_SECTIONS)
            )
        return [("Optimizer", Markup("<br>").join(lines))]
    given = [
        t.experiment["optimizer"] for t in traces if t.experiment and "optimizer" in t.experiment
    ]
    if given and all(jsonable(g) == jsonable(given[0]) for g in given):
        return [("Optimizer", _code(fmt_value(given[0])))]
    return []


SHORT_SOURCES = {
    "run": "lrviz run",
    "record": "recorded",
    "simulate": "simulated",
    "import": "imported",
}


def _short_length(trace: Trace) -> str:
    if trace.per_step:
        return f"{_many(len(series.clock(trace).ends), 'epoch')}, {trace.step_count:,} steps"
    return _many(trace.step_count, "epoch")


def _per_schedule_columns(
    found: Sequence[bands.Group], shared: Mapping[str, Any], seeded: bool
) -> dict[str, Callable[[Trace], str]]:
    """Columns of the schedules table for what differs between schedules: source,
    length, param groups, the experiment fields they do not share (with the seed when
    not every trace has one)."""
    firsts = [g.traces[0] for g in found]
    out: dict[str, Callable[[Trace], str]] = {}
    if len({source(t) for t in firsts}) > 1:
        out["Source"] = lambda t: SHORT_SOURCES.get(source(t), source(t))
    if len({_length(t) for t in firsts}) > 1:
        out["Length"] = _short_length
    if any(t.groups > 1 for t in firsts):
        out["Groups"] = lambda t: str(t.groups)

    def experiment(t: Trace) -> str:
        fields = {
            k: v
            for k, v in (t.experiment or {}).items()
            if k not in shared and (k != "seed" or not seeded)
        }
        return "; ".join(f"{k}={fmt_value(v)}" for k, v in fields.items()) or "—"

    if any(experiment(t) != "—" for t in firsts):
        out["Experiment"] = experiment
    return out


def _swatch(index: int) -> Markup:
    from markupsafe import Markup

    from lrviz.plots import swatch

    return Markup(swatch(index))


# -- sections -------------------------------------------------------------------------------


def _columns(traces: Sequence[Trace]) -> dict[str, bool]:
    """Which columns the comparison has: only what some trace recorded."""
    return {
        "val_loss": series.has(traces, "val_loss"),
        "accuracy": series.has(traces, "val_accuracy"),
        "groups": any(t.groups > 1 for t in traces),
    }


def _where(trace: Trace, e: Event) -> str:
    return f"step {e.at:,} (epoch {e.epoch})" if trace.per_step else f"epoch {e.epoch}"


def event_rows(trace: Trace, events: Sequence[Event]) -> list[dict[str, Any]]:
    """Rows of an event table: the first :data:`MAX_ROWS`."""
    return [
        {
            "step": e.step,
            "epoch": e.epoch,
            "group": e.group,
            "kind": e.kind,
            "lr_before": e.lr_before,
            "lr_after": e.lr_after,
            "reason": e.reason,
        }
        for e in events[:MAX_ROWS]
    ]


def event_table(trace: Trace, events: Sequence[Event], caption: str, file: str) -> dict[str, Any]:
    """An event table: its first rows, and how many more are in the trace file."""
    return {
        "caption": caption,
        "step": trace.per_step,
        "groups": trace.groups > 1,
        "rows": event_rows(trace, events),
        "more": max(0, len(events) - MAX_ROWS),
        "file": file,
    }


def _milestones_text(trace: Trace) -> str:
    """ "50% of the initial rate at epoch 14; 10% ... not reached."."""
    import numpy as np

    found = series.milestone_steps(trace)
    r = series.rates(trace, 0)
    peak = int(np.argmax(np.where(np.isnan(r), -np.inf, r)))
    start = "the peak rate" if r.size and r[peak] > r[0] * (1 + 1e-9) else "the initial rate"
    epochs = trace.step_epochs()

    def at(step: int | None) -> str:
        if step is None:
            return "not reached"
        if trace.per_step:
            return f"at step {step:,} (epoch {math.floor(epochs[step - 1])})"
        return f"at epoch {step:,}"

    return "; ".join(f"{f:.0%} of {start} {at(s)}" for f, s in found.items()) + "."


def schedule_view(trace: Trace, index: int, file: str = "") -> dict[str, Any]:
    """One schedule's section: its events (the notable ones first for schedules that move
    every step), milestones, or what it stores when it stores no events."""
    continuous = bool(trace.events) and is_continuous(trace)
    unit = series.frame([trace]).unit
    view: dict[str, Any] = {
        "index": index,
        "label": trace.label,
        "name": trace.name,
        "swatch": _swatch(index),
        "slug": slug(trace.label),
        "continuous": continuous,
        "count": len(trace.events),
        "unit": unit,
        "milestones": _milestones_text(trace) if continuous else "",
        "unchecked": (
            ""
            if not (unchecked(trace) and trace.events) or by_hand(trace)
            else "no rule"
            if schedules.kind_of(trace) is None
            else "rule failed"
        ),
        "file": file,
        "tables": [],
        "note": "",
    }
    if continuous and not trace.per_step:
        view["tables"] = [
            event_table(trace, notable(trace), "Milestones and anything unusual", file),
            event_table(trace, trace.events, f"Every event of {trace.label}", file),
        ]
    elif trace.events:
        caption = f"Events of {trace.label}" + (
            ": phases found from its rates alone (no scheduler set them)"
            if trace.name == "none"
            else ", every-step changes joined into phases"
            if trace.per_step and continuous
            else ""
        )
        view["tables"] = [event_table(trace, trace.events, caption, file)]
    else:
        found = changes(trace)
        if found:
            shown = [
                f"{unit} {k:,}"
                + (f", group {g}" if trace.groups > 1 else "")
                + f" ({number(a)} \N{RIGHTWARDS ARROW} {number(b)})"
                for k, g, a, b in found
            ]
            view["note"] = (
                f"This trace stores no events (it holds rates only). The rate changed "
                f"{count(len(found), 'time')}: {some(shown)}. "
            )
        else:
            view["note"] = f"The rate never changed in {count(trace.step_count, unit)}."
    tail = after_last(trace)
    if tail and view["tables"]:
        view["tables"][0]["caption"] += f". {tail}"
    elif tail:
        view["note"] += f" {tail}"
    return view


def _more_row(group: bands.Group, files: Mapping[int, str]) -> dict[str, Any]:
    """A schedule past :data:`MAX_SECTIONS`: one table row."""
    first = group.traces[0]
    kinds: dict[str, int] = {}
    for e in first.events:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    return {
        "label": group.label,
        "name": first.name,
        "seeds": len(group.traces),
        "events": ", ".join(f"{n} {k}" for k, n in kinds.items()) or "none stored",
        "final_lr": ", ".join(number(x) for x in series.final_rates(first)),
        "file": files[id(first)],
    }


def comparison_row(trace: Trace) -> dict[str, Any]:
    """SPEC §7.5: best and final val loss, final accuracy, reductions, final LR (the last
    rate after the last step, or the last rate an update used where that step went past the
    schedule's end: :func:`lrviz.series.final_rates`), 10% step."""
    finite = [
        (e.val_loss, e.epoch)
        for e in trace.epochs
        if e.val_loss is not None and math.isfinite(e.val_loss)
    ]
    best = min(finite) if finite else (None, None)
    last = trace.epochs[-1] if trace.epochs else None
    tenth = series.milestone_steps(trace)[0.1]
    if tenth is not None and trace.per_step:
        at = f"step {tenth:,} (epoch {math.floor(trace.step_epochs()[tenth - 1])})"
    else:
        at = f"epoch {tenth:,}" if tenth is not None else "never"
    return {
        "label": trace.label,
        "best_val_loss": best[0],
        "best_epoch": best[1],
        "final_val_loss": None if last is None else last.val_loss,
        "final_accuracy": None if last is None else last.val_accuracy,
        "reductions": sum(1 for e in trace.events if e.kind == "reduce" and e.group == 0)
        if trace.events or not changes(trace)
        else None,
        "final_lr": series.final_rates(trace)[0],
        "final_lrs": _final_rates(series.final_rates(trace)),
        "epoch_10pct": tenth if not trace.per_step else None,
        "at_10pct": at,
    }


def _final_rates(rates: Sequence[float]) -> str:
    """Each param group's final rate; past :data:`MAX_GROUP_LINES` groups, the first ones
    and the range of the rest (the trace file has every group's)."""
    if len(rates) <= MAX_GROUP_LINES:
        return ", ".join(fmt_number(x, 3) for x in rates)
    if all(x == rates[0] for x in rates):
        return f"{fmt_number(rates[0], 3)} (all {len(rates):,} groups)"
    rest = rates[MAX_GROUP_LINES:]
    return (
        ", ".join(fmt_number(x, 3) for x in rates[:MAX_GROUP_LINES])
        + f" and {len(rest):,} more, from {fmt_number(min(rest), 3)} to "
        f"{fmt_number(max(rest), 3)} (the trace file has every group's)"
    )


def group_view(
    group: bands.Group, index: int, files: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """One schedule's section over several seeds: when it reduced, a representative
    event timeline, and every seed's outcome."""
    first = group.traces[0]
    continuous = is_continuous(first)
    found = [] if group.same_rates else bands.reductions(group)
    typical = first if group.same_rates else _typical(group)
    file = (files or {}).get(id(typical), "")
    events = notable(typical)
    return {
        "index": index,
        "label": group.label,
        "name": group.name,
        "swatch": _swatch(index),
        "slug": slug(group.label),
        "seeds": len(group.traces),
        "same_rates": group.same_rates,
        "continuous": continuous,
        "consistency": bands.consistency(group, continuous),
        "reductions": found,
        "events": event_table(typical, events, _events_caption(group, typical, continuous), file)
        if events
        else None,
        "never": f"The rate never changed in {count(first.step_count, series.frame([first]).unit)}."
        if not changes(first)
        else "The traces store no events (rates only): the figure shows the changes.",
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
        changes_ = "; ".join(
            f"{f:.0%} at {f'epoch {e}' if e is not None else 'never'}"
            for f, e in series.milestone_steps(trace).items()
        )
    else:
        reduced = bands.reduction_epochs(trace)
        changes_ = some([str(e) for e in reduced], 20, ", ") if reduced else "none"
        held = sum(1 for e in trace.events if e.kind == "held")
        if held:
            changes_ += f" ({held} held)"
    return {**row, "seed": trace.seed, "changes": changes_}


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
            t.seed: [_where(t, e) for e in t.events if e.kind == "external"] for t in group.traces
        }
        hit = {seed: where for seed, where in external.items() if where}
        if hit:
            shown = _per_seed(hit, several, lambda w: some(w, 10, ", "))
            out.append(
                f"{group.label}: the rate changed outside the schedule's rule {shown} "
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
