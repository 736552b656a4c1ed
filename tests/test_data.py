"""lrviz.data replaces sklearn's load_wine and train_test_split: equal, value for value."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

from lrviz import data


def test_wine_arrays_equal_load_wine() -> None:
    features, target = data.load_wine_arrays()
    wine = load_wine()
    np.testing.assert_array_equal(features, wine.data)
    np.testing.assert_array_equal(target, wine.target)
    assert features.dtype == wine.data.dtype


@pytest.mark.parametrize("n", [10, 97, 178, 1000])
def test_split_indices_equal_train_test_split(n: int) -> None:
    train, test = data.split_indices(n)
    expected_train, expected_test = train_test_split(np.arange(n), test_size=0.2, random_state=42)
    np.testing.assert_array_equal(train, expected_train)
    np.testing.assert_array_equal(test, expected_test)


def test_load_gives_the_lessons_tensors() -> None:
    wine = load_wine()
    x = torch.tensor(wine.data, dtype=torch.float32)
    y = torch.tensor(wine.target, dtype=torch.long)
    expected = train_test_split(x, y, test_size=0.2, random_state=42)
    split = data.load()
    for got, want in zip(
        (split.x_train, split.x_valid, split.y_train, split.y_valid), expected, strict=True
    ):
        assert got.dtype == want.dtype
        assert torch.equal(got, want)


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'iris'; available: wine"):
        data.load("iris")
