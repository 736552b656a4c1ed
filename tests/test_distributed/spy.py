"""Marks each call of a function with a file naming the global rank that made it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import torch.distributed as dist


def spy(module: Any, name: str, out: Path) -> None:
    """Wrap ``module.name`` so that each call touches ``out/called-<name>-<rank>``."""
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rank = dist.get_rank() if dist.is_initialized() else 0
        (out / f"called-{name}-{rank}").touch()
        return original(*args, **kwargs)

    setattr(module, name, wrapper)
