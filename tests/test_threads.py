"""One thread for a block of torch operations, the thread count restored after it, and
the exact path's numbers unchanged by it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from lrviz.threads import one_thread


def test_one_thread_inside_and_the_count_restored_after() -> None:
    threads = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == threads
    with one_thread(False):
        assert torch.get_num_threads() == threads
    with pytest.raises(KeyError), one_thread():
        raise KeyError("even after an error")
    assert torch.get_num_threads() == threads


EXACT = """
import sys
from lrviz import data, training
from lrviz.experiment import Experiment
from lrviz.threads import one_thread
if sys.argv[1] == "after":
    with one_thread():  # as a sweep does before it trains: MKL's dynamic threads go off
        pass
experiment = Experiment(seeds=(26,))
traces = training.train_each(data.load(), training.plan(experiment), experiment)
print(repr([trace.epochs for trace in traces]))
"""


def test_the_exact_path_gives_the_same_numbers_after_one_thread() -> None:
    # Fresh processes: this one may have switched threads already. Seed 26 is chaotic.
    runs = [
        subprocess.run(
            [sys.executable, "-c", EXACT, when],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout
        for when in ("fresh", "after")
    ]
    assert runs[0] == runs[1]
    assert "epoch=100" in runs[0]
