"""The lesson's data: scikit-learn's Wine set and its 80/20 split, without importing sklearn.

Importing scikit-learn costs about a second (scipy.stats alone is a third of it), more
than lrviz's whole training run. The Wine CSV ships inside the scikit-learn package, so
we read it straight from there, and reproduce ``train_test_split(test_size=0.2,
random_state=42)`` with the same NumPy permutation. ``tests/test_data.py`` checks both
against scikit-learn itself, value for value.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import torch

DATASETS = ("wine",)
TEST_SIZE = 0.2
SPLIT_SEED = 42


@dataclass(frozen=True)
class Split:
    """Float32 features and int64 labels, split into training and validation sets."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor


def wine_csv() -> Path:
    """The path of the Wine CSV inside the installed scikit-learn package."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("scikit-learn is not installed; lrviz reads its Wine data set")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "wine_data.csv"


def load_wine_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Wine features (float64, 178x13) and targets (int), as ``sklearn.datasets.load_wine``."""
    import numpy as np

    table = np.loadtxt(wine_csv(), delimiter=",", skiprows=1, dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(int)


def split_indices(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices of ``train_test_split(test_size=0.2, random_state=42)``."""
    import numpy as np

    n_test = math.ceil(TEST_SIZE * n_samples)
    n_train = n_samples - n_test
    permutation = np.random.RandomState(SPLIT_SEED).permutation(n_samples)
    return permutation[n_test : n_test + n_train], permutation[:n_test]


def load(dataset: str = "wine") -> Split:
    """The lesson's tensors: ``torch.tensor(wine.data, float32)`` split 80/20 with seed 42."""
    import torch

    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; available: {', '.join(DATASETS)}")
    data, target = load_wine_arrays()
    x = torch.tensor(data, dtype=torch.float32)
    y = torch.tensor(target, dtype=torch.long)
    train, test = (torch.from_numpy(i) for i in split_indices(len(data)))
    return Split(x_train=x[train], y_train=y[train], x_valid=x[test], y_valid=y[test])
