"""Turn a :class:`~aibt.data.panel.Panel` and :class:`~aibt.universes.trading_rules.TradingRules` into
the :class:`~aibt.engine.nb.Market` arrays the kernels read.

Price model (chosen and tested): the simulation trades *traded* prices, ``adjusted x adj_factor``
(lots and limit prices are defined on them), converted to CNY with ``panel.fx_to_cny``. On an ex-date
(``adj_factor`` changes) the shares held are multiplied by ``adj_factor[t-1] / adj_factor[t]``, so a
position's value follows the adjusted (total-return) price exactly: cash dividends are treated as
reinvested in the same security on the ex-date. Where ``adj_factor`` is unknown (NaN) the last known
factor is used (1.0 before the first).

Price limits come from the previous close and the day's rule: the reference price is the previous
adjusted close expressed in today's traded terms (``close_adj[t-1] x adj_factor[t]``, the exchange's
ex-rights reference price), ``upper = round(ref x (1 + limit_pct), tick)``, ``lower = round(ref x (1 -
limit_pct), tick)`` with a tick of 0.01 CNY (0.001 for ETFs). Nothing later than day ``t - 1`` enters
the limit of day ``t``.
"""
from __future__ import annotations

import numpy as np

from aibt.data.panel import Panel
from aibt.engine.nb import Market
from aibt.errors import ConfigError, DataError
from aibt.universes.trading_rules import TradingRules

PRICE_CHOICES = ("open", "close", "vwap")


def _ffill(a: np.ndarray) -> np.ndarray:
    """Forward-fill NaN along axis 0 (leading NaN stay NaN)."""
    t = a.shape[0]
    idx = np.where(np.isnan(a), 0, np.arange(t)[:, None])
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = a[idx, np.arange(a.shape[1])[None, :]]
    return out


def _round_tick(x: np.ndarray, tick: np.ndarray) -> np.ndarray:
    """Round half up to the tick (per column)."""
    with np.errstate(invalid="ignore"):
        return np.floor(x / tick + 0.5 + 1e-9) * tick


def check_prices(panel: Panel, price: str) -> None:
    """Raise :class:`DataError` for a non-positive price, or a missing price on a tradable bar."""
    fields = ["close"] + ([price] if price in ("open",) else [])
    if price == "vwap":
        fields += [f for f in ("high", "low") if f in panel.fields]
    for f in fields:
        if f not in panel.fields:
            raise DataError(f"panel has no {f!r} prices, needed for fills at {price!r}")
        a = panel.fields[f]
        bad = np.argwhere(panel.tradable & ~(a > 0))
        if bad.size:
            t, j = bad[0]
            raise DataError(
                f"{f} price of {panel.symbols[j]} on {panel.dates[t].date()} is {float(a[t, j])}: "
                "prices on tradable bars must be positive numbers")
        neg = np.argwhere(a <= 0)
        if neg.size:
            t, j = neg[0]
            raise DataError(f"{f} price of {panel.symbols[j]} on {panel.dates[t].date()} is {float(a[t, j])} "
                            "(negative or zero)")


def check_rules(panel: Panel, rules: TradingRules) -> None:
    """Raise if the rules' axes differ from the panel's (naming the first mismatch)."""
    rd = rules.dates
    if len(rd) != len(panel.dates) or not (rd.values == panel.dates.values).all():
        bad = next((i for i in range(min(len(rd), len(panel.dates))) if rd[i] != panel.dates[i]),
                   min(len(rd), len(panel.dates)))
        got = rd[bad].date() if bad < len(rd) else "end"
        want = panel.dates[bad].date() if bad < len(panel.dates) else "end"
        raise DataError(f"rules dates do not match panel dates at position {bad}: rules {got}, panel {want} "
                        "(compile the rules for the panel's dates)")
    if tuple(rules.symbols) != tuple(panel.symbols):
        bad = next((s for s, p in zip(rules.symbols, panel.symbols) if s != p), None)
        raise DataError(f"rules symbols do not match panel symbols (first difference: {bad!r}; "
                        f"{len(rules.symbols)} vs {len(panel.symbols)} symbols)")
    t, n = panel.shape
    for name in ("limit_pct", "stamp_duty_buy", "stamp_duty_sell", "transfer_fee", "exchange_fee"):
        if np.shape(getattr(rules, name)) != (t, n):
            raise DataError(f"rules.{name} has shape {np.shape(getattr(rules, name))}, expected {(t, n)}")
    for name in ("lot_min", "lot_step", "is_etf"):
        if np.shape(getattr(rules, name)) != (n,):
            raise DataError(f"rules.{name} has shape {np.shape(getattr(rules, name))}, expected {(n,)}")


