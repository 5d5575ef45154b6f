"""Hand-worked examples, one per trading rule of the engine."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.data.panel import Panel
from aibt.engine import nb, simulate
from aibt.engine.market import build_market
from aibt.universes.trading_rules import TradingRules, compile_rules


def make_panel(close, open_=None, dates=None, symbols=None, adj_factor=None, tradable=None, currency=None,
               fx=None, events=None):
    close = np.asarray(close, dtype=float)
    t, n = close.shape
    dates = pd.bdate_range("2024-03-04", periods=t) if dates is None else pd.DatetimeIndex(dates)
    symbols = tuple(f"S{j}" for j in range(n)) if symbols is None else tuple(symbols)
    open_ = close.copy() if open_ is None else np.asarray(open_, dtype=float)
    tr = ~np.isnan(close) if tradable is None else np.asarray(tradable, dtype=bool)
    fields = {"open": open_, "high": np.fmax(open_, close), "low": np.fmin(open_, close), "close": close,
              "volume": np.where(tr, 1e6, 0.0),
              "adj_factor": np.ones((t, n)) if adj_factor is None else np.asarray(adj_factor, float)}
    return Panel(dates, symbols, fields, tr, tuple(currency or ["CNY"] * n),
                 np.ones((t, n)) if fx is None else np.asarray(fx, float), {}, events)


def state(n, cash):
    """A fresh kernel state, empty fill/event records."""
    st = nb.new_state(n, cash, 0)
    return st, np.empty(10, dtype=nb.FILL_DTYPE), np.zeros(1, dtype=np.int64), np.empty(10, dtype=nb.EVENT_DTYPE), \
        np.zeros(1, dtype=np.int64)


def make_rules(panel, lot_min=100, lot_step=100, limit_pct=0.1, stamp_sell=0.0, stamp_buy=0.0, transfer=0.0,
               other=0.0, is_etf=False):
    t, n = panel.shape
    full = lambda v: np.broadcast_to(np.asarray(v, float), (t, n)).copy()  # noqa: E731
    return TradingRules(dates=panel.dates, symbols=panel.symbols,
                        lot_min=np.broadcast_to(np.asarray(lot_min, float), (n,)).copy(),
                        lot_step=np.broadcast_to(np.asarray(lot_step, float), (n,)).copy(),
                        limit_pct=full(limit_pct), stamp_duty_buy=full(stamp_buy), stamp_duty_sell=full(stamp_sell),
                        transfer_fee=full(transfer), exchange_fee=full(other),
                        is_etf=np.broadcast_to(np.asarray(is_etf, bool), (n,)).copy())


def one_buy_weights(panel, w, day=0):
    """Target ``w`` decided at the close of ``day`` (fills the next session)."""
    t, n = panel.shape
    a = np.full((t, n), np.nan)
    a[day] = w
    return a


# ----------------------------------------------------------------------------------- lots
def test_star_250_shares_stay_250_main_board_250_round_to_200():
    # price 10, cash 100_000: weight 0.02505 asks for 250.5 shares
    p = make_panel([[10.0, 10.0], [10.0, 10.0], [10.0, 10.0]], symbols=("688256", "600183"))
    rules = make_rules(p, lot_min=[200, 100], lot_step=[1, 100])
    res = simulate(p, one_buy_weights(p, [0.02505, 0.02505]), rules=rules, init_cash=100_000.0)
    assert res.positions.iloc[1].tolist() == [250.0, 200.0]
    assert res.cash.iloc[1] == pytest.approx(100_000.0 - 4500.0)
    f = res.fills.set_index("symbol")
    # cut only by rounding to whole lots: a fill, not a refusal (250.5 -> 250, 250.5 -> 200)
    assert f.loc["688256", "reason"] == "filled" and f.loc["688256", "requested"] == pytest.approx(250.5)
    assert f.loc["600183", "reason"] == "filled"
    assert f.loc["600183", "filled"] == 200.0
    assert res.summary["n_refused"] == 0 and res.summary["n_filled"] == 2


def test_buy_below_minimum_lot_is_refused_as_odd_lot():
    p = make_panel([[10.0], [10.0], [10.0]])
    rules = make_rules(p, lot_min=200, lot_step=1)
    res = simulate(p, one_buy_weights(p, [0.0199]), rules=rules, init_cash=100_000.0)  # 199 shares
    assert res.positions.iloc[-1, 0] == 0.0
    assert res.fills["reason"].tolist() == ["odd_lot_buy"]


def test_odd_lot_is_sold_whole_but_partial_sells_round_to_lots():
    # 250 shares of a Main-board stock (e.g. after a bonus issue): a partial sell of 130 shares rounds
    # down to 100; a sell of 150 is one round lot plus the whole odd remainder of 50 in one order
    # (SSE/SZSE: 余额不足100股的部分，应当一次性申报卖出), and fills 150.
    p = make_panel([[10.0]] * 4)
    rules = make_rules(p, lot_min=100, lot_step=100)
    mkt = build_market(p, rules, "open")
    cost = nb.CostParams(0.0, 0.0, 0.0)
    st, fills, cnt, ev, ec = state(1, 0.0)
    acct, shares = st[0], st[1][nb.POS_SHARES]
    shares[0] = 250.0
    filled, reason = nb.order_shares_nb(1, 0, -130.0, mkt, cost, st, fills, cnt, ev, ec, 0)
    assert (filled, reason) == (-100.0, nb.REASON_LOT_ROUNDING)
    filled, reason = nb.order_shares_nb(2, 0, -150.0, mkt, cost, st, fills, cnt, ev, ec, 0)
    assert (filled, reason) == (-150.0, nb.REASON_NONE)  # whole odd remainder
    assert shares[0] == 0.0 and acct[nb.ACCT_CASH] == 2500.0
    st, fills, cnt, ev, ec = state(1, 0.0)
    st[1][nb.POS_SHARES, 0] = 250.0
    filled, reason = nb.order_shares_nb(1, 0, -150.0, mkt, cost, st, fills, cnt, ev, ec, 0)
    assert (filled, reason) == (-150.0, nb.REASON_NONE)  # 100 + the odd 50
    assert st[1][nb.POS_SHARES, 0] == 100.0


def test_star_sell_below_200_only_as_the_whole_remainder():
    # STAR (lot 200, step 1): holding 250, a sell of 150 would leave 100 (< 200) - not a valid order
    # size, it rounds to 0 and is refused; a sell of 250 (all) fills; holding 150, a sell of 150 fills.
    p = make_panel([[10.0]] * 3)
    rules = make_rules(p, lot_min=200, lot_step=1)
    mkt = build_market(p, rules, "open")
    cost = nb.CostParams(0.0, 0.0, 0.0)
    st, fills, cnt, ev, ec = state(1, 0.0)
    st[1][nb.POS_SHARES, 0] = 250.0
    assert nb.order_shares_nb(1, 0, -150.0, mkt, cost, st, fills, cnt, ev, ec, 0) == (0.0, nb.REASON_LOT_ROUNDING)
    assert nb.order_shares_nb(1, 0, -210.0, mkt, cost, st, fills, cnt, ev, ec, 0) == (-210.0, nb.REASON_NONE)
    assert nb.order_shares_nb(2, 0, -40.0, mkt, cost, st, fills, cnt, ev, ec, 0) == (-40.0, nb.REASON_NONE)


# ----------------------------------------------------------------------------------- price limits
def test_limit_up_open_fills_nothing_and_order_carries_to_next_day():
    # prev close 10.00, Main board 10%: upper limit 11.00; open at 11.00 -> buy refused.
    close = [[10.0], [10.0], [11.0], [11.5], [11.5]]
    open_ = [[10.0], [10.0], [11.0], [11.2], [11.5]]
    p = make_panel(close, open_)
    rules = make_rules(p, lot_min=100, lot_step=100, limit_pct=0.10)
    w = one_buy_weights(p, [0.5], day=1)
    res = simulate(p, w, rules=rules, init_cash=100_000.0, carry_unfilled=True)
    f = res.fills
    assert f["reason"].tolist()[0] == "limit_up" and f["filled"].iloc[0] == 0.0
    assert res.positions.iloc[2, 0] == 0.0
    # next day (upper limit 12.10, open 11.20): the carried order for 50_000/11.00 = 4545.45 shares
    # fills, rounded to 4500
    assert f["date"].iloc[1] == p.dates[3]
    assert res.positions.iloc[3, 0] == 4500.0
    dropped = simulate(p, w, rules=rules, init_cash=100_000.0, carry_unfilled=False)
    assert dropped.positions.iloc[-1, 0] == 0.0 and len(dropped.fills) == 1


def test_limit_down_open_refuses_sell_and_limit_uses_previous_close_only():
    close = [[20.0], [20.0], [18.0], [17.0]]
    open_ = [[20.0], [20.0], [18.0], [17.5]]
    p = make_panel(close, open_)
    rules = make_rules(p, limit_pct=0.10)
    mkt = build_market(p, rules, "open")
    assert mkt.upper[2, 0] == pytest.approx(22.0) and mkt.lower[2, 0] == pytest.approx(18.0)
    assert mkt.lower[3, 0] == pytest.approx(16.2)  # from the close of day 2 (18.00)
    assert np.isnan(mkt.upper[0, 0])  # no previous close on the first day
    w = np.full((4, 1), np.nan)
    w[0] = 1.0
    w[1] = 0.0
    res = simulate(p, w, rules=rules, init_cash=100_000.0, carry_unfilled=True)
    assert res.positions.iloc[1, 0] == 5000.0
    assert res.fills["reason"].iloc[1] == "limit_down"
    assert res.positions.iloc[2, 0] == 5000.0
    assert res.positions.iloc[3, 0] == 0.0  # carried sell fills at 17.50 > 16.20


# ----------------------------------------------------------------------------------- suspension
def test_suspended_day_no_trade_position_valued_at_last_price():
    close = [[10.0, 5.0], [10.0, 5.0], [np.nan, 5.5], [12.0, 6.0]]
    p = make_panel(close)
    rules = make_rules(p)
    w = np.full((4, 2), np.nan)
    w[0] = [0.5, 0.0]
    w[1] = [0.0, 0.5]  # sell S0 on day 2 (suspended), buy S1
    res = simulate(p, w, rules=rules, init_cash=100_000.0)
    assert res.positions.iloc[1, 0] == 5000.0
    assert res.positions.iloc[2, 0] == 5000.0  # not sold while suspended
    assert res.holdings.iloc[2, 0] == pytest.approx(50_000.0)  # valued at the last close 10.00
    reasons = dict(zip(zip(res.fills["date"], res.fills["symbol"]), res.fills["reason"]))
    assert reasons[(p.dates[2], "S0")] == "suspended"
    assert res.positions.iloc[3, 0] == 0.0  # carried sell fills when trading resumes


# ----------------------------------------------------------------------------------- T+1
def test_t_plus_1_shares_bought_today_cannot_be_sold_today():
    p = make_panel([[10.0]] * 3)
    rules = make_rules(p)
    mkt = build_market(p, rules, "open")
    cost = nb.CostParams(0.0, 0.0, 0.0)
    pol = nb.Policy(True, False)
    st, fills, cnt, ev, ec = state(1, 100_000.0)
    acct, shares, bought, pending = st[0], st[1][nb.POS_SHARES], st[1][nb.POS_BOUGHT], st[1][nb.POS_PENDING]
    shares[0] = 300.0  # held from before
    nb.start_day_nb(1, mkt, pol, st, 0.0, 0.0, ev, ec, 0)
    nb.rebalance_to_targets_nb(1, np.array([0.5]), mkt, cost, pol, st, fills, cnt, ev, ec, 0)
    # value 103_000 x 0.5 / 10 = 5150 shares: buy 4850 -> 4800 in lots of 100
    assert shares[0] == 5100.0 and bought[0] == 4800.0
    # a second rebalance the same session (e.g. an intraday schedule) to 0: only the 300 old shares sell
    nb.rebalance_to_targets_nb(1, np.array([0.0]), mkt, cost, pol, st, fills, cnt, ev, ec, 0)
    last = fills[cnt[0] - 1]
    assert (last["filled"], last["reason"]) == (300.0, nb.REASON_T_PLUS_1)
    assert shares[0] == 4800.0 and pending[0] == -4800.0
    # next session the lock is gone and the carried sell fills
    nb.start_day_nb(2, mkt, pol, st, 0.0, 0.0, ev, ec, 0)
    nb.execute_pending_nb(2, mkt, cost, pol, st, fills, cnt, ev, ec, 0)
    assert shares[0] == 0.0 and pending[0] == 0.0
    assert acct[nb.ACCT_CASH] == pytest.approx(103_000.0)


# ----------------------------------------------------------------------------------- costs
def test_minimum_commission_on_a_small_order():
    # 100 shares at 10.00 = 1000 CNY: 0.025 % would be 0.25, the minimum 5 CNY applies;
    # transfer fee 0.001 % = 0.01 CNY
    p = make_panel([[10.0]] * 3)
    rules = make_rules(p, transfer=0.00001)
    res = simulate(p, one_buy_weights(p, [0.01]), rules=rules, init_cash=100_000.0, commission=0.00025,
                   min_commission=5.0)
    f = res.fills.iloc[0]
    assert f["filled"] == 100.0
    assert f["commission"] == pytest.approx(5.0)
    assert f["transfer"] == pytest.approx(0.01)
    assert res.cash.iloc[1] == pytest.approx(100_000.0 - 1000.0 - 5.0 - 0.01)
    assert res.costs["commission"].sum() == pytest.approx(5.0)


def test_stamp_duty_switch_on_2023_08_28_from_compiled_rules():
    dates = pd.DatetimeIndex(["2023-08-23", "2023-08-24", "2023-08-25", "2023-08-28", "2023-08-29"])
    p = make_panel([[10.0, 10.0]] * 5, dates=dates, symbols=("600183", "588790"))
    rules = compile_rules(p.dates, p.symbols)
    w = np.full((5, 2), np.nan)
    w[0] = [0.4, 0.4]
    w[1] = [0.2, 0.2]  # sells 2000 + 2000 shares on Friday 2023-08-25 (old rate)
    w[2] = [0.0, 0.0]  # sells the rest on Monday 2023-08-28 (new rate)
    res = simulate(p, w, rules=rules, init_cash=100_000.0)
    sells = res.fills[res.fills["side"] == "sell"].set_index(["date", "symbol"])
    fri, mon = pd.Timestamp("2023-08-25"), pd.Timestamp("2023-08-28")
    assert sells.loc[(fri, "600183"), "stamp"] == pytest.approx(20_000.0 * 0.001)
    assert sells.loc[(mon, "600183"), "stamp"] == pytest.approx(20_000.0 * 0.0005)
    # ETFs pay no stamp duty
    assert sells.loc[(fri, "588790"), "stamp"] == 0.0 and sells.loc[(mon, "588790"), "stamp"] == 0.0
    assert res.fills.loc[res.fills["side"] == "buy", "stamp"].sum() == 0.0


def test_insufficient_cash_cuts_the_last_buy_to_what_cash_covers_with_costs():
    p = make_panel([[10.0, 10.0]] * 3)
    rules = make_rules(p)
    res = simulate(p, one_buy_weights(p, [0.5, 0.5]), rules=rules, init_cash=10_000.0, commission=0.001,
                   min_commission=5.0)
    # first buy: 500 shares = 5000 + 5 commission -> 4995 left; second: 499 shares affordable -> 400
    f = res.fills
    assert f["filled"].tolist() == [500.0, 400.0]
    assert f["reason"].tolist() == ["filled", "insufficient_cash"]
    assert res.cash.iloc[1] == pytest.approx(10_000.0 - 5005.0 - 4005.0)
    assert (res.cash >= 0).all()


def test_slippage_moves_fill_price_and_is_reported():
    p = make_panel([[10.0]] * 3)
    res = simulate(p, one_buy_weights(p, [0.5]), rules="frictionless", init_cash=10_000.0, slippage_bps=10.0)
    f = res.fills.iloc[0]
    assert f["price"] == pytest.approx(10.01)
    assert f["slippage"] == pytest.approx(f["filled"] * 0.01)
    assert f["filled"] == pytest.approx(5000.0 / 10.0)  # size from the quote, paid at 10.01


# ----------------------------------------------------------------------------------- corporate actions
def test_bonus_issue_credits_whole_shares_and_keeps_the_value():
    # 10-for-4 transfer (10转4): traded price 14 -> 10 at the ex-date (reference 14 / 1.4 = 10.00).
    # adj_factor = traded / adjusted: 1.4 before, 1.0 from the ex-date; the event table says 0.4 shares.
    adj_close = [[10.0]] * 4
    factor = [[1.4], [1.4], [1.0], [1.0]]
    ev = pd.DataFrame({"symbol": ["S0"], "ex_date": [pd.bdate_range("2024-03-04", periods=4)[2]], "shares": [0.4]})
    p = make_panel(adj_close, adj_factor=factor, events=ev)
    rules = make_rules(p)
    res = simulate(p, one_buy_weights(p, [0.7]), rules=rules, init_cash=100_000.0)
    assert res.fills["price"].iloc[0] == pytest.approx(14.0)  # trades at the traded price
    assert res.positions.iloc[1, 0] == 5000.0  # 70_000 / 14
    assert res.positions.iloc[2, 0] == 7000.0  # + 2000 bonus shares, whole
    assert res.equity.tolist() == pytest.approx([100_000.0] * 4)
    e = res.events.iloc[0]
    assert (e["kind"], e["shares"], e["cash"]) == ("ex_date", 2000.0, 0.0)


def test_bonus_fraction_is_paid_in_cash_at_the_reference_price():
    # 10送3 on 1,050 shares = 315 new shares exactly; 10转3.5 on 1,050 = 367.5: 367 shares + 0.5 x ref
    ev = pd.DataFrame({"symbol": ["S0"], "ex_date": [pd.bdate_range("2024-03-04", periods=4)[2]], "shares": [0.35]})
    p = make_panel([[13.5], [13.5], [10.0], [10.0]], events=ev)
    rules = make_rules(p, lot_min=200, lot_step=1)
    res = simulate(p, one_buy_weights(p, [1050 * 13.5 / 100_000]), rules=rules, init_cash=100_000.0)
    assert res.positions.iloc[1, 0] == 1050.0
    assert res.positions.iloc[2, 0] == 1050.0 + 367.0
    # reference price (13.50 - 0) / 1.35 = 10.00: the half share is paid as 5.00 CNY
    assert res.events["cash"].iloc[0] == pytest.approx(5.0)
    assert res.cash.iloc[2] == pytest.approx(res.cash.iloc[1] + 5.0)


# ----------------------------------------------------------------------------------- HK and FX
def test_hk_board_lot_costs_and_fx_conversion():
    p = make_panel([[20.0]] * 3, symbols=("6088.HK",), currency=["HKD"], fx=[[0.9]] * 3)
    rules = make_rules(p, lot_min=1000, lot_step=1000, limit_pct=np.nan, stamp_buy=0.001, stamp_sell=0.001,
                       other=0.0000565)
    res = simulate(p, one_buy_weights(p, [0.5]), rules=rules, init_cash=100_000.0, commission=0.0003,
                   min_commission=5.0)
    # 50_000 CNY / (20 HKD x 0.9) = 2777.8 shares -> 2000 in board lots of 1000
    f = res.fills.iloc[0]
    assert f["filled"] == 2000.0 and f["price"] == pytest.approx(18.0)
    value = 36_000.0
    assert f["stamp"] == pytest.approx(value * 0.001)
    assert f["other"] == pytest.approx(value * 0.0000565)
    assert f["commission"] == pytest.approx(10.8)
    assert res.cash.iloc[1] == pytest.approx(100_000.0 - value * (1 + 0.001 + 0.0000565) - 10.8)
    assert res.holdings.iloc[1, 0] == pytest.approx(36_000.0)


# ----------------------------------------------------------------------------------- fill prices
def test_vwap_fill_is_amount_over_volume_with_typical_price_fallback():
    close = np.array([[10.0], [10.0], [10.4]])
    p0 = make_panel(close, open_=[[10.0], [10.0], [10.2]])
    fields = dict(p0.fields)
    fields["high"] = np.array([[10.0], [10.0], [10.6]])
    fields["low"] = np.array([[10.0], [10.0], [10.0]])
    fields["volume"] = np.array([[1e6], [1e6], [2e6]])
    fields["amount"] = np.array([[1e7], [1e7], [2.06e7]])  # vwap 10.30 on day 2
    p = Panel(p0.dates, p0.symbols, fields, p0.tradable, p0.currency, p0.fx_to_cny)
    w = one_buy_weights(p, [0.5], day=1)
    assert simulate(p, w, rules="frictionless", price="vwap").fills["price"].iloc[0] == pytest.approx(10.30)
    fields["amount"] = np.array([[1e7], [1e7], [np.nan]])  # no amount: (H + L + C) / 3
    p2 = Panel(p.dates, p.symbols, fields, p.tradable, p.currency, p.fx_to_cny)
    assert simulate(p2, w, rules="frictionless", price="vwap").fills["price"].iloc[0] == pytest.approx((10.6 + 10.0 + 10.4) / 3)
