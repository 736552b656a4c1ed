"""MLflow file stores (written here as MLflow lays them out, without MLflow) and generic
CSV / JSON-lines tables become traces: rates found by name or named by the caller, at
their logged steps, and bad input refused in one line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrviz.logs import kind_of, read_log


def mlflow_run(
    root: Path, experiment: str, run_id: str, name: str, metrics: dict[str, list[tuple[int, float]]]
) -> Path:
    """A run folder as MLflow's FileStore writes it: ``meta.yaml``, ``tags/mlflow.runName``
    and one ``metrics/<key>`` file per metric of lines ``<timestamp> <value> <step>``."""
    run = root / experiment / run_id
    (run / "tags").mkdir(parents=True)
    (run / "meta.yaml").write_text(f"run_id: {run_id}\nexperiment_id: '{experiment}'\n")
    (run / "tags" / "mlflow.runName").write_text(name)
    for key, points in metrics.items():
        file = run / "metrics" / key
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("".join(f"{1700000000000 + s} {v} {s}\n" for s, v in points))
    (root / experiment / "meta.yaml").write_text(f"experiment_id: '{experiment}'\nname: Default\n")
    return run


def test_an_mlflow_run_folder_gives_its_rates_at_their_steps(tmp_path: Path) -> None:
    run = mlflow_run(
        tmp_path / "mlruns",
        "0",
        "a1b2",
        "bright-owl-42",
        {"learning_rate": [(10, 0.1), (20, 0.05), (30, 0.025)], "train/loss": [(10, 1.0)]},
    )
    assert kind_of(run) == "mlflow"
    (trace,) = read_log(run)
    assert trace.meta["log"] == "mlflow" and trace.label == "bright-owl-42"
    assert trace.meta["rates"] == "as logged"
    assert trace.steps is not None and trace.steps.at == (10, 20, 30)
    assert list(trace.steps.lr[0]) == [0.1, 0.05, 0.025]


def test_a_folder_of_mlflow_runs_gives_the_runs_that_logged_a_rate(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    mlflow_run(root, "1", "r1", "first", {"lr-AdamW": [(0, 0.1), (1, 0.2)]})
    mlflow_run(root, "1", "r2", "second", {"lr-AdamW": [(0, 0.3), (1, 0.4)]})
    mlflow_run(root, "1", "r3", "no-rate", {"loss": [(0, 1.0)]})
    traces = read_log(root)
    assert [t.label for t in traces] == ["first", "second"]
    # Lightning's MLFlowLogger with LearningRateMonitor: step s holds update s + 1's rate.
    assert all(t.steps is not None and t.steps.at is None for t in traces)


def test_a_malformed_mlflow_metric_line_is_one_line_naming_the_file(tmp_path: Path) -> None:
    run = mlflow_run(tmp_path / "mlruns", "0", "x", "x", {"lr": [(1, 0.1)]})
    (run / "metrics" / "lr").write_text("1700000000000 not-a-number 1\n")
    with pytest.raises(ValueError, match=r"metrics/lr': line 1 is not 'timestamp value step'"):
        read_log(run)


def test_a_wandb_export_finds_step_and_rate_by_name(tmp_path: Path) -> None:
    path = tmp_path / "wandb_export.csv"
    path.write_text("_step,train/learning_rate,train/loss\n0,0.1,2.0\n5,0.08,\n10,0.06,1.5\n")
    assert kind_of(path) == "csv"
    (trace,) = read_log(path)
    assert trace.meta["log"] == "csv" and trace.label == "wandb_export"
    assert trace.steps is not None and trace.steps.at == (0, 5, 10)
    assert list(trace.steps.lr[0]) == [0.1, 0.08, 0.06]


def test_json_lines_and_columns_named_by_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    rows = [{"iter_no": k, "my_lr": 0.1 * 0.5 ** (k - 1), "other": k} for k in range(1, 5)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match=r"log.jsonl': no step column .*name it with step="):
        read_log(path)
    (trace,) = read_log(path, step="iter_no", rates=["my_lr"])
    assert trace.rates() == [0.1, 0.05, 0.025, 0.0125, 0.0125]
    with pytest.raises(ValueError, match=r"log.jsonl': no column 'lr_x'"):
        read_log(path, step="iter_no", rates=["lr_x"])


def test_a_csv_without_a_rate_column_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,loss\n1,2.0\n2,1.0\n")
    with pytest.raises(ValueError, match=r"log.csv': no learning-rate tag or column"):
        read_log(path)


def test_a_step_that_is_no_whole_number_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,lr\n1,0.1\n1.5,0.2\n")
    with pytest.raises(ValueError, match=r"log.csv': row 2: step '1.5' is not a whole number"):
        read_log(path)


def test_a_wandb_chart_export_gives_one_trace_per_run(tmp_path: Path) -> None:
    path = tmp_path / "wandb_export_2026.csv"
    path.write_text(
        "Step,fresh-sun-3 - train/learning_rate,fresh-sun-3 - train/learning_rate__MIN,"
        "fresh-sun-3 - train/learning_rate__MAX,dark-sky-4 - train/learning_rate\n"
        "10,0.1,0.1,0.1,0.2\n20,0.05,0.05,0.05,0.1\n"
    )
    traces = read_log(path)
    assert [(t.label, t.rates()) for t in traces] == [
        ("fresh-sun-3", [0.1, 0.05, 0.05]),
        ("dark-sky-4", [0.2, 0.1, 0.1]),
    ]
    assert all(t.steps is not None and t.steps.at == (10, 20) for t in traces)


def test_rates_named_by_the_caller_in_an_mlflow_run(tmp_path: Path) -> None:
    run = mlflow_run(tmp_path / "mlruns", "0", "r", "r", {"step_size": [(1, 0.3), (2, 0.2)]})
    with pytest.raises(ValueError, match="no learning-rate tag"):
        read_log(run)
    (trace,) = read_log(run, rates=["step_size"])
    assert trace.rates() == [0.3, 0.2, 0.2]


def test_rates_naming_no_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,lr\n1,0.1\n")
    with pytest.raises(ValueError, match=r"log.csv': rates= names no column"):
        read_log(path, rates=[])
