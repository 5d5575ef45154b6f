"""The engine on the real bars of the snapshot: limit prices from the exchange's rule on the traded
prices, and cash dividends credited as a brokerage account credits them.

Expected values are worked out here from the traded prices and the event table with decimal arithmetic
(the exchange's rule: 涨跌幅价格 = 前收盘价 x (1 ± 涨跌幅比例), rounded half up to 0.01; on an ex-date the
base is the ex-rights reference price (前收盘价 − 现金红利) ÷ (1 + 股份变动比例), on the tick), not by the
engine's code.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from aibt.data.snapshot import load_events, load_securities, load_snapshot, provenance
from aibt.engine import nb, simulate
from aibt.engine.market import build_market
from aibt.universes import compile_rules

TICK = Decimal("0.01")


def q(x: float | Decimal) -> Decimal:
    """Half up to the tick, from the decimal text of the number."""
    return Decimal(str(x)).quantize(TICK, rounding=ROUND_HALF_UP)


def raw_window(symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    w = provenance()["symbols"][symbol]["adj_factor"].get("raw_window")
    if not w:
        return None
    first, last = (w["first"], w["last"]) if isinstance(w, dict) else (w[0], w[1])
    return pd.Timestamp(first), pd.Timestamp(last)


def stocks_with_raw_prices() -> list[str]:
    sec = load_securities()
    return [s for s in sec.loc[sec["kind"] == "stock", "symbol"] if raw_window(s) is not None]


def expected_upper(panel, rules, j: int) -> dict[int, Decimal]:
    """Upper limit of each session (row -> price) of column ``j`` by the exchange's rule."""
    close = panel.fields["traded_close"][:, j]
    ev = panel.events[panel.events["symbol"] == panel.symbols[j]].set_index("ex_date")
    pct = rules.limit_pct[:, j]
    out = {}
    prev = None
    for t in range(len(panel.dates)):
        if prev is not None and np.isfinite(pct[t]):
            base = Decimal(str(prev))
            d = panel.dates[t]
            if d in ev.index:
                e = ev.loc[d]
                base = q((base - Decimal(str(e["cash"]))) / ((1 + Decimal(str(e["shares"]))) * Decimal(str(e["split"]))))
            out[t] = q(base * (1 + Decimal(str(pct[t]))))
        if panel.tradable[t, j] and np.isfinite(close[t]):
            prev = close[t]
        elif prev is not None and panel.dates[t] in ev.index:  # a suspended stock goes ex too
            e = ev.loc[panel.dates[t]]
            prev = float(q((Decimal(str(prev)) - Decimal(str(e["cash"]))) / (1 + Decimal(str(e["shares"])))))
    return out


@pytest.fixture(scope="module", params=["open", "close"])
def limit_up_cases(request):
    """Every session in the unadjusted window of every stock whose traded open (or close) is its upper
    limit: (price field, cases)."""
    cases = []
    for s in stocks_with_raw_prices():
        lo, hi = raw_window(s)
        panel = load_snapshot([s], start=lo, end=hi)
        rules = compile_rules(panel.dates, panel.symbols)
        up = expected_upper(panel, rules, 0)
        prices = panel.fields[f"traded_{request.param}"][:, 0]
        for t, u in up.items():
            if panel.tradable[t, 0] and q(prices[t]) == u:
                cases.append((s, panel.dates[t], float(u)))
    return request.param, cases


def test_there_are_limit_up_prices_to_check(limit_up_cases):
    field, cases = limit_up_cases
    # measured on 40 stocks, 29,080 sessions: 34 limit-up opens and 143 limit-up closes
    assert len(cases) >= (20 if field == "open" else 100)
    if field == "open":
        assert ("603228", pd.Timestamp("2023-05-31"), 25.86) in cases  # prev close 23.51 x 1.1


def test_every_limit_up_price_refuses_a_buy_at_it(limit_up_cases):
    field, cases = limit_up_cases
    by_symbol: dict[str, list] = {}
    for s, d, u in cases:
        by_symbol.setdefault(s, []).append((d, u))
    refused = 0
    for s, items in by_symbol.items():
        lo, hi = raw_window(s)
        panel = load_snapshot([s], start=lo, end=hi)
        rules = compile_rules(panel.dates, panel.symbols)
        mkt = build_market(panel, rules, field)
        cost = nb.CostParams(0.00025, 5.0, 0.0)
        for d, u in items:
            t = panel.dates.get_loc(d)
            assert mkt.upper[t, 0] == pytest.approx(u, abs=1e-9), (s, d)
            st = nb.new_state(1, 1e7, 0)
            fills = np.empty(1, dtype=nb.FILL_DTYPE)
            evrec = np.empty(0, dtype=nb.EVENT_DTYPE)
            filled, reason = nb.order_shares_nb(t, 0, 1000.0, mkt, cost, st, fills, np.zeros(1, np.int64), evrec,
                                                np.zeros(1, np.int64), 0)
            assert (filled, reason) == (0.0, nb.REASON_LIMIT_UP), (s, d, panel.fields[f"traded_{field}"][t, 0], u)
            refused += 1
    assert refused == len(cases)


