"""``lrviz explain`` and ``lrviz schedulers``."""

from __future__ import annotations

import inspect
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrviz.cli import main
from lrviz.resolve import torch_defaults
from lrviz.schedules import BUILDABLE
from lrviz.simulation import simulate
from lrviz.trace import Event, Trace


def saved(tmp_path: Path, trace: Trace, name: str = "trace.json") -> str:
    path = tmp_path / name
    trace.save(path)
    return str(path)


def test_explain_prints_events(runner: CliRunner, tmp_path: Path) -> None:
    trace = simulate("plateau:patience=1", lr=0.1, metrics=[1.0, 1.0, 1.0, 0.5])
    result = runner.invoke(main, ["explain", saved(tmp_path, trace)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "plateau:patience=1: ReduceLROnPlateau (simulate, 4 epochs, 1 param group)",
        "epoch    3  reduce    0.1 -> 0.01  the metric has not improved on its best 1 (epoch 1) by "
        "more than rel. threshold 0.0001 for 2 epochs > patience 1: rate x factor 0.1",
    ]
    assert result.stderr == ""


def test_explain_summarises_every_epoch_schedules(runner: CliRunner, tmp_path: Path) -> None:
    path = saved(tmp_path, simulate("warmrestarts:T_0=5", epochs=12, lr=[0.1, 0.2]))
    lines = runner.invoke(main, ["explain", path]).stdout.splitlines()
    assert lines[1] == "milestones (group 0): 50% at epoch 3; 10% at epoch 4; 1% not reached"
    assert lines[3].startswith("epoch    3 group 0  reduce    0.06545 -> 0.03455  cosine annealing")
    restarts = [line for line in lines if "warm restart" in line]
    assert len(restarts) == 4 and restarts[0].startswith("epoch    5 group 0  increase")
    assert lines[-1] == "... 16 more every-epoch changes (--all lists them)"
    everything = runner.invoke(main, ["explain", path, "--all"]).stdout.splitlines()
    assert len(everything) == 3 + 24


def test_explain_json_and_rederivation(runner: CliRunner, tmp_path: Path) -> None:
    trace = simulate("step:step_size=2", epochs=5)
    result = runner.invoke(main, ["explain", saved(tmp_path, trace), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(trace.to_json())["events"]
    stale = trace.with_events([Event(1, 0, "reduce", 0.1, 0.1, "made up")])
    result = runner.invoke(main, ["explain", saved(tmp_path, stale, "stale.json"), "--json"])
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {tmp_path / 'stale.json'} stores other events than lrviz derives now (it "
        "stores 1 events, lrviz derives 2); showing the derived ones\n"
    )
    assert [e["epoch"] for e in json.loads(result.stdout)] == [2, 4]
    # As many events, but not the same: which one differs is said.
    edited = trace.with_events([trace.events[0], replace(trace.events[1], reason="by hand")])
    result = runner.invoke(main, ["explain", saved(tmp_path, edited, "edited.json")])
    assert result.stderr == (
        f"Warning: {tmp_path / 'edited.json'} stores other events than lrviz derives now (at "
        "epoch 4, group 0: it stores reduce 0.01 -> 0.001 (by hand), lrviz derives reduce "
        "(epoch 4 is a multiple of step_size 2: rate x gamma 0.1)); showing the derived ones\n"
    )


def test_explain_warns_about_pitfalls_and_never_changed(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["explain", saved(tmp_path, simulate("step", epochs=4))])
    assert result.stdout.splitlines()[-1] == "the rate never changed in 4 epochs"
    assert result.stderr.startswith("Warning: step: StepLR never fires")


def test_explain_lists_the_changes_of_an_unknown_schedule(
    runner: CliRunner, tmp_path: Path
) -> None:
    trace = replace(simulate("exp", epochs=2), schedule={"name": "mine.Decay", "params": {}})
    result = runner.invoke(main, ["explain", saved(tmp_path, trace)])
    assert "reduce    0.1 -> 0.095  mine.Decay set it (lrviz has no rule for mine.Decay" in (
        result.stdout
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read trace"),
        ("{", "is not JSON"),
        ('{"schema": "other/2"}', "unsupported trace schema"),
    ],
    ids=["missing", "not-json", "foreign"],
)
def test_explain_bad_files_exit_2(
    runner: CliRunner, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "t.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(main, ["explain", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_schedulers_lists_every_kind_with_torch_defaults(runner: CliRunner) -> None:
    result = runner.invoke(main, ["schedulers"])
    assert result.exit_code == 0
    text = result.stdout
    sections: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith(" "):
            header = line
            sections[line.split()[0]] = [line]
        else:
            sections[header.split()[0]].append(line)
    assert list(sections) == [k.name for k in BUILDABLE]
    for kind in BUILDABLE:
        header, *rows = sections[kind.name]
        assert all(alias in header for alias in kind.aliases)
        assert [row.split()[0] for row in rows] == list(torch_defaults(kind))
        for row, (name, default) in zip(rows, torch_defaults(kind).items(), strict=True):
            if name in kind.presets:
                assert row.split()[1] == kind.presets[name].text.split()[0]
                assert "lrviz preset" in row
            elif default is not inspect.Parameter.empty:
                owner = "library" if kind.library else "torch"
                assert row.split()[1] == repr(default) and row.endswith(f"{owner} default")
            else:
                assert row.endswith("required")
    assert "    T_max              epochs                   lrviz preset (torch: required)" in text
    assert "    threshold_mode     'rel'                    torch default" in text
    assert (
        "    num_warmup_steps   0                        lrviz preset (library: required)" in text
    )
    assert "ReduceLROnPlateau  aliases: plateau  [steps on the metric]" in text


@pytest.mark.parametrize("command", ["simulate", "explain", "schedulers", "run"])
def test_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout
