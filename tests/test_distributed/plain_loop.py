"""A DDP loop as torchrun runs it: every rank records, and every rank saves."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from spy import spy

import lrviz
import lrviz.tracefile

out = Path(sys.argv[1])
dist.init_process_group("gloo")
rank = dist.get_rank()
spy(lrviz.tracefile, "save", out)
torch.manual_seed(rank)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
rec = lrviz.Recorder(optimizer, scheduler)
for _epoch in range(4):
    for _ in range(3):
        loss = model(torch.randn(8, 4)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    rec.log(train_loss=loss)
trace = rec.trace
wrote = [trace.save(out / "trace.json"), trace.save(out / "trace-{rank}.json")]
(out / f"wrote-{rank}.json").write_text(json.dumps(wrote))
dist.destroy_process_group()
