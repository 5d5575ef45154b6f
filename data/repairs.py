"""Per-symbol checks and repairs of daily bars: ONE implementation for the snapshot builder
(``scripts/build_snapshot.py``) and the updater (:mod:`aibt.data.update`).

Moved here from ``scripts/build_snapshot.py`` (the script keeps its symbol lists, ``build()`` and
``main()``; its module docstring, "Method (per symbol)", describes what these functions do and is
copied into the snapshot's provenance). Sources are date-indexed float64 frames with columns
``open high low close volume amount`` keyed by a source name; :func:`source_priority` ranks them per
date. :func:`build_symbol` reads the offline raw dumps; the updater calls :func:`clean_sources`,
:func:`resolve_volume_units`, :func:`stitch`, :func:`limit_pct`, :func:`on_tick` and
:func:`finish_events` on fresh bars (``store`` = the bars already held, ``eastmoney`` = akshare's).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SNAPSHOT_START = pd.Timestamp("2019-01-02")  # first date of the cleanest, cross-checkable source (Tushare)
AGREE_TOL = 0.005          # two sources agree on a day when their implied closes differ by <= 0.5 %
LIMIT_TOLERANCE = 0.006    # a move beyond the board limit + 0.6 % is a violation
LISTING_GRACE_SESSIONS = 5  # STAR / ChiNext registration: no limit in the first 5 sessions
SPLIT_MIN_RATIO = 1.15     # a persistent level shift beyond 15 % between sources = unadjusted split
ETF_LISTING_NAV = 1.0      # Chinese ETFs list at NAV 1.000

INDEX_NAMES = {
    "000001": "上证指数", "000016": "上证50", "000300": "沪深300", "000680": "科创综指", "000688": "科创50",
    "000852": "中证1000", "000905": "中证500", "000906": "中证800", "399006": "创业板指", "399303": "国证2000",
    "399673": "创业板50",
}
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
UPDATE_PRIORITY = {"store": 0, "eastmoney": 1, "csindex": 1, "yahoo": 1}  # see source_priority
BAR_COLS = ("open", "high", "low", "close", "volume", "amount", "adj_factor",
            "traded_open", "traded_high", "traded_low", "traded_close")



def is_etf_code(symbol: str) -> bool:
    """Exchange-traded fund codes: Shanghai 51/52/56/58xxxx (STAR ETFs 588/589), Shenzhen 15/16xxxx."""
    s = str(symbol)
    return len(s) == 6 and s.isdigit() and s.startswith(("51", "52", "56", "58", "15", "16"))


# ---------------------------------------------------------------------------------------------- symbols
def kind_of(symbol: str) -> str:
    """``index``, ``etf``, ``hk`` or ``stock``."""
    if symbol.endswith(".HK"):
        return "hk"
    if symbol in INDEX_NAMES:
        return "index"
    if is_etf_code(symbol):
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
    """Lower is better; None = never a price source (raw/unadjusted or anchor-only).

    ``store`` (bars already in a data store) outranks fresh bars (``eastmoney``, ``csindex``, ``yahoo``,
    from :mod:`aibt.data.update`) on the dates it holds; the raw dumps never use these names.
    """
    if key in UPDATE_PRIORITY:
        return UPDATE_PRIORITY[key]
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


# ---------------------------------------------------------------------------------------------- corporate actions
EVENT_COLS = ("symbol", "ex_date", "cash", "shares", "split", "factor", "ref_price", "confidence", "evidence")
RAW_VOLUME_SOURCES = ("tushare_r11", "tushare_lyh", "baostock", "suiwenfeng", "qb")  # volume as traded
VENDOR = {"tushare_r11": "Tushare", "tushare_r11_data": "Tushare", "tushare_lyh": "Tushare", "baostock": "Baostock",
          "suiwenfeng": "suiwenfeng", "qb": "Eastmoney(qb)", "nolan": "Yahoo"}
SHARE_STEP_MIN = math.log(1.08)   # a persistent volume-ratio step beyond 8 % is a share event
STEP_WINDOW = 5                    # sessions on each side of a step that must sit at the new level
EDGE_SESSIONS = 3                  # ... but at least this many at the ends of a series
SEGMENT_SESSIONS = 10              # sessions on each side used to measure a raw-window factor step
MIN_CASH = 0.015                   # a raw-window step worth less than 1.5 ticks of cash is rounding, not a dividend
INFERRED_SHARE_MIN = 1.15          # an undated factor above this is a share event, not a cash dividend


def tick_of(symbol: str) -> float | None:
    """Price tick: 0.01 CNY for stocks, 0.001 for ETFs; None (not rounded) for indices and HK."""
    return {"stock": 0.01, "etf": 0.001}.get(kind_of(symbol))


def on_tick(x, tick: float | None):
    """Round prices to the tick, half up as the exchange does (no rounding when ``tick`` is None)."""
    if tick is None:
        return np.asarray(x, dtype=np.float64)
    nd = int(round(-math.log10(tick)))
    return np.round(np.floor(np.asarray(x, dtype=np.float64) / tick + 0.5 + 1e-9) * tick, nd)


def _persistent_steps(lr: pd.Series, threshold: float, window: int = STEP_WINDOW,
                      min_after: int = EDGE_SESSIONS) -> list[tuple[pd.Timestamp, float]]:
    """Dates where ``lr`` (a daily log series) moves to a new level and stays there.

    For each session j: s_j = median(lr[j:j+w]) - median(lr[j-w:j]) (windows shrink to
    :data:`EDGE_SESSIONS` at the ends of the series); runs of |s_j| > threshold with one
    sign are one step; its date is the session of the run with the largest one-day move in that direction,
    and its size the difference of the medians of the w sessions after and before that date. Returns
    ``[(date, size)]``; a one-day outlier reverts and does not count.
    """
    v = lr.to_numpy(dtype=np.float64)
    n = len(v)
    if n < 2 * EDGE_SESSIONS:
        return []
    s = np.full(n, np.nan)
    last = n - min_after
    for j in range(EDGE_SESSIONS, last + 1):  # near the ends the windows shrink (EDGE_SESSIONS, min_after)
        s[j] = np.median(v[j:j + window]) - np.median(v[max(j - window, 0):j])
    out = []
    j = EDGE_SESSIONS
    while j <= last:
        if not (abs(s[j]) > threshold):
            j += 1
            continue
        sign = np.sign(s[j])
        k = j
        while k + 1 <= last and abs(s[k + 1]) > threshold and np.sign(s[k + 1]) == sign:
            k += 1
        lo, hi = max(j - 1, 1), min(k + 1, n - 1)
        moves = sign * (v[lo:hi + 1] - v[lo - 1:hi])
        at = lo + int(np.argmax(moves))
        a, b = max(at - window, 0), min(at + window, n)
        size = float(np.median(v[at:b]) - np.median(v[a:at]))
        if abs(size) > threshold:
            out.append((lr.index[at], size))
        j = k + 1
    return out


def volume_ratio_steps(symbol: str, srcs: dict, units: dict) -> dict[str, list[tuple[pd.Timestamp, float]]]:
    """Persistent steps of log(Yahoo volume / raw volume) per raw-volume source.

    Yahoo (nolan) split-adjusts its volume: before a bonus/transfer/split with ratio r its volume is
    r x the traded volume, so the ratio to a source that reports volume as traded falls by r on the
    ex-date. Returns ``{source: [(ex_date, r)]}`` with r = ratio before / after (> 1 for a share event;
    r < 1 is a Yahoo glitch such as a misdated split).
    """
    if "nolan" not in srcs:
        return {}
    out = {}
    ny = srcs["nolan"]["volume"] * units.get("nolan", {}).get("unit", 1.0)
    for key in RAW_VOLUME_SOURCES:
        if key not in srcs or key not in units:
            continue
        rv = srcs[key]["volume"] * units[key]["unit"]
        common = ny.index.intersection(rv.index)
        a, b = ny.loc[common].to_numpy(), rv.loc[common].to_numpy()
        ok = (a > 0) & (b > 0)
        lr = pd.Series(np.log(a[ok] / b[ok]), index=common[ok])
        out[key] = [(t, float(math.exp(-x))) for t, x in _persistent_steps(lr, SHARE_STEP_MIN)]
    return out


def _snap_ratio(r: float) -> float:
    """A share ratio measured from volumes, snapped to 0.01 (a 10-for-x bonus) when within 0.002."""
    s = r - 1.0
    q = round(s, 2)
    return float(q if abs(s - q) <= 0.002 else round(s, 4))


def _baostock_evidence(srcs: dict, turn, t: pd.Timestamp) -> str:
    """VWAP (amount/volume) and float shares (volume / turn) the session before and on ``t``."""
    if "baostock" not in srcs or turn is None:
        return ""
    b = srcs["baostock"]
    if t not in b.index or t not in turn.index:
        return ""
    i = b.index.get_loc(t)
    if i == 0:
        return ""
    p, d = b.index[i - 1], t
    vw = [b.loc[x, "amount"] / b.loc[x, "volume"] for x in (p, d)]
    fl = [b.loc[x, "volume"] / (turn.loc[x] / 100.0) / 1e6 if turn.loc[x] > 0 else np.nan for x in (p, d)]
    return (f"baostock VWAP {vw[0]:.1f} -> {vw[1]:.1f}, float shares {fl[0]:,.1f}M -> {fl[1]:,.1f}M "
            f"({_d(p)} -> {_d(d)})")


def _vendor_of(key: str) -> str:
    return VENDOR.get(key, key)


def find_events(symbol: str, srcs: dict, st: "Stitched", units: dict, log: SymbolLog,
                turn: pd.Series | None = None) -> tuple[list[dict], dict]:
    """Dated corporate actions of one stock, and what stays unknown.

    1. Share events: persistent steps in Yahoo/raw volume ratios (:func:`volume_ratio_steps`) over the
       whole history; the date most raw-volume vendors agree on wins (ties: Tushare, Baostock,
       suiwenfeng, Eastmoney), r < 1 steps are Yahoo glitches (flagged, not events).
    2. Inside the unadjusted window (suiwenfeng): persistent steps of log(raw close / adjusted close)
       give every event's date and its exact factor (median level over 10 sessions each side); a share
       event located by volumes on the same date gives its share part, the rest is cash.
    3. Known points (each anchor source's last close is a traded price; the raw window's edges) bound the
       total factor between them; share events located in between take their part, the remainder is a
       cash dividend: on a located share event's date when there is one (same distribution), else an
       ``inferred`` event on the interval's middle session (the ex-date is not observable offline).
    Before the first known point only share events located by volumes are known; cash dividends there
    are unknown (listed).
    Returns events as dicts (ex_date, factor, shares, split, confidence, evidence) and an info dict.
    """
    A = pd.Series(st.bars["close"], index=st.dates)
    dates = st.dates
    info: dict = {"share_steps_by_source": {}, "glitches": [], "unknown": [], "anchors": []}
    # -- 1. share events from volume ratios
    vsteps = volume_ratio_steps(symbol, srcs, units)
    cands: list[tuple[pd.Timestamp, float, str]] = []
    for key, evs in sorted(vsteps.items()):
        info["share_steps_by_source"][key] = [{"date": _d(t), "ratio": _r(r, 4)} for t, r in evs]
        for t, r in evs:
            if r < 1.0:
                info["glitches"].append({"date": _d(t), "ratio": _r(r, 4), "source": f"nolan/{key}",
                                         "note": "Yahoo volume ratio rises: Yahoo adjusted volume on a wrong "
                                                 "date (not an event)"})
                log.flag(t, "yahoo_volume_glitch", f"Yahoo/{key} volume ratio rises x{1 / r:.3f}: misdated "
                         "split adjustment in Yahoo", "nolan")
            else:
                cands.append((pd.Timestamp(t), r, key))
    pref = {k: i for i, k in enumerate(("tushare_r11", "tushare_lyh", "baostock", "suiwenfeng", "qb"))}
    cands.sort(key=lambda c: c[0])
    clusters: list[list] = []
    for c in cands:
        if clusters and (c[0] - clusters[-1][-1][0]).days <= 12 and abs(math.log(c[1] / clusters[-1][-1][1])) < 0.05:
            clusters[-1].append(c)
        else:
            clusters.append([c])
    share_events: dict[pd.Timestamp, dict] = {}
    for cl in clusters:
        by_date: dict[pd.Timestamp, list] = {}
        for t, r, k in cl:
            by_date.setdefault(t, []).append((r, k))
        def score(t):
            vendors = {_vendor_of(k) for _, k in by_date[t]}
            return (-len(vendors), min(pref[k] for _, k in by_date[t]), t)
        best = min(by_date, key=score)
        if best not in dates:
            later = dates[dates >= best]
            if not len(later):
                continue
            best = later[0]
        rs = [r for r, _ in by_date.get(best, [])] or [r for _, r, _ in cl]
        ratio = float(np.median(rs))
        seen = sorted({f"{_vendor_of(k)} {_d(t)} x{r:.3f}" for t, r, k in cl})
        vendors = {_vendor_of(k) for _, k in by_date.get(best, [])}
        share_events[best] = {"ratio": ratio, "vendors": vendors, "seen": seen,
                              "disagree": len(by_date) > 1}
    # -- 2. raw window
    events: dict[pd.Timestamp, dict] = {}
    sw_dates = pd.DatetimeIndex([])
    cuts: list[pd.Timestamp] = []
    if "suiwenfeng" in srcs:
        sw = srcs["suiwenfeng"]["close"]
        sw_dates = A.index.intersection(sw.index)
    if len(sw_dates) >= 2 * STEP_WINDOW:
        lr = pd.Series(np.log(srcs["suiwenfeng"]["close"].loc[sw_dates].to_numpy() / A.loc[sw_dates].to_numpy()),
                       index=sw_dates)
        d = np.diff(lr.to_numpy())
        sigma = 1.4826 * float(np.median(np.abs(d - np.median(d))))
        thr = max(6.0 * sigma, 3e-4)
        # the window's last session may be an ex-date (600183 on 2025-05-23): one session after suffices
        steps = [(t, x) for t, x in _persistent_steps(lr, thr, min_after=1)]
        for t, x in steps:
            if x > 0:
                log.flag(t, "raw_factor_rise", f"raw/adjusted rises by {math.exp(x):.5f} and stays: not a "
                         "corporate action; adjusted series disagrees with the raw dump", "suiwenfeng")
        ex = []
        for t, x in steps:
            if x >= 0:
                continue
            j = sw_dates.get_loc(t)
            one_day = float(lr.iloc[j] - lr.iloc[j - 1])
            if one_day > 0.6 * x:  # less than 60 % of the step on one day: a drift, not an ex-date
                log.flag(t, "raw_factor_drift", f"raw/adjusted falls by {math.exp(-x):.5f} but only "
                         f"{math.exp(-one_day):.5f} on one day: drift between the sources, not an event",
                         "suiwenfeng")
                continue
            ex.append(t)
        # factor of each step: median level over up to SEGMENT_SESSIONS each side, within the segments
        # segments end at every persistent step (falls and rises), so a level is never measured across one
        cuts = sorted({t for t, _ in steps})
        bounds = [sw_dates[0]] + cuts + [sw_dates[-1] + pd.Timedelta(days=1)]
        for t in list(ex):
            i = bounds.index(t)
            before = lr[(lr.index >= bounds[i - 1]) & (lr.index < t)].iloc[-SEGMENT_SESSIONS:]
            after = lr[(lr.index >= t) & (lr.index < bounds[i + 1])].iloc[:SEGMENT_SESSIONS]
            F = float(math.exp(np.median(before) - np.median(after)))
            if math.log(F) < thr:
                log.flag(t, "raw_factor_step_too_small", f"raw/adjusted step of {F:.5f} measured over the "
                         f"segments around it is below the threshold {math.exp(thr):.5f}: not an event",
                         "suiwenfeng")
                ex.remove(t)
                continue
            j = sw_dates.get_loc(t)
            raw_prev, raw_t = float(srcs["suiwenfeng"]["close"].loc[sw_dates[j - 1]]), float(srcs["suiwenfeng"]["close"].loc[t])
            ev = {"factor": F, "shares": 0.0, "split": 1.0, "sources": {"suiwenfeng"},
                  "evidence": [f"suiwenfeng raw close {raw_prev:.2f} -> {raw_t:.2f} on {_d(t)} while the adjusted "
                               f"(Tushare-chained) close moves {A.iloc[A.index.get_loc(t) - 1]:.4f} -> {A.loc[t]:.4f}: "
                               f"raw/adjusted steps by {F:.5f} (median of {len(before)}+{len(after)} sessions)"]}
            se = share_events.pop(t, None)
            if se is None:  # the volume step may sit a session off: accept within 3 sessions
                near = [u for u in share_events if abs(dates.get_loc(u) - dates.get_loc(t)) <= 3] if t in dates else []
                if near:
                    u = near[0]
                    se = share_events.pop(u)
                    se["seen"].append(f"volume step placed {_d(u)}, raw prices date it {_d(t)}")
            if se is None and raw_prev * (1.0 - 1.0 / F) < MIN_CASH:
                log.flag(t, "raw_factor_step_one_tick", f"raw/adjusted step of {F:.5f} is a cash amount of "
                         f"{raw_prev * (1.0 - 1.0 / F):.4f} (about one tick): rounding in the adjusted source, "
                         "not an event", "suiwenfeng")
                continue
            if se is not None:
                ev["shares"] = _snap_ratio(se["ratio"])
                ev["sources"] |= {v for v in se["vendors"]} | {"Yahoo"}
                ev["evidence"].append("Yahoo/raw volume ratio step: " + "; ".join(se["seen"]))
            elif F > INFERRED_SHARE_MIN:
                ev["shares"] = round(F - 1.0, 2)
                ev["evidence"].append(f"no volume-ratio step: factor {F:.4f} too large for a cash dividend, share "
                                      f"part {ev['shares']:g} inferred from the factor")
                log.flag(t, "large_factor_without_volume_step", f"factor {F:.4f} with no volume-ratio step: "
                         "share part inferred from the factor", "suiwenfeng")
            events[t] = ev
        info["raw_window"] = {"first": _d(sw_dates[0]), "last": _d(sw_dates[-1]), "sessions": int(len(sw_dates)),
                              "noise_sigma": _r(sigma, 6), "threshold": _r(thr, 6)}
    # share events located by volume outside the raw window (or inside without a price step: flagged)
    for t, se in sorted(share_events.items()):
        if len(sw_dates) and sw_dates[0] < t <= sw_dates[-1]:
            log.flag(t, "volume_step_without_price_step", f"volume ratio step x{se['ratio']:.3f} inside the raw "
                     "window but raw prices show no factor step: ignored", "nolan")
            continue
        s = _snap_ratio(se["ratio"])
        events[t] = {"factor": 1.0 + s, "shares": s, "split": 1.0, "sources": set(se["vendors"]) | {"Yahoo"},
                     "evidence": ["Yahoo/raw volume ratio step: " + "; ".join(se["seen"])], "volume_only": True}
    # -- 3. known points bound the factor between them
    known: list[tuple[pd.Timestamp, float, str]] = []
    for key in ANCHOR_SOURCES:
        if key in srcs:
            e = srcs[key].index[-1]
            if e in A.index:
                known.append((e, round(float(srcs[key]["close"].iloc[-1]), 3) / float(A.loc[e]), f"{key} last close"))
    known.sort(key=lambda k: (k[0], k[2]))
    dedup: dict[pd.Timestamp, tuple] = {}
    for k in known:
        dedup.setdefault(k[0], k)
    if len(sw_dates):
        lr_all = np.log(srcs["suiwenfeng"]["close"].loc[sw_dates].to_numpy() / A.loc[sw_dates].to_numpy())
        last_seg = lr_all[sw_dates >= max([sw_dates[0]] + cuts)]
        first_seg = lr_all[sw_dates < min(cuts)] if cuts else lr_all
        if not len(first_seg):
            first_seg = lr_all[:1]
        dedup[sw_dates[-1]] = (sw_dates[-1], float(math.exp(np.median(last_seg[-SEGMENT_SESSIONS:]))),
                               "suiwenfeng raw window end")
        dedup.setdefault(sw_dates[0], (sw_dates[0], float(math.exp(np.median(first_seg[:SEGMENT_SESSIONS]))),
                                       "suiwenfeng raw window start"))
    kp = sorted(dedup.values(), key=lambda k: k[0])
    price = A.to_numpy()
    for (a, fa, sa), (b, fb, sb) in zip(kp[:-1], kp[1:]):
        if len(sw_dates) and a >= sw_dates[0] and b <= sw_dates[-1]:
            continue  # inside the raw window: every event is dated by the raw prices
        inside = sorted(t for t in events if a < t <= b)
        K = fa / fb
        located = float(np.prod([events[t]["factor"] for t in inside])) if inside else 1.0
        rest = K / located
        ia, ib = A.index.get_loc(a), A.index.get_loc(b)
        tol = 2.0 * 0.01 / min(price[ia] * fa, price[ib] * fb) + 2e-4
        info["anchors"].append({"from": _d(a), "to": _d(b), "from_source": sa, "to_source": sb,
                                "total_factor": _r(K, 6), "located_factor": _r(located, 6),
                                "remainder": _r(rest, 6), "tolerance": _r(tol, 6)})
        if abs(math.log(rest)) <= math.log1p(tol):
            continue
        vol_only = [t for t in inside if events[t].get("volume_only")]
        if rest < 1.0 and vol_only:  # the exchange used an effective ratio below the nominal one
            t = vol_only[-1]
            events[t]["factor"] *= rest
            events[t]["evidence"].append(f"total factor {K:.5f} between {_d(a)} ({sa}) and {_d(b)} ({sb}) is below "
                                         f"the nominal {located:.5f}: factor set to the measured total")
            continue
        if rest < 1.0:
            log.flag(b, "factor_remainder_below_one", f"factor between {_d(a)} ({sa}) and {_d(b)} ({sb}) is "
                     f"{K:.5f}, located events give {located:.5f}: remainder {rest:.5f} < 1 left out", "anchors")
            continue
        if vol_only:
            t = vol_only[-1]
            events[t]["factor"] *= rest
            events[t]["evidence"].append(f"cash part inferred: total factor {K:.5f} between {_d(a)} ({sa}) and "
                                         f"{_d(b)} ({sb}) over located {located:.5f} leaves {rest:.5f}, put on this "
                                         "share event's ex-date (same distribution)")
            events[t]["cash_inferred"] = True
            continue
        mid = A.index[(ia + ib + 1) // 2]
        while mid in events and A.index.get_loc(mid) < ib:
            mid = A.index[A.index.get_loc(mid) + 1]
        big = rest > INFERRED_SHARE_MIN  # too large for a cash dividend: a bonus/transfer no volume dates
        where = "placed on the interval's middle session"
        if not big:
            est = qb_break_date(srcs, A, a, b, set(events))
            if est is not None:
                mid, note = est
                where = note
        shares = round(rest - 1.0, 2) if big else 0.0
        what = (f"a bonus/transfer of about {shares:g} shares per share (too large for a cash dividend; the rest "
                "is cash)" if big else "a cash dividend")
        events[mid] = {"factor": rest, "shares": shares, "split": 1.0, "sources": set(), "inferred": True,
                       "evidence": [f"total factor {K:.5f} between {_d(a)} ({sa}) and {_d(b)} ({sb}), located "
                                    f"events {located:.5f}: remainder {rest:.5f} is {what} whose ex-date no "
                                    f"offline source shows exactly (no raw-volume source spans it); {where}"]}
        info["unknown"].append({"kind": "unknown-dated " + ("share event" if big else "cash dividend"),
                                "between": [_d(a), _d(b)], "placed_on": _d(mid), "factor": _r(rest, 6),
                                "placement": "qb break" if where.startswith("ex-date estimated") else "middle"})
    first_known = kp[0][0] if kp else dates[-1]
    info["unknown"].append({"kind": "cash dividends before the first known point",
                            "before": _d(first_known),
                            "note": "no raw price offline before this date: only share events located by "
                                    "volume ratios are applied; cash dividends there are missing from the "
                                    "event table and traded prices before them are approximate"})
    for t, e in events.items():
        if e.get("volume_only") and t <= first_known and not e.get("cash_inferred"):
            e["evidence"].append(f"cash part not observable (no traded price before {_d(first_known)}): 0 here")
    out = []
    for t in sorted(events):
        e = events[t]
        if e.get("inferred"):
            conf = "inferred"
        elif len({v for v in e["sources"]}) >= 2:
            conf = "two_sources"
        else:
            conf = "one_source"
        bs = _baostock_evidence(srcs, turn, t)
        ev = list(e["evidence"]) + ([bs] if bs else [])
        out.append({"ex_date": t, "factor": float(e["factor"]), "shares": float(e["shares"]),
                    "split": float(e["split"]), "confidence": conf, "evidence": "; ".join(ev),
                    "cash_inferred": bool(e.get("cash_inferred"))})
    info["known_points"] = [{"date": _d(t), "factor": _r(f, 6), "from": s} for t, f, s in kp]
    return out, info


QB_BREAK_GAIN = 4.0  # a two-line fit must cut the squared residuals of one line at least this many times


def qb_break_date(srcs: dict, A: pd.Series, a: pd.Timestamp, b: pd.Timestamp,
                  taken: set) -> tuple[pd.Timestamp, str] | None:
    """Estimated ex-date of one cash dividend in (a, b] from the break of qb's line in the adjusted close.

    Between ex-dates Eastmoney's subtractive qfq close is a straight line in the ratio-adjusted close A;
    a cash dividend changes slope and intercept (:func:`qb_cash_steps`). The date splitting (a, b] into
    the two best-fitting lines is the estimate when it beats one line by :data:`QB_BREAK_GAIN` in squared
    residuals. On the 49 cash dividends that two sources date it lands on the day for 57 %, within one
    session for 84 %, within three for 96 %. None when qb does not cover the interval.
    """
    if "qb" not in srcs:
        return None
    q = srcs["qb"]["close"]
    idx = A.index[(A.index > a) & (A.index <= b)].intersection(q.index)
    if len(idx) < 12 or idx[-1] < b - pd.Timedelta(days=10) or idx[0] > a + pd.Timedelta(days=10):
        return None
    x, y = A.loc[idx].to_numpy(), q.loc[idx].to_numpy()

    def sse(xx, yy):
        X = np.c_[xx, np.ones(len(xx))]
        r = yy - X @ np.linalg.lstsq(X, yy, rcond=None)[0]
        return float(r @ r)

    one = sse(x, y)
    best = None
    for k in range(5, len(idx) - 4):
        if idx[k] in taken:
            continue
        tot = sse(x[:k], y[:k]) + sse(x[k:], y[k:])
        if best is None or tot < best[0]:
            best = (tot, k)
    if best is None or not (one > QB_BREAK_GAIN * max(best[0], 1e-12)):
        return None
    t = idx[best[1]]
    return t, (f"ex-date estimated {_d(t)} from the break of Eastmoney's (qb) subtractive-qfq line in the "
               f"adjusted close (two lines cut the squared residuals {one / max(best[0], 1e-12):.0f}x; on dated "
               "dividends this lands within one session 84 % of the time)")


def factor_from_events(dates: pd.DatetimeIndex, events: list[dict]) -> np.ndarray:
    """Piecewise-constant adj_factor: 1.0 on the last date, times each event's factor going back."""
    fac = np.ones(len(dates))
    for e in events:
        fac[dates < pd.Timestamp(e["ex_date"])] *= e["factor"]
    return fac


