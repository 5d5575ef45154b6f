"""Shanghai Stock Exchange (XSHG) trading sessions, from ``exchange_calendars``.

The snapshot and every panel built from it use these sessions as their date axis. The calendar was
checked against the SSE Composite index file (chenzt2020_quant ``sh000001.csv``): identical session
sets from 2019-01-02 to 2026-05-08.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from aibt.errors import DataError

CALENDAR_NAME = "XSHG"


@lru_cache(maxsize=1)
def _calendar():
    import exchange_calendars as xcals

    return xcals.get_calendar(CALENDAR_NAME, start="2005-01-04")


def calendar_bounds() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last session the installed calendar knows."""
    cal = _calendar()
    return pd.Timestamp(cal.first_session), pd.Timestamp(cal.last_session)


def xshg_sessions(start, end) -> pd.DatetimeIndex:
    """XSHG sessions between ``start`` and ``end`` inclusive, tz-naive, ``datetime64[ns]``.

    Parameters
    ----------
    start, end : date-like
        Inclusive bounds; each is clipped to the calendar's range.

    Returns
    -------
    pandas.DatetimeIndex
        Sorted session dates (midnight, no time zone).

    Raises
    ------
    DataError
        If ``start`` is after ``end`` or the range lies outside the calendar.
    """
    lo, hi = calendar_bounds()
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if s > e:
        raise DataError(f"session range start {s.date()} is after end {e.date()}")
    if e < lo or s > hi:
        raise DataError(f"session range {s.date()}..{e.date()} is outside the XSHG calendar "
                        f"({lo.date()}..{hi.date()})")
    sessions = _calendar().sessions_in_range(max(s, lo), min(e, hi))
    if sessions.tz is not None:
        sessions = sessions.tz_localize(None)
    return pd.DatetimeIndex(sessions.to_numpy(dtype="datetime64[ns]"))
