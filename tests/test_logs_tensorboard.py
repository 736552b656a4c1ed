"""TensorBoard event files written by torch's own ``SummaryWriter`` become traces: the
rates as logged (float32), at their steps, one trace per run of a folder, param groups
of one optimizer together (Lightning's LearningRateMonitor tags), and bad files refused
in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.tensorboard import SummaryWriter

from lrviz.logs import kind_of, load_traces, read_log
from lrviz.logs import tensorboard as tb
from lrviz.trace import Trace


def cosine_rates(steps: int) -> list[float]:
    """The rate each of ``steps`` updates of a real CosineAnnealingLR used."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    out = []
    for _ in range(steps):
        out.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return out


def write(folder: Path, scalars: dict[str, list[tuple[int, float]]]) -> None:
    writer = SummaryWriter(str(folder))
    for tag, points in scalars.items():
        for step, value in points:
            writer.add_scalar(tag, value, step)
    writer.close()


def float32(values: list[float]) -> list[float]:
    return np.asarray(values, dtype=np.float32).astype(float).tolist()


def test_summary_writer_rates_are_read_as_logged_at_their_steps(tmp_path: Path) -> None:
    truth = cosine_rates(40)
    # Logged every 5 steps (steps 1, 6, 11, ...), with a loss tag beside it.
    points = [(s, truth[s - 1]) for s in range(1, 41, 5)]
    write(tmp_path / "run", {"lr": points, "loss": [(s, 1.0 / s) for s in range(1, 41)]})
    (trace,) = read_log(tmp_path / "run")
    assert trace.meta["source"] == "import" and trace.meta["log"] == "tensorboard"
    assert trace.meta["rates"] == "as logged, float32"
    assert trace.meta["run"] == "run" and trace.label == "run"
    assert trace.steps is not None and trace.steps.at == tuple(s for s, _ in points)
    assert list(trace.steps.lr[0]) == float32([v for _, v in points])
    assert trace.experiment is None and trace.optimizer is None
    assert trace.name == "unknown"


def test_a_trace_with_logged_steps_survives_its_file(tmp_path: Path) -> None:
    write(tmp_path / "run", {"lr": [(s, 0.1 / (s + 1)) for s in range(0, 30, 10)]})
    (trace,) = read_log(tmp_path / "run")
    trace.save(tmp_path / "t.json")
    again = Trace.load(tmp_path / "t.json")
    assert again == trace and again.steps is not None and again.steps.at == (0, 10, 20)


def test_a_folder_of_runs_gives_one_trace_per_run_named_by_its_folder(tmp_path: Path) -> None:
    write(tmp_path / "runs" / "a", {"lr": [(1, 0.1), (2, 0.05)]})
    write(tmp_path / "runs" / "b" / "seed1", {"train/lr": [(1, 0.2), (2, 0.1)]})
    write(tmp_path / "runs" / "c", {"loss": [(1, 0.5)]})  # no rate: not a trace
    with pytest.raises(ValueError, match=r"tfevents.*': no learning-rate tag"):
        read_log(tmp_path / "runs" / "c")
    traces = read_log(tmp_path / "runs")
    assert [t.label for t in traces] == ["a", "b/seed1"]
    assert [t.rates() for t in traces] == [float32([0.1, 0.05, 0.05]), float32([0.2, 0.1, 0.1])]


def test_lightning_monitor_tags_are_one_optimizers_groups_and_momenta(tmp_path: Path) -> None:
    # LearningRateMonitor(log_momentum=True) over an optimizer of two param groups: at
    # step s, the rate before update s + 1.
    write(
        tmp_path / "v0",
        {
            "lr-SGD/pg1": [(0, 0.1), (1, 0.05)],
            "lr-SGD/pg2": [(0, 0.2), (1, 0.1)],
            "lr-SGD/pg1-momentum": [(0, 0.9), (1, 0.9)],
            "lr-SGD/pg2-momentum": [(0, 0.8), (1, 0.8)],
            "epoch": [(0, 0), (1, 0)],
        },
    )
    (trace,) = read_log(tmp_path / "v0")
    assert trace.groups == 2 and trace.steps is not None
    assert trace.steps.at is None  # steps 0, 1 moved to the updates 1, 2 that used them
    assert trace.steps.lr == (tuple(float32([0.1, 0.05])), tuple(float32([0.2, 0.1])))
    assert trace.steps.momentum == (tuple(float32([0.9, 0.9])), tuple(float32([0.8, 0.8])))