def _robust_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, int]:
    """y = a x + b by least squares, three rounds dropping points beyond 5 robust sigmas (one-day bad bars).
    Returns a, b, the largest residual of the kept points and how many were kept."""
    X = np.c_[x, np.ones(len(x))]
    keep = np.ones(len(x), dtype=bool)
    coef = np.zeros(2)
    for _ in range(3):
        coef = np.linalg.lstsq(X[keep], y[keep], rcond=None)[0]
        r = y - X @ coef
        sig = max(1.4826 * float(np.median(np.abs(r[keep]))), 0.003)
        keep = np.abs(r) <= 5 * sig
    r = y - X @ coef
    return float(coef[0]), float(coef[1]), float(np.abs(r[keep]).max()), int(keep.sum())


def qb_cash_steps(symbol: str, srcs: dict, traded_close: pd.Series, events: list[dict]) -> dict[pd.Timestamp, dict]:
    """Exact cash per dated event from Eastmoney's subtractive forward adjustment (qb).

    qb's close is Q = u x raw + v with u, v constant between ex-dates (Eastmoney subtracts the later cash
    dividends and divides by the later share ratios), so between two events Q is a straight line in the
    traded close T (exact in the unadjusted window, adjusted x adj_factor elsewhere). On an ex-date with
    cash c and share multiple m: u_before = u_after / m and v_before = v_after - u_after x c / m, so
    c = m x (v_after - v_before) / u_after. Used only where both neighbouring segments fit a line to
    0.015 CNY (or 3e-4 of the price) on at least 20 sessions with at most 10 % dropped as bad bars; a
    segment that holds an event missing from the table does not fit. Inferred (undated) events are left
    out: a misplaced date still fits when the price barely moves.
    """
    if "qb" not in srcs or kind_of(symbol) != "stock":
        return {}
    q = srcs["qb"]["close"]
    common = traded_close.index.intersection(q.index)
    if len(common) < 40:
        return {}
    A = traded_close.loc[common].to_numpy()
    Q = q.loc[common].to_numpy()
    f = np.ones(len(common))
    dates = [pd.Timestamp(e["ex_date"]) for e in events]
    inside = [t for t in dates if common[0] < t <= common[-1]]
    bounds = [common[0]] + inside + [common[-1] + pd.Timedelta(days=1)]
    fits = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        m = (common >= a) & (common < b)
        if m.sum() < 20:
            fits.append(None)
            continue
        sl, ic, res, kept = _robust_line(A[m], Q[m])
        level = float(np.median(Q[m]))
        ok = res <= max(0.015, 3e-4 * level) and kept >= 0.9 * m.sum()
        fits.append({"a": sl, "b": ic, "res": res, "n": int(m.sum()), "f": float(f[m][0]), "ok": ok})
    out = {}
    by_date = {pd.Timestamp(e["ex_date"]): e for e in events}
    for k, t in enumerate(inside):
        fb, fa = fits[k], fits[k + 1]
        e = by_date[t]
        if fb is None or fa is None or not (fb["ok"] and fa["ok"]) or e["confidence"] == "inferred":
            continue
        mult = (1.0 + e["shares"]) * e["split"]
        u_after = fa["a"] / fa["f"]
        c = mult * (fa["b"] - fb["b"]) / u_after
        out[t] = {"cash": c, "detail": f"Eastmoney (qb) subtractive qfq: Q = u*T + v breaks here, intercept "
                                       f"{fb['b']:.4f} -> {fa['b']:.4f} (lines fit {fb['n']}/{fa['n']} sessions to "
                                       f"{fb['res']:.3f}/{fa['res']:.3f}): cash {c:.4f}"}
    return out


