"""One price series -> a JSON-ready statistics report; plus the reader for a user's price CSV.

The report keys are fractions (0.05 = 5 %), plain Python floats rounded to 12 significant digits so
the same input always prints the same JSON; undefined values (e.g. the Sharpe ratio of a flat series)
are ``None``. Daily returns are close-to-close; annualisation uses the series' own calendar (XSHG, XHKG,
calendar days, weekly, monthly, ...; :mod:`aibt.data.annualise`) unless ``periods_per_year`` is given,
and a period shorter than a year is not annualised unless asked (``annualise_short``).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from aibt.errors import DataError
from aibt.results import metrics as M
from aibt.results.periods import annualisation
from aibt.results.tables import (
    best_month,
    drawdown_table,
    monthly_returns,
    profit_probability,
)

__all__ = ["stats_report", "compare_reports", "validate_prices", "clip_dates", "daily_returns",
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


def _tracking_block(r: pd.Series, b: pd.Series, ppy: float) -> dict:
    td = M.tracking_deviation(r, b)
    return {
        "start": _iso(r.index[0]) if len(r) else None,
        "end": _iso(r.index[-1]) if len(r) else None,
        "periods": td["periods"],
        "mean_abs_daily_deviation": _num(td["mean_abs_daily_deviation"]),
        "daily_tracking_error": _num(td["daily_tracking_error"]),
        "annual_tracking_error": _num(td["daily_tracking_error"] * math.sqrt(ppy)),
        "tracking_difference": _num(td["tracking_difference"]),
    }


def benchmark_block(r: pd.Series, bench_prices: pd.Series, ppy: float, rf_period: float = 0.0,
                    name: str | None = None, annualise_short: bool = False) -> dict:
    """Statistics of returns ``r`` against a benchmark price series, over the dates both have.

    Keys: ``name``, ``start``, ``end``, ``periods`` (paired returns), the benchmark's own
    ``total_return`` / ``cagr`` / ``volatility_annual`` / ``max_drawdown`` over those dates, ``alpha``
    (annualised, compounded; empyrical), ``beta``, ``correlation``, ``r_squared``,
    ``information_ratio`` (annualised), ``tracking_error`` (annualised), ``tracking_difference`` (CAGR
    difference; total-return difference when under a year), ``up_capture``, ``down_capture`` and
    ``tracking_windows``: for the last 1 month, 3 months, 1 year and the whole period, the daily
    tracking figures ETF reports publish (:func:`aibt.results.metrics.tracking_deviation`).
    """
    bp = validate_prices(bench_prices, source=name or "benchmark")
    br = daily_returns(bp)
    common = r.index.intersection(br.index)
    if len(common) < 2:
        raise DataError(f"benchmark {name or ''} shares fewer than 2 return dates with the series "
                        f"({r.index[0].date()}..{r.index[-1].date()} vs {br.index[0].date()}..{br.index[-1].date()})")
    rr, bb = r.reindex(common), br.reindex(common)
    long_enough = spans_a_year(len(common), ppy) or annualise_short
    out = {
        "name": name or (str(bench_prices.name) if bench_prices.name is not None else "benchmark"),
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
    last = common[-1]
    for label, months in TRACKING_WINDOWS_MONTHS.items():
        cut = last - pd.DateOffset(months=months)
        if cut < common[0] - pd.Timedelta(days=7):
            continue  # the common history is shorter than the window
        keep = common > cut
        windows[label] = _tracking_block(rr[keep], bb[keep], ppy)
    windows["all"] = _tracking_block(rr, bb, ppy)
    out["tracking_windows"] = windows
    return out


def stats_report(prices: pd.Series, start=None, end=None, periods_per_year: float | None = None,
                 source: str | None = None, *, risk_free: float = 0.0, benchmark: pd.Series | None = None,
                 benchmark_name: str | None = None, calendar: str | None = None,
                 annualise_short: bool = False) -> dict:
    """Statistics of one price or NAV series, as a JSON-serialisable dict.

    Parameters
    ----------
    prices : Series
        Positive closes (adjusted for dividends and splits if you want total returns) on unique,
        increasing dates.
    start, end : date-like, optional
        Inclusive bounds; must lie inside the data.
    periods_per_year : float, optional
        Fixed annualisation; default: the dates' own calendar (XSHG, XHKG, calendar days, weekly,
        monthly; :func:`aibt.data.annualise.infer_annualisation`), reported under ``annualisation``.
    source : str, optional
        Names the data in error messages (defaults to the series name).
    risk_free : float, default 0
        Annual risk-free rate (0.015 = 1.5 %), de-annualised per period for Sharpe, Sortino and alpha.
    benchmark : Series, optional
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
    name = source or (str(prices.name) if isinstance(prices, pd.Series) and prices.name is not None else "prices")
    clean = validate_prices(prices, source=name)
    p = clip_dates(clean, start, end, source=name)
    ann = annualisation(p.index, periods_per_year, calendar)
    ppy = ann.periods_per_year
    rf = per_period_rate(risk_free, ppy)
    r = daily_returns(p)
    years = len(r) / ppy
    long_enough = spans_a_year(len(r), ppy) or annualise_short
    mr = monthly_returns(p)
    worst_k = int(np.argmin(mr.to_numpy()))
    yearly = (1.0 + pd.Series(mr.to_numpy(), index=mr.index.year)).groupby(level=0).prod() - 1.0
    profit = {}
    for n in PROFIT_PERIODS_MONTHS:
        pp = profit_probability(p, months=n)
        if pp["windows"] > 0:
            profit[f"{n}M"] = _profit_entry(pp)
    bm = best_month(p)
    by, wy = int(np.argmax(yearly.to_numpy())), int(np.argmin(yearly.to_numpy()))
    out = {
        "source": name,
        "start": _iso(p.index[0]),
        "end": _iso(p.index[-1]),
        "sessions": int(len(p)),
        "years": _num(years),
        "periods_per_year": _num(ppy),
        "annualisation": {"calendar": ann.calendar, "periods_per_year": _num(ppy)},
        "risk_free": _num(risk_free),
        "total_return": _num(p.iloc[-1] / p.iloc[0] - 1.0),
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
        "win_rate_month": _num(M.period_win_rate(r, "M")),
        "win_rate_quarter": _num(M.period_win_rate(r, "Q")),
        "win_rate_year": _num(M.period_win_rate(r, "Y")),
        "best_month": {"month": bm["month"], "return": _num(bm["return"])},
        "worst_month": {"month": str(mr.index[worst_k]), "return": _num(mr.iloc[worst_k])},
        "best_year": {"year": str(int(yearly.index[by])), "return": _num(yearly.iloc[by])},
        "worst_year": {"year": str(int(yearly.index[wy])), "return": _num(yearly.iloc[wy])},
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
        "trailing_returns": {k: _num(v) for k, v in M.trailing_returns(p).items()},
        "monthly_returns": {str(k): _num(v) for k, v in mr.items()},
        "yearly_returns": {str(int(k)): _num(v) for k, v in yearly.items()},
        "profit_probability": profit,
        "drawdowns": _drawdown_entries(p),
    }
    if benchmark is not None:
        out["benchmark"] = benchmark_block(r, benchmark, ppy, rf, name=benchmark_name,
                                           annualise_short=annualise_short)
    return out


