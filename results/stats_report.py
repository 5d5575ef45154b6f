"""One price series -> a JSON-ready statistics report; plus the reader for a user's price CSV.

The report keys are fractions (0.05 = 5 %), plain Python floats rounded to 12 significant digits so
the same input always prints the same JSON; undefined values (e.g. the Sharpe ratio of a flat series)
are ``None``. Daily returns are close-to-close; annualisation uses the XSHG sessions per year over the
years the series spans (:mod:`aibt.results.periods`) unless ``periods_per_year`` is given.
"""
from __future__ import annotations

import difflib
import math
import os
from typing import Any

import numpy as np
import pandas as pd

from aibt.errors import DataError
from aibt.results import metrics as M
from aibt.results.periods import annualization_factor
from aibt.results.tables import (
    best_month,
    drawdown_table,
    monthly_returns,
    profit_probability,
)

__all__ = ["stats_report", "compare_reports", "read_price_csv", "validate_prices", "clip_dates", "daily_returns",
           "PROFIT_PERIODS_MONTHS", "SIGNIFICANT_DIGITS"]

#: Holding periods (calendar months) reported under ``profit_probability``, where the data allow.
PROFIT_PERIODS_MONTHS = (1, 3, 6, 12)
#: Significant digits kept in report floats.
SIGNIFICANT_DIGITS = 12
#: Number of drawdown episodes in the report.
TOP_DRAWDOWNS = 5


# --------------------------------------------------------------------------- validation
def validate_prices(prices: pd.Series, source: str = "prices", line_offset: int | None = None) -> pd.Series:
    """Check a price series and return a clean float64 copy on a DatetimeIndex.

    Parameters
    ----------
    prices : Series
        Closes (or NAVs) indexed by date.
    source : str
        Names the data in error messages (a symbol or a file path).
    line_offset : int, optional
        For data read from a file: the file line of row 0 (2 for a CSV with one header line), so that
        errors name the line.

    Raises
    ------
    DataError
        Fewer than 2 rows, an unreadable/duplicate/out-of-order date, a missing (NaN), zero or
        negative price; the message names the date and, for files, the line.
    """
    if not isinstance(prices, pd.Series):
        raise DataError(f"{source}: prices must be a pandas Series indexed by date, got {type(prices).__name__}")
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(prices.index))
    except (TypeError, ValueError) as exc:
        raise DataError(f"{source}: the index is not dates ({exc})") from None
    if idx.tz is not None:
        idx = idx.tz_localize(None)

    def where(i: int) -> str:
        return f"line {i + line_offset}" if line_offset is not None else f"row {i}"

    if len(prices) < 2:
        raise DataError(f"{source}: need at least 2 prices, got {len(prices)}")
    nat = np.flatnonzero(idx.isna())
    if len(nat):
        raise DataError(f"{source}: missing date ({where(int(nat[0]))})")
    try:
        values = prices.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    except (TypeError, ValueError):
        raise DataError(f"{source}: prices are not numbers") from None
    back = np.flatnonzero(np.diff(idx.asi8) < 0)
    if len(back):
        i = int(back[0]) + 1
        raise DataError(f"{source}: dates are not sorted: {idx[i].date()} comes after {idx[i - 1].date()} "
                        f"({where(i)})")
    dup = np.flatnonzero(idx.duplicated())
    if len(dup):
        i = int(dup[0])
        raise DataError(f"{source}: duplicate date {idx[i].date()} ({where(i)})")
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        i = int(bad[0])
        raise DataError(f"{source}: price is missing (NaN) on {idx[i].date()} ({where(i)})")
    nonpos = np.flatnonzero(values <= 0)
    if len(nonpos):
        i = int(nonpos[0])
        kind = "zero" if values[i] == 0 else "negative"
        raise DataError(f"{source}: price is {kind} ({values[i]:g}) on {idx[i].date()} ({where(i)}); "
                        "prices must be positive")
    return pd.Series(values, index=idx, name=prices.name)