def test_hf_callback_tags_stay_at_their_steps_with_epochs_and_losses(tmp_path: Path) -> None:
    write(
        tmp_path / "hf",
        {
            "train/learning_rate": [(2, 0.1), (4, 0.05)],
            "train/loss": [(2, 1.0), (4, 0.5)],
            "train/epoch": [(2, 0.5), (4, 1.0)],
            "eval/loss": [(4, 0.7)],
        },
    )
    (trace,) = read_log(tmp_path / "hf")
    assert trace.steps is not None and trace.steps.at == (2, 4)
    (epoch,) = trace.epochs
    assert (epoch.epoch, epoch.train_loss, epoch.val_loss) == (1, 0.5, pytest.approx(0.7))


def test_two_optimizers_are_two_traces(tmp_path: Path) -> None:
    write(tmp_path / "gan", {"lr-Adam": [(0, 1e-3)], "lr-Adam-1": [(0, 2e-3)]})
    assert [t.label for t in read_log(tmp_path / "gan")] == ["gan/lr-Adam", "gan/lr-Adam-1"]


def test_a_step_written_again_after_a_resume_keeps_its_last_value(tmp_path: Path) -> None:
    write(tmp_path / "run", {"lr": [(1, 0.1), (2, 0.1), (3, 0.1)]})
    write(tmp_path / "run", {"lr": [(3, 0.01), (4, 0.01)]})  # a second file, later
    (trace,) = read_log(tmp_path / "run")
    assert trace.rates() == float32([0.1, 0.1, 0.01, 0.01, 0.01])


def test_new_style_tensor_scalars_are_read_as_float32(tmp_path: Path) -> None:
    writer = SummaryWriter(str(tmp_path / "run"))
    writer.add_scalar("lr", 0.1, 1, new_style=True)
    writer.add_scalar("lr", 0.3, 2, new_style=True)
    writer.close()
    (trace,) = read_log(tmp_path / "run")
    assert trace.rates()[:2] == float32([0.1, 0.3])


def event_file(folder: Path) -> Path:
    (path,) = folder.glob("*tfevents*")
    return path


def test_a_truncated_event_file_is_one_line_naming_it(tmp_path: Path) -> None:
    write(tmp_path / "run", {"lr": [(s, 0.1) for s in range(10)]})
    path = event_file(tmp_path / "run")
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match=r"tfevents.*: truncated event file \(the record at"):
        read_log(path)


def test_a_corrupt_record_fails_its_crc_when_asked(tmp_path: Path) -> None:
    write(tmp_path / "run", {"lr": [(s, 0.1) for s in range(3)]})
    path = event_file(tmp_path / "run")
    data = bytearray(path.read_bytes())
    data[-6] ^= 0xFF  # inside the last record's float
    path.write_bytes(bytes(data))
    assert len(tb.read(path)) == 1  # unchecked: the record still decodes
    with pytest.raises(ValueError, match="fails its CRC check"):
        tb.read(path, check_crc=True)


def test_not_a_log_and_trace_files_are_told_apart(tmp_path: Path) -> None:
    write(tmp_path / "run", {"lr": [(1, 0.1), (2, 0.05)]})
    (trace,) = load_traces(tmp_path / "run")
    trace.save(tmp_path / "t.json.gz")
    assert load_traces(tmp_path / "t.json.gz") == [trace]
    assert kind_of(tmp_path / "run") == "tensorboard"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"empty'?: not a log lrviz reads"):
        read_log(tmp_path / "empty")


def test_a_record_that_is_no_event_is_one_line_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path / "run", {"lr": [(1, 0.1)]})
    path = event_file(tmp_path / "run")
    data = bytearray(path.read_bytes())
    first = int.from_bytes(data[:8], "little")  # the file_version record
    data[12 : 12 + first] = b"\xff" * first
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"tfevents.*': record at byte 12 is no Event"):
        read_log(path)


def test_rate_tags_named_by_the_caller(tmp_path: Path) -> None:
    write(tmp_path / "run", {"eta": [(1, 0.5), (2, 0.25)], "lr": [(1, 0.1), (2, 0.1)]})
    (trace,) = read_log(tmp_path / "run", rates=["eta"])
    assert trace.rates() == [0.5, 0.25, 0.25]
