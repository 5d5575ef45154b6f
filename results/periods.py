"""Periods per year for annualising daily A-share statistics, from the XSHG session calendar.

A-share years are short and uneven: the Shanghai Stock Exchange (XSHG) had between 238 (2013) and
246 (2008) sessions per full calendar year, 242-245 in most years, because of the Spring Festival and
National Day "golden weeks". Annualising with the US convention of 252 overstates annual volatility by
about ``sqrt(252 / 243) - 1 ~ 1.8 %`` and misstates CAGR over short spans. So:

- a dated daily series is annualised with the *average number of XSHG sessions per calendar year over
  the years it spans* (:func:`periods_per_year_for_index`);
- the user may always pass a fixed ``periods_per_year`` instead (e.g. 12 for monthly data, or 252 to
  reproduce a US-convention number);
- 252 is used **only** for a non-dated array (plain ``ndarray``) with no ``periods_per_year`` given,
  because nothing then says which calendar applies (:data:`DEFAULT_PERIODS_PER_YEAR`).

The calendar comes from ``exchange_calendars`` (``"XSHG"``). Years it does not cover in full (before
its first full year, after its last session) count as the mean of the fully covered years.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from aibt.errors import ConfigError

#: Used only for a non-dated array when no ``periods_per_year`` is given (no calendar applies).
DEFAULT_PERIODS_PER_YEAR = 252.0

#: Exchange whose sessions define the A-share trading year.
CALENDAR = "XSHG"

#: A dated index whose median gap between observations exceeds this many calendar days is not daily
#: data; annualising it with sessions per year would be wrong, so a fixed value must be given.
_MAX_DAILY_MEDIAN_GAP_DAYS = 4


@lru_cache(maxsize=1)
def _sessions_per_year_table() -> tuple[dict[int, int], float]:
    """Sessions per fully covered calendar year of the XSHG calendar, and their mean."""
    import exchange_calendars as xcals

    cal = xcals.get_calendar(CALENDAR)
    sessions = pd.DatetimeIndex(cal.sessions)
    years = sessions.year
    first, last = sessions[0], sessions[-1]
    counts: dict[int, int] = {}
    for year, n in pd.Series(1, index=years).groupby(level=0).sum().items():
        year = int(year)
        # Fully covered: the calendar starts by the first week of January and runs to Christmas week
        # (the XSHG has no Christmas holiday, so a year's last session is always on or after Dec 24).
        if first <= pd.Timestamp(year, 1, 10) and last >= pd.Timestamp(year, 12, 24):
            counts[year] = int(n)
    if not counts:  # pragma: no cover - the installed calendar always spans many years
        raise ConfigError(f"the {CALENDAR} calendar covers no full calendar year")
    return counts, float(np.mean(list(counts.values())))


def sessions_per_year(year: int) -> float:
    """Number of XSHG sessions in calendar ``year``.

    Parameters
    ----------
    year : int
        Calendar year, e.g. 2024 (242 sessions).

    Returns
    -------
    float
        The session count for a year the calendar covers in full; otherwise the mean over the covered
        years (about 243), so that years outside the calendar still get an A-share-like value.
    """
    counts, mean = _sessions_per_year_table()
    return float(counts.get(int(year), mean))


def periods_per_year_for_index(index: pd.DatetimeIndex) -> float:
    """Average XSHG sessions per calendar year over the years a daily dated index spans.

    .. math:: P = \\frac{1}{|Y|} \\sum_{y \\in Y} S_y,
              \\qquad Y = \\{\\text{year}(t_0), \\dots, \\text{year}(t_{T-1})\\}

    where :math:`S_y` is :func:`sessions_per_year` of year ``y``. Every year from the first to the last
    date counts once (a simple, not a date-weighted, mean: the spread between A-share years is small).

    Raises
    ------
    ConfigError
        If the index is empty or not daily (median gap over 4 calendar days, e.g. monthly data):
        pass ``periods_per_year`` explicitly then.
    """
    idx = pd.DatetimeIndex(index)
    if len(idx) == 0:
        raise ConfigError("cannot derive periods per year from an empty date index")
    if len(idx) > 1:
        gaps = np.diff(idx.values).astype("timedelta64[s]").astype(np.float64) / 86_400.0
        median_gap = float(np.median(np.abs(gaps)))
        if median_gap > _MAX_DAILY_MEDIAN_GAP_DAYS:
            raise ConfigError(
                f"dates are not daily (median gap {median_gap:.1f} days); pass periods_per_year "
                "explicitly (e.g. 12 for monthly, 52 for weekly data)"
            )
    years = range(int(idx.min().year), int(idx.max().year) + 1)
    return float(np.mean([sessions_per_year(y) for y in years]))


def annualization_factor(index=None, periods_per_year: float | None = None) -> float:
    """Periods per year used to annualise a return series.

    Parameters
    ----------
    index : DatetimeIndex, Series/DataFrame with a DatetimeIndex, or None
        Dates of the daily return series. Ignored when ``periods_per_year`` is given.
    periods_per_year : float, optional
        A fixed value chosen by the user (e.g. 12 for monthly returns). Must be positive.

    Returns
    -------
    float
        ``periods_per_year`` if given; else, for dated daily data, the mean XSHG sessions per year over
        the years spanned (:func:`periods_per_year_for_index`, 242-246 for A-share years); else (a
        non-dated array) :data:`DEFAULT_PERIODS_PER_YEAR` = 252, the only place 252 is assumed.

    Raises
    ------
    ConfigError
        For a non-positive or non-finite ``periods_per_year``, or dates that are not daily.
    """
    if periods_per_year is not None:
        try:
            p = float(periods_per_year)
        except (TypeError, ValueError):
            raise ConfigError(f"periods_per_year must be a number, got {periods_per_year!r}") from None
        if not np.isfinite(p) or p <= 0:
            raise ConfigError(f"periods_per_year must be a positive number, got {periods_per_year!r}")
        return p
    if isinstance(index, (pd.Series, pd.DataFrame)):
        index = index.index
    if isinstance(index, pd.DatetimeIndex):
        return periods_per_year_for_index(index)
    return DEFAULT_PERIODS_PER_YEAR
