"""W1 with bt as the peer: the top-K momentum rotation sweep of ``bench_w1_rotation.py``, aibt vs bt.

Same workload, grids, panel, costs and target weights as ``bench_w1_rotation.py`` (imported from it):
16 snapshot stocks x 1500 sessions, 0.1 % proportional fee, fractional shares, initial cash
``INIT_CASH``, targets decided at the close of t and filled at the open of t + 1.

* aibt: ``run_sweep(setup_for(panel, grid))``, measured by ``bench_w1_rotation.child`` (the same
  measurement as the vectorbt benchmark: warm-up, best of ``--repeat``).
* bt: one ``bt.Backtest`` per combination (bt has no vectorised sweep), run one after the other in the
  same process. The strategy is ``[SetTargets(rows), bt.algos.Rebalance()]``: ``SetTargets`` puts the
  precomputed weights of ``reference_targets`` (the numpy reference that vectorbt is also driven with)
  into ``target.temp['weights']`` on fill rows and stops the stack on the other rows. Backtest options:
  ``commissions=lambda q, p: abs(q) * p * 0.001``, ``integer_positions=False``,
  ``initial_capital=INIT_CASH``. Building the target weights and each combination's weight rows is timed
  apart (``targets_seconds``) and not counted in bt's time; bt's time is the sum over combinations of
  ``Backtest(...)`` + ``run()`` (which includes bt's own ffn performance statistics, ~13 % of it under
  cProfile). bt's peak RSS includes the [T, C x 16] target array (144 MB at 750 combinations), as
  vectorbt's does in ``bench_w1_rotation.py``, and the aibt import + snapshot (~375 MB).

Timing alignment. bt trades at the price of the row it is on, at the moment the algos run (after the
row's update), so "decide at the close of t, fill at the open of t + 1" is expressed by the price data
bt is given: row i (stamped ``date_i 09:30``) carries the *open* of session i for all T sessions, and
one extra last row (``date_{T-1} 15:00``) carries the last *close*, on which nothing trades: it only
values the final positions the way aibt's final value does (close of the last session). The weights
decided on session r's close are set on row r + 1 (the open of r + 1); the portfolio is valued at that
open for sizing, as aibt values it at the fill price. bt's daily value series is therefore at opens
(not closes); only final values are compared.

Sizing, and why final values differ by ~1e-3. ``bt.algos.Rebalance`` takes ``base = value`` before
trading, closes children missing from the weights, then calls ``allocate((w - w_now) * base)`` per
child; ``Security.allocate`` solves for the quantity whose cash outlay *including the commission*
equals that amount, and bt lets cash go negative. aibt (and vectorbt's ``targetpercent``) instead ask
for ``w * value / price`` shares, run sells before buys, pay commissions out of cash and cut the last
buy to the cash left. After a switch A -> B, for example, bt holds B worth ``value / (1 + fee)`` with
cash about ``-fee * value``, aibt holds B worth about ``value * (1 - fee) / (1 + fee)`` with cash ~0:
same net value, exposure different by ~``fee`` of the traded value. Those slivers earn the following
returns, so final values drift apart by ``fee x (returns on them)``, of order 1e-3 over 1500 sessions.
To show that this sizing rule is the *only* difference (dates, prices, fees and weights aligned), the
``bt-exact`` engine runs bt with a custom Algo implementing aibt's rule through bt's own accounting
(``Security.transact`` with the same commission function): shares ``w * value / open``, orders by
value change ascending (stable), buys cut to ``cash / (open * (1 + fee))``; its final values must equal
aibt's to rounding.

Measurements. Each (engine, size) runs in a fresh subprocess (peak RSS = that process's ``ru_maxrss``).
bt: one untimed warm-up combination, then (for the 135 grid) a subset of ``--subset`` combinations spread
evenly over the grid (``linspace(0, 134, subset)``), best of ``--repeat``, reported per combination; then every
combination of each size in ``--sizes``, in grid order, measured for real, one pass, stopping early
only if ``--bt-budget`` seconds are exceeded (the number run is then printed; nothing is scaled up).

    python benchmarks/bench_w1_bt.py [--sizes 135,750] [--subset 20] [--repeat 3] [--bt-budget 300]
                                     [--json benchmarks/results/w1_bt.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_w1_rotation import (FEE, INIT_CASH, child as w1_child, grid_for, machine, peak_rss_mb,  # noqa: E402
                               reference_targets, setup_for, w1_panel)


# ----------------------------------------------------------------------------- bt side
def bt_data(panel):
    """bt's price frame: the open of every session (row i = ``date_i 09:30``), then the last close."""
    import pandas as pd

    opens = panel.frame("open").to_numpy()
    last_close = panel.frame("close").to_numpy()[-1:]
    index = pd.DatetimeIndex(list(panel.dates + pd.Timedelta(hours=9, minutes=30))
                             + [panel.dates[-1] + pd.Timedelta(hours=15)])
    return pd.DataFrame(np.vstack([opens, last_close]), index=index, columns=list(panel.symbols))


