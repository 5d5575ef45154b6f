"""Metrics against hand-worked values, empyrical-reloaded and quantstats, plus container properties."""
from __future__ import annotations

import warnings

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
import quantstats as qs
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aibt.errors import ConfigError, DataError
from aibt.results import metrics as m
from aibt.results.periods import annualization_factor, periods_per_year_for_index, sessions_per_year

P = 243.0
TOL = 1e-10


@pytest.fixture(scope="module")
def rets():
    rng = np.random.default_rng(42)
    from aibt.data.calendar import xshg_sessions

    idx = xshg_sessions("2022-01-04", "2024-12-31")[:320]
    r = pd.Series(rng.normal(0.0006, 0.021, len(idx)), index=idx, name="fund")
    noise = pd.Series(rng.normal(0.0002, 0.012, len(idx)), index=idx)
    b = (0.6 * r + noise).rename("index")
    return r, b


# ------------------------------------------------------------------ periods
def test_sessions_per_year_from_xshg_calendar():
    assert sessions_per_year(2024) == 242
    assert sessions_per_year(2013) == 238
    assert sessions_per_year(2008) == 246
    # a year outside the calendar gets the mean of covered years, an A-share-like value, not 252
    assert 238 < sessions_per_year(1995) < 247


def test_annualization_factor_rules():
    from aibt.data.calendar import xshg_sessions

    idx = xshg_sessions("2023-01-03", "2024-12-31")
    assert annualization_factor(idx) == pytest.approx((242 + 242) / 2)
    assert annualization_factor(pd.Series(0.0, index=idx)) == 242.0
    assert periods_per_year_for_index(xshg_sessions("2013-06-03", "2014-06-30")) == (238 + 245) / 2
    # weekdays that include the XSHG holidays fit no exchange: the observed rate, (T - 1) / years
    wd = pd.bdate_range("2023-01-02", "2024-12-31")
    assert annualization_factor(wd) == pytest.approx((len(wd) - 1) / ((wd[-1] - wd[0]).days / 365.25))
    with pytest.raises(ConfigError, match="periods_per_year"):
        annualization_factor(None)  # undated: no calendar, no silent 252
    with pytest.raises(ConfigError, match="periods_per_year"):
        annualization_factor(np.zeros(3))
    assert annualization_factor(idx, periods_per_year=12) == 12.0
    with pytest.raises(ConfigError, match="periods_per_year"):
        annualization_factor(None, periods_per_year=0)
    assert annualization_factor(pd.date_range("2020-01-31", periods=24, freq="ME")) == 12.0


# ------------------------------------------------------------------ hand-worked
def test_hand_worked_values():
    r = np.array([0.10, -0.20, 0.05, np.nan])
    assert m.total_return(r) == pytest.approx(1.1 * 0.8 * 1.05 - 1, abs=1e-15)
    # 3 present periods, P = 3 -> one year: CAGR = total return
    assert m.cagr(r, periods_per_year=3) == pytest.approx(1.1 * 0.8 * 1.05 - 1, abs=1e-15)
    # wealth 1.1, 0.88, 0.924 -> max drawdown 0.88/1.1 - 1 = -0.2
    assert m.max_drawdown(r) == pytest.approx(-0.2, abs=1e-15)
    assert m.best_day(r) == 0.10 and m.worst_day(r) == -0.20
    assert m.win_rate(np.array([0.01, 0.0, -0.01, 0.02, np.nan])) == pytest.approx(2 / 3)
    x = np.array([0.01, 0.03])  # mean .02, sd(ddof=1) = .01*sqrt(2)
    assert m.sharpe(x, periods_per_year=4) == pytest.approx(0.02 / (0.01 * np.sqrt(2)) * 2, rel=1e-12)
    assert m.annual_volatility(x, periods_per_year=4) == pytest.approx(0.01 * np.sqrt(2) * 2, rel=1e-12)
    y = np.array([0.02, -0.01, -0.03, 0.04])  # mean .005, downside sqrt((1e-4 + 9e-4) / 4)
    assert m.sortino(y, periods_per_year=1) == pytest.approx(0.005 / np.sqrt(0.001 / 4), rel=1e-12)
    # first-day loss counts as a drawdown from the starting wealth
    assert m.max_drawdown(np.array([-0.1, 0.05])) == pytest.approx(-0.1)
    # calmar = cagr / |mdd|: r = [.1, -.2, .05], P = 3 -> cagr = total return, mdd = -.2
    assert m.calmar(r, periods_per_year=3) == pytest.approx((1.1 * 0.8 * 1.05 - 1) / 0.2, rel=1e-12)


