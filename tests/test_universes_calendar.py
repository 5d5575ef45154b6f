"""The stored exchange sessions are exchange_calendars' own, over the whole stored range."""
from __future__ import annotations

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from aibt.universes.calendar import calendar_bounds, session_days, xshg_sessions


def _xcals(name: str, start, end) -> np.ndarray:
    s = xcals.get_calendar(name, start="2005-01-04").sessions_in_range(start, end)
    return (s.tz_localize(None) if s.tz is not None else s).to_numpy(dtype="datetime64[D]")


def test_xshg_equals_exchange_calendars_over_its_whole_range():
    cal = xcals.get_calendar("XSHG", start="2005-01-04")
    stored = session_days("XSHG")
    assert stored[0] == np.datetime64(cal.first_session.date(), "D")
    # the installed calendar ends where the stored one does; a newer exchange_calendars that knows
    # later holidays fails here: rerun scripts/build_sessions.py
    assert stored[-1] == np.datetime64(cal.last_session.date(), "D")
    np.testing.assert_array_equal(stored, _xcals("XSHG", cal.first_session, cal.last_session))


def test_xhkg_equals_exchange_calendars_over_the_stored_range():
    stored = session_days("XHKG")
    assert stored[0] == np.datetime64("2005-01-04") and stored[-1] == session_days("XSHG")[-1]
    np.testing.assert_array_equal(stored, _xcals("XHKG", pd.Timestamp(stored[0]), pd.Timestamp(stored[-1])))


def test_xshg_sessions_and_bounds():
    lo, hi = calendar_bounds()
    assert (lo, hi) == (pd.Timestamp("2005-01-04"), pd.Timestamp("2026-12-31"))
    s = xshg_sessions("2024-02-01", "2024-02-29")
    assert s.dtype == "datetime64[ns]" and s.tz is None
    assert len(s) == 15 and s[0] == pd.Timestamp("2024-02-01") and pd.Timestamp("2024-02-19") in s  # Spring Festival
    assert list(xshg_sessions("2004-06-01", "2005-01-05")) == [pd.Timestamp("2005-01-04"), pd.Timestamp("2005-01-05")]
    assert not session_days("XSHG").flags.writeable


def test_unknown_exchange_is_one_line():
    from aibt.errors import DataError

    with pytest.raises(DataError, match="no stored sessions for exchange 'XNYS'"):
        session_days("XNYS")
