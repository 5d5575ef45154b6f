"""akshare adapter for A-share stocks, exchange-traded funds and indices (Eastmoney endpoints).

The shapes handled here are those of akshare 1.19.5 (read from its source):

* ``ak.stock_zh_a_hist(symbol, period, start_date, end_date, adjust)`` -> columns
  ``日期 股票代码 开盘 收盘 最高 最低 成交量 成交额 振幅 涨跌幅 涨跌额 换手率``; ``日期`` holds
  ``datetime.date`` objects, the rest numeric, ``成交量`` in lots (手, 100 shares), ``成交额`` in CNY.
* ``ak.fund_etf_hist_em(symbol, period, start_date, end_date, adjust)`` -> the same without
  ``股票代码``; ``日期`` is a ``YYYY-MM-DD`` string; ``成交量`` in lots.
* ``ak.index_zh_a_hist(symbol, period, start_date, end_date)`` -> as the ETF call, never adjusted;
  ``成交量`` in lots as on every Eastmoney kline.

Volumes are converted to shares (x100). With ``adjust="qfq"``/``"hfq"`` the adapter also fetches the
unadjusted history and sets ``adj_factor = raw close / adjusted close`` per date (so
``raw = price * adj_factor``); when the unadjusted fetch fails, ``adj_factor`` is 1.0 and a note
says so. Each call is injected (default: the real akshare function) so tests can replace it.
"""
from __future__ import annotations

import re
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from aibt.data.retry import RetryPolicy, call_with_retry
from aibt.data.sources import add_note, check_adjust, closest, clip_dates, to_timestamp, validate_long
from aibt.errors import AibtError, SourceError

LOT = 100.0
#: Eastmoney kline columns -> schema fields.
COLUMNS = {"日期": "date", "开盘": "open", "收盘": "close", "最高": "high", "最低": "low",
           "成交量": "volume", "成交额": "amount"}
KINDS = ("stock", "etf", "index")
#: The akshare function behind each kind (named in error messages).
FUNCTIONS = {"stock": "stock_zh_a_hist", "etf": "fund_etf_hist_em", "index": "index_zh_a_hist"}


def classify(symbol: str) -> tuple[str, str]:
    """``(kind, six-digit code)`` of an A-share symbol.

    ``sh000688``/``sz399006``/``csi950180`` prefixes and codes 399xxx, 93xxxx, 95xxxx mean an index;
    51/52/56/58xxxx (Shanghai) and 15/16xxxx (Shenzhen) mean an ETF/LOF; other 6-digit codes a stock.
    A bare ``000xxx`` is a Shenzhen stock: write ``sh000688`` for the Shanghai index.
    """
    s = str(symbol).strip().lower()
    m = re.fullmatch(r"(sh|sz|csi|bj)?(\d{6})(\.(sh|sz|ss|bj))?", s)
    if not m:
        raise SourceError(f"akshare: {symbol!r} is not an A-share code (six digits, e.g. '300308')")
    prefix, code = m.group(1), m.group(2)
    if prefix in ("sh", "csi") and code.startswith(("000", "93", "95")) or prefix == "sz" and code.startswith("399"):
        return "index", code
    if code.startswith(("399", "93", "95")):
        return "index", code
    if code.startswith(("51", "52", "56", "58", "15", "16")):
        return "etf", code
    return "stock", code


def _default(name: str) -> Callable:
    def call(*args, **kwargs):
        import akshare as ak

        return getattr(ak, name)(*args, **kwargs)

    call.__name__ = name
    return call


