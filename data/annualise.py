"""One annualisation and one CAGR for the whole package (engine summaries and the results layer).

The factor :math:`P` (periods per year) comes from the series' own calendar, inferred from its dates:

=====================  ==========================================================================
calendar               periods per year
=====================  ==========================================================================
``XSHG``               mean Shanghai sessions per calendar year over the years spanned (238-246)
``XHKG``               mean Hong Kong sessions per calendar year over the years spanned (~247)
``XSHG&XHKG``          mean sessions on which *both* trade (the snapshot's axis for a .HK name)
``calendar-days``      365.25 (a value for every calendar day: NAVs, crypto, interpolated series)
``weekly``             52 (median gap 5-10 days)
``monthly``            12 (median gap 25-35 days)
``quarterly``          4 (median gap 80-100 days)
``yearly``             1 (median gap 350-380 days)
=====================  ==========================================================================

Daily dates are matched to the exchange calendars: the candidates are the calendars that contain
(nearly) every date, and the one with the fewest sessions in the series' range wins (the tightest
fit; XSHG on a tie). A daily series that fits no exchange is annualised by its observed
observations per year, ``"observed"``. An explicit ``periods_per_year`` always wins.

The compound annual growth rate is then

.. math:: \\mathrm{CAGR} = G^{P / n} - 1, \\qquad \\text{years} = n / P

for a growth factor :math:`G` (final over initial value) over :math:`n` return periods.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from aibt.errors import ConfigError

__all__ = ["Annualisation", "infer_annualisation", "periods_per_year", "exchange_sessions_per_year",
           "years", "cagr", "CALENDAR_DAYS_PER_YEAR", "EXCHANGES", "loaded_pandas", "as_datetime64"]

#: Mean calendar days per (Julian) year, the factor of a series with a value for every calendar day.
CALENDAR_DAYS_PER_YEAR = 365.25
#: Exchange calendars a daily series is matched against, in tie-break order.
EXCHANGES = ("XSHG", "XHKG", "XSHG&XHKG")
#: Share of the dates that may fall outside a calendar and still fit it (stray data-vendor rows).
_FIT_TOLERANCE = 0.002
#: Median gaps (days) of the fixed low-frequency calendars.
_FIXED = (("weekly", 5.0, 10.0, 52.0), ("monthly", 25.0, 35.0, 12.0), ("quarterly", 80.0, 100.0, 4.0),
          ("yearly", 350.0, 380.0, 1.0))
_NS_PER_DAY = 86_400 * 10**9


def loaded_pandas():
    """The pandas module if this process has imported it, else None: an object can only be a pandas
    Series/DataFrame/Index when pandas is loaded, so the array paths never import it."""
    return sys.modules.get("pandas")


def as_datetime64(dates) -> np.ndarray | None:
    """Dates as a ``datetime64[ns]`` array (tz-aware pandas dates as their local wall time), or None
    when ``dates`` are not dates (a pandas DatetimeIndex or a numpy ``datetime64`` array)."""
    pd = loaded_pandas()
    if pd is not None and isinstance(dates, pd.DatetimeIndex):
        idx = dates.tz_localize(None) if dates.tz is not None else dates
        return idx.to_numpy(dtype="datetime64[ns]")
    if isinstance(dates, np.ndarray) and dates.dtype.kind == "M":
        return dates.astype("datetime64[ns]")
    return None


@dataclass(frozen=True)
class Annualisation:
    """The factor used to annualise a series and where it came from.

    ``calendar`` is one of ``XSHG``, ``XHKG``, ``XSHG&XHKG``, ``calendar-days``, ``weekly``,
    ``monthly``, ``quarterly``, ``yearly``, ``observed`` or ``given`` (passed explicitly).
    """

    calendar: str
    periods_per_year: float

    def describe(self) -> str:
        return f"{self.periods_per_year:g} periods/year ({self.calendar})"


@lru_cache(maxsize=4)
def _sessions(name: str) -> np.ndarray:
    """The sessions of ``name`` as sorted ``datetime64[ns]`` integers (the stored calendars of
    :mod:`aibt.universes.calendar`, the one calendar the snapshot's axis comes from)."""
    from aibt.universes.calendar import isin_sorted, session_days

    if name == "XSHG&XHKG":
        xshg = _sessions("XSHG")
        return xshg[isin_sorted(xshg, _sessions("XHKG"))]
    return session_days(name).astype("datetime64[ns]").view(np.int64)


def _year_of(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970


@lru_cache(maxsize=4)
def _year_table(name: str) -> tuple[dict[int, int], float]:
    s = _sessions(name)
    first, last = s[0], s[-1]
    counts = {}
    y = _year_of(s)  # sorted
    starts = np.flatnonzero(np.r_[True, y[1:] != y[:-1]])
    for year, k in zip(y[starts].tolist(), np.diff(np.r_[starts, len(y)]).tolist()):
        jan10 = np.datetime64(f"{year:04d}-01-10", "ns").view(np.int64)
        dec24 = np.datetime64(f"{year:04d}-12-24", "ns").view(np.int64)
        if first <= jan10 and last >= dec24:
            counts[int(year)] = int(k)
    return counts, float(np.mean(list(counts.values())))


def exchange_sessions_per_year(calendar: str, year: int) -> float:
    """Sessions of ``calendar`` (``XSHG``, ``XHKG`` or ``XSHG&XHKG``) in calendar ``year``; the mean
    over the fully covered years for a year outside the calendar."""
    if calendar not in EXCHANGES:
        raise ConfigError(f"unknown calendar {calendar!r}; use one of {', '.join(EXCHANGES)}")
    counts, mean = _year_table(calendar)
    return float(counts.get(int(year), mean))


def _exchange_factor(calendar: str, idx: np.ndarray) -> float:
    years = range(int(_year_of(idx[:1])[0]), int(_year_of(idx[-1:])[0]) + 1)
    return float(np.mean([exchange_sessions_per_year(calendar, y) for y in years]))


def _check_given(value) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"periods_per_year must be a number, got {value!r}") from None
    if not np.isfinite(p) or p <= 0:
        raise ConfigError(f"periods_per_year must be a positive number, got {value!r}")
    return p


def infer_annualisation(index, calendar: str | None = None, periods_per_year: float | None = None) -> Annualisation:
    """The calendar of a dated series and its periods per year (see the module text).

    Parameters
    ----------
    index : DatetimeIndex or ``datetime64`` array (or a Series/DataFrame with a DatetimeIndex), or None
        The dates of the series (of its prices or of its returns).
    calendar : str, optional
        Force a calendar by name instead of inferring it.
    periods_per_year : float, optional
        A fixed factor; wins over everything (calendar ``"given"``).

    Raises
    ------
    ConfigError
        A non-positive factor, an unknown calendar name, no dates (an undated array) or dates whose
        spacing matches no calendar: pass ``periods_per_year`` then.
    """
    if periods_per_year is not None:
        return Annualisation("given", _check_given(periods_per_year))
    pd = loaded_pandas()
    if pd is not None and isinstance(index, (pd.Series, pd.DataFrame)):
        index = index.index
    dates = as_datetime64(index)
    if dates is None:
        raise ConfigError("undated returns have no calendar to annualise by: pass periods_per_year "
                          "(e.g. 242 for A-share sessions, 12 for months) or give a dated Series")
    # midnight of each date, unique and sorted, as ns integers
    idx = np.sort(dates.astype("datetime64[D]").astype("datetime64[ns]").view(np.int64))
    idx = idx[np.r_[True, idx[1:] != idx[:-1]]] if len(idx) else idx
    if calendar is not None:
        if calendar == "calendar-days":
            return Annualisation(calendar, CALENDAR_DAYS_PER_YEAR)
        for name, _, _, p in _FIXED:
            if calendar == name:
                return Annualisation(name, p)
        if calendar not in EXCHANGES:
            raise ConfigError(f"unknown calendar {calendar!r}; use one of {', '.join(EXCHANGES)}, "
                              "calendar-days, weekly, monthly, quarterly, yearly")
        if len(idx) == 0:
            raise ConfigError("cannot annualise an empty date index")
        return Annualisation(calendar, _exchange_factor(calendar, idx))
    if len(idx) < 2:
        # one date says nothing about spacing; an A-share package assumes A-share sessions
        if len(idx) == 0:
            raise ConfigError("cannot annualise an empty date index: pass periods_per_year")
        return Annualisation("XSHG", _exchange_factor("XSHG", idx))
    gaps = np.diff(idx) / 86_400e9
    median = float(np.median(gaps))
    if median > 4.0:
        for name, lo, hi, p in _FIXED:
            if lo <= median <= hi:
                return Annualisation(name, p)
        raise ConfigError(f"the dates are {median:.0f} days apart (median), which matches no calendar: "
                          "pass periods_per_year")
    dayofweek = (idx // _NS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    weekend = float(np.mean(dayofweek >= 5))
    if weekend > 0.1:
        return Annualisation("calendar-days", CALENDAR_DAYS_PER_YEAR)
    from aibt.universes.calendar import isin_sorted

    best = None
    for name in EXCHANGES:
        sessions = _sessions(name)
        if idx[0] < sessions[0] or idx[-1] > sessions[-1]:
            continue
        outside = float(np.mean(~isin_sorted(idx, sessions)))
        if outside > _FIT_TOLERANCE:
            continue
        in_range = int(np.searchsorted(sessions, idx[-1], side="right") - np.searchsorted(sessions, idx[0], side="left"))
        if best is None or in_range < best[1]:
            best = (name, in_range)
    if best is not None:
        return Annualisation(best[0], _exchange_factor(best[0], idx))
    span = int((idx[-1] - idx[0]) // _NS_PER_DAY) / CALENDAR_DAYS_PER_YEAR
    return Annualisation("observed", (len(idx) - 1) / span)


def periods_per_year(index, calendar: str | None = None, periods_per_year: float | None = None) -> float:
    """:func:`infer_annualisation`'s factor alone."""
    return infer_annualisation(index, calendar, periods_per_year).periods_per_year


def years(n_periods, ppy: float):
    """Length in years of ``n_periods`` return periods: :math:`n / P`."""
    return np.asarray(n_periods, dtype=np.float64) / float(ppy) if np.ndim(n_periods) else float(n_periods) / float(ppy)


def cagr(growth, n_periods, ppy: float):
    """Compound annual growth rate :math:`G^{P/n} - 1` of a growth factor over ``n_periods`` returns.

    -1 for a total loss (:math:`G \\le 0`), NaN for no periods or a NaN growth. Works elementwise on
    arrays (one growth and period count per portfolio).
    """
    g = np.asarray(growth, dtype=np.float64)
    n = np.asarray(n_periods, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = np.where(g > 0, np.power(np.maximum(g, 0.0), float(ppy) / np.where(n > 0, n, 1.0)) - 1.0, -1.0)
    out = np.where((n > 0) & ~np.isnan(g), out, np.nan)
    return float(out) if out.ndim == 0 else out
