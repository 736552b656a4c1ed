"""Record a HuggingFace Trainer run: one callback, then a report in reports/hf/.

    pip install 'lrviz[hf]'
    python examples/hf_trainer.py

A tiny model trained from scratch on synthetic data: nothing is downloaded.
"""

import torch
from transformers import Trainer, TrainingArguments

from lrviz.integrations.transformers import LRVizCallback


class Regression(torch.nn.Module):
    """Any torch module the Trainer takes: it returns a dict with the loss."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def forward(self, x, labels=None):
        out = self.layer(x).squeeze(-1)
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


torch.manual_seed(0)
x = torch.randn(64, 4)
data = [{"x": row, "labels": row @ torch.tensor([1.0, -2.0, 3.0, 0.5])} for row in x]
args = TrainingArguments(
    output_dir="reports/hf-trainer",
    report_to="none",
    save_strategy="no",
    use_cpu=True,
    per_device_train_batch_size=8,
    num_train_epochs=5,
    learning_rate=0.05,
    lr_scheduler_type="cosine",
    warmup_steps=8,
    eval_strategy="epoch",
    disable_tqdm=True,
)
trainer = Trainer(
    model=Regression(),
    args=args,
    train_dataset=data,
    eval_dataset=data,
    callbacks=[LRVizCallback("reports/hf")],
)
trainer.train()
print("report: reports/hf/index.html")
