"""The engine against vectorbt (an independent reference) on real snapshot bars.

Frictionless and percentage-fee cases: same equity curve to 1e-9 (relative). vectorbt is driven with
``Portfolio.from_orders(size_type='targetpercent', group_by=True, cash_sharing=True, call_seq='auto')``
and the engine's one-day decision lag made explicit (targets of row t placed on row t + 1).

vectorbt knows no corporate actions: both trade the ratio-adjusted bars (a total-return price series,
dividends in kind), i.e. the panel with ``adj_factor = 1``, no traded prices and no event table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.data.panel import Panel
from aibt.data.snapshot import load_snapshot
from aibt.engine import simulate, simulate_many

vbt = pytest.importorskip("vectorbt")

# 688521 (VeriSilicon, suspended 2025-08-29 -> 2025-09-11) stands in for 688981, which the snapshot
# does not hold; 688041 (Hygon) is suspended 2025-05-26 -> 2025-06-09.
SYMBOLS = ("300308", "300502", "300394", "688256", "600183", "002463", "688041", "688521")
START, END = "2024-01-02", "2025-11-21"


def load_real_panel(symbols=SYMBOLS) -> Panel:
    """Embedded snapshot bars on the XSHG sessions 2024-01-02 -> 2025-11-21 as adjusted prices only
    (volume in shares; suspended sessions are NaN and not tradable; no corporate actions)."""
    return load_snapshot(symbols, START, END).as_total_return()


@pytest.fixture(scope="module")
def panel() -> Panel:
    return load_real_panel()


def random_monthly_weights(panel: Panel, seed: int, cash_share: float = 0.0) -> pd.DataFrame:
    """Random long-only targets on month ends, only on symbols with a close that day."""
    rng = np.random.default_rng(seed)
    close = panel.frame("close")
    month_end = close.index.to_series().groupby(close.index.to_period("M")).max().to_numpy()
    rows = []
    for d in month_end:
        have = close.loc[d].notna().to_numpy()
        w = rng.dirichlet(np.ones(len(panel.symbols))) * have
        w = w / w.sum() * (1.0 - cash_share)
        rows.append(w)
    return pd.DataFrame(rows, index=pd.DatetimeIndex(month_end), columns=list(panel.symbols))


def vbt_equity(panel: Panel, weights: pd.DataFrame, price: str, fees: float, init_cash: float) -> np.ndarray:
    close = panel.frame("close")
    fill = panel.frame(price)
    size = weights.reindex(close.index).shift(1)  # decided at t's close, placed on t + 1
    pf = vbt.Portfolio.from_orders(close, size=size, size_type="targetpercent", price=fill, fees=fees,
                                   group_by=True, cash_sharing=True, call_seq="auto", init_cash=init_cash,
                                   freq="1D")
    return pf.value().to_numpy()


def suspension_free(panel: Panel) -> Panel:
    """The longest run of sessions on which every symbol trades (vectorbt values a suspended
    position at its last *fill* price, the engine at its last close: they differ only there)."""
    ok = np.concatenate([[False], panel.tradable.all(axis=1), [False]])
    edges = np.flatnonzero(np.diff(ok.astype(int)))
    starts, ends = edges[::2], edges[1::2]
    k = np.argmax(ends - starts)
    return panel.select(start=panel.dates[starts[k]], end=panel.dates[ends[k] - 1])


@pytest.mark.parametrize("price", ["open", "close"])
@pytest.mark.parametrize("fees", [0.0, 0.001])
def test_equity_matches_vectorbt_to_1e9(panel, price, fees):
    p = suspension_free(panel.select(symbols=SYMBOLS[:6]))
    w = random_monthly_weights(p, seed=7)
    ours = simulate(p, w, rules="frictionless", price=price, commission=fees, init_cash=1_000_000.0)
    ref = vbt_equity(p, w, price, fees, 1_000_000.0)
    np.testing.assert_allclose(ours.equity.to_numpy(), ref, rtol=1e-9, atol=0)
    assert ours.equity.iloc[-1] != pytest.approx(1_000_000.0, rel=1e-3)  # the run really moved
    if fees:
        assert ours.costs["commission"].sum() > 0


def test_equity_matches_vectorbt_with_partial_cash_and_all_eight_symbols(panel):
    # 688041 / 688521 have suspended sessions: compared on the longest run where all eight trade
    p = suspension_free(panel)
    w = random_monthly_weights(p, seed=11, cash_share=0.2)
    ours = simulate(p, w, rules="frictionless", price="open", commission=0.0005, init_cash=500_000.0)
    ref = vbt_equity(p, w, "open", 0.0005, 500_000.0)
    assert len(p.dates) > 250
    np.testing.assert_allclose(ours.equity.to_numpy(), ref, rtol=1e-9, atol=0)


def test_inferred_cash_dividends_keep_value_like_vectorbt_on_adjusted_prices(panel):
    # A panel that only knows an adjustment factor (Panel.from_long infers a cash dividend at each
    # step): buy and hold on traded prices has the same equity as vectorbt holding the adjusted
    # (total-return) prices until the first ex-date; on the ex-date the value changes by the price
    # moves of the shares held plus the dividend credited to cash (worth the price drop).
    p = suspension_free(panel.select(symbols=SYMBOLS[:4]))
    t, n = p.shape
    factor = np.ones((t, n))
    first_ex = 40
    for j in range(n):
        factor[:first_ex + 5 * j, j] *= 1.0 + 0.02 * (j + 1)
    long = p.to_long()
    long["adj_factor"] = factor[p.dates.get_indexer(long["date"]), [p.column(s) for s in long["symbol"]]]
    p2 = Panel.from_long(long, dates=p.dates)
    assert len(p2.events) == n and (p2.events["confidence"] == "inferred").all()
    w = pd.DataFrame([[0.25] * n], index=p.dates[:1], columns=list(p.symbols))
    res = simulate(p2, w, rules="frictionless", price="close")  # one rebalance on the first row, then hold
    ours = res.equity.to_numpy()
    ref = vbt_equity(p, w, "close", 0.0, 1_000_000.0)
    np.testing.assert_allclose(ours[:first_ex], ref[:first_ex], rtol=1e-9)
    raw = p.fields["close"] * factor
    held = res.positions.to_numpy()[first_ex - 1]
    dividend = raw[first_ex - 1, 0] * (1 - 1 / 1.02)  # the step of symbol 0 at first_ex
    change = (held * (raw[first_ex] - raw[first_ex - 1])).sum() + held[0] * dividend
    assert ours[first_ex] - ours[first_ex - 1] == pytest.approx(change, rel=1e-9)
    assert res.events["cash"].iloc[0] == pytest.approx(held[0] * dividend, rel=1e-12)


def test_simulate_many_equals_vectorbt_for_each_portfolio(panel):
    p = suspension_free(panel.select(symbols=SYMBOLS[:5]))
    ws = [random_monthly_weights(p, seed=s) for s in range(4)]
    many = simulate_many(p, ws, rules="frictionless", price="close", commission=0.001, summary_only=False)
    for c, w in enumerate(ws):
        ref = vbt_equity(p, w, "close", 0.001, 1_000_000.0)
        np.testing.assert_allclose(many.equity[c].to_numpy(), ref, rtol=1e-9, atol=0)
        assert many.summary.loc[c, "final_value"] == pytest.approx(ref[-1], rel=1e-12)
