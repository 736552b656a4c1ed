"""The tiny regression models the framework tests share: Linear(4, 1) under MSE."""

from __future__ import annotations

from typing import Any

import torch


class Regression(torch.nn.Module):
    """A model HuggingFace's Trainer takes: a dict with the loss."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, Any]:
        out = self.layer(x).squeeze(-1)
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


def lightning_regression() -> Any:
    """A LightningModule that logs train_loss (per epoch) and val_loss; subclasses give
    ``configure_optimizers``. Made on call: lightning is an optional extra."""
    import lightning.pytorch as pl

    class LightningRegression(pl.LightningModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, index: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.layer(x).squeeze(-1), y)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch: Any, index: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x).squeeze(-1), y))

    return LightningRegression
