"""tracking_report and gap_decomposition on hand-worked cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.errors import ConfigError, DataError
from aibt.results.tracking import aligned_levels, gap_decomposition, tracking_report

DATES = pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"])


def levels(returns, start=100.0, dates=DATES):
    return pd.Series(start * np.cumprod([1.0, *(1.0 + np.asarray(returns))]), index=dates)


def test_etf_with_twice_the_index_returns():
    # index returns 1%, -1%, 2%, 0%; the ETF moves twice as much
    idx = levels([0.01, -0.01, 0.02, 0.0])
    etf = levels([0.02, -0.02, 0.04, 0.0], start=0.5)
    rep = tracking_report(etf, idx, periods_per_year=4)
    # active return = index return: mean 0.005, squared deviations 25+225+225+25 = 500 (1e-6), sd^2 = 500e-6/3
    assert rep["tracking_error_annual"] == pytest.approx(np.sqrt(4 * 500e-6 / 3), rel=1e-12)
    assert rep["beta"] == pytest.approx(2.0, rel=1e-12)
    assert rep["correlation"] == pytest.approx(1.0, rel=1e-12)
    # 4 returns at 4 a year = one year: TD = total ETF return - total index return
    # ETF 1.02*0.98*1.04 = 1.039584, index 1.01*0.99*1.02 = 1.019898
    assert rep["tracking_difference_annual"] == pytest.approx(0.039584 - 0.019898, rel=1e-9)
    assert rep["etf_return"] == pytest.approx(0.039584, rel=1e-9)
    assert rep["index_return"] == pytest.approx(0.019898, rel=1e-9)
    assert (rep["n_days"], rep["start"], rep["end"]) == (4, "2024-03-04", "2024-03-08")


def test_constant_daily_lag_has_no_tracking_error_and_unit_beta():
    r = np.array([0.01, -0.01, 0.02, 0.0])
    rep = tracking_report(levels(r - 0.001), levels(r), periods_per_year=4)
    assert rep["tracking_error_annual"] == pytest.approx(0.0, abs=1e-12)  # levels round-trip: float noise only
    assert rep["beta"] == pytest.approx(1.0, rel=1e-12)
    assert rep["correlation"] == pytest.approx(1.0, rel=1e-12)
    assert rep["tracking_difference_annual"] < 0


def test_default_annualisation_is_the_xshg_session_count_of_the_year():
    idx = levels([0.01, -0.01, 0.02, 0.0])
    etf = levels([0.02, -0.02, 0.04, 0.0])
    rep = tracking_report(etf, idx)
    assert rep["periods_per_year"] == 242.0  # XSHG sessions in 2024
    assert rep["tracking_error_annual"] == pytest.approx(np.sqrt(242 * 500e-6 / 3), rel=1e-12)


def test_missing_etf_day_is_dropped_on_both_sides():
    idx = levels([0.01, -0.01, 0.02, 0.0])
    etf = levels([0.02, -0.02, 0.04, 0.0])
    etf.iloc[2] = np.nan  # 03-06 missing: the 03-07 return spans two days for both series
    rep = tracking_report(etf, idx, periods_per_year=4)
    assert rep["n_days"] == 3
    # index two-day return 0.99*1.02 - 1 = 0.0098, ETF 0.98*1.04 - 1 = 0.0192: still exactly 2x minus a bit
    both = aligned_levels(etf, idx)
    assert list(both.index) == list(DATES[[0, 1, 3, 4]])
    r = both.pct_change().iloc[1:]
    assert r["index"].iloc[1] == pytest.approx(0.0098, rel=1e-12)
    assert r["etf"].iloc[1] == pytest.approx(0.0192, rel=1e-12)


def test_window_and_errors():
    idx = levels([0.01, -0.01, 0.02, 0.0])
    etf = levels([0.02, -0.02, 0.04, 0.0])
    rep = tracking_report(etf, idx, start="2024-03-05", end="2024-03-07", periods_per_year=4)
    assert (rep["n_days"], rep["start"], rep["end"]) == (2, "2024-03-05", "2024-03-07")
    with pytest.raises(DataError, match="2 common date"):
        tracking_report(etf, idx, start="2024-03-07")
    with pytest.raises(ConfigError, match="after end"):
        tracking_report(etf, idx, start="2024-03-08", end="2024-03-04")
    with pytest.raises(DataError, match="unsorted or duplicate"):
        tracking_report(etf.iloc[::-1], idx)


def test_gap_decomposition_telescopes():
    daily = pd.DataFrame({
        "index": [100.0, 110.0, 121.0],
        "basket": [1.0, 1.1, 1.21],
        "fees": [1.0, 1.099, 1.2077],
        "buffered": [1.0, 1.0985, 1.2065],
        "nav": [1.0, 1.098, 1.2060],
        "etf": [1.0, 1.09, 1.20],
    }, index=DATES[:3])
    dec = gap_decomposition(daily, periods_per_year=2)  # two returns at two a year: one year
    assert dec.loc["index", "total_return"] == pytest.approx(0.21)
    assert dec.loc["replication", "total_return"] == pytest.approx(0.0, abs=1e-15)
    assert dec.loc["fees", "total_return"] == pytest.approx(0.2077 - 0.21)
    assert dec.loc["residual", "total_return"] == pytest.approx(0.20 - 0.206)
    # one year: CAGR = total return, log_annual = log(1 + total return)
    assert dec.loc["fees", "annualised"] == pytest.approx(0.2077 - 0.21)
    assert dec.loc["fees", "log_annual"] == pytest.approx(np.log(1.2077 / 1.21))
    gaps = ["replication", "fees", "cash_drag", "trading_costs", "residual"]
    for col in dec.columns:
        assert dec.loc["index", col] + dec.loc[gaps, col].sum() == pytest.approx(dec.loc["etf", col], abs=1e-14)
