"""lrviz: see, measure and explain what a learning-rate schedule does to training.

Public names are loaded on first use (PEP 562), so ``import lrviz`` and
``lrviz --help`` import neither lrviz's modules nor any heavy library (torch,
matplotlib, scikit-learn) before they are needed. (No module is named like a public
function: importing it would replace the function on the package.)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lrviz.__about__ import __version__

if TYPE_CHECKING:
    from lrviz.comparison import compare as compare
    from lrviz.explanation import explain as explain
    from lrviz.recorder import Recorder as Recorder
    from lrviz.report import write_report as write_report
    from lrviz.simulation import simulate as simulate
    from lrviz.trace import Epoch as Epoch
    from lrviz.trace import Event as Event
    from lrviz.trace import Trace as Trace
    from lrviz.training import run_experiment as run_experiment

_EXPORTS = {
    "Epoch": "lrviz.trace",
    "Event": "lrviz.trace",
    "Recorder": "lrviz.recorder",
    "Trace": "lrviz.trace",
    "compare": "lrviz.comparison",
    "explain": "lrviz.explanation",
    "run_experiment": "lrviz.training",
    "simulate": "lrviz.simulation",
    "write_report": "lrviz.report",
}

__all__ = [
    "Epoch",
    "Event",
    "Recorder",
    "Trace",
    "__version__",
    "compare",
    "explain",
    "run_experiment",
    "simulate",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lrviz' has no attribute {name!r}")
