"""One line to record a framework's training: a Lightning ``fit`` and a HuggingFace
``Trainer.train`` on synthetic data, each writing a report laid out as ``lrviz run``'s,
a trace with every optimizer step that passes ``lrviz check`` against its golden, and
the misuse the per-step checks catch, raised as warnings."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from click.testing import CliRunner
from tiny_models import Regression, lightning_regression

import lrviz
from lrviz.cli import main
from lrviz.integrations import LRVizWarning

GOLDEN = Path(__file__).parent / "test_integrations"


def layout(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def the_trace(out: Path) -> tuple[Path, lrviz.Trace]:
    (path,) = (out / "traces").glob("*.json")
    return path, lrviz.Trace.load(path)


def lrviz_warnings(work: Any) -> list[str]:
    """The messages of lrviz's warnings while ``work()`` runs (the frameworks' own notes,
    on dataloader workers and the like, are theirs)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", LRVizWarning)
        work()
    return [str(w.message) for w in caught if issubclass(w.category, LRVizWarning)]


def passes_check(runner: CliRunner, path: Path, golden: Path, truth: list[float]) -> None:
    """``lrviz check`` against the committed golden, which is checked, in turn, against
    the rates the library itself gives (``truth``: before each step, then after the last)."""
    assert lrviz.Trace.load(golden).rates() == truth
    result = runner.invoke(main, ["check", str(path), str(golden), "--fields", "lr"])
    assert result.exit_code == 0, result.output


def stepped(optimizer: Any, scheduler: Any, steps: int) -> list[float]:
    """Group 0's rate before each of ``steps`` scheduler steps, then after the last."""
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


# -- PyTorch Lightning --------------------------------------------------------------------

pl = pytest.importorskip("lightning.pytorch", reason="the lightning extra")


class Model(lightning_regression()):  # type: ignore[misc]
    def __init__(self, schedule: str) -> None:
        super().__init__()
        self.schedule = schedule

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        if self.schedule == "plateau":
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="max", patience=0, factor=0.5
            )
            config = {"scheduler": scheduler, "monitor": "val_loss", "interval": "epoch"}
        else:
            interval = "step" if self.schedule == "onecycle-step" else "epoch"
            scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=24)
            config = {"scheduler": scheduler, "interval": interval}
        return {"optimizer": optimizer, "lr_scheduler": config}


def fit(schedule: str, out: Path) -> None:
    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    trainer = pl.Trainer(
        max_epochs=6,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[lrviz.integrations.lightning.LRVizCallback(out)],
    )
    fit.warnings = lrviz_warnings(  # type: ignore[attr-defined]
        lambda: trainer.fit(Model(schedule), train_dataloaders=data, val_dataloaders=data)
    )


@pytest.mark.slow
def test_a_lightning_fit_writes_a_report_with_every_step(tmp_path: Path, runner: CliRunner) -> None:
    import lrviz.integrations.lightning  # noqa: F401 - the one line users add

    out = tmp_path / "run1"
    fit("onecycle-step", out)
    assert "index.html" in layout(out) and any(p.startswith("figures/") for p in layout(out))
    path, trace = the_trace(out)
    assert trace.name == "OneCycleLR" and trace.per_step and trace.step_count == 24
    assert [e.step for e in trace.epochs] == [4, 8, 12, 16, 20, 24]
    assert all(e.train_loss is not None and e.val_loss is not None for e in trace.epochs)
    assert trace.optimizer is not None and trace.optimizer["name"] == "SGD"
    assert not [e for e in trace.events if e.kind == "external"]
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    one_cycle = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=24)
    passes_check(
        runner,
        path,
        GOLDEN / "lightning-onecycle-step.lrtrace.json",
        stepped(optimizer, one_cycle, 24),
    )


@pytest.mark.slow
def test_lightning_interval_epoch_for_a_per_batch_schedule_is_a_misuse(tmp_path: Path) -> None:
    import lrviz.integrations.lightning  # noqa: F401

    fit("onecycle-epoch", tmp_path / "run")
    _, trace = the_trace(tmp_path / "run")
    assert not trace.per_step and [e.updates for e in trace.epochs] == [4] * 6
    assert any("per-batch schedule, but it was stepped once per epoch" in m for m in fit.warnings)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_lightning_plateau_records_the_monitored_metric(tmp_path: Path) -> None:
    import lrviz.integrations.lightning  # noqa: F401

    fit("plateau", tmp_path / "run")
    _, trace = the_trace(tmp_path / "run")
    assert [e.metric for e in trace.epochs] == [e.val_loss for e in trace.epochs]
    assert trace.params["mode"] == "max"
    reductions = [e.epoch for e in trace.events if e.kind == "reduce"]
    assert reductions and all("val_loss has not improved" in e.reason for e in trace.events)


