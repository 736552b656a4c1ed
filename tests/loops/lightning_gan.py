"""Lightning's manual-optimization GAN (the docs' "Manual Optimization" page): two
optimizers and two schedulers from ``configure_optimizers``, ``self.optimizers()`` and
``self.lr_schedulers()`` in ``training_step``, ``manual_backward``, and the schedulers
stepped by hand at each epoch end; recorded by lrviz's callback."""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

import lrviz
from loops.truth import Truth
from lrviz.integrations.lightning import LRVizCallback

EPOCHS, BATCHES = 4, 4


class GAN(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        self.D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
        self.truths = {"g": Truth(), "d": Truth()}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        (real,) = batch
        g_opt, d_opt = self.optimizers()
        z = torch.randn(real.shape[0], 2)
        fake = self.G(z)
        ones, zeros = torch.ones(real.shape[0], 1), torch.zeros(real.shape[0], 1)
        bce = nn.functional.binary_cross_entropy_with_logits

        errD = bce(self.D(real), ones) + bce(self.D(fake.detach()), zeros)
        d_opt.zero_grad()
        self.manual_backward(errD)
        d_opt.step()

        errG = bce(self.D(fake), ones)
        g_opt.zero_grad()
        self.manual_backward(errG)
        g_opt.step()

        self.log_dict({"g_loss": errG, "d_loss": errD}, prog_bar=True)

    def on_train_epoch_end(self) -> None:
        g_sch, d_sch = self.lr_schedulers()
        g_sch.step()
        d_sch.step()

    def configure_optimizers(self) -> Any:
        g_opt = torch.optim.Adam(self.G.parameters(), lr=2e-3, betas=(0.5, 0.999))
        d_opt = torch.optim.Adam(self.D.parameters(), lr=1e-3, betas=(0.5, 0.999))
        g_sch = torch.optim.lr_scheduler.StepLR(g_opt, step_size=2, gamma=0.5)
        d_sch = torch.optim.lr_scheduler.ExponentialLR(d_opt, gamma=0.9)
        self.truths["g"].watch_updates(g_opt)  # after the schedulers, which wrap step too
        self.truths["d"].watch_updates(d_opt)
        return [g_opt, d_opt], [g_sch, d_sch]


@dataclass
class Run:
    traces: list[lrviz.Trace]
    truths: dict[str, Truth]
    final: dict[str, float] = field(default_factory=dict)


def main() -> Run:
    pl.seed_everything(15, verbose=False)
    data = torch.utils.data.TensorDataset(torch.randn(BATCHES * 8, 2) + 3)
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    model = GAN()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice on workers and loggers
        trainer = pl.Trainer(
            max_epochs=EPOCHS,
            accelerator="cpu",
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[LRVizCallback(Path(tmp) / "report")],
        )
        trainer.fit(model, loader)
        traces = [
            lrviz.Trace.load(p) for p in sorted((Path(tmp) / "report" / "traces").glob("*.json*"))
        ]
    g_opt, d_opt = trainer.optimizers
    final = {"g": float(g_opt.param_groups[0]["lr"]), "d": float(d_opt.param_groups[0]["lr"])}
    return Run(traces, model.truths, final)


if __name__ == "__main__":
    from loops.words import all_words

    for trace in main().traces:
        print(*all_words(trace), sep="\n")
