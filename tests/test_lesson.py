"""lrviz reproduces the lesson: its loop, written out here as the lesson has it, is the oracle."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn as nn
import torch.optim as optim
import torch.optim.lr_scheduler as lr_scheduler
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

import lrviz

# The lesson's printed table (seed 12 reproduces it with the lesson's own script).
LESSON_TABLE = """\
Epoch [10/100], LR: 0.100000
Epoch [20/100], LR: 0.100000
Epoch [30/100], LR: 0.010000
Epoch [40/100], LR: 0.001000
Epoch [50/100], LR: 0.000100
Epoch [60/100], LR: 0.000010
Epoch [70/100], LR: 0.000010
Epoch [80/100], LR: 0.000001
Epoch [90/100], LR: 0.000000
Epoch [100/100], LR: 0.000000
"""

SCHEDULERS = {
    "step": lambda opt: lr_scheduler.StepLR(opt, step_size=30, gamma=0.1),
    "exp": lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.95),
    "plateau": lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=10),
}


def lesson(seed: int, schedule: str = "plateau") -> list[dict[str, Any]]:
    """The lesson's script preceded by torch.manual_seed(seed), recording each epoch."""
    torch.manual_seed(seed)
    wine = load_wine()
    X = torch.tensor(wine.data, dtype=torch.float32)
    y = torch.tensor(wine.target, dtype=torch.long)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.2, random_state=42)
    model = nn.Sequential(
        nn.Linear(13, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 3)
    )
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    scheduler = SCHEDULERS[schedule](optimizer)
    rows = []
    for _epoch in range(100):
        lr_during = optimizer.param_groups[0]["lr"]
        model.train()
        optimizer.zero_grad()
        outputs = model(X_train)
        loss = criterion(outputs, y_train)
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_outputs = model(X_valid)
            val_loss = criterion(val_outputs, y_valid)
        if schedule == "plateau":
            scheduler.step(val_loss)
        else:
            scheduler.step()
        rows.append(
            {
                "lr": lr_during,
                "lr_after": optimizer.param_groups[0]["lr"],
                "train_loss": loss.item(),
                "val_loss": val_loss.item(),
            }
        )
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 7, 12])
@pytest.mark.parametrize("schedule", sorted(SCHEDULERS))
def test_run_matches_the_lesson_loop_epoch_by_epoch(schedule: str, seed: int) -> None:
    expected = lesson(seed, schedule)
    trace = lrviz.run_experiment(schedule, seed=seed)
    assert len(trace.epochs) == len(expected) == 100
    for k, (row, epoch) in enumerate(zip(expected, trace.epochs, strict=True), start=1):
        assert epoch.lr[0] == row["lr"], (
            f"LR is wrong in epoch {k}: expected {row['lr']}, got {epoch.lr[0]}"
        )
        # Bit for bit: same data, same initial weights, same Adam arithmetic.
        assert epoch.train_loss == row["train_loss"], f"train loss differs in epoch {k}"
        assert epoch.val_loss == row["val_loss"], f"val loss differs in epoch {k}"
    assert trace.final_lr[0] == expected[-1]["lr_after"]


@pytest.mark.slow
def test_seed_12_prints_the_lessons_table(runner: Any, tmp_path: Any) -> None:
    from lrviz.cli import main

    result = runner.invoke(
        main, ["run", "-s", "plateau", "--seed", "12", "--print-every", "10", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()[:11]
    assert header == "plateau: ReduceLROnPlateau, seed 12"
    assert "\n".join(lines) + "\n" == LESSON_TABLE


@pytest.mark.slow
def test_the_lesson_script_itself_prints_that_table_with_seed_12() -> None:
    rows = lesson(12)
    printed = "".join(
        f"Epoch [{k}/100], LR: {rows[k - 1]['lr_after']:.6f}\n" for k in range(10, 101, 10)
    )
    assert printed == LESSON_TABLE
