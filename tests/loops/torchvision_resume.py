"""torchvision's classification reference (references/classification/train.py): SGD,
a linear warm-up then cosine annealing joined by SequentialLR, stepped once an epoch
after ``train_one_epoch``; a checkpoint of model, optimizer and lr_scheduler saved every
epoch, and ``--resume``: build everything again, ``load_state_dict`` each, and go on from
``checkpoint["epoch"] + 1``.

``main()`` trains the whole run once, then again stopping after ``stop`` epochs, and
resumes that from its checkpoint; each part is recorded."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from types import SimpleNamespace

import torch
from torch import nn

import lrviz
from loops.truth import Truth

ARGS = SimpleNamespace(
    epochs=10,
    lr=0.1,
    momentum=0.9,
    weight_decay=1e-4,
    lr_warmup_epochs=3,
    lr_warmup_decay=0.01,
    batch_size=16,
)


@dataclass
class Run:
    full: lrviz.Trace
    first: lrviz.Trace
    resumed: lrviz.Trace
    full_truth: Truth
    resumed_truth: Truth
    start_epoch: int


def build(
    args: SimpleNamespace,
) -> tuple[nn.Module, torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = torch.optim.SGD(
        model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay
    )
    main_lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.epochs - args.lr_warmup_epochs
    )
    warmup_lr_scheduler = torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=args.lr_warmup_decay, total_iters=args.lr_warmup_epochs
    )
    lr_scheduler = torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        schedulers=[warmup_lr_scheduler, main_lr_scheduler],
        milestones=[args.lr_warmup_epochs],
    )
    return model, optimizer, lr_scheduler


def data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


def train_one_epoch(
    model: nn.Module, criterion: nn.Module, optimizer: torch.optim.Optimizer, args: SimpleNamespace
) -> float:
    model.train()
    x, y = data()
    for i in range(0, len(x), args.batch_size):
        output = model(x[i : i + args.batch_size])
        loss = criterion(output, y[i : i + args.batch_size])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def evaluate(model: nn.Module, criterion: nn.Module) -> float:
    model.eval()
    x, y = data()
    with torch.inference_mode():
        return float(criterion(model(x), y))


def train(
    args: SimpleNamespace, output_dir: str, resume: str = "", stop: int | None = None
) -> tuple[lrviz.Trace, Truth]:
    torch.manual_seed(0)
    model, optimizer, lr_scheduler = build(args)
    criterion = nn.CrossEntropyLoss()
    start_epoch = 0
    if resume:
        checkpoint = torch.load(resume, map_location="cpu", weights_only=False)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        lr_scheduler.load_state_dict(checkpoint["lr_scheduler"])
        start_epoch = checkpoint["epoch"] + 1
    rec = lrviz.Recorder(optimizer, lr_scheduler, label="torchvision")
    truth = Truth()
    truth.watch_updates(optimizer)
    for epoch in range(start_epoch, args.epochs if stop is None else stop):
        train_loss = train_one_epoch(model, criterion, optimizer, args)
        before = tuple(float(g["lr"]) for g in optimizer.param_groups)
        lr_scheduler.step()
        truth.stepped.append((before, tuple(float(g["lr"]) for g in optimizer.param_groups)))
        val_loss = evaluate(model, criterion)
        rec.log(train_loss=train_loss, val_loss=val_loss)
        checkpoint = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "lr_scheduler": lr_scheduler.state_dict(),
            "epoch": epoch,
            "args": args,
        }
        torch.save(checkpoint, os.path.join(output_dir, "checkpoint.pth"))
    return rec.trace, truth


def main(stop: int = 5) -> Run:
    with tempfile.TemporaryDirectory() as full_dir, tempfile.TemporaryDirectory() as dir_:
        full, full_truth = train(ARGS, full_dir)
        first, _ = train(ARGS, dir_, stop=stop)
        resumed, resumed_truth = train(ARGS, dir_, resume=os.path.join(dir_, "checkpoint.pth"))
    return Run(full, first, resumed, full_truth, resumed_truth, stop)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().resumed), sep="\n")
