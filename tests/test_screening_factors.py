"""Point-in-time factors: hand-worked values, NaN-with-reason, and hypothesis properties."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from aibt.data.panel import Panel
from aibt.errors import ConfigError, DataError
from aibt.strategies import factors as F

NAN = float("nan")


def make_panel(close: dict, amount: dict | None = None, volume: dict | None = None,
               adj: dict | None = None, start="2025-01-06") -> Panel:
    syms = list(close)
    t = len(close[syms[0]])
    dates = pd.bdate_range(start, periods=t)

    def mat(d, default):
        return np.array([[(d or {}).get(s, [default] * t)[i] for s in syms] for i in range(t)], dtype=float)

    c = mat(close, NAN)
    fields = {"close": c, "open": c.copy(), "high": c.copy(), "low": c.copy(),
              "amount": mat(amount, NAN), "volume": mat(volume, 1.0), "adj_factor": mat(adj, 1.0)}
    return Panel(dates, tuple(syms), fields, ~np.isnan(c), ("CNY",) * len(syms), np.ones_like(c))


# ----------------------------------------------------------------------------- avg_amount
def test_avg_amount_uses_amount_and_estimates_missing_from_volume_times_raw_close():
    p = make_panel({"A": [10, 11, 12, 13]}, amount={"A": [100, 200, NAN, 400]},
                   volume={"A": [1, 1, 30, 1]}, adj={"A": [1, 1, 2, 1]})
    s = F.avg_amount(p, p.dates[3], window=3)
    # (200 + 30 * 12 * 2 + 400) / 3: the missing amount is volume x raw close (close x adj_factor)
    assert s["A"] == pytest.approx(440.0)
    assert s.attrs["notes"]["A"] == "avg_amount: amount estimated as volume x raw close on 1 of 3 sessions"
    q = make_panel({"A": [10, 11], "B": [10, 11]}, amount={"A": [NAN, NAN], "B": [NAN, 5]}, volume={"A": [2, 3]})
    s = F.avg_amount(q, None, window=2)
    assert s.tolist() == pytest.approx([26.5, 7.5])  # A (2 x 10 + 3 x 11) / 2; B (1 x 10 + 5) / 2
    assert s.attrs["caveat"] == "avg_amount: no amount in the data, estimated as volume x raw close for A"


def test_avg_amount_counts_a_session_without_bar_as_zero_and_says_so():
    p = make_panel({"A": [10, 11, NAN, 13]}, amount={"A": [100, 200, NAN, 400]})
    s = F.avg_amount(p, None, window=3)
    assert s["A"] == pytest.approx(200.0)  # (200 + 0 + 400) / 3
    assert "1 session(s) without a bar counted as 0 traded" in s.attrs["notes"]["A"]


def test_avg_amount_nan_when_history_shorter_than_window():
    p = make_panel({"A": [10, 11, 12, 13], "B": [NAN, NAN, 12, 13]}, amount={"A": [1, 2, 3, 4], "B": [0, 0, 3, 5]})
    s = F.avg_amount(p, None, window=3)
    assert s["A"] == pytest.approx(3.0)
    assert math.isnan(s["B"])
    assert s.attrs["notes"]["B"] == "avg_amount: needs 3 sessions of history, has 2"


# ----------------------------------------------------------------------------- momentum
def test_momentum_skips_last_sessions():
    p = make_panel({"A": [10, 12, 15, 18, 9], "B": [NAN, NAN, 15, 18, 9]})
    s = F.momentum(p, None, window=2, skip=1)
    assert s["A"] == pytest.approx(18 / 12 - 1)  # P[3] / P[1] - 1; the drop to 9 on the last day is skipped
    assert math.isnan(s["B"])
    assert s.attrs["notes"]["B"] == "momentum: needs 4 sessions of history, has 3"


def test_momentum_carries_last_price_through_a_suspension():
    p = make_panel({"A": [10, 12, 15, NAN, 9]})
    assert F.momentum(p, None, window=2, skip=1)["A"] == pytest.approx(15 / 12 - 1)


def test_as_of_between_sessions_uses_previous_session_and_before_start_fails():
    p = make_panel({"A": [10, 12, 15, 18, 9]})  # Mon 2025-01-06 .. Fri 2025-01-10
    sat = pd.Timestamp("2025-01-11")
    assert F.momentum(p, sat, window=1)["A"] == pytest.approx(9 / 18 - 1)
    assert F.as_of_date(p, "2025-01-08") == pd.Timestamp("2025-01-08")
    with pytest.raises(DataError, match="before the panel's first date 2025-01-06"):
        F.momentum(p, "2024-12-31", window=1)


def test_window_must_be_a_positive_integer():
    p = make_panel({"A": [10, 12, 15]})
    with pytest.raises(ConfigError, match="window must be an integer >= 1, got 0"):
        F.momentum(p, None, window=0)
    with pytest.raises(ConfigError, match="skip must be an integer >= 0"):
        F.momentum(p, None, window=1, skip=-1)


# ----------------------------------------------------------------------------- volatility, drawdown
def test_volatility_hand_worked():
    p = make_panel({"A": [100, 110, 99, 108.9]})  # returns +10 %, -10 %, +10 %
    s = F.volatility(p, None, window=3, periods_per_year=1.0)
    assert s["A"] == pytest.approx(math.sqrt(0.04 / 3))  # sample std of (0.1, -0.1, 0.1)
    s243 = F.volatility(p, None, window=3)
    assert s243["A"] == pytest.approx(math.sqrt(0.04 / 3) * math.sqrt(243))


def test_volatility_needs_window_plus_one_sessions():
    p = make_panel({"A": [100, 110, 99, 108.9]})
    s = F.volatility(p, None, window=4)
    assert math.isnan(s["A"])
    assert s.attrs["notes"]["A"] == "volatility: needs 5 sessions of history, has 4"


def test_max_drawdown_within_window():
    p = make_panel({"A": [100, 120, 90, 110, 100]})
    assert F.max_drawdown(p, None, window=4)["A"] == pytest.approx(-0.25)  # 120 -> 90
    assert F.max_drawdown(p, None, window=2)["A"] == pytest.approx(100 / 110 - 1)
    assert math.isnan(F.max_drawdown(p, None, window=6)["A"])


# ----------------------------------------------------------------------------- listing
def test_listed_sessions_from_first_bar_or_listing_date():
    p = make_panel({"A": [NAN, NAN, 1, 1, 1], "B": [1, 1, 1, 1, 1]})
    s = F.listed_sessions(p)
    assert s.tolist() == [3.0, 5.0]
    assert "first bar in the data, not the listing date, for all symbols" in s.attrs["caveat"]
    s2 = F.listed_sessions(p, p.dates[3], list_dates={"A": p.dates[1], "B": "2020-01-01"})
    assert s2.tolist() == [3.0, 4.0]  # A listed on session 1 -> sessions 1..3; B before the panel: 0..3
    assert s2.attrs["caveat"] == ("listed_sessions: listed before the panel starts 2025-01-06, counted from "
                                  "the panel start (a lower bound) for B")


# ----------------------------------------------------------------------------- ETF factors
def _prices(returns, start=1.0):
    return list(start * np.cumprod([1.0, *[1 + r for r in returns]]))


def test_tracking_error_and_correlation_hand_worked():
    ref = _prices([0.1, -0.1, 0.1])
    p = make_panel({"R": ref, "X": _prices([0.2, -0.2, 0.2]), "Y": _prices([-0.1, 0.1, -0.1])})
    te = F.tracking_error(p, None, reference="R", window=3, periods_per_year=1.0)
    assert math.isnan(te["R"])  # never measured against itself
    assert te["X"] == pytest.approx(math.sqrt(0.04 / 3))  # diffs 0.1, -0.1, 0.1
    assert te.attrs["notes"]["R"] == "tracking_error: this is the reference itself, not measured"
    corr = F.correlation(p, None, reference="R", window=3)
    assert math.isnan(corr["R"]) and corr.drop("R").tolist() == pytest.approx([1.0, -1.0])


def test_tracking_error_against_a_level_series_pairs_by_date():
    p = make_panel({"X": _prices([0.1, 0.12, 0.08])})
    ref = pd.Series(_prices([0.1, 0.1, 0.1]), index=p.dates, name="idx")
    te = F.tracking_error(p, None, reference=ref, window=3, periods_per_year=1.0)
    assert te["X"] == pytest.approx(0.02)  # diffs 0, 0.02, -0.02
    corr = F.correlation(p, None, reference=ref, window=3)
    assert math.isnan(corr["X"]) and "constant returns" in corr.attrs["notes"]["X"]
    holes = ref.copy()
    holes.iloc[2] = NAN
    te2 = F.tracking_error(p, None, reference=holes, window=3)
    assert math.isnan(te2["X"])
    assert te2.attrs["notes"]["X"] == ("tracking_error: only 2 daily returns paired with idx in the last 3 "
                                       "sessions (min_obs=3)")
    # the gap makes one two-day return on both sides: X 1.12 * 1.08 - 1 = 0.2096 vs idx 1.1 * 1.1 - 1 = 0.21
    te3 = F.tracking_error(p, None, reference=holes, window=3, min_obs=2, periods_per_year=1.0)
    assert te3["X"] == pytest.approx(np.std([0.0, 0.2096 - 0.21], ddof=1))


def test_tracking_error_needs_a_reference():
    p = make_panel({"X": [1, 2, 3]})
    with pytest.raises(ConfigError, match="needs a reference"):
        F.tracking_error(p, None, window=2)


def test_fee_forms_missing_and_percent_mistake():
    p = make_panel({"A": [1, 1], "B": [1, 1], "C": [1, 1], "D": [1, 1]})
    s = F.fee(p, None, fees={"A": 0.006, "B": (0.005, 0.001), "C": {"management": 0.0015, "custody": 0.0005}})
    assert s.tolist()[:3] == pytest.approx([0.006, 0.006, 0.002])
    assert math.isnan(s["D"]) and s.attrs["notes"]["D"] == "fee: no fee data for this symbol"
    with pytest.raises(ConfigError, match="looks like a percent"):
        F.fee(p, None, fees={"A": (0.5, 0.1)})


# ----------------------------------------------------------------------------- properties
closes = arrays(np.float64, st.tuples(st.integers(8, 30), st.integers(1, 4)),
                elements=st.floats(1.0, 100.0, allow_nan=False))


def _panel_from(c: np.ndarray) -> Panel:
    return make_panel({f"S{j}": list(c[:, j]) for j in range(c.shape[1])},
                      amount={f"S{j}": list(c[:, j] * 1000) for j in range(c.shape[1])})


@settings(max_examples=40, deadline=None)
@given(c=closes, data=st.data())
def test_no_factor_reads_after_as_of(c, data):
    p = _panel_from(c)
    row = data.draw(st.integers(0, len(c) - 2))
    noise = data.draw(arrays(np.float64, c.shape, elements=st.floats(0.5, 2.0)))
    c2 = c.copy()
    c2[row + 1:] *= noise[row + 1:]
    p2 = _panel_from(c2)
    ref = pd.Series(c[:, 0], index=p.dates)
    ref2 = pd.Series(c2[:, 0], index=p.dates)
    d = p.dates[row]
    for name, kw, kw2 in [("avg_amount", {"window": 3}, None), ("momentum", {"window": 3, "skip": 1}, None),
                          ("volatility", {"window": 3}, None), ("max_drawdown", {"window": 4}, None),
                          ("listed_sessions", {}, None),
                          ("tracking_error", {"window": 3, "reference": ref}, {"window": 3, "reference": ref2}),
                          ("correlation", {"window": 3, "reference": ref}, {"window": 3, "reference": ref2})]:
        a = F.FACTORS[name](p, d, **kw)
        b = F.FACTORS[name](p2, d, **(kw2 or kw))
        pd.testing.assert_series_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(c=closes, n=st.integers(1, 6))
def test_momentum_is_compounded_daily_returns(c, n):
    p = _panel_from(c)
    m = F.momentum(p, None, window=n)
    r = c[1:] / c[:-1] - 1
    expected = np.prod(1 + r[-n:], axis=0) - 1
    np.testing.assert_allclose(m.to_numpy(), expected, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(c=closes, scale=st.floats(0.01, 100.0))
def test_volatility_and_drawdown_are_scale_free_and_drawdown_bounded(c, scale):
    p, q = _panel_from(c), _panel_from(c * scale)
    np.testing.assert_allclose(F.volatility(p, None, window=5), F.volatility(q, None, window=5), rtol=1e-7)
    dd = F.max_drawdown(p, None, window=6).to_numpy()
    np.testing.assert_allclose(dd, F.max_drawdown(q, None, window=6).to_numpy(), rtol=1e-7, atol=1e-12)
    assert np.all((dd <= 0) & (dd > -1))
    ret = c[-1] / c[-6] - 1  # a drawdown is at least the window's end-to-end loss (if any)
    assert np.all(dd <= np.minimum(ret, 0) + 1e-12)