def fill_rows(data, targets: np.ndarray, c: int, n: int, exact: bool) -> dict:
    """{timestamp of fill row r + 1: weights decided on session r} for combination ``c``.

    ``Rebalance`` gets a dict of the non-zero weights (children left out are closed first);
    ``bt-exact`` gets (weight row, open row) arrays.
    """
    w = targets[:, c * n:(c + 1) * n]
    syms = list(data.columns)
    opens = data.to_numpy()
    out = {}
    for r in np.flatnonzero(~np.isnan(w[:, 0])):
        if exact:
            out[data.index[r + 1]] = (w[r].copy(), opens[r + 1])
        else:
            out[data.index[r + 1]] = {s: float(x) for s, x in zip(syms, w[r]) if x != 0.0}
    return out


def make_algos():
    import bt

    class SetTargets(bt.Algo):
        """Precomputed target weights into ``temp['weights']`` on fill rows; stop the stack elsewhere."""

        def __init__(self, rows):
            super().__init__()
            self.rows = rows

        def __call__(self, target):
            w = self.rows.get(target.now)
            if w is None:
                return False
            target.temp["weights"] = w
            return True

    class ExactSizing(bt.Algo):
        """aibt's rule through bt's accounting: shares ``w * value / open``, orders by value change
        ascending (stable: largest sells first), buys cut to what cash covers including the fee."""

        def __init__(self, rows, symbols):
            super().__init__()
            self.rows = rows
            self.symbols = symbols

        def __call__(self, target):
            row = self.rows.get(target.now)
            if row is None:
                return False
            w, px = row
            value = target.value
            orders = []
            for j, s in enumerate(self.symbols):
                held = target.children[s].position if s in target.children else 0.0
                dq = -held if w[j] == 0.0 else w[j] * value / px[j] - held
                orders.append((w[j] * value - held * px[j], j, dq))
            orders.sort(key=lambda o: o[0])  # Python's sort is stable, like aibt's insertion sort
            for _, j, dq in orders:
                if dq > 0.0 and dq * px[j] * (1.0 + FEE) > target.capital:
                    dq = max(target.capital / (px[j] * (1.0 + FEE)), 0.0)
                if dq != 0.0:
                    s = self.symbols[j]
                    target._create_child_if_needed(s)
                    target.children[s].transact(dq, update=False)
            target.root.update(target.now)
            return True

    return SetTargets, ExactSizing


def bt_final(data, rows, exact: bool, name: str, algos) -> float:
    import bt

    set_targets, exact_sizing = algos
    stack = [exact_sizing(rows, list(data.columns))] if exact else [set_targets(rows), bt.algos.Rebalance()]
    test = bt.Backtest(bt.Strategy(name, stack), data, initial_capital=INIT_CASH,
                       commissions=lambda q, p: abs(q) * p * FEE, integer_positions=False, progress_bar=False)
    test.run()
    if test.strategy.bankrupt:
        raise RuntimeError(f"bt declared {name} bankrupt")
    return float(test.strategy.values.iloc[-1])


def subset_indices(size: int, k: int) -> np.ndarray:
    return np.unique(np.linspace(0, size - 1, min(k, size)).round().astype(int))


