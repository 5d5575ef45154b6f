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
6. ``adj_factor = raw / adjusted``: exact daily where the unadjusted suiwenfeng dump overlaps; at
   every other source's last date (raw there by construction); between such points the value of the
   next known point is used, and before the first one it is carried back, multiplied by any split a
   source showed unadjusted (e.g. Yahoo's 300308 10-for-4 on 2024-05-06). ETF splits come from the
   fund notices and are verified against the listing price (ETFs list at NAV 1.000).
7. ``amount`` is the real traded amount where suiwenfeng, baostock or the index files have it, else
   ``volume x raw typical price`` (flagged per row in ``amount_estimated``).

Output is deterministic: sorted rows, fixed dtypes, fixed parquet writer options, no build time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RAW = REPO_ROOT.parent / "shared" / "data" / "raw"
DEFAULT_OUT = REPO_ROOT / "data" / "snapshot"

FORMAT_VERSION = 1
SNAPSHOT_START = pd.Timestamp("2019-01-02")  # first date of the cleanest, cross-checkable source (Tushare)
AGREE_TOL = 0.005          # two sources agree on a day when their implied closes differ by <= 0.5 %
LIMIT_TOLERANCE = 0.006    # a move beyond the board limit + 0.6 % is a violation
LISTING_GRACE_SESSIONS = 5  # STAR / ChiNext registration: no limit in the first 5 sessions
SPLIT_MIN_RATIO = 1.15     # a persistent level shift beyond 15 % between sources = unadjusted split
HKD_CNY = 0.92             # documented constant: no FX history offline
ETF_LISTING_NAV = 1.0      # Chinese ETFs list at NAV 1.000

BASKETS = {
    "optical": ["300308", "300502", "300394", "688498", "688048", "300548", "688313", "301486", "300570"],
    "copper": ["300913", "300308", "6088.HK"],
    "pcb": ["300476", "603228", "002463", "600183"],
}
STAR_AI_CANDIDATES = [
    "688256", "688041", "688008", "688111", "688521", "688099", "688169", "688608", "688385", "688327",
    "688568", "688088", "688561", "688615", "688232", "688225", "688095", "688031", "688066", "688159",
    "688787", "688023", "688648", "688589", "688039", "688152",
]
PROJECT_AI_CANDIDATES = ["688018", "688047", "688343", "688220", "688158", "688207", "688475", "688400", "688003"]
ETFS = ["588790", "588930", "588760", "588730", "589010", "589520", "589380", "589110", "589090", "589560",
        "589230", "588000", "588080", "588050"]
INDEX_NAMES = {
    "000001": "上证指数", "000016": "上证50", "000300": "沪深300", "000680": "科创综指", "000688": "科创50",
    "000852": "中证1000", "000905": "中证500", "000906": "中证800", "399006": "创业板指", "399303": "国证2000",
    "399673": "创业板50",
}
HK_NAMES = {"6088.HK": "鸿腾精密 (FIT Hon Teng)"}
# Fund notices (see shared/data/INDEX_950180.md): the qb price series is already split-adjusted.
ETF_SPLITS = {
    "588790": ("2025-03-19", 2.0, "1:2 split, NAV 1.3010 -> 0.6505 on 2025-03-18, effective 2025-03-19 (fund notice)"),
    "588760": ("2025-02-21", 2.0, "1:2 split effective 2025-02-21 (SOURCES.md)"),
}
SOURCES = {
    "tushare_r11": {"path": "R11happy_StockTradebyZ/{data_day,data}/<code>.csv",
                    "commit": "9d2033fac6d3037ec1d6746433b43fb9853f8615", "vendor": "Tushare pro_bar",
                    "adjustment": "qfq ratio as of the file's last date", "volume": "lots"},
    "tushare_lyh": {"path": "LYH-RAIN_StockTradebyZ_5b936a3/data/<code>.csv",
                    "commit": "5b936a3c295617e3ca00ca09321831a2e6327e18", "vendor": "Tushare pro_bar",
                    "adjustment": "qfq ratio as of 2025-11-21", "volume": "lots"},
    "baostock": {"path": "tuisemo_baostock-master/data/<sh|sz>.<code>.csv",
                 "commit": "b0b873d68d89e356c6870d60a1fdcb4369300560", "vendor": "Baostock",
                 "adjustment": "qfq (adjustflag=2) as of 2026-03-13", "volume": "shares; amount CNY"},
    "nolan": {"path": "Nolan180940_a_share_downloader/data/<code>.parquet",
              "commit": "7d673501b9ee03edd5738b40794600bcb855ac22", "vendor": "Yahoo Finance",
              "adjustment": "Yahoo adjusted as of 2026-05-28", "volume": "shares"},
    "qb": {"path": "931191456_quant-backtest/data/<code>.parquet",
           "commit": "06752d0942ec65bc40acfa06ccdb550f0e03bf57", "vendor": "akshare/Eastmoney",
           "adjustment": "qfq as of 2026-05-07 with subtractive dividends; ETFs split-adjusted",
           "volume": "mixed lots/shares"},
    "suiwenfeng": {"path": "suiwenfeng_stock_unadjusted/<code>.csv", "commit": "1fe8998 (2025-05-23)",
                   "vendor": "unknown", "adjustment": "none (raw traded prices)", "volume": "shares; amount CNY"},
    "chenzt": {"path": "chenzt2020_quant/data/index/<sh|sz><code>.csv",
               "commit": "ced77b919b3b95824497b0432624da640d3d6e2d", "vendor": "index levels",
               "adjustment": "none (index level)", "volume": "lots; amount CNY"},
    "luciusneo": {"path": "luciusneo1017_momentum-portfolio_optimization/data/interim/6088.HK.csv",
                  "commit": "116615fb280ac1c13f844b69999b10a8fa643efa", "vendor": "Yahoo Finance (yfinance)",
                  "adjustment": "Yahoo adjusted as of 2025-10-30, HKD", "volume": "shares"},
}
# Sources whose last close is the real traded price on that date (forward-adjusted as of their end).
ANCHOR_SOURCES = ("tushare_r11", "tushare_r11_data", "tushare_lyh", "baostock", "nolan", "qb", "luciusneo")
RECENT = pd.Timestamp("2025-08-01")  # qb's subtractive qfq distorts returns before this date
PRICE_COLS = ("open", "high", "low", "close")
BAR_COLS = ("open", "high", "low", "close", "volume", "amount", "adj_factor")


# ---------------------------------------------------------------------------------------------- symbols
def kind_of(symbol: str) -> str:
    """``index``, ``etf``, ``hk`` or ``stock``."""
    if symbol.endswith(".HK"):
        return "hk"
    if symbol in INDEX_NAMES:
        return "index"
    if symbol in ETFS:
        return "etf"
    return "stock"


def board_of(symbol: str) -> str:
    kind = kind_of(symbol)
    if kind != "stock":
        return kind
    if symbol.startswith(("688", "689")):
        return "star"
    if symbol.startswith(("300", "301")):
        return "chinext"
    return "main"


def limit_pct(symbol: str, dates: pd.DatetimeIndex) -> np.ndarray:
    """Daily price limit as a fraction (NaN = none) for each date."""
    board = board_of(symbol)
    if board in ("index", "hk"):
        return np.full(len(dates), np.nan)
    if board == "star" or (board == "etf" and symbol.startswith(("588", "589"))):  # STAR stocks and STAR ETFs
        return np.full(len(dates), 0.20)
    if board == "chinext":
        return np.where(dates >= pd.Timestamp("2020-08-24"), 0.20, 0.10)
    return np.full(len(dates), 0.10)


def all_symbols(raw: Path) -> list[str]:
    stocks = sorted(set(sum(BASKETS.values(), [])) | set(STAR_AI_CANDIDATES) | set(PROJECT_AI_CANDIDATES))
    idx = sorted(p.name[2:8] for p in (raw / "chenzt2020_quant" / "data" / "index").glob("*.csv"))
    return sorted(set(stocks) | set(ETFS) | set(idx))


# ---------------------------------------------------------------------------------------------- readers
def _frame(df: pd.DataFrame, date_col: str, cols: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame({"date": pd.to_datetime(df[date_col].astype(str), format="mixed").astype("datetime64[ns]")})
    for dst, src in cols.items():
        out[dst] = pd.to_numeric(df[src], errors="coerce").astype(np.float64).to_numpy()
    if "amount" not in out:
        out["amount"] = np.nan
    out = out.sort_values("date", kind="mergesort").drop_duplicates("date", keep="last")
    return out.set_index("date")[["open", "high", "low", "close", "volume", "amount"]]


OHLCV = {"open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"}


def read_sources(raw: Path, symbol: str) -> dict[str, pd.DataFrame]:
    """Every raw source that has ``symbol``, normalised to date-indexed float64 OHLCV(+amount)."""
    out: dict[str, pd.DataFrame] = {}
    kind = kind_of(symbol)
    if kind == "index":
        prefix = "sz" if symbol.startswith("399") else "sh"
        p = raw / "chenzt2020_quant" / "data" / "index" / f"{prefix}{symbol}.csv"
        out["chenzt"] = _frame(pd.read_csv(p), "date", {**OHLCV, "amount": "amount"})
        q = raw / "931191456_quant-backtest" / "data" / f"{symbol}.parquet"
        if q.exists() and symbol not in ("000688", "000001"):  # qb's 000688 / 000001 are stocks
            out["qb"] = _frame(pd.read_parquet(q), "date", OHLCV)
        return out
    if kind == "hk":
        p = raw / "luciusneo1017_momentum-portfolio_optimization" / "data" / "interim" / f"{symbol}.csv"
        out["luciusneo"] = _frame(pd.read_csv(p), "Date", {k: k.capitalize() for k in OHLCV})
        return out
    q = raw / "931191456_quant-backtest" / "data" / f"{symbol}.parquet"
    if q.exists():
        out["qb"] = _frame(pd.read_parquet(q), "date", OHLCV)
    if kind == "etf":
        return out
    for key, sub in (("tushare_r11", "data_day"), ("tushare_r11_data", "data")):
        p = raw / "R11happy_StockTradebyZ" / sub / f"{symbol}.csv"
        if p.exists():
            out[key] = _frame(pd.read_csv(p), "date", OHLCV)
    p = raw / "LYH-RAIN_StockTradebyZ_5b936a3" / "data" / f"{symbol}.csv"
    if p.exists():
        out["tushare_lyh"] = _frame(pd.read_csv(p), "date", OHLCV)
    p = raw / "Nolan180940_a_share_downloader" / "data" / f"{symbol}.parquet"
    if p.exists():
        out["nolan"] = _frame(pd.read_parquet(p), "date", OHLCV)
    ex = "sh" if symbol.startswith("6") else "sz"
    p = raw / "tuisemo_baostock-master" / "data" / f"{ex}.{symbol}.csv"
    if p.exists():
        df = pd.read_csv(p, encoding="utf-8-sig")
        df = df[pd.to_numeric(df["tradestatus"], errors="coerce") == 1]
        out["baostock"] = _frame(df, "date", {**OHLCV, "amount": "amount"})
    p = raw / "suiwenfeng_stock_unadjusted" / f"{symbol}.csv"
    if p.exists():
        df = pd.read_csv(p, dtype={"日期": str})
        out["suiwenfeng"] = _frame(df, "日期", {"open": "开盘价", "high": "最高价", "low": "最低价",
                                                 "close": "收盘价", "volume": "成交量", "amount": "成交额"})
    return out


# ---------------------------------------------------------------------------------------------- records
@dataclass
class SymbolLog:
    """What happened to one symbol during the build."""

    repairs: list[dict] = field(default_factory=list)
    source_flags: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def repair(self, date, kind: str, detail: str, source: str) -> None:
        self.repairs.append({"date": _d(date), "kind": kind, "detail": detail, "source": source})

    def flag(self, date, kind: str, detail: str, source: str) -> None:
        self.source_flags.append({"date": _d(date), "kind": kind, "detail": detail, "source": source})


def _d(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


def _r(x: float, nd: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else float(round(float(x), nd))


# ---------------------------------------------------------------------------------------------- cleaning
def clean_sources(srcs: dict[str, pd.DataFrame], log: SymbolLog, responsible) -> dict[str, pd.DataFrame]:
    """Keep dates from SNAPSHOT_START, drop non-positive closes and zero-volume bars.

    A zero-volume bar is a ``stale_bar`` when another source has a traded bar that day (the vendor
    repeated the previous close on a trading day), else a ``suspension_bar``. Runs are recorded as
    repairs when ``responsible(date)`` names the source (it would have supplied the date), stale bars of
    other sources as source flags.
    """
    pos = {}
    for key, df in srcs.items():
        df = df[df.index >= SNAPSHOT_START]
        close = df["close"].to_numpy()
        pos[key] = df[np.isfinite(close) & (close > 0)]
    traded = {k: set(df.index[df["volume"].to_numpy() > 0]) for k, df in pos.items()}
    out = {}
    for key, df in sorted(pos.items()):
        zero = ~(df["volume"].to_numpy() > 0)
        if zero.any():
            kinds = np.array([("stale_bar" if any(t in traded[o] for o in traded if o != key) else "suspension_bar")
                              if z else "" for t, z in zip(df.index, zero)], dtype=object)
            for kind in ("stale_bar", "suspension_bar"):
                for a, b, n in _runs(df.index, kinds == kind):
                    what = ("flat zero-volume bar(s) on a day other sources traded: stale repeated close, "
                            "made missing" if kind == "stale_bar" else "flat zero-volume bar(s) made missing "
                            "(suspension, non-tradable)")
                    detail = f"{n} {what} ({_d(a)}..{_d(b)})"
                    run = df.index[(df.index >= a) & (df.index <= b)]
                    if any(responsible(t) == key for t in run):
                        log.repair(a, kind, detail, key)
                    elif kind == "stale_bar":
                        log.flag(a, kind, detail, key)
            df = df[~zero]
        out[key] = df
    return out


def _runs(index: pd.DatetimeIndex, mask: np.ndarray) -> list[tuple]:
    """Runs of consecutive True rows: (first date, last date, count)."""
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if (not m or i == len(mask) - 1) and start is not None:
            end = i if m else i - 1
            out.append((index[start], index[end], end - start + 1))
            start = None
    return out


def resolve_volume_units(symbol: str, srcs: dict[str, pd.DataFrame]) -> dict[str, dict]:
    """Multiplier turning each source's volume into shares, and how it was found."""
    units: dict[str, dict] = {}
    kind = kind_of(symbol)
    for key, df in srcs.items():
        amt, vol, close = df["amount"].to_numpy(), df["volume"].to_numpy(), df["close"].to_numpy()
        ok = np.isfinite(amt) & (amt > 0) & (vol > 0)
        if ok.sum() >= 20:
            if kind == "index":  # an index level is not a share price: compare with a 20 CNY share
                implied = np.median(amt[ok] / vol[ok]) / 20.0
                how = "amount/volume vs a 20 CNY average share price"
            else:
                implied = np.median(amt[ok] / (vol[ok] * close[ok]))
                how = "amount/(volume*close)"
            units[key] = {"unit": float(100.0 ** round(math.log(implied, 100))), "method": how,
                          "median_ratio": _r(implied, 4)}
    progress = True
    while progress:
        progress = False
        for key, df in srcs.items():
            if key in units:
                continue
            for ref in sorted(units, key=lambda k: -len(srcs[k])):
                found = unit_from_overlap(df, srcs[ref], units[ref]["unit"], ref)
                if found is not None:
                    units[key] = found
                    progress = True
                    break
    documented = {"nolan": 1.0, "luciusneo": 1.0, "qb": 100.0, "tushare_r11": 100.0,
                  "tushare_r11_data": 100.0, "tushare_lyh": 100.0}
    for key in srcs:
        if key not in units:
            if not units and key in documented:
                units[key] = {"unit": documented[key], "method": "documented unit (no second source to compare)",
                              "median_ratio": None}
                return resolve_volume_units_seeded(symbol, srcs, units)
    return units


def resolve_volume_units_seeded(symbol, srcs, units):
    """Finish unit resolution after seeding one source from its documentation."""
    for key, df in srcs.items():
        if key in units:
            continue
        ref = next(iter(units))
        found = unit_from_overlap(df, srcs[ref], units[ref]["unit"], ref)
        units[key] = found if found is not None else {
            "unit": 100.0 if key == "qb" else 1.0, "method": "documented unit", "median_ratio": None}
    return units


def unit_from_overlap(df, ref_df, ref_unit: float, ref: str):
    """Volume unit of ``df`` (a power of 100) from the median ratio of the reference source's volume in
    shares to ``df``'s volume on at least 20 common trading days; None with fewer days."""
    common = df.index.intersection(ref_df.index)
    a = df.loc[common, "volume"].to_numpy()
    b = ref_df.loc[common, "volume"].to_numpy() * ref_unit
    ok = (a > 0) & (b > 0)
    if ok.sum() < 20:
        return None
    ratio = float(np.median(b[ok] / a[ok]))
    return {"unit": float(100.0 ** round(math.log(ratio, 100))),
            "method": f"median volume ratio vs {ref} on {int(ok.sum())} days",
            "median_ratio": _r(ratio, 4)}


# ---------------------------------------------------------------------------------------------- stitching
def source_priority(symbol: str, key: str, date: pd.Timestamp) -> int | None:
    """Lower is better; None = never a price source (raw/unadjusted or anchor-only)."""
    kind = kind_of(symbol)
    if kind == "index":
        return {"chenzt": 0, "qb": 1}.get(key)
    if kind in ("etf", "hk"):
        return 0 if key in ("qb", "luciusneo") else None
    base = {"tushare_r11": 0, "tushare_lyh": 1, "baostock": 2}
    if key in base:
        return base[key]
    if key == "nolan":
        return 3 if date < RECENT else 4
    if key == "qb":
        return 4 if date < RECENT else 3
    return None


@dataclass
class Stitched:
    dates: pd.DatetimeIndex
    bars: dict[str, np.ndarray]
    source: np.ndarray          # chosen source per date
    amount_estimated: np.ndarray


def stitch(symbol: str, srcs: dict[str, pd.DataFrame], units: dict[str, dict], listing: pd.Timestamp | None,
           log: SymbolLog) -> tuple[Stitched, dict]:
    """Chain daily returns of the best source per date into one ratio-adjusted series."""
    price_keys = [k for k in srcs if source_priority(symbol, k, SNAPSHOT_START) is not None]
    union = pd.DatetimeIndex(sorted(set().union(*[srcs[k].index for k in price_keys])))
    arr = {k: {c: srcs[k][c].reindex(union).to_numpy(np.float64) for c in ("open", "high", "low", "close", "volume")}
           for k in price_keys}
    span = {k: (srcs[k].index[0], srcs[k].index[-1]) for k in price_keys}
    has = {k: np.isfinite(arr[k]["close"]) for k in price_keys}

    def ranked(t):
        ks = [k for k in price_keys if span[k][0] <= t <= span[k][1]]
        return sorted(ks, key=lambda k: (source_priority(symbol, k, t), k))

    # 1. which dates exist
    keep = np.zeros(len(union), dtype=bool)
    for i, t in enumerate(union):
        rk = ranked(t)
        if not rk:
            continue
        if has[rk[0]][i]:
            keep[i] = True
        else:
            others = [k for k in rk[1:] if has[k][i]]
            if len(others) >= 2:
                keep[i] = True
                log.repair(t, "missing_in_primary", f"{rk[0]} has no bar; kept from {', '.join(others)}", rk[0])
    pos = np.flatnonzero(keep)
    dates = union[pos]
    lim = limit_pct(symbol, dates)
    grace_end = None
    if listing is not None and listing >= SNAPSHOT_START:
        after = dates[dates >= listing]
        grace_end = after[min(LISTING_GRACE_SESSIONS, len(after)) - 1] if len(after) else None

    level = np.full(len(dates), np.nan)
    chosen = np.empty(len(dates), dtype=object)
    stale_next: set[str] = set()
    for j, i in enumerate(pos):
        t = union[i]
        rk = ranked(t)
        cands = [k for k in rk if has[k][i]] or [k for k in price_keys if has[k][i]]
        cands = sorted(cands, key=lambda k: (source_priority(symbol, k, t), k))
        if j == 0:
            chosen[j] = cands[0]
            level[j] = arr[cands[0]]["close"][i]
            continue
        p = pos[j - 1]
        props: dict[str, float] = {}
        for k in cands:
            if has[k][p]:
                props[k] = level[j - 1] * arr[k]["close"][i] / arr[k]["close"][p]
            else:  # the source lacks the previous snapshot date: chain from its latest earlier kept date
                prev_js = [jj for jj in range(j - 1, -1, -1) if has[k][pos[jj]]]
                if prev_js:
                    jj = prev_js[0]
                    props[k] = level[jj] * arr[k]["close"][i] / arr[k]["close"][pos[jj]]
        if not props:
            raise RuntimeError(f"{symbol} {_d(t)}: no source can chain a return")
        rets = {k: v / level[j - 1] - 1.0 for k, v in props.items()}
        bad: dict[str, str] = {}
        for k in props:
            if k in stale_next:
                bad[k] = "stale_catch_up"
        stale_next = set()
        moving = [k for k in props if abs(rets[k]) > 0.001 and has[k][p]]
        nxt = pos[j + 1] if j + 1 < len(pos) else None
        flat = [k for k in props if has[k][p] and arr[k]["close"][i] == arr[k]["close"][p]]
        for k in flat:
            if len(flat) > 1 or nxt is None or not has[k][nxt]:  # two sources repeating the close: it was real
                continue
            # repeated close, confirmed when the next day catches up with a source that moved
            two_day = arr[k]["close"][nxt] / arr[k]["close"][p]
            if any(has[o][nxt] and abs(two_day / (arr[o]["close"][nxt] / arr[o]["close"][p]) - 1) <= AGREE_TOL
                   for o in moving if o != k):
                bad[k] = "stale_close"
                stale_next.add(k)
        in_grace = grace_end is not None and t <= grace_end
        if np.isfinite(lim[j]) and not in_grace:
            over = {k for k in props if abs(rets[k]) > lim[j] + LIMIT_TOLERANCE}
            fine = [k for k in props if k not in over and k not in bad]
            for k in over:
                if fine:
                    bad.setdefault(k, "limit_violation")
        ok = [k for k in props if k not in bad] or list(props)
        ok = [k for k in ok if _votes(symbol, k, t)] or ok
        support = {k: sum(1 for o in ok if o != k and abs(props[o] / props[k] - 1) <= AGREE_TOL) for k in ok}
        best = max(support.values())
        win = next(k for k in sorted(ok, key=lambda k: (source_priority(symbol, k, t), k)) if support[k] == best)
        chosen[j] = win
        level[j] = props[win]
        primary = min(props, key=lambda k: (source_priority(symbol, k, t), k))
        for k in props:
            if k == win or abs(props[k] / props[win] - 1) <= AGREE_TOL:
                continue
            kind = bad.get(k) or _classify(k, rets[k], rets[win], lim[j])
            detail = f"{k} return {rets[k]:+.4%} vs {win} {rets[win]:+.4%}"
            if k == primary:
                log.repair(t, kind, detail + f"; used {win}", k)
            else:
                log.flag(t, kind, detail, k)
        if np.isfinite(lim[j]) and not in_grace and abs(rets[win]) > lim[j] + LIMIT_TOLERANCE:
            log.flag(t, "unconfirmed_limit_move", f"{win} return {rets[win]:+.4%} beyond the {lim[j]:.0%} limit "
                     "and no other source contradicts it; kept", win)

    # OHLC/volume from the chosen source, scaled to the chained level
    bars = {c: np.full(len(dates), np.nan) for c in BAR_COLS}
    for j, i in enumerate(pos):
        k = chosen[j]
        scale = level[j] / arr[k]["close"][i]
        o, h, l = (arr[k][c][i] * scale for c in ("open", "high", "low"))
        c = level[j]
        if not all(np.isfinite([o, h, l])):
            o = h = l = c
        hi, lo = max(h, o, c), min(l, o, c)
        if hi > h * (1 + 1e-9) or lo < l * (1 - 1e-9):
            log.repair(union[i], "ohlc_inconsistent", f"{k} high/low did not contain open/close; widened", k)
        bars["open"][j], bars["high"][j], bars["low"][j], bars["close"][j] = o, hi, lo, c
        bars["volume"][j] = arr[k]["volume"][i] * units[k]["unit"]
    return Stitched(dates, bars, chosen.astype(str), np.zeros(len(dates), dtype=bool)), {
        "arr": arr, "union": union, "pos": pos, "level": level}


def _votes(symbol: str, key: str, date: pd.Timestamp) -> bool:
    """qb's subtractive dividend adjustment distorts stock returns before RECENT: it may expose stale or
    limit-breaking bars of others there, but does not vote on the level unless it is the only source."""
    return not (key == "qb" and kind_of(symbol) == "stock" and date < RECENT)


def _classify(key: str, r_bad: float, r_good: float, lim: float) -> str:
    ratio = (1 + r_bad) / (1 + r_good)
    if abs(math.log(ratio)) > math.log(SPLIT_MIN_RATIO):
        return "unadjusted_split_or_bad_bar"
    if np.isfinite(lim) and abs(r_bad) > lim + LIMIT_TOLERANCE:
        return "limit_violation"
    if key == "qb":
        return "subtractive_dividend"
    return "source_disagreement"


def detect_split_events(symbol: str, srcs: dict, st: Stitched, log: SymbolLog) -> list[dict]:
    """Persistent level shifts of a source against the stitched series: corporate actions it did not adjust.

    A shift counts when the median source/stitched ratio over the 5 dates after a day differs from the
    median over the 5 dates before by more than :data:`SPLIT_MIN_RATIO`; a one-day bad bar reverts and
    does not count. Returns events ``{date, ratio, source}`` (ratio = raw price before / after).
    """
    events = []
    for key, df in sorted(srcs.items()):
        if key == "suiwenfeng" or source_priority(symbol, key, SNAPSHOT_START) is None:
            continue
        common = st.dates.intersection(df.index)
        if len(common) < 12:
            continue
        ratio = df.loc[common, "close"].to_numpy() / pd.Series(st.bars["close"], index=st.dates).loc[common].to_numpy()
        lr = np.log(ratio)
        jumps = np.flatnonzero(np.abs(np.diff(lr)) > math.log(SPLIT_MIN_RATIO)) + 1
        for j in jumps:
            if j < 5 or j + 5 > len(lr):
                continue
            shift = np.median(lr[j:j + 5]) - np.median(lr[j - 5:j])
            if abs(shift) > math.log(SPLIT_MIN_RATIO):
                r = float(np.exp(-shift))
                events.append({"date": _d(common[j]), "ratio": _r(r, 4), "source": key})
                log.flag(common[j], "unadjusted_split", f"{key} level shifts by {1 / r:.4f}: a corporate action "
                         f"of ratio {r:.4f} that {key} did not adjust", key)
    # the same event seen by several sources counts once
    uniq = {}
    for e in events:
        uniq.setdefault(e["date"], e)
    return [uniq[k] for k in sorted(uniq)]


def anchor_and_factor(symbol: str, srcs: dict, st: Stitched, splits: list[dict], log: SymbolLog) -> dict:
    """Rescale to the last real price and derive adj_factor (raw = adjusted * adj_factor)."""
    last_src = st.source[-1]
    raw_last = round(float(srcs[last_src]["close"].iloc[-1]), 3)
    if srcs[last_src].index[-1] != st.dates[-1]:
        raise RuntimeError(f"{symbol}: last date's source {last_src} does not end there")
    scale = raw_last / st.bars["close"][-1]
    for c in PRICE_COLS:
        st.bars[c] = st.bars[c] * scale
    adj = pd.Series(st.bars["close"], index=st.dates)
    known: dict[pd.Timestamp, tuple[float, str]] = {st.dates[-1]: (1.0, f"{last_src} last close (anchor)")}
    kind = kind_of(symbol)
    info: dict = {"anchor": {"date": _d(st.dates[-1]), "raw_close": raw_last, "source": last_src}}
    if kind == "etf":
        fac = np.ones(len(st.dates))
        if symbol in ETF_SPLITS:
            d, ratio, note = ETF_SPLITS[symbol]
            fac[st.dates < pd.Timestamp(d)] = ratio
            first_raw = st.bars["close"][0] * fac[0]
            rets = np.abs(np.diff(np.log(st.bars["close"])))
            near = (st.dates[1:] >= pd.Timestamp(d) - pd.Timedelta(days=7)) & (st.dates[1:] <= pd.Timestamp(d) + pd.Timedelta(days=7))
            verified = abs(first_raw / ETF_LISTING_NAV - 1) < 0.2 and not (rets[near] > math.log(1.5)).any()
            info["split"] = {"effective": d, "ratio": ratio, "note": note, "raw_first_close": _r(first_raw, 4),
                             "verified": bool(verified),
                             "verification": "prices already split-adjusted (no jump within 7 days of the "
                                             "effective date) and raw listing close within 20% of NAV 1.000"}
            if not verified:
                raise RuntimeError(f"{symbol}: documented split {d} not confirmed by the data")
        else:
            first = st.bars["close"][0]
            if abs(first / ETF_LISTING_NAV - 1) >= 0.2:
                log.flag(st.dates[0], "listing_price_check", f"first close {first:.3f} is not near NAV 1.000: "
                         "possibly an undocumented split; adj_factor left at 1.0", "qb")
        info["adj_factor_method"] = "documented fund splits; 1.0 otherwise"
        st.bars["adj_factor"] = fac
        return info
    if kind in ("index", "hk"):
        st.bars["adj_factor"] = np.ones(len(st.dates))
        info["adj_factor_method"] = ("index level: no adjustment" if kind == "index" else
                                     "no unadjusted HK source offline: raw assumed equal to adjusted (1.0)")
        return info
    for key in ANCHOR_SOURCES:
        if key in srcs and key != last_src:
            e = srcs[key].index[-1]
            if e in adj.index:
                known.setdefault(e, (round(float(srcs[key]["close"].iloc[-1]), 3) / adj[e], f"{key} last close"))
    sw_dates = []
    if "suiwenfeng" in srcs:
        sw = srcs["suiwenfeng"]["close"]
        common = adj.index.intersection(sw.index)
        for t in common:
            known[t] = (float(sw[t]) / adj[t], "suiwenfeng raw close")
        sw_dates = list(common)
    kd = sorted(known)
    kv = np.array([known[t][0] for t in kd])
    events = [(pd.Timestamp(e["date"]), e["ratio"]) for e in splits]  # raw before / raw after
    fac = np.empty(len(st.dates))
    nxt = np.searchsorted(np.array(kd, dtype="datetime64[ns]"), st.dates.values, side="left")
    for j, t in enumerate(st.dates):
        k = min(nxt[j], len(kd) - 1)
        f = kv[k]
        for ed, er in events:  # corporate actions a source showed unadjusted, between t and the known point
            if t < ed <= kd[k]:
                f *= er
        fac[j] = f
    # steps between two known points: locate split-like ones where a raw-volume source (Tushare) and a
    # split-adjusted-volume source (Yahoo) change their volume ratio; otherwise the next known value holds
    located, unlocated, swset = [], [], set(sw_dates)
    for i in range(len(kd) - 1):
        step = math.log(kv[i] / kv[i + 1])
        if abs(step) <= 0.001 or (kd[i] in swset and kd[i + 1] in swset):
            continue
        ex = _locate_by_volume(srcs, kd[i], kd[i + 1], step)
        if ex is None:
            unlocated.append({"between": [_d(kd[i]), _d(kd[i + 1])], "factor_before": _r(kv[i], 6),
                              "factor_after": _r(kv[i + 1], 6),
                              "note": "a corporate action between these known points whose ex-date is not "
                                      "observable offline; dates between take factor_after"})
            continue
        fac[(st.dates > kd[i]) & (st.dates < ex)] = kv[i]
        located.append({"ex_date": _d(ex), "factor_before": _r(kv[i], 6), "factor_after": _r(kv[i + 1], 6),
                        "method": "step in the Yahoo/Tushare volume ratio (Yahoo split-adjusts volume)"})
    st.bars["adj_factor"] = fac
    # corporate actions visible inside the raw window
    steps = []
    if sw_dates:
        swf = pd.Series({t: known[t][0] for t in sw_dates}).sort_index()
        ch = np.abs(np.diff(np.log(swf.to_numpy())))
        for i in np.flatnonzero(ch > 0.001):
            steps.append({"ex_date": _d(swf.index[i + 1]), "factor_change": _r(swf.iloc[i] / swf.iloc[i + 1], 5)})
    nonmono = int((np.diff(fac) > 1e-4 * fac[1:]).sum())
    info.update({
        "adj_factor_method": ("raw/adjusted: exact daily where suiwenfeng (unadjusted) overlaps; at other "
                              "sources' last dates (real prices there); between known points the next known "
                              "value; before the first one carried back times detected unadjusted splits"),
        "raw_window": [_d(sw_dates[0]), _d(sw_dates[-1])] if sw_dates else None,
        "known_points": [{"date": _d(t), "factor": _r(known[t][0], 6), "from": known[t][1]}
                         for t in kd if t not in set(sw_dates)],
        "ex_dates_in_raw_window": steps,
        "split_events_used": [{"date": _d(d), "raw_ratio": _r(r, 4)} for d, r in events],
        "located_steps": located,
        "unlocated_steps": unlocated,
        "factor_increases_over_time": nonmono,
    })
    return info


def _locate_by_volume(srcs: dict, d1: pd.Timestamp, d2: pd.Timestamp, step: float) -> pd.Timestamp | None:
    """Ex-date in (d1, d2] where log(volume_nolan / volume_tushare) shifts by ``step`` (within 0.03)."""
    if "nolan" not in srcs:
        return None
    for raw_key in ("tushare_r11", "tushare_lyh"):
        if raw_key not in srcs:
            continue
        v = np.log(srcs["nolan"]["volume"] / srcs[raw_key]["volume"]).dropna()
        v = v[(v.index >= d1) & (v.index <= d2)]
        if len(v) < 2:
            continue
        jumps = v.diff().iloc[1:]
        hit = jumps[(jumps + step).abs() < 0.03]  # Yahoo volume ratio falls when the raw factor falls
        if len(hit) == 1:
            return pd.Timestamp(hit.index[0])
    return None


def fill_amount(symbol: str, srcs: dict, st: Stitched, units: dict) -> dict:
    """Real amount where a source has it, else volume x raw typical price."""
    amount = np.full(len(st.dates), np.nan)
    from_src = np.empty(len(st.dates), dtype=object)
    for key in ("chenzt", "baostock", "suiwenfeng"):  # later wins: suiwenfeng is raw and exact
        if key in srcs:
            a = srcs[key]["amount"].reindex(st.dates).to_numpy()
            ok = np.isfinite(a) & (a > 0)
            amount[ok] = a[ok]
            from_src[ok] = key
    est = ~np.isfinite(amount)
    typical = (st.bars["high"] + st.bars["low"] + st.bars["close"]) / 3.0 * st.bars["adj_factor"]
    amount[est] = st.bars["volume"][est] * typical[est]
    st.bars["amount"] = amount
    st.amount_estimated = est
    counts = {k: int((from_src == k).sum()) for k in ("chenzt", "baostock", "suiwenfeng") if (from_src == k).any()}
    return {"real_rows": counts, "estimated_rows": int(est.sum()),
            "estimate": "volume (shares) x raw typical price (high+low+close)/3 x adj_factor"}


def cross_check(symbol: str, srcs: dict, st: Stitched) -> dict:
    """Agreement of every source's daily returns with the snapshot's (same consecutive snapshot dates)."""
    out = {}
    close = pd.Series(st.bars["close"], index=st.dates)
    ref = close.to_numpy()[1:] / close.to_numpy()[:-1] - 1
    for key, df in sorted(srcs.items()):
        c = df["close"].reindex(st.dates).to_numpy()
        r = c[1:] / c[:-1] - 1
        ok = np.isfinite(r)
        if ok.sum() == 0:
            continue
        d = np.abs(r[ok] - ref[ok])
        out[key] = {"days": int(ok.sum()), "days_over_0.5pct": int((d > 0.005).sum()),
                    "max_abs_diff": _r(d.max(), 6), "median_abs_diff": _r(np.median(d), 8),
                    "first": _d(df.index[0]), "last": _d(df.index[-1]), "rows": int(len(df))}
    return out


def limit_breaches(symbol: str, st: Stitched, listing) -> list[dict]:
    """Close-to-close moves beyond limit + tolerance outside the listing grace period, in the output."""
    lim = limit_pct(symbol, st.dates)
    r = st.bars["close"][1:] / st.bars["close"][:-1] - 1
    out = []
    for j in np.flatnonzero(np.abs(r) > lim[1:] + LIMIT_TOLERANCE):
        t = st.dates[j + 1]
        if listing is not None and listing >= SNAPSHOT_START:
            n_after = int(((st.dates >= listing) & (st.dates <= t)).sum())
            if n_after <= LISTING_GRACE_SESSIONS:
                continue
        out.append({"date": _d(t), "return": _r(r[j], 6), "limit": lim[j + 1]})
    return out


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


def build_shares(raw: Path, bars: pd.DataFrame, securities: pd.DataFrame) -> pd.DataFrame:
    """Total and circulating shares = total_mv / circ_mv (10k CNY) / that day's raw close."""
    db = pd.read_parquet(raw / "Nolan180940_a_share_downloader" / "fundamentals" / "daily_basic.parquet")
    db["symbol"] = db["ts_code"].astype(str).str.slice(0, 6)
    rows = []
    for s in securities.loc[securities["kind"] == "stock", "symbol"]:
        sub = db[db["symbol"] == s].sort_values("trade_date")
        b = bars[bars["symbol"] == s].set_index("date")
        for _, r in sub.iloc[::-1].iterrows():
            d = pd.Timestamp(str(r["trade_date"]))
            if d in b.index:
                raw_close = round(float(b.loc[d, "close"] * b.loc[d, "adj_factor"]), 3)
                rows.append({"symbol": s, "date": d, "raw_close": raw_close,
                             "total_mv": float(r["total_mv"]) * 1e4, "circ_mv": float(r["circ_mv"]) * 1e4,
                             "total_shares": float(np.round(float(r["total_mv"]) * 1e4 / raw_close)),
                             "float_shares": float(np.round(float(r["circ_mv"]) * 1e4 / raw_close))})
                break
    df = pd.DataFrame(rows, columns=["symbol", "date", "raw_close", "total_mv", "circ_mv", "total_shares",
                                     "float_shares"])
    return df.sort_values("symbol", kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- hashing / io
def content_hash(df: pd.DataFrame) -> str:
    """sha256 of a frame's values in a canonical form (independent of the parquet writer)."""
    h = hashlib.sha256()
    for col in df.columns:
        h.update(col.encode())
        v = df[col]
        if pd.api.types.is_datetime64_any_dtype(v):
            h.update(v.to_numpy(dtype="datetime64[ns]").astype("<i8").tobytes())
        elif pd.api.types.is_bool_dtype(v):
            h.update(v.to_numpy(dtype=np.uint8).tobytes())
        elif pd.api.types.is_numeric_dtype(v):
            h.update(np.ascontiguousarray(v.to_numpy(dtype=np.float64)).astype("<f8").tobytes())
        else:
            h.update("\x1f".join(v.astype(str).tolist()).encode("utf-8"))
    return h.hexdigest()


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Deterministic parquet write (no pandas metadata, fixed options), atomically."""
    arrays, names = [], []
    for col in df.columns:
        v = df[col]
        if pd.api.types.is_datetime64_any_dtype(v):
            arrays.append(pa.array(v.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), type=pa.date32()))
        elif pd.api.types.is_bool_dtype(v):
            arrays.append(pa.array(v.to_numpy(dtype=bool), type=pa.bool_()))
        elif pd.api.types.is_numeric_dtype(v):
            arrays.append(pa.array(v.to_numpy(dtype=np.float64), type=pa.float64()))
        else:
            arrays.append(pa.array(v.astype(str).tolist(), type=pa.string()))
        names.append(col)
    table = pa.Table.from_arrays(arrays, names=names)
    _atomic(path, lambda p: pq.write_table(table, p, compression="zstd", compression_level=9,
                                           use_dictionary=["symbol", "source"] if "source" in names else ["symbol"],
                                           write_statistics=False, row_group_size=1 << 20,
                                           data_page_version="1.0", version="2.6", store_schema=False))


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_text(path: Path, text: str) -> None:
    def w(p):
        with open(p, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    _atomic(path, w)


# ---------------------------------------------------------------------------------------------- main
def build_symbol(raw: Path, symbol: str, listing: pd.Timestamp | None) -> tuple[pd.DataFrame, dict]:
    srcs = read_sources(raw, symbol)
    log = SymbolLog()
    if not srcs:
        raise RuntimeError(f"{symbol}: no raw source has it")
    price_keys = [k for k in srcs if source_priority(symbol, k, SNAPSHOT_START) is not None]
    spans = {k: (srcs[k].index.min(), srcs[k].index.max()) for k in price_keys}

    def responsible(t):
        ks = [k for k in price_keys if spans[k][0] <= t <= spans[k][1]]
        return min(ks, key=lambda k: (source_priority(symbol, k, t), k)) if ks else None

    srcs = clean_sources(srcs, log, responsible)
    srcs = {k: df for k, df in srcs.items() if len(df)}
    units = resolve_volume_units(symbol, srcs)
    st, _ = stitch(symbol, srcs, units, listing, log)
    splits = detect_split_events(symbol, srcs, st, log)
    adj_info = anchor_and_factor(symbol, srcs, st, splits, log)
    amount_info = fill_amount(symbol, srcs, st, units)
    frame = pd.DataFrame({"date": st.dates, "symbol": symbol})
    for c in BAR_COLS:
        frame[c] = st.bars[c].astype(np.float64)
    frame["amount_estimated"] = st.amount_estimated
    frame["source"] = st.source
    segs = []
    src = st.source
    start = 0
    for j in range(1, len(src) + 1):
        if j == len(src) or src[j] != src[start]:
            segs.append({"source": str(src[start]), "first": _d(st.dates[start]), "last": _d(st.dates[j - 1]),
                         "rows": j - start})
            start = j
    prov = {
        "first": _d(st.dates[0]), "last": _d(st.dates[-1]), "rows": int(len(st.dates)),
        "sources": sorted(set(src.tolist())), "segments": segs,
        "volume_units": {k: units[k] for k in sorted(units)},
        "amount": amount_info, "adj_factor": adj_info,
        "cross_check": cross_check(symbol, srcs, st),
        "repairs": sorted(log.repairs, key=lambda r: (r["date"], r["kind"], r["source"])),
        "source_flags": sorted(log.source_flags, key=lambda r: (r["date"], r["kind"], r["source"])),
        "limit_breaches_kept": limit_breaches(symbol, st, listing),
    }
    return frame, prov


def build(raw: Path, out: Path) -> dict:
    """Build every file of the snapshot into ``out``; returns the provenance dict."""
    raw, out = Path(raw), Path(out)
    if not raw.is_dir():
        raise SystemExit(f"raw data directory not found: {raw}")
    symbols = all_symbols(raw)
    securities = read_securities(raw, symbols)
    listing = {r.symbol: (pd.Timestamp(r.list_date) if r.list_date else None) for r in securities.itertuples()}
    frames, provs = [], {}
    for s in symbols:
        have = read_sources(raw, s)
        if not have:
            print(f"skip {s}: no raw source", file=sys.stderr)
            continue
        f, p = build_symbol(raw, s, listing[s])
        frames.append(f)
        provs[s] = p
    securities = securities[securities["symbol"].isin(list(provs))].reset_index(drop=True)
    bars = pd.concat(frames, ignore_index=True).sort_values(["symbol", "date"], kind="mergesort").reset_index(drop=True)
    shares = build_shares(raw, bars, securities)
    for s, p in provs.items():
        sec = securities.set_index("symbol").loc[s]
        p.update({"name": sec["name"], "kind": sec["kind"], "board": sec["board"], "currency": sec["currency"],
                  "list_date": sec["list_date"] or None,
                  "sha256": content_hash(bars[bars["symbol"] == s].drop(columns=["symbol"]).reset_index(drop=True))})
    file_hashes = {"bars": content_hash(bars), "shares": content_hash(shares), "securities": content_hash(securities)}
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
        "symbols": provs,
    }
    write_parquet(bars, out / "bars.parquet")
    write_parquet(shares, out / "shares.parquet")
    write_parquet(securities, out / "securities.parquet")
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
