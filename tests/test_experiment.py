"""Experiment files (TOML): settings, schedules, composites, unknown keys, options winning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lrviz import cli
from lrviz.experiment import Experiment, load, merge, parse
from lrviz.resolve import resolve
from lrviz.simulation import check

FULL = """
[experiment]
dataset = "wine"
epochs = 40
lr = 0.05
seeds = [0, 1, 2]

[[schedule]]
name = "StepLR"
step_size = 10
gamma = 0.5

[[schedule]]
name = "SequentialLR"
label = "warmup-exp"
milestones = [5]
schedulers = [ {name = "LinearLR", start_factor = 0.1, total_iters = 5}, "exp:gamma=0.9" ]

[[schedule]]
name = "ChainedScheduler"
[[schedule.schedulers]]
name = "constant"
factor = 0.5
[[schedule.schedulers]]
name = "exp"
gamma = 0.95
"""


def test_full_file() -> None:
    config = parse(FULL, "lrviz.toml")
    assert dict(config.settings) == {
        "dataset": "wine",
        "epochs": 40,
        "lr": 0.05,
        "seeds": (0, 1, 2),
    }
    step, sequential, chained = config.schedules
    assert (step.kind.name, dict(step.params), step.label) == (
        "StepLR",
        {"step_size": 10, "gamma": 0.5},
        "StepLR:step_size=10,gamma=0.5",
    )
    assert sequential.label == "warmup-exp"
    params = resolve(sequential, 40, 0.05)
    assert params == {
        "schedulers": [
            {
                "name": "LinearLR",
                "params": {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 5},
            },
            {"name": "ExponentialLR", "params": {"gamma": 0.9}},
        ],
        "milestones": [5],
    }
    # Inline tables and [[schedule.schedulers]] tables give the same nesting.
    assert [c["name"] for c in resolve(chained, 40, 0.05)["schedulers"]] == [
        "ConstantLR",
        "ExponentialLR",
    ]
    assert chained.label == "ChainedScheduler(ConstantLR,ExponentialLR)"


def test_file_fills_the_experiment_and_options_win() -> None:
    config = parse(FULL)
    experiment = merge(config)
    assert (experiment.epochs, experiment.lr, experiment.seeds) == (40, 0.05, (0, 1, 2))
    assert len(experiment.schedules) == 3
    mixed = merge(config, epochs=10, seeds=(7,), lr=None)
    assert (mixed.epochs, mixed.lr, mixed.seeds) == (10, 0.05, (7,))
    assert merge(None) == Experiment()
    empty = merge(parse("[experiment]\nepochs = 5\n"))
    assert empty.schedules == Experiment().schedules and empty.epochs == 5
    with pytest.raises(TypeError, match="unknown experiment option 'seed'"):
        merge(config, seed=1)


def test_a_single_schedule_table_is_accepted() -> None:
    [spec] = parse('[schedule]\nname = "exp"\ngamma = 0.9\n').schedules
    assert (spec.kind.name, dict(spec.params)) == ("ExponentialLR", {"gamma": 0.9})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epochs = 3\n", "f.toml: unknown top-level key 'epochs'; allowed: experiment, schedule"),
        (
            "[experiment]\nepoch = 3\n",
            "unknown key in [experiment] 'epoch'; allowed: dataset, epochs, lr, seeds",
        ),
        ("[experiment]\nepochs = 0\n", "epochs must be a whole number > 0, got 0"),
        ("[experiment]\nepochs = 2.5\n", "epochs must be a whole number > 0, got 2.5"),
        ("[experiment]\nepochs = true\n", "epochs must be a whole number > 0, got true"),
        ("[experiment]\nlr = -1\n", "lr must be a finite number >= 0, got -1.0"),
        ("[experiment]\nlr = nan\n", "lr must be a finite number >= 0, got nan"),
        ('[experiment]\nlr = "0.1"\n', "lr must be a number, got '0.1'"),
        ("[experiment]\nseeds = []\n", "seeds must be a non-empty list of whole numbers"),
        ("[experiment]\nseeds = [1, 1.5]\n", "every seed must be a whole number, got 1.5"),
        ("[experiment]\nseeds = 3\n", "seeds must be a non-empty list"),
        ('[experiment]\ndataset = "mnist"\n', "dataset must be one of wine, got 'mnist'"),
        ("experiment = 3\n", "experiment must be a table"),
        ("schedule = 3\n", "schedule must be [[schedule]] tables"),
        ("[[schedule]]\nstep_size = 3\n", "schedule 1 has no 'name'"),
        ('[[schedule]]\nname = "nosuch"\n', "unknown schedule 'nosuch'"),
        (
            '[[schedule]]\nname = "ChainedScheduler"\nschedulers = [{name = "plateau"}]\n',
            "ChainedScheduler cannot hold ReduceLROnPlateau",
        ),
        ("[experiment\n", "f.toml: not valid TOML"),
        ("[experiment]\nseeds = " + "[" * 5000 + "]" * 5000, "f.toml: not valid TOML: nested too"),
    ],
    ids=[
        "top-level",
        "experiment-key",
        "epochs-0",
        "epochs-float",
        "epochs-bool",
        "lr-negative",
        "lr-nan",
        "lr-string",
        "seeds-empty",
        "seed-float",
        "seeds-int",
        "dataset",
        "experiment-value",
        "schedule-value",
        "no-name",
        "unknown-name",
        "plateau-child",
        "bad-toml",
        "deeply-nested",
    ],
)
def test_bad_files_name_the_culprit(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(text, "f.toml")


def test_unknown_schedule_parameter_is_an_error_too() -> None:
    [spec] = parse('[[schedule]]\nname = "step"\nstep_size = 3\ngama = 0.5\n').schedules
    with pytest.raises(ValueError, match="unknown parameter 'gama' for StepLR"):
        resolve(spec, 10, 0.1)


def test_load_skips_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "lrviz.toml"
    path.write_text("\ufeff[experiment]\nepochs = 7\n", encoding="utf-8")
    assert load(path).settings["epochs"] == 7


def test_load_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "lrviz.toml"
    path.write_text(FULL, encoding="utf-8")
    assert load(path).settings["epochs"] == 40
    with pytest.raises(ValueError, match="cannot read config"):
        load(tmp_path / "missing.toml")


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Experiment]:
    """``lrviz run`` with training and report replaced: the experiment it would train."""
    seen: list[Experiment] = []

    def train(experiment: Experiment, **options: Any) -> list[Any]:
        seen.append(experiment)
        return []

    monkeypatch.setattr(cli, "_train", train)
    monkeypatch.setattr(cli, "_write_report", lambda traces, out, *rest: out / "index.html")
    return seen


def test_run_takes_the_file_and_options_win(
    runner: CliRunner, tmp_path: Path, captured: list[Experiment]
) -> None:
    path = tmp_path / "lrviz.toml"
    path.write_text(FULL, encoding="utf-8")
    result = runner.invoke(cli.main, ["run", "-c", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (captured[0].epochs, captured[0].lr, captured[0].seeds) == (40, 0.05, (0, 1, 2))
    assert [s.label for s in captured[0].schedules][1] == "warmup-exp"
    result = runner.invoke(
        cli.main,
        [
            "run",
            "-c",
            str(path),
            "--epochs",
            "7",
            "--lr",
            "0.2",
            "-s",
            "exp",
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (captured[1].epochs, captured[1].lr, captured[1].seeds) == (7, 0.2, (0, 1, 2))
    assert [s.label for s in captured[1].schedules] == ["exp"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[experiment]\nepoch = 3\n", "unknown key in [experiment] 'epoch'"),
        ('[[schedule]]\nname = "step"\ngama = 0.5\n', "unknown parameter 'gama' for StepLR"),
        (
            '[[schedule]]\nname = "step"\nstep_size = 0\n',
            "StepLR step_size must be a whole number >= 1",
        ),
    ],
    ids=["experiment-key", "schedule-key", "bad-value"],
)
def test_run_with_a_bad_file_exits_2_in_one_line(
    runner: CliRunner, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli.main, ["run", "-c", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_docs_example_is_valid() -> None:
    page = (Path(__file__).parents[1] / "docs" / "experiments.md").read_text(encoding="utf-8")
    text = page[page.index("```toml") + len("```toml") : page.index("```\n", 10)]
    config = parse(text, "docs/experiments.md")
    experiment = merge(config)
    assert [s.label for s in experiment.schedules] == [
        "StepLR:step_size=30,gamma=0.1",
        "warmup-cosine",
        "ChainedScheduler(ConstantLR,ExponentialLR)",
    ]
    for spec in experiment.schedules:
        params = resolve(spec, experiment.epochs, experiment.lr)
        check(spec.kind, params, experiment.lr, experiment.epochs)
