"""The STAR-market candidate space of the 950180 rebuild: a compact monthly table (``star_market.parquet``).

Called by ``scripts/build_snapshot.py``'s ``build()``; like it, this is code that reads the raw dumps.

Every STAR stock (688xxx/689xxx) of the dumps' ``stock_basic`` (Nolan180940, 610 codes, all listed on
2026-05-28: no delisted STAR name is in any dump) gets one row per month from :data:`START` on:

- ``date``: the month's last session with a bar; ``close``: that day's adjusted close (Yahoo auto-adjusted as
  of 2026-05-28, daily returns repaired as below);
- ``close_sum``, ``amount_sum``, ``sessions``: sums of the adjusted close and of the traded amount over the
  month's sessions with volume, and their count, so that any window of whole months gives the average daily
  total cap (``total_shares x close_sum / sessions``) and the average daily amount the index screens use;
- per stock (repeated on its rows): ``name``, ``industry`` and ``list_date`` (stock_basic), ``total_shares``
  and ``float_shares`` (total_mv / circ_mv on 2026-05-27 or 26 over that day's close, the snapshot's own
  share rule).

Method: Nolan (Yahoo) is the only dump covering every STAR code from listing to 2026-05. Flat zero-volume
bars (suspensions Yahoo filled in) are dropped. Yahoo's known defects are daily-return defects (an
unadjusted share transfer is a one-day drop of 1/(1+ratio), stale closes repeat and catch up), so each daily
return is checked against the Tushare ratio-adjusted dumps (R11happy ``data_day``/``data``, LYH-RAIN) and,
failing those, qb: where one of them has the same two sessions and the log returns differ by more than
:data:`RETURN_TOL`, the Tushare (or qb) return replaces Yahoo's. The chained closes are rescaled to end on
Yahoo's last close (the traded price of 2026-05-28, Yahoo adjusting backwards). ``amount`` is Yahoo
close x Yahoo volume: Yahoo adjusts price and volume by the same split factor, so their product is the
traded amount up to the (small) dividend adjustment, also where it missed a split.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2021-01-01")  # covers a 12-month window before the 2022-12 review with a 3-month lag
RETURN_TOL = 0.05                   # Yahoo vs Tushare log-return gap beyond which Yahoo's day is replaced
COLUMNS = ("date", "symbol", "name", "industry", "list_date", "close", "close_sum", "amount_sum", "sessions",
           "total_shares", "float_shares")


def _star_codes(basic: pd.DataFrame) -> list[str]:
    codes = basic["symbol"].astype(str)
    return sorted(codes[codes.str.match(r"^(688|689)\d{3}$")].tolist())


def _closes(path: Path, reader) -> pd.Series | None:
    if not path.exists():
        return None
    df = reader(path)
    s = pd.Series(pd.to_numeric(df["close"], errors="coerce").to_numpy(dtype=np.float64),
                  index=pd.to_datetime(df["date"].astype(str), format="mixed").astype("datetime64[ns]"))
    s = s[~s.index.duplicated(keep="last")].sort_index()
    return s[s > 0]


def _reference_closes(raw: Path, code: str) -> list[pd.Series]:
    """Closes of the Tushare dumps, then qb (priority order)."""
    out = []
    for p, reader in ((raw / "R11happy_StockTradebyZ" / "data_day" / f"{code}.csv", pd.read_csv),
                      (raw / "R11happy_StockTradebyZ" / "data" / f"{code}.csv", pd.read_csv),
                      (raw / "LYH-RAIN_StockTradebyZ_5b936a3" / "data" / f"{code}.csv", pd.read_csv),
                      (raw / "931191456_quant-backtest" / "data" / f"{code}.parquet", pd.read_parquet)):
        c = _closes(p, reader)
        if c is not None and len(c) > 1:
            out.append(c)
    return out


def _repaired_close(raw: Path, code: str, yahoo: pd.DataFrame) -> tuple[pd.Series, int]:
    """Yahoo closes with the days whose return a reference dump contradicts replaced (see the module note)."""
    dates = yahoo.index
    lr = np.log(yahoo["close"]).diff().to_numpy().copy()
    ref = np.full(len(dates), np.nan)
    for c in _reference_closes(raw, code):  # first source with both sessions wins
        r = np.log(c.reindex(dates)).diff().to_numpy()  # NaN unless the source has both sessions
        fill = np.isnan(ref) & np.isfinite(r)
        ref[fill] = r[fill]
    bad = np.isfinite(ref) & np.isfinite(lr) & (np.abs(lr - ref) > RETURN_TOL)
    lr[bad] = ref[bad]
    lr[0] = 0.0
    level = np.exp(np.cumsum(lr))
    level = level * (yahoo["close"].iloc[-1] / level[-1])
    return pd.Series(level, index=dates), int(bad.sum())


def build_star_market(raw: Path) -> tuple[pd.DataFrame, dict]:
    """The monthly candidate-space table and a provenance dict (counts, method)."""
    raw = Path(raw)
    basic = pd.read_parquet(raw / "Nolan180940_a_share_downloader" / "fundamentals" / "stock_basic.parquet")
    basic = basic.assign(symbol=basic["symbol"].astype(str)).set_index("symbol")
    db = pd.read_parquet(raw / "Nolan180940_a_share_downloader" / "fundamentals" / "daily_basic.parquet")
    db = db.assign(symbol=db["ts_code"].astype(str).str.slice(0, 6), trade_date=db["trade_date"].astype(str))
    db = db.sort_values(["symbol", "trade_date"], kind="mergesort")
    rows, missing, repairs = [], [], {}
    for code in _star_codes(basic.reset_index()):
        p = raw / "Nolan180940_a_share_downloader" / "data" / f"{code}.parquet"
        if not p.exists():
            missing.append(code)
            continue
        y = pd.read_parquet(p, columns=["date", "close", "volume"])
        y = pd.DataFrame({"close": pd.to_numeric(y["close"]).to_numpy(dtype=np.float64),
                          "volume": pd.to_numeric(y["volume"]).to_numpy(dtype=np.float64)},
                         index=pd.to_datetime(y["date"].astype(str)).astype("datetime64[ns]"))
        y = y[~y.index.duplicated(keep="last")].sort_index()
        y = y[(y["close"] > 0) & (y["volume"] > 0)]
        if y.empty:
            missing.append(code)
            continue
        level, n_rep = _repaired_close(raw, code, y)
        if n_rep:
            repairs[code] = n_rep
        amount = y["close"] * y["volume"]
        sh = db[db["symbol"] == code]
        total = flt = np.nan
        for r in sh.iloc[::-1].itertuples():  # latest share date with a bar
            d = pd.Timestamp(r.trade_date)
            if d in y.index:
                total = float(np.round(float(r.total_mv) * 1e4 / y.loc[d, "close"]))
                flt = float(np.round(float(r.circ_mv) * 1e4 / y.loc[d, "close"]))
                break
        keep = level.index >= START
        if not keep.any():
            continue
        frame = pd.DataFrame({"close": level[keep], "amount": amount[keep]})
        month = frame.index.to_period("M")
        g = frame.groupby(month, sort=True)
        agg = pd.DataFrame({"date": g.apply(lambda f: f.index.max()), "close": g["close"].last(),
                            "close_sum": g["close"].sum(), "amount_sum": g["amount"].sum(),
                            "sessions": g["close"].size().astype(np.float64)})
        b = basic.loc[code]
        agg["symbol"] = code
        agg["name"] = str(b["name"])
        agg["industry"] = str(b["industry"]) if isinstance(b["industry"], str) else ""
        agg["list_date"] = pd.Timestamp(str(b["list_date"]))
        agg["total_shares"] = total
        agg["float_shares"] = flt
        rows.append(agg.reset_index(drop=True))
    table = pd.concat(rows, ignore_index=True)
    table["date"] = pd.to_datetime(table["date"]).astype("datetime64[ns]")
    table["list_date"] = pd.to_datetime(table["list_date"]).astype("datetime64[ns]")
    # fixed precision: deterministic and compact (closes to 1e-4 CNY, amounts to 1 CNY)
    table["close"] = table["close"].round(4)
    table["close_sum"] = table["close_sum"].round(4)
    table["amount_sum"] = table["amount_sum"].round(0)
    table = table.loc[:, list(COLUMNS)].sort_values(["symbol", "date"], kind="mergesort").reset_index(drop=True)
    prov = {"rows": int(len(table)), "symbols": int(table["symbol"].nunique()),
            "months": [str(table["date"].min().date()), str(table["date"].max().date())],
            "no_bars": missing, "returns_repaired": {k: repairs[k] for k in sorted(repairs)},
            "method": __doc__.split("\n\n", 1)[1].strip()}
    return table, prov
