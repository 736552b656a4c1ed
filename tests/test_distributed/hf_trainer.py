"""A HuggingFace Trainer run under torchrun, with lrviz's callback on every rank."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import transformers
from spy import spy

import lrviz.report
from lrviz.integrations.transformers import LRVizCallback


class Regression(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.layer(x).squeeze(-1)
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


out = Path(sys.argv[1])
spy(lrviz.report, "write_report", out)
torch.manual_seed(0)
x = torch.randn(32, 4)
data = [{"x": a, "labels": a.sum()} for a in x]
args = transformers.TrainingArguments(
    output_dir=str(out / "hf"),
    report_to="none",
    save_strategy="no",
    use_cpu=True,
    ddp_backend="gloo",
    per_device_train_batch_size=4,
    max_steps=6,
    logging_steps=2,
    disable_tqdm=True,
)
callback = LRVizCallback(out / "report")
transformers.Trainer(
    model=Regression(), args=args, train_dataset=data, callbacks=[callback]
).train()
meta = dict(callback.session.traces[0].meta)
(out / f"meta-{meta['rank']}.json").write_text(json.dumps(meta))