def _date(value, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise DataError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from None
    if pd.isna(ts):
        raise DataError(f"{what} {value!r} is not a date (use YYYY-MM-DD)")
    return ts.tz_localize(None) if ts.tz is not None else ts


def clip_dates(prices: pd.Series, start=None, end=None, source: str = "prices") -> pd.Series:
    """Rows of a validated series between ``start`` and ``end`` inclusive.

    Raises
    ------
    DataError
        ``start``/``end`` unreadable, ``start`` after ``end``, ``start`` before the first date or
        ``end`` after the last date of the data, or fewer than 2 rows left.
    """
    first, last = prices.index[0], prices.index[-1]
    s = _date(start, "start") if start is not None else None
    e = _date(end, "end") if end is not None else None
    if s is not None and e is not None and s > e:
        raise DataError(f"start {s.date()} is after end {e.date()}")
    if s is not None and s < first:
        raise DataError(f"{source}: start {s.date()} is before the first date in the data ({first.date()})")
    if s is not None and s > last:
        raise DataError(f"{source}: start {s.date()} is after the last date in the data ({last.date()})")
    if e is not None and e > last:
        raise DataError(f"{source}: end {e.date()} is after the last date in the data ({last.date()})")
    if e is not None and e < first:
        raise DataError(f"{source}: end {e.date()} is before the first date in the data ({first.date()})")
    mask = np.ones(len(prices), dtype=bool)
    if s is not None:
        mask &= prices.index >= s
    if e is not None:
        mask &= prices.index <= e
    out = prices[mask]
    if len(out) < 2:
        lo = s.date() if s is not None else first.date()
        hi = e.date() if e is not None else last.date()
        raise DataError(f"{source}: only {len(out)} price(s) between {lo} and {hi}; need at least 2")
    return out


def daily_returns(prices: pd.Series) -> pd.Series:
    """Close-to-close returns :math:`r_t = p_t / p_{t-1} - 1`, indexed by the later date."""
    p = prices.to_numpy(dtype=np.float64)
    return pd.Series(p[1:] / p[:-1] - 1.0, index=prices.index[1:], name=prices.name)


# --------------------------------------------------------------------------- JSON helpers
def _num(x: Any) -> float | None:
    """A plain float rounded to :data:`SIGNIFICANT_DIGITS` significant digits; None if undefined."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    r = float(f"{x:.{SIGNIFICANT_DIGITS}g}")
    return 0.0 if r == 0 else r


def _iso(ts) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def _profit_entry(pp: dict) -> dict:
    return {
        "probability": _num(pp["probability"]),
        "windows": int(pp["windows"]),
        "min": _num(pp["min"]),
        "median": _num(pp["median"]),
        "max": _num(pp["max"]),
        "mean": _num(pp["mean"]),
        "first_window": {"start": _iso(pp["first_window"]["start"]), "end": _iso(pp["first_window"]["end"])},
        "last_window": {"start": _iso(pp["last_window"]["start"]), "end": _iso(pp["last_window"]["end"])},
    }


def _drawdown_entries(prices: pd.Series) -> list[dict]:
    out = []
    for row in drawdown_table(prices, top=TOP_DRAWDOWNS).itertuples(index=False):
        out.append({
            "peak": _iso(row.peak),
            "trough": _iso(row.trough),
            "recovery": _iso(row.recovery) if row.recovered else "not recovered",
            "depth": _num(row.depth),
            "sessions_peak_to_trough": int(row.sessions_peak_to_trough),
            "sessions_peak_to_recovery": int(row.sessions_peak_to_recovery) if row.recovered else None,
            "sessions_underwater": int(row.sessions_underwater),
        })
    return out


# --------------------------------------------------------------------------- report
def stats_report(prices: pd.Series, start=None, end=None, periods_per_year: float | None = None,
                 source: str | None = None) -> dict:
    """Statistics of one price or NAV series, as a JSON-serialisable dict.

    Parameters
    ----------
    prices : Series
        Positive closes (adjusted for dividends and splits if you want total returns) on unique,
        increasing dates.
    start, end : date-like, optional
        Inclusive bounds; must lie inside the data.
    periods_per_year : float, optional
        Fixed annualisation; default: mean XSHG sessions per year over the years spanned.
    source : str, optional
        Names the data in error messages (defaults to the series name).

    Returns
    -------
    dict
        ``source``, ``start``, ``end`` (ISO dates actually used), ``sessions`` (rows),
        ``periods_per_year``, ``total_return``, ``cagr``, ``volatility_annual``, ``sharpe`` (risk-free
        0), ``sortino``, ``max_drawdown``, ``calmar``, ``best_day``, ``worst_day``, ``win_rate``,
        ``best_month`` / ``worst_month`` (``{"month": "YYYY-MM", "return": r}``),
        ``monthly_returns`` (``{"YYYY-MM": r}``, first month from the first close),
        ``yearly_returns`` (``{"YYYY": r}``), ``profit_probability`` (``"1M"``, ``"3M"``, ``"6M"``,
        ``"12M"`` where at least one window fits; see :func:`aibt.results.tables.profit_probability`)
        and ``drawdowns`` (the five deepest episodes, ``recovery`` = ``"not recovered"`` when open).
        ``total_return`` and ``cagr`` are from first to last close; ``cagr`` uses years =
        return periods / periods_per_year.

    Raises
    ------
    DataError
        Bad prices (see :func:`validate_prices`) or dates (see :func:`clip_dates`).
    """
    name = source or (str(prices.name) if isinstance(prices, pd.Series) and prices.name is not None else "prices")
    clean = validate_prices(prices, source=name)
    p = clip_dates(clean, start, end, source=name)
    ppy = annualization_factor(p.index, periods_per_year)
    r = daily_returns(p)
    mr = monthly_returns(p)
    worst_k = int(np.argmin(mr.to_numpy()))
    yearly = (1.0 + pd.Series(mr.to_numpy(), index=mr.index.year)).groupby(level=0).prod() - 1.0
    profit = {}
    for n in PROFIT_PERIODS_MONTHS:
        pp = profit_probability(p, months=n)
        if pp["windows"] > 0:
            profit[f"{n}M"] = _profit_entry(pp)
    bm = best_month(p)
    return {
        "source": name,
        "start": _iso(p.index[0]),
        "end": _iso(p.index[-1]),
        "sessions": int(len(p)),
        "periods_per_year": _num(ppy),
        "total_return": _num(p.iloc[-1] / p.iloc[0] - 1.0),
        "cagr": _num(M.cagr(r, ppy)),
        "volatility_annual": _num(M.annual_volatility(r, ppy)),
        "sharpe": _num(M.sharpe(r, 0.0, ppy)),
        "sortino": _num(M.sortino(r, 0.0, ppy)),
        "max_drawdown": _num(M.max_drawdown(r)),
        "calmar": _num(M.calmar(r, ppy)),
        "best_day": _num(M.best_day(r)),
        "worst_day": _num(M.worst_day(r)),
        "win_rate": _num(M.win_rate(r)),
        "best_month": {"month": bm["month"], "return": _num(bm["return"])},
        "worst_month": {"month": str(mr.index[worst_k]), "return": _num(mr.iloc[worst_k])},
        "monthly_returns": {str(k): _num(v) for k, v in mr.items()},
        "yearly_returns": {str(int(k)): _num(v) for k, v in yearly.items()},
        "profit_probability": profit,
        "drawdowns": _drawdown_entries(p),
    }


# --------------------------------------------------------------------------- CSV
#: Accepted header spellings (case-insensitive, surrounding spaces ignored) -> column role.
_DATE_NAMES = ("date", "日期", "交易日期", "净值日期")
_CLOSE_NAMES = ("close", "收盘", "收盘价")
_NAV_NAMES = ("nav", "单位净值", "净值")


def read_price_csv(path: str | os.PathLike) -> pd.Series:
    """Read a user's price CSV: a ``date`` column plus ``close`` (preferred) or ``nav``.

    Handles UTF-8 with or without BOM and GBK/GB18030 encodings, ``1,234.56`` thousands separators,
    ``YYYY-MM-DD`` / ``YYYY/MM/DD`` / ``YYYYMMDD`` dates, and the Chinese headers 日期, 收盘(价),
    单位净值. Other columns are ignored. The series is validated (:func:`validate_prices`), so a
    missing/zero/negative price or an unsorted/duplicate date raises with its file line.

    Returns
    -------
    Series named after the file stem, float64, on a DatetimeIndex.

    Raises
    ------
    DataError
        Missing file, undecodable text, a missing or misspelt column (naming the closest header in
        the file), an unreadable date or number, a percentage such as ``1.5%`` in the price column, or
        bad prices.
    """
    from aibt.data.source_files import parse_dates, parse_numbers, read_raw

    src = os.fspath(path)
    frame = read_raw(src)
    if frame.empty:
        raise DataError(f"{src}: no data rows")
    keys = {str(c).strip().lower(): c for c in frame.columns}

    def find(names: tuple[str, ...]):
        return next((keys[n] for n in names if n in keys), None)

    date_col = find(_DATE_NAMES)
    value_col = find(_CLOSE_NAMES) or find(_NAV_NAMES)
    missing = []
    if date_col is None:
        missing.append("date")
    if value_col is None:
        missing.append("close")
    if missing:
        hints = []
        for want in missing:
            match = difflib.get_close_matches(want, list(keys), n=1, cutoff=0.5)
            if not match and want == "close":
                match = difflib.get_close_matches("nav", list(keys), n=1, cutoff=0.5)
            if match:
                hints.append(f"did you mean {keys[match[0]]!r} for {want!r}?")
        need = " and ".join("'date'" if m == "date" else "'close' (or 'nav')" for m in missing)
        raise DataError(f"{src}: missing column {need}; the file has {[str(c) for c in frame.columns]}"
                        + (f"; {' '.join(hints)}" if hints else ""))
    dates = parse_dates(frame[date_col], where=src)
    raw = frame[value_col]
    if not pd.api.types.is_numeric_dtype(raw.dtype):
        pct = np.flatnonzero(raw.astype(str).str.strip().str.endswith("%").to_numpy())
        if pct.size:
            i = int(pct[0])
            raise DataError(f"{src}: column {str(value_col)!r} on {dates.iloc[i].date()} (line {i + 2}) has "
                            f"{raw.iloc[i]!r}, a percentage, not a price; give the close or NAV itself "
                            "(is this a change-% column?)")
    values = parse_numbers(raw, column=str(value_col), where=src, percent=False)
    stem = os.path.splitext(os.path.basename(src))[0]
    series = pd.Series(values, index=pd.DatetimeIndex(dates), name=stem)
    return validate_prices(series, source=src, line_offset=2)


# --------------------------------------------------------------------------- side by side
#: Keys of one :func:`compare_reports` entry, in display order.
COMPARE_KEYS = ("start", "end", "total_return", "cagr", "volatility_annual", "sharpe", "max_drawdown",
                "best_month", "profit_probability_6m")


def compare_reports(series: dict[str, pd.Series], start=None, end=None,
                    periods_per_year: float | None = None) -> list[dict]:
    """Headline statistics of several price series over one common period, for a side-by-side table.

    The period is the overlap of all series (latest first date to earliest last date), narrowed by
    ``start``/``end`` when given; every series is measured over exactly these dates so the numbers are
    comparable.

    Returns
    -------
    list of dict, one per series in the order given: ``name`` plus :data:`COMPARE_KEYS`
    (``profit_probability_6m`` is the 6-month profit probability, ``None`` if no 6-month window fits).

    Raises
    ------
    DataError
        No series, bad prices, no overlapping dates, or ``start``/``end`` outside the overlap.
    """
    if not series:
        raise DataError("nothing to compare: give at least one symbol or CSV file")
    clean = {name: validate_prices(p, source=name) for name, p in series.items()}
    first = max(p.index[0] for p in clean.values())
    last = min(p.index[-1] for p in clean.values())
    if first > last:
        spans = ", ".join(f"{n} {p.index[0].date()}..{p.index[-1].date()}" for n, p in clean.items())
        raise DataError(f"the series have no dates in common ({spans})")
    out = []
    for name, p in clean.items():
        common = p[(p.index >= first) & (p.index <= last)]
        rep = stats_report(common, start=start, end=end, periods_per_year=periods_per_year, source=name)
        pp6 = rep["profit_probability"].get("6M")
        out.append({
            "name": name,
            **{k: rep[k] for k in COMPARE_KEYS if k != "profit_probability_6m"},
            "profit_probability_6m": pp6["probability"] if pp6 else None,
        })
    return out
