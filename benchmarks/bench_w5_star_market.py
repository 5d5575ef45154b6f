"""W5: the whole STAR market from the raw dumps: load, a screen, then a rotation sweep, at 100 / 300 / 600 names.

Data: ``/work/shared/data/raw/Nolan180940_a_share_downloader/data/688*.parquet`` and ``689*.parquet``
read directly (Yahoo-adjusted daily bars, each name's full history, to 2026-05-28; about 610 STAR
names; see ``/work/shared/data/SOURCES.md``: its stale closes and zero-volume suspension bars are kept
as they are, suspensions become untradable sessions). ``N`` names are taken evenly spaced from the
sorted codes (deterministic, early and late listings alike). Each size runs in a fresh process.

Per size:

1. **load**: read the N files, one long frame, :meth:`Panel.from_long` (dates = union of sessions).
2. **screen**: the built-in stock screen (:func:`~aibt.strategies.screening.stock_screen`: at least 120
   listed sessions, average traded amount >= 50 M CNY estimated as volume x close, ranked by momentum,
   volatility, drawdown and amount) as of ``--as-of`` over all N names.
3. **sweep**: the passing names, in score order, cut into 10 equal-weight baskets (decile sleeves);
   a momentum rotation between the 10 sleeves under the A-share rules (STAR lots 200 + 1, 20 % limits,
   stamp duty, minimum commission 5 CNY, 5 bps slippage, T+1, dividend tax) trading every basket
   member, from ``--as-of`` to the last session; the grid is 72 combinations (lookbacks 20/60/120 x
   K 1/2/3 x periods 5/21 x equal/inverse volatility x trend filter 0/60). ``prepare`` (market arrays,
   rules, signals) and the kernel (``run_sweep``) are timed apart, warm (JIT compiled on a 1-combination
   warm-up).

Times are wall clock and ``process_time`` (CPU of all threads); peak RSS is the process's ``ru_maxrss``
(interpreter, imports and data included).

    python benchmarks/bench_w5_star_market.py [--sizes 100,300,600] [--json benchmarks/results/w5_star_market.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RAW = Path("/work/shared/data/raw/Nolan180940_a_share_downloader/data")


def star_files(raw: Path) -> list[Path]:
    return sorted(p for p in raw.glob("*.parquet") if p.stem.startswith(("688", "689")))


def pick(files: list[Path], n: int) -> list[Path]:
    if n >= len(files):
        return files
    return [files[i] for i in np.linspace(0, len(files) - 1, n).round().astype(int)]


def load_panel(files: list[Path]):
    import pandas as pd

    from aibt.data.panel import Panel

    parts = []
    names = {}
    for p in files:
        df = pd.read_parquet(p, columns=["code", "name", "date", "open", "high", "low", "close", "volume"])
        code = p.stem
        names[code] = str(df["name"].iloc[-1]) if len(df) else code
        df = df.drop(columns=["code", "name"]).assign(symbol=code)
        parts.append(df)
    long = pd.concat(parts, ignore_index=True)
    long["date"] = pd.to_datetime(long["date"])
    long = long.dropna(subset=["close"])
    long = long[long["close"] > 0]
    return Panel.from_long(long), names


def star_master(panel, names):
    from aibt.universes.master import Security, SecurityMaster

    secs = []
    for j, code in enumerate(panel.symbols):
        first = panel.dates[int(np.argmax(np.isfinite(panel.fields["close"][:, j])))]
        secs.append(Security(code=code, name=names.get(code, code), exchange="SSE", board="STAR", currency="CNY",
                             kind="stock", listing_date=first, source="first bar in the raw dump"))
    return SecurityMaster(secs)


def child(n: int, as_of: str, raw: Path) -> dict:
    from aibt.strategies.rotation import ParamGrid, build_sleeves, prepare, run_sweep
    from aibt.strategies.screening import run_screen, stock_screen
    from aibt.universes.trading_rules import compile_rules

    files = pick(star_files(raw), n)
    rec: dict = {"names": len(files)}
    c0, w0 = time.process_time(), time.perf_counter()
    panel, names = load_panel(files)
    rec["load_s"] = time.perf_counter() - w0
    rec["load_cpu_s"] = time.process_time() - c0
    rec["sessions"] = len(panel.dates)
    rec["bars"] = int(np.isfinite(panel.fields["close"]).sum())
    ctx = {"list_dates": {s: star_master(panel, names).get(s).listing_date for s in panel.symbols}}
    c0, w0 = time.process_time(), time.perf_counter()
    table = run_screen(panel, stock_screen(), as_of, ctx)
    rec["screen_s"] = time.perf_counter() - w0
    rec["screen_cpu_s"] = time.process_time() - c0
    passing = [str(s) for s in table.index[table["pass"].to_numpy(dtype=bool)]]
    rec["screen_passing"] = len(passing)
    groups = np.array_split(np.array(passing), 10)
    baskets = {f"decile_{i + 1:02d}": list(g) for i, g in enumerate(groups) if len(g)}
    grid = ParamGrid((20, 60, 120), (1, 2, 3), (5, 21), ("equal", "inv_vol"), (0, 60))
    master = star_master(panel, names)

    def setup_for(g):
        sleeves = build_sleeves(panel, baskets)
        rules = compile_rules(panel.dates, list(panel.symbols), master)
        return prepare(panel, sleeves, g, rules, price="open", commission=0.00025, min_commission=5.0,
                       slippage_bps=5.0, init_cash=1e8)

    run_sweep(setup_for(ParamGrid((20,), (1,), (21,), ("equal",), (0,))), as_of)  # JIT warm-up
    c0, w0 = time.process_time(), time.perf_counter()
    setup = setup_for(grid)
    rec["prepare_s"] = time.perf_counter() - w0
    rec["prepare_cpu_s"] = time.process_time() - c0
    c0, w0 = time.process_time(), time.perf_counter()
    res, _ = run_sweep(setup, as_of)
    rec["sweep_s"] = time.perf_counter() - w0
    rec["sweep_cpu_s"] = time.process_time() - c0
    t_run = int((panel.dates >= as_of).sum())
    rec["sweep_sessions"] = t_run
    rec["combinations"] = grid.size
    rec["ns_per_asset_day_combo"] = rec["sweep_s"] / (t_run * len(panel.symbols) * grid.size) * 1e9
    rec["best_sharpe"] = float(res["sharpe"].max())
    rec["median_fills"] = float(res["n_filled"].median())
    rec["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,300,600")
    ap.add_argument("--as-of", default="2023-01-03", help="screen date and first session of the sweep")
    ap.add_argument("--raw", default=str(RAW), help="folder of the raw per-name parquet files")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    raw = Path(args.raw)
    if args.child:
        print(json.dumps(child(args.child, args.as_of, raw)))
        return
    if not star_files(raw):
        raise SystemExit(f"no STAR files (688*.parquet) in {raw}")
    import numba

    print(f"W5: STAR market from {raw} ({len(star_files(raw))} names available); numba {numba.__version__}, "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'all')}, load average {os.getloadavg()[0]:.1f}")
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        proc = subprocess.run([sys.executable, __file__, "--child", str(n), "--as-of", args.as_of, "--raw", str(raw)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"size {n} failed:\n{proc.stderr[-3000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"N={r['names']:4d} ({r['sessions']} sessions, {r['bars']:,} bars): load {r['load_s']:.2f} s | screen "
              f"{r['screen_s']:.2f} s ({r['screen_passing']} pass) | prepare {r['prepare_s']:.2f} s | sweep "
              f"{r['combinations']} combos x {r['sweep_sessions']} sessions {r['sweep_s']:.2f} s wall, "
              f"{r['sweep_cpu_s']:.2f} s CPU ({r['ns_per_asset_day_combo']:.1f} ns/asset-day/combo) | peak RSS "
              f"{r['peak_rss_mb']:.0f} MB", flush=True)
    base = rows[0]
    for r in rows[1:]:
        f = r["names"] / base["names"]
        print(f"growth {base['names']} -> {r['names']} names (x{f:.1f}): load x{r['load_s'] / base['load_s']:.1f}, "
              f"screen x{r['screen_s'] / base['screen_s']:.1f}, prepare x{r['prepare_s'] / base['prepare_s']:.1f}, "
              f"sweep x{r['sweep_s'] / base['sweep_s']:.1f} (CPU x{r['sweep_cpu_s'] / base['sweep_cpu_s']:.1f}), "
              f"peak RSS x{r['peak_rss_mb'] / base['peak_rss_mb']:.2f}")
    if args.json:
        from aibt.results.io import write_bytes

        doc = {"workload": "W5", "command": " ".join([Path(sys.executable).name] + sys.argv),
               "load_average_at_start": os.getloadavg(), "rows": rows}
        write_bytes(json.dumps(doc, indent=2).encode("utf-8"), args.json)


if __name__ == "__main__":
    main()
