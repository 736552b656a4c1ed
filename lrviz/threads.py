"""torch's intra-op threads: how lrviz keeps them from waiting on each other.

torch runs an operation over its intra-op threads (two on a 2-core machine) as an
OpenMP parallel region, and MKL makes one or two regions of every matrix product,
however small (and of ``sqrt`` on each contiguous slab). At every region's start and
end the threads meet; by default (GNU OpenMP) a waiting thread spins for up to 300,000
pauses (~7.5 ms on the development machine) before it sleeps. On an idle machine the
other thread arrives within microseconds. When another process holds a core, the
awaited thread is often descheduled while the spinning one burns the other core:
a 150-run sweep's ~240,000 regions then took minutes instead of a second.

lrviz changes *how* threads wait and *where* one thread is enough, never how many
threads take part in an operation whose bits depend on it (with one thread, MKL gives
other last bits for some products, and a chaotic seed then ends elsewhere):

* ``lrviz`` (:func:`lrviz.cli.entry`) sets ``OMP_WAIT_POLICY=PASSIVE`` before torch is
  imported, unless it is set: waiting threads sleep at once. A sleeping thread takes no
  core from the one it waits for, and the scheduler wakes it promptly. The work is split
  as before, so the numbers are the same; waking a thread costs tens of microseconds,
  ~0.3 s over the ~6,000 regions of ``lrviz run``'s three exact-path runs.
* :func:`one_thread`: the batched engine (:mod:`lrviz.batched`) computes its products in
  one thread the way its probe shows gives the exact path's bits, and its Adam's
  ``sqrt``, division and addition (correctly rounded, so their bits cannot depend on
  the threads) in one thread: a sweep's training starts ~1,600 regions, not ~240,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_thread(enabled: bool = True) -> Iterator[None]:
    """torch's operations inside the block run in one thread (when ``enabled``); the
    thread count is restored after it.

    ``torch.set_num_threads`` also turns MKL's dynamic thread count off for the rest of
    the process; the exact path's numbers are the same either way (tested).
    """
    import torch

    threads = torch.get_num_threads()
    if not enabled or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