def bt_child(engine: str, size: int, subset: int, repeat: int, budget: float, finals_path: str) -> dict:
    from aibt.strategies.rotation import ParamGrid

    exact = engine == "bt-exact"
    algos = make_algos()
    panel = w1_panel()
    data = bt_data(panel)
    n = panel.shape[1]
    rec = {"engine": engine, "combinations": size, "assets": n, "sessions": panel.shape[0]}
    # warm-up: one combination of a small grid (first-call overheads of bt / pandas / ffn)
    small = ParamGrid((20,), (2,), (5,), ("equal",), (0,))
    s_small = setup_for(panel, small)
    bt_final(data, fill_rows(data, reference_targets(s_small, small.codes()), 0, n, exact), exact, "warm", algos)

    grid = grid_for(size)
    setup = setup_for(panel, grid)
    t0 = time.perf_counter()
    targets = reference_targets(setup, grid.codes())  # [T, C x N], as for vectorbt
    prep = time.perf_counter() - t0

    if subset:
        idx = subset_indices(size, subset)
        rows = {c: fill_rows(data, targets, c, n, exact) for c in idx}
        best = np.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            for c in idx:
                bt_final(data, rows[c], exact, f"c{c}", algos)
            best = min(best, time.perf_counter() - t0)
        del rows
        rec["subset"] = [int(c) for c in idx]
        rec["subset_seconds"] = best
        rec["subset_seconds_per_combo"] = best / len(idx)

    # every combination once, in grid order; each combination's weight rows are built just before its
    # backtest (timed apart, into targets_seconds) so that only one combination's rows are alive
    finals = np.full(size, np.nan)
    per = []
    t_start = time.perf_counter()
    for c in range(size):
        t0 = time.perf_counter()
        rows_c = fill_rows(data, targets, c, n, exact)
        t1 = time.perf_counter()
        finals[c] = bt_final(data, rows_c, exact, f"c{c}", algos)
        per.append(time.perf_counter() - t1)
        prep += t1 - t0
        if time.perf_counter() - t_start > budget and c + 1 < size:
            break
    rec["targets_seconds"] = prep
    rec["ran"] = len(per)
    rec["seconds"] = float(np.sum(per))  # measured: sum over the `ran` combinations of Backtest + run
    rec["wall_seconds"] = time.perf_counter() - t_start  # the same loop including the weight rows
    rec["seconds_per_combo"] = {"mean": float(np.mean(per)), "min": float(np.min(per)),
                                "median": float(np.median(per)), "max": float(np.max(per))}
    rec["peak_rss_mb"] = peak_rss_mb()
    rec["ns_per_asset_day_combo"] = rec["seconds"] / (panel.shape[0] * n * len(per)) * 1e9
    np.save(finals_path, finals)
    return rec


# ----------------------------------------------------------------------------- driver
def measure(args: list[str], finals: Path) -> tuple[dict, np.ndarray]:
    proc = subprocess.run([sys.executable, __file__, *args, "--finals", str(finals)], capture_output=True,
                          text=True, env=dict(os.environ))
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), np.load(finals)


