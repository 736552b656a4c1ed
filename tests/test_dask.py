"""A sweep beyond one machine: joblib's dask backend runs ``--exact --jobs`` runs on a
``dask.distributed`` cluster (here a LocalCluster of two worker processes), and every
trace is the one the same run gives in this process."""

from __future__ import annotations

import pytest
import torch

from lrviz import training
from lrviz.experiment import Experiment
from lrviz.spec import parse_spec

distributed = pytest.importorskip("dask.distributed", reason="the dask extra")


@pytest.mark.slow
def test_an_exact_sweep_on_a_dask_cluster_is_the_sweep_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from joblib import parallel_config

    # Seed 26 is chaotic: another thread count in the workers would change its numbers.
    experiment = Experiment(seeds=(0, 26), epochs=30, schedules=(parse_spec("plateau"),))
    here = training.run(experiment, exact=True)
    threads = str(torch.get_num_threads())
    # dask's workers default to one BLAS thread; give them this process's count.
    environ = {name: threads for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    for name, value in environ.items():  # the nanny sets them here too; undone after
        monkeypatch.setenv(name, value)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            env=environ,
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        there = training.run(experiment, exact=True, jobs=2)
    assert there == here
