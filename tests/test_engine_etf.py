"""ETF mode: fee accrual by calendar day, cash buffer, NAV and tracking vs the index."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.data.panel import Panel
from aibt.engine import simulate_etf
from aibt.engine.etf import accrual_fractions, tracking_stats_nb


def basket_panel(t=80, n=3, seed=0, start="2024-03-01"):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=t)
    close = 10 * np.exp(np.cumsum(rng.normal(0.001, 0.02, (t, n)), axis=0))
    fields = {"open": close * 0.999, "close": close, "adj_factor": np.ones((t, n))}
    return Panel(dates, tuple(f"S{j}" for j in range(n)), fields, np.ones((t, n), bool), ("CNY",) * n,
                 np.ones((t, n)))


def test_accrual_is_by_calendar_day_and_a_weekend_charges_three_days():
    days = pd.DatetimeIndex(["2023-03-09", "2023-03-10", "2023-03-13", "2023-03-14"])  # Thu Fri Mon Tue
    a = accrual_fractions(days, 0.006, 0)
    assert a.tolist() == pytest.approx([0.0, 0.006 / 365, 3 * 0.006 / 365, 0.006 / 365], rel=1e-12)


def test_accrual_uses_the_days_of_the_current_year_366_in_a_leap_year():
    # 2024 is a leap year: one day of fees is 0.6% / 366; Mon 2024-12-30 -> Thu 2025-01-02 charges
    # 12-31 of 2024 and 01-01, 01-02 of 2025
    days = pd.DatetimeIndex(["2024-03-07", "2024-03-08", "2024-03-11", "2024-12-30", "2025-01-02"])
    a = accrual_fractions(days, 0.006, 0)
    assert a[1] == pytest.approx(0.006 / 366, rel=1e-12)
    assert a[2] == pytest.approx(3 * 0.006 / 366, rel=1e-12)
    assert a[4] == pytest.approx(0.006 / 366 + 2 * 0.006 / 365, rel=1e-12)


def test_all_cash_fund_loses_exactly_the_fees_over_a_weekend():
    p = basket_panel(t=4, start="2024-03-07")
    w = pd.DataFrame(0.0, index=p.dates[:1], columns=list(p.symbols))
    w.iloc[0, 0] = 1e-12  # a basket that is (almost) nothing: the fund stays in cash
    res = simulate_etf(p, w, cash_buffer=0.0, management_fee=0.005, custody_fee=0.001)
    nav = res.nav.to_numpy()
    rate = 0.006 / 366  # 2024 is a leap year
    assert nav[0] == 1.0
    assert nav[1] == pytest.approx(1.0 - rate, rel=1e-12)  # Thu -> Fri
    assert nav[2] == pytest.approx((1.0 - rate) * (1.0 - 3 * rate), rel=1e-9)  # Fri -> Mon: 3 days
    assert res.summary["fees_accrued"] == pytest.approx(1e8 * (1 - nav[-1]), rel=1e-6)


def test_frictionless_fee_free_fund_tracks_its_basket_exactly():
    p = basket_panel()
    w = pd.DataFrame([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]], index=p.dates[[0, 40]], columns=list(p.symbols))
    res = simulate_etf(p, w, cash_buffer=0.0, management_fee=0.0, custody_fee=0.0, price="close")
    # fills at the close of the day after each decision, like the reference basket
    np.testing.assert_allclose(res.nav.to_numpy(), res.index.to_numpy(), rtol=1e-12)
    assert res.summary["tracking_error_annual"] == pytest.approx(0.0, abs=1e-12)
    assert res.summary["tracking_difference_annual"] == pytest.approx(0.0, abs=1e-12)


def test_fees_and_cash_buffer_make_the_expected_tracking_difference():
    p = basket_panel(t=250)
    w = pd.DataFrame([[0.4, 0.4, 0.2]], index=p.dates[:1], columns=list(p.symbols))
    ref = simulate_etf(p, w, cash_buffer=0.0, management_fee=0.0, custody_fee=0.0)
    fund = simulate_etf(p, w, cash_buffer=0.0, management_fee=0.005, custody_fee=0.001)
    years = (p.dates[-1] - p.dates[0]).days / 365.0
    # each session charges 0.6 % a year x calendar days / days of the year (366 in leap 2024) of the
    # previous close's net assets
    import calendar
    import datetime as dt

    def year_fraction(a, b):  # calendar days in (a, b], each 1 / days of its year
        n_days = (b - a).days
        return sum(1 / (366 if calendar.isleap((a + dt.timedelta(days=k)).year) else 365) for k in range(1, n_days + 1))

    frac = np.array([year_fraction(a.date(), b.date()) for a, b in zip(p.dates[:-1], p.dates[1:])])
    eq = fund.sim.equity.to_numpy()
    np.testing.assert_allclose(fund.sim.costs["fund_fees"].to_numpy()[1:], 0.006 * frac * eq[:-1], rtol=1e-12)
    # ... so the fund lags the fee-free fund by about 0.6 % a year (cash pays the fees, so the lag
    # does not compound exactly with the basket's return)
    lag = fund.nav.iloc[-1] / ref.nav.iloc[-1] - 1
    assert lag == pytest.approx(-0.006 * years, rel=0.15)
    assert fund.summary["tracking_difference_total"] < 0
    assert fund.summary["tracking_difference_total"] == pytest.approx(
        fund.nav.iloc[-1] - fund.index.iloc[-1], rel=1e-12)
    buffered = simulate_etf(p, w, cash_buffer=0.05, management_fee=0.0, custody_fee=0.0)
    assert buffered.sim.cash.iloc[5] / buffered.sim.equity.iloc[5] == pytest.approx(0.05, abs=0.01)
    assert buffered.summary["tracking_error_annual"] > 0
    assert years > 0.9


def test_tracking_stats_against_numpy():
    rng = np.random.default_rng(9)
    nav = np.cumprod(1 + rng.normal(0, 0.01, 100))
    idx = np.cumprod(1 + rng.normal(0, 0.01, 100))
    mean, std = tracking_stats_nb(nav, idx)
    d = np.diff(nav) / nav[:-1] - np.diff(idx) / idx[:-1]
    assert mean == pytest.approx(d.mean(), rel=1e-12)
    assert std == pytest.approx(d.std(ddof=1), rel=1e-12)


def test_given_index_level_is_used_and_must_cover_the_sessions():
    p = basket_panel(t=30)
    w = pd.DataFrame([[0.4, 0.4, 0.2]], index=p.dates[:1], columns=list(p.symbols))
    level = pd.Series(np.linspace(100, 130, 30), index=p.dates)
    res = simulate_etf(p, w, index_level=level)
    assert res.index.iloc[-1] == pytest.approx(1.3)
    from aibt.errors import DataError
    with pytest.raises(DataError, match="index level has no value on session"):
        simulate_etf(p, w, index_level=level.iloc[:-1])
