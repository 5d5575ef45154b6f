"""The shared day step's cost: single-thread CPU time of the W1 rotation sweep on three grids.

* ``daily``: 150 combinations that all rebalance every session (rebalance-bound);
* ``idle``: the same 150 with a 126-session period (sessions without work dominate);
* ``w1_750``: W1's 750-combination grid.

CPU time (``time.process_time``, ``NUMBA_NUM_THREADS=1``), best of 5 after a warm-up, so that other jobs
on a shared machine move the numbers less than wall time would. Run it on two checkouts to compare a
change (issue 10: the hand-unrolled rotation loop at 49b5dc6 against the engine's shared day step).

    NUMBA_NUM_THREADS=1 python benchmarks/bench_day_loop.py
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_w1_rotation as w1  # noqa: E402


def cpu_best(setup, repeat: int = 5) -> float:
    from aibt.strategies.rotation import run_sweep

    run_sweep(setup)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        run_sweep(setup)
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    from aibt.strategies.rotation import ParamGrid

    if os.environ.get("NUMBA_NUM_THREADS") != "1":
        raise SystemExit("run with NUMBA_NUM_THREADS=1 (CPU time of one thread)")
    panel = w1.w1_panel()
    grids = {
        "daily": ParamGrid((20, 40, 60, 90, 120), (1, 2, 3, 4, 5), (1,), ("equal", "inv_vol"), (0, 20, 60)),
        "idle": ParamGrid((20, 40, 60, 90, 120), (1, 2, 3, 4, 5), (126,), ("equal", "inv_vol"), (0, 20, 60)),
        "w1_750": w1.grid_for(750),
    }
    for name, grid in grids.items():
        s = cpu_best(w1.setup_for(panel, grid))
        per = s / (grid.size * len(panel.dates)) * 1e9
        print(f"{name:7s} {grid.size:5d} combinations  {s:7.3f} s CPU  {per:7.1f} ns per combination-session")


if __name__ == "__main__":
    main()
