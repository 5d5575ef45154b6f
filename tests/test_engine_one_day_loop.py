"""One day loop: the sweep kernels (rotation sweep, simulate_many) and ``simulate`` agree on random
markets with price limits, suspensions, ex-dates with cash and share events, trend filters, slippage,
minimum commissions, carried orders and drift bands.

All three drive the engine's ``day_step_nb``; the targets of the rotation are rebuilt here in plain
Python (independent of the kernel's ranking code) and handed to ``simulate``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aibt.data.panel import Panel
from aibt.engine import simulate, simulate_many
from aibt.strategies.rotation import ParamGrid, asset_sleeves, prepare, run_sweep
from aibt.universes.trading_rules import TradingRules
from rotation_reference import reference_targets

T, N = 70, 4


def random_market(seed: int, limit: float, suspend: bool, n_events: int) -> Panel:
    """Traded prices on the 0.01 tick (moves clipped near the limit so some opens sit at it), some
    suspended days, and ex-dates with cash dividends and bonus shares; adjusted prices consistent with
    them (ratio adjustment, last factor 1)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2024-01-02", periods=T)
    tradable = np.ones((T, N), dtype=bool)
    if suspend:
        tradable[rng.random((T, N)) < 0.08] = False
        tradable[:2] = True
    cash_frac = np.zeros((T, N))  # dividend as a fraction of the last close (0.5 % to 8 %)
    shares = np.zeros((T, N))
    for _ in range(n_events):
        t, j = int(rng.integers(3, T)), int(rng.integers(0, N))
        if cash_frac[t, j] or shares[t, j]:
            continue
        cash_frac[t, j] = float(rng.uniform(0.005, 0.08))
        shares[t, j] = float(rng.choice([0.0, 0.3, 0.4, 1.0]))
    cash = np.zeros((T, N))
    close = np.full((T, N), np.nan)
    open_ = np.full((T, N), np.nan)
    last = rng.uniform(8, 40, N)
    for t in range(T):
        cash[t] = np.round(cash_frac[t] * last, 2)
        ref = np.round((last - cash[t]) / (1 + shares[t]), 2)
        move = np.clip(rng.normal(0.0, 0.06, N), -limit, limit)
        c = np.round(ref * (1 + move), 2)
        o = np.round(ref * (1 + np.clip(rng.normal(0.0, 0.05, N), -limit, limit)), 2)
        at_limit = rng.random(N) < 0.1  # some opens exactly at the upper limit
        o = np.where(at_limit, np.floor(ref * (1 + limit) * 100 + 0.5 + 1e-9) / 100, o)
        close[t] = np.where(tradable[t], c, np.nan)
        open_[t] = np.where(tradable[t], o, np.nan)
        last = np.where(tradable[t], c, ref)
    rows = [{"symbol": f"S{j}", "ex_date": dates[t], "cash": cash[t, j], "shares": shares[t, j]}
            for t, j in zip(*np.nonzero((cash != 0) | (shares != 0)))]
    # adjusted = traded / factor; factor steps by prev_close / ref at each ex-date (1.0 at the end)
    factor = np.ones((T, N))
    carried = pd.DataFrame(close).ffill().to_numpy()
    for t in range(T - 1, 0, -1):
        step = np.ones(N)
        ev = (cash[t] != 0) | (shares[t] != 0)
        prev = carried[t - 1]
        ref = np.round((prev - cash[t]) / (1 + shares[t]), 2)
        step[ev] = prev[ev] / ref[ev]
        factor[t - 1] = factor[t] * step
    hi, lo = np.fmax(open_, close), np.fmin(open_, close)
    fields = {"open": open_ / factor, "high": hi / factor, "low": lo / factor, "close": close / factor,
              "traded_open": open_, "traded_high": hi, "traded_low": lo, "traded_close": close,
              "volume": np.where(tradable, rng.uniform(2e3, 5e5, (T, N)).round(), 0.0), "adj_factor": factor}
    return Panel(dates, tuple(f"S{j}" for j in range(N)), fields, tradable, ("CNY",) * N, np.ones((T, N)), {},
                 pd.DataFrame(rows))


def rules_for(panel: Panel, limit: float, lots: bool) -> TradingRules:
    full = lambda v: np.full((T, N), v)  # noqa: E731
    return TradingRules(dates=panel.dates, symbols=panel.symbols,
                        lot_min=np.array([200.0, 100.0, 200.0, 100.0]) if lots else np.zeros(N),
                        lot_step=np.array([1.0, 100.0, 1.0, 100.0]) if lots else np.zeros(N),
                        limit_pct=full(limit), stamp_duty_buy=full(0.0), stamp_duty_sell=full(0.0005),
                        transfer_fee=full(0.00001), exchange_fee=full(0.0), is_etf=np.zeros(N, dtype=bool))