def test_undefined_results_are_nan():
    const = np.full(10, 0.001)
    assert np.isnan(m.sharpe(const, periods_per_year=242))  # zero deviation: undefined, not inf
    assert np.isnan(m.sortino(const, periods_per_year=242))
    assert np.isnan(m.calmar(const, periods_per_year=242))  # no drawdown
    assert np.isnan(m.annual_volatility(np.array([0.01]), periods_per_year=242))
    assert np.isnan(m.total_return(np.array([np.nan, np.nan])))
    assert np.isnan(m.win_rate(np.zeros(5)))


def test_total_loss_cagr_is_minus_one():
    assert m.cagr(np.array([0.1, -1.0, 0.0]), periods_per_year=252) == -1.0


# ------------------------------------------------------------------ references
def test_against_empyrical(rets):
    r, b = rets
    pairs = [
        (m.total_return(r), ep.cum_returns_final(r)),
        (m.cagr(r, P), ep.cagr(r, annualization=P)),
        (m.annual_volatility(r, P), ep.annual_volatility(r, annualization=P)),
        (m.sharpe(r, periods_per_year=P), ep.sharpe_ratio(r, annualization=P)),
        (m.sharpe(r, risk_free=1e-4, periods_per_year=P), ep.sharpe_ratio(r, risk_free=1e-4, annualization=P)),
        (m.sortino(r, periods_per_year=P), ep.sortino_ratio(r, annualization=P)),
        (m.sortino(r, 5e-4, periods_per_year=P), ep.sortino_ratio(r, required_return=5e-4, annualization=P)),
        (m.max_drawdown(r), ep.max_drawdown(r)),
        (m.calmar(r, P), ep.calmar_ratio(r, annualization=P)),
        (m.beta(r, b), ep.beta(r, b)),
        (m.alpha(r, b, periods_per_year=P), ep.alpha(r, b, annualization=P)),
        (m.alpha(r, b, risk_free=1e-4, periods_per_year=P), ep.alpha(r, b, risk_free=1e-4, annualization=P)),
        (m.information_ratio(r, b, P) / np.sqrt(P), ep.excess_sharpe(r, b)),
    ]
    for ours, ref in pairs:
        assert ours == pytest.approx(float(ref), abs=TOL, rel=TOL)
    np.testing.assert_allclose(m.drawdown_series(r).to_numpy(), ep.stats.drawdown_series(r).to_numpy(), atol=TOL)


def test_against_quantstats(rets):
    r, b = rets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [
            (m.total_return(r), qs.stats.comp(r)),
            (m.cagr(r, P), qs.stats.cagr(r, periods=P)),
            (m.annual_volatility(r, P), qs.stats.volatility(r, periods=P)),
            (m.sharpe(r, periods_per_year=P), qs.stats.sharpe(r, periods=P)),
            (m.sortino(r, periods_per_year=P), qs.stats.sortino(r, periods=P)),
            (m.max_drawdown(r), qs.stats.max_drawdown(r)),
            (m.win_rate(r), qs.stats.win_rate(r)),
            (m.best_day(r), qs.stats.best(r)),
            (m.worst_day(r), qs.stats.worst(r)),
            (m.best_month(r), qs.stats.best(r, aggregate="ME")),
            (m.worst_month(r), qs.stats.worst(r, aggregate="ME")),
            (m.information_ratio(r, b, P) / np.sqrt(P), qs.stats.information_ratio(r, b)),
            (m.beta(r, b), qs.stats.greeks(r, b, periods=P)["beta"]),
        ]
        for ours, ref in pairs:
            assert ours == pytest.approx(float(ref), abs=TOL, rel=TOL)


