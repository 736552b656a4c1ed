"""lrviz: see, measure and explain what a learning-rate schedule does to training.

Public names are loaded on first use (PEP 562), so ``import lrviz`` and
``lrviz --help`` import neither lrviz's own modules nor any heavy library (torch,
matplotlib, scikit-learn) before they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lrviz.__about__ import __version__

if TYPE_CHECKING:
    from lrviz.experiment import run_experiment
    from lrviz.explain import explain
    from lrviz.recorder import Recorder
    from lrviz.report import write_report
    from lrviz.trace import Epoch, Event, Trace

_EXPORTS = {
    "Epoch": "lrviz.trace",
    "Event": "lrviz.trace",
    "Recorder": "lrviz.recorder",
    "Trace": "lrviz.trace",
    "explain": "lrviz.explain",
    "run_experiment": "lrviz.experiment",
    "write_report": "lrviz.report",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lrviz' has no attribute {name!r}")
