"""Lightning logs from a real fit with LearningRateMonitor, written by CSVLogger
(``metrics.csv``) and TensorBoardLogger at once, become traces whose rates (float32,
as the monitor logs them) and momenta are those lrviz's own callback recorded on the
same run: the monitor logs, at step s, the rate before update s + 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tiny_models import lightning_regression

from lrviz.logs import kind_of, read_log
from lrviz.trace import Trace

pl = pytest.importorskip("lightning.pytorch", reason="the lightning extra")


class Model(lightning_regression()):  # type: ignore[misc]
    def __init__(self, interval: str) -> None:
        super().__init__()
        self.interval = interval

    def configure_optimizers(self) -> Any:
        groups = [
            {"params": [self.layer.weight]},
            {"params": [self.layer.bias], "lr": 0.05},
        ]
        optimizer = torch.optim.SGD(groups, lr=0.1, momentum=0.9)
        if self.interval == "step":
            scheduler: Any = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=[0.1, 0.05], total_steps=16
            )
        else:
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": self.interval},
        }


def fit(tmp_path: Path, interval: str) -> Trace:
    """4 epochs of 4 steps, logged by both loggers and recorded by lrviz's callback."""
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    import lrviz.integrations.lightning

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    trainer = pl.Trainer(
        max_epochs=4,
        accelerator="cpu",
        devices=1,
        logger=[CSVLogger(tmp_path / "csv"), TensorBoardLogger(tmp_path / "tb")],
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[
            LearningRateMonitor(log_momentum=True),
            lrviz.integrations.lightning.LRVizCallback(tmp_path / "report"),
        ],
    )
    trainer.fit(Model(interval), train_dataloaders=data, val_dataloaders=data)
    (path,) = (tmp_path / "report" / "traces").glob("*.json")
    return Trace.load(path)


def float32(values: list[float]) -> tuple[float, ...]:
    return tuple(np.asarray(values, dtype=np.float32).astype(float).tolist())


@pytest.mark.slow
def test_a_per_step_monitor_gives_every_update_rate_and_momentum(tmp_path: Path) -> None:
    recorded = fit(tmp_path, "step")
    assert recorded.steps is not None and recorded.step_count == 16
    csv = tmp_path / "csv" / "lightning_logs" / "version_0" / "metrics.csv"
    assert kind_of(csv) == "lightning-csv" and kind_of(tmp_path / "tb") == "tensorboard"
    (from_csv,) = read_log(csv)
    (from_tb,) = read_log(tmp_path / "tb")
    assert from_csv.label == "lightning_logs/version_0"
    assert from_tb.label == "lightning_logs/version_0"
    # The CSV holds the rates as Python floats, TensorBoard as float32.
    for trace, exact in ((from_csv, tuple[float, ...]), (from_tb, float32)):
        assert trace.steps is not None and trace.groups == 2
        assert trace.steps.at is None  # logged at steps 0..15: the rates of updates 1..16
        for g in (0, 1):
            assert trace.steps.lr[g] == exact(recorded.rates(g)[:-1])
            assert trace.steps.momentum is not None
            assert trace.steps.momentum[g] == exact(recorded.momenta(g) or [])
        assert [e.epoch for e in trace.epochs] == [1, 2, 3, 4]
        assert [e.step for e in trace.epochs] == [4, 8, 12, 16]
    assert from_csv.meta["rates"] == "as logged"
    assert from_tb.meta["rates"] == "as logged, float32"
    for key in ("train_loss", "val_loss"):
        logged = [getattr(e, key) for e in from_csv.epochs]
        assert logged == pytest.approx([getattr(e, key) for e in recorded.epochs], rel=1e-6)


@pytest.mark.slow
def test_a_per_epoch_monitor_gives_the_rate_of_each_epochs_updates(tmp_path: Path) -> None:
    recorded = fit(tmp_path, "epoch")
    (trace,) = read_log(tmp_path / "csv")  # the folder: its metrics.csv
    assert trace.steps is not None and trace.steps.at == (1, 5, 9, 13)
    assert trace.steps.lr[0] == (0.1, 0.05, 0.025, 0.0125)
    assert trace.steps.lr[0] == tuple(recorded.rates(0)[:-1])  # one per epoch
    assert [e.epoch for e in trace.epochs] == [1, 2, 3, 4]


def test_a_csv_without_a_rate_column_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train_loss\n0,3,1.5\n1,7,1.2\n")
    with pytest.raises(ValueError, match=r"metrics.csv': no learning-rate tag or column"):
        read_log(path)


def test_a_monitor_only_csv_is_lightnings_and_moves_its_rates_on(tmp_path: Path) -> None:
    # CSVLogger with LearningRateMonitor alone: no self.log, so no epoch column.
    path = tmp_path / "metrics.csv"
    path.write_text("lr-SGD,step\n0.1,0\n0.05,1\n")
    (trace,) = read_log(path)
    assert trace.meta["log"] == "lightning-csv"
    assert trace.steps is not None and trace.steps.at is None  # updates 1, 2
    # The same columns in a table of another name: still the monitor's.
    other = tmp_path / "export.tsv"
    other.write_text("step\tlr-SGD\n0\t0.1\n1\t0.05\n")
    (table,) = read_log(other)
    assert table.meta["log"] == "csv" and table.steps == trace.steps


def test_the_epoch_mean_loss_is_an_epochs_training_loss(tmp_path: Path) -> None:
    # self.log("train_loss", ..., on_step=True, on_epoch=True): both columns.
    path = tmp_path / "metrics.csv"
    path.write_text(
        "epoch,lr-SGD,step,train_loss_epoch,train_loss_step\n"
        ",0.1,0,,\n0,,0,,2.0\n,0.1,1,,\n0,,1,,1.0\n0,,1,1.5,\n"
    )
    (trace,) = read_log(path)
    assert [(e.epoch, e.train_loss) for e in trace.epochs] == [(1, 1.5)]
