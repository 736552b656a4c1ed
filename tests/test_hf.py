"""HuggingFace schedules (``hf:NAME``), built and explained with the real transformers
library: step by step the library's own rates, phases named with their numbers, a
recorded HF LambdaLR recognised by its function, and a missing library one clear line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import lrviz
from lrviz.cli import main
from lrviz.console import explanation_lines

transformers = pytest.importorskip("transformers", reason="the hf extra: pip install 'lrviz[hf]'")

STEPS = 60
"""Scheduler steps of each case: 6 epochs of 10 steps."""

CASES = {
    "linear": {"num_warmup_steps": 10, "num_training_steps": 50},
    "cosine": {"num_warmup_steps": 10, "num_training_steps": 60},
    "cosine_with_restarts": {"num_warmup_steps": 5, "num_training_steps": 60, "num_cycles": 3},
    "polynomial": {"num_warmup_steps": 10, "num_training_steps": 60, "power": 2.0},
    "constant": {},
    "constant_with_warmup": {"num_warmup_steps": 10},
    "inverse_sqrt": {"num_warmup_steps": 10},
    "cosine_with_min_lr": {"num_warmup_steps": 10, "num_training_steps": 60, "min_lr_rate": 0.2},
    "cosine_warmup_with_min_lr": {
        "num_warmup_steps": 10,
        "num_training_steps": 60,
        "min_lr_rate": 0.2,
    },
    "warmup_stable_decay": {
        "num_warmup_steps": 10,
        "num_training_steps": 60,
        "num_decay_steps": 20,
    },
}
COMMON = ("num_warmup_steps", "num_training_steps")


def spec(name: str) -> str:
    params = ",".join(f"{k}={v}" for k, v in CASES[name].items())
    return f"hf:{name}" + (f":{params}" if params else "")


def library_rates(name: str, lrs: list[float]) -> list[list[float]]:
    """The rates transformers' own get_scheduler gives, group by group, step by step."""
    weights = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    optimizer = torch.optim.AdamW(
        [{"params": [w], "lr": lr} for w, lr in zip(weights, lrs, strict=True)]
    )
    kwargs = CASES[name]
    scheduler = transformers.get_scheduler(
        name,
        optimizer,
        num_warmup_steps=kwargs.get("num_warmup_steps"),
        num_training_steps=kwargs.get("num_training_steps"),
        scheduler_specific_kwargs={k: v for k, v in kwargs.items() if k not in COMMON},
    )
    rates = [[g["lr"] for g in optimizer.param_groups]]
    for _ in range(STEPS):
        optimizer.step()
        scheduler.step()
        rates.append([g["lr"] for g in optimizer.param_groups])
    return [list(column) for column in zip(*rates, strict=True)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_hf_schedule_is_the_librarys_step_by_step(name: str) -> None:
    lrs = [1e-3, 5e-4]
    trace = lrviz.simulate(spec(name), epochs=6, steps_per_epoch=10, lr=lrs)
    assert trace.name == f"hf:{name}" and trace.per_step and trace.step_count == STEPS
    expected = library_rates(name, lrs)
    for g in range(2):
        got = trace.rates(g)
        for k, (a, b) in enumerate(zip(got, expected[g], strict=True)):
            assert a == b, f"LR is wrong at step {k} of group {g}: expected {b}, got {a}"
    # Every change is explained by the library's own factors: nothing external or unchecked.
    assert not [e for e in trace.events if e.kind == "external" or e.evidence.get("unchecked")]


def test_phases_read_with_their_numbers() -> None:
    trace = lrviz.simulate(
        "hf:cosine:num_warmup_steps=100,num_training_steps=1000", epochs=10, steps_per_epoch=100
    )
    assert [(e.at, e.evidence.get("phase"), e.evidence.get("last_step")) for e in trace.events] == [
        (1, "warm-up", 100),
        (101, "cosine decay", 1000),
    ]
    assert trace.events[0].reason == "warm-up, steps 1-100: 0 -> 0.1"
    every = "\n".join(explanation_lines(trace, show_all=True))
    assert "warm-up, step 37 of 100: 37% of the base rate 0.1" in every
    assert "cosine decay, step 450 of 900: 50% of the base rate 0.1" in every


def test_a_trainer_style_lambdalr_is_recognised_by_its_function() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = transformers.get_scheduler(
        "linear", optimizer, num_warmup_steps=3, num_training_steps=10
    )
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for _ in range(10):
        optimizer.step()
        scheduler.step()
    rec.log()
    trace = rec.trace
    assert trace.name == "hf:linear"
    assert trace.params == {"num_warmup_steps": 3, "num_training_steps": 10}
    assert [e.evidence.get("phase") for e in trace.events] == ["warm-up", "linear decay"]


def test_hf_in_an_experiment_file_and_lrviz_run(tmp_path: Path, runner: CliRunner) -> None:
    config = tmp_path / "hf.toml"
    config.write_text(
        '[experiment]\nepochs = 20\n\n[[schedule]]\nname = "hf:cosine"\nnum_warmup_steps = 4\n'
    )
    result = runner.invoke(main, ["run", "-c", str(config), "-q", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "out" / "traces").glob("*.json")
    trace = lrviz.Trace.load(path)
    assert trace.name == "hf:cosine" and trace.params["num_training_steps"] == 20


def test_a_missing_library_is_one_line_naming_the_extra(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # import fails, as uninstalled
    result = runner.invoke(main, ["simulate", "hf:cosine"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: HuggingFace schedules (hf:...) need the transformers library: "
        "pip install 'lrviz[hf]'\n"
    )


def test_timm_says_why_it_is_not_there(runner: CliRunner) -> None:
    result = runner.invoke(main, ["simulate", "timm:cosine"])
    assert result.exit_code == 2 and "timm schedules are not supported yet" in result.stderr


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            "linear:num_warmup_steps=-5,num_training_steps=10",
            "num_warmup_steps must be a whole number >= 0, got -5",
        ),
        ("linear:num_warmup_steps=2.5", "num_warmup_steps must be a whole number >= 0, got 2.5"),
        ("cosine:num_training_steps=0", "num_training_steps must be a whole number >= 1, got 0"),
        ("cosine:num_cycles=-0.5", "num_cycles must be a number > 0, got -0.5"),
        ("cosine_with_restarts:num_cycles=0", "num_cycles must be a whole number >= 1, got 0"),
        ("polynomial:power=0", "power must be a number > 0, got 0"),
        ("polynomial:lr_end=-1e-3", "lr_end must be a number >= 0, got -0.001"),
        ("inverse_sqrt:timescale=0", "timescale must be a whole number >= 1, got 0"),
        ("cosine_with_min_lr:min_lr_rate=1.5", "min_lr_rate must be a number from 0 to 1, got 1.5"),
        ("cosine_with_min_lr:min_lr=-1", "min_lr must be a number >= 0, got -1"),
        ("cosine_warmup_with_min_lr:warmup_lr_rate=2", "warmup_lr_rate must be a number from 0"),
        ("warmup_stable_decay:num_decay_steps=-1", "num_decay_steps must be a whole number >= 0"),
        ("warmup_stable_decay:num_stable_steps=-3", "num_stable_steps must be a whole number >= 0"),
        (
            "warmup_stable_decay:min_lr_ratio=-0.1",
            "min_lr_ratio must be a number from 0 to 1, got -0.1",
        ),
    ],
)
def test_arguments_out_of_range_are_one_line_naming_them(
    runner: CliRunner, params: str, message: str
) -> None:
    for command in (["simulate", f"hf:{params}"], ["run", "-q", "-s", f"hf:{params}", "-o", "r"]):
        result = runner.invoke(main, [*command, "--epochs", "3"])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"Error: hf:{params.split(':')[0]} rejected ")
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
