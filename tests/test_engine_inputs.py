"""Clear errors on bad inputs, schedules and drift band, simulate_many vs simulate."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.data.panel import Panel
from aibt.engine import nb, schedule_mask, simulate, simulate_many
from aibt.errors import ConfigError, DataError
from aibt.universes.trading_rules import compile_rules


def panel_from(close, dates=None, symbols=("A", "B")):
    close = np.asarray(close, dtype=float)
    t, n = close.shape
    dates = pd.bdate_range("2024-01-01", periods=t) if dates is None else pd.DatetimeIndex(dates)
    fields = {"open": close.copy(), "close": close, "adj_factor": np.ones((t, n))}
    return Panel(dates, symbols, fields, ~np.isnan(close), ("CNY",) * n, np.ones((t, n)))


@pytest.fixture
def panel():
    rng = np.random.default_rng(1)
    return panel_from(10 * np.exp(np.cumsum(rng.normal(0, 0.02, (60, 2)), axis=0)))


def test_weights_summing_above_one_are_refused_naming_the_date(panel):
    w = pd.DataFrame({"A": [0.6], "B": [0.5]}, index=[panel.dates[3]])
    with pytest.raises(ConfigError, match=rf"{panel.dates[3].date()}.*sum to 1.1"):
        simulate(panel, w, rules="frictionless")


def test_negative_weight_is_refused(panel):
    w = pd.DataFrame({"A": [0.6], "B": [-0.1]}, index=[panel.dates[0]])
    with pytest.raises(ConfigError, match="weight of B .* >= 0"):
        simulate(panel, w, rules="frictionless")


def test_misaligned_dates_and_unknown_symbols_are_refused(panel):
    w = pd.DataFrame({"A": [0.5]}, index=[pd.Timestamp("2024-01-06")])  # a Saturday
    with pytest.raises(DataError, match="2024-01-06 is not a session"):
        simulate(panel, w, rules="frictionless")
    with pytest.raises(DataError, match="'Z' is not a panel symbol"):
        simulate(panel, pd.DataFrame({"Z": [0.5]}, index=[panel.dates[0]]), rules="frictionless")
    with pytest.raises(DataError, match=r"shape \(3, 2\)"):
        simulate(panel, np.zeros((3, 2)), rules="frictionless")


def test_rules_for_other_dates_are_refused(panel):
    rules = compile_rules(panel.dates[1:].append(pd.DatetimeIndex(["2024-12-31"])), ["600183", "300308"])
    p = panel_from(panel.fields["close"], panel.dates, ("600183", "300308"))
    with pytest.raises(DataError, match="rules dates do not match panel dates at position 0"):
        simulate(p, np.full(p.shape, 0.4), rules=rules)


def test_nan_or_negative_prices_are_refused(panel):
    close = panel.fields["close"].copy()
    close[5, 1] = -1.0
    bad = panel_from(close, panel.dates)
    with pytest.raises(DataError, match=rf"close price of B on {panel.dates[5].date()} is -1.0"):
        simulate(bad, np.full(bad.shape, 0.5), rules="frictionless")
    fields = dict(panel.fields)
    o = panel.fields["open"].copy()
    o[7, 0] = np.nan  # a tradable bar without an open
    fields["open"] = o
    bad2 = Panel(panel.dates, panel.symbols, fields, panel.tradable, panel.currency, panel.fx_to_cny)
    with pytest.raises(DataError, match=rf"open price of A on {panel.dates[7].date()} is nan"):
        simulate(bad2, np.full(bad2.shape, 0.5), rules="frictionless", price="open")
    simulate(bad2, np.full(bad2.shape, 0.5), rules="frictionless", price="close")  # fine when the open is not used


def test_bad_costs_and_options(panel):
    w = np.full(panel.shape, 0.5)
    with pytest.raises(ConfigError, match="looks like a percent"):
        simulate(panel, w, rules="frictionless", commission=0.25)
    with pytest.raises(ConfigError, match="init_cash"):
        simulate(panel, w, rules="frictionless", init_cash=0)
    with pytest.raises(ConfigError, match="unknown fill price 'mid'"):
        simulate(panel, w, rules="frictionless", price="mid")
    with pytest.raises(ConfigError, match="unknown schedule 'hourly'"):
        simulate(panel, w, rules="frictionless", schedule="hourly")


def test_schedules_pick_last_session_of_period_and_review_dates():
    dates = pd.DatetimeIndex(["2024-01-29", "2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02",
                              "2024-02-05", "2024-02-29", "2024-03-01"])
    m = schedule_mask(dates, "monthly")
    # the axis starts mid-month (2024-01-29): the first session decides too, then each month end
    assert dates[m].strftime("%m-%d").tolist() == ["01-29", "01-31", "02-29", "03-01"]
    wk = schedule_mask(dates, "weekly")
    assert dates[wk].strftime("%m-%d").tolist() == ["02-02", "02-05", "03-01"]
    rv = schedule_mask(dates, ["2024-02-03", "2024-02-29"])  # a Saturday -> the Friday before
    assert dates[rv].strftime("%m-%d").tolist() == ["02-02", "02-29"]
    with pytest.raises(ConfigError, match="before the first session"):
        schedule_mask(dates, ["2023-12-01"])


def test_a_monthly_schedule_starting_mid_month_rebalances_on_the_first_session():
    from aibt.universes.calendar import xshg_sessions

    mid = xshg_sessions("2024-01-15", "2024-03-10")
    assert mid[schedule_mask(mid, "monthly")].strftime("%m-%d").tolist() == ["01-15", "01-31", "02-29", "03-08"]
    # 2024-01-02 is January's first session (01-01 a holiday), 2024-02-01 February's: no extra decision
    for start in ("2024-01-02", "2024-02-01"):
        d = xshg_sessions(start, "2024-03-10")
        assert not schedule_mask(d, "monthly")[0]
    q = xshg_sessions("2024-05-06", "2024-07-10")  # quarter began 2024-04-01
    assert schedule_mask(q, "quarterly")[0]
    p = panel_from(np.ones((len(mid), 1)) * 10.0, mid, ("A",))
    w = pd.DataFrame({"A": 0.5}, index=mid)
    res = simulate(p, w, schedule="monthly")
    assert res.positions.iloc[1, 0] > 0  # invested the session after the first, not after 01-31


def test_drift_band_rebalances_only_when_weights_drift(panel):
    close = np.ones((60, 2)) * 10.0
    close[30:, 0] = 20.0  # A doubles on day 30: weight 0.5 -> 0.667
    p = panel_from(close)
    w = pd.DataFrame({"A": [0.5], "B": [0.5]}, index=[p.dates[0]])
    # band alone: all cash vs 50/50 targets is a drift of 0.5, so it invests, then waits for day 30
    res = simulate(p, w, rules="frictionless", schedule="never", drift_band=0.1)
    dec = res.decisions[res.decisions].index
    assert list(dec) == [p.dates[0], p.dates[30]]
    assert simulate(p, w, rules="frictionless", schedule="never").positions.to_numpy().sum() == 0.0
    no_band = simulate(p, w, rules="frictionless", schedule=[p.dates[0]])
    assert no_band.weights.iloc[-1, 0] == pytest.approx(2 / 3)
    assert res.weights.iloc[31].tolist() == pytest.approx([0.5, 0.5])
    assert res.weights.iloc[30, 0] == pytest.approx(2 / 3)


def test_simulate_many_summary_matches_single_runs_and_full_equity(panel):
    rng = np.random.default_rng(4)
    ws = np.stack([rng.dirichlet(np.ones(2), 60) for _ in range(5)])
    many = simulate_many(panel, ws, rules="frictionless", schedule="weekly", commission=0.001, summary_only=True)
    assert many.equity is None
    full = simulate_many(panel, ws, rules="frictionless", schedule="weekly", commission=0.001, summary_only=False)
    for c in range(5):
        one = simulate(panel, ws[c], rules="frictionless", schedule="weekly", commission=0.001)
        np.testing.assert_allclose(full.equity[c].to_numpy(), one.equity.to_numpy(), rtol=1e-12)
        s = many.summary.loc[c]
        eq = one.equity
        r = eq.pct_change().dropna()
        assert s["final_value"] == pytest.approx(eq.iloc[-1], rel=1e-12)
        assert s["max_drawdown"] == pytest.approx((eq / eq.cummax() - 1).min(), rel=1e-10)
        assert s["mean_daily_return"] == pytest.approx(r.mean(), rel=1e-9)
        ppy = 59 / ((panel.dates[-1] - panel.dates[0]).days / 365.25)
        assert s["volatility_annual"] == pytest.approx(r.std(ddof=1) * np.sqrt(ppy), rel=1e-9)
        assert s["turnover"] == pytest.approx(one.turnover.sum(), rel=1e-9)
        assert s["commission"] == pytest.approx(one.costs["commission"].sum(), rel=1e-12)
        single = pd.Series(one.summary)[s.index].to_numpy(dtype=float)
        np.testing.assert_allclose(s.to_numpy(dtype=float), single, rtol=1e-9)


def test_simulate_many_names_the_bad_portfolio(panel):
    good = np.full(panel.shape, 0.5)
    bad = np.full(panel.shape, 0.7)
    with pytest.raises(ConfigError, match="portfolio 'b'.*sum to 1.4"):
        simulate_many(panel, [good, bad], rules="frictionless", names=["a", "b"])


def test_kernel_round_lots():
    assert nb.round_lots_nb(250.0, 200.0, 1.0) == 250.0
    assert nb.round_lots_nb(250.0, 100.0, 100.0) == 200.0
    assert nb.round_lots_nb(199.9, 200.0, 1.0) == 0.0
    assert nb.round_lots_nb(2777.8, 1000.0, 1000.0) == 2000.0
    assert nb.round_lots_nb(12.345, 0.0, 0.0) == 12.345
