"""A sweep of the lesson's model over many seeds on a dask cluster.

    pip install 'lrviz[dask]'
    python examples/dask_sweep.py                 # a cluster on this machine
    python examples/dask_sweep.py tcp://host:8786 # a real one: its scheduler's address

Every run trains on the exact path (the lesson's loop) in a worker; the traces are the
ones this machine gives, provided the workers compute with the same number of threads.
"""

import sys

import torch
from dask.distributed import Client, LocalCluster
from joblib import parallel_config

from lrviz import training, write_report
from lrviz.experiment import Experiment

if __name__ == "__main__":  # dask starts its workers as new processes
    experiment = Experiment(seeds=tuple(range(8)), epochs=50)
    threads = {"OMP_NUM_THREADS": str(torch.get_num_threads())}
    if len(sys.argv) > 1:
        client = Client(sys.argv[1])  # the workers' environment is the cluster's own
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, env=threads)
        client = Client(cluster)
    with client, parallel_config(backend="dask"):
        traces = training.run(experiment, exact=True, jobs=len(experiment.seeds))
    print("report:", write_report(traces, "reports/dask"))
