"""Board rules in time: lot sizes and daily price limits per board, as point-in-time tables.

Every table row names its source and status (``confirmed`` / ``reported`` / ``assumed``). No exchange rule
book was available offline, so the board rules are "reported": the published exchange rules as widely
documented (SSE STAR Market Trading Rules 2019; SZSE ChiNext Trading Special Provisions 2020; SSE/SZSE
main-board registration reform 2023), not re-read from a primary copy here.

Functions take a :class:`~aibt.universes.master.Security` and a ``DatetimeIndex`` and return arrays over the
dates; :func:`aibt.universes.trading_rules.compile_rules` assembles them for a whole panel.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.universes.dated import Change, DatedTable
from aibt.universes.master import Security

#: sessions without a price limit right after a registration-based IPO (STAR, ChiNext since 2020-08-24,
#: Main since 2023-04-10)
NO_LIMIT_SESSIONS = 5
#: legacy first-day cap for Main/ChiNext IPOs before the registration reforms: +44% over the issue price
#: (introduced with the 2014 IPO reform; reported)
LEGACY_FIRST_DAY_CAP = 0.44
LEGACY_FIRST_DAY_CAP_FROM = pd.Timestamp("2014-01-01")

# --- daily price limits vs previous close -----------------------------------------------------------
STAR_LIMIT = DatedTable("STAR limit", (
    Change("2019-07-22", 0.20, "SSE STAR Market Trading Rules (board opened 2019-07-22): +/-20%; "
                               "no limit in the first 5 sessions after listing"),
))
CHINEXT_LIMIT = DatedTable("ChiNext limit", (
    Change("2009-10-30", 0.10, "ChiNext opened 2009-10-30 with the main-board +/-10% limit"),
    Change("2020-08-24", 0.20, "SZSE ChiNext registration reform, effective 2020-08-24: +/-20%; new listings "
                               "from that date have no limit in their first 5 sessions"),
))
CHINEXT_ST_LIMIT = DatedTable("ChiNext ST limit", (
    Change("2009-10-30", 0.05, "risk-warning stocks +/-5% before the ChiNext reform"),
    Change("2020-08-24", 0.20, "ChiNext reform 2020-08-24: risk-warning stocks share the +/-20% limit"),
))
MAIN_LIMIT = DatedTable("Main limit", (
    Change("1996-12-16", 0.10, "SSE/SZSE daily price limit +/-10% since 1996-12-16"),
))
MAIN_ST_LIMIT = DatedTable("Main ST limit", (
    Change("1998-04-22", 0.05, "special treatment (ST) introduced 1998-04-22 with a +/-5% limit"),
    Change("2025-07-07", 0.10, "SSE/SZSE revised rules: main-board risk-warning stocks +/-10% from 2025-07-07 "
                               "(recalled; not verified offline)", "reported"),
))
MAIN_REGISTRATION_FROM = pd.Timestamp("2023-04-10")  # first registration-based main-board listings
CHINEXT_REGISTRATION_FROM = pd.Timestamp("2020-08-24")
STAR_ETF_LIMIT = DatedTable("STAR ETF limit", (
    Change("2019-07-22", 0.20, "ETFs holding STAR stocks (588xxx/589xxx) follow the STAR +/-20% limit"),
))
ETF_LIMIT = DatedTable("ETF limit", (
    Change("1996-12-16", 0.10, "other exchange ETFs (510xxx, 159xxx, ...): +/-10%"),
))

# --- lots: (minimum buy, increment above it) ---------------------------------------------------------
LOTS = {
    "STAR": (200, 1, "SSE STAR Trading Rules: buy orders >= 200 shares, then steps of 1 share (reported)"),
    "ChiNext": (100, 100, "100-share round lots (reported)"),
    "Main": (100, 100, "100-share round lots (reported)"),
    "ETF": (100, 100, "ETF units in lots of 100 (reported)"),
    "Index": (1, 1, "an index is not traded; unit lot so that notional holdings are allowed"),
}


def is_star_etf(code: str) -> bool:
    """True for the SSE STAR ETF code ranges 588xxx / 589xxx."""
    return code.startswith(("588", "589"))


def lot_size(sec: Security) -> tuple[int, int]:
    """Minimum buy order and increment in shares: STAR (200, 1), Main/ChiNext/ETF (100, 100), HK (lot, lot)."""
    if sec.board == "HK":
        return int(sec.hk_board_lot), int(sec.hk_board_lot)
    lot_min, step, _ = LOTS[sec.board]
    return lot_min, step


def first_sessions(listing_date: pd.Timestamp, dates: pd.DatetimeIndex, n: int) -> np.ndarray:
    """Boolean [T]: the dates of ``dates`` that are among the first ``n`` XSHG sessions from
    ``listing_date`` on.

    The sessions are counted on the exchange calendar from the listing date, not on the given axis, so
    a panel that starts on a new listing's third session still marks its third to fifth sessions.
    """
    from aibt.universes.calendar import calendar_bounds, xshg_sessions

    d = pd.DatetimeIndex(dates)
    out = np.zeros(len(d), dtype=bool)
    if len(d) == 0 or n <= 0:
        return out
    lo, hi = calendar_bounds()
    listed = pd.Timestamp(listing_date)
    if listed > d[-1] or listed > hi or listed < lo:
        # outside the calendar: count on the axis (only reachable for listings before 2005)
        if listed >= d[0]:
            first = int(np.searchsorted(d.values, np.datetime64(listed), side="left"))
            out[first:first + n] = True
        return out
    first_n = xshg_sessions(listed, min(hi, listed + pd.Timedelta(days=14 + 7 * n)))[:n]
    out[:] = d.isin(first_n)
    return out


def limit_pct(sec: Security, dates: pd.DatetimeIndex) -> np.ndarray:
    """Float64 [T] daily price limit vs previous close; NaN = no limit (and before the listing date).

    HK and indices: always NaN. STAR: 20%, NaN in the first 5 sessions. ChiNext: 10% (ST 5%) before
    2020-08-24, 20% after; listings from 2020-08-24 NaN for 5 sessions, earlier listings 44% on the first day
    (from 2014). Main: 10%, ST 5% (10% from 2025-07-07); listings from 2023-04-10 NaN for 5 sessions, earlier
    listings 44% on the first day (from 2014; listings before 2014 NaN on the first day: no daily limit on the
    IPO day then, intraday halts not modelled). ETFs: 20% for 588/589 STAR ETFs, 10% otherwise.
    """
    d = pd.DatetimeIndex(dates)
    if sec.board in ("HK", "Index"):
        return np.full(len(d), np.nan)
    listed = sec.listing_date
    if sec.board == "ETF":
        return (STAR_ETF_LIMIT if is_star_etf(sec.code) else ETF_LIMIT).lookup_from(d, listed, np.nan)
    st = sec.is_st(d) & np.asarray(d >= listed)
    if sec.board == "STAR":
        out = STAR_LIMIT.lookup_from(d, listed, np.nan)
        out[first_sessions(sec.listing_date, d, NO_LIMIT_SESSIONS)] = np.nan
        return out
    if sec.board == "ChiNext":
        base, st_table, reform = CHINEXT_LIMIT, CHINEXT_ST_LIMIT, CHINEXT_REGISTRATION_FROM
    else:
        base, st_table, reform = MAIN_LIMIT, MAIN_ST_LIMIT, MAIN_REGISTRATION_FROM
    out = base.lookup_from(d, listed, np.nan)
    if st.any():
        out[st] = st_table.lookup(d[st])
    if sec.listing_date >= reform:
        out[first_sessions(sec.listing_date, d, NO_LIMIT_SESSIONS)] = np.nan
    elif sec.listing_date >= LEGACY_FIRST_DAY_CAP_FROM:
        out[first_sessions(sec.listing_date, d, 1)] = LEGACY_FIRST_DAY_CAP
    else:
        out[first_sessions(sec.listing_date, d, 1)] = np.nan
    return out