class AkshareSource:
    """A-share data through akshare.

    Parameters
    ----------
    stock_hist, etf_hist, index_hist : callable or None
        Replacements for ``ak.stock_zh_a_hist``, ``ak.fund_etf_hist_em``, ``ak.index_zh_a_hist``
        with the same keyword arguments and return shape.
    retry : RetryPolicy or None
        Backoff for transient errors (default :class:`RetryPolicy`).
    kinds : mapping symbol -> ``"stock" | "etf" | "index"``
        Overrides :func:`classify` for ambiguous codes.
    """

    name = "akshare"

    def __init__(self, stock_hist: Callable | None = None, etf_hist: Callable | None = None,
                 index_hist: Callable | None = None, retry: RetryPolicy | None = None,
                 kinds: Mapping[str, str] | None = None) -> None:
        given = {"stock": stock_hist, "etf": etf_hist, "index": index_hist}
        self._calls = {k: given[k] or _default(FUNCTIONS[k]) for k in KINDS}
        self.retry = retry or RetryPolicy()
        self.kinds = dict(kinds or {})
        for s, k in self.kinds.items():
            if k not in KINDS:
                raise SourceError(f"akshare: kind {k!r} for {s} is not one of {KINDS}")

    def currency(self, symbol: str) -> str:
        return "CNY"

    def kind(self, symbol: str) -> tuple[str, str]:
        kind, code = classify(symbol)
        return self.kinds.get(symbol, kind), code

    # ------------------------------------------------------------------ raw calls
    def _call(self, kind: str, code: str, symbol: str, start: pd.Timestamp, end: pd.Timestamp,
              adjust: str) -> pd.DataFrame:
        fn = self._calls[kind]
        kwargs = dict(symbol=code, period="daily", start_date=start.strftime("%Y%m%d"),
                      end_date=end.strftime("%Y%m%d"))
        if kind != "index":
            kwargs["adjust"] = adjust
        what = f"akshare {FUNCTIONS[kind]}"
        raw = call_with_retry(lambda: fn(**kwargs), symbol=symbol, source=what, policy=self.retry)
        if not isinstance(raw, pd.DataFrame):
            raise SourceError(f"{what} for {symbol} returned {type(raw).__name__}, not a DataFrame")
        if raw.empty:
            raise SourceError(f"{what} returned no rows for {symbol} between {start.date()} and {end.date()} "
                              f"(wrong code, not listed yet, or the source is throttling)")
        return self._normalise(raw, symbol, what)

    @staticmethod
    def _normalise(raw: pd.DataFrame, symbol: str, what: str) -> pd.DataFrame:
        cols = [str(c) for c in raw.columns]
        missing = [c for c in COLUMNS if c not in cols]
        if missing:
            hints = [f"{m!r}" + (f" (closest: {closest(m, cols)!r})" if closest(m, cols) else "") for m in missing]
            raise SourceError(f"{what} for {symbol}: missing column(s) {', '.join(hints)}; got {cols} "
                              f"(akshare changed its output?)")
        out = pd.DataFrame({dst: raw[src].to_numpy() for src, dst in COLUMNS.items()})
        out["date"] = pd.to_datetime(out["date"].astype(str), errors="coerce")
        for c in ("open", "high", "low", "close", "volume", "amount"):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(np.float64)
        out["volume"] = out["volume"] * LOT
        return out.sort_values("date", kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ public
    def fetch(self, symbol: str, start, end, adjust: str = "qfq") -> pd.DataFrame:
        """Long frame (see :mod:`aibt.data.sources`) for one A-share stock, ETF or index."""
        adjust = check_adjust(adjust)
        lo, hi = to_timestamp(start, "start"), to_timestamp(end, "end")
        kind, code = self.kind(symbol)
        notes: list[str] = []
        if kind == "index":
            out = self._call(kind, code, symbol, lo, hi, "")
            out["adj_factor"] = 1.0
        else:
            out = self._call(kind, code, symbol, lo, hi, adjust)
            if adjust:
                try:
                    raw = self._call(kind, code, symbol, lo, hi, "")
                except AibtError as exc:
                    out["adj_factor"] = 1.0
                    notes.append(f"adj_factor unknown (unadjusted fetch failed: {exc}); set to 1.0")
                else:
                    out["adj_factor"] = factor_from(out, raw)
                    if out["adj_factor"].isna().any():
                        n = int(out["adj_factor"].isna().sum())
                        out["adj_factor"] = out["adj_factor"].ffill().bfill()
                        notes.append(f"adj_factor filled from neighbours on {n} date(s) missing in the unadjusted history")
            else:
                out["adj_factor"] = 1.0
        out["symbol"] = str(symbol)
        out["currency"] = "CNY"
        out = clip_dates(out, lo, hi)
        if out.empty:
            raise SourceError(f"akshare returned no rows for {symbol} between {lo.date()} and {hi.date()}")
        for n in notes:
            add_note(out, n)
        return validate_long(out, source="akshare", symbol=symbol)


def factor_from(adjusted: pd.DataFrame, raw: pd.DataFrame) -> pd.Series:
    """``raw close / adjusted close`` per date of ``adjusted`` (NaN where ``raw`` lacks the date)."""
    r = raw.drop_duplicates("date").set_index("date")["close"]
    return pd.Series(r.reindex(adjusted["date"]).to_numpy() / adjusted["close"].to_numpy(), index=adjusted.index)
