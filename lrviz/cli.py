"""The ``lrviz`` command line (click only; the work happens in the library modules).

Exit codes follow click: 0 success, 1 runtime failure, 2 bad usage or bad input. Every
error is one line on stderr. Heavy modules (torch, matplotlib) are imported inside the
commands that need them, so ``lrviz --help`` stays instant.
"""

from __future__ import annotations

import errno  # loaded by click already
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from lrviz.__about__ import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from lrviz.experiment import ConfigFile
    from lrviz.report import Draw
    from lrviz.spec import ScheduleSpec
    from lrviz.trace import Trace


class BadInput(click.ClickException):
    """Bad input found after option parsing: one line on stderr, exit code 2."""

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """SIGINT (Ctrl-C), SIGTERM or SIGHUP while a command runs, raised in the main thread
    as Ctrl-C's KeyboardInterrupt is, so that every clean-up on the way out runs: the
    figure worker and joblib's workers are stopped, the report's staging folder removed.

    Attributes:
        signum: The signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Command(click.Command):
    """A command during which SIGTERM and SIGHUP act as Ctrl-C does: they raise
    :class:`Interrupted`, and the command ends with one line, ``Aborted (SIGTERM).``, and
    exit code 128 + the signal's number, as a shell reports a process the signal ended
    (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). Signals ignored when lrviz started
    (``nohup``, a background job) stay ignored. A second signal during the clean-up is
    ignored: the clean-up's waits are bounded, and interrupting it would leave the very
    processes and folders it removes."""

    def invoke(self, ctx: click.Context) -> Any:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return super().invoke(ctx)  # signals reach the main thread only
        previous: dict[int, Any] = {}

        def interrupt(signum: int, frame: object) -> None:
            for number in previous:
                signal.signal(number, signal.SIG_IGN)
            raise Interrupted(signum)

        for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
            number = getattr(signal, name, None)
            if number is None:
                continue
            if signal.getsignal(number) in (signal.SIG_DFL, signal.default_int_handler):
                previous[int(number)] = signal.getsignal(number)
                signal.signal(number, interrupt)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, Interrupted) else int(signal.SIGINT)
            message = f"Aborted ({signal.Signals(signum).name})."
            _say(("\n" if signum == signal.SIGINT and _is_terminal(sys.stderr) else "") + message)
            raise click.exceptions.Exit(128 + signum) from None
        finally:
            for caught, handler in previous.items():
                signal.signal(caught, handler)


class _Group(click.Group):
    """A group whose errors are one line each (click's usage block is left out), and
    whose commands stop cleanly on SIGTERM and SIGHUP as on Ctrl-C (:class:`_Command`).

    A failed write to standard output (``> /dev/full``) is one line on stderr and exit
    code 1. A closed pipe (``| head``) ends the command quietly with exit code 1, as
    click does.
    """

    command_class = _Command

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
            try:
                _fail(exc)
            except OSError:  # stderr is gone too: the exit code is all that is left
                sys.exit(exc.exit_code)
        except click.Abort as exc:  # Ctrl-C before a command started (click wrote a newline)
            _say("Aborted.")
            sys.exit(130 if isinstance(exc.__cause__, KeyboardInterrupt) else 1)
        except OSError as exc:
            if exc.errno not in _WRITE_ERRORS:
                raise
            _output_failed(exc)
        sys.exit(code if isinstance(code, int) else 0)


_WRITE_ERRORS = {errno.ENOSPC, errno.EIO, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
"""What writing to a full disk or /dev/full, or to a terminal that hung up, gives. The
files lrviz writes turn their errors into one-line messages where they are written, so
an error like these that reaches :class:`_Group` comes from standard output."""


def _say(line: str) -> None:
    """``line`` on stderr, if stderr can still be written to."""
    import contextlib  # loaded by click already

    with contextlib.suppress(OSError, ValueError):
        click.echo(line, err=True)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _output_failed(exc: OSError) -> NoReturn:
    """Standard output could not be written: one line on stderr (if it can be written)
    and exit code 1."""
    _say(f"Error: cannot write to standard output: {exc.strerror or exc}")
    sys.exit(1)


class PathType(click.Path):
    """``click.Path`` that gives ``pathlib.Path`` values, importing pathlib on first use
    rather than at start-up (``lrviz --help`` never needs it). With ``allow_dash``, ``-``
    means standard output and is given as ``None``; without, ``-`` is refused, since a
    file named "-" is never what was meant."""

    def convert(  # type: ignore[override]  # None: standard output
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | None:
        from pathlib import Path

        if value == "":
            self.fail("empty path", param, ctx)
        if value == "-":
            if self.allow_dash:
                return None
            self.fail("'-' (standard output) cannot be used here; give a path", param, ctx)
        return Path(os.fsdecode(super().convert(value, param, ctx)))


PATH = PathType()


def _fail(exc: click.ClickException) -> NoReturn:
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    click.echo(f"Error: {message}", err=True)
    sys.exit(exc.exit_code)


class SpecType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A schedule SPEC, ``NAME[:key=value,...]``: the same parsing and the same message for
    a bad one wherever a SPEC is given (``run -s``, ``simulate SPEC``)."""

    name = "SPEC"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> ScheduleSpec:
        from lrviz.spec import ScheduleSpec, parse_spec

        if isinstance(value, ScheduleSpec):
            return value
        try:
            return parse_spec(value)
        except (TypeError, ValueError) as exc:
            self.fail(str(exc), param, ctx)


SPEC = SpecType()


class RateType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A learning rate: a finite number >= 0."""

    name = "X"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        from lrviz import checks

        try:
            return checks.lr(float(value))
        except (TypeError, ValueError) as exc:
            self.fail(str(exc) if "lr" in str(exc) else f"{value!r} is not a number", param, ctx)


RATE = RateType()


class SeedsType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A seed list: ``0-49``, ``0,3,7``, ``0-9,20``."""

    name = "RANGE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[int, ...]:
        from lrviz.seeds import parse_seeds

        if isinstance(value, tuple):
            return value
        try:
            return parse_seeds(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


SEEDS = SeedsType()


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
    lrviz has nothing pending (its files are closed), so once :func:`main` is done, the
    process does what Python's exit does before that teardown and ends with ``os._exit``:
    threading's exit hooks run (the process pools of joblib and ``concurrent.futures``
    stop their workers there; skipping them left ``--jobs 2`` waiting forever on idle
    workers), non-daemon threads are joined, the ``atexit`` hooks run (multiprocessing's
    among them) and the streams are flushed. Tests call :func:`main` and keep the usual
    exit.

    First, before anything imports torch, its OpenMP threads are told to sleep rather
    than spin while they wait for each other, unless the environment says otherwise
    (why: :mod:`lrviz.threads`). The runtime reads this once, when torch loads it; child
    processes (``--jobs`` workers) inherit it. It changes how threads wait, not how
    work is split among them: the numbers stay the same.
    """
    import atexit
    import threading

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    code = 0
    try:
        main()
    except SystemExit as done:
        if not isinstance(done.code, int):  # a message to print: Python's exit does that
            raise
        code = done.code
    shutdown = getattr(threading, "_shutdown", None)  # what Python's exit calls first
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with the descriptor closed
                stream.flush()
        except (OSError, ValueError) as exc:  # nothing to keep; but output was lost
            if stream is sys.stdout and isinstance(exc, OSError) and code == 0:
                if exc.errno in _WRITE_ERRORS:  # a closed pipe (| head) goes unsaid
                    _say(f"Error: cannot write to standard output: {exc.strerror or exc}")
                code = 1
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
    type=SPEC,
    multiple=True,
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
    "--lr", type=RATE, default=0.1, show_default=True, help="Adam's initial learning rate."
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
    type=SEEDS,
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
    schedules: tuple[ScheduleSpec, ...],
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
    from lrviz.experiment import merge
    from lrviz.figure_worker import FigureWorker

    _check_out_dir(out, [config])
    given = _explicit(
        {"epochs": epochs, "lr": lr, "seeds": (seed,), "dataset": dataset, "schedules": schedules},
        {"seeds": "seed"},
    )
    if seed_list is not None:
        if "seeds" in given:
            raise click.UsageError("give --seed or --seeds, not both")
        given["seeds"] = seed_list
    # Forked before torch is imported: it imports matplotlib meanwhile, then draws.
    with Progress(enabled=not quiet) as progress, FigureWorker() as worker:
        try:
            experiment = merge(_config(config), **given)
            traces = _train(experiment, exact=exact, jobs=jobs, quiet=quiet, progress=progress)
        except (TypeError, ValueError) as exc:
            raise BadInput(str(exc)) from None
        worker.start(traces)
        index = _write_report(traces, out, progress, worker.figures)
    if not quiet:
        _warn_pitfalls(traces)
    _echo_lines(_console().rate_lines(traces, print_every) if print_every and not quiet else [])
    _echo_lines(_console().summary_lines(traces, index) if not quiet else [])
    if open_report:
        click.launch(str(index))


def _console() -> Any:
    from lrviz import console

    return console


def _echo_lines(lines: Sequence[str]) -> None:
    for line in lines:
        click.echo(line)


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


def _config(path: Path | None) -> ConfigFile | None:
    from lrviz.experiment import load

    try:
        return None if path is None else load(path)
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

    from lrviz import training

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", training.ExactFallback)
        traces = training.run(experiment, exact=exact, jobs=jobs, progress=progress)
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


def _check_out_dir(out: Path, inputs: Sequence[Path | None]) -> None:
    """Before any work: the report could not go there, or would replace one of the
    command's ``inputs`` (a report replaces its folder's figures/, traces/ and index)."""
    from lrviz.files import replaced_input
    from lrviz.report import check_output_folder, replaced_paths

    clash = replaced_input([path for path in inputs if path is not None], replaced_paths(out))
    if clash is not None:
        path, target = clash
        shown = out / target.name
        raise BadInput(
            f"-o {out} holds the input {path}; a report replaces "
            f"{shown}{'/' if target.name != 'index.html' else ''}: choose another -o"
        )
    try:
        check_output_folder(out)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _check_out_file(out: Path | None, inputs: Sequence[Path | None]) -> None:
    """Before any work: writing ``out`` would overwrite one of the command's ``inputs``."""
    from lrviz.files import replaced_input

    if out is None:
        return
    clash = replaced_input([path for path in inputs if path is not None], [out])
    if clash is not None:
        raise BadInput(f"-o {out} would overwrite the input {clash[0]}: choose another -o")


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
    a file is missing or not an lrviz trace, or an option is bad.
    """
    from lrviz.comparison import compare

    pair = _load_trace(actual), _load_trace(golden)
    try:
        result = compare(*pair, rtol=rtol, atol=atol, fields=fields)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    click.echo(result.report())
    ctx.exit(0 if result.ok else 1)


@main.command()
@click.argument("spec", type=SPEC, required=False)
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
    help="Epochs. Default: the file's, else one per metric, else 100.",
)
@click.option(
    "--steps-per-epoch",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="K",
    help="Optimizer steps per epoch; the scheduler steps after each (ReduceLROnPlateau: "
    "at each epoch's end). Presets count these steps. K > 1 gives a step-resolution trace.",
)
@click.option(
    "--optimizer",
    type=click.Choice(["adam", "sgd", "adamw"]),
    default="adam",
    show_default=True,
    help="The optimizer the schedule sets (sgd: momentum 0.9, for cycled momentum).",
)
@click.option("--lr", type=RATE, help="Initial rate of one param group (default 0.1).")
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
    type=PathType(allow_dash=True),
    metavar="FILE",
    help="Write the trace here (atomically) instead of to stdout ('-' is stdout).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    help="Trace JSON, or a flat CSV table. Default: csv if FILE ends in .csv, else json.",
)
def simulate(
    spec: ScheduleSpec | None,
    config: Path | None,
    epochs: int | None,
    steps_per_epoch: int,
    optimizer: str,
    lr: float | None,
    lrs: str | None,
    metrics: Path | None,
    out: Path | None,
    fmt: str | None,
) -> None:
    """The trace of a schedule alone, without training.

    SPEC is NAME[:key=value,...], as for 'lrviz run -s'; or give -c FILE. The real torch
    scheduler is stepped on an optimizer with nothing to update, once per epoch or once per
    optimizer step (--steps-per-epoch). Pitfall warnings go to stderr.
    """
    from lrviz import simulation
    from lrviz.export import to_csv
    from lrviz.files import write_atomic

    if lr is not None and lrs is not None:
        raise click.UsageError("give --lr or --lrs, not both")
    if out is not None and out.is_dir():
        raise BadInput(f"output path {str(out)!r} is a folder; give a file (-o FILE)")
    _check_out_file(out, [config, metrics])
    file = _config(config)
    settings = file.settings if file else {}
    try:
        chosen = _one_schedule(spec, file)
        rates = (
            _floats(lrs) if lrs is not None else lr if lr is not None else settings.get("lr", 0.1)
        )
        values = None if metrics is None else simulation.read_metrics(metrics)
        steps = epochs if epochs is not None else settings.get("epochs")
        trace = simulation.simulate(
            chosen,
            epochs=steps,
            lr=rates,
            metrics=values,
            steps_per_epoch=steps_per_epoch,
            optimizer=optimizer,
        )
    except (TypeError, ValueError) as exc:
        raise BadInput(str(exc)) from None
    csv = (fmt or ("csv" if out is not None and out.suffix.lower() == ".csv" else "json")) == "csv"
    if out is None:
        click.echo(to_csv(trace) if csv else trace.to_json(), nl=False)
    else:
        try:
            if csv:
                write_atomic(out, to_csv(trace))
            else:
                trace.save(out)  # gzip-compressed for a name ending in .gz
        except OSError as exc:  # one line: no warnings about a trace that was not written
            raise click.ClickException(f"cannot write {out}: {exc}") from None
    _warn_pitfalls([trace])


def _one_schedule(spec: ScheduleSpec | None, file: ConfigFile | None) -> ScheduleSpec:
    if spec is not None:
        return spec
    if file is None:
        raise click.UsageError("give a schedule SPEC or a config file (-c FILE)")
    if len(file.schedules) != 1:
        raise ValueError(
            f"{file.source}: simulate takes one schedule, the file has {len(file.schedules)} "
            "[[schedule]] tables; give a SPEC or a file with one"
        )
    return file.schedules[0]


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"--lrs must be numbers separated by commas, got {text!r}") from None


@main.command("export")
@click.argument("trace_file", metavar="TRACE", type=PATH)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    help="CSV (default; also for FILE ending in .csv) or a JSON list of rows.",
)
@click.option(
    "-o",
    "--out",
    type=PathType(allow_dash=True),
    metavar="FILE",
    help="Write the table here (atomically) instead of to stdout ('-' is stdout).",
)
def export_command(trace_file: Path, fmt: str | None, out: Path | None) -> None:
    """A trace as one flat table: a row per step (step-resolution traces) or per epoch,
    with step, epoch, lr (lr_0, lr_1, ... with several groups), momentum, and the losses
    and metrics the trace has."""
    from lrviz import export
    from lrviz.files import write_atomic

    _check_out_file(out, [trace_file])
    trace = _load_trace(trace_file)
    as_json = (
        fmt or ("json" if out is not None and out.suffix.lower() == ".json" else "csv")
    ) == "json"
    text = export.to_json(trace) if as_json else export.to_csv(trace)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomic(out, text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc}") from None


@main.command("explain")
@click.argument("trace_file", metavar="TRACE", type=PATH)
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="List every event, also each step of schedules that move every epoch, and "
    "ReduceLROnPlateau's near misses.",
)
@click.option(
    "--what-if",
    "what_if",
    metavar="K=V,...",
    help="Replay the schedule with other parameters (ReduceLROnPlateau: the recorded metric "
    "through torch's own class) and show when its rate would have changed.",
)
def explain_command(trace_file: Path, as_json: bool, show_all: bool, what_if: str | None) -> None:
    """Why the rate of a saved trace changed: its events, derived now from the schedule's rule.

    If the events stored in TRACE differ from the derived ones (an older lrviz, or an
    edited file), a warning on stderr says so; the derived events are shown.
    """
    import json

    from lrviz.explanation import explain

    stored = _load_trace(trace_file)
    trace = stored.with_events(explain(stored))
    difference = _console().events_difference(stored.events, trace.events)
    if difference and stored.meta.get("source") != "import":  # a log stores no events
        click.echo(
            f"Warning: {trace_file} stores other events than lrviz derives now ({difference}); "
            "showing the derived ones",
            err=True,
        )
    _warn_pitfalls([trace])
    from lrviz import near_misses, whatif

    replay = None
    if what_if is not None:
        try:
            replay = whatif.what_if(trace, whatif.parse_changes(what_if, trace))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--what-if'") from None
    if as_json:
        events = json.loads(trace.to_json())["events"]
        data: Any = events
        if show_all or replay is not None:  # without either, the plain list as before
            data = {"events": events}
            if show_all:
                data["near_misses"] = near_misses.to_json(near_misses.near_misses(trace))
            if replay is not None:
                data["what_if"] = whatif.to_json(replay)
        click.echo(json.dumps(data, indent=1))
        return
    lines = _console().explanation_lines(trace, show_all)
    lines += near_misses.console_lines(trace) if show_all else []
    lines += whatif.console_lines(replay) if replay is not None else []
    _echo_lines(lines)


@main.command("identify")
@click.argument("trace_files", metavar="TRACE...", type=PATH, nargs=-1, required=True)
def identify_command(trace_files: tuple[Path, ...]) -> None:
    """The torch or hf: SPEC that reproduces each trace's rates (group 0), with its largest
    relative error; or that no known schedule fits, and the phases seen.

    TRACE may be a trace file or any log lrviz reads (a folder of runs gives one line per
    run). `lrviz simulate SPEC` turns the SPEC back into the same rates.
    """
    from lrviz.identify import identify_trace

    for trace in _load_traces(list(trace_files)):
        click.echo(identify_trace(trace))


@main.command("import")
@click.argument("log", type=PATH)
@click.option(
    "-o",
    "--out",
    type=PATH,
    required=True,
    metavar="TRACE",
    help="The trace file (.json or .json.gz); a folder when the log holds several runs "
    "(one RUN.json each).",
)
@click.option("--step", metavar="COLUMN", help="A table's step column, when its name is unusual.")
@click.option(
    "--rates",
    metavar="COLUMNS",
    help="Comma-separated rate columns or tags, in param-group order, when their names do "
    "not say so.",
)
def import_command(log: Path, out: Path, step: str | None, rates: str | None) -> None:
    """Convert a log into a trace: a TensorBoard event file or folder of runs, a
    HuggingFace trainer_state.json (or its output or checkpoint folder), a Lightning
    metrics.csv, an MLflow run folder (or a folder of runs), or a CSV / JSON-lines table
    with a step column and rate columns.

    The rates are kept as logged, at their steps; what the log does not hold (the
    optimizer, the model, the schedule) is left out.
    """
    from lrviz.logs import read_log

    if out.resolve() == log.resolve() or out.resolve() in log.resolve().parents:
        raise BadInput(f"-o {str(out)!r} holds the log {str(log)!r}; write the trace elsewhere")
    try:
        traces = read_log(log, step, None if rates is None else rates.split(","))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if len(traces) == 1 and not out.is_dir():
        targets = [out]
    elif out.suffix in (".json", ".gz"):
        runs = ", ".join(str(t.meta["run"]) for t in traces)
        raise BadInput(f"{str(log)!r} holds {len(traces)} runs ({runs}); give -o a folder")
    else:
        out.mkdir(parents=True, exist_ok=True)
        targets = [out / f"{str(t.meta['run']).replace('/', '-')}.json" for t in traces]
    for trace, target in zip(traces, targets, strict=True):
        try:
            trace.save(target)
        except OSError as exc:
            raise click.ClickException(f"cannot write {target}: {exc}") from None
        click.echo(f"{trace.meta['run']}: {trace.step_count} rates -> {target}")


def _load_traces(paths: Sequence[Path]) -> list[Trace]:
    """The traces in ``paths``: trace files (JSON or gzip-compressed JSON) or logs (a
    TensorBoard folder, trainer_state.json, metrics.csv, ...: every run in them); a bad
    one is bad input."""
    from lrviz.logs import load_traces

    try:
        return [trace for path in paths for trace in load_traces(path)]
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _load_trace(path: Path) -> Trace:
    """The one trace in ``path`` (a trace file, or a log of one run); bad input else."""
    traces = _load_traces([path])
    if len(traces) > 1:
        runs = ", ".join(str(t.meta.get("run", t.label)) for t in traces)
        raise BadInput(f"{str(path)!r} holds {len(traces)} runs ({runs}); give one run's path")
    return traces[0]


@main.command("report")
@click.argument("trace_files", metavar="TRACE...", nargs=-1, required=True, type=PATH)
@click.option(
    "-o",
    "--out",
    type=PATH,
    default="reports",
    show_default=True,
    help="Output folder: index.html, figures/, traces/.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def report_command(trace_files: tuple[Path, ...], out: Path, quiet: bool) -> None:
    """The HTML report of saved traces (TRACE... : lrviz run's, simulate's, a Recorder's,
    Trace.from_rates's; .json or .json.gz).

    Traces of one schedule label under several seeds get the multi-seed view. The folder
    is written as 'lrviz run' writes it: all at once, and never into a folder whose
    index.html, figures/ or traces/ lrviz did not write.
    """
    from lrviz.figure_worker import FigureWorker

    _check_out_dir(out, trace_files)
    # Forked first: the worker imports matplotlib while the traces load, then draws
    # while this process writes the trace files.
    with Progress(enabled=not quiet) as progress, FigureWorker() as worker:
        traces = _load_traces(trace_files)
        worker.start(traces)
        index = _write_report(traces, out, progress, worker.figures)
    if not quiet:
        click.echo(f"Report: {index}")


class SizeType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A figure size in inches, ``W,H``."""

    name = "W,H"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, float]:
        from lrviz.figure_export import parse_size

        if isinstance(value, tuple):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@main.command()
