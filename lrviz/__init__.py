"""lrviz: see, measure and explain what a learning-rate schedule does to training.

Public names are loaded on first use (PEP 562), so ``import lrviz`` and
``lrviz --help`` import no heavy library (torch, matplotlib, scikit-learn) before it
is needed. ``explain`` and ``compare`` are imported eagerly: each shares its name with
its module, and importing ``lrviz.explain`` (the module) would otherwise replace the
function on the package. Both modules are light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lrviz.__about__ import __version__
from lrviz.compare import compare
from lrviz.explain import explain

if TYPE_CHECKING:
    from lrviz.experiment import run_experiment as run_experiment
    from lrviz.recorder import Recorder as Recorder
    from lrviz.report import write_report as write_report
    from lrviz.simulation import simulate as simulate
    from lrviz.trace import Epoch as Epoch
    from lrviz.trace import Event as Event
    from lrviz.trace import Trace as Trace

_EXPORTS = {
    "Epoch": "lrviz.trace",
    "Event": "lrviz.trace",
    "Recorder": "lrviz.recorder",
    "Trace": "lrviz.trace",
    "run_experiment": "lrviz.experiment",
    "simulate": "lrviz.simulation",
    "write_report": "lrviz.report",
}

__all__ = [*sorted(_EXPORTS), "__version__", "compare", "explain"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lrviz' has no attribute {name!r}")
