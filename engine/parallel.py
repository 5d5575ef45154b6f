"""Many independent portfolios over the cores: one serial Numba kernel per chunk, chunks on threads.

The sweep kernels (:func:`aibt.engine.nb.simulate_range_nb`, :func:`aibt.strategies.rotation_nb.rotation_range_nb`)
are compiled ``nogil=True`` and run portfolios ``[c0, c1)`` into arrays the caller allocated, so the
parallelism lives here instead of in a ``parallel=True`` kernel. Same results (every portfolio is
computed alone, in the same order of operations), and no parfor to compile: ``aibt run``'s cold start
spent 6.7 s of 44 s compiling the rotation sweep's ``prange`` loop on a 2-core machine.

``NUMBA_NUM_THREADS`` (or :func:`numba.set_num_threads`) sets how many threads run, as it did for
``prange``; chunks are handed out dynamically, so a chunk of slow (daily-rebalancing) combinations does
not hold up the rest.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable


def threads() -> int:
    """The number of threads the sweep kernels use (Numba's setting)."""
    import numba

    return max(1, int(numba.get_num_threads()))


def run_chunks(kernel: Callable[[int, int], object], n: int, n_threads: int | None = None) -> None:
    """Call ``kernel(c0, c1)`` over ``[0, n)`` in chunks, on ``n_threads`` threads (default :func:`threads`).

    ``kernel`` must release the GIL (a ``nogil`` Numba kernel) for the threads to run at once. An exception
    in a chunk, or an interrupt, is raised here once the chunks already running have finished; the chunks
    not yet started are not run.
    """
    k = threads() if n_threads is None else max(1, int(n_threads))
    if n <= 0:
        return
    if k == 1 or n == 1:
        kernel(0, n)
        return
    size = max(1, -(-n // (k * 8)))  # about 8 chunks per thread
    pool = ThreadPoolExecutor(max_workers=k)
    try:
        for f in [pool.submit(kernel, a, min(a + size, n)) for a in range(0, n, size)]:
            f.result()
    except BaseException:
        # a failed chunk or an interrupt (Ctrl-C): chunks not started are dropped, so the call ends once
        # the running ones (each about 1/8 of a thread's share) finish
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