def finish_events(symbol: str, events: list[dict], dates: pd.DatetimeIndex, traded_close: np.ndarray,
                  qb: dict | None = None) -> pd.DataFrame:
    """Event rows with cash and the exchange's reference price from the traded previous close.

    Where qb gives the cash (:func:`qb_cash_steps`, rounded to 0.001, to 0.01 when within 0.0015 of it,
    and within 0.2 % of the measured factor): ref = (prev_close - cash) / ((1 + shares) x split), factor = prev_close / ref (the exchange's
    rule; a qfq vendor's factor carries only a few decimals). Otherwise ref = prev_close / factor (the
    adjusted return carries the event) and cash = prev_close - ref x (1 + shares) x split, rounded to
    4 decimals (|cash| < 0.0005 -> 0). ref_price is ref on the tick. A negative cash (the share ratio
    from volumes is the nominal one, the exchange's reference price uses the effective ratio of a virtual
    distribution when repurchased shares do not take part) is set to 0 and said in the evidence;
    ref_price stays prev_close / factor.
    """
    tick = tick_of(symbol)
    qb = qb or {}
    rows = []
    for e in events:
        t = pd.Timestamp(e["ex_date"])
        j = dates.get_loc(t)
        prev = float(traded_close[j - 1]) if j > 0 else float("nan")
        mult = (1.0 + e["shares"]) * e["split"]
        factor = e["factor"]
        evidence = e["evidence"]
        confidence = e["confidence"]
        cash = prev - prev / factor * mult if np.isfinite(prev) else 0.0
        cash = round(cash, 4)
        if abs(cash) < 5e-4:
            cash = 0.0
        ref_exact = prev / factor
        step = qb.get(t)
        if step is not None and np.isfinite(prev):
            c = round(step["cash"], 3)
            if abs(c - round(c, 2)) <= 0.0015:  # the fit's noise is about 0.001: 0.601 is 0.60 (per 10: 6.0)
                c = round(c, 2)
            f_q = prev * mult / (prev - c) if c < prev else float("nan")
            if c >= 0.001 and np.isfinite(f_q) and abs(f_q / factor - 1) <= 2e-3:
                evidence += "; " + step["detail"] + f" -> {c:.3f}; factor from the exchange's rule {f_q:.6f} " \
                            f"(measured {factor:.6f})"
                cash, factor, ref_exact = c, f_q, (prev - c) / mult
                if confidence == "one_source":
                    confidence = "two_sources"
            else:
                evidence += "; " + step["detail"] + " (not used: disagrees with the measured factor)"
        ref = float(on_tick(ref_exact, tick)) if np.isfinite(prev) else float("nan")
        if cash < 0:
            evidence += (f"; factor {factor:.5f} is below 1 + shares = {mult:.4f}: the exchange used an "
                         f"effective ratio of {factor - 1:.4f} (virtual distribution, repurchased shares "
                         f"excluded); cash not separable, set to 0 (computed {cash:.4f})")
            cash = 0.0
        rows.append({"symbol": symbol, "ex_date": t, "cash": float(cash), "shares": float(e["shares"]),
                     "split": float(e["split"]), "factor": float(factor), "ref_price": ref,
                     "confidence": confidence, "evidence": evidence})
    return pd.DataFrame(rows, columns=list(EVENT_COLS))


