"""588790 simulated with the engine's ETF mode on the rebuilt basket: fees, frictions and the gap."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.errors import DataError, UniverseError
from aibt.loaders import star_ai_constituents, star_ai_index
from aibt.results.tracking import tracking_report
from aibt.tracking import etf_close, simulate_tracking_etf


@pytest.fixture(scope="module")
def sim():
    table = star_ai_constituents()
    return simulate_tracking_etf("588790", constituents=table, index_level=star_ai_index(constituents=table))


def test_launch_at_the_etf_first_date_and_first_close(sim):
    close = etf_close("588790")
    assert sim.summary["start"] == "2025-01-09" and sim.summary["launch"] == "2025-01-08"
    assert list(sim.daily.columns) == ["index", "basket", "fees", "buffered", "nav", "etf"]
    assert sim.daily.index[0] == pd.Timestamp("2025-01-09") and sim.daily.index[-1] == close.index[-1]
    assert (sim.daily.iloc[0, 1:] == close.iloc[0]).all()  # every NAV starts at the ETF's first close
    pd.testing.assert_series_equal(sim.daily["etf"], close, check_names=False)


def test_fees_accrue_at_0_6_percent_a_year_by_calendar_day(sim):
    fund = sim.fund.sim
    eq = fund.equity.to_numpy()
    days = np.diff(fund.equity.index.values.astype("datetime64[D]").astype(np.int64))
    # each session charges 0.6 %/yr x calendar days / 365 of the previous close's net assets
    np.testing.assert_allclose(fund.costs["fund_fees"].to_numpy()[1:], 0.006 * days / 365 * eq[:-1], rtol=1e-12)
    # over the window: fees paid / mean net assets = 0.6 % x 483 calendar days / 365 (0.794 %)
    assert sim.summary["calendar_days"] == 483
    assert sim.summary["fees_paid_fraction_of_mean_nav"] == pytest.approx(0.006 * 483 / 365, rel=0.02)
    # in log-return terms the fee gap is about -0.6 % a year (measured -0.58 %: fees are paid from cash)
    assert sim.decomposition.loc["fees", "log_annual"] == pytest.approx(-0.006, abs=0.0005)


def test_gap_decomposition_on_real_data(sim):
    dec = sim.decomposition
    # the frictionless fee-free fund holds the index basket; the only replication gap is dividend timing:
    # the fund gets each cash dividend on the ex-date and reinvests it at the next close, the rebuilt
    # (total-return) index reinvests it on the ex-date itself (measured 7.9e-5 over the window)
    assert abs(dec.loc["replication", "total_return"]) < 2e-4
    # the index rose (measured +97 % over the window): cash drag is negative but below buffer x index return
    assert dec.loc["index", "total_return"] > 0.5
    assert -0.005 * dec.loc["index", "log_annual"] < dec.loc["cash_drag", "log_annual"] < 0
    assert -0.002 < dec.loc["trading_costs", "log_annual"] < 0 and sim.summary["trading_costs"] > 0
    gaps = dec.loc[["replication", "fees", "cash_drag", "trading_costs", "residual"]].sum()
    np.testing.assert_allclose((dec.loc["index"] + gaps).to_numpy(), dec.loc["etf"].to_numpy(), atol=1e-12)
    real = tracking_report(sim.daily["etf"], sim.daily["index"])
    assert dec.loc["etf", "total_return"] == pytest.approx(real["etf_return"], rel=1e-12)
    # fees and frictions explain a small part; the rest is the rebuilt index's own error (residual)
    sim_te = sim.summary["simulated"]["tracking_error_annual"]
    assert sim_te < 0.01 < real["tracking_error_annual"] / 3
    assert sim.summary["simulated"]["correlation"] > 0.9999


def test_window_and_errors():
    s = simulate_tracking_etf("588790", start="2025-07-01", end="2025-09-30")
    assert (s.summary["start"], s.summary["end"], s.summary["launch"]) == ("2025-07-01", "2025-09-30", "2025-06-30")
    assert s.summary["calendar_days"] == 91
    # a review (2025-09-15) inside the window: the basket still matches the index (up to dividend timing)
    assert abs(s.decomposition.loc["replication", "total_return"]) < 2e-4
    with pytest.raises(UniverseError, match="588000 tracks 000688"):
        simulate_tracking_etf("588000")
    with pytest.raises(DataError, match="at least 3"):
        simulate_tracking_etf("588790", start="2026-05-07")