@click.argument("trace_files", metavar="TRACE...", nargs=-1, required=True, type=PATH)
@click.option(
    "-o",
    "--out",
    type=PATH,
    required=True,
    metavar="FILE",
    help="The figure: FILE.svg, FILE.png or FILE.pdf (the suffix chooses the format).",
)
@click.option(
    "--metric",
    type=click.Choice(["lr", "loss", "both"]),
    default="lr",
    show_default=True,
    help="The learning rate, the recorded losses, or both (two panels).",
)
@click.option(
    "--size", type=SizeType(), default="7,3.5", show_default=True, help="Width,height in inches."
)
@click.option(
    "--dpi",
    type=click.IntRange(20, 1200),
    default=150,
    show_default=True,
    help="Resolution of a PNG (dots per inch).",
)
def plot(
    trace_files: tuple[Path, ...],
    out: Path,
    metric: str,
    size: tuple[float, float],
    dpi: int,
) -> None:
    """One figure of saved traces for documentation (TRACE... : .json or .json.gz).

    Every line has its own colour and marker shape, so the figure reads in greyscale;
    events are marked. The same traces and options give the same bytes on every run.
    """
    from lrviz.figure_export import output_format, plot

    if out.is_dir():
        raise BadInput(f"output path {str(out)!r} is a folder; give a file (-o FILE.svg)")
    try:
        output_format(out)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'-o' / '--out'") from None
    _check_out_file(out, trace_files)
    traces = _load_traces(trace_files)
    try:
        plot(traces, out, metric, size, dpi)  # type: ignore[arg-type]  # a click.Choice
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc}") from None
    if metric != "loss":
        _warn_not_drawn(out, traces)


def _warn_not_drawn(out: Path, traces: Sequence[Trace]) -> None:
    """One line on stderr for each thing the figure ``out`` of ``traces`` leaves out."""
    from lrviz.series import groups_note, not_drawn

    notes = [groups_note([t]).strip() for t in traces] + [not_drawn(traces)]
    for note in filter(None, notes):
        click.echo(f"Warning: {out}: {note[0].lower()}{note[1:]}", err=True)


@main.command()
def schedulers() -> None:
    """Every supported schedule: aliases, parameters, torch's defaults and lrviz's presets.

    Parameters and defaults are read from the torch classes. A preset is lrviz's default
    where torch requires a value or the lesson sets one; 'epochs' and 'lr' are the run's
    --epochs and --lr.
    """
    _echo_lines(_console().schedulers_lines())
