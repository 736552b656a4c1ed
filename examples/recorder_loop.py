"""Record a training loop of your own, stepped per batch, and write its report.

python examples/recorder_loop.py
"""

import torch

import lrviz

torch.manual_seed(0)
model = torch.nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=100)
rec = lrviz.Recorder(optimizer, scheduler, label="one-cycle", every="step")
x = torch.randn(80, 4)
y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
for _ in range(10):
    for batch in range(10):
        rows = slice(8 * batch, 8 * batch + 8)
        loss = torch.nn.functional.mse_loss(model(x[rows]).squeeze(-1), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    rec.log(train_loss=loss)
rec.trace.save("reports/one-cycle.json")
print(lrviz.write_report([rec.trace], "reports/recorded"))