def read_baostock_turn(raw: Path, symbol: str) -> pd.Series | None:
    """Baostock turnover (% of float shares) per traded date, for float-share evidence; None if absent."""
    ex = "sh" if symbol.startswith("6") else "sz"
    p = raw / "tuisemo_baostock-master" / "data" / f"{ex}.{symbol}.csv"
    if kind_of(symbol) != "stock" or not p.exists():
        return None
    df = pd.read_csv(p, encoding="utf-8-sig")
    df = df[pd.to_numeric(df["tradestatus"], errors="coerce") == 1]
    s = pd.Series(pd.to_numeric(df["turn"], errors="coerce").to_numpy(np.float64),
                  index=pd.to_datetime(df["date"].astype(str)).astype("datetime64[ns]"))
    return s[~s.index.duplicated(keep="last")].sort_index()


def anchor(symbol: str, srcs: dict, st: Stitched) -> dict:
    """Rescale the chained series so its last close is the last real traded price."""
    last_src = st.source[-1]
    raw_last = round(float(srcs[last_src]["close"].iloc[-1]), 3)
    if srcs[last_src].index[-1] != st.dates[-1]:
        raise RuntimeError(f"{symbol}: last date's source {last_src} does not end there")
    scale = raw_last / st.bars["close"][-1]
    for c in PRICE_COLS:
        st.bars[c] = st.bars[c] * scale
    return {"date": _d(st.dates[-1]), "raw_close": raw_last, "source": last_src}


