"""The ``lrviz`` command line (click only; the work happens in the library modules).

Exit codes follow click: 0 success, 1 runtime failure, 2 bad usage or bad input. Every
error is one line on stderr. Heavy modules (torch, matplotlib) are imported inside the
commands that need them, so ``lrviz --help`` stays instant.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from lrviz.__about__ import __version__

if TYPE_CHECKING:
    from lrviz.schedules import ScheduleSpec
    from lrviz.trace import Trace


class BadInput(click.ClickException):
    """Bad input found after option parsing: one line on stderr, exit code 2."""

    exit_code = 2


class _Group(click.Group):
    """A group whose errors are one line each (click's usage block is left out)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            _fail(exc)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _fail(exc: click.ClickException) -> NoReturn:
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    click.echo(f"Error: {message}", err=True)
    sys.exit(exc.exit_code)


def _schedule(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> list[ScheduleSpec]:
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lrviz")
def main() -> None:
    """lrviz: see, measure and explain what a learning-rate schedule does to training."""


@main.command()
@click.option(
    "-s", "--schedule", "schedules", multiple=True, metavar="SPEC", callback=_schedule,
    help="NAME[:key=value,...], e.g. step:step_size=10,gamma=0.5 (repeat for several). "
    "Default: step, exp and plateau, the lesson's three.",
)
@click.option("--epochs", type=click.IntRange(min=1), default=100, show_default=True,
              help="Epochs per run (one scheduler step each).")
@click.option("--lr", type=float, default=0.1, show_default=True, callback=_lr,
              help="Adam's initial learning rate.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="torch.manual_seed before each schedule's model is built.")
@click.option("--dataset", type=click.Choice(["wine"]), default="wine", show_default=True)
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("reports"),
              show_default=True, help="Output folder: index.html, figures/, traces/.")
@click.option("--print-every", type=click.IntRange(min=1), metavar="N",
              help="Print 'Epoch [k/N], LR: x' every N epochs, per schedule, as the lesson does.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--open", "open_report", is_flag=True, help="Open the report in a browser.")
def run(
    schedules: list[ScheduleSpec],
    epochs: int,
    lr: float,
    seed: int,
    dataset: str,
    out: Path,
    print_every: int | None,
    quiet: bool,
    open_report: bool,
) -> None:
    """Train the lesson's Wine model under each schedule and write the HTML report."""
    from lrviz.config import Experiment

    _check_out_dir(out)
    kwargs: dict[str, Any] = {"epochs": epochs, "lr": lr, "seeds": (seed,), "dataset": dataset}
    if schedules:
        kwargs["schedules"] = tuple(schedules)
    try:
        experiment = Experiment(**kwargs)
        traces = _train(experiment)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if print_every and not quiet:
        _print_rates(traces, print_every)
    index = _write_report(traces, out)
    if not quiet:
        _summarise(traces, index)
    if open_report:
        click.launch(str(index))


def _train(experiment: Any) -> list[Trace]:
    from lrviz.experiment import run as run_experiment

    return run_experiment(experiment)


def _write_report(traces: list[Trace], out: Path) -> Path:
    from lrviz.report import write_report

    try:
        return write_report(traces, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write the report to {out}: {exc}") from None


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BadInput(f"output path {str(out)!r} is a file; give a folder (-o DIR)")


def _print_rates(traces: list[Trace], every: int) -> None:
    """The lesson's lines, 'Epoch [10/100], LR: 0.100000', schedule by schedule."""
    for trace in traces:
        click.echo(f"{trace.label}: {trace.name}, seed {trace.seed}")
        after = trace.rates()[1:]
        n = len(trace.epochs)
        for epoch in range(every, n + 1, every):
            click.echo(f"Epoch [{epoch}/{n}], LR: {after[epoch - 1]:.6f}")


def _summarise(traces: list[Trace], index: Path) -> None:
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
