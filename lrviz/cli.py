"""The ``lrviz`` command line (click only; the work happens in the library modules).

Exit codes follow click: 0 success, 1 runtime failure, 2 bad usage or bad input. Every
error is one line on stderr. Heavy modules (torch, matplotlib) are imported inside the
commands that need them, so ``lrviz --help`` stays instant.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from lrviz.__about__ import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from lrviz.report import Draw
    from lrviz.schedules import ScheduleSpec
    from lrviz.trace import Trace


class BadInput(click.ClickException):
    """Bad input found after option parsing: one line on stderr, exit code 2."""

    exit_code = 2


class _Group(click.Group):
    """A group whose errors are one line each (click's usage block is left out)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            _fail(exc)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class _PathParam(click.Path):
    """``click.Path`` that gives ``pathlib.Path`` values, importing pathlib on first use
    rather than at start-up (``lrviz --help`` never needs it)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        from pathlib import Path

        if value == "":
            self.fail("empty path", param, ctx)
        return Path(os.fsdecode(super().convert(value, param, ctx)))


PATH = _PathParam()


def _fail(exc: click.ClickException) -> NoReturn:
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    click.echo(f"Error: {message}", err=True)
    sys.exit(exc.exit_code)


def _schedule(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> list[ScheduleSpec]:
    from lrviz.schedules import parse_spec

    try:
        return [parse_spec(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _lr(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    from lrviz.schedules import check_lr

    try:
        return None if value is None else check_lr(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _seeds(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    from lrviz.seeds import parse_seeds

    try:
        return None if value is None else parse_seeds(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


class Progress:
    """A progress bar on stderr for work that lasts longer than about a second.

    Called as ``progress(what, done, total)``; draws nothing until ``delay`` seconds
    have passed since it was made, and nothing at all unless ``stream`` is a terminal,
    so pipes, logs and CI output stay clean.
    """

    def __init__(
        self, enabled: bool = True, stream: Any = None, delay: float = 1.0, clock: Any = None
    ) -> None:
        import time

        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled and self.stream.isatty()
        self.clock = clock or time.monotonic
        self.start = self.clock()
        self.delay = delay
        self.bar: Any = None
        self.what = ""

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled or self.clock() - self.start < self.delay:
            return
        if self.bar is None or what != self.what:
            self.close()
            self.what = what
            self.bar = click.progressbar(length=total, label=what, file=self.stream)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        """Finish the bar on screen, if one is drawn."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def entry() -> None:
    """The ``lrviz`` program (console script and ``python -m lrviz``): :func:`main`, then
    a quick exit.

    Python's own exit takes the interpreter apart: its garbage collector walks every
    object still alive (importing torch leaves millions) and every module is emptied
    object by object, about a second in all, longer than training the lesson. By then
    lrviz has nothing pending (its files are closed), so once :func:`main` is done and
    the ``atexit`` hooks have run (multiprocessing's and joblib's clean-ups among them),
    the process flushes its streams and ends with ``os._exit``. Tests call :func:`main`
    and keep the usual exit.
    """
    import atexit
    import contextlib

    code = 0
    try:
        main()
    except SystemExit as done:
        if not isinstance(done.code, int):  # a message to print: Python's exit does that
            raise
        code = done.code
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to keep
            stream.flush()
    os._exit(code)


@click.group("lrviz", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lrviz")
def main() -> None:
    """lrviz: see, measure and explain what a learning-rate schedule does to training."""


@main.command()
@click.option(
    "-s",
    "--schedule",
    "schedules",
    multiple=True,
    metavar="SPEC",
    callback=_schedule,
    help="NAME[:key=value,...], e.g. step:step_size=10,gamma=0.5 (repeat for several). "
    "Default: step, exp and plateau, the lesson's three.",
)
@click.option(
    "-c",
    "--config",
    type=PATH,
    metavar="FILE",
    help="TOML experiment file ([experiment], [[schedule]]); options given here win.",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Epochs per run (one scheduler step each).",
)
@click.option(
    "--lr",
    type=float,
    default=0.1,
    show_default=True,
    callback=_lr,
    help="Adam's initial learning rate.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**64 - 1),
    default=0,
    show_default=True,
    help="torch.manual_seed before each schedule's model is built.",
)
@click.option(
    "--seeds",
    "seed_list",
    metavar="RANGE",
    callback=_seeds,
    help="Several seeds, e.g. 0-49, 0,3,7 or 0-9,20: one trace per schedule and seed, "
    "trained together by the batched engine (same numbers as one by one). Not with --seed.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes (joblib) for runs trained one by one on the exact path (--exact).",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Train run after run on the exact path, the lesson's loop, even with --seeds.",
)
@click.option("--dataset", type=click.Choice(["wine"]), default="wine", show_default=True)
@click.option(
    "-o",
    "--out",
    type=PATH,
    default="reports",
    show_default=True,
    help="Output folder: index.html, figures/, traces/.",
)
@click.option(
    "--print-every",
    type=click.IntRange(min=1),
    metavar="N",
    help="Print 'Epoch [k/N], LR: x' every N epochs, per schedule, as the lesson does.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--open", "open_report", is_flag=True, help="Open the report in a browser.")
def run(
    schedules: list[ScheduleSpec],
    config: Path | None,
    epochs: int,
    lr: float,
    seed: int,
    seed_list: tuple[int, ...] | None,
    jobs: int,
    exact: bool,
    dataset: str,
    out: Path,
    print_every: int | None,
    quiet: bool,
    open_report: bool,
) -> None:
    """Train the lesson's Wine model under each schedule and write the HTML report."""
    from lrviz.configfile import experiment as make_experiment
    from lrviz.figure_worker import FigureWorker

    _check_out_dir(out)
    given = _explicit(
        {
            "epochs": epochs,
            "lr": lr,
            "seeds": (seed,),
            "dataset": dataset,
            "schedules": tuple(schedules),
        },
        {"seeds": "seed"},
    )
    if seed_list is not None:
        if "seeds" in given:
            raise click.UsageError("give --seed or --seeds, not both")
        given["seeds"] = seed_list
    # Forked before torch is imported: it imports matplotlib meanwhile, then draws.
    with Progress(enabled=not quiet) as progress, FigureWorker() as worker:
        try:
            experiment = make_experiment(_config(config), **given)
            traces = _train(experiment, exact=exact, jobs=jobs, quiet=quiet, progress=progress)
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        worker.start(traces)
        index = _write_report(traces, out, progress, worker.figures)
    if not quiet:
        _warn_pitfalls(traces)
    if print_every and not quiet:
        _print_rates(traces, print_every)
    if not quiet:
        _summarise(traces, index)
    if open_report:
        click.launch(str(index))


def _explicit(values: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The values of the options the user gave (not click's defaults): they win over a
    config file, which fills in the rest. ``names`` maps value keys to option names."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return {
        key: value
        for key, value in values.items()
        if ctx.get_parameter_source(names.get(key, key)) is not ParameterSource.DEFAULT
    }


def _config(path: Path | None) -> Any:
    from lrviz import configfile

    try:
        return None if path is None else configfile.load(path)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _warn_pitfalls(traces: Sequence[Trace]) -> None:
    from lrviz.pitfalls import messages

    for message in messages(traces):
        click.echo(f"Warning: {message}", err=True)


def _train(
    experiment: Any, *, exact: bool, jobs: int, quiet: bool, progress: Progress
) -> list[Trace]:
    import warnings

    from lrviz import sweep

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sweep.ExactFallback)
        traces = sweep.run(experiment, exact=exact, jobs=jobs, progress=progress)
    if caught and not quiet:
        progress.close()
        for warning in caught:
            click.echo(f"Warning: {warning.message}", err=True)
    return traces


def _write_report(
    traces: list[Trace], out: Path, progress: Progress | None = None, draw: Draw | None = None
) -> Path:
    from lrviz.report import write_report

    try:
        return write_report(traces, out, progress, draw)
    except OSError as exc:
        raise click.ClickException(f"cannot write the report to {out}: {exc}") from None
    except ValueError as exc:  # checked before training too; the folder may change meanwhile
        raise BadInput(str(exc)) from None


def _check_out_dir(out: Path) -> None:
    """Before any training: the report could not go there."""
    from lrviz.report import check_output_folder

    try:
        check_output_folder(out)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _print_rates(traces: list[Trace], every: int) -> None:
    """The lesson's lines, 'Epoch [10/100], LR: 0.100000', schedule by schedule."""
    for trace in traces:
        click.echo(f"{trace.label}: {trace.name}, seed {trace.seed}")
        after = trace.rates()[1:]
        n = len(trace.epochs)
        for epoch in range(every, n + 1, every):
            click.echo(f"Epoch [{epoch}/{n}], LR: {after[epoch - 1]:.6f}")


def _summarise(traces: list[Trace], index: Path) -> None:
    from lrviz import bands

    if bands.several_seeds(traces):
        _summarise_seeds(bands.groups(traces))
        click.echo(f"Report: {index}")
        return
    for trace in traces:
        counts: dict[str, int] = {}
        for e in trace.events:
            counts[e.kind] = counts.get(e.kind, 0) + 1
        events = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no rate changes"
        last = trace.epochs[-1]
        line = (
            f"{trace.label:<10} {trace.name:<18} final LR {trace.final_lr[0]:.3g}, "
            f"val loss {last.val_loss:.4f}, {events}"
        )
        diverged = trace.diverged_epoch
        if diverged is not None:
            line += f"; DIVERGED at epoch {diverged}"
        click.echo(line)
    click.echo(f"Report: {index}")


def _summarise_seeds(groups: Sequence[Any]) -> None:
    """One line per schedule: the final validation loss across seeds, and when it reduced."""
    from lrviz.bands import consistency, spread
    from lrviz.explanation import is_continuous

    for group in groups:
        final = spread([t.epochs[-1].val_loss for t in group.traces])
        loss = "no finite final val loss"
        if final.median is not None:
            loss = f"final val loss {final.median:.4f} (10-90%: {final.low:.4f}-{final.high:.4f})"
        diverged = sum(t.diverged_epoch is not None for t in group.traces)
        line = (
            f"{group.label:<10} {group.name:<18} {len(group.traces)} seeds, {loss}; "
            f"{consistency(group, is_continuous(group.traces[0]))}"
        )
        if diverged:
            line += f" DIVERGED in {diverged} seeds."
        click.echo(line)


@main.command()
@click.argument("actual", type=PATH)
@click.argument("golden", type=PATH)
# Defaults are lrviz.comparison's (a test keeps them equal); importing it here would slow
# down `lrviz --help`.
@click.option(
    "--rtol",
    type=float,
    default=1e-6,
    show_default=True,
    help="Relative tolerance: values match when |actual - golden| <= atol + rtol * |golden|.",
)
@click.option("--atol", type=float, default=0.0, show_default=True, help="Absolute tolerance.")
@click.option(
    "--fields",
    metavar="NAMES",
    help="Comma-separated per-epoch fields to compare, from: lr, val_loss, train_loss, "
    "val_accuracy, metric, momentum (lr includes final_lr). "
    "Default: lr, and val_loss when both traces have it.",
)
@click.pass_context
def check(
    ctx: click.Context, actual: Path, golden: Path, rtol: float, atol: float, fields: str | None
) -> None:
    """Regression check: compare the trace ACTUAL with GOLDEN.

    Exit 0 when they match; 1 when they differ, printing the first divergence (field,
    epoch, group, both values, relative difference) and how many epochs differ; 2 when
    a file is missing or not an lrviz.trace/1 trace, or an option is bad.
    """
    from lrviz.comparison import compare
    from lrviz.trace import Trace

    try:
        result = compare(
            Trace.load(actual), Trace.load(golden), rtol=rtol, atol=atol, fields=fields
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    click.echo(result.report())
    ctx.exit(0 if result.ok else 1)


@main.command()
@click.argument("spec", required=False, metavar="[SPEC]")
@click.option(
    "-c",
    "--config",
    type=PATH,
    metavar="FILE",
    help="TOML file: [experiment] epochs and lr, and one [[schedule]].",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    help="Scheduler steps. Default: the file's, else one per metric, else 100.",
)
@click.option(
    "--lr", type=float, callback=_lr, help="Initial rate of one param group (default 0.1)."
)
@click.option("--lrs", metavar="X,Y,...", help="Initial rates, one param group each.")
@click.option(
    "--metrics",
    type=PATH,
    metavar="FILE",
    help="JSON list or one-column CSV; value k goes to step() at the end of epoch k "
    "(ReduceLROnPlateau).",
)
@click.option(
    "-o",
    "--out",
    type=PATH,
    metavar="FILE",
    help="Write the trace here (atomically) instead of to stdout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    help="Trace JSON, or a flat CSV table. Default: csv if FILE ends in .csv, else json.",
)
def simulate(
    spec: str | None,
    config: Path | None,
    epochs: int | None,
    lr: float | None,
    lrs: str | None,
    metrics: Path | None,
    out: Path | None,
    fmt: str | None,
) -> None:
    """The trace of a schedule alone, without training.

    SPEC is NAME[:key=value,...], as for 'lrviz run -s'; or give -c FILE. The real torch
    scheduler is stepped once per epoch on a dummy optimizer. Pitfall warnings go to stderr.
    """
    from lrviz import schedules, simulation
    from lrviz.trace import write_atomic

    if lr is not None and lrs is not None:
        raise click.UsageError("give --lr or --lrs, not both")
    if out is not None and out.is_dir():
        raise BadInput(f"output path {str(out)!r} is a folder; give a file (-o FILE)")
    file = _config(config)
    try:
        chosen = _one_schedule(spec, file)
        rates = schedules.as_rates(
            _floats(lrs)
            if lrs is not None
            else lr
            if lr is not None
            else file.settings.get("lr", 0.1)
            if file
            else 0.1
        )
        values = None if metrics is None else simulation.read_metrics(metrics)
        steps = epochs if epochs is not None else file.settings.get("epochs") if file else None
        trace = simulation.simulate(chosen, epochs=steps, lr=rates, metrics=values)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    csv = (fmt or ("csv" if out is not None and out.suffix.lower() == ".csv" else "json")) == "csv"
    text = simulation.to_csv(trace) if csv else trace.to_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            write_atomic(out, text)
        except OSError as exc:  # one line: no warnings about a trace that was not written
            raise click.ClickException(f"cannot write {out}: {exc}") from None
    _warn_pitfalls([trace])


def _one_schedule(spec: str | None, file: Any) -> ScheduleSpec:
    from lrviz.schedules import parse_spec

    if spec is not None:
        return parse_spec(spec)
    if file is None:
        raise click.UsageError("give a schedule SPEC or a config file (-c FILE)")
    if len(file.schedules) != 1:
        raise ValueError(
            f"{file.source}: simulate takes one schedule, the file has {len(file.schedules)} "
            "[[schedule]] tables; give a SPEC or a file with one"
        )
    chosen: ScheduleSpec = file.schedules[0]
    return chosen


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"--lrs must be numbers separated by commas, got {text!r}") from None


@main.command("explain")
@click.argument("trace_file", metavar="TRACE", type=PATH)
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="List every event, also each step of schedules that move every epoch.",
)
def explain_command(trace_file: Path, as_json: bool, show_all: bool) -> None:
    """Why the rate of a saved trace changed: its events, derived now from the schedule's rule.

    If the events stored in TRACE differ from the derived ones (an older lrviz, or an
    edited file), a warning on stderr says so; the derived events are shown.
    """
    import json

    from lrviz.explanation import explain
    from lrviz.trace import Trace

    try:
        stored = Trace.load(trace_file)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    trace = stored.with_events(explain(stored))
    if trace.to_json() != stored.to_json():
        click.echo(
            f"Warning: {trace_file} stores {len(stored.events)} events, lrviz derives "
            f"{len(trace.events)} now; showing the derived ones",
            err=True,
        )
    _warn_pitfalls([trace])
    if as_json:
        click.echo(json.dumps(json.loads(trace.to_json())["events"], indent=1))
        return
    for line in _explanation(trace, show_all):
        click.echo(line)


def _explanation(trace: Trace, show_all: bool) -> list[str]:
    from lrviz.explanation import is_continuous, milestones, notable

    groups = len(trace.initial_lr)
    seed = "" if trace.seed is None else f", seed {trace.seed}"
    lines = [
        f"{trace.label}: {trace.name} ({trace.meta.get('source', '?')}{seed}, "
        f"{len(trace.epochs)} epochs, {groups} param group{'s' if groups > 1 else ''})"
    ]
    continuous = is_continuous(trace)
    if continuous:
        for group in range(groups):
            marks = "; ".join(
                f"{fraction:.0%} at epoch {epoch}" if epoch else f"{fraction:.0%} not reached"
                for fraction, epoch in milestones(trace, group).items()
            )
            lines.append(f"milestones{f' (group {group})' if groups > 1 else ''}: {marks}")
    shown = list(trace.events) if show_all or not continuous else notable(trace)
    for e in shown:
        which = f" group {e.group}" if groups > 1 else ""
        lines.append(
            f"epoch {e.epoch:>4}{which}  {e.kind:<8}  {e.lr_before:.4g} -> "
            f"{e.lr_after:.4g}  {e.reason}"
        )
    if not trace.events:
        lines.append(f"the rate never changed in {len(trace.epochs)} epochs")
    elif len(shown) < len(trace.events):
        lines.append(
            f"... {len(trace.events) - len(shown)} more every-epoch changes (--all lists them)"
        )
    return lines


@main.command()
def schedulers() -> None:
    """Every supported schedule: aliases, parameters, torch's defaults and lrviz's presets.

    Parameters and defaults are read from the torch classes. A preset is lrviz's default
    where torch requires a value or the lesson sets one; 'epochs' and 'lr' are the run's
    --epochs and --lr.
    """
    import inspect

    from lrviz.schedules import KINDS, torch_defaults

    for kind in KINDS:
        traits = [
            "steps on the metric" if kind.needs_metric else "",
            "moves every epoch" if kind.continuous else "",
            "cycles momentum" if kind.cycles_momentum else "",
            "children in schedulers=[...]; not inside another composite" if kind.composite else "",
        ]
        aliases = f"  aliases: {', '.join(kind.aliases)}" if kind.aliases else ""
        notes = "; ".join(t for t in traits if t)
        click.echo(f"{kind.name}{aliases}" + (f"  [{notes}]" if notes else ""))
        for name, default in torch_defaults(kind).items():
            preset = kind.presets.get(name)
            torch_value = "required" if default is inspect.Parameter.empty else repr(default)
            if preset is not None:
                source = f"lrviz preset (torch: {torch_value})"
                value = preset.text
            else:
                source = "torch default" if default is not inspect.Parameter.empty else "required"
                value = "" if default is inspect.Parameter.empty else repr(default)
            click.echo(f"    {name:<16} {value:<24} {source}")
