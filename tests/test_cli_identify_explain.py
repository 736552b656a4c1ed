"""lrviz identify, and lrviz explain's --all (near misses) and --what-if (replays)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import lrviz
from lrviz.cli import main

METRICS = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.89, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95]


@pytest.fixture
def plateau(tmp_path: Path) -> Path:
    trace = lrviz.simulate("plateau:patience=3", epochs=len(METRICS), metrics=METRICS)
    path = tmp_path / "plateau.json"
    trace.save(path)
    return path


def torch_reductions(patience: int) -> list[int]:
    """The epochs after whose step torch's own ReduceLROnPlateau lowered the rate."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=patience)
    out = []
    for epoch, value in enumerate(METRICS, 1):
        before = optimizer.param_groups[0]["lr"]
        scheduler.step(value)
        if optimizer.param_groups[0]["lr"] < before:
            out.append(epoch)
    return out


def test_identify_names_the_spec_that_reproduces_the_rates(
    runner: CliRunner, tmp_path: Path
) -> None:
    lrviz.simulate("cosine:T_max=50", epochs=50).save(tmp_path / "c.json")
    result = runner.invoke(main, ["identify", str(tmp_path / "c.json")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("cosine:T_max=50: cosine:T_max=50,eta_min=0.0 with lr=")
    assert "reproduces the logged rates" in result.output


def test_identify_of_an_unreadable_file_is_bad_input(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{")
    result = runner.invoke(main, ["identify", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_what_if_replays_the_metric_through_torch(runner: CliRunner, plateau: Path) -> None:
    result = runner.invoke(main, ["explain", str(plateau), "--what-if", "patience=1"])
    assert result.exit_code == 0, result.output
    ran = ", ".join(map(str, torch_reductions(3)))
    would = ", ".join(map(str, torch_reductions(1)))
    assert f"run:     rate changed after epochs {ran}" in result.output
    assert f"what-if: rate changed after epochs {would}" in result.output
    assert "the replay holds only until epoch 4" in result.output


def test_what_if_json_and_near_misses(runner: CliRunner, plateau: Path) -> None:
    result = runner.invoke(
        main, ["explain", str(plateau), "--json", "--all", "--what-if", "patience=1"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"events", "near_misses", "what_if"}
    assert [e["epoch"] for e in data["events"]] == torch_reductions(3)
    assert data["what_if"]["first_difference"] == 4


def test_plain_json_stays_a_list_of_events(runner: CliRunner, plateau: Path) -> None:
    result = runner.invoke(main, ["explain", str(plateau), "--json"])
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.output), list)


def test_an_unknown_what_if_parameter_is_one_line_and_exit_2(
    runner: CliRunner, plateau: Path
) -> None:
    result = runner.invoke(main, ["explain", str(plateau), "--what-if", "patiense=1"])
    assert result.exit_code == 2
    assert "unknown parameter 'patiense' for ReduceLROnPlateau" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_imported_log_is_explained_by_its_phases(runner: CliRunner, tmp_path: Path) -> None:
    """A log names no scheduler: its changes are phases found from the rates, not changes
    'no rule' checked."""
    rows = ["step,lr"] + [f"{s},{0.1 * 0.5 ** (s // 40)}" for s in range(1, 121)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    result = runner.invoke(main, ["explain", str(tmp_path / "log.csv")])
    assert result.exit_code == 0, result.output
    assert "no rule" not in result.output and "outside" not in result.output
    drops = [line for line in result.output.splitlines() if "step drop" in line]
    assert [line.split()[1] for line in drops] == ["39", "79", "119"]
    assert all("as logged, no scheduler named" in line for line in drops)
    assert "set by hand" not in result.output
