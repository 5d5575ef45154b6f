"""Turn a :class:`~aibt.data.panel.Panel` and :class:`~aibt.universes.trading_rules.TradingRules` into
the :class:`~aibt.engine.nb.Market` arrays the kernels read.

Price model: the simulation trades *traded* prices as the exchange printed them (``panel.traded``:
the snapshot's raw prices on the tick; for a panel without them, ``adjusted x adj_factor`` rounded to
the tick), converted to CNY with ``panel.fx_to_cny``. Corporate actions come from the panel's event
table (``panel.event_arrays()``): cash dividends per share, bonus / transfer shares and splits, applied
to the holdings at the open of the ex-date by the kernels.

Price limits come from the previous traded close and the day's rule: ``upper = round(ref x (1 +
limit_pct), tick)``, ``lower = round(ref x (1 - limit_pct), tick)``, half up, with a tick of 0.01 CNY
(0.001 for ETFs); SSE Trading Rules (2023) art. 3.4.13 and SZSE Trading Rules (2023) art. 3.4.13:
涨跌幅价格 = 前收盘价 x (1 ± 涨跌幅限制比例), rounded to the tick. ``ref`` is the previous traded close
(the last one before a suspension), and on an ex-date the exchange's ex-rights reference price
(SSE Trading Rules ch. 4.3 / SZSE ch. 4.4, 除权（息）参考价 = (前收盘价 − 现金红利) ÷ (1 + 股份变动比例),
rights issues aside), on the tick, which is then the base of the day's limits. Nothing later than day
``t - 1`` enters the limit of day ``t``. The kernels compare prices with the limit at a tolerance of
1e-9 relative, far below a tick, so an open at the limit price always counts as at the limit.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from aibt.data.panel import Panel
from aibt.engine import nb
from aibt.engine.nb import Market
from aibt.errors import ConfigError, DataError
from aibt.universes.trading_rules import TradingRules

PRICE_CHOICES = ("open", "close", "vwap")


def ex_rights_close(close, tradable, cash, mult, tick):
    """``carried, ref`` [T, N] of :func:`ex_rights_close_nb` (allocated here, NaN-filled)."""
    carried = np.full(close.shape, np.nan)
    ref = np.full(close.shape, np.nan)
    ex_rights_close_nb(close, tradable, cash, mult, tick, carried, ref)
    return carried, ref


@njit(cache=True, _nrt=False)
def ex_rights_close_nb(close, tradable, cash, mult, tick, carried, ref):
    """The close each session is valued at and the base of the next session's limits: the traded
    close where the bar trades; on a day without a bar the previous one carried, and carried through
    an ex-date as the exchange's reference price ``round((prev - cash) / mult, tick)`` (a suspended
    stock goes ex too). Also returns ``ref`` [T, N], the limit base of each session (NaN on the first
    session and before the first bar). ``tick`` [N], NaN = no rounding."""
    t_len, n = close.shape
    for j in range(n):
        last = np.nan
        for t in range(t_len):
            if t > 0 and not np.isnan(last):
                r = last
                if cash[t, j] != 0.0 or mult[t, j] != 1.0:
                    r = (last - cash[t, j]) / mult[t, j]
                    if not np.isnan(tick[j]):
                        r = np.round(np.floor(r / tick[j] + 0.5 + 1e-9) * tick[j], 3)
                ref[t, j] = r
                last = r
            if tradable[t, j] and not np.isnan(close[t, j]):
                last = close[t, j]
            carried[t, j] = last


def _round_tick(x: np.ndarray, tick: np.ndarray) -> np.ndarray:
    """Round half up to the tick (per column); a NaN tick leaves the column as it is."""
    with np.errstate(invalid="ignore"):
        r = np.floor(x / tick + 0.5 + 1e-9) * tick
        # back to the nearest decimal of the tick, so 25.86 is the float 25.86 (not 25.860000000000003)
        r = np.round(r, 3)
    return np.where(np.isnan(tick), x, r)


def price_ticks(panel: Panel, rules: TradingRules | None) -> np.ndarray:
    """[1, N] price tick per symbol: 0.01 CNY for A-shares, 0.001 for ETFs, NaN (no rounding) for
    foreign listings and for a frictionless run without rules."""
    n = len(panel.symbols)
    if rules is None:
        return np.full((1, n), np.nan)
    cny = np.array([c == "CNY" for c in panel.currency])
    tick = np.where(np.asarray(rules.is_etf, dtype=bool), 0.001, 0.01)
    return np.where(cny, tick, np.nan)[None, :]


# Differential dividend tax on A-share dividends for individuals (rates of the dividend):
# Caishui [2012] No. 85 from 2013-01-01: <= 1 month 20%, <= 1 year 10%, longer 5%;
# Caishui [2015] No. 101 from 2015-09-08: <= 1 month 20%, <= 1 year 10%, longer 0.
# Before 2013: 10% flat (half of the dividend taxed at 20%). Holding period: from the buy date to the
# day before the sale (持股期限 ... 至转让交割该股票之日前一日的持有时间).
DIVIDEND_TAX_TABLE = (("1900-01-01", 0.10, 0.10, 0.10), ("2013-01-01", 0.20, 0.10, 0.05),
                      ("2015-09-08", 0.20, 0.10, 0.0))


def per_sessions(store: dict, dates, compute):
    """``compute(dates)`` remembered in ``store`` per list of sessions (by their int64 stamps; at most
    64 lists are kept): per-calendar facts cost milliseconds, as much as a small sweep, and repeated
    sweeps and walk-forward folds on one panel ask for the same ones."""
    key = np.asarray(dates.asi8).tobytes()
    if key not in store:
        if len(store) >= 64:
            store.clear()
        store[key] = compute(dates)
    return store[key]


_TAX_ARRAYS: dict[bytes, tuple[np.ndarray, ...]] = {}


def dividend_tax_arrays(dates) -> tuple[np.ndarray, ...]:
    """``day_ord, cut_1m, cut_1y`` (int64 day numbers) and ``tax_short, tax_mid, tax_long`` [T] for the
    sessions ``dates``: a lot bought on day ``b`` and sold at ``t`` was held up to a month when
    ``b >= cut_1m[t]`` (``cut_1m`` = the day before ``t``, minus one calendar month).

    Remembered per list of sessions (:func:`per_sessions`; pandas' calendar-month offsets cost about
    1 ms); the caller gets copies."""
    import pandas as pd

    return tuple(a.copy() for a in per_sessions(_TAX_ARRAYS, pd.DatetimeIndex(dates), _dividend_tax_arrays))


def _dividend_tax_arrays(d) -> tuple[np.ndarray, ...]:
    import pandas as pd

    day = d.values.astype("datetime64[D]").astype(np.int64)
    before = d - pd.Timedelta(days=1)
    cut_1m = (before - pd.DateOffset(months=1)).values.astype("datetime64[D]").astype(np.int64)
    cut_1y = (before - pd.DateOffset(years=1)).values.astype("datetime64[D]").astype(np.int64)
    rates = np.zeros((3, len(d)))
    for start, short, mid, long_ in DIVIDEND_TAX_TABLE:
        on = d >= pd.Timestamp(start)
        rates[0][on], rates[1][on], rates[2][on] = short, mid, long_
    return day, cut_1m, cut_1y, rates[0].copy(), rates[1].copy(), rates[2].copy()


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


def exec_prices_traded(panel: Panel, price: str, tick: np.ndarray) -> np.ndarray:
    """Traded fill prices [T, N] for ``price`` in ('open', 'close', 'vwap').

    'vwap' is ``amount / volume`` where both exist and it lies inside the bar's traded [low, high];
    otherwise the typical price ``(high + low + close) / 3`` of the traded bar (neither is on a tick).
    """
    if price not in PRICE_CHOICES:
        raise ConfigError(f"unknown fill price {price!r}; choose one of {PRICE_CHOICES}")
    if price in ("open", "close"):
        return np.asarray(panel.traded(price, tick), dtype=np.float64)
    f = panel.fields
    close = panel.traded("close", tick)
    high = panel.traded("high", tick) if "high" in f or "traded_high" in f else close
    low = panel.traded("low", tick) if "low" in f or "traded_low" in f else close
    typical = (high + low + close) / 3.0
    if "amount" in f and "volume" in f:
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap = f["amount"] / f["volume"]
        ok = np.isfinite(vwap) & (vwap >= low * (1 - 1e-6)) & (vwap <= high * (1 + 1e-6))
        return np.where(ok, vwap, typical)
    return typical


def build_market(panel: Panel, rules: TradingRules | None = None, price: str = "open", *,
                 volume_limit: float | None = None, dividend_tax: bool = True, hk_withholding: float = 0.2,
                 hk_pay_lag: int = 15) -> Market:
    """Market arrays for the kernels.

    Parameters
    ----------
    panel : Panel
    rules : TradingRules or None. None = frictionless: fractional shares, no limits, no taxes.
    price : 'open', 'close' or 'vwap', the fill price of orders.
    volume_limit : float in (0, 1], optional
        Most shares one order may fill, as a fraction of the session's volume (rqalpha's default
        is 0.25); the rest carries to the next session (reason ``volume_limit``).
    dividend_tax : bool
        Withhold the A-share differential dividend tax at sales (individual investor; not for ETFs).
    hk_withholding : float
        Tax withheld from dividends of foreign (HKD) listings at payment (20 % for mainland
        individuals through Stock Connect).
    hk_pay_lag : int
        Sessions from a foreign listing's ex-date to its pay date (A-shares pay on the ex-date).

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
    if volume_limit is not None and not (0.0 < float(volume_limit) <= 1.0):
        raise ConfigError(f"volume_limit must be a fraction in (0, 1], got {volume_limit!r}")
    if not (0.0 <= float(hk_withholding) < 1.0):
        raise ConfigError(f"hk_withholding must be a fraction in [0, 1), got {hk_withholding!r}")
    if int(hk_pay_lag) < 0:
        raise ConfigError(f"hk_pay_lag must be a number of sessions >= 0, got {hk_pay_lag!r}")
    t, n = panel.shape
    if rules is not None:
        check_rules(panel, rules)
    tradable = np.asarray(panel.tradable, dtype=bool)
    fx = np.asarray(panel.fx_to_cny, dtype=np.float64)
    if np.isnan(fx).any() or (fx <= 0).any():
        t0, j0 = np.argwhere(~(fx > 0))[0]
        raise DataError(f"FX to CNY for {panel.symbols[j0]} on {panel.dates[t0].date()} is {float(fx[t0, j0])}")
    tick = price_ticks(panel, rules)
    close_tr = np.ascontiguousarray(np.where(tradable, panel.traded("close", tick), np.nan))
    exec_tr = np.where(tradable, exec_prices_traded(panel, price, tick), np.nan)
    ev = panel.event_arrays()
    mult = np.ascontiguousarray((1.0 + ev["shares"]) * ev["split"])
    cash = np.ascontiguousarray(ev["cash"])
    on_event = (cash != 0.0) | (mult != 1.0)
    # the base of day t's limits: the previous traded close, ex-rights on an ex-date (local currency)
    close_ff, ref = ex_rights_close(close_tr, np.ascontiguousarray(tradable), cash, mult,
                                       np.ascontiguousarray(tick[0]))

    close_price = close_ff * fx
    exec_price = exec_tr * fx
    mark_price = np.where(tradable, exec_price, ref * fx)
    if volume_limit is None:
        vcap = np.full((t, n), np.inf)
    else:
        vol = panel.fields.get("volume")
        vcap = np.full((t, n), np.inf) if vol is None else np.where(
            np.isfinite(vol), np.floor(float(volume_limit) * np.nan_to_num(vol, nan=0.0) + 1e-9), np.inf)
    day, cut_1m, cut_1y, short, mid, long_ = dividend_tax_arrays(panel.dates)
    foreign = np.array([c != "CNY" for c in panel.currency])
    px = np.empty((nb.PX_SIZE, t, n), dtype=np.float64)
    px[nb.PX_EXEC], px[nb.PX_MARK], px[nb.PX_CLOSE] = exec_price, mark_price, close_price
    px[nb.PX_CASH_DIV], px[nb.PX_SHARE_MULT], px[nb.PX_REF], px[nb.PX_VOLCAP] = cash * fx, mult, ref * fx, vcap
    day_i = np.stack([day, cut_1m, cut_1y]).astype(np.int64)
    day_f = np.stack([on_event.any(axis=1).astype(np.float64), short, mid, long_])
    sym = np.zeros((nb.SYM_SIZE, n), dtype=np.float64)
    if rules is None:
        px[nb.PX_UPPER] = px[nb.PX_LOWER] = np.nan
        px[nb.PX_STAMP_BUY:nb.PX_OTHER + 1] = 0.0
    else:
        pct = np.asarray(rules.limit_pct, dtype=np.float64)
        tk = np.broadcast_to(tick, (t, n))
        px[nb.PX_UPPER] = _round_tick(ref * (1.0 + pct), tk) * fx
        px[nb.PX_LOWER] = _round_tick(ref * (1.0 - pct), tk) * fx
        px[nb.PX_STAMP_BUY], px[nb.PX_STAMP_SELL] = rules.stamp_duty_buy, rules.stamp_duty_sell
        px[nb.PX_TRANSFER], px[nb.PX_OTHER] = rules.transfer_fee, rules.exchange_fee
        is_etf = np.asarray(rules.is_etf, dtype=bool)
        sym[nb.SYM_LOT_MIN], sym[nb.SYM_LOT_STEP] = rules.lot_min, rules.lot_step
        sym[nb.SYM_TAXABLE] = ((~is_etf) & (~foreign) & bool(dividend_tax)).astype(np.float64)
        sym[nb.SYM_WITHHOLD] = np.where(foreign, float(hk_withholding), 0.0)
        sym[nb.SYM_PAY_LAG] = np.where(foreign, int(hk_pay_lag), 0)
    return Market(px, np.ascontiguousarray(tradable), day_i, np.ascontiguousarray(day_f), sym)
