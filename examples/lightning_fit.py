"""Record a PyTorch Lightning fit: one callback, then a report in reports/lightning/.

pip install 'lrviz[lightning]'
python examples/lightning_fit.py
"""

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from lrviz.integrations.lightning import LRVizCallback


class Regression(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, index):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x).squeeze(-1), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        # A per-batch schedule: interval "step" (Lightning's default "epoch" would stretch it).
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=40)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


torch.manual_seed(0)
x = torch.randn(64, 4)
y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
trainer = pl.Trainer(
    max_epochs=5,
    logger=False,
    enable_checkpointing=False,
    enable_progress_bar=False,
    callbacks=[LRVizCallback("reports/lightning")],
)
trainer.fit(Regression(), DataLoader(TensorDataset(x, y), batch_size=8))
print("report: reports/lightning/index.html")