def exec_prices_adjusted(panel: Panel, price: str) -> np.ndarray:
    """Adjusted fill prices [T, N] for ``price`` in ('open', 'close', 'vwap').

    'vwap' is ``amount / volume`` (a traded price, divided back by ``adj_factor``) where both exist
    and it lies inside the bar's [low, high]; otherwise the typical price ``(high + low + close) / 3``.
    """
    if price not in PRICE_CHOICES:
        raise ConfigError(f"unknown fill price {price!r}; choose one of {PRICE_CHOICES}")
    f = panel.fields
    if price in ("open", "close"):
        return np.asarray(f[price], dtype=np.float64)
    close = f["close"]
    high = f.get("high", close)
    low = f.get("low", close)
    typical = (high + low + close) / 3.0
    if "amount" in f and "volume" in f:
        adj = f["adj_factor"]
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap = f["amount"] / f["volume"] / np.where(np.isnan(adj), 1.0, adj)
        ok = np.isfinite(vwap) & (vwap >= low * (1 - 1e-6)) & (vwap <= high * (1 + 1e-6))
        return np.where(ok, vwap, typical)
    return typical


def build_market(panel: Panel, rules: TradingRules | None = None, price: str = "open") -> Market:
    """Market arrays for the kernels.

    Parameters
    ----------
    panel : Panel
    rules : TradingRules or None. None = frictionless: fractional shares, no limits, no taxes.
    price : 'open', 'close' or 'vwap', the fill price of orders.

    Returns
    -------
    Market

    Raises
    ------
    DataError
        Bad prices (:func:`check_prices`), a panel without an ``adj_factor`` field, bad FX rates, or
        rules whose axes differ from the panel's.
    """
    check_prices(panel, price)
    if "adj_factor" not in panel.fields:
        raise DataError(f"panel has no 'adj_factor' field (it has {', '.join(sorted(panel.fields))}); the engine "
                        "needs it to turn adjusted prices into traded ones: add it, 1.0 where unknown "
                        "(Panel.from_long does this when the column is absent)")
    t, n = panel.shape
    tradable = np.asarray(panel.tradable, dtype=bool)
    fx = np.asarray(panel.fx_to_cny, dtype=np.float64)
    if np.isnan(fx).any() or (fx <= 0).any():
        t0, j0 = np.argwhere(~(fx > 0))[0]
        raise DataError(f"FX to CNY for {panel.symbols[j0]} on {panel.dates[t0].date()} is {float(fx[t0, j0])}")
    factor = _ffill(np.asarray(panel.fields["adj_factor"], dtype=np.float64))
    factor = np.where(np.isnan(factor), 1.0, factor)
    close_adj = np.where(tradable, panel.fields["close"], np.nan)
    close_ff = _ffill(close_adj)
    exec_adj = np.where(tradable, exec_prices_adjusted(panel, price), np.nan)

    close_price = close_ff * factor * fx
    exec_price = exec_adj * factor * fx
    prev_close_today_terms = np.full((t, n), np.nan)
    prev_close_today_terms[1:] = close_ff[:-1] * factor[1:]  # local currency, ex-rights reference
    mark_price = np.where(tradable, exec_price, prev_close_today_terms * fx)
    share_ratio = np.ones((t, n))
    share_ratio[1:] = factor[:-1] / factor[1:]

    if rules is None:
        z = np.zeros((t, n))
        nan = np.full((t, n), np.nan)
        return Market(exec_price, mark_price, close_price, nan, nan.copy(), tradable, share_ratio,
                      np.zeros(n), np.zeros(n), z, z.copy(), z.copy(), z.copy())

    check_rules(panel, rules)
    tick = np.where(np.asarray(rules.is_etf, dtype=bool), 0.001, 0.01)[None, :]
    pct = np.asarray(rules.limit_pct, dtype=np.float64)
    upper = _round_tick(prev_close_today_terms * (1.0 + pct), tick) * fx
    lower = _round_tick(prev_close_today_terms * (1.0 - pct), tick) * fx
    as_f = lambda a: np.ascontiguousarray(np.asarray(a, dtype=np.float64))  # noqa: E731
    return Market(exec_price, mark_price, close_price, upper, lower, tradable, share_ratio,
                  as_f(rules.lot_min), as_f(rules.lot_step), as_f(rules.stamp_duty_buy),
                  as_f(rules.stamp_duty_sell), as_f(rules.transfer_fee), as_f(rules.exchange_fee))
