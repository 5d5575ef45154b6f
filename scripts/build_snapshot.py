#!/usr/bin/env python
"""Build the embedded real-data snapshot (``data/snapshot/``) from the offline raw dumps.

Usage::

    python scripts/build_snapshot.py [--raw DIR] [--out DIR]

``--raw`` defaults to ``../shared/data/raw`` next to the repository root, ``--out`` to ``data/snapshot``.
The raw dumps are described in ``shared/data/SOURCES.md``; this script is the only code that reads them.

Method (per symbol)
-------------------
1. Read every source that has the symbol, keep dates from :data:`SNAPSHOT_START` on, drop rows
   without a positive close and flat zero-volume bars (suspensions a vendor filled in).
2. Resolve each source's volume unit (lots or shares): sources with a traded amount are checked
   against ``amount / (volume * close)``; the others are compared with an already resolved source on
   overlapping days and the median ratio is rounded to a power of 100.
3. Decide the snapshot's dates: a date is kept when the highest-priority source whose date range
   covers it has a bar there (or, failing that, when two other sources have agreeing bars).
4. Chain daily returns. On each date every source that has the bar (and the previous snapshot date)
   proposes a close level ``L(prev) * c_s(t) / c_s(prev)``. Stale repeated closes (and the catch-up
   day after them) and moves beyond the board's price limit that another source contradicts are
   disqualified; the remaining proposals vote (agreement within 0.5 %), ties go to source priority.
   When the winner is not the highest-priority source the date is recorded as a repair, with the
   kind of defect the loser showed.
5. Rescale the chained series so the last close equals the last real traded price (every qfq / Yahoo
   source is forward-adjusted as of its own last date), i.e. qfq as of the snapshot's last date.
6. Corporate actions (``events.parquet``, :func:`find_events`), over each stock's whole history:
   (a) share events (bonus + transfer, 送股+转增) from persistent steps of log(Yahoo volume / raw
   volume): Yahoo split-adjusts volume, Tushare, Eastmoney (qb), Baostock and suiwenfeng report it as
   traded, so the ratio falls by 1 + shares on the ex-date; the date most vendors agree on wins; a
   rising step is a Yahoo glitch (300308: Yahoo's misdated 2024-05-06); (b) inside the unadjusted
   window (suiwenfeng) every persistent step of log(raw close / adjusted close) that falls on one day
   is an ex-date, its factor the ratio of the median levels over up to 10 sessions each side; the
   volume step on the same date (within 3 sessions) gives the share part, the rest is cash; steps
   spread over days (drift between sources) or worth about one tick of cash (rounding) are not
   events; (c) known points (each anchor source's last close is a traded price; the raw window's
   edges) bound the total factor between them: a located share event takes the remainder as its cash
   part (same distribution), else the remainder is an ``inferred`` event (a share event when above
   1.15, else a cash dividend) on the session where qb's subtractive-qfq line in the adjusted close
   breaks (:func:`qb_break_date`, cash only), else on the interval's middle session. Before the first known point only
   share events are known. ETFs: the documented fund splits, checked against the data.
   (d) the cash of a dated event from Eastmoney's subtractive qfq (qb), a straight line in the traded
   close between ex-dates whose intercept moves by the cash (:func:`qb_cash_steps`); then factor =
   prev_close x (1 + shares) x split / (prev_close - cash), the exchange's rule.
   Each event: factor = adj_factor before / after; ref_price = previous traded close / factor on the
   tick, half up (the exchange's ex-rights reference price); cash = prev_close - ref x (1 + shares) x
   split where qb does not give it.
   ``adj_factor`` is piecewise constant: 1.0 on the last date, times each event's factor going back.
   Traded OHLC (``traded_*``) come from suiwenfeng where it has the bar, else round(adjusted x
   adj_factor, tick) (0.01 stocks, 0.001 ETFs, not rounded for indices and HK); then adjusted =
   traded / adj_factor exactly. Yahoo (split-adjusted) volumes are divided back into shares as traded.
7. ``amount`` is the real traded amount where suiwenfeng, baostock or the index files have it, else
   ``volume x raw typical price`` (flagged per row in ``amount_estimated``).

Output is deterministic: sorted rows, fixed dtypes, fixed parquet writer options, no build time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

# The per-symbol checks and repairs live in the data layer (one implementation, shared with
# ``aibt data update``); the names below stay importable from this script for its tests.
from aibt.data.repairs import (AGREE_TOL, INDEX_NAMES, LIMIT_TOLERANCE, LISTING_GRACE_SESSIONS,  # noqa: F401
                               SNAPSHOT_START, SOURCES, SPLIT_MIN_RATIO, SymbolLog, _d, board_of, build_shares,
                               build_symbol, detect_split_events, kind_of, limit_pct, read_sources,
                               resolve_volume_units, stitch)
from aibt.data.store import _write_text, content_hash, write_parquet

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RAW = REPO_ROOT.parent / "shared" / "data" / "raw"
DEFAULT_OUT = REPO_ROOT / "data" / "snapshot"

FORMAT_VERSION = 2
HKD_CNY = 0.92             # documented constant: no FX history offline
BASKETS = {
    "optical": ["300308", "300502", "300394", "688498", "688048", "300548", "688313", "301486", "300570"],
    "copper": ["300913", "300308", "6088.HK"],
    "pcb": ["300476", "603228", "002463", "600183"],
}
STAR_AI_CANDIDATES = [
    "688256", "688041", "688008", "688111", "688521", "688099", "688169", "688608", "688385", "688327",
    "688568", "688088", "688561", "688615", "688232", "688225", "688095", "688031", "688066", "688159",
    "688787", "688023", "688648", "688589", "688039", "688152",
    "688595", "688322",  # reported constituents 2025-04/05 (INDEX_950180.md, last section)
]
PROJECT_AI_CANDIDATES = ["688018", "688047", "688343", "688220", "688158", "688207", "688475", "688400", "688003"]
ETFS = ["588790", "588930", "588760", "588730", "589010", "589520", "589380", "589110", "589090", "589560",
        "589230", "588000", "588080", "588050"]
HK_NAMES = {"6088.HK": "鸿腾精密 (FIT Hon Teng)"}
# Fund notices (see shared/data/INDEX_950180.md): the qb price series is already split-adjusted.


# ---------------------------------------------------------------------------------------------- symbols
def all_symbols(raw: Path) -> list[str]:
    stocks = sorted(set(sum(BASKETS.values(), [])) | set(STAR_AI_CANDIDATES) | set(PROJECT_AI_CANDIDATES))
    idx = sorted(p.name[2:8] for p in (raw / "chenzt2020_quant" / "data" / "index").glob("*.csv"))
    return sorted(set(stocks) | set(ETFS) | set(idx))


# ---------------------------------------------------------------------------------------------- metadata
def read_securities(raw: Path, symbols: list[str]) -> pd.DataFrame:
    basic = pd.read_parquet(raw / "Nolan180940_a_share_downloader" / "fundamentals" / "stock_basic.parquet")
    basic = basic.set_index(basic["symbol"].astype(str))
    names = json.loads((raw / "931191456_quant-backtest" / "all_stocks.json").read_text(encoding="utf-8"))
    rows = []
    for s in symbols:
        kind = kind_of(s)
        name, listing = None, None
        if kind == "stock" and s in basic.index:
            name = str(basic.loc[s, "name"])
            listing = pd.Timestamp(str(basic.loc[s, "list_date"])).strftime("%Y-%m-%d")
        elif kind == "etf":
            name = names.get(s, {}).get("name")
        elif kind == "index":
            name = INDEX_NAMES[s]
        elif kind == "hk":
            name = HK_NAMES.get(s)
        rows.append({"symbol": s, "name": name or s, "kind": kind, "board": board_of(s),
                     "currency": "HKD" if kind == "hk" else "CNY", "list_date": listing or ""})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- main
def build(raw: Path, out: Path) -> dict:
    """Build every file of the snapshot into ``out``; returns the provenance dict."""
    raw, out = Path(raw), Path(out)
    if not raw.is_dir():
        raise SystemExit(f"raw data directory not found: {raw}")
    symbols = all_symbols(raw)
    securities = read_securities(raw, symbols)
    listing = {r.symbol: (pd.Timestamp(r.list_date) if r.list_date else None) for r in securities.itertuples()}
    frames, provs, event_frames = [], {}, []
    for s in symbols:
        have = read_sources(raw, s)
        if not have:
            print(f"skip {s}: no raw source", file=sys.stderr)
            continue
        f, p, ev = build_symbol(raw, s, listing[s])
        frames.append(f)
        event_frames.append(ev)
        provs[s] = p
    securities = securities[securities["symbol"].isin(list(provs))].reset_index(drop=True)
    bars = pd.concat(frames, ignore_index=True).sort_values(["symbol", "date"], kind="mergesort").reset_index(drop=True)
    events = pd.concat([e for e in event_frames if len(e)], ignore_index=True)
    events = events.sort_values(["symbol", "ex_date"], kind="mergesort").reset_index(drop=True)
    shares = build_shares(raw, bars, securities)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from star_market import build_star_market  # the 950180 candidate space (scripts/star_market.py)

    star_market, star_market_prov = build_star_market(raw)
    for s, p in provs.items():
        sec = securities.set_index("symbol").loc[s]
        p.update({"name": sec["name"], "kind": sec["kind"], "board": sec["board"], "currency": sec["currency"],
                  "list_date": sec["list_date"] or None,
                  "sha256": content_hash(bars[bars["symbol"] == s].drop(columns=["symbol"]).reset_index(drop=True))})
    file_hashes = {"bars": content_hash(bars), "events": content_hash(events), "shares": content_hash(shares),
                   "securities": content_hash(securities)}
    # the candidate-space table is hashed on its own (provenance star_market.sha256): the store's hash covers
    # the base tables every data folder holds (aibt.data.store.BASE_TABLES); a data folder may lack this one
    star_market_prov = {"sha256": content_hash(star_market), **star_market_prov}
    total = hashlib.sha256("\n".join(f"{k}:{v}" for k, v in sorted(file_hashes.items())).encode()).hexdigest()
    provenance = {
        "format": FORMAT_VERSION,
        "snapshot_sha256": total,
        "content_sha256": file_hashes,
        "hash_method": "sha256 over each table's columns in order (dates as int64 ns, numbers as float64 LE, "
                       "strings joined by 0x1f); snapshot hash = sha256 of the sorted 'table:hash' lines",
        "window": {"start": _d(SNAPSHOT_START), "end": _d(bars["date"].max()),
                   "note": "starts at the first date of the Tushare dumps (the cleanest, cross-checkable "
                           "source); data after each dump's last date does not exist and is not invented"},
        "assumptions": {
            "fx": {"HKD": {"cny_per_unit": HKD_CNY, "flagged": True,
                           "note": "approximate 2023-2025 HKD->CNY level; no FX history offline; constant"}},
            "free_float": "float_shares are circulating shares (circ_mv / close), not the index provider's "
                          "adjusted free float",
        },
        "parameters": {"agree_tol": AGREE_TOL, "limit_tolerance": LIMIT_TOLERANCE,
                       "listing_grace_sessions": LISTING_GRACE_SESSIONS, "split_min_ratio": SPLIT_MIN_RATIO},
        "method": __doc__.split("Method (per symbol)")[1].strip(),
        "sources": SOURCES,
        "shares": {"source": "Nolan180940 fundamentals/daily_basic.parquet (total_mv, circ_mv in 10k CNY)",
                   "dates": sorted({_d(d) for d in shares["date"]})},
        "events": {
            "rows": int(len(events)), "symbols": int(events["symbol"].nunique()),
            "by_confidence": {k: int(v) for k, v in sorted(events["confidence"].value_counts().items())},
            "columns": {"cash": "pre-tax cash dividend per share (local currency)",
                        "shares": "bonus + transfer shares per existing share (送股+转增)",
                        "split": "new shares per old share (1.0 if none)",
                        "factor": "adj_factor before / after the ex-date",
                        "ref_price": "exchange ex-rights reference price: previous traded close / factor, on the tick",
                        "confidence": "two_sources (two vendors or raw prices + volumes agree on the date), "
                                      "one_source, inferred (amount from known points, date not observable)"},
            "unknown_dated": [{"symbol": s, **u} for s in sorted(provs)
                              for u in provs[s].get("adj_factor", {}).get("unknown", [])
                              if u["kind"].startswith("unknown-dated")],
        },
        "star_market": star_market_prov,
        "symbols": provs,
    }
    write_parquet(bars, out / "bars.parquet")
    write_parquet(events, out / "events.parquet")
    write_parquet(shares, out / "shares.parquet")
    write_parquet(securities, out / "securities.parquet")
    write_parquet(star_market, out / "star_market.parquet")
    _write_text(out / "provenance.json", json.dumps(provenance, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return provenance


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=DEFAULT_RAW, help=f"raw dumps directory (default {DEFAULT_RAW})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    a = ap.parse_args(argv)
    prov = build(a.raw, a.out)
    n_rep = sum(len(p["repairs"]) for p in prov["symbols"].values())
    print(f"wrote {len(prov['symbols'])} symbols, {n_rep} repairs, snapshot {prov['snapshot_sha256'][:16]} to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