def test_quantstats_annual_rf_matches_per_period_rf(rets):
    r, _ = rets
    rf_period = 1e-4
    ours = m.sharpe(r, risk_free=rf_period, periods_per_year=P)
    ref = qs.stats.sharpe(r, rf=(1 + rf_period) ** P - 1, periods=P)
    assert ours == pytest.approx(float(ref), rel=1e-9)


def test_nan_handling_matches_references(rets):
    r, b = rets
    rn = r.copy()
    rn.iloc[[5, 40, 41]] = np.nan
    assert m.sharpe(rn, periods_per_year=P) == pytest.approx(ep.sharpe_ratio(rn, annualization=P), abs=TOL)
    assert m.annual_volatility(rn, P) == pytest.approx(ep.annual_volatility(rn, annualization=P), abs=TOL)
    assert m.max_drawdown(rn) == pytest.approx(ep.max_drawdown(rn), abs=TOL)
    assert m.beta(rn, b) == pytest.approx(ep.beta(rn, b), abs=TOL)
    # quantstats counts present values for CAGR years, as we do (empyrical counts rows)
    assert m.cagr(rn, P) == pytest.approx(qs.stats.cagr(rn, periods=P), abs=TOL)


def test_tracking_metrics_hand_worked():
    r = np.array([0.02, 0.01, -0.01, 0.03])
    b = np.array([0.01, 0.01, 0.00, 0.02])
    a = r - b  # .01, 0, -.01, .01
    te = np.std(a, ddof=1) * np.sqrt(4)
    assert m.tracking_error(r, b, 4) == pytest.approx(te, rel=1e-12)
    assert m.tracking_difference(r, b, 4, method="mean") == pytest.approx(np.mean(a) * 4, rel=1e-12)
    cagr_r = np.prod(1 + r) - 1  # 4 periods, P=4 -> one year
    cagr_b = np.prod(1 + b) - 1
    assert m.tracking_difference(r, b, 4) == pytest.approx(cagr_r - cagr_b, rel=1e-12)
    assert m.information_ratio(r, b, 4) == pytest.approx(np.mean(a) / np.std(a, ddof=1) * 2, rel=1e-12)
    with pytest.raises(ConfigError, match="method"):
        m.tracking_difference(r, b, 4, method="median")
    with pytest.raises(DataError, match="benchmark has 3 periods"):
        m.tracking_error(r, b[:3])


def test_benchmark_aligned_by_date(rets):
    r, b = rets
    shuffled = b.sample(frac=1.0, random_state=1)
    assert m.tracking_error(r, shuffled, P) == pytest.approx(m.tracking_error(r, b, P), abs=1e-15)
    short = b.iloc[10:]
    assert m.beta(r, short) == pytest.approx(ep.beta(r.iloc[10:], short), abs=TOL)


def test_dataframe_columns_are_portfolios(rets):
    r, b = rets
    df = pd.DataFrame({"a": r, "b": b})
    out = m.sharpe(df, periods_per_year=P)
    assert list(out.index) == ["a", "b"]
    assert out["b"] == pytest.approx(m.sharpe(b, periods_per_year=P), abs=1e-15)
    arr = m.max_drawdown(df.to_numpy())
    assert isinstance(arr, np.ndarray) and arr.shape == (2,)
    np.testing.assert_allclose(arr, ep.max_drawdown(df).to_numpy(), atol=TOL)
    te = m.tracking_error(df, b, P)
    assert te["b"] == 0.0
    bm = m.best_month(df)
    assert bm["a"] == pytest.approx(m.best_month(r))


