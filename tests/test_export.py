"""``lrviz export``: one flat table a row per step (or epoch), the same CSV as
``simulate --format csv``, or JSON rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import lrviz
from lrviz.cli import main
from lrviz.export import to_csv

GOLDEN = Path(__file__).parent / "test_golden" / "plateau-seed0.lrtrace.json"


def test_a_run_exports_a_row_per_epoch_with_its_losses(runner: CliRunner) -> None:
    result = runner.invoke(main, ["export", str(GOLDEN)])
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    trace = lrviz.Trace.load(GOLDEN)
    assert list(table[0]) == ["epoch", "lr", "train_loss", "val_loss", "val_accuracy", "metric"]
    assert len(table) == 100
    assert [float(r["lr"]) for r in table] == trace.rates()[:-1]
    assert [float(r["val_loss"]) for r in table] == [e.val_loss for e in trace.epochs]


def test_a_step_trace_exports_a_row_per_step_with_epoch_values_at_epoch_ends(
    tmp_path: Path, runner: CliRunner
) -> None:
    trace = lrviz.simulate("plateau", epochs=3, steps_per_epoch=2, metrics=[1.0, 2.0, 3.0])
    path = tmp_path / "t.json"
    trace.save(path)
    out = tmp_path / "t.csv"
    assert runner.invoke(main, ["export", str(path), "-o", str(out)]).exit_code == 0
    assert out.read_text() == to_csv(trace)
    assert out.read_text().splitlines() == [
        "step,epoch,lr,metric",
        "1,1,0.1,",
        "2,1,0.1,1.0",
        "3,2,0.1,",
        "4,2,0.1,2.0",
        "5,3,0.1,",
        "6,3,0.1,3.0",
    ]
    rows = json.loads(runner.invoke(main, ["export", str(path), "--format", "json"]).stdout)
    assert rows[1] == {"step": 2, "epoch": 1, "lr": 0.1, "metric": 1.0}


@pytest.mark.parametrize(
    "content", [None, "{", '{"schema": "x"}'], ids=["missing", "json", "foreign"]
)
def test_bad_files_exit_2(tmp_path: Path, runner: CliRunner, content: str | None) -> None:
    path = tmp_path / "t.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(main, ["export", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