def etf_events(symbol: str, st: Stitched, log: SymbolLog) -> tuple[list[dict], dict]:
    """Documented fund splits (:data:`ETF_SPLITS`) checked against the data: the qb series is split-adjusted
    (no jump within 7 days of the effective date) and the raw listing close is near NAV 1.000."""
    info: dict = {}
    if symbol not in ETF_SPLITS:
        first = st.bars["close"][0]
        if abs(first / ETF_LISTING_NAV - 1) >= 0.2:
            log.flag(st.dates[0], "listing_price_check", f"first close {first:.3f} is not near NAV 1.000: "
                     "possibly an undocumented split; no event", "qb")
        return [], info
    d, ratio, note = ETF_SPLITS[symbol]
    t = pd.Timestamp(d)
    first_raw = st.bars["close"][0] * ratio
    rets = np.abs(np.diff(np.log(st.bars["close"])))
    near = (st.dates[1:] >= t - pd.Timedelta(days=7)) & (st.dates[1:] <= t + pd.Timedelta(days=7))
    verified = abs(first_raw / ETF_LISTING_NAV - 1) < 0.2 and not (rets[near] > math.log(1.5)).any()
    if not verified:
        raise RuntimeError(f"{symbol}: documented split {d} not confirmed by the data")
    info["split"] = {"effective": d, "ratio": ratio, "note": note, "raw_first_close": _r(first_raw, 4),
                     "verified": True,
                     "verification": "prices already split-adjusted (no jump within 7 days of the effective date) "
                                     "and raw listing close within 20% of NAV 1.000",
                     "volume_note": "qb volume (lots x 100) taken as units traded that day; whether qb also "
                                    "split-adjusted the pre-split volumes cannot be checked offline (no amount)"}
    conf = "two_sources" if "fund notice" in note else "one_source"
    ev = {"ex_date": t, "factor": ratio, "shares": 0.0, "split": ratio, "confidence": conf,
          "evidence": f"{note}; qb series split-adjusted across {d} (no jump), raw listing close "
                      f"{first_raw:.3f} = {ratio:g} x adjusted {st.bars['close'][0]:.4f}, near NAV 1.000"}
    return [ev], info


