"""One price series -> a JSON-ready statistics report; plus the reader for a user's price CSV.

The report keys are fractions (0.05 = 5 %), plain Python floats rounded to 12 significant digits so
the same input always prints the same JSON; undefined values (e.g. the Sharpe ratio of a flat series)
are ``None``. Daily returns are close-to-close; annualisation uses the series' own calendar (XSHG, XHKG,
calendar days, weekly, monthly, ...; :mod:`aibt.data.annualise`) unless ``periods_per_year`` is given,
and a period shorter than a year is not annualised unless asked (``annualise_short``).
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from aibt.data.annualise import as_datetime64
from aibt.errors import DataError
from aibt.results import metrics as M
from aibt.results.metrics import _is_series, group_products, shift_months
from aibt.results.periods import annualisation
from aibt.results.tables import best_of_months, drawdown_episodes, month_returns, profit_summary
from aibt.universes.calendar import isin_sorted

__all__ = ["stats_report", "compare_reports", "validate_prices", "clip_dates", "daily_returns",
           "PROFIT_PERIODS_MONTHS", "SIGNIFICANT_DIGITS"]

#: Holding periods (calendar months) reported under ``profit_probability``, where the data allow.
PROFIT_PERIODS_MONTHS = (1, 3, 6, 12)
#: Significant digits kept in report floats.
SIGNIFICANT_DIGITS = 12
#: Number of drawdown episodes in the report.
TOP_DRAWDOWNS = 5
_DAY = np.timedelta64(1, "D")


# --------------------------------------------------------------------------- inputs
# A price series is a pandas Series indexed by date, or a pair ``(dates, prices)`` of arrays (dates as
# ``datetime64``); inside this module it is always the pair, dates as ``datetime64[ns]``. pandas is only
# the adapter for callers who pass Series, so that ``aibt stats SYMBOL`` runs without importing it.
def _day(d) -> str:
    return str(np.datetime64(d, "D"))


def _name_of(prices) -> str | None:
    if _is_series(prices):
        return None if prices.name is None else str(prices.name)
    return None


def _validate(dates: np.ndarray, values, source: str, line_offset: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The checks of :func:`validate_prices` on ``datetime64[ns]`` dates; a float64 copy of the values."""
    def where(i: int) -> str:
        return f"line {i + line_offset}" if line_offset is not None else f"row {i}"

    if len(values) < 2:
        raise DataError(f"{source}: need at least 2 prices, got {len(values)}")
    nat = np.flatnonzero(np.isnat(dates))
    if len(nat):
        raise DataError(f"{source}: missing date ({where(int(nat[0]))})")
    values = M.float_copy(values, f"{source}: prices are not numbers")
    if values.ndim != 1 or len(values) != len(dates):
        raise DataError(f"{source}: need one price per date, got {values.shape} prices for {len(dates)} dates")
    ns = dates.view(np.int64)
    back = np.flatnonzero(np.diff(ns) < 0)
    if len(back):
        i = int(back[0]) + 1
        raise DataError(f"{source}: dates are not sorted: {_day(dates[i])} comes after {_day(dates[i - 1])} "
                        f"({where(i)})")
    dup = np.flatnonzero(np.diff(ns) == 0)
    if len(dup):
        i = int(dup[0]) + 1
        raise DataError(f"{source}: duplicate date {_day(dates[i])} ({where(i)})")
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        i = int(bad[0])
        raise DataError(f"{source}: price is missing (NaN) on {_day(dates[i])} ({where(i)})")
    nonpos = np.flatnonzero(values <= 0)
    if len(nonpos):
        i = int(nonpos[0])
        kind = "zero" if values[i] == 0 else "negative"
        raise DataError(f"{source}: price is {kind} ({values[i]:g}) on {_day(dates[i])} ({where(i)}); "
                        "prices must be positive")
    return dates, values