def rel_diff(a: np.ndarray, b: np.ndarray) -> dict:
    ok = ~np.isnan(b)
    d = a[ok] / b[ok] - 1.0
    return {"n": int(ok.sum()), "max_abs": float(np.max(np.abs(d))), "median_abs": float(np.median(np.abs(d))),
            "min": float(np.min(d)), "max": float(np.max(d))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="135,750")
    ap.add_argument("--subset", type=int, default=20, help="combinations of the 135 grid timed per combination")
    ap.add_argument("--repeat", type=int, default=3, help="aibt runs and bt subset runs (best of)")
    ap.add_argument("--bt-budget", type=float, default=300.0, help="seconds per bt full run before it stops")
    ap.add_argument("--no-exact", action="store_true", help="skip the bt-exact sizing check")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    ap.add_argument("--child", nargs=2, metavar=("ENGINE", "SIZE"), help=argparse.SUPPRESS)
    ap.add_argument("--finals", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        engine, size = args.child[0], int(args.child[1])
        if engine == "aibt":
            rec = w1_child("aibt", size, args.repeat, args.finals)
        else:
            rec = bt_child(engine, size, args.subset if size == 135 else 0, args.repeat, args.bt_budget,
                           args.finals)
        print(json.dumps(rec))
        return

    import bt
    import ffn

    sizes = [int(s) for s in args.sizes.split(",")]
    info = machine()
    info["bt"], info["ffn"] = bt.__version__, ffn.__version__
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; python {info['python']}, "
          f"numba {info['numba']}, bt {info['bt']}, ffn {info['ffn']}; load average {info['load_average_at_start']}")
    print(f"W1: 16 stocks x 1500 sessions, top-K momentum rotation, 0.1% fee, fractional shares, "
          f"decided at close t, filled at open t+1; aibt warm best of {args.repeat}; bt one Backtest per "
          f"combination (Rebalance on reference target weights), fresh process per engine")
    common = ["--repeat", str(args.repeat), "--subset", str(args.subset), "--bt-budget", str(args.bt_budget)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            ours, f_ours = measure(["--child", "aibt", str(size), *common], Path(tmp) / f"aibt-{size}.npy")
            ref, f_ref = measure(["--child", "bt", str(size), *common], Path(tmp) / f"bt-{size}.npy")
            row = {"combinations": size, "aibt": ours, "bt": ref, "agreement_bt": rel_diff(f_ours, f_ref)}
            if not args.no_exact:
                ex, f_ex = measure(["--child", "bt-exact", str(size), *common], Path(tmp) / f"ex-{size}.npy")
                row["bt_exact"] = ex
                row["agreement_bt_exact"] = rel_diff(f_ours, f_ex)
            ran = ref["ran"]
            row["bt_complete"] = ran == size
            if ran == size:
                row["time_ratio"] = ref["seconds"] / ours["seconds"]
            row["memory_ratio"] = ref["peak_rss_mb"] / ours["peak_rss_mb"]
            rows.append(row)

            a_per = ours["seconds"] / size
            print(f"\nC={size}  aibt   {ours['seconds']:9.3f} s for all {size} "
                  f"({a_per * 1e3:8.3f} ms per combination = total / {size})  peak RSS {ours['peak_rss_mb']:6.0f} MB")
            if "subset_seconds" in ref:
                k = len(ref["subset"])
                print(f"       bt     {ref['subset_seconds']:9.3f} s for {k} combinations (spread evenly over "
                      f"the grid, best of {args.repeat}) = "
                      f"{ref['subset_seconds_per_combo'] * 1e3:8.1f} ms per combination measured; "
                      f"x{ref['subset_seconds_per_combo'] / a_per:.0f} aibt's per-combination time")
            how = f"all {size} measured" if ran == size else f"ONLY {ran} of {size} run (budget {args.bt_budget:.0f} s)"
            pc = {k: v * 1e3 for k, v in ref["seconds_per_combo"].items()}
            print(f"       bt     {ref['seconds']:9.3f} s for {how}, one pass ({pc['mean']:.1f} ms mean, "
                  f"{pc['min']:.1f}-{pc['max']:.1f} ms per combination)  peak RSS {ref['peak_rss_mb']:6.0f} MB"
                  f"  [target weights + rows built in {ref['targets_seconds']:.2f} s, timed apart, not counted]")
            if ran == size:
                print(f"       ratio  aibt x{row['time_ratio']:.0f} faster than bt on the same {size} combinations "
                      f"(measured totals); peak RSS bt / aibt = {row['memory_ratio']:.2f}")
            else:
                print(f"       ratio  not computed: bt ran {ran} of {size} combinations")
            ag = row["agreement_bt"]
            print(f"       agreement bt Rebalance vs aibt final values ({ag['n']} combinations): max |rel diff| "
                  f"{ag['max_abs']:.2e}, median {ag['median_abs']:.2e}, range [{ag['min']:+.2e}, {ag['max']:+.2e}]")
            if "bt_exact" in row:
                ae, ex = row["agreement_bt_exact"], row["bt_exact"]
                print(f"       agreement bt with aibt's sizing rule (bt-exact) vs aibt ({ae['n']} combinations): "
                      f"max |rel diff| {ae['max_abs']:.2e}  [bt-exact {ex['seconds']:.3f} s, "
                      f"{ex['peak_rss_mb']:.0f} MB; a check, not the headline]", flush=True)
    if args.json:
        from aibt.results.io import write_bytes

        doc = {"workload": "W1 vs bt", "machine": info,
               "command": " ".join([Path(sys.executable).name] + sys.argv), "rows": rows}
        write_bytes(json.dumps(doc, indent=2).encode("utf-8"), args.json)


if __name__ == "__main__":
    main()
