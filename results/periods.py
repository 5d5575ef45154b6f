"""Periods per year for annualising return series: the results layer's view of
:mod:`aibt.data.annualise`, the package's one annualisation (the engine's summaries use it too).

A-share years are short and uneven: the Shanghai Stock Exchange (XSHG) had between 238 (2013) and
246 (2008) sessions per full calendar year, 242-245 in most years, because of the Spring Festival and
National Day "golden weeks"; Hong Kong has about 247, and a .HK name in the snapshot trades on the
sessions both exchanges share (about 235). Annualising with the US convention of 252 overstates
annual volatility by about ``sqrt(252 / 243) - 1 ~ 1.8 %`` and misstates CAGR. So:

- a dated series is annualised by its own calendar, inferred from its dates (XSHG, XHKG, both,
  calendar days, weekly, monthly, ...; :func:`aibt.data.annualise.infer_annualisation`);
- the user may always pass a fixed ``periods_per_year`` instead (``--periods-per-year`` on the CLI);
- an undated array has no calendar, so its factor must be given: nothing assumes 252.
"""
from __future__ import annotations

from aibt.data.annualise import Annualisation, exchange_sessions_per_year, infer_annualisation

#: Exchange whose sessions define the A-share trading year.
CALENDAR = "XSHG"


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
    return exchange_sessions_per_year(CALENDAR, year)


def periods_per_year_for_index(index, calendar: str | None = None) -> float:
    """Periods per year of a dated index, from its own calendar
    (:func:`aibt.data.annualise.infer_annualisation`): the mean sessions per calendar year of the
    exchange whose sessions fit the dates (XSHG, XHKG, or the sessions both share), 365.25 for a value
    every calendar day, 52 / 12 / 4 / 1 for weekly / monthly / quarterly / yearly dates.

    Raises
    ------
    ConfigError
        If the index is empty or its spacing matches no calendar: pass ``periods_per_year`` then.
    """
    import pandas as pd

    return infer_annualisation(pd.DatetimeIndex(index), calendar).periods_per_year


def annualisation(index=None, periods_per_year: float | None = None, calendar: str | None = None) -> Annualisation:
    """The :class:`~aibt.data.annualise.Annualisation` (calendar name and factor) of a series."""
    return infer_annualisation(index, calendar, periods_per_year)


def annualization_factor(index=None, periods_per_year: float | None = None, calendar: str | None = None) -> float:
    """Periods per year used to annualise a return series.

    Parameters
    ----------
    index : DatetimeIndex, Series/DataFrame with a DatetimeIndex, or None
        Dates of the return series. Ignored when ``periods_per_year`` is given.
    periods_per_year : float, optional
        A fixed value chosen by the user (e.g. 12 for monthly returns). Must be positive.
    calendar : str, optional
        Force a calendar (``XSHG``, ``XHKG``, ``XSHG&XHKG``, ``calendar-days``, ``weekly``, ...).

    Returns
    -------
    float
        ``periods_per_year`` if given, else the factor of the dates' own calendar
        (:func:`periods_per_year_for_index`).

    Raises
    ------
    ConfigError
        For a non-positive or non-finite ``periods_per_year``, for undated data (a plain array: no
        calendar applies, so the factor must be given; the package never assumes 252), or for dates
        whose spacing matches no calendar.
    """
    return infer_annualisation(index, calendar, periods_per_year).periods_per_year