def _arrays(prices, source: str = "prices", line_offset: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(``datetime64[ns]`` dates, float64 prices) of a Series or a ``(dates, prices)`` pair, checked."""
    if _is_series(prices):
        import pandas as pd

        try:
            idx = pd.DatetimeIndex(pd.to_datetime(prices.index))
        except (TypeError, ValueError) as exc:
            raise DataError(f"{source}: the index is not dates ({exc})") from None
        return _validate(as_datetime64(idx), prices, source, line_offset)
    if isinstance(prices, tuple) and len(prices) == 2:
        dates = as_datetime64(np.asarray(prices[0]))
        if dates is None:
            raise DataError(f"{source}: the dates of a (dates, prices) pair must be datetime64 values")
        return _validate(dates, prices[1], source, line_offset)
    raise DataError(f"{source}: prices must be a pandas Series indexed by date, got {type(prices).__name__}")


def validate_prices(prices, source: str = "prices", line_offset: int | None = None):
    """Check a price series and return a clean float64 copy (a Series on a DatetimeIndex for a Series,
    a ``(datetime64[ns] dates, float64 prices)`` pair for a pair of arrays).

    Parameters
    ----------
    prices : Series or (dates, prices)
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
    dates, values = _arrays(prices, source, line_offset)
    if _is_series(prices):
        import pandas as pd

        return pd.Series(values, index=pd.DatetimeIndex(dates), name=prices.name)
    return dates, values


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value, what: str) -> np.datetime64:
    """A start/end bound as ``datetime64[ns]``: ISO days and datetime64 directly, anything else the way
    ``pd.Timestamp`` reads it."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return np.datetime64(value, "ns")
        except ValueError:
            raise DataError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from None
    if isinstance(value, np.datetime64) and not np.isnat(value):
        return value.astype("datetime64[ns]")
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise DataError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from None
    if pd.isna(ts):
        raise DataError(f"{what} {value!r} is not a date (use YYYY-MM-DD)")
    ts = ts.tz_localize(None) if ts.tz is not None else ts
    return np.datetime64(ts.as_unit("ns").value, "ns")


def _clip(dates: np.ndarray, values: np.ndarray, start, end, source: str) -> tuple[np.ndarray, np.ndarray]:
    first, last = dates[0], dates[-1]
    s = _date(start, "start") if start is not None else None
    e = _date(end, "end") if end is not None else None
    if s is not None and e is not None and s > e:
        raise DataError(f"start {_day(s)} is after end {_day(e)}")
    if s is not None and s < first:
        raise DataError(f"{source}: start {_day(s)} is before the first date in the data ({_day(first)})")
    if s is not None and s > last:
        raise DataError(f"{source}: start {_day(s)} is after the last date in the data ({_day(last)})")
    if e is not None and e > last:
        raise DataError(f"{source}: end {_day(e)} is after the last date in the data ({_day(last)})")
    if e is not None and e < first:
        raise DataError(f"{source}: end {_day(e)} is before the first date in the data ({_day(first)})")
    mask = np.ones(len(values), dtype=bool)
    if s is not None:
        mask &= dates >= s
    if e is not None:
        mask &= dates <= e
    if mask.sum() < 2:
        lo = _day(s) if s is not None else _day(first)
        hi = _day(e) if e is not None else _day(last)
        raise DataError(f"{source}: only {int(mask.sum())} price(s) between {lo} and {hi}; need at least 2")
    return dates[mask], values[mask]


def clip_dates(prices, start=None, end=None, source: str = "prices"):
    """Rows of a validated series (a Series, or a ``(dates, prices)`` pair) between ``start`` and
    ``end`` inclusive, in the same form.

    Raises
    ------
    DataError
        ``start``/``end`` unreadable, ``start`` after ``end``, ``start`` before the first date or
        ``end`` after the last date of the data, or fewer than 2 rows left.
    """
    if _is_series(prices):
        import pandas as pd

        d, v = _clip(as_datetime64(prices.index), prices.to_numpy(dtype=np.float64), start, end, source)
        return pd.Series(v, index=pd.DatetimeIndex(d), name=prices.name)
    return _clip(as_datetime64(np.asarray(prices[0])), np.asarray(prices[1], dtype=np.float64), start, end, source)


def daily_returns(prices):
    """Close-to-close returns :math:`r_t = p_t / p_{t-1} - 1`, indexed by the later date (a Series for
    a Series, a ``(dates, returns)`` pair for a pair)."""
    if _is_series(prices):
        import pandas as pd

        p = prices.to_numpy(dtype=np.float64)
        return pd.Series(p[1:] / p[:-1] - 1.0, index=prices.index[1:], name=prices.name)
    d, p = prices
    p = np.asarray(p, dtype=np.float64)
    return d[1:], p[1:] / p[:-1] - 1.0


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
    if ts is None:
        return None
    d = np.datetime64(ts, "D") if isinstance(ts, np.datetime64) else np.datetime64(str(ts)[:10], "D")
    return None if np.isnat(d) else str(d)


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


def _drawdown_entries(dates: np.ndarray, p: np.ndarray) -> list[dict]:
    out = []
    for row in drawdown_episodes(p, dates, top=TOP_DRAWDOWNS):
        out.append({
            "peak": _iso(row["peak"]),
            "trough": _iso(row["trough"]),
            "recovery": _iso(row["recovery"]) if row["recovered"] else "not recovered",
            "depth": _num(row["depth"]),
            "sessions_peak_to_trough": int(row["sessions_peak_to_trough"]),
            "sessions_peak_to_recovery": int(row["sessions_peak_to_recovery"]) if row["recovered"] else None,
            "sessions_underwater": int(row["sessions_underwater"]),
        })
    return out


# --------------------------------------------------------------------------- report
#: What a period shorter than a year shows instead of an annualised return (GIPS: no annualising
#: of periods under one year).
SHORT_PERIOD_NOTE = "n/a (< 1 year)"
#: Trailing windows over which the tracking figures against a benchmark are reported.
TRACKING_WINDOWS_MONTHS = {"1M": 1, "3M": 3, "1Y": 12}


def spans_a_year(n_returns: int, ppy: float) -> bool:
    """Whether ``n_returns`` periods make at least a year: one year of prices, ``n + 1 >= P`` (242
    XSHG closes of 2024 count as the year 2024 although the first close starts its first return)."""
    return n_returns + 1 >= ppy


def per_period_rate(annual_rate: float, periods_per_year: float) -> float:
    """An annual rate as a per-period rate: :math:`(1 + r_f)^{1/P} - 1` (0 stays 0)."""
    if annual_rate is None or annual_rate == 0:
        return 0.0
    if not math.isfinite(float(annual_rate)) or annual_rate <= -1:
        raise DataError(f"risk-free rate {annual_rate!r} is not a usable annual rate (use e.g. 0.015 for 1.5%)")
    return (1.0 + float(annual_rate)) ** (1.0 / float(periods_per_year)) - 1.0


def _tracking_block(dates: np.ndarray, r: np.ndarray, b: np.ndarray, ppy: float) -> dict:
    td = M.tracking_deviation(r, b)
    return {
        "start": _iso(dates[0]) if len(r) else None,
        "end": _iso(dates[-1]) if len(r) else None,
        "periods": td["periods"],
        "mean_abs_daily_deviation": _num(td["mean_abs_daily_deviation"]),
        "daily_tracking_error": _num(td["daily_tracking_error"]),
        "annual_tracking_error": _num(td["daily_tracking_error"] * math.sqrt(ppy)),
        "tracking_difference": _num(td["tracking_difference"]),
    }


def benchmark_block(r, bench_prices, ppy: float, rf_period: float = 0.0,
                    name: str | None = None, annualise_short: bool = False) -> dict:
    """Statistics of returns ``r`` against a benchmark price series, over the dates both have.

    ``r``: daily returns as a Series or a ``(dates, returns)`` pair; ``bench_prices``: a Series or a
    ``(dates, prices)`` pair.

    Keys: ``name``, ``start``, ``end``, ``periods`` (paired returns), the benchmark's own
    ``total_return`` / ``cagr`` / ``volatility_annual`` / ``max_drawdown`` over those dates, ``alpha``
    (annualised, compounded; empyrical), ``beta``, ``correlation``, ``r_squared``,
    ``information_ratio`` (annualised), ``tracking_error`` (annualised), ``tracking_difference`` (CAGR
    difference; total-return difference when under a year), ``up_capture``, ``down_capture`` and
    ``tracking_windows``: for the last 1 month, 3 months, 1 year and the whole period, the daily
    tracking figures ETF reports publish (:func:`aibt.results.metrics.tracking_deviation`).
    """
    if _is_series(r):
        rd, rv = as_datetime64(r.index), r.to_numpy(dtype=np.float64)
    else:
        rd, rv = as_datetime64(np.asarray(r[0])), np.asarray(r[1], dtype=np.float64)
    bd, bp = _arrays(bench_prices, source=name or "benchmark")
    bd, br = bd[1:], bp[1:] / bp[:-1] - 1.0
    common = rd[isin_sorted(rd, bd)]  # both sorted and unique (validated)
    if len(common) < 2:
        raise DataError(f"benchmark {name or ''} shares fewer than 2 return dates with the series "
                        f"({_day(rd[0])}..{_day(rd[-1])} vs {_day(bd[0])}..{_day(bd[-1])})")
    rr, bb = rv[np.searchsorted(rd, common)], br[np.searchsorted(bd, common)]
    long_enough = spans_a_year(len(common), ppy) or annualise_short
    bname = _name_of(bench_prices)
    out = {
        "name": name or (bname if bname is not None else "benchmark"),
        "start": _iso(common[0]), "end": _iso(common[-1]), "periods": int(len(common)),
        "total_return": _num(M.total_return(bb)),
        "cagr": _num(M.cagr(bb, ppy)) if long_enough else None,
        "volatility_annual": _num(M.annual_volatility(bb, ppy)),
        "max_drawdown": _num(M.max_drawdown(bb)),
        "alpha": _num(M.alpha(rr, bb, rf_period, ppy)),
        "beta": _num(M.beta(rr, bb)),
        "correlation": _num(M.correlation(rr, bb)),
        "r_squared": _num(M.r_squared(rr, bb)),
        "information_ratio": _num(M.information_ratio(rr, bb, ppy)),
        "tracking_error": _num(M.tracking_error(rr, bb, ppy)),
        "tracking_difference": _num(M.tracking_difference(rr, bb, ppy) if long_enough
                                    else M.total_return(rr) - M.total_return(bb)),
        "tracking_difference_basis": "cagr" if long_enough else "total return",
        "up_capture": _num(M.up_capture(rr, bb, ppy)),
        "down_capture": _num(M.down_capture(rr, bb, ppy)),
    }
    windows = {}
    last = common[-1:]
    for label, months in TRACKING_WINDOWS_MONTHS.items():
        cut = shift_months(last, -months)[0]
        if cut < common[0] - 7 * _DAY:
            continue  # the common history is shorter than the window
        keep = common > cut
        windows[label] = _tracking_block(common[keep], rr[keep], bb[keep], ppy)
    windows["all"] = _tracking_block(common, rr, bb, ppy)
    out["tracking_windows"] = windows
    return out


def stats_report(prices, start=None, end=None, periods_per_year: float | None = None,
                 source: str | None = None, *, risk_free: float = 0.0, benchmark=None,
                 benchmark_name: str | None = None, calendar: str | None = None,
                 annualise_short: bool = False) -> dict:
    """Statistics of one price or NAV series, as a JSON-serialisable dict.

    Parameters
    ----------
    prices : Series or (dates, prices)
        Positive closes (adjusted for dividends and splits if you want total returns) on unique,
        increasing dates: a Series indexed by date, or a pair of arrays (dates as ``datetime64``).
    start, end : date-like, optional
        Inclusive bounds; must lie inside the data.
    periods_per_year : float, optional
        Fixed annualisation; default: the dates' own calendar (XSHG, XHKG, calendar days, weekly,
        monthly; :func:`aibt.data.annualise.infer_annualisation`), reported under ``annualisation``.
    source : str, optional
        Names the data in error messages (defaults to the series name).
    risk_free : float, default 0
        Annual risk-free rate (0.015 = 1.5 %), de-annualised per period for Sharpe, Sortino and alpha.
    benchmark : Series or (dates, prices), optional
        Benchmark prices; adds the ``benchmark`` block (:func:`benchmark_block`).
    calendar : str, optional
        Force the calendar instead of inferring it.
    annualise_short : bool, default False
        Annualise returns of a period shorter than a year anyway. By default (GIPS) ``cagr`` and
        ``calmar`` are None there and ``cagr_note`` says ``"n/a (< 1 year)"``.

    Returns
    -------
    dict
        ``source``, ``start``, ``end`` (ISO dates actually used), ``sessions`` (rows), ``years``
        (return periods / periods per year), ``periods_per_year``, ``annualisation`` (``calendar`` and
        ``periods_per_year``), ``risk_free``, ``total_return``, ``cagr``, ``cagr_note``,
        ``volatility_annual``, ``sharpe``, ``sortino``, ``max_drawdown``, ``calmar``, ``best_day``,
        ``worst_day``, ``win_rate`` (days), ``win_rate_month`` / ``_quarter`` / ``_year``,
        ``best_month`` / ``worst_month`` (``{"month": "YYYY-MM", "return": r}``), ``best_year`` /
        ``worst_year`` (``{"year": "YYYY", "return": r}``), ``skew``, ``kurtosis`` (excess),
        ``var_95`` / ``cvar_95`` (historical, daily), ``tail_ratio``, ``omega``, ``ulcer_index``,
        ``recovery_factor``, ``longest_drawdown_sessions``, ``average_drawdown``,
        ``time_in_market``, ``trailing_returns`` (MTD, 1M, 3M, 6M, YTD, 1Y, 3Y, ITD; None where the
        data are shorter), ``monthly_returns`` (``{"YYYY-MM": r}``, first month from the first
        close), ``yearly_returns`` (``{"YYYY": r}``), ``profit_probability`` (``"1M"``, ``"3M"``,
        ``"6M"``, ``"12M"`` where at least one window fits; see
        :func:`aibt.results.tables.profit_probability`), ``drawdowns`` (the five deepest episodes,
        ``recovery`` = ``"not recovered"`` when open) and, with a benchmark, ``benchmark``.

    Raises
    ------
    DataError
        Bad prices (see :func:`validate_prices`) or dates (see :func:`clip_dates`).
    """
    own = _name_of(prices)
    name = source or (own if own is not None else "prices")
    dates, values = _arrays(prices, source=name)
    dates, p = _clip(dates, values, start, end, source=name)
    ann = annualisation(dates, periods_per_year, calendar)
    ppy = ann.periods_per_year
    rf = per_period_rate(risk_free, ppy)
    rd, r = dates[1:], p[1:] / p[:-1] - 1.0
    years = len(r) / ppy
    long_enough = spans_a_year(len(r), ppy) or annualise_short
    months, mr = month_returns(p, dates)
    worst_k = int(np.argmin(mr))
    ykeys, yprod = group_products(months.astype("datetime64[Y]").astype(np.int64) + 1970, 1.0 + mr)
    yearly = yprod - 1.0
    profit = {}
    for n in PROFIT_PERIODS_MONTHS:
        pp = profit_summary(p, dates, months=n)
        if pp["windows"] > 0:
            profit[f"{n}M"] = _profit_entry(pp)
    bm = best_of_months(months, mr)
    by, wy = int(np.argmax(yearly)), int(np.argmin(yearly))
    out = {
        "source": name,
        "start": _iso(dates[0]),
        "end": _iso(dates[-1]),
        "sessions": int(len(p)),
        "years": _num(years),
        "periods_per_year": _num(ppy),
        "annualisation": {"calendar": ann.calendar, "periods_per_year": _num(ppy)},
        "risk_free": _num(risk_free),
        "total_return": _num(p[-1] / p[0] - 1.0),
        "cagr": _num(M.cagr(r, ppy)) if long_enough else None,
        "cagr_note": None if long_enough else SHORT_PERIOD_NOTE,
        "volatility_annual": _num(M.annual_volatility(r, ppy)),
        "sharpe": _num(M.sharpe(r, rf, ppy)),
        "sortino": _num(M.sortino(r, rf, ppy)),
        "max_drawdown": _num(M.max_drawdown(r)),
        "calmar": _num(M.calmar(r, ppy)) if long_enough else None,
        "best_day": _num(M.best_day(r)),
        "worst_day": _num(M.worst_day(r)),
        "win_rate": _num(M.win_rate(r)),
        "win_rate_month": _num(M.period_win_rate(r, "M", dates=rd)),
        "win_rate_quarter": _num(M.period_win_rate(r, "Q", dates=rd)),
        "win_rate_year": _num(M.period_win_rate(r, "Y", dates=rd)),
        "best_month": {"month": bm["month"], "return": _num(bm["return"])},
        "worst_month": {"month": str(months[worst_k]), "return": _num(mr[worst_k])},
        "best_year": {"year": str(int(ykeys[by])), "return": _num(yearly[by])},
        "worst_year": {"year": str(int(ykeys[wy])), "return": _num(yearly[wy])},
        "skew": _num(M.skew(r)),
        "kurtosis": _num(M.kurtosis(r)),
        "var_95": _num(M.value_at_risk(r, 0.05)),
        "cvar_95": _num(M.conditional_value_at_risk(r, 0.05)),
        "tail_ratio": _num(M.tail_ratio(r)),
        "omega": _num(M.omega_ratio(r)),
        "ulcer_index": _num(M.ulcer_index(r)),
        "recovery_factor": _num(M.recovery_factor(r)),
        "longest_drawdown_sessions": int(M.longest_drawdown(r)),
        "average_drawdown": _num(M.average_drawdown(r)),
        "time_in_market": _num(M.exposure(r)),
        "trailing_returns": {k: _num(v) for k, v in M.trailing_returns(p, dates=dates).items()},
        "monthly_returns": {str(k): _num(v) for k, v in zip(months, mr)},
        "yearly_returns": {str(int(k)): _num(v) for k, v in zip(ykeys, yearly)},
        "profit_probability": profit,
        "drawdowns": _drawdown_entries(dates, p),
    }
    if benchmark is not None:
        out["benchmark"] = benchmark_block((rd, r), benchmark, ppy, rf, name=benchmark_name,
                                           annualise_short=annualise_short)
    return out


# --------------------------------------------------------------------------- side by side
#: Keys of one :func:`compare_reports` entry, in display order.
COMPARE_KEYS = ("start", "end", "periods_per_year", "total_return", "cagr", "volatility_annual", "sharpe",
                "max_drawdown", "best_month", "profit_probability_6m")
#: Keys added to each :func:`compare_reports` entry when a benchmark is given.
COMPARE_BENCHMARK_KEYS = ("beta", "alpha", "correlation", "tracking_error", "information_ratio")


def compare_reports(series: dict, start=None, end=None,
                    periods_per_year: float | None = None, *, risk_free: float = 0.0,
                    benchmark=None, benchmark_name: str | None = None,
                    annualise_short: bool = False) -> list[dict]:
    """Headline statistics of several price series (Series or ``(dates, prices)`` pairs, by name) over
    one common period, for a side-by-side table.

    The period is the overlap of all series (latest first date to earliest last date), narrowed by
    ``start``/``end`` when given; every series is measured over exactly these dates so the numbers are
    comparable.

    Returns
    -------
    list of dict, one per series in the order given: ``name`` plus :data:`COMPARE_KEYS`
    (``profit_probability_6m`` is the 6-month profit probability, ``None`` if no 6-month window fits);
    with a benchmark also :data:`COMPARE_BENCHMARK_KEYS` against it over the same dates.

    Raises
    ------
    DataError
        No series, bad prices, no overlapping dates, or ``start``/``end`` outside the overlap.
    """
    if not series:
        raise DataError("nothing to compare: give at least one symbol or CSV file")
    clean = {name: _arrays(p, source=name) for name, p in series.items()}
    first = max(d[0] for d, _ in clean.values())
    last = min(d[-1] for d, _ in clean.values())
    if first > last:
        spans = ", ".join(f"{n} {_day(d[0])}..{_day(d[-1])}" for n, (d, _) in clean.items())
        raise DataError(f"the series have no dates in common ({spans})")
    out = []
    for name, (d, p) in clean.items():
        keep = (d >= first) & (d <= last)
        rep = stats_report((d[keep], p[keep]), start=start, end=end, periods_per_year=periods_per_year, source=name,
                           risk_free=risk_free, benchmark=benchmark, benchmark_name=benchmark_name,
                           annualise_short=annualise_short)
        pp6 = rep["profit_probability"].get("6M")
        row = {
            "name": name,
            **{k: rep[k] for k in COMPARE_KEYS if k != "profit_probability_6m"},
            "profit_probability_6m": pp6["probability"] if pp6 else None,
        }
        if benchmark is not None:
            row["benchmark"] = rep["benchmark"]["name"]
            row.update({k: rep["benchmark"][k] for k in COMPARE_BENCHMARK_KEYS})
        out.append(row)
    return out
