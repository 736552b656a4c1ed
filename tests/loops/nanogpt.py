"""nanoGPT's train.py: the rate set by hand each iteration from ``get_lr(it)`` (linear
warm-up, cosine decay to ``min_lr``, then constant), AdamW with a decay and a no-decay
param group, gradient accumulation over micro-steps, a GradScaler that is a no-op in
float32, and no scheduler."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

import lrviz
from loops.truth import Truth

learning_rate = 6e-4  # max learning rate
max_iters = 100
weight_decay = 1e-1
beta1, beta2 = 0.9, 0.95
grad_clip = 1.0
gradient_accumulation_steps = 2
warmup_iters = 10  # how many steps to warm up for
lr_decay_iters = 80  # should be ~= max_iters per Chinchilla
min_lr = 6e-5  # minimum learning rate, should be ~= learning_rate/10 per Chinchilla


def get_lr(it: int) -> float:
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    # 2) if it > lr_decay_iters, return min learning rate
    if it > lr_decay_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


@dataclass
class Run:
    trace: lrviz.Trace
    truth: Truth


class TinyLM(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = torch.nn.Embedding(16, 8)
        self.ln_f = torch.nn.LayerNorm(8)
        self.lm_head = torch.nn.Linear(8, 16, bias=False)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = self.lm_head(self.ln_f(self.wte(idx)))
        return torch.nn.functional.cross_entropy(logits.view(-1, 16), targets.view(-1))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {"params": decay_params, "weight_decay": weight_decay},
            {"params": nodecay_params, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=(beta1, beta2))


def main() -> Run:
    torch.manual_seed(1337)
    data = torch.randint(0, 16, (512,))

    def get_batch() -> tuple[torch.Tensor, torch.Tensor]:
        ix = torch.randint(len(data) - 9, (4,))
        x = torch.stack([data[i : i + 8] for i in ix])
        y = torch.stack([data[i + 1 : i + 9] for i in ix])
        return x, y

    model = TinyLM()
    optimizer = model.configure_optimizers()
    scaler = torch.amp.GradScaler("cpu", enabled=False)  # float32: a no-op, as in nanoGPT
    truth = Truth(micro_batches=gradient_accumulation_steps)
    rec = lrviz.Recorder(optimizer, None, label="nanogpt", every="step")
    truth.watch_updates(optimizer)

    X, Y = get_batch()
    iter_num = 0
    while True:
        # determine and set the learning rate for this iteration
        lr = get_lr(iter_num)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        truth.by_hand.append(iter_num + 1)
        for _micro_step in range(gradient_accumulation_steps):
            loss = model(X, Y) / gradient_accumulation_steps
            X, Y = get_batch()
            scaler.scale(loss).backward()
        if grad_clip != 0.0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        rec.step()
        iter_num += 1
        if iter_num >= max_iters:
            break
    return Run(rec.trace, truth)


if __name__ == "__main__":
    from loops.words import all_words

    print(*all_words(main().trace), sep="\n")