markets = st.fixed_dictionaries({
    "seed": st.integers(0, 100_000),
    "limit": st.sampled_from([0.1, 0.2]),
    "suspend": st.booleans(),
    "events": st.integers(0, 6),
    "lots": st.booleans(),
    "slippage_bps": st.sampled_from([0.0, 7.0]),
    "min_commission": st.sampled_from([0.0, 5.0]),
    "dividends": st.sampled_from(["cash", "reinvest"]),
    "cash": st.sampled_from([50_000.0, 2_000_000.0]),
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets, st.integers(0, 15))
def test_rotation_sweep_equals_simulate(m, combo):
    panel = random_market(m["seed"], m["limit"], m["suspend"], m["events"])
    rules = rules_for(panel, m["limit"], m["lots"])
    grid = ParamGrid(lookbacks=(3, 10), top_k=(1, 2), periods=(1, 4), weightings=("equal", "inv_vol"),
                     trend_windows=(0,)) if combo % 2 else \
        ParamGrid(lookbacks=(5,), top_k=(1, 3), periods=(2,), weightings=("equal",), trend_windows=(0, 4, 8, 12))
    combo = combo % grid.size
    kw = dict(commission=0.0003, min_commission=m["min_commission"], slippage_bps=m["slippage_bps"])
    setup = prepare(panel, asset_sleeves(panel), grid, rules, init_cash=m["cash"], vol_window=5,
                    dividends=m["dividends"], **kw)
    table, eq = run_sweep(setup, keep_equity=True)
    sim = simulate(panel, reference_targets(setup, combo), rules=rules, price="open", init_cash=m["cash"],
                   carry_unfilled=False, dividends=m["dividends"], **kw)
    np.testing.assert_allclose(eq[combo].to_numpy(), sim.equity.to_numpy(), rtol=1e-12, atol=1e-9)
    # (the kernel's weights 1/K and the reference's may differ in the last bit: so may share counts)
    assert table.loc[combo, "dividends"] == pytest.approx(sim.summary["dividends"], rel=1e-12, abs=1e-9)
    assert table.loc[combo, "dividend_tax"] == pytest.approx(sim.summary["dividend_tax"], rel=1e-12, abs=1e-9)
    if m["lots"]:  # fractional runs may place an order of 1e-16 shares in one and none in the other
        assert table.loc[combo, "n_filled"] == int((sim.fills["filled"] > 0).sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets, st.sampled_from([None, 0.05]), st.sampled_from([None, 0.3]))
def test_simulate_many_equals_simulate_with_carried_orders_and_drift_bands(m, band, volume_limit):
    panel = random_market(m["seed"], m["limit"], m["suspend"], m["events"])
    rules = rules_for(panel, m["limit"], m["lots"])
    rng = np.random.default_rng(m["seed"] + 1)
    ws = []
    for _ in range(3):
        w = rng.dirichlet(np.ones(N + 1), T)[:, :N]
        w[rng.random(T) < 0.7] = np.nan
        ws.append(w)
    kw = dict(rules=rules, price="open", init_cash=m["cash"], commission=0.0003, min_commission=m["min_commission"],
              slippage_bps=m["slippage_bps"], carry_unfilled=True, drift_band=band, dividends=m["dividends"],
              volume_limit=volume_limit)
    many = simulate_many(panel, ws, summary_only=False, **kw)
    for c, w in enumerate(ws):
        one = simulate(panel, w, **kw)
        np.testing.assert_allclose(many.equity[c].to_numpy(), one.equity.to_numpy(), rtol=1e-12, atol=1e-9)
        assert many.summary.loc[c, "dividends"] == one.summary["dividends"]
        assert (one.positions.to_numpy() >= 0).all()
        if m["lots"]:  # no fractional share anywhere in A-share mode
            pos = one.positions.to_numpy()
            np.testing.assert_array_equal(pos, np.round(pos))


def test_idle_value_lists_the_held_symbols_and_equals_the_full_valuation():
    from aibt.engine import nb

    acct, pos, _ = nb.new_state(5, 1000.0, 0)
    pos[nb.POS_SHARES] = [0.0, 300.0, 0.0, 200.0, 100.0]
    acct[nb.ACCT_RECEIVABLE] = 7.5
    acct[nb.ACCT_N_HELD] = -1.0  # as a day step leaves it
    prices = np.array([np.nan, 10.0, 3.0, 2.5, np.nan])  # a held symbol without a price counts 0
    # 1000 + 300 x 10 + 200 x 2.5 + 7.5, worked by hand
    assert nb.idle_value_nb(acct, pos, prices) == 4507.5
    assert acct[nb.ACCT_N_HELD] == 3 and list(pos[nb.POS_HELD, :3]) == [1.0, 3.0, 4.0]
    assert nb.idle_value_nb(acct, pos, prices) == nb.portfolio_value_nb(1000.0, pos[nb.POS_SHARES], prices) + 7.5
    pos[nb.POS_SHARES, 1] = 0.0  # shares change only in a day step, which marks the list stale
    acct[nb.ACCT_N_HELD] = -1.0
    assert nb.idle_value_nb(acct, pos, prices) == 1507.5 and acct[nb.ACCT_N_HELD] == 2
