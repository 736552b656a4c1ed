"""Pitfall warnings: one test per pitfall, the quiet cases, and where the warnings show."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrviz.pitfalls import find, messages
from lrviz.simulation import simulate
from lrviz.text import MAX_DETAILS
from lrviz.trace import Trace


def texts(trace: Trace) -> list[str]:
    return [p.message for p in find(trace)]


@pytest.mark.parametrize(
    "spec",
    [
        "step",
        "multistep",
        "exp",
        "cosine",
        "warmrestarts",
        "cyclic",
        "onecycle",
        "linear",
        "constant",
        "poly",
        'SequentialLR:schedulers=["linear:total_iters=5","cosine"],milestones=[5]',
        'ChainedScheduler:schedulers=["linear:total_iters=5","exp"]',
    ],
    ids=lambda s: s.split(":")[0],
)
def test_lrviz_presets_have_no_pitfalls(spec: str) -> None:
    assert find(simulate(spec, epochs=100, lr=0.1)) == []


def test_plateau_defaults_over_the_lesson_have_no_static_pitfalls() -> None:
    trace = simulate("plateau", epochs=100, metrics=[1.0 - k / 100 for k in range(100)])
    assert find(trace) == []


def test_step_lr_that_never_fires() -> None:
    assert texts(simulate("step:step_size=30", epochs=30)) == [
        "StepLR never fires: step_size=30 but it runs 30 epochs, so no epoch trains at a "
        "reduced rate"
    ]
    assert texts(simulate("step:step_size=29", epochs=30)) == []


def test_multistep_lr_that_never_fires_or_only_partly() -> None:
    assert texts(simulate("multistep:milestones=[40,60]", epochs=30)) == [
        "MultiStepLR never fires: every milestone of [40, 60] is at or after epoch 30, the last "
        "it runs"
    ]
    assert texts(simulate("multistep:milestones=[10,60]", epochs=30)) == [
        "MultiStepLR milestones [60] are at or after epoch 30, the last it runs, so they never "
        "take effect"
    ]


def test_plateau_patience_and_cooldown_leave_no_room() -> None:
    flat = [1.0] * 12
    assert texts(simulate("plateau:patience=10", metrics=flat)) == [
        "ReduceLROnPlateau cannot reduce the rate in time: with patience=10 the earliest "
        "reduction comes at the end of epoch 12, and the run has 12 epochs"
    ]
    assert texts(simulate("plateau:patience=9", metrics=flat)) == []
    once = texts(simulate("plateau:patience=3,cooldown=5", metrics=[1.0] * 14))
    assert once == [
        "ReduceLROnPlateau can reduce the rate at most once: after a reduction, cooldown=5 + "
        "patience=3 mean the next comes 9 epochs later at the earliest (epoch 14), after the 14 "
        "epochs run"
    ]
    assert texts(simulate("plateau:patience=3,cooldown=5", metrics=[1.0] * 15)) == []


def test_rel_threshold_on_a_negative_metric() -> None:
    trace = simulate("plateau:patience=1", metrics=[0.5, 0.1, -0.2, -0.3])
    [pitfall] = find(trace)
    assert pitfall.message.startswith("threshold_mode='rel' on a metric that goes negative")
    assert "pytorch issue #47513" in pitfall.message
    assert pitfall.detail == "first at epoch 3: -0.2"
    negative = [0.5, 0.1, -0.2, -0.3]
    assert find(simulate("plateau:patience=1,threshold_mode=abs", metrics=negative)) == []
    assert find(simulate("plateau:patience=1,threshold=0", metrics=negative)) == []


@pytest.mark.parametrize(
    ("spec", "epochs", "message"),
    [
        (
            "cosine:T_max=50",
            100,
            "CosineAnnealingLR T_max=50 is shorter than the 100 epochs it runs: "
            "after epoch 50 the cosine goes on and the rate climbs back up",
        ),
        (
            "cosine:T_max=200",
            100,
            "CosineAnnealingLR T_max=200 is longer than the 100 epochs it runs: "
            "the rate stops 50% of the way from eta_min",
        ),
        (
            "poly:total_iters=80",
            100,
            "PolynomialLR total_iters=80 is shorter than the 100 epochs it "
            "runs: the rate reaches 0 at epoch 80 and stays there for the last 20 epochs",
        ),
        (
            "poly:total_iters=200",
            100,
            "PolynomialLR total_iters=200 is longer than the 100 epochs it "
            "runs: the rate ends at 50% of the base rate instead of 0",
        ),
        (
            "linear:total_iters=20",
            10,
            "LinearLR total_iters=20 is longer than the 10 epochs it runs: "
            "the factor stops at 0.6667 instead of end_factor 1",
        ),
        (
            "onecycle:total_steps=120",
            100,
            "OneCycleLR total_steps=120 is longer than the 100 epochs it "
            "runs, covering 100 of its 120 steps (83%): the cycle is cut short",
        ),
        (
            "cyclic:step_size_up=2000",
            100,
            "CyclicLR one cycle takes 4000 steps (step_size_up + "
            "step_size_down) but it runs 100 epochs, so no cycle completes",
        ),
        (
            'SequentialLR:schedulers=["linear:total_iters=10","cosine"],milestones=[5]',
            100,
            "SequentialLR schedule 1 of 2, LinearLR total_iters=10 is longer than the 5 epochs",
        ),
        (
            'SequentialLR:schedulers=["linear:total_iters=5","cosine:T_max=100"],milestones=[5]',
            100,
            "SequentialLR schedule 2 of 2, CosineAnnealingLR T_max=100 is longer than the 95",
        ),
        (
            'ChainedScheduler:schedulers=["step:step_size=50","exp"]',
            40,
            "ChainedScheduler schedule 1 of 2, StepLR never fires: step_size=50 but it runs 40",
        ),
    ],
    ids=[
        "cosine-short",
        "cosine-long",
        "poly-short",
        "poly-long",
        "linear-long",
        "onecycle-long",
        "cyclic-long",
        "sequential-warmup",
        "sequential-cosine",
        "chained-step",
    ],
)
def test_horizons_that_do_not_match_the_epochs(spec: str, epochs: int, message: str) -> None:
    found = texts(simulate(spec, epochs=epochs))
    assert len(found) == 1 and found[0].startswith(message), found


def test_floors_at_or_above_the_initial_rate() -> None:
    trace = simulate("plateau:min_lr=[0.0,0.01]", lr=[0.1, 0.01], metrics=[1.0] * 30)
    assert texts(trace) == [
        "ReduceLROnPlateau min_lr 0.01 is at or above the initial rate 0.01 of group 1: it can "
        "never reduce that rate"
    ]
    assert texts(simulate("cosine:eta_min=0.2", epochs=10, lr=0.1)) == [
        "CosineAnnealingLR eta_min 0.2 is at or above the initial rate 0.1 of group 0: annealing "
        "cannot lower that rate"
    ]


def test_rate_driven_to_eps() -> None:
    # 0.1 reduced seven times by 0.1 is 1.0000000000000005e-08: eps, up to round-off.
    trace = simulate("plateau:patience=0", metrics=[1.0] * 9)
    [pitfall] = find(trace)
    assert pitfall.message.startswith("the rate of group 0 fell to or below eps=1e-08")
    assert pitfall.detail == "epoch 8, rate 1e-08"
    assert find(simulate("plateau:patience=0", metrics=[1.0] * 7)) == []
    assert (
        find(simulate("plateau", lr=0.0, metrics=[1.0] * 20))[1].detail == "from the start, rate 0"
    )


def test_missing_parameters_skip_the_check() -> None:
    trace = simulate("step:step_size=30", epochs=10)
    assert find(replace(trace, schedule={"name": "StepLR", "params": {}})) == []


def test_messages_join_seeds_and_name_the_schedule() -> None:
    trace = simulate("plateau:patience=0", metrics=[1.0] * 9)
    runs = [replace(trace, experiment={"seed": seed}) for seed in range(MAX_DETAILS + 2)]
    [line] = messages(runs)
    assert line.startswith("plateau:patience=0: the rate of group 0 fell to or below eps")
    assert line.endswith(
        "(seed 0: epoch 8, rate 1e-08; seed 1: epoch 8, rate 1e-08; "
        "seed 2: epoch 8, rate 1e-08; seed 3: epoch 8, rate 1e-08; "
        "seed 4: epoch 8, rate 1e-08; and 2 more)"
    )
    static = simulate("step", epochs=10)
    assert messages([static, static]) == [
        "step: StepLR never fires: step_size=30 but it runs 10 epochs, so no epoch trains at a "
        "reduced rate"
    ]


def test_report_warns_about_pitfalls() -> None:
    from lrviz.report import report_warnings

    warnings = report_warnings([simulate("step", epochs=10)])
    assert any("StepLR never fires" in w for w in warnings)


def test_run_prints_pitfalls_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    from lrviz.cli import main

    result = runner.invoke(main, ["run", "-s", "step", "--epochs", "3", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: step: StepLR never fires: step_size=30 but it runs 3 epochs, so no epoch "
        "trains at a reduced rate\n"
    )
    assert "StepLR never fires" in (tmp_path / "index.html").read_text()
    quiet = runner.invoke(main, ["run", "-s", "step", "--epochs", "3", "-o", str(tmp_path), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_a_warning_true_of_several_groups_is_one_line_naming_them() -> None:
    """A warm-up from 0 in both param groups: one warning for groups 0 and 1."""
    import functools

    import torch

    import lrviz
    from lrviz.optim import Adam

    def warm(step: int, steps: int) -> float:
        return min(1.0, step / steps)

    optimizer = Adam([], [0.1, 0.01])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, functools.partial(warm, steps=4))
    rec = lrviz.Recorder(optimizer, scheduler, every="step")
    for _ in range(8):
        optimizer.step()
        scheduler.step()
    rec.log()
    assert [p.message for p in find(rec.trace)] == [
        "the first optimizer update of groups 0 and 1 ran at rate 0, so it changed nothing: a "
        "warm-up that starts at 0 wastes its first step; start it above 0"
    ]


def test_messages_do_not_double_a_label_that_is_the_class_name() -> None:
    trace = simulate("SequentialLR:schedulers=['linear','cosine'],milestones=[10]", epochs=10)
    bare = replace(trace, schedule={**trace.schedule, "label": "SequentialLR"})
    (line,) = messages([bare])
    assert line.startswith("SequentialLR milestone 10 is at or after epoch 10")
    warm = replace(trace, schedule={**trace.schedule, "label": "warm"})
    assert messages([warm])[0].startswith("warm: SequentialLR milestone 10")
