"""yfinance adapter for Hong Kong and other non-A-share listings, and FX (``HKDCNY=X``).

Shapes handled (read from yfinance 1.7):

* ``yf.download(t, ...)`` -> DatetimeIndex ``Date`` (tz-naive for daily bars), MultiIndex columns
  ``(Price, Ticker)`` with Price in ``Adj Close Close High Low Open Volume`` (``Adj Close`` only
  when ``auto_adjust=False``; the default ``auto_adjust=True`` returns adjusted OHLC without it).
  Failures are swallowed and show up as an empty or all-NaN frame.
* ``yf.Ticker(t).history(...)`` -> tz-aware ``Date`` index, flat columns
  ``Open High Low Close [Adj Close] Volume [Dividends Stock Splits]``; raises
  ``YFRateLimitError`` when throttled.

The default fetcher calls ``Ticker.history(auto_adjust=False)`` so throttling raises (and is
retried) and both raw ``Close`` and ``Adj Close`` arrive: prices are then scaled to the adjusted
basis and ``adj_factor = Close / Adj Close``. Without ``Adj Close`` (an auto-adjusted frame)
``adj_factor`` is 1.0 and a note says so. ``end`` is inclusive here (Yahoo's is exclusive).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from aibt.data.retry import RetryPolicy, call_with_retry
from aibt.data.sources import add_note, check_adjust, closest, clip_dates, to_timestamp, validate_long
from aibt.errors import SourceError

PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Volume")
SUFFIX_CURRENCY = {".HK": "HKD", ".SS": "CNY", ".SZ": "CNY", ".T": "JPY", ".KS": "KRW", ".TW": "TWD",
                   ".L": "GBP", ".DE": "EUR", ".PA": "EUR", ".AS": "EUR", ".SI": "SGD"}


def currency_of(symbol: str) -> str:
    """Listing currency from the Yahoo suffix (``6088.HK`` -> HKD); USD when there is none."""
    s = str(symbol).upper()
    for suffix, cur in SUFFIX_CURRENCY.items():
        if s.endswith(suffix):
            return cur
    return "USD"


def history(symbol: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The real call: ``yf.Ticker(symbol).history`` with raw and adjusted closes, end inclusive."""
    import yfinance as yf

    return yf.Ticker(symbol).history(start=start.strftime("%Y-%m-%d"),
                                     end=(end + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                                     interval="1d", auto_adjust=False, actions=False)


def flatten(raw: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """One ticker's flat ``Open High Low Close [Adj Close] Volume`` frame from either yfinance shape."""
    df = raw
    if isinstance(df.columns, pd.MultiIndex):
        levels = [list(map(str, df.columns.get_level_values(i))) for i in range(df.columns.nlevels)]
        tick_level = next((i for i, lv in enumerate(levels) if symbol.upper() in {v.upper() for v in lv}), None)
        if tick_level is None:
            tickers = sorted(set(levels[-1]))
            raise SourceError(f"yfinance frame has no ticker {symbol!r} (tickers: {tickers})")
        mask = [v.upper() == symbol.upper() for v in levels[tick_level]]
        df = df.loc[:, mask]
        df.columns = df.columns.droplevel(tick_level)
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    return df


class YFinanceSource:
    """Yahoo Finance data through yfinance.

    Parameters
    ----------
    fetcher : callable ``(symbol, start, end) -> DataFrame`` or None
        Default :func:`history` (the real yfinance call); tests pass fakes returning frames shaped
        as yfinance returns them (either shape).
    retry : RetryPolicy or None
    """

    name = "yfinance"

    def __init__(self, fetcher: Callable | None = None, retry: RetryPolicy | None = None) -> None:
        self.fetcher = fetcher or history
        self.retry = retry or RetryPolicy()

    def currency(self, symbol: str) -> str:
        return currency_of(symbol)

    def _bars(self, symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        raw = call_with_retry(lambda: self.fetcher(symbol, lo, hi), symbol=symbol, source="yfinance",
                              policy=self.retry)
        if not isinstance(raw, pd.DataFrame):
            raise SourceError(f"yfinance for {symbol} returned {type(raw).__name__}, not a DataFrame")
        df = flatten(raw, symbol)
        missing = [c for c in PRICE_COLUMNS if c not in df.columns]
        if missing:
            hints = [f"{m!r}" + (f" (closest: {closest(m, df.columns)!r})" if closest(m, df.columns) else "")
                     for m in missing]
            raise SourceError(f"yfinance for {symbol}: missing column(s) {', '.join(hints)}; got {list(df.columns)}")
        df = df.dropna(subset=["Close"])
        if df.empty:
            raise SourceError(f"yfinance returned no rows for {symbol} between {lo.date()} and {hi.date()} "
                              f"(delisted, wrong ticker, or rate-limited: yf.download hides those errors)")
        idx = pd.DatetimeIndex(pd.to_datetime(df.index))
        if idx.tz is not None:
            idx = idx.tz_localize(None)
        df.index = idx.normalize()
        return df

    def fetch(self, symbol: str, start, end, adjust: str = "qfq") -> pd.DataFrame:
        """Long frame for one Yahoo ticker; ``adjust`` ``""`` keeps Yahoo's (split-adjusted) Close.

        Any non-empty ``adjust`` gives dividend-and-split adjusted prices (Yahoo has one basis).
        """
        adjust = check_adjust(adjust)
        lo, hi = to_timestamp(start, "start"), to_timestamp(end, "end")
        df = self._bars(symbol, lo, hi)
        o, h, l, c = (df[k].to_numpy(np.float64) for k in ("Open", "High", "Low", "Close"))
        note = None
        if "Adj Close" in df.columns:
            ratio = df["Adj Close"].to_numpy(np.float64) / c  # adjusted = raw * ratio
            if not adjust:
                ratio = np.ones_like(c)
            factor = 1.0 / ratio
        else:
            ratio = np.ones_like(c)
            factor = np.ones_like(c)
            note = ("adj_factor unknown (frame has no 'Adj Close': auto-adjusted prices); set to 1.0"
                    if adjust else None)
        out = pd.DataFrame({
            "date": df.index, "symbol": str(symbol),
            "open": o * ratio, "high": h * ratio, "low": l * ratio, "close": c * ratio,
            "volume": df["Volume"].to_numpy(np.float64), "amount": np.nan, "adj_factor": factor,
            "currency": self.currency(symbol),
        })
        out = clip_dates(out, lo, hi)
        if out.empty:
            raise SourceError(f"yfinance returned no rows for {symbol} between {lo.date()} and {hi.date()}")
        if note:
            add_note(out, note)
        return validate_long(out, source="yfinance", symbol=symbol)

    def fetch_fx(self, currency: str, start, end) -> pd.DataFrame:
        """One-column frame (named ``currency``) of CNY per unit from ``<CUR>CNY=X`` closes."""
        cur = str(currency).upper()
        if cur == "CNY":
            raise SourceError("fetch_fx: CNY needs no FX series")
        ticker = f"{cur}CNY=X"
        lo, hi = to_timestamp(start, "start"), to_timestamp(end, "end")
        df = self._bars(ticker, lo, hi)
        s = df["Close"].astype(np.float64)
        s = s[(s.index >= lo) & (s.index <= hi)]
        if s.empty or not (s > 0).all():
            raise SourceError(f"yfinance {ticker}: no valid closes between {lo.date()} and {hi.date()}")
        return s.groupby(level=0).last().rename(cur).to_frame()
