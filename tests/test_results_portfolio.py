"""Portfolio statistics from a simulation: round trips (hand-worked FIFO), fees vs taxes, events."""
import numpy as np
import pandas as pd
import pytest

from aibt.results.portfolio import portfolio_stats, round_trips, trade_stats


def _fills(rows):
    cols = ["date", "symbol", "side", "filled", "price", "commission", "stamp", "transfer", "other"]
    f = pd.DataFrame(rows, columns=cols)
    f["date"] = pd.to_datetime(f["date"])
    return f


def test_round_trips_fifo_hand_worked():
    f = _fills([
        ("2024-01-02", "A", "buy", 100, 10.0, 5.0, 0.0, 0.1, 0.0),
        ("2024-01-09", "A", "buy", 100, 12.0, 5.0, 0.0, 0.1, 0.0),
        ("2024-02-01", "A", "sell", 150, 13.0, 6.0, 0.975, 0.15, 0.0),   # closes 100 @10 and 50 @12
        ("2024-02-05", "B", "buy", 200, 5.0, 5.0, 0.0, 0.0, 0.0),
        ("2024-02-06", "B", "sell", 200, 4.0, 5.0, 0.4, 0.0, 0.0),
        ("2024-02-07", "A", "sell", 0, 13.0, 0.0, 0.0, 0.0, 0.0),         # refused: nothing filled
    ])
    t = round_trips(f)
    assert len(t) == 3
    first = t.iloc[0]
    sell_cost_ps = (6.0 + 0.975 + 0.15) / 150
    assert first["symbol"] == "A" and first["shares"] == 100 and first["holding_days"] == 30
    assert first["pnl"] == pytest.approx(100 * 3.0 - 100 * (5.1 / 100 + sell_cost_ps))
    second = t.iloc[1]
    assert second["shares"] == 50 and second["entry_price"] == 12.0 and second["holding_days"] == 23
    assert second["pnl"] == pytest.approx(50 * 1.0 - 50 * (5.1 / 100 + sell_cost_ps))
    b = t.iloc[2]
    assert b["pnl"] == pytest.approx(-200 - 10.4) and b["return"] == pytest.approx((-210.4) / 1000)
    s = trade_stats(t)
    assert s["round_trips"] == 3 and s["hit_rate"] == pytest.approx(2 / 3)
    assert s["profit_factor"] == pytest.approx((first["pnl"] + second["pnl"]) / 210.4)
    assert s["average_holding_days"] == pytest.approx((30 + 23 + 1) / 3) and s["median_holding_days"] == 23
    assert np.isnan(trade_stats(t.iloc[:0])["hit_rate"])


def test_portfolio_stats_on_a_simulation():
    from aibt.data.snapshot import load_snapshot
    from aibt.engine import simulate
    from aibt.universes import BASKETS, compile_rules

    codes = list(BASKETS["pcb"])
    panel = load_snapshot(codes, start="2024-01-02", end="2025-12-31")
    w = pd.DataFrame(1.0 / len(codes), index=panel.dates, columns=codes)
    res = simulate(panel, w, rules=compile_rules(panel.dates, panel.symbols), schedule="monthly", price="open",
                   init_cash=1_000_000, commission=0.00025, min_commission=5.0)
    st = portfolio_stats(res)
    c = res.costs.sum()
    # trading costs (the engine's cost table) plus the dividend tax withheld at sales
    assert st["fees_paid"] + st["taxes_paid"] + st["slippage_cost"] == pytest.approx(
        c.sum() + res.summary["dividend_tax"])
    assert res.summary["dividend_tax"] > 0  # monthly rebalancing sells shares held under a year
    if res.events is not None:  # the engine records dividends: the same totals as its summary
        assert st["dividends_received"] == pytest.approx(res.summary["dividends"])
        assert st["taxes_paid"] == pytest.approx(c["stamp"] + res.summary["dividend_tax"])
    assert st["round_trips"] > 0 and 0 <= st["hit_rate"] <= 1
    assert 0.9 < st["time_in_market"] <= 1.0
    # with an events frame (the engine's dividend record) dividends and their tax are counted
    import dataclasses

    ev = pd.DataFrame({"date": pd.to_datetime(["2024-06-03"]), "symbol": [codes[0]], "shares": [100.0],
                       "cash": [50.0], "tax": [5.0]})
    fake = type("R", (), {f.name: getattr(res, f.name) for f in dataclasses.fields(res)})()
    fake.events = ev
    st2 = portfolio_stats(fake)
    assert st2["dividends_received"] == 50.0 and st2["taxes_paid"] == pytest.approx(c["stamp"] + 5.0)


def test_bonus_shares_scale_the_open_lots():
    f = _fills([("2024-01-02", "A", "buy", 100, 10.0, 0, 0, 0, 0), ("2024-03-01", "A", "sell", 150, 8.0, 0, 0, 0, 0)])
    ev = pd.DataFrame({"date": pd.to_datetime(["2024-02-01"]), "symbol": ["A"], "kind": ["ex_date"],
                       "shares": [50.0], "cash": [0.0], "tax": [0.0]})
    t = round_trips(f, ev)  # 10-for-5 bonus: 150 shares at 10 / 1.5
    assert len(t) == 1 and t["shares"].iloc[0] == pytest.approx(150)
    assert t["entry_price"].iloc[0] == pytest.approx(10 / 1.5) and t["pnl"].iloc[0] == pytest.approx(150 * 8 - 1000)
    assert round_trips(f).attrs["unmatched_shares"] == 50
