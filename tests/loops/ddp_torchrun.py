"""A plain DDP loop launched with ``torchrun --nproc_per_node 2`` (the PyTorch DDP
tutorial's shape): ``init_process_group("gloo")``, ``DistributedDataParallel``, a
``DistributedSampler``, OneCycleLR stepped per batch, and the lrviz lines a user adds
without thinking of ranks: a Recorder, then ``trace.save`` and ``write_report`` to one
path. Each rank also writes the losses it logged (``truth-rank{r}.json``), the truth.

Run: ``torchrun --nproc_per_node 2 tests/loops/ddp_torchrun.py OUT`` (with the repo
and ``tests/`` on PYTHONPATH)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

import lrviz

EPOCHS = 3


def main(out: Path) -> None:
    dist.init_process_group("gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([1.0, -1.0, 0.5, 2.0])
    dataset = torch.utils.data.TensorDataset(x, y)
    sampler = torch.utils.data.distributed.DistributedSampler(
        dataset, num_replicas=world_size, rank=rank
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=8, sampler=sampler)
    model = DDP(torch.nn.Linear(4, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=0.1, epochs=EPOCHS, steps_per_epoch=len(loader)
    )
    rec = lrviz.Recorder(optimizer, scheduler, label="ddp", every="step")
    losses = []
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(xb).squeeze(-1), yb)
            loss.backward()
            optimizer.step()
            scheduler.step()
        losses.append(loss.item())
        rec.log(train_loss=loss)
    (out / f"truth-rank{rank}.json").write_text(
        json.dumps({"rank": rank, "world_size": world_size, "train_loss": losses})
    )
    dist.barrier()
    if rank == 1:
        time.sleep(0.5)  # rank 1 finishing last, as it does at random in real runs
    trace = rec.trace
    trace.save(out / "ddp.json")
    lrviz.write_report([trace], out / "report")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
