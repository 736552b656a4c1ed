"""``lrviz.simulate`` and ``lrviz simulate``: every schedule, compared with torch epoch by epoch."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from torch_oracle import drive

from lrviz.cli import main
from lrviz.export import to_csv
from lrviz.schedules import TORCH
from lrviz.simulation import read_metrics, simulate
from lrviz.trace import Trace

METRICS = [
    1.0,
    0.9,
    0.9,
    float("nan"),
    0.95,
    0.9,
    0.91,
    0.5,
    0.5,
    0.5,
    0.5,
    -0.2,
    -0.2,
    float("inf"),
    -0.1,
    -0.2,
    -0.2,
    -0.2,
    -0.2,
    -0.2,
    -0.2,
    -0.3,
    -0.3,
    -0.3,
    -0.3,
    -0.3,
    -0.3,
    -0.3,
    -0.3,
    -0.3,
]

CASES = [
    "step:step_size=7,gamma=0.5",
    "multistep:milestones=[5,5,12],gamma=0.3",
    "exp:gamma=0.9",
    "plateau:patience=2,cooldown=1,min_lr=[0.001,0.0]",
    "plateau:mode=max,threshold_mode=abs,threshold=0.01,patience=1,factor=0.5",
    "cosine:T_max=12,eta_min=0.001",
    "warmrestarts:T_0=4,T_mult=2,eta_min=0.001",
    "cyclic:step_size_up=4,step_size_down=3,mode=triangular2",
    "cyclic:mode=exp_range,gamma=0.97",
    "onecycle",
    "onecycle:three_phase=true,anneal_strategy=linear,pct_start=0.25",
    "linear:start_factor=0.2,total_iters=8",
    "linear:start_factor=1.0,end_factor=0.1,total_iters=20",
    "constant:factor=0.5,total_iters=6",
    "poly:power=2.0",
    'SequentialLR:schedulers=["linear:start_factor=0.1,total_iters=5","cosine","step:step_size=3"],'
    "milestones=[5,20]",
    'SequentialLR:schedulers=["constant:factor=0.3,total_iters=9","warmrestarts:T_0=5",'
    '"multistep:milestones=[2,4]"],milestones=[6,18]',
    'ChainedScheduler:schedulers=["linear:start_factor=0.5,total_iters=4","exp:gamma=0.95",'
    '"step:step_size=10,gamma=0.5"]',
    'ChainedScheduler:schedulers=["constant:factor=0.5,total_iters=3","warmrestarts:T_0=6",'
    '"exp:gamma=0.9"]',
]
EPOCHS = 30
LRS = (0.1, 0.02)


def test_cases_cover_every_schedule() -> None:
    names = {
        simulate(c, epochs=2, lr=LRS, metrics=[1.0, 1.0] if "plateau" in c else None).name
        for c in CASES
    }
    assert names == {k.name for k in TORCH if not k.functional}


@pytest.mark.parametrize(
    "spec", CASES, ids=[c.split(":")[0] + f"-{i}" for i, c in enumerate(CASES)]
)
def test_simulate_equals_torch_epoch_by_epoch(spec: str) -> None:
    metrics = METRICS[:EPOCHS] if spec.startswith("plateau") else None
    trace = simulate(spec, epochs=EPOCHS, lr=LRS, metrics=metrics)
    oracle = drive(trace.name, trace.params, LRS, EPOCHS, metrics)
    rates, betas = oracle.rates, oracle.betas
    for k, epoch in enumerate(trace.epochs):
        assert list(epoch.lr) == rates[k], (
            f"LR is wrong in epoch {k + 1}: expected {rates[k]}, got {epoch.lr}"
        )
        if trace.params.get("cycle_momentum"):
            assert epoch.momentum is not None and list(epoch.momentum) == betas[k], (
                f"momentum is wrong in epoch {k + 1}: expected {betas[k]}, got {epoch.momentum}"
            )
        else:
            assert epoch.momentum is None
    assert list(trace.final_lr) == rates[-1]
    assert list(trace.initial_lr) == rates[0]
    # Explanations agree with torch: an event exactly where the rate changed, never external.
    moved = {(e.epoch, e.group) for e in trace.events if e.kind in ("reduce", "increase")}
    assert moved == oracle.changed()
    assert not [e for e in trace.events if e.kind == "external"]
    for e in trace.events:
        if e.kind in ("reduce", "increase"):
            assert (e.kind == "reduce") == (rates[e.epoch][e.group] < rates[e.epoch - 1][e.group])


def test_simulated_trace_shape() -> None:
    trace = simulate("plateau:patience=1", epochs=4, lr=0.1, metrics=[1.0, 2.0, 2.0, -1.0])
    assert trace.meta["source"] == "simulate" and trace.experiment is None
    assert [e.metric for e in trace.epochs] == [1.0, 2.0, 2.0, -1.0]
    assert all(e.train_loss is None and e.val_loss is None for e in trace.epochs)
    assert trace.epochs[2].state == {"best": 1.0, "num_bad_epochs": 0, "cooldown_counter": 0}
    assert trace.schedule["label"] == "plateau:patience=1"
    assert Trace.from_dict(json.loads(trace.to_json())) == trace
    assert "momentum" not in trace.to_json()
    assert simulate("step", epochs=3).to_json() == simulate("step", epochs=3).to_json()


def test_epochs_default_to_metrics_then_100() -> None:
    assert len(simulate("plateau", metrics=[1.0] * 7).epochs) == 7
    assert len(simulate("exp").epochs) == 100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spec": "exp", "metrics": [1.0]}, "ExponentialLR takes no metric"),
        ({"spec": "plateau"}, "ReduceLROnPlateau steps on a metric"),
        ({"spec": "plateau", "epochs": 3, "metrics": [1.0]}, "3 epochs but 1 metrics"),
        ({"spec": "exp", "epochs": 0}, "epochs must be a whole number > 0, got 0"),
        ({"spec": "exp", "lr": -0.1}, "lr must be a finite number >= 0, got -0.1"),
        (
            {"spec": "onecycle:total_steps=5", "epochs": 8},
            "OneCycleLR total_steps=5 is shorter than the 8 steps simulated",
        ),
        (
            {"spec": "onecycle:total_steps=10", "epochs": 2, "steps_per_epoch": 6},
            # known before the first step (issue 18): said first, not torch's words at step 11
            r"OneCycleLR total_steps=10 is shorter than the 12 steps simulated "
            r"\(2 epochs x 6 steps\)",
        ),
        (
            {"spec": "step:step_size=3,gamma=-1", "epochs": 2, "steps_per_epoch": 4},
            r"StepLR sets the learning rate to -0.1 at the end of step 3; a rate must be",
        ),
        (
            {"spec": "step:step_size=1,gamma=-1", "epochs": 2},
            # set by epoch 1's step, not 2's, which never came
            r"StepLR sets the learning rate to -0.1 at the end of epoch 1; a rate must be",
        ),
    ],
    ids=[
        "metric-not-wanted",
        "metric-missing",
        "metric-count",
        "epochs",
        "lr",
        "onecycle-short",
        "onecycle-short-steps",
        "negative-rate-step",
        "negative-rate-epoch",
    ],
)
def test_simulate_rejects_bad_input(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(**kwargs)


def test_read_metrics_skips_a_byte_order_mark_and_a_header(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("\ufeffval_loss\n1\n2\n", encoding="utf-8")
    assert read_metrics(path) == [1.0, 2.0]
    path.write_text("\ufeff1\n2\n", encoding="utf-8")
    assert read_metrics(path) == [1.0, 2.0]


def test_read_metrics_json_and_csv(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('[1, 0.5, "NaN", NaN, -2, "-Infinity"]')
    values = read_metrics(tmp_path / "m.json")
    assert values[:2] == [1.0, 0.5] and math.isnan(values[2]) and math.isnan(values[3])
    assert values[4:] == [-2.0, -math.inf]
    (tmp_path / "m.csv").write_text("val_loss\n1.5\n\n0.25\nnan\n")
    values = read_metrics(tmp_path / "m.csv")
    assert values[:2] == [1.5, 0.25] and math.isnan(values[2])
    (tmp_path / "bare.csv").write_text("3\n2\n")
    assert read_metrics(tmp_path / "bare.csv") == [3.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, [2]]", "item 1: expected a number"),
        ('{"a": 1}', r"row 1: expected a number, got '\{\"a\": 1\}'"),
        ("[]", "non-empty JSON list"),
        ("[1, 2", "not valid JSON"),
        ("1,2\n3,4\n", "one column expected, row 1 has 2"),
        ("loss\n", "holds no values"),
        ("1\nx\n", "row 2: expected a number, got 'x'"),
        # Not taken for a header and silently dropped:
        ("0x10\n1\n", "row 1: expected a number, got '0x10'"),
        ("1\x002\n3\n", "row 1: expected a number"),
        (
            "9" * 400 + "\n",
            r"row 1: '9999.*\.\.\. is beyond a float's range",
        ),
        ("[" + "9" * 400 + ", 1]", "item 0: expected a number, got 9999"),
        ("[" * 100_000, "not valid JSON"),
        ("1" * 200_000, "not a readable CSV file: field larger than field limit"),
    ],
    ids=[
        "nested",
        "object",
        "empty-list",
        "broken-json",
        "two-columns",
        "header-only",
        "word",
        "hex",
        "nul",
        "overflow",
        "json-overflow",
        "json-deep",
        "huge-cell",
    ],
)
def test_read_metrics_rejects(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_metrics(path)
    with pytest.raises(ValueError, match="cannot read metrics"):
        read_metrics(tmp_path / "missing.json")


def test_csv_table() -> None:
    trace = simulate("cyclic:step_size_up=2", epochs=3, lr=[0.1, 0.2])
    lines = to_csv(trace).splitlines()
    assert lines[0] == "epoch,lr_0,lr_1,momentum_0,momentum_1"
    assert lines[1] == "1,0.01,0.02,0.9,0.9"
    assert len(lines) == 4
    plateau = to_csv(simulate("plateau", lr=0.1, metrics=[1.0, float("nan")]))
    assert plateau.splitlines() == ["epoch,lr,metric", "1,0.1,1.0", "2,0.1,NaN"]


# -- the command -----------------------------------------------------------------------


def test_cli_simulate_json_to_stdout(runner: CliRunner) -> None:
    result = runner.invoke(main, ["simulate", "step:step_size=2", "--epochs", "5", "--lr", "0.5"])
    assert result.exit_code == 0, result.output
    trace = Trace.from_dict(json.loads(result.stdout))
    assert trace.rates() == pytest.approx([0.5, 0.5, 0.05, 0.05, 0.005, 0.005], rel=1e-12)
    assert [e.epoch for e in trace.events] == [2, 4]
    assert result.stderr == ""


def test_cli_simulate_csv_groups_and_metrics(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps([1, 1, 1, 1, 1]))
    out = tmp_path / "sub" / "plateau.csv"
    result = runner.invoke(
        main,
        [
            "simulate",
            "plateau:patience=1",
            "--lrs",
            "0.1,0.01",
            "--metrics",
            str(tmp_path / "m.json"),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[:4] == [
        "epoch,lr_0,lr_1,metric",
        "1,0.1,0.01,1.0",
        "2,0.1,0.01,1.0",
        "3,0.1,0.01,1.0",
    ]
    assert result.stdout == ""
    json_out = tmp_path / "p.json"
    result = runner.invoke(
        main, ["simulate", "exp", "--epochs", "3", "-o", str(json_out), "--format", "json"]
    )
    assert result.exit_code == 0 and Trace.load(json_out).name == "ExponentialLR"


def test_cli_simulate_from_config(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "one.toml"
    config.write_text('[experiment]\nepochs = 12\nlr = 0.3\n\n[[schedule]]\nname = "cosine"\n')
    result = runner.invoke(main, ["simulate", "-c", str(config)])
    assert result.exit_code == 0, result.output
    trace = Trace.from_dict(json.loads(result.stdout))
    assert (len(trace.epochs), trace.initial_lr, trace.params["T_max"]) == (12, (0.3,), 12)
    # Options win over the file.
    result = runner.invoke(main, ["simulate", "-c", str(config), "--epochs", "4", "exp"])
    trace = Trace.from_dict(json.loads(result.stdout))
    assert (trace.name, len(trace.epochs), trace.initial_lr) == ("ExponentialLR", 4, (0.3,))


def test_cli_simulate_warns_about_pitfalls_on_stderr(runner: CliRunner) -> None:
    result = runner.invoke(main, ["simulate", "step", "--epochs", "20"])
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: step: StepLR never fires: step_size=30")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate"], "give a schedule SPEC or a config file"),
        (["simulate", "nosuch"], "unknown schedule 'nosuch'"),
        (["simulate", "step:gama=1"], "unknown parameter 'gama' for StepLR"),
        (["simulate", "exp", "--lr", "0.1", "--lrs", "0.1,0.2"], "give --lr or --lrs, not both"),
        (["simulate", "exp", "--lrs", "0.1,x"], "--lrs must be numbers separated by commas"),
        (["simulate", "exp", "--lr", "nan"], "lr must be a finite number"),
        (["simulate", "exp", "--epochs", "0"], "0 is not in the range x>=1"),
        (["simulate", "plateau"], "ReduceLROnPlateau steps on a metric"),
        (["simulate", "plateau", "--metrics", "nope.json"], "cannot read metrics 'nope.json'"),
        (["simulate", "exp", "-o", "."], "is a folder; give a file"),
        (["simulate", "exp", "--format", "xml"], "'xml' is not one of 'json', 'csv'"),
        (["simulate", "-c", "nope.toml"], "cannot read config 'nope.toml'"),
    ],
    ids=[
        "nothing",
        "unknown",
        "bad-param",
        "lr-and-lrs",
        "bad-lrs",
        "nan-lr",
        "epochs-0",
        "no-metrics",
        "metrics-missing",
        "out-is-dir",
        "format",
        "config-missing",
    ],
)
def test_cli_simulate_bad_input_is_one_line_exit_2(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_cli_simulate_config_with_several_schedules(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "two.toml"
    config.write_text('[[schedule]]\nname = "exp"\n\n[[schedule]]\nname = "step"\n')
    result = runner.invoke(main, ["simulate", "-c", str(config)])
    assert result.exit_code == 2
    assert "simulate takes one schedule, the file has 2" in result.stderr


@pytest.mark.parametrize(
    "spec", CASES, ids=[c.split(":")[0] + f"-{i}" for i, c in enumerate(CASES)]
)
def test_params_of_a_live_scheduler_are_the_resolved_params(spec: str) -> None:
    import torch
    from torch_oracle import make_scheduler

    from lrviz.torchbridge import params_of

    metrics = METRICS[:EPOCHS] if spec.startswith("plateau") else None
    trace = simulate(spec, epochs=EPOCHS, lr=LRS, metrics=metrics)
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in LRS]
    scheduler = make_scheduler(torch.optim.Adam(groups), trace.name, trace.params)
    assert params_of(scheduler) == trace.params


@pytest.mark.parametrize("spec", ["exp", "step"], ids=["plain", "with-a-pitfall-warning"])
def test_cli_simulate_unwritable_output_exits_1(
    spec: str, runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "trace.json"
    result = runner.invoke(main, ["simulate", spec, "--epochs", "3", "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {out}: ")
    assert len(result.stderr.splitlines()) == 1


def test_cli_simulate_writes_gzip_for_a_name_ending_in_gz(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "s.json.gz"
    result = runner.invoke(main, ["simulate", "exp", "--epochs", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert Trace.load(out).rates(0) == simulate("exp", epochs=5).rates(0)
