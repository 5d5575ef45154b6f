"""W1: top-K momentum rotation sweep, aibt vs vectorbt, 135 / 750 / 10^4 / 10^5 combinations.

Workload: the 16 snapshot stocks (sorted codes) that trade on every one of the snapshot's last 1500
sessions; every stock its own sleeve (``asset_sleeves``); the grid varies lookback, top K, rebalance
period, weighting (equal / inverse volatility) and trend filter; target-percent rebalancing with shared
cash, fractional shares (no A-share rules), adjusted prices (``Panel.as_total_return``: dividends in kind, as
vectorbt has no corporate actions), 0.1 % proportional fee, targets decided at the close of t
fill at the open of t + 1.

* aibt: ``prepare`` (signals shared by all combinations) + ``run_sweep`` (Numba kernel computing each
  combination's targets on the fly, summary metrics only).
* vectorbt: ``Portfolio.from_orders(size_type='targetpercent', group_by=combination, cash_sharing=True,
  call_seq='auto')`` on the broadcast target weights [T, C x 16] (built beforehand by a vectorised
  numpy reference of the strategy: that build is timed separately and *not* counted in vectorbt's time).

Each (engine, size) runs in a fresh subprocess: warm-up on a small grid (JIT compile), then the timed
run (best of ``--repeat``), peak RSS from ``resource.getrusage`` of that process. Agreement: the final
value of every combination vectorbt ran is compared with aibt's (relative difference).

    python benchmarks/bench_w1_rotation.py [--sizes 135,750,10000,100000] [--vbt-max 750] [--repeat 3]
                                           [--json benchmarks/results/w1_rotation.json]

Both engines are also timed in CPU seconds (``process_time``, all threads of the process); with
``NUMBA_NUM_THREADS=1`` that is one core each (vectorbt's ``from_orders`` is single-threaded anyway), the
comparison least disturbed by other jobs on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_ASSETS = 16
N_SESSIONS = 1500
FEE = 0.001
INIT_CASH = 10_000_000.0


def grid_for(size: int):
    """The parameter grid of each workload size (Cartesian products of exactly ``size`` combinations)."""
    from aibt.strategies.rotation import ParamGrid

    grids = {
        135: ParamGrid((20, 40, 60, 90, 120), (1, 2, 3), (5, 10, 21), ("equal",), (0, 20, 60)),
        750: ParamGrid((20, 40, 60, 90, 120), (1, 2, 3, 4, 5), (1, 5, 10, 21, 42), ("equal", "inv_vol"),
                       (0, 20, 60)),
        10_000: ParamGrid(tuple(range(10, 110, 10)), tuple(range(1, 11)), (1, 2, 3, 5, 10, 15, 21, 42, 63, 126),
                          ("equal", "inv_vol"), (0, 20, 50, 100, 200)),
        100_000: ParamGrid(tuple(range(5, 130, 5)), tuple(range(1, 11)), tuple(range(1, 21)),
                           ("equal", "inv_vol"), (0, 10, 20, 30, 40, 60, 80, 100, 150, 200)),
    }
    if size not in grids:
        raise SystemExit(f"no grid of size {size}; choose from {sorted(grids)}")
    g = grids[size]
    assert g.size == size
    return g


def w1_panel():
    """16 stocks x 1500 sessions of the embedded snapshot, all tradable on every session."""
    from aibt.data.snapshot import load_securities, load_snapshot

    sec = load_securities().set_index("symbol")
    full = load_snapshot()
    tr = full.tradable[-N_SESSIONS:]
    codes = sorted(s for j, s in enumerate(full.symbols) if tr[:, j].all() and sec.loc[s, "kind"] == "stock")
    # adjusted prices as the traded ones (dividends in kind): vectorbt and bt know no corporate actions
    return load_snapshot(codes[:N_ASSETS], start=full.dates[-N_SESSIONS]).as_total_return()


def setup_for(panel, grid):
    from aibt.strategies.rotation import asset_sleeves, prepare

    return prepare(panel, asset_sleeves(panel), grid, None, price="open", commission=FEE, min_commission=0.0,
                   init_cash=INIT_CASH)


# ----------------------------------------------------------------------------- numpy reference targets
def reference_targets(setup, params: np.ndarray) -> np.ndarray:
    """Target weights [T, C x N] of each combination (NaN on non-decision rows), vectorised numpy.

    Same rule as the kernel: decisions every ``period`` sessions from the first; the top K sleeves by
    momentum (stable order) among those with a signal; picks failing the trend filter (or without an
    inverse volatility when weighted by it) leave cash; equal weights 1/K, or inverse-volatility weights
    scaled to the share of picks held.
    """
    from aibt.strategies import rotation_nb as rnb

    sig = setup.signals
    t_len, n = sig.inv_vol.shape
    out = np.full((t_len, len(params) * n), np.nan)
    for c, (lb, k, period, weighting, flt) in enumerate(params):
        rows = np.arange(0, t_len - 1, period)
        mom = sig.momentum[lb][rows]
        valid = ~np.isnan(mom)
        order = np.argsort(np.where(valid, -mom, np.inf), axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(n), order.shape).copy(), axis=1)
        picks = np.minimum(k, valid.sum(axis=1))[:, None]
        held = valid & (rank < picks) & sig.trend_ok[flt][rows]
        if weighting == rnb.WEIGHT_INV_VOL:
            iv = sig.inv_vol[rows]
            held &= iv > 0
            w = np.where(held, iv, 0.0)
            total = w.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.where(total > 0, w / total * held.sum(axis=1, keepdims=True) / picks, 0.0)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.where(held, 1.0 / picks, 0.0)
        out[rows, c * n:(c + 1) * n] = w
    return out


def vectorbt_finals(panel, targets: np.ndarray, n_combos: int) -> np.ndarray:
    """Final values of ``n_combos`` vectorbt portfolios on the broadcast targets [T, C x N]."""
    import pandas as pd
    import vectorbt as vbt

    close = panel.frame("close").to_numpy()
    open_ = panel.frame("open").to_numpy()
    cols = pd.MultiIndex.from_product([range(n_combos), panel.symbols], names=["combo", "symbol"])
    size = np.vstack([np.full((1, targets.shape[1]), np.nan), targets[:-1]])  # decided t, placed t + 1
    frame = lambda a: pd.DataFrame(a, index=panel.dates, columns=cols)  # noqa: E731
    pf = vbt.Portfolio.from_orders(frame(np.tile(close, n_combos)), size=frame(size), size_type="targetpercent",
                                   price=frame(np.tile(open_, n_combos)), fees=FEE, group_by="combo",
                                   cash_sharing=True, call_seq="auto", init_cash=INIT_CASH, freq="1D")
    return pf.final_value().to_numpy()


# ----------------------------------------------------------------------------- one measured process
def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def child(engine: str, size: int, repeat: int, finals_path: str) -> dict:
    """Run one (engine, size) configuration in this (fresh) process and return its measurements."""
    from aibt.strategies.rotation import ParamGrid, run_sweep

    panel = w1_panel()
    grid = grid_for(size)
    small = ParamGrid((20, 60), (1, 2), (5,), ("equal", "inv_vol"), (0, 20))
    rec = {"engine": engine, "combinations": size, "assets": panel.shape[1], "sessions": panel.shape[0]}
    if engine == "aibt":
        run_sweep(setup_for(panel, small))  # JIT warm-up (cached kernels load from disk)
        best = best_cpu = np.inf
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            table, _ = run_sweep(setup_for(panel, grid))
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        finals = table["final_value"].to_numpy()
    else:
        s_small = setup_for(panel, small)
        vectorbt_finals(panel, reference_targets(s_small, small.codes()), small.size)  # warm-up
        setup = setup_for(panel, grid)
        t0 = time.perf_counter()
        targets = reference_targets(setup, grid.codes())
        rec["targets_seconds"] = time.perf_counter() - t0
        best = best_cpu = np.inf
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            finals = vectorbt_finals(panel, targets, size)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
    np.save(finals_path, finals)
    rec["seconds"] = best
    rec["cpu_seconds"] = best_cpu  # process_time: all threads of this process
    rec["peak_rss_mb"] = peak_rss_mb()
    rec["ns_per_asset_day_combo"] = best / (panel.shape[0] * panel.shape[1] * size) * 1e9
    return rec


def measure(engine: str, size: int, repeat: int, workdir: Path) -> tuple[dict, np.ndarray]:
    finals = workdir / f"{engine}-{size}.npy"
    proc = subprocess.run([sys.executable, __file__, "--child", engine, str(size), "--repeat", str(repeat),
                           "--finals", str(finals)], capture_output=True, text=True, env=dict(os.environ))
    if proc.returncode != 0:
        raise SystemExit(f"{engine} at {size} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), np.load(finals)


def machine() -> dict:
    import numba
    import pandas
    import vectorbt

    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        mem = "?"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "python": platform.python_version(),
            "numba": numba.__version__, "pandas": pandas.__version__, "vectorbt": vectorbt.__version__,
            "load_average_at_start": os.getloadavg()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="135,750,10000,100000")
    ap.add_argument("--vbt-max", type=int, default=750, help="largest size run in vectorbt (memory)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    ap.add_argument("--child", nargs=2, metavar=("ENGINE", "SIZE"), help=argparse.SUPPRESS)
    ap.add_argument("--finals", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.repeat, args.finals)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; python {info['python']}, "
          f"numba {info['numba']}, vectorbt {info['vectorbt']}")
    print(f"W1: {N_ASSETS} stocks x {N_SESSIONS} sessions, top-K momentum rotation, 0.1% fee, targetpercent "
          "with shared cash, fills at next open; warm, best of", args.repeat)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            ours, f_ours = measure("aibt", size, args.repeat, Path(tmp))
            row = {"combinations": size, "aibt": ours}
            if size <= args.vbt_max:
                ref, f_ref = measure("vectorbt", size, args.repeat, Path(tmp))
                row["vectorbt"] = ref
                row["max_rel_diff_final_value"] = float(np.max(np.abs(f_ours / f_ref - 1.0)))
                row["time_ratio"] = ref["seconds"] / ours["seconds"]
                row["cpu_ratio"] = ref["cpu_seconds"] / ours["cpu_seconds"]
                row["memory_ratio"] = ref["peak_rss_mb"] / ours["peak_rss_mb"]
            rows.append(row)
            line = (f"C={size:>6d}  aibt {ours['seconds']:8.3f} s {ours['peak_rss_mb']:7.0f} MB "
                    f"{ours['ns_per_asset_day_combo']:6.2f} ns/asset-day/combo")
            if "vectorbt" in row:
                v = row["vectorbt"]
                line += (f" | vectorbt {v['seconds']:8.3f} s {v['peak_rss_mb']:7.0f} MB "
                         f"{v['ns_per_asset_day_combo']:7.2f} ns | x{row['time_ratio']:.1f} faster "
                         f"(CPU {ours['cpu_seconds']:.3f} s vs {v['cpu_seconds']:.3f} s: x{row['cpu_ratio']:.1f}), "
                         f"x{row['memory_ratio']:.1f} less memory, max rel diff {row['max_rel_diff_final_value']:.1e}")
            else:
                line += " | vectorbt not run (memory)"
            print(line, flush=True)
    base = rows[0]["aibt"]
    for r in rows[1:]:
        a = r["aibt"]
        print(f"growth {base['combinations']} -> {a['combinations']} combinations (x{a['combinations'] / base['combinations']:.0f}): "
              f"time x{a['seconds'] / base['seconds']:.1f}, peak RSS x{a['peak_rss_mb'] / base['peak_rss_mb']:.2f}")
    if args.json:
        from aibt.results.io import write_bytes

        doc = {"workload": "W1", "machine": info, "command": " ".join([Path(sys.executable).name] + sys.argv),
               "rows": rows}
        write_bytes(json.dumps(doc, indent=2).encode("utf-8"), args.json)


if __name__ == "__main__":
    main()
