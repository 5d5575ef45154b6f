"""Drawdown, monthly-return and holding-period tables: hand-worked series and quantstats."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import quantstats as qs
from hypothesis import given, settings
from hypothesis import strategies as st

from aibt.errors import ConfigError, DataError
from aibt.results import metrics as m
from aibt.results.tables import (
    best_month,
    drawdown_table,
    holding_period_returns,
    monthly_returns,
    monthly_returns_table,
    profit_probability,
)

T = pd.Timestamp


def _s(pairs):
    return pd.Series([v for _, v in pairs], index=pd.DatetimeIndex([d for d, _ in pairs]), name="x")


# ------------------------------------------------------------------ drawdowns
@pytest.fixture
def eight():
    return _s([("2024-01-02", 100.0), ("2024-01-03", 110.0), ("2024-01-04", 99.0), ("2024-01-05", 105.0),
               ("2024-01-08", 110.0), ("2024-01-09", 120.0), ("2024-01-10", 90.0), ("2024-01-11", 100.0)])


def test_drawdown_table_hand_worked(eight):
    before = eight.copy()
    t = drawdown_table(eight)
    assert len(t) == 2
    # deepest first: 120 -> 90 (-25 %), still under water at the end
    a = t.iloc[0]
    assert (a.peak, a.trough) == (T("2024-01-09"), T("2024-01-10"))
    assert pd.isna(a.recovery) and not a.recovered
    assert a.depth == pytest.approx(90 / 120 - 1, abs=1e-15)
    assert a.sessions_peak_to_trough == 1 and pd.isna(a.sessions_peak_to_recovery)
    assert a.sessions_underwater == 2
    # 110 -> 99 (-10 %), recovered when the close is back at 110 (equal counts)
    b = t.iloc[1]
    assert (b.peak, b.trough, b.recovery) == (T("2024-01-03"), T("2024-01-04"), T("2024-01-08"))
    assert b.recovered and b.depth == pytest.approx(-0.1, abs=1e-15)
    assert (b.sessions_peak_to_trough, b.sessions_peak_to_recovery, b.sessions_underwater) == (1, 3, 3)
    assert drawdown_table(eight, top=1).shape[0] == 1
    pd.testing.assert_series_equal(eight, before)


def test_drawdown_table_no_drawdown_and_ties():
    up = _s([("2024-01-02", 1.0), ("2024-01-03", 1.0), ("2024-01-04", 2.0)])
    assert drawdown_table(up).empty
    # a new equal high is not a drawdown; the later equal high is the peak of the next episode
    s = _s([("2024-01-02", 10.0), ("2024-01-03", 10.0), ("2024-01-04", 9.0), ("2024-01-05", 10.0)])
    t = drawdown_table(s)
    assert t.peak.tolist() == [T("2024-01-03")] and t.recovery.tolist() == [T("2024-01-05")]


def test_drawdown_table_against_quantstats():
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2023-01-02", periods=400)
    p = pd.Series(10 * np.cumprod(1 + rng.normal(0.002, 0.015, len(idx))), index=idx)
    r = (p / p.shift(1) - 1).iloc[1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = qs.stats.drawdown_details(qs.stats.to_drawdown_series(r))
    ours = drawdown_table(p)
    assert len(ours) == len(ref) > 5
    pos = {d: i for i, d in enumerate(idx)}
    ref = ref.assign(depth=ref["max drawdown"] / 100).sort_values("start").reset_index(drop=True)
    ours = ours.sort_values("peak").reset_index(drop=True)
    for o, q in zip(ours.itertuples(), ref.itertuples()):
        # quantstats: start = session after our peak, end = last session under water
        assert idx[pos[o.peak] + 1] == T(q.start)
        assert o.trough == T(q.valley)
        last_under = idx[pos[o.recovery] - 1] if o.recovered else idx[-1]
        assert last_under == T(q.end)
        assert o.depth == pytest.approx(q.depth, abs=1e-10)
    assert ours.depth.min() == pytest.approx(m.max_drawdown(r), abs=1e-12)


# ------------------------------------------------------------------ monthly
@pytest.fixture
def monthly_series():
    return _s([("2023-12-20", 100.0), ("2023-12-29", 110.0), ("2024-01-02", 105.0), ("2024-01-31", 122.0),
               ("2024-02-01", 120.0), ("2024-02-29", 97.6), ("2024-03-04", 100.0)])


def test_monthly_returns_hand_worked(monthly_series):
    mr = monthly_returns(monthly_series)
    assert [str(k) for k in mr.index] == ["2023-12", "2024-01", "2024-02", "2024-03"]
    # first month from the first close (100), then month-end to month-end
    np.testing.assert_allclose(mr.to_numpy(), [110 / 100 - 1, 122 / 110 - 1, 97.6 / 122 - 1, 100 / 97.6 - 1],
                               rtol=0, atol=1e-15)
    t = monthly_returns_table(monthly_series)
    assert list(t.columns) == list(range(1, 13)) + ["total"]
    assert t.loc[2023, 12] == pytest.approx(0.1, abs=1e-15) and np.isnan(t.loc[2023, 1])
    assert t.loc[2023, "total"] == pytest.approx(0.1, abs=1e-15)
    assert t.loc[2024, "total"] == pytest.approx(100 / 110 - 1, abs=1e-14)
    assert np.isnan(t.loc[2024, 4])
    assert best_month(monthly_series) == {"month": "2024-01", "return": pytest.approx(122 / 110 - 1)}


def test_monthly_table_against_quantstats():
    rng = np.random.default_rng(3)
    idx = pd.bdate_range("2022-03-15", "2024-05-20")
    p = pd.Series(5 * np.cumprod(1 + rng.normal(0.0003, 0.015, len(idx))), index=idx)
    r = (p / p.shift(1) - 1).iloc[1:]
    ours = monthly_returns_table(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = qs.stats.monthly_returns(r, eoy=True, compounded=True)
    ref.index = ref.index.astype(int)
    names = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    for year in ours.index:
        for k, name in enumerate(names, start=1):
            v = ours.loc[year, k]
            if np.isnan(v):
                assert ref.loc[year, name] == 0  # quantstats shows missing months as 0
            else:
                assert v == pytest.approx(ref.loc[year, name], abs=1e-12)
        assert ours.loc[year, "total"] == pytest.approx(ref.loc[year, "EOY"], abs=1e-12)
    assert best_month(p)["return"] == pytest.approx(m.best_month(r), abs=1e-12)


# ------------------------------------------------------------------ holding periods
@pytest.fixture
def hp():
    return _s([("2024-01-31", 10.0), ("2024-02-01", 11.0), ("2024-02-28", 12.0), ("2024-02-29", 9.0),
               ("2024-03-01", 13.0), ("2024-03-29", 14.0)])


def test_holding_period_months_hand_worked(hp):
    w = holding_period_returns(hp, months=1)
    # 01-31 + 1M -> 02-29; 02-28 + 1M -> 03-28 (no session) -> 03-01; 03-01 + 1M = 04-01 is past the data
    assert w.start.tolist() == [T("2024-01-31"), T("2024-02-01"), T("2024-02-28"), T("2024-02-29")]
    assert w.end.tolist() == [T("2024-02-29"), T("2024-03-01"), T("2024-03-01"), T("2024-03-29")]
    np.testing.assert_allclose(w["return"], [9 / 10 - 1, 13 / 11 - 1, 13 / 12 - 1, 14 / 9 - 1], atol=1e-15)
    pp = profit_probability(hp, months=1)
    assert pp["period"] == "1M" and pp["windows"] == 4 and pp["probability"] == 0.75
    assert pp["min"] == pytest.approx(-0.1) and pp["max"] == pytest.approx(14 / 9 - 1)
    assert pp["median"] == pytest.approx(np.median([9 / 10 - 1, 13 / 11 - 1, 13 / 12 - 1, 14 / 9 - 1]))
    assert pp["first_window"] == {"start": T("2024-01-31"), "end": T("2024-02-29")}
    assert pp["last_window"] == {"start": T("2024-02-29"), "end": T("2024-03-29")}
    # 2 months: only 01-31 -> 03-31 (target 03-31 > last date 03-29) would need more data: none fits
    assert profit_probability(hp, months=2)["windows"] == 0
    assert profit_probability(hp, months=2)["first_window"] is None


def test_holding_period_sessions_hand_worked(hp):
    pp = profit_probability(hp, sessions=2)
    # windows (0,2) +20 %, (1,3) -18 %, (2,4) +8 %, (3,5) +56 %
    assert pp["windows"] == 4 and pp["probability"] == 0.75 and pp["period"] == "2D"
    assert pp["last_window"] == {"start": T("2024-02-29"), "end": T("2024-03-29")}
    assert profit_probability(hp, sessions=6)["windows"] == 0


def test_month_end_clipping_and_gaps():
    s = _s([("2023-03-31", 1.0), ("2023-04-28", 1.1), ("2023-05-02", 1.2)])
    w = holding_period_returns(s, months=1)
    # 2023-03-31 + 1M -> 2023-04-30 (a Sunday): ends at the last session on or before it, 04-28
    assert w.start.tolist() == [T("2023-03-31")] and w.end.tolist() == [T("2023-04-28")]
    gap = _s([("2024-01-02", 1.0), ("2024-03-15", 2.0), ("2024-03-20", 3.0)])
    # 01-02 + 1M = 02-02: the last session on or before is 01-02 itself -> no holding, dropped
    assert holding_period_returns(gap, months=1).empty


def test_holding_period_arguments(hp):
    with pytest.raises(ConfigError, match="exactly one"):
        profit_probability(hp)
    with pytest.raises(ConfigError, match="exactly one"):
        profit_probability(hp, months=1, sessions=5)
    with pytest.raises(ConfigError, match="positive integer"):
        profit_probability(hp, months=0)
    with pytest.raises(DataError, match="DatetimeIndex"):
        profit_probability(hp.to_numpy(), months=1)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.5, 2.0), min_size=3, max_size=80), st.integers(1, 10))
def test_sessions_windows_count_and_probability(values, n):
    idx = pd.bdate_range("2024-01-02", periods=len(values))
    p = pd.Series(np.cumprod(values), index=idx)
    pp = profit_probability(p, sessions=n)
    assert pp["windows"] == max(len(values) - n, 0)
    if pp["windows"]:
        brute = [p.iloc[i + n] / p.iloc[i] - 1 > 0 for i in range(len(values) - n)]
        assert pp["probability"] == pytest.approx(np.mean(brute), abs=1e-15)
        assert pp["min"] <= pp["median"] <= pp["max"]
