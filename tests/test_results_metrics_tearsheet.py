"""The tear-sheet metrics against quantstats, empyrical and hand-worked values; empty inputs; rolling
metrics generated from the plain ones; container independence."""
from __future__ import annotations

import warnings

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from aibt.errors import ConfigError
from aibt.results import metrics as m

P = 243.0
TOL = 1e-10


@pytest.fixture(scope="module")
def rets():
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2021-01-04", periods=700)
    r = pd.Series(rng.standard_t(4, len(idx)) * 0.012 + 0.0005, index=idx, name="fund")
    b = (0.8 * r + pd.Series(rng.normal(0.0, 0.008, len(idx)), index=idx)).rename("index")
    return r, b


def _q(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(f(*a, **k))


def test_distribution_against_references(rets):
    r, _ = rets
    assert m.skew(r) == pytest.approx(_q(qs.stats.skew, r), rel=TOL)
    assert m.kurtosis(r) == pytest.approx(_q(qs.stats.kurtosis, r), rel=TOL)
    assert m.value_at_risk(r) == pytest.approx(float(ep.value_at_risk(r)), rel=TOL)
    assert m.value_at_risk(r, 0.01) == pytest.approx(float(ep.value_at_risk(r, 0.01)), rel=TOL)
    assert m.value_at_risk(r, method="gaussian") == pytest.approx(_q(qs.stats.value_at_risk, r), rel=1e-9)
    assert m.conditional_value_at_risk(r) == pytest.approx(float(ep.conditional_value_at_risk(r)), rel=TOL)
    assert m.tail_ratio(r) == pytest.approx(float(ep.tail_ratio(r)), rel=TOL)
    assert m.tail_ratio(r) == pytest.approx(_q(qs.stats.tail_ratio, r), rel=TOL)
    assert m.omega_ratio(r) == pytest.approx(float(ep.omega_ratio(r)), rel=TOL)
    assert m.omega_ratio(r, 0.05, periods_per_year=P) == pytest.approx(
        float(ep.omega_ratio(r, required_return=0.05, annualization=P)), rel=TOL)
    assert m.ulcer_index(r) == pytest.approx(_q(qs.stats.ulcer_index, r), rel=TOL)
    # quantstats' recovery factor has the sum of returns on top; ours the compounded return
    assert m.recovery_factor(r) * abs(m.max_drawdown(r)) == pytest.approx(m.total_return(r), rel=TOL)
    assert _q(qs.stats.recovery_factor, r) == pytest.approx(abs(r.sum()) / abs(m.max_drawdown(r)), rel=TOL)


def test_drawdown_episodes_against_quantstats(rets):
    r, _ = rets
    ours = m.drawdown_periods(r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = qs.stats.drawdown_details(qs.stats.to_drawdown_series(r))
    assert len(ours) == len(ref)
    np.testing.assert_allclose(ours["depth"].to_numpy(), ref["max drawdown"].to_numpy() / 100, rtol=1e-9)
    assert [d.date() for d in ours["start"]] == [pd.Timestamp(d).date() for d in ref["start"]]
    assert [d.date() for d in ours["trough"]] == [pd.Timestamp(d).date() for d in ref["valley"]]
    assert m.average_drawdown(r) == pytest.approx(ref["max drawdown"].mean() / 100, rel=1e-9)
    assert m.longest_drawdown(r) == ours["periods"].max()


def test_drawdown_hand_worked():
    r = np.array([0.1, -0.1, -0.1, 0.3, 0.0, -0.05, 0.01])
    d = m.drawdown_periods(r)
    # wealth 1.1, .99, .891, 1.1583 (new high), 1.1583, 1.100385, 1.11138885 (still under)
    assert list(d["start"]) == [1, 5] and list(d["periods"]) == [2, 2]
    assert d["depth"].iloc[0] == pytest.approx(0.891 / 1.1 - 1)
    assert list(d["recovered"]) == [True, False]
    assert m.longest_drawdown(r) == 2
    assert m.average_drawdown(r) == pytest.approx(((0.891 / 1.1 - 1) + (-0.05)) / 2)
    assert m.longest_drawdown(np.array([0.01, 0.02])) == 0.0


def test_period_returns_and_win_rates(rets):
    r, _ = rets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert m.best_year(r) == pytest.approx(float(qs.stats.best(r, aggregate="YE")), rel=TOL)
        assert m.worst_year(r) == pytest.approx(float(qs.stats.worst(r, aggregate="YE")), rel=TOL)
        assert m.period_win_rate(r, "M") == pytest.approx(float(qs.stats.win_rate(r, aggregate="ME")), rel=TOL)
        assert m.period_win_rate(r, "Q") == pytest.approx(float(qs.stats.win_rate(r, aggregate="QE")), rel=TOL)
        assert m.period_win_rate(r, "Y") == pytest.approx(float(qs.stats.win_rate(r, aggregate="YE")), rel=TOL)
    x = r.copy()
    x.iloc[::3] = 0.0
    # quantstats rounds exposure up to whole percent
    assert np.ceil(m.exposure(x) * 100) / 100 == pytest.approx(_q(qs.stats.exposure, x))
    assert m.exposure(np.array([0.0, 0.01, np.nan, -0.01])) == pytest.approx(2 / 3)


def test_trailing_returns_hand_worked():
    idx = pd.bdate_range("2023-01-02", "2026-05-07")
    p = pd.Series(np.linspace(100.0, 200.0, len(idx)), index=idx)
    t = m.trailing_returns(p)
    at = lambda d: p.loc[:d].iloc[-1]
    assert t["MTD"] == pytest.approx(p.iloc[-1] / at("2026-04-30") - 1)
    assert t["YTD"] == pytest.approx(p.iloc[-1] / at("2025-12-31") - 1)
    assert t["1M"] == pytest.approx(p.iloc[-1] / at("2026-04-07") - 1)
    assert t["3M"] == pytest.approx(p.iloc[-1] / at("2026-02-07") - 1)
    assert t["1Y"] == pytest.approx(p.iloc[-1] / at("2025-05-07") - 1)
    assert t["3Y"] == pytest.approx(p.iloc[-1] / at("2023-05-07") - 1)
    assert t["ITD"] == pytest.approx(1.0)
    short = m.trailing_returns(p.loc["2026-01-05":])
    assert np.isnan(short["6M"]) and np.isnan(short["1Y"]) and not np.isnan(short["3M"])


def test_benchmark_metrics_against_references(rets):
    r, b = rets
    assert m.correlation(r, b) == pytest.approx(float(np.corrcoef(r, b)[0, 1]), rel=TOL)
    assert m.r_squared(r, b) == pytest.approx(_q(qs.stats.r_squared, r, b), rel=1e-9)
    # empyrical fixes 252 periods (period="daily") for the capture ratios
    assert m.up_capture(r, b, 252) == pytest.approx(float(ep.up_capture(r, b)), rel=TOL)
    assert m.down_capture(r, b, 252) == pytest.approx(float(ep.down_capture(r, b)), rel=TOL)
    td = m.tracking_deviation(r, b)
    d = r - b
    assert td["mean_abs_daily_deviation"] == pytest.approx(d.abs().mean(), rel=TOL)
    assert td["daily_tracking_error"] == pytest.approx(d.std(), rel=TOL)
    assert td["annual_tracking_error"] == pytest.approx(m.tracking_error(r, b), rel=TOL)
    assert td["tracking_difference"] == pytest.approx((1 + r).prod() - (1 + b).prod(), rel=TOL)


def test_rolling_metrics_against_empyrical(rets):
    r, b = rets
    w = 60
    rs = m.roll_sharpe(r, w, periods_per_year=P)
    ref = ep.roll_sharpe_ratio(r, window=w, annualization=P)
    np.testing.assert_allclose(rs.to_numpy(), np.asarray(ref)[-len(rs):], rtol=1e-9)
    assert rs.index[0] == r.index[w - 1] and len(rs) == len(r) - w + 1
    rb = m.roll_beta(r, b, w)
    np.testing.assert_allclose(rb.to_numpy(), np.asarray(ep.roll_beta(r, b, window=w))[-len(rb):], rtol=1e-9)
    rv = m.roll_volatility(r, w, periods_per_year=P)
    np.testing.assert_allclose(rv.to_numpy(), np.asarray(ep.roll_annual_volatility(r, window=w, annualization=P))[-len(rv):],
                               rtol=1e-9)
    rte = m.roll_tracking_error(r, b, w, periods_per_year=P)
    np.testing.assert_allclose(rte.to_numpy(), (r - b).rolling(w).std().dropna().to_numpy() * np.sqrt(P), rtol=1e-9)
    # each window equals the plain metric on that slice
    assert rs.iloc[10] == m.sharpe(r.iloc[10:10 + w], periods_per_year=P)
    with pytest.raises(ConfigError):
        m.rolling(m.sharpe, 1)


ALL_ONE_SERIES = [m.total_return, m.annual_volatility, m.sharpe, m.sortino, m.max_drawdown, m.calmar,
                  m.best_day, m.worst_day, m.win_rate, m.skew, m.kurtosis, m.value_at_risk,
                  m.conditional_value_at_risk, m.tail_ratio, m.omega_ratio, m.ulcer_index,
                  m.recovery_factor, m.exposure, m.cagr]


@pytest.mark.parametrize("f", ALL_ONE_SERIES, ids=lambda f: f.__name__)
def test_empty_gives_nan_and_containers_agree(f, rets):
    import inspect

    kw = {"periods_per_year": P} if "periods_per_year" in inspect.signature(f).parameters else {}
    assert np.isnan(f(np.array([]), **kw))
    assert np.isnan(f(pd.Series([], dtype=float), **kw))
    r, b = rets
    before = r.copy()
    one = f(r, **kw)
    arr = f(r.to_numpy(), **kw)
    frame = f(pd.concat([r, b], axis=1), **kw)
    assert r.equals(before)
    assert (np.isnan(one) and np.isnan(arr)) or one == arr
    assert (np.isnan(one) and np.isnan(frame.iloc[0])) or frame.iloc[0] == one


def test_near_constant_returns_have_no_sharpe():
    # a money-market-like series: every return 1e-4 up to floating noise from the prices
    prices = 1.0001 ** np.arange(300)
    r = prices[1:] / prices[:-1] - 1
    assert np.std(r) > 0  # the noise is there
    assert np.isnan(m.sharpe(r, periods_per_year=242))
    assert m.annual_volatility(r, periods_per_year=242) == 0.0


def test_undated_arrays_need_a_factor():
    with pytest.raises(ConfigError, match="periods_per_year"):
        m.sharpe(np.array([0.01, 0.02, -0.01]))
