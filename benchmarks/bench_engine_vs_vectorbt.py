"""Benchmark: aibt engine vs vectorbt on the same workload.

Workload: 16 real A-share symbols (the 16 stocks with the longest daily history in aibt's embedded
snapshot, 2019-01 -> 2026-05; ratio-adjusted prices with their real ``adj_factor``, volume in shares),
cut to the longest run of sessions on which all 16 trade (984 sessions, 2022-04-08 -> 2026-04-29:
300548's suspension 2022-03-31 -> 04-07 and 688066's suspension on 2026-04-30 bound it; vectorbt
values a suspended position at its last fill price, aibt at its last close, so the check needs an
all-tradable run), monthly rebalance to random long-only target weights, 0.1 % fee, fills at the next
open, P portfolios (default 128). Checks that the final values agree (1e-9 relative), then prints warm
wall times and peak memory (tracemalloc, Python-allocated arrays incl. numpy) side by side.

    python benchmarks/bench_engine_vs_vectorbt.py [--portfolios 128] [--repeat 3]
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from aibt.data.panel import Panel
from aibt.data.snapshot import load_snapshot, snapshot_info
from aibt.engine import simulate_many


def load_panel(n_symbols: int = 16) -> Panel:
    """The ``n_symbols`` snapshot stocks with the most bars (ties by code), cut to their longest
    common trading run."""
    info = snapshot_info()
    stocks = info[info["kind"] == "stock"].sort_values("symbol")
    symbols = stocks.sort_values("rows", ascending=False, kind="stable")["symbol"].head(n_symbols).tolist()
    p = load_snapshot(symbols).as_total_return()  # vectorbt knows no corporate actions
    ok = np.concatenate([[False], p.tradable.all(axis=1), [False]])
    edges = np.flatnonzero(np.diff(ok.astype(int)))
    k = np.argmax(edges[1::2] - edges[::2])
    return p.select(start=p.dates[edges[::2][k]], end=p.dates[edges[1::2][k] - 1])


def monthly_weights(panel: Panel, n_portfolios: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t, n = panel.shape
    d = panel.dates
    month_end = np.r_[d.month[1:] != d.month[:-1], True]
    w = np.full((n_portfolios, t, n), np.nan)
    w[:, month_end] = rng.dirichlet(np.ones(n), (n_portfolios, int(month_end.sum())))
    return w


def run_aibt(panel, w):
    return simulate_many(panel, w, rules="frictionless", price="open", commission=0.001, summary_only=True).summary["final_value"]


def run_vbt(panel, w):
    import vectorbt as vbt

    close = panel.frame("close")
    open_ = panel.frame("open")
    finals = []
    # one call per portfolio on the shared frame would re-broadcast; stack all portfolios as column
    # groups instead, which is vectorbt's fastest path for many portfolios
    c, t, n = w.shape
    size = np.concatenate([np.vstack([np.full((1, n), np.nan), w[i, :-1]]) for i in range(c)], axis=1)
    cols = pd.MultiIndex.from_product([range(c), panel.symbols], names=["portfolio", "symbol"])
    pf = vbt.Portfolio.from_orders(
        pd.DataFrame(np.tile(close.to_numpy(), c), index=close.index, columns=cols),
        size=pd.DataFrame(size, index=close.index, columns=cols), size_type="targetpercent",
        price=pd.DataFrame(np.tile(open_.to_numpy(), c), index=close.index, columns=cols),
        fees=0.001, group_by="portfolio", cash_sharing=True, call_seq="auto", init_cash=1_000_000.0,
        freq="1D")
    finals = pf.final_value().to_numpy()
    return finals


def timed(fn, *args, repeat: int):
    fn(*args)  # warm (JIT compile / caches)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, best, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portfolios", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    panel = load_panel()
    w = monthly_weights(panel, args.portfolios)
    print(f"workload: {panel.shape[1]} symbols x {panel.shape[0]} sessions "
          f"({panel.dates[0].date()} -> {panel.dates[-1].date()}), {args.portfolios} portfolios, "
          "monthly rebalance, 0.1% fee, fills at next open")
    ours, t_ours, m_ours = timed(run_aibt, panel, w, repeat=args.repeat)
    ref, t_vbt, m_vbt = timed(run_vbt, panel, w, repeat=args.repeat)
    err = np.max(np.abs(np.asarray(ours) / ref - 1.0))
    print(f"max relative difference of final values: {err:.2e} ({'OK' if err < 1e-9 else 'MISMATCH'})")
    print(f"{'':10s}{'time (s, warm, best of ' + str(args.repeat) + ')':>32s}{'peak memory (MB)':>20s}")
    print(f"{'aibt':10s}{t_ours:32.4f}{m_ours / 2**20:20.1f}")
    print(f"{'vectorbt':10s}{t_vbt:32.4f}{m_vbt / 2**20:20.1f}")
    print(f"{'ratio':10s}{t_vbt / t_ours:31.1f}x{m_vbt / max(m_ours, 1):19.1f}x  (vectorbt / aibt)")


if __name__ == "__main__":
    main()
