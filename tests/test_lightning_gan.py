"""Lightning with several optimizers: the docs' GAN under manual optimization (two Adams,
two schedulers stepped by the module) and an automatic fit with two param groups, each
recorded as one trace per schedule named as ``LearningRateMonitor`` names it, with every
value the module logs at the step it belongs to."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from click.testing import CliRunner

import lrviz
from lrviz.cli import main

pl = pytest.importorskip("lightning.pytorch", reason="the lightning extra")

from lightning.pytorch.loggers.logger import Logger  # noqa: E402

from lrviz.integrations.lightning import LRVizCallback  # noqa: E402

EPOCHS = 4
BATCHES = 3


class Keys(Logger):  # type: ignore[misc]
    """A logger that keeps the names it is given (LearningRateMonitor's among them)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()

    @property
    def name(self) -> str:
        return "keys"

    @property
    def version(self) -> int:
        return 0

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.keys.update(metrics)

    def log_hyperparams(self, *args: Any, **kwargs: Any) -> None:
        pass


class GAN(pl.LightningModule):  # type: ignore[misc]
    """The manual-optimization GAN of Lightning's docs, in miniature."""

    def __init__(self, d_gamma: float) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.generator = torch.nn.Linear(2, 4)
        self.discriminator = torch.nn.Linear(4, 1)
        self.d_gamma = d_gamma
        self.seen: dict[str, list[float]] = {"g_loss": [], "d_loss": [], "val/d_real": []}

    def training_step(self, batch: Any, index: int) -> None:
        g_opt, d_opt = self.optimizers()
        g_sch, d_sch = self.lr_schedulers()
        (real,) = batch
        fake = self.generator(torch.randn(real.shape[0], 2))
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        ones, zeros = torch.ones(real.shape[0], 1), torch.zeros(real.shape[0], 1)
        d_loss = bce(self.discriminator(real), ones) + bce(self.discriminator(fake.detach()), zeros)
        d_opt.zero_grad()
        self.manual_backward(d_loss)
        d_opt.step()
        g_loss = bce(self.discriminator(fake), ones)
        g_opt.zero_grad()
        self.manual_backward(g_loss)
        g_opt.step()
        self.log_dict({"g_loss": g_loss, "d_loss": d_loss}, prog_bar=True)
        self.seen["g_loss"].append(g_loss.item())
        self.seen["d_loss"].append(d_loss.item())
        if self.trainer.is_last_batch:  # the docs' per-epoch stepping
            g_sch.step()
            d_sch.step()

    def validation_step(self, batch: Any, index: int) -> None:
        (real,) = batch
        value = torch.sigmoid(self.discriminator(real)).mean()
        self.log("val/d_real", value)
        self.seen["val/d_real"].append(value.item())

    def configure_optimizers(self) -> Any:
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=1e-3)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=2e-3)
        sched_g = torch.optim.lr_scheduler.StepLR(opt_g, step_size=1, gamma=0.5)
        sched_d = torch.optim.lr_scheduler.StepLR(opt_d, step_size=2, gamma=self.d_gamma)
        return [opt_g, opt_d], [sched_g, sched_d]


class TwoGroups(pl.LightningModule):  # type: ignore[misc]
    """Automatic optimization: one SGD with two param groups, a per-batch schedule."""

    def __init__(self, interval: str) -> None:
        super().__init__()
        self.body = torch.nn.Linear(4, 4)
        self.head = torch.nn.Linear(4, 1)
        self.interval = interval
        self.steps: list[float] = []

    def training_step(self, batch: Any, index: int) -> torch.Tensor:
        (x,) = batch
        loss = self.head(torch.relu(self.body(x))).pow(2).mean()
        self.log("loss", loss, on_step=True, on_epoch=True)
        self.steps.append(loss.item())
        return loss

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(
            [
                {"params": self.body.parameters(), "lr": 0.1},
                {"params": self.head.parameters(), "lr": 0.01},
            ],
            momentum=0.9,
        )
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": self.interval},
        }


