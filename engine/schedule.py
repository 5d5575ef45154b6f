"""Rebalance schedules: which session closes decide a rebalance (filled at the next session).

A schedule is one of

* ``None`` - every row where the caller gave target weights (rows not entirely NaN);
* ``'daily'`` - every session;
* ``'weekly'`` / ``'monthly'`` / ``'quarterly'`` - the last session of each calendar week / month /
  quarter present in the date axis; when the axis starts in the middle of a period (its first date is
  not the period's first XSHG session), also the first session, so that a portfolio starting mid-month
  invests at once instead of holding cash until the month ends;
* a sequence of dates (e.g. index review dates) - those sessions; a date that is not a session
  decides at the last session before it (or raises if it precedes the first session);
* ``'never'`` - no scheduled rebalance (useful with a drift band alone).

A drift band (see :func:`aibt.engine.simulate.simulate`) adds decisions on days when held weights
drift further than the band from the targets.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from aibt.errors import ConfigError

NAMED = ("daily", "weekly", "monthly", "quarterly", "never")


def _last_of_period(dates: pd.DatetimeIndex, key: np.ndarray) -> np.ndarray:
    out = np.zeros(len(dates), dtype=bool)
    if len(dates):
        out[:-1] = key[1:] != key[:-1]
        out[-1] = True
    return out


def _starts_mid_period(dates: pd.DatetimeIndex, period: str) -> bool:
    """True when an XSHG session of the same week / month / quarter precedes ``dates[0]``."""
    from aibt.errors import DataError
    from aibt.universes.calendar import xshg_sessions

    first = dates[0]
    if period == "weekly":
        start = first - pd.Timedelta(days=first.day_of_week)
    elif period == "monthly":
        start = first.replace(day=1)
    else:
        start = pd.Timestamp(year=first.year, month=3 * ((first.month - 1) // 3) + 1, day=1)
    try:
        return bool(len(xshg_sessions(start, first - pd.Timedelta(days=1)))) if start < first else False
    except DataError:  # outside the calendar's range, or nothing before the first date
        return False


def schedule_mask(dates: pd.DatetimeIndex, schedule, given_rows: np.ndarray | None = None) -> np.ndarray:
    """Boolean [T] mask of decision days.

    Parameters
    ----------
    dates : DatetimeIndex, the session axis.
    schedule : None, one of :data:`NAMED`, or a sequence of dates.
    given_rows : bool [T], rows where target weights were given (used when ``schedule`` is None).

    Notes
    -----
    The last session of a period is known to be the last only with the calendar of future sessions,
    which the exchange publishes in advance; it is not market information.
    """
    dates = pd.DatetimeIndex(dates)
    t = len(dates)
    if schedule is None:
        if given_rows is None:
            raise ConfigError("schedule=None needs the rows where target weights were given")
        return np.asarray(given_rows, dtype=bool).copy()
    if isinstance(schedule, str):
        s = schedule.lower()
        if s == "daily":
            return np.ones(t, dtype=bool)
        if s == "never":
            return np.zeros(t, dtype=bool)
        if s in ("weekly", "monthly", "quarterly"):
            if s == "weekly":
                iso = dates.isocalendar()
                key = (iso["year"].to_numpy() * 100 + iso["week"].to_numpy()).astype(np.int64)
            elif s == "monthly":
                key = (dates.year * 12 + dates.month).to_numpy()
            else:
                key = (dates.year * 4 + (dates.month - 1) // 3).to_numpy()
            out = _last_of_period(dates, key)
            if t and _starts_mid_period(dates, s):
                out[0] = True
            return out
        raise ConfigError(f"unknown schedule {schedule!r}; use one of {NAMED} or a list of dates")
    try:
        wanted = pd.DatetimeIndex(pd.to_datetime(list(schedule)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"schedule must be one of {NAMED} or a list of dates: {exc}") from None
    out = np.zeros(t, dtype=bool)
    if t == 0:
        return out
    pos = dates.searchsorted(wanted, side="right") - 1
    early = wanted[pos < 0]
    if len(early):
        raise ConfigError(f"schedule date {early[0].date()} is before the first session {dates[0].date()}")
    out[pos[wanted <= dates[-1]]] = True
    return out


def as_dates(values: Sequence) -> pd.DatetimeIndex:
    """Dates from strings/timestamps, for review-date schedules."""
    return pd.DatetimeIndex(pd.to_datetime(list(values)))
