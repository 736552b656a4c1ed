"""TensorBoard event files and folders of runs, decoded with TensorBoard's own protos.

An event file is a sequence of TFRecords: a little-endian u64 length, the masked
CRC-32C of those 8 bytes, the record, the masked CRC-32C of the record. Each record is
an ``Event`` protobuf, decoded here by the ``tensorboard`` package
(``event_pb2.Event.FromString``); only the framing is read by hand, because
TensorBoard's ``EventAccumulator`` takes 8 to 10 times longer on a million scalars
(``benchmarks/tensorboard_import.py``). CRCs are checked on request (``check_crc``):
TensorBoard's CRC-32C is pure Python, slower than the decoding.

A folder's runs are its folders holding event files (``runs/a``, ``runs/b``), named by
their path under it, as TensorBoard names them; a run's several files (a resumed run)
are read in order, a step written again keeping its last value. Scalars are the
``simple_value`` ``SummaryWriter`` writes (float32) or a scalar tensor.

Needs ``pip install 'lrviz[tensorboard]'``.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lrviz.logs._runs import Run, is_rate, to_traces, writer_shift
from lrviz.logs.hf_trainer_state import epoch_number
from lrviz.trace import Trace

KIND = "tensorboard"
EXTRA = "tensorboard"
"""The extra that installs the decoder: ``pip install 'lrviz[tensorboard]'``."""
_HEADER = struct.Struct("<QI")


def is_event_file(path: Path) -> bool:
    """Whether a file is named as TensorBoard names event files."""
    return ".tfevents." in path.name or path.name.startswith("events.out.tfevents")


def event_files(path: Path) -> dict[str, list[Path]]:
    """The event files under ``path`` (a file or a folder), by run name, in order."""
    if path.is_file():
        return {path.resolve().parent.name: [path]}
    runs: dict[str, list[Path]] = {}
    for file in sorted(p for p in path.rglob("*") if p.is_file() and is_event_file(p)):
        folder = file.parent.relative_to(path).as_posix()
        runs.setdefault(path.resolve().name if folder == "." else folder, []).append(file)
    return runs


def read(
    path: str | os.PathLike[str],
    rates: Sequence[str] | None = None,
    check_crc: bool = False,
) -> list[Trace]:
    """The traces of an event file or a folder of runs: one per run (and optimizer).

    Args:
        path: An event file, or a folder with event files in it or below.
        rates: The rate tags, in param-group order, when their names do not say so.
        check_crc: Check every record's CRC-32C (slow: pure Python).

    Raises:
        ValueError: tensorboard is not installed, no event file, a truncated or corrupt
            file, or no learning rate (a folder's runs without one are left out); the
            message names the file.
    """
    _decoder()  # the extra, checked before any file is read
    root = Path(path)
    runs = event_files(root)
    if not runs:
        raise ValueError(f"{os.fspath(path)!r}: no TensorBoard event file (*.tfevents.*) in it")
    traces: list[Trace] = []
    for name, files in runs.items():
        scalars: dict[str, dict[int, float]] = {}
        double = False
        for file in files:
            double |= _read_scalars(file, scalars, check_crc)
        where = os.fspath(files[0] if len(files) == 1 else files[0].parent)
        shift = writer_shift(rates or scalars)
        if len(runs) > 1 and not any(map(is_rate, rates or scalars)):
            continue  # a folder of runs: one of only losses (an eval run) is not a trace
        run = Run(name=name, scalars=scalars, epochs=_epochs(scalars))
        traces += to_traces(
            run, KIND, where, shift=shift, precision=None if double else "float32", rates=rates
        )
    return traces


def _epochs(scalars: dict[str, dict[int, float]]) -> dict[int, float]:
    """``step -> 1-based epoch`` from Lightning's ``epoch`` (0-based, whole) or HF's
    ``train/epoch`` (progress: 0.5 is half of epoch 1)."""
    if "epoch" in scalars:
        return {s: e + 1 for s, e in scalars["epoch"].items()}
    if "train/epoch" in scalars:
        return {s: epoch_number(e) for s, e in scalars["train/epoch"].items()}
    return {}


def _read_scalars(file: Path, scalars: dict[str, dict[int, float]], check_crc: bool) -> bool:
    """Add the file's scalars to ``scalars``; whether any was a float64."""
    crc = _masked_crc32c() if check_crc else None
    with file.open("rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False
        # Mapped, not read: event files with images run to gigabytes.
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    with data:
        return _read_records(file, data, scalars, crc)


def _read_records(
    file: Path,
    data: mmap.mmap,
    scalars: dict[str, dict[int, float]],
    crc: Callable[[Any], int] | None,
) -> bool:
    """Add the scalars of the records in ``data`` to ``scalars``; whether any was a
    float64."""
    from google.protobuf.message import DecodeError

    decode = _decoder()
    end = len(data)
    pos = 0
    double = False
    while pos < end:
        if pos + 12 > end:
            raise ValueError(
                f"{os.fspath(file)!r}: truncated event file (the record header at byte "
                f"{pos} is cut off)"
            )
        length, length_crc = _HEADER.unpack_from(data, pos)
        start = pos + 12
        stop = start + length
        if stop + 4 > end:
            raise ValueError(
                f"{os.fspath(file)!r}: truncated event file (the record at byte {pos} "
                f"needs {length + 16} bytes, {end - pos} are left)"
            )
        body = data[start:stop]
        if crc is not None:
            _check(file, pos, crc, data[pos : pos + 8], length_crc)
            _check(file, pos, crc, body, struct.unpack_from("<I", data, stop)[0])
        pos = stop + 4
        try:
            event = decode(body)
        except DecodeError as exc:
            raise ValueError(
                f"{os.fspath(file)!r}: record at byte {start} is no Event ({exc})"
            ) from None
        if not event.HasField("summary"):
            continue
        step = event.step
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                scalars.setdefault(value.tag, {})[step] = value.simple_value
            elif kind == "tensor":
                number = _tensor_scalar(value.tensor)
                if number is not None:
                    scalars.setdefault(value.tag, {})[step] = number[0]
                    double |= number[1]
    return double


def _decoder() -> Callable[[Any], Any]:
    """TensorBoard's own ``Event`` decoder.

    Raises:
        ValueError: tensorboard is not installed (saying which extra installs it).
    """
    try:
        from tensorboard.compat.proto import event_pb2
    except ImportError:
        raise ValueError(
            f"TensorBoard event files need the tensorboard package: pip install 'lrviz[{EXTRA}]'"
        ) from None
    decode: Callable[[Any], Any] = event_pb2.Event.FromString
    return decode


def _tensor_scalar(tensor: Any) -> tuple[float, bool] | None:
    """A scalar tensor's value and whether it is a float64 (``SummaryWriter(...,
    new_style=True)``, TensorFlow 2's ``tf.summary.scalar``)."""
    if tensor.tensor_shape.dim:
        return None
    if tensor.float_val:
        return float(tensor.float_val[0]), False
    if tensor.double_val:
        return float(tensor.double_val[0]), True
    content = tensor.tensor_content
    if tensor.dtype == 1 and len(content) == 4:  # DT_FLOAT
        return struct.unpack("<f", content)[0], False
    if tensor.dtype == 2 and len(content) == 8:  # DT_DOUBLE
        return struct.unpack("<d", content)[0], True
    return None


def _masked_crc32c() -> Callable[[Any], int]:
    # Imported only when asked for: the stub pulls in more of TensorBoard.
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    crc: Callable[[Any], int] = masked_crc32c
    return crc


def _check(file: Path, pos: int, crc: Callable[[Any], int], data: Any, expected: int) -> None:
    if crc(bytes(data)) != expected:
        raise ValueError(f"{os.fspath(file)!r}: the record at byte {pos} fails its CRC check")