def fit(module: Any, out: Path, logger: Any = False, **options: Any) -> None:
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(BATCHES * 4, 4))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    callbacks: list[Any] = [LRVizCallback(out)]
    if logger:
        callbacks.append(pl.callbacks.LearningRateMonitor())
    trainer = pl.Trainer(
        max_epochs=EPOCHS,
        accelerator="cpu",
        devices=1,
        logger=logger,
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=callbacks,
        **options,
    )
    with warnings.catch_warnings():  # Lightning's notes on workers and the like are its own
        warnings.simplefilter("ignore")
        trainer.fit(module, train_dataloaders=loader, val_dataloaders=loader)


def traces(out: Path) -> dict[str, lrviz.Trace]:
    found = [lrviz.Trace.load(p) for p in sorted((out / "traces").glob("*.json"))]
    return {t.label: t for t in found}


def step_lr(lr: float, step_size: int, gamma: float, steps: int) -> list[float]:
    """torch's StepLR, stepped ``steps`` times: the rate before each step, then after."""
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


@pytest.mark.slow
def test_the_gan_records_both_optimizers_named_as_the_lr_monitor_names_them(
    tmp_path: Path,
) -> None:
    logger = Keys()
    gan = GAN(d_gamma=0.1)
    fit(gan, tmp_path / "gan", logger=logger)
    found = traces(tmp_path / "gan")
    assert sorted(found) == sorted(k for k in logger.keys if k.startswith("lr-"))
    assert sorted(found) == ["lr-Adam", "lr-Adam-1"]
    generator, discriminator = found["lr-Adam"], found["lr-Adam-1"]
    assert generator.rates() == step_lr(1e-3, 1, 0.5, EPOCHS)
    assert discriminator.rates() == step_lr(2e-3, 2, 0.1, EPOCHS)
    assert generator.params["gamma"] == 0.5 and discriminator.params["gamma"] == 0.1
    assert [e.updates for e in discriminator.epochs] == [BATCHES] * EPOCHS
    assert generator.experiment is not None and generator.experiment["interval"] == "manual"
    # Every logged value, at the epoch (one scheduler step each) it was logged in.
    for trace in (generator, discriminator):
        for name in ("g_loss", "d_loss"):
            assert trace.logged[name].value == tuple(gan.seen[name])
            assert trace.logged[name].at == tuple(k // BATCHES + 1 for k in range(12))
        validation = trace.logged["val/d_real"]
        batches = gan.seen["val/d_real"]  # averaged over each validation, as Lightning does
        means = [sum(batches[k : k + BATCHES]) / BATCHES for k in range(0, len(batches), BATCHES)]
        assert validation.value == pytest.approx(means, rel=1e-6)
        assert validation.at == (1, 2, 3, 4)


@pytest.mark.slow
def test_check_sees_a_change_of_the_discriminators_schedule(
    tmp_path: Path, runner: CliRunner
) -> None:
    fit(GAN(d_gamma=0.1), tmp_path / "a")
    fit(GAN(d_gamma=0.5), tmp_path / "b")
    a, b = (sorted((tmp_path / x / "traces").glob("*.json")) for x in "ab")
    assert [p.name for p in a] == [p.name for p in b] and len(a) == 2
    results = [runner.invoke(main, ["check", str(x), str(y)]) for x, y in zip(a, b, strict=True)]
    outputs = {p.name: (r.exit_code, r.output) for p, r in zip(a, results, strict=True)}
    assert outputs["lr-Adam.json"][0] == 0, outputs
    code, output = outputs["lr-Adam-1.json"]
    assert code == 1 and "gamma: actual 0.1, golden 0.5" in output


@pytest.mark.slow
@pytest.mark.parametrize("interval", ["step", "epoch"])
def test_automatic_optimization_keeps_steps_and_epoch_values(tmp_path: Path, interval: str) -> None:
    logger = Keys()
    module = TwoGroups(interval)
    fit(module, tmp_path / "run", logger=logger)
    (trace,) = traces(tmp_path / "run").values()
    assert trace.label == "lr-SGD" and trace.groups == 2
    assert {k for k in logger.keys if k.startswith("lr-")} == {"lr-SGD/pg1", "lr-SGD/pg2"}
    steps = EPOCHS * BATCHES if interval == "step" else EPOCHS
    assert trace.step_count == steps and trace.per_step == (interval == "step")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    exponential = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    truth = [0.1]
    for _ in range(steps):
        optimizer.step()
        exponential.step()
        truth.append(optimizer.param_groups[0]["lr"])
    assert trace.rates(0) == truth
    per_batch = trace.logged["loss_step"]
    assert per_batch.value == tuple(module.steps)
    if interval == "step":
        assert per_batch.at == tuple(range(1, steps + 1))
    else:
        assert per_batch.at == tuple(k // BATCHES + 1 for k in range(EPOCHS * BATCHES))
    epoch_ends = tuple(BATCHES * k for k in range(1, EPOCHS + 1)) if interval == "step" else None
    assert trace.logged["loss_epoch"].at == (epoch_ends or tuple(range(1, EPOCHS + 1)))
    assert [e.train_loss for e in trace.epochs] == list(trace.logged["loss_epoch"].value)


class ThreeOptimizers(pl.LightningModule):  # type: ignore[misc]
    """Manual optimization with a named scheduler, two param groups (one named), and an
    optimizer without a scheduler: every naming rule of LearningRateMonitor at once."""

    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.a, self.b, self.c, self.d = (torch.nn.Linear(4, 1) for _ in range(4))

    def training_step(self, batch: Any, index: int) -> None:
        (x,) = batch
        losses = [layer(x).pow(2).mean() for layer in (self.a, self.b, self.c, self.d)]
        for optimizer in self.optimizers():
            optimizer.zero_grad()
        self.manual_backward(sum(losses))
        for optimizer in self.optimizers():
            optimizer.step()
        for scheduler in self.lr_schedulers():
            scheduler.step()

    def configure_optimizers(self) -> Any:
        sgd = torch.optim.SGD(
            [
                {"params": self.a.parameters(), "lr": 0.1, "name": "body"},
                {"params": self.b.parameters(), "lr": 0.2},
            ]
        )
        adam = torch.optim.Adam(self.c.parameters(), lr=0.01)
        unscheduled = torch.optim.Adam(self.d.parameters(), lr=0.02)
        return [sgd, adam, unscheduled], [
            {"scheduler": torch.optim.lr_scheduler.StepLR(sgd, 2), "name": "sgd-steps"},
            {"scheduler": torch.optim.lr_scheduler.ExponentialLR(adam, 0.5)},
        ]


@pytest.mark.slow
def test_named_schedulers_groups_and_an_unscheduled_optimizer(tmp_path: Path) -> None:
    logger = Keys()
    fit(ThreeOptimizers(), tmp_path / "run", logger=logger)
    found = traces(tmp_path / "run")
    monitored = {k for k in logger.keys if not k.startswith(("epoch", "train", "val"))}
    assert monitored == {"sgd-steps/body", "sgd-steps/pg2", "lr-Adam", "lr-Adam-1"}
    assert sorted(found) == ["lr-Adam", "lr-Adam-1", "sgd-steps"]
    assert found["sgd-steps"].groups == 2 and found["sgd-steps"].name == "StepLR"
    unscheduled = found["lr-Adam-1"]
    assert unscheduled.step_count == EPOCHS * BATCHES
    assert set(unscheduled.rates()) == {0.02}


class MidEpochValidation(TwoGroups):
    def validation_step(self, batch: Any, index: int) -> None:
        (x,) = batch
        self.log("val_loss", self.head(torch.relu(self.body(x))).pow(2).mean())


@pytest.mark.slow
def test_validation_within_an_epoch_is_at_its_step(tmp_path: Path) -> None:
    fit(MidEpochValidation("step"), tmp_path / "run", val_check_interval=2)
    (trace,) = traces(tmp_path / "run").values()
    assert trace.logged["val_loss"].at == tuple(BATCHES * e + 2 for e in range(EPOCHS))
    assert all(e.val_loss is None for e in trace.epochs)  # no epoch's value


class EpochEndLogging(TwoGroups):
    def on_train_epoch_end(self) -> None:
        self.log("epoch_mark", float(self.current_epoch))


@pytest.mark.slow
def test_values_the_module_logs_at_an_epochs_end_are_kept(tmp_path: Path) -> None:
    fit(EpochEndLogging("epoch"), tmp_path / "run")
    (trace,) = traces(tmp_path / "run").values()
    assert trace.logged["epoch_mark"].value == (0.0, 1.0, 2.0, 3.0)
    assert trace.logged["epoch_mark"].at == (1, 2, 3, 4)