def apply_events(symbol: str, srcs: dict, st: Stitched, units: dict, log: SymbolLog,
                 turn: pd.Series | None = None) -> tuple[pd.DataFrame, dict]:
    """Corporate actions -> piecewise adj_factor, traded OHLC on the tick, adjusted = traded / adj_factor.

    Traded prices come from the unadjusted dump (suiwenfeng) where it has the bar, else
    round(adjusted x adj_factor, tick). Volumes of split-adjusted sources (Yahoo) are turned back into
    shares as traded. Returns the event rows and the provenance dict.
    """
    info: dict = {"anchor": anchor(symbol, srcs, st)}
    kind = kind_of(symbol)
    if kind == "etf":
        evs, extra = etf_events(symbol, st, log)
        info.update(extra)
        info["adj_factor_method"] = "documented fund splits checked against the data; 1.0 otherwise"
    elif kind == "stock":
        evs, extra = find_events(symbol, srcs, st, units, log, turn)
        info.update(extra)
        info["adj_factor_method"] = ("piecewise constant: 1.0 on the last date, times each event's factor "
                                     "going back (changes only on ex-dates)")
    else:
        evs = []
        info["adj_factor_method"] = ("index level: no adjustment" if kind == "index" else
                                     "no unadjusted HK source offline: raw assumed equal to adjusted (1.0)")
    fac = factor_from_events(st.dates, evs)
    tick = tick_of(symbol)
    traded = {c: on_tick(st.bars[c] * fac, tick) for c in PRICE_COLS}
    from_raw = np.zeros(len(st.dates), dtype=bool)
    if kind == "stock" and "suiwenfeng" in srcs:
        sw = srcs["suiwenfeng"].reindex(st.dates)
        ok = sw[list(PRICE_COLS)].notna().all(axis=1).to_numpy() & (sw["close"].to_numpy() > 0)
        for c in PRICE_COLS:
            traded[c][ok] = on_tick(sw[c].to_numpy()[ok], tick)
        from_raw = ok
    hi = np.maximum.reduce([traded["high"], traded["open"], traded["close"]])
    lo = np.minimum.reduce([traded["low"], traded["open"], traded["close"]])
    traded["high"], traded["low"] = hi, lo

    # volume in shares as traded that day: Yahoo volume is split-adjusted
    if kind == "stock" and evs:
        share_mult = np.ones(len(st.dates))
        for e in evs:
            share_mult[st.dates < pd.Timestamp(e["ex_date"])] *= (1.0 + e["shares"]) * e["split"]
        adjusted_vol = np.array([s == "nolan" for s in st.source])
        n_fix = int((adjusted_vol & (share_mult != 1.0)).sum())
        if n_fix:
            st.bars["volume"][adjusted_vol] = st.bars["volume"][adjusted_vol] / share_mult[adjusted_vol]
            info["volume_repair"] = (f"{n_fix} Yahoo (split-adjusted) volumes divided by the later share events' "
                                     "ratio: shares as traded that day")
    if kind in ("stock", "etf"):
        st.bars["volume"] = np.round(st.bars["volume"])  # whole shares (lots x 100 leaves float dust)
    qb_steps = qb_cash_steps(symbol, srcs, pd.Series(traded["close"], index=st.dates), evs)
    table = finish_events(symbol, evs, st.dates, traded["close"], qb_steps)
    # adj_factor from the events' final factors (the exchange's rule where the cash is known exactly)
    fac = factor_from_events(st.dates, table.to_dict("records"))
    for c in PRICE_COLS:
        st.bars["traded_" + c] = traded[c]
        st.bars[c] = traded[c] / fac
    st.bars["adj_factor"] = fac
    info["traded_from_raw_rows"] = int(from_raw.sum())
    info["traded_derived_rows"] = int((~from_raw).sum())
    info["events"] = [{"ex_date": _d(r.ex_date), "cash": r.cash, "shares": r.shares, "split": r.split,
                       "factor": _r(r.factor, 8), "ref_price": r.ref_price, "confidence": r.confidence}
                      for r in table.itertuples()]
    # check against the world: every anchor's last close and the raw dump
    checks = {}
    for key in ANCHOR_SOURCES:
        if key in srcs and kind in ("stock", "etf"):
            e = srcs[key].index[-1]
            if e in st.dates:
                rawc = float(on_tick(srcs[key]["close"].iloc[-1], tick))
                mine = float(traded["close"][st.dates.get_loc(e)])
                checks[key] = {"date": _d(e), "source_close": rawc, "traded_close": mine,
                               "ticks_off": _r(abs(mine - rawc) / (tick or 1.0), 2)}
    info["traded_close_vs_anchor_closes"] = checks
    return table, info


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
    typical = (st.bars["traded_high"] + st.bars["traded_low"] + st.bars["traded_close"]) / 3.0
    amount[est] = st.bars["volume"][est] * typical[est]
    st.bars["amount"] = amount
    st.amount_estimated = est
    counts = {k: int((from_src == k).sum()) for k in ("chenzt", "baostock", "suiwenfeng") if (from_src == k).any()}
    return {"real_rows": counts, "estimated_rows": int(est.sum()),
            "estimate": "volume (shares) x traded typical price (traded high+low+close)/3"}


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
                raw_close = float(b.loc[d, "traded_close"])
                rows.append({"symbol": s, "date": d, "raw_close": raw_close,
                             "total_mv": float(r["total_mv"]) * 1e4, "circ_mv": float(r["circ_mv"]) * 1e4,
                             "total_shares": float(np.round(float(r["total_mv"]) * 1e4 / raw_close)),
                             "float_shares": float(np.round(float(r["circ_mv"]) * 1e4 / raw_close))})
                break
    df = pd.DataFrame(rows, columns=["symbol", "date", "raw_close", "total_mv", "circ_mv", "total_shares",
                                     "float_shares"])
    return df.sort_values("symbol", kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- one symbol
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
    detect_split_events(symbol, srcs, st, log)  # flags sources that left a corporate action unadjusted
    events, adj_info = apply_events(symbol, srcs, st, units, log, read_baostock_turn(raw, symbol))
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
    return frame, prov, events
