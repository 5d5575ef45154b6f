"""Many independent portfolios over the cores: one serial Numba kernel per chunk, chunks on threads.

The sweep kernels (:func:`aibt.engine.nb.simulate_range_nb`, :func:`aibt.strategies.rotation_nb.rotation_range_nb`)
are compiled ``nogil=True`` and run portfolios ``[c0, c1)`` into arrays the caller allocated, so the
parallelism lives here instead of in a ``parallel=True`` kernel. Same results (every portfolio is
computed alone, in the same order of operations), and no parfor to compile: ``aibt run``'s cold start
spent 6.7 s of 44 s compiling the rotation sweep's ``prange`` loop on a 2-core machine.

``NUMBA_NUM_THREADS`` (or :func:`numba.set_num_threads`) sets how many threads run, as it did for
``prange``; chunks are handed out dynamically, so a chunk of slow (daily-rebalancing) combinations does
not hold up the rest. The calling thread runs chunks too, beside ``k - 1`` worker threads that are
started once per process and thread count and kept (starting two threads cost about 1.3 ms a sweep,
a tenth of a 135-combination one).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable

_POOL: ThreadPoolExecutor | None = None
_POOL_FOR: tuple[int, int] = (0, 0)  # (process id, threads) the pool was started for
_POOL_LOCK = threading.Lock()


def _pool(k: int) -> ThreadPoolExecutor:
    """The kept pool of ``k`` worker threads of this process (a new one after a fork or another ``k``)."""
    global _POOL, _POOL_FOR
    with _POOL_LOCK:
        want = (os.getpid(), k)
        if _POOL is None or _POOL_FOR != want:
            if _POOL is not None and _POOL_FOR[0] == want[0]:
                _POOL.shutdown(wait=False)  # idle workers of the old thread count end
            _POOL = ThreadPoolExecutor(max_workers=k, thread_name_prefix="aibt-chunks")
            _POOL_FOR = want
        return _POOL


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
    bounds = [(a, min(a + size, n)) for a in range(0, n, size)]
    lock = threading.Lock()
    claimed = [0]
    stop = [False]

    def claim_chunks() -> None:
        # the calling thread and k - 1 kept workers take the next chunk as they free up
        while True:
            with lock:
                if stop[0] or claimed[0] >= len(bounds):
                    return
                i = claimed[0]
                claimed[0] += 1
            try:
                kernel(*bounds[i])
            except BaseException:
                stop[0] = True
                raise

    helpers = [_pool(k - 1).submit(claim_chunks) for _ in range(k - 1)]
    try:
        claim_chunks()  # the caller works too instead of waiting (a woken thread costs more than a chunk)
        for f in helpers:
            f.result()
    except BaseException:
        # a failed chunk or an interrupt (Ctrl-C): chunks not started are dropped, so the call ends once
        # the running ones (each about 1/8 of a thread's share) finish
        stop[0] = True
        wait(helpers)
        raise