def test_603228_limit_up_open_on_2023_05_31_is_not_bought():
    panel = load_snapshot(["603228"], start="2023-05-29", end="2023-06-02")
    t = panel.dates.get_loc(pd.Timestamp("2023-05-31"))
    assert panel.fields["traded_close"][t - 1, 0] == 23.51 and panel.fields["traded_open"][t, 0] == 25.86
    rules = compile_rules(panel.dates, panel.symbols)
    w = np.full(panel.shape, np.nan)
    w[t - 1, 0] = 0.5
    res = simulate(panel, w, rules=rules, init_cash=1e6, carry_unfilled=False)
    assert res.fills["reason"].tolist() == ["limit_up"] and res.positions.iloc[-1, 0] == 0.0


# ----------------------------------------------------------------------------------- dividends
# 生益科技 600183: cash dividends per share (pre-tax) as the event table dates them (raw close steps of the
# unadjusted dump, confirmed by Eastmoney's subtractive qfq whose intercept steps by exactly the cash).
DIVIDENDS_600183 = {"2022-05-26": 0.60, "2023-05-26": 0.45, "2024-05-24": 0.45, "2025-05-23": 0.60}


def test_buy_and_hold_of_a_dividend_payer_credits_each_dividend_to_cash():
    panel = load_snapshot(["600183"], start="2021-06-01", end="2025-05-23")
    rules = compile_rules(panel.dates, panel.symbols)
    w = np.full(panel.shape, np.nan)
    w[0, 0] = 0.99
    res = simulate(panel, w, rules=rules, init_cash=1_000_000.0, commission=0.00025, min_commission=5.0)
    held = res.positions.iloc[1, 0]
    assert held > 0 and held % 100 == 0
    # hand check: the shares bought on the second session (99 % of 1e6 at that open, whole lots)
    open1 = panel.fields["traded_open"][1, 0]
    assert held == np.floor(0.99 * 1e6 / open1 / 100) * 100
    ev = res.events[res.events["kind"] == "ex_date"].set_index("date")
    assert sorted(d.strftime("%Y-%m-%d") for d in ev.index) == sorted(DIVIDENDS_600183)
    for d, cash in DIVIDENDS_600183.items():
        t = panel.dates.get_loc(pd.Timestamp(d))
        assert ev.loc[pd.Timestamp(d), "cash"] == pytest.approx(held * cash, abs=1e-6)
        assert ev.loc[pd.Timestamp(d), "shares"] == 0.0
        # cash rises by exactly the dividend on the ex-date (nothing else trades); the shares stay whole
        assert res.cash.iloc[t] - res.cash.iloc[t - 1] == pytest.approx(held * cash, abs=1e-6)
        assert res.positions.iloc[t, 0] == held
    assert res.summary["dividends"] == pytest.approx(held * sum(DIVIDENDS_600183.values()), abs=1e-6)
    assert res.summary["dividend_tax"] == 0.0  # nothing sold: the tax is withheld only at a sale
    # the account at the end: whole shares at the traded close plus cash (no fractional share anywhere)
    final = held * panel.fields["traded_close"][-1, 0] + res.cash.iloc[-1]
    assert res.equity.iloc[-1] == pytest.approx(final, rel=1e-12)


def test_selling_within_a_month_of_the_record_date_withholds_20_percent():
    # bought 2024-05-07 (decided 05-06), ex-date 2024-05-24 (0.45 a share), sold 2024-05-28: held less than
    # a month -> 20 % of the dividend is withheld at the sale (Caishui [2015] No. 101)
    panel = load_snapshot(["600183"], start="2024-05-06", end="2024-06-10")
    rules = compile_rules(panel.dates, panel.symbols)
    w = np.full(panel.shape, np.nan)
    w[0, 0] = 0.5
    w[panel.dates.get_loc(pd.Timestamp("2024-05-27")), 0] = 0.0
    res = simulate(panel, w, rules=rules, init_cash=1_000_000.0)
    held = res.positions.iloc[1, 0]
    tax = res.events[res.events["kind"] == "dividend_tax"]
    assert tax["date"].tolist() == [pd.Timestamp("2024-05-28")]
    assert tax["tax"].iloc[0] == pytest.approx(0.20 * 0.45 * held, abs=1e-6)
    assert res.summary["dividend_tax"] == pytest.approx(0.20 * 0.45 * held, abs=1e-6)


def test_bonus_issue_on_real_bars_credits_whole_shares():
    # 300502 10转4 on 2023-06-08: 1,000 shares become 1,400; the price steps to the ex-rights reference
    panel = load_snapshot(["300502"], start="2023-06-01", end="2023-06-15")
    ev = load_events("300502", start="2023-06-08", end="2023-06-08")
    assert ev["shares"].tolist() == [0.4]
    rules = compile_rules(panel.dates, panel.symbols)
    w = np.full(panel.shape, np.nan)
    open1 = panel.fields["traded_open"][1, 0]
    w[0, 0] = 1000 * open1 * (1 + 1e-6) / 1e6
    res = simulate(panel, w, rules=rules, init_cash=1_000_000.0)
    t = panel.dates.get_loc(pd.Timestamp("2023-06-08"))
    assert res.positions.iloc[t - 1, 0] == 1000.0 and res.positions.iloc[t, 0] == 1400.0