# --------------------------------------------------------------------------- side by side
#: Keys of one :func:`compare_reports` entry, in display order.
COMPARE_KEYS = ("start", "end", "periods_per_year", "total_return", "cagr", "volatility_annual", "sharpe",
                "max_drawdown", "best_month", "profit_probability_6m")
#: Keys added to each :func:`compare_reports` entry when a benchmark is given.
COMPARE_BENCHMARK_KEYS = ("beta", "alpha", "correlation", "tracking_error", "information_ratio")


def compare_reports(series: dict[str, pd.Series], start=None, end=None,
                    periods_per_year: float | None = None, *, risk_free: float = 0.0,
                    benchmark: pd.Series | None = None, benchmark_name: str | None = None,
                    annualise_short: bool = False) -> list[dict]:
    """Headline statistics of several price series over one common period, for a side-by-side table.

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
    clean = {name: validate_prices(p, source=name) for name, p in series.items()}
    first = max(p.index[0] for p in clean.values())
    last = min(p.index[-1] for p in clean.values())
    if first > last:
        spans = ", ".join(f"{n} {p.index[0].date()}..{p.index[-1].date()}" for n, p in clean.items())
        raise DataError(f"the series have no dates in common ({spans})")
    out = []
    for name, p in clean.items():
        common = p[(p.index >= first) & (p.index <= last)]
        rep = stats_report(common, start=start, end=end, periods_per_year=periods_per_year, source=name,
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