# -- HuggingFace Trainer -----------------------------------------------------------------

transformers = pytest.importorskip("transformers", reason="the hf extra")


def train(tmp_path: Path, **options: Any) -> Path:
    import lrviz.integrations.transformers

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5])
    data = [{"x": a, "labels": b} for a, b in zip(x, y, strict=True)]
    out = tmp_path / "run1"
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "hf"),
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        per_device_train_batch_size=8,
        num_train_epochs=4,
        disable_tqdm=True,
        **{"learning_rate": 0.1, "logging_steps": 4, **options},
    )
    trainer = transformers.Trainer(
        model=Regression(),
        args=args,
        train_dataset=data,
        eval_dataset=data,
        callbacks=[lrviz.integrations.transformers.LRVizCallback(out)],
    )
    train.warnings = lrviz_warnings(trainer.train)  # type: ignore[attr-defined]
    train.state = trainer.state  # type: ignore[attr-defined]
    return out


@pytest.mark.slow
def test_a_trainer_run_writes_a_report_named_by_its_schedule(
    tmp_path: Path, runner: CliRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    out = train(tmp_path, lr_scheduler_type="cosine", warmup_steps=4, eval_strategy="epoch")
    assert "index.html" in layout(out)
    path, trace = the_trace(out)
    assert trace.name == "hf:cosine" and trace.step_count == 16
    assert trace.experiment is not None and trace.experiment["num_train_epochs"] == 4
    assert "max_steps" not in trace.experiment  # the epochs governed this run
    assert trace.optimizer is not None and trace.optimizer["name"] == "AdamW"
    assert trace.params == {"num_warmup_steps": 4, "num_training_steps": 16, "num_cycles": 0.5}
    # Two param groups: the Trainer's AdamW exempts biases from weight decay.
    assert trace.groups == 2
    phases = [(e.group, e.evidence.get("phase")) for e in trace.events]
    assert phases == [(0, "warm-up"), (1, "warm-up"), (0, "cosine decay"), (1, "cosine decay")]
    assert all(e.val_loss is not None for e in trace.epochs)
    # The HuggingFace warm-up's first update runs at rate 0: caught, as a warning.
    assert any("ran at rate 0, so it changed nothing" in m for m in train.warnings)  # type: ignore[attr-defined]
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    cosine = transformers.get_scheduler(
        "cosine", optimizer, num_warmup_steps=4, num_training_steps=16
    )
    passes_check(
        runner, path, GOLDEN / "transformers-cosine.lrtrace.json", stepped(optimizer, cosine, 16)
    )
    capsys.readouterr()  # the Trainer prints its logs


@pytest.mark.slow
def test_a_trainer_plateau_records_the_eval_loss_it_steps_with(tmp_path: Path) -> None:
    out = train(
        tmp_path,
        lr_scheduler_type="reduce_lr_on_plateau",
        lr_scheduler_kwargs={"mode": "max", "patience": 0, "factor": 0.5},
        eval_strategy="epoch",
    )
    _, trace = the_trace(out)
    assert trace.name == "ReduceLROnPlateau"
    assert [e.metric for e in trace.epochs] == [e.val_loss for e in trace.epochs]
    assert [e.kind for e in trace.events] and not [e for e in trace.events if e.kind == "external"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    os.environ.pop("WANDB_MODE", None)


@pytest.mark.slow
def test_a_trainer_run_keeps_its_logs_at_their_steps(tmp_path: Path) -> None:
    out = train(tmp_path, max_steps=10, eval_strategy="steps", eval_steps=3, logging_steps=2)
    _, trace = the_trace(out)
    history = train.state.log_history  # type: ignore[attr-defined]
    # Every value at the step the Trainer logged it, as its own log history says.
    for name in ("eval_loss", "loss", "grad_norm"):
        logged = trace.logged[name]
        assert list(zip(logged.at, logged.value, strict=True)) == [
            (h["step"], h[name]) for h in history if name in h
        ]
    evaluations = trace.logged["eval_loss"]
    assert evaluations.at == (3, 6, 9, 10)  # and at the end, where max_steps stops it
    # Evaluations within an epoch are no epoch's value: only the one at the end is.
    assert [e.step for e in trace.epochs] == [4, 8, 10]
    assert [e.val_loss for e in trace.epochs] == [None, None, evaluations.value[-1]]
    assert trace.optimizer is not None and trace.optimizer["name"] == "AdamW"
    assert trace.experiment is not None and trace.experiment["max_steps"] == 10
    assert "num_train_epochs" not in trace.experiment