def test_derived_periods_per_year_from_dates(rets):
    r, _ = rets
    p = annualization_factor(r)
    assert p == (242 + 242) / 2  # 320 XSHG sessions from 2022-01-04 span 2022-2023, 242 sessions each
    assert m.annual_volatility(r) == pytest.approx(m.annual_volatility(r, p), abs=1e-15)
    # a bare array has no calendar: the factor must be given
    with pytest.raises(ConfigError, match="periods_per_year"):
        m.annual_volatility(r.to_numpy())
    assert m.annual_volatility(r.to_numpy(), p) == m.annual_volatility(r)


def test_monthly_needs_dates():
    with pytest.raises(DataError, match="DatetimeIndex"):
        m.best_month(np.array([0.1, 0.2]))


def test_turnover_and_costs():
    # hold 100 shares bought at 10, sell 50 at 12 the next day, nothing after
    q = np.array([[100.0], [50.0], [50.0], [50.0]])
    px = np.array([[10.0], [12.0], [11.0], [13.0]])
    v = m.traded_value(q, px)
    np.testing.assert_allclose(v, [1000.0, 600.0, 0.0, 0.0])
    eq = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    # 0.5 * 1600 / 1000 * (4 / 4) = 0.8
    assert m.turnover(v, eq, periods_per_year=4) == pytest.approx(0.8)
    assert m.costs_paid(np.array([1.0, np.nan, 2.5])) == 3.5
    assert m.cost_drag(np.array([1.0, 0.0, 2.0, 1.0]), eq, periods_per_year=4) == pytest.approx(0.004)
    with pytest.raises(DataError, match="negative"):
        m.costs_paid(np.array([1.0, -1.0]))
    with pytest.raises(DataError, match="price is missing"):
        m.traded_value(q, np.array([[10.0], [np.nan], [1.0], [1.0]]))


# ------------------------------------------------------------------ properties
_FUNCS = [
    lambda x: m.total_return(x),
    lambda x: m.cagr(x, 250),
    lambda x: m.annual_volatility(x, 250),
    lambda x: m.sharpe(x, periods_per_year=250),
    lambda x: m.sortino(x, periods_per_year=250),
    lambda x: m.max_drawdown(x),
    lambda x: m.calmar(x, 250),
    lambda x: m.best_day(x),
    lambda x: m.worst_day(x),
    lambda x: m.win_rate(x),
]

_returns = arrays(
    np.float64, st.tuples(st.integers(2, 40), st.integers(1, 3)),
    elements=st.one_of(st.floats(-0.5, 0.5, allow_nan=False), st.just(np.nan)),
)


@settings(max_examples=40, deadline=None)
@given(_returns)
def test_input_unmodified_and_container_independent(a):
    idx = pd.bdate_range("2024-01-02", periods=a.shape[0])
    df = pd.DataFrame(a.copy(), index=idx, columns=[f"c{i}" for i in range(a.shape[1])])
    before = a.copy()
    for f in _FUNCS:
        res_arr = np.asarray(f(a), dtype=float)
        res_df = f(df).to_numpy()
        np.testing.assert_array_equal(res_arr, res_df)
        for j in range(a.shape[1]):
            col = a[:, j].copy()
            r1 = f(col)
            r2 = f(df.iloc[:, j])
            assert isinstance(r1, float) and isinstance(r2, float)
            np.testing.assert_array_equal(np.array([r1, r2, res_arr[j]]), np.array([r1, r1, r1]))
            np.testing.assert_array_equal(col, a[:, j])
    np.testing.assert_array_equal(a, before)
    np.testing.assert_array_equal(df.to_numpy(), before)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(2, 30), elements=st.floats(-0.3, 0.3, allow_nan=False)))
def test_max_drawdown_bounds_and_reference(a):
    mdd = m.max_drawdown(a)
    assert -1.0 <= mdd <= 0.0
    assert mdd == pytest.approx(float(ep.max_drawdown(a)), abs=1e-12)
    # final wealth is at or above the deepest trough relative to a peak >= 1
    assert m.total_return(a) >= mdd - 1e-12
