"""Hypothesis properties of the simulation, and the no-look-ahead guarantee."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aibt.data.panel import Panel
from aibt.engine import simulate
from aibt.universes.trading_rules import TradingRules

T, N = 30, 3


def random_case(seed: int, suspend: bool):
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.04, (T, N)).clip(-0.095, 0.095)
    close = np.round(20.0 * np.exp(np.cumsum(steps, axis=0)), 2)
    open_ = np.round(close * np.exp(rng.normal(0.0, 0.01, (T, N))), 2)
    tradable = np.ones((T, N), dtype=bool)
    if suspend:
        tradable[rng.random((T, N)) < 0.1] = False
        tradable[0] = True
    close = np.where(tradable, close, np.nan)
    open_ = np.where(tradable, open_, np.nan)
    factor = np.ones((T, N))
    ex = int(rng.integers(1, T))
    factor[:ex, 0] = 1.25
    fields = {"open": open_, "high": np.fmax(open_, close), "low": np.fmin(open_, close), "close": close,
              "volume": np.where(tradable, 1e6, 0.0), "adj_factor": factor}
    dates = pd.bdate_range("2023-08-01", periods=T)
    # the factor step of A is a cash dividend of a fifth of the last traded close before the ex-date
    prev = traded_closes(close * factor, tradable)[:ex, 0]
    prev = prev[~np.isnan(prev)]
    cash = float(prev[-1] * 0.2) if prev.size else 0.0
    events = pd.DataFrame({"symbol": ["A"], "ex_date": [dates[ex]], "cash": [cash]})
    panel = Panel(dates, ("A", "B", "C"), fields, tradable, ("CNY",) * N, np.ones((T, N)), {}, events)
    w = rng.dirichlet(np.ones(N + 1), T)[:, :N]  # last share is cash
    w[rng.random(T) < 0.5] = np.nan
    return panel, w


def traded_closes(raw, tradable):
    """Traded closes on the 0.01 tick, NaN on days without a bar (independent of aibt)."""
    return np.where(tradable, np.floor(raw * 100 + 0.5 + 1e-9) / 100, np.nan)


def valuation_closes(tc, tradable, cash):
    """The close a position is valued at: the traded close, carried over days without a bar and
    through an ex-date as (prev - cash) rounded to the tick."""
    out = np.full_like(tc, np.nan)
    for j in range(tc.shape[1]):
        last = np.nan
        for t in range(tc.shape[0]):
            if cash[t, j] != 0 and not np.isnan(last):
                last = np.floor((last - cash[t, j]) * 100 + 0.5 + 1e-9) / 100
            if tradable[t, j]:
                last = tc[t, j]
            out[t, j] = last
    return out


def rules_for(panel, lots: bool):
    t, n = panel.shape
    full = lambda v: np.full((t, n), v)  # noqa: E731
    return TradingRules(dates=panel.dates, symbols=panel.symbols,
                        lot_min=np.array([100.0, 200.0, 100.0]) if lots else np.zeros(n),
                        lot_step=np.array([100.0, 1.0, 100.0]) if lots else np.zeros(n),
                        limit_pct=full(0.05), stamp_duty_buy=full(0.0), stamp_duty_sell=full(0.0005),
                        transfer_fee=full(0.00001), exchange_fee=full(0.0), is_etf=np.zeros(n, dtype=bool))


cases = st.fixed_dictionaries({
    "seed": st.integers(0, 10_000),
    "suspend": st.booleans(),
    "lots": st.booleans(),
    "commission": st.sampled_from([0.0, 0.00025, 0.003]),
    "min_commission": st.sampled_from([0.0, 5.0, 500.0]),
    "slippage_bps": st.sampled_from([0.0, 5.0]),
    "carry": st.booleans(),
    "price": st.sampled_from(["open", "close"]),
    "cash": st.sampled_from([3_000.0, 100_000.0, 1e7]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_cash_and_positions_never_negative_and_cash_is_accounted(c):
    panel, w = random_case(c["seed"], c["suspend"])
    res = simulate(panel, w, rules=rules_for(panel, c["lots"]), price=c["price"], init_cash=c["cash"],
                   commission=c["commission"], min_commission=c["min_commission"],
                   slippage_bps=c["slippage_bps"], carry_unfilled=c["carry"])
    assert (res.cash.to_numpy() >= 0).all()
    assert (res.positions.to_numpy() >= 0).all()
    # cash flow identity: cash change = sells - buys - taxes and fees + dividends - dividend tax, per day
    f = res.fills
    signed = np.where(f["side"] == "sell", 1.0, -1.0) * f["value"]
    fees = f[["commission", "stamp", "transfer", "other"]].sum(axis=1)
    flow = (signed - fees).groupby(f["date"]).sum().reindex(panel.dates, fill_value=0.0)
    ev = res.events
    flow = flow + (ev["cash"] - ev["tax"]).groupby(ev["date"]).sum().reindex(panel.dates, fill_value=0.0)
    dcash = res.cash.diff().fillna(res.cash.iloc[0] - c["cash"])
    np.testing.assert_allclose(dcash.to_numpy(), flow.to_numpy(), atol=1e-6 * c["cash"])
    # lots: every filled buy is a valid lot size
    if c["lots"]:
        buys = f[(f["side"] == "buy") & (f["filled"] > 0)]
        lot = buys["symbol"].map({"A": 100, "B": 200, "C": 100}).astype(float)
        step = buys["symbol"].map({"A": 100, "B": 1, "C": 100}).astype(float)
        k = (buys["filled"] - lot) / step
        assert (buys["filled"] >= lot).all() and np.allclose(k, np.round(k))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_value_is_conserved_up_to_costs_when_filling_at_the_close(c):
    # Filled at the close, a trade swaps cash for shares at the valuation price: the day's equity
    # change is the market move of yesterday's holdings minus all costs (slippage included).
    panel, w = random_case(c["seed"], c["suspend"])
    res = simulate(panel, w, rules=rules_for(panel, c["lots"]), price="close", init_cash=c["cash"],
                   commission=c["commission"], min_commission=c["min_commission"],
                   slippage_bps=c["slippage_bps"], carry_unfilled=c["carry"])
    # ... plus the cash dividends on yesterday's shares, minus the dividend tax withheld at sales
    cash_div = panel.event_arrays()["cash"]
    tc = traded_closes(panel.fields["close"] * panel.fields["adj_factor"], panel.tradable)
    val = valuation_closes(tc, panel.tradable, cash_div)
    shares = res.positions.to_numpy()
    eq = res.equity.to_numpy()
    costs = res.costs.sum(axis=1).to_numpy()
    tax = res.events.groupby("date")["tax"].sum().reindex(panel.dates, fill_value=0.0).to_numpy()
    held = np.vstack([np.zeros((1, N)), shares[:-1]])
    prev_val = np.vstack([val[:1], val[:-1]])
    expected = np.concatenate([[c["cash"]], eq[:-1]]) + np.nansum(held * (val - prev_val + cash_div), axis=1) \
        - costs - tax
    np.testing.assert_allclose(eq, expected, rtol=1e-9, atol=1e-7)


@pytest.mark.parametrize("price", ["open", "close"])
def test_no_look_ahead_future_data_never_changes_the_past(price):
    panel, w = random_case(42, suspend=True)
    rules = rules_for(panel, True)
    base = simulate(panel, w, rules=rules, price=price, commission=0.00025, min_commission=5.0)
    k = 17
    fields = {f: a.copy() for f, a in panel.fields.items()}
    for f in ("open", "high", "low", "close"):
        fields[f][k + 1:] *= 1.7  # a very different future
    w2 = w.copy()
    w2[k:] = np.array([1.0, 0.0, 0.0])  # targets decided from day k on change too
    panel2 = Panel(panel.dates, panel.symbols, fields, panel.tradable, panel.currency, panel.fx_to_cny, {},
                   panel.events)
    alt = simulate(panel2, w2, rules=rules, price=price, commission=0.00025, min_commission=5.0)
    # everything up to and including day k is identical: decisions at k fill only at k + 1
    pd.testing.assert_series_equal(base.equity.iloc[:k + 1], alt.equity.iloc[:k + 1])
    pd.testing.assert_frame_equal(base.positions.iloc[:k + 1], alt.positions.iloc[:k + 1])
    b, a = base.fills, alt.fills
    pd.testing.assert_frame_equal(b[b["date"] <= panel.dates[k]].reset_index(drop=True),
                                  a[a["date"] <= panel.dates[k]].reset_index(drop=True))
    assert not base.equity.iloc[k + 1:].equals(alt.equity.iloc[k + 1:])


def test_fill_on_day_after_decision_uses_that_days_price():
    panel, _ = random_case(5, suspend=False)
    w = np.full((T, N), np.nan)
    w[3] = [0.5, 0.0, 0.0]
    res = simulate(panel, w, rules="frictionless", price="open")
    f = res.fills.iloc[0]
    assert f["date"] == panel.dates[4]
    assert f["price"] == panel.fields["open"][4, 0] * panel.fields["adj_factor"][4, 0]  # frictionless: no tick
    assert res.positions.iloc[3, 0] == 0.0 and res.positions.iloc[4, 0] > 0
