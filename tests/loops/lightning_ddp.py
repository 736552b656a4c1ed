"""A Lightning fit under DDP on 2 CPU processes (``strategy="ddp", devices=2``), a
StepLR stepped per epoch, lrviz's callback. Each rank logs its own training loss
(``self.log`` without ``sync_dist``) and writes what it logged to
``truth-rank{r}.json``, the truth.

Run: ``python tests/loops/lightning_ddp.py OUT`` (with the repo and ``tests/`` on
PYTHONPATH); Lightning starts the second process itself."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch

from lrviz.integrations.lightning import LRVizCallback

EPOCHS = 3


class Regression(pl.LightningModule):
    def __init__(self, out: Path) -> None:
        super().__init__()
        self.out = out
        self.layer = torch.nn.Linear(4, 1)
        self.losses: list[float] = []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        xb, yb = batch
        loss = torch.nn.functional.mse_loss(self.layer(xb).squeeze(-1), yb)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def on_train_epoch_end(self) -> None:
        self.losses.append(float(self.trainer.callback_metrics["train_loss"]))

    def on_fit_end(self) -> None:
        rank, world = self.trainer.global_rank, self.trainer.world_size
        (self.out / f"truth-rank{rank}.json").write_text(
            json.dumps({"rank": rank, "world_size": world, "train_loss": self.losses})
        )

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=0.05)
        return {
            "optimizer": optimizer,
            "lr_scheduler": torch.optim.lr_scheduler.StepLR(optimizer, 1, 0.5),
        }


def main(out: Path) -> None:
    pl.seed_everything(0, verbose=False)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([1.0, -1.0, 0.5, 2.0])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    warnings.simplefilter("ignore")  # Lightning's advice on workers and loggers
    trainer = pl.Trainer(
        max_epochs=EPOCHS,
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[LRVizCallback(out / "report")],
    )
    trainer.fit(Regression(out), loader)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
