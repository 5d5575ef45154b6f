"""Numba kernels of the portfolio simulation: arrays in, arrays out, no pandas.

The simulation is built from small day-step blocks so that other kernels (a strategy sweep that
computes target weights on the fly inside its own ``prange`` loop) can reuse them without ever
materialising a ``[C, T, N]`` weights array:

====================================  ==========================================================
``new_state_nb(n, init_cash)``        fresh portfolio state: ``acct, shares, bought_today,
                                      pending, scratch``
``start_day_nb``                      corporate-action share adjustment, T+1 reset, fee accrual
``order_shares_nb``                   one order: suspension, price limits, T+1, lots, costs,
                                      cash check, fill record
``rebalance_to_targets_nb``           one rebalance to target weights: value at the fill prices,
                                      orders sorted by value (sells first), shared cash
``execute_pending_nb``                retry orders carried from an earlier day
``portfolio_value_nb``                cash + shares x price row
``drift_nb``                          largest absolute gap between held and target weights
``day_step_nb``                       one whole session (the four steps above, then close value)
``summary_init_nb`` /                 online per-portfolio metrics (O(1) memory per portfolio)
``summary_update_nb``
``simulate_nb``                       driver over days for one portfolio, full per-day output
``simulate_many_nb``                  ``prange`` over portfolios, optional summary-only mode
====================================  ==========================================================

Conventions
-----------
* All money is CNY. Prices in the :class:`Market` tuple are *traded* (unadjusted) prices already
  converted with the FX series; share counts are real shares. At an ex-date the wrapper's
  ``share_ratio`` (``adj_factor[t-1] / adj_factor[t]``) multiplies the shares held, so the value of a
  position follows the adjusted (total-return) price: dividends are reinvested in the same security
  on the ex-date (fractional shares may result; they can always be sold).
* Target weights decided on day ``t`` (row ``t``) are filled on day ``t + 1`` at ``exec_price[t+1]``;
  no block reads a row later than the session it simulates.
* ``lot_min[j] <= 0`` means fractional shares (frictionless mode).
* ``acct`` is a float64 vector with the slots ``ACCT_*`` below (cash and cumulative costs).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

# ----------------------------------------------------------------------------- record layout
FILL_DTYPE = np.dtype(
    [
        ("portfolio", np.int64),
        ("date", np.int64),
        ("symbol", np.int64),
        ("side", np.int64),  # +1 buy, -1 sell
        ("requested", np.float64),  # shares asked for (positive)
        ("filled", np.float64),  # shares filled (0 if refused)
        ("price", np.float64),  # fill price incl. slippage, CNY
        ("commission", np.float64),
        ("stamp", np.float64),
        ("transfer", np.float64),
        ("other", np.float64),
        ("slippage", np.float64),
        ("reason", np.int64),  # REASON_* code: why the order was cut or refused (0 = filled in full)
    ],
    align=True,
)

REASON_NONE = 0
REASON_LOT_ROUNDING = 1
REASON_LIMIT_UP = 2
REASON_LIMIT_DOWN = 3
REASON_SUSPENDED = 4
REASON_INSUFFICIENT_CASH = 5
REASON_T_PLUS_1 = 6
REASON_ODD_LOT_BUY = 7
REASON_NO_PRICE = 8

# ----------------------------------------------------------------------------- account slots
ACCT_CASH = 0
ACCT_COMMISSION = 1
ACCT_STAMP = 2
ACCT_TRANSFER = 3
ACCT_OTHER = 4
ACCT_SLIPPAGE = 5
ACCT_BUY_VALUE = 6
ACCT_SELL_VALUE = 7
ACCT_FEES_ACCRUED = 8
ACCT_N_FILLED = 9
ACCT_N_REFUSED = 10
ACCT_SIZE = 11

# ----------------------------------------------------------------------------- summary slots
SUM_INIT_VALUE = 0
SUM_FINAL_VALUE = 1
SUM_PEAK = 2
SUM_MAX_DRAWDOWN = 3  # most negative (value / running peak - 1)
SUM_N_RETURNS = 4
SUM_RET_MEAN = 5
SUM_RET_M2 = 6  # Welford sum of squared deviations of daily simple returns
SUM_TURNOVER = 7  # sum over days of traded value / (2 x previous close value)
SUM_COMMISSION = 8
SUM_STAMP = 9
SUM_TRANSFER = 10
SUM_OTHER = 11
SUM_SLIPPAGE = 12
SUM_FEES_ACCRUED = 13
SUM_N_FILLED = 14
SUM_N_REFUSED = 15
SUM_SIZE = 16

# Carry-able refusals: market conditions that may clear on a later day.
_EPS = 1e-9

Market = namedtuple(
    "Market",
    [
        "exec_price",  # [T, N] fill price (CNY, traded), NaN when not tradable
        "mark_price",  # [T, N] valuation price at fill time: exec price, else last close (CNY)
        "close_price",  # [T, N] end-of-day valuation price, forward-filled (CNY)
        "upper",  # [T, N] upper limit price (CNY), NaN = no limit
        "lower",  # [T, N] lower limit price (CNY), NaN = no limit
        "tradable",  # [T, N] bool
        "share_ratio",  # [T, N] shares multiplier at the open of t (corporate actions)
        "lot_min",  # [N] minimum buy in shares, <= 0 = fractional
        "lot_step",  # [N] increment above the minimum
        "stamp_buy",  # [T, N] rates
        "stamp_sell",
        "transfer",
        "other",
    ],
)
Market.__doc__ = "Market arrays the kernels read (built by :func:`aibt.engine.market.build_market`)."

CostParams = namedtuple("CostParams", ["commission_rate", "commission_min", "slippage"])
CostParams.__doc__ = "Broker costs: commission rate, minimum commission per order (CNY), slippage fraction."


# ============================================================================= small helpers
@njit(cache=True)
def round_lots_nb(q: float, lot_min: float, lot_step: float) -> float:
    """Round a share quantity down to a tradable size.

    ``lot_min <= 0`` returns ``q`` unchanged (fractional shares). Otherwise quantities below the
    minimum become 0 and larger ones ``lot_min + floor((q - lot_min) / lot_step) * lot_step``:
    STAR (200, 1): 250 -> 250; Main board (100, 100): 250 -> 200.
    """
    if lot_min <= 0.0:
        return q
    if q + _EPS < lot_min:
        return 0.0
    step = lot_step if lot_step > 0.0 else lot_min
    return lot_min + np.floor((q - lot_min) / step + _EPS) * step


@njit(cache=True)
def new_state_nb(n: int, init_cash: float):
    """Fresh state of one portfolio holding only cash.

    Returns
    -------
    acct : float64 [ACCT_SIZE], cash and cumulative costs/counters.
    shares : float64 [N], shares held.
    bought_today : float64 [N], shares bought in the current session (T+1 lock).
    pending : float64 [N], signed shares of orders carried to the next session.
    scratch : float64 [3, N], work space of :func:`rebalance_to_targets_nb` (value changes, share
        changes, order of execution).
    """
    acct = np.zeros(ACCT_SIZE, dtype=np.float64)
    acct[ACCT_CASH] = init_cash
    return (
        acct,
        np.zeros(n, dtype=np.float64),
        np.zeros(n, dtype=np.float64),
        np.zeros(n, dtype=np.float64),
        np.zeros((3, n), dtype=np.float64),
    )


@njit(cache=True)
def portfolio_value_nb(cash: float, shares: np.ndarray, price_row: np.ndarray) -> float:
    """``cash + sum(shares * price)`` over held positions (a NaN price of a held position counts 0)."""
    v = cash
    for j in range(shares.shape[0]):
        if shares[j] != 0.0:
            p = price_row[j]
            if not np.isnan(p):
                v += shares[j] * p
    return v


@njit(cache=True)
def drift_nb(cash: float, shares: np.ndarray, price_row: np.ndarray, target_row: np.ndarray) -> float:
    """Largest ``|held weight - target weight|`` at the given prices (0 for an empty portfolio)."""
    v = portfolio_value_nb(cash, shares, price_row)
    if not v > 0.0:
        return 0.0
    worst = 0.0
    for j in range(shares.shape[0]):
        w = 0.0
        if shares[j] != 0.0 and not np.isnan(price_row[j]):
            w = shares[j] * price_row[j] / v
        tw = target_row[j]
        if np.isnan(tw):
            tw = 0.0
        d = abs(w - tw)
        if d > worst:
            worst = d
    return worst


@njit(cache=True)
def _record_nb(fills, fill_count, pid, t, j, side, requested, filled, price, comm, stamp, transfer,
               other, slip, reason):
    k = fill_count[0]
    if k < fills.shape[0]:
        r = fills[k]
        r["portfolio"] = pid
        r["date"] = t
        r["symbol"] = j
        r["side"] = side
        r["requested"] = requested
        r["filled"] = filled
        r["price"] = price
        r["commission"] = comm
        r["stamp"] = stamp
        r["transfer"] = transfer
        r["other"] = other
        r["slippage"] = slip
        r["reason"] = reason
    if fills.shape[0] > 0:
        fill_count[0] = k + 1


# ============================================================================= one order
@njit(cache=True, inline="always")
def order_shares_nb(t, j, q, mkt, cost, acct, shares, bought_today, fills, fill_count, pid):
    """Execute one order of ``q`` shares (``> 0`` buy, ``< 0`` sell) of symbol ``j`` on day ``t``.

    Checks in this order: tradable bar (else ``suspended``), price limit (a buy at or above the
    upper limit -> ``limit_up``, a sell at or below the lower -> ``limit_down``), for sells the
    T+1 lock (``t_plus_1``) and odd lots (selling the whole sellable position may include an odd
    lot; a partial sell is rounded to lots), for buys lot rounding (``lot_rounding``, or
    ``odd_lot_buy`` below one lot) and cash (``insufficient_cash``: the size is cut to what cash
    covers including costs, then rounded down to lots).

    Costs: commission ``max(commission_min, rate x value)`` per order, stamp duty (buy/sell rate of
    the day), transfer fee and other exchange fees (rates of value); slippage moves the fill price
    against the trader and is reported as its own cost kind.

    The order is recorded in ``fills`` (if it has room) whether filled, cut or refused.

    Returns
    -------
    filled : float, signed shares filled.
    reason : int, REASON_* code (0 = filled in full).
    """
    if q == 0.0 or np.isnan(q):
        return 0.0, REASON_NONE
    side = 1 if q > 0.0 else -1
    req = abs(q)
    p0 = mkt.exec_price[t, j]
    if not mkt.tradable[t, j] or np.isnan(p0):
        acct[ACCT_N_REFUSED] += 1.0
        _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                   REASON_SUSPENDED)
        return 0.0, REASON_SUSPENDED
    lot_min = mkt.lot_min[j]
    lot_step = mkt.lot_step[j]
    crate = cost.commission_rate
    cmin = cost.commission_min
    reason = REASON_NONE
    cash = acct[ACCT_CASH]
    if side > 0:
        up = mkt.upper[t, j]
        if not np.isnan(up) and p0 >= up * (1.0 - _EPS):
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       REASON_LIMIT_UP)
            return 0.0, REASON_LIMIT_UP
        qty = round_lots_nb(req, lot_min, lot_step)
        if qty == 0.0:
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       REASON_ODD_LOT_BUY)
            return 0.0, REASON_ODD_LOT_BUY
        if qty < req * (1.0 - 1e-12):
            reason = REASON_LOT_ROUNDING
        p = p0 * (1.0 + cost.slippage)
        rates = mkt.stamp_buy[t, j] + mkt.transfer[t, j] + mkt.other[t, j]
        value = qty * p
        comm = max(cmin, value * crate)
        total = value * (1.0 + rates) + comm
        cut_to_cash = False
        if total > cash:
            # largest size whose total cost fits: both the minimum-commission and the
            # proportional-commission branch must fit
            qmax = min((cash - cmin) / (p * (1.0 + rates)), cash / (p * (1.0 + rates + crate)))
            if qmax < 0.0:
                qmax = 0.0
            qty = round_lots_nb(qmax, lot_min, lot_step)
            reason = REASON_INSUFFICIENT_CASH
            cut_to_cash = lot_min <= 0.0
            if qty <= 0.0:
                acct[ACCT_N_REFUSED] += 1.0
                _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0,
                           0.0, REASON_INSUFFICIENT_CASH)
                return 0.0, REASON_INSUFFICIENT_CASH
            value = qty * p
            comm = max(cmin, value * crate)
            total = value * (1.0 + rates) + comm
        stamp = value * mkt.stamp_buy[t, j]
        transfer = value * mkt.transfer[t, j]
        other = value * mkt.other[t, j]
        if cut_to_cash:
            new_cash = 0.0  # fractional cut spends exactly the cash (as vectorbt does)
        else:
            new_cash = cash - total
            if new_cash < 0.0:  # rounding residue only
                new_cash = 0.0
        acct[ACCT_CASH] = new_cash
        shares[j] += qty
        bought_today[j] += qty
        filled = qty
    else:
        lo = mkt.lower[t, j]
        if not np.isnan(lo) and p0 <= lo * (1.0 + _EPS):
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       REASON_LIMIT_DOWN)
            return 0.0, REASON_LIMIT_DOWN
        held = shares[j]
        sellable = held - bought_today[j]
        if sellable < 0.0:
            sellable = 0.0
        qty = req
        if qty > held:
            qty = held
        if qty > sellable:
            qty = sellable
            reason = REASON_T_PLUS_1
        if qty >= sellable * (1.0 - 1e-12) and sellable > 0.0:
            qty = sellable  # whole sellable position, odd lot included
        else:
            r = round_lots_nb(qty, lot_min, lot_step)
            if r < qty * (1.0 - 1e-12):
                reason = REASON_LOT_ROUNDING
            qty = r
        if qty <= 0.0:
            if held <= 0.0 and bought_today[j] <= 0.0:
                return 0.0, REASON_NONE  # nothing held: not an order
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       reason)
            return 0.0, reason
        p = p0 * (1.0 - cost.slippage)
        value = qty * p
        comm = max(cmin, value * crate)
        stamp = value * mkt.stamp_sell[t, j]
        transfer = value * mkt.transfer[t, j]
        other = value * mkt.other[t, j]
        net = value - comm - stamp - transfer - other
        if cash + net < 0.0:
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       REASON_INSUFFICIENT_CASH)
            return 0.0, REASON_INSUFFICIENT_CASH
        acct[ACCT_CASH] = cash + net
        if qty >= held:
            shares[j] = 0.0
        else:
            shares[j] = held - qty
        filled = -qty
    slip = abs(filled) * p0 * cost.slippage
    acct[ACCT_COMMISSION] += comm
    acct[ACCT_STAMP] += stamp
    acct[ACCT_TRANSFER] += transfer
    acct[ACCT_OTHER] += other
    acct[ACCT_SLIPPAGE] += slip
    if side > 0:
        acct[ACCT_BUY_VALUE] += value
    else:
        acct[ACCT_SELL_VALUE] += value
    acct[ACCT_N_FILLED] += 1.0
    _record_nb(fills, fill_count, pid, t, j, side, req, abs(filled), p, comm, stamp, transfer, other,
               slip, reason)
    return filled, reason


@njit(cache=True)
def is_carryable_nb(reason: int) -> bool:
    """True for refusals caused by the market on that day (suspension, limits, T+1)."""
    return (reason == REASON_SUSPENDED or reason == REASON_LIMIT_UP or reason == REASON_LIMIT_DOWN
            or reason == REASON_T_PLUS_1)


# ============================================================================= one rebalance
@njit(cache=True, inline="always")
def rebalance_to_targets_nb(t, target_row, mkt, cost, acct, shares, bought_today, pending, carry,
                            scratch, fills, fill_count, pid):
    """Trade to ``target_row`` weights on day ``t`` with shared cash, sells before buys.

    The portfolio is valued at ``mark_price[t]`` (the fill price where the bar trades, the last
    close elsewhere); symbol ``j`` is asked for ``w_j x value / exec_price - shares_j`` shares (for a
    suspended symbol the order is refused and, with ``carry``, kept for later). Orders run in
    ascending order of their value change (a stable sort), so the largest sells come first and the
    largest buy last: the same call sequence as vectorbt's ``call_seq='auto'``.

    Any earlier pending order is replaced by the new ones. Refusals caused by the market (see
    :func:`is_carryable_nb`) leave the unfilled shares in ``pending`` when ``carry`` is True.
    """
    n = shares.shape[0]
    delta_value = scratch[0]
    dq = scratch[1]
    value = portfolio_value_nb(acct[ACCT_CASH], shares, mkt.mark_price[t])
    for j in range(n):
        pending[j] = 0.0
        w = target_row[j]
        if np.isnan(w):
            w = 0.0
        ref = mkt.exec_price[t, j]
        if np.isnan(ref):
            ref = mkt.mark_price[t, j]
        if np.isnan(ref):
            # never priced yet: nothing held, nothing can be bought
            delta_value[j] = 0.0
            dq[j] = 0.0
            if w > 0.0:
                acct[ACCT_N_REFUSED] += 1.0
                _record_nb(fills, fill_count, pid, t, j, 1, np.nan, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0,
                           0.0, REASON_NO_PRICE)
            continue
        cur = shares[j] * ref
        tgt = w * value
        delta_value[j] = tgt - cur
        if w == 0.0:
            dq[j] = -shares[j]
        else:
            dq[j] = tgt / ref - shares[j]
    # stable insertion sort of the symbols by value change, in the preallocated scratch row (no
    # allocation per rebalance; N is small, and already-sorted rows cost N comparisons)
    order = scratch[2]
    for k in range(n):
        key = delta_value[k]
        i = k - 1
        while i >= 0 and delta_value[int(order[i])] > key:
            order[i + 1] = order[i]
            i -= 1
        order[i + 1] = k
    for k in range(n):
        j = int(order[k])
        q = dq[j]
        if q == 0.0:
            continue
        filled, reason = order_shares_nb(t, j, q, mkt, cost, acct, shares, bought_today, fills,
                                         fill_count, pid)
        if carry and is_carryable_nb(reason):
            pending[j] = q - filled


@njit(cache=True)
def execute_pending_nb(t, mkt, cost, acct, shares, bought_today, pending, carry, fills, fill_count,
                       pid):
    """Retry carried orders on day ``t``: all sells, then all buys. Market refusals stay pending
    (when ``carry``); anything else (filled, cut for cash or lots) clears the pending order."""
    n = shares.shape[0]
    for phase in range(2):
        for j in range(n):
            q = pending[j]
            if q == 0.0 or (phase == 0 and q > 0.0) or (phase == 1 and q < 0.0):
                continue
            filled, reason = order_shares_nb(t, j, q, mkt, cost, acct, shares, bought_today, fills,
                                             fill_count, pid)
            if carry and is_carryable_nb(reason):
                pending[j] = q - filled
            else:
                pending[j] = 0.0


@njit(cache=True, inline="always")
def start_day_nb(t, mkt, acct, shares, bought_today, pending, accrual_rate, prev_value):
    """Open session ``t``: apply the share ratio of corporate actions to holdings and pending
    orders, clear the T+1 lock, and deduct ``accrual_rate x prev_value`` of fund fees from cash.

    ``accrual_rate`` is the fraction of the previous close value charged for the calendar days since
    the previous session (ETF mode; 0 otherwise). Returns the fee charged.
    """
    n = shares.shape[0]
    for j in range(n):
        r = mkt.share_ratio[t, j]
        if r != 1.0 and not np.isnan(r):
            shares[j] *= r
            pending[j] *= r
        bought_today[j] = 0.0
    fee = 0.0
    if accrual_rate > 0.0 and prev_value > 0.0:
        fee = accrual_rate * prev_value
        acct[ACCT_CASH] -= fee
        acct[ACCT_FEES_ACCRUED] += fee
    return fee


@njit(cache=True, inline="always")
def day_step_nb(t, rebalance, target_row, mkt, cost, carry, accrual_rate, prev_value, acct, shares,
                bought_today, pending, scratch, fills, fill_count, pid):
    """Simulate session ``t`` and return the close value.

    ``rebalance`` says whether a rebalance decided at the previous close fills today, to
    ``target_row`` (the target decided on day ``t - 1``). Otherwise carried orders are retried.
    """
    start_day_nb(t, mkt, acct, shares, bought_today, pending, accrual_rate, prev_value)
    if rebalance:
        rebalance_to_targets_nb(t, target_row, mkt, cost, acct, shares, bought_today, pending, carry,
                                scratch, fills, fill_count, pid)
    else:
        has_pending = False
        for j in range(shares.shape[0]):
            if pending[j] != 0.0:
                has_pending = True
                break
        if has_pending:
            execute_pending_nb(t, mkt, cost, acct, shares, bought_today, pending, carry, fills,
                               fill_count, pid)
    return portfolio_value_nb(acct[ACCT_CASH], shares, mkt.close_price[t])


@njit(cache=True)
def decide_nb(t, scheduled, drift_band, acct, shares, mkt, target_row) -> bool:
    """Rebalance decision at the close of ``t``: on schedule, or when drift exceeds the band
    (``drift_band`` NaN or <= 0 disables the band)."""
    if scheduled:
        return True
    if drift_band > 0.0:
        return drift_nb(acct[ACCT_CASH], shares, mkt.close_price[t], target_row) > drift_band
    return False


# ============================================================================= online summary
@njit(cache=True)
def summary_init_nb(out, init_value):
    """Reset a summary row (``out`` float64 [SUM_SIZE]) for a portfolio starting at ``init_value``."""
    out[:] = 0.0
    out[SUM_INIT_VALUE] = init_value
    out[SUM_FINAL_VALUE] = init_value
    out[SUM_PEAK] = init_value


@njit(cache=True)
def summary_update_nb(out, prev_value, value, traded_value):
    """Fold one session into the summary row: drawdown, Welford moments of the daily return and
    turnover ``traded_value / (2 x prev_value)``."""
    out[SUM_FINAL_VALUE] = value
    if value > out[SUM_PEAK]:
        out[SUM_PEAK] = value
    if out[SUM_PEAK] > 0.0:
        dd = value / out[SUM_PEAK] - 1.0
        if dd < out[SUM_MAX_DRAWDOWN]:
            out[SUM_MAX_DRAWDOWN] = dd
    if prev_value > 0.0:
        r = value / prev_value - 1.0
        n = out[SUM_N_RETURNS] + 1.0
        d = r - out[SUM_RET_MEAN]
        out[SUM_RET_MEAN] += d / n
        out[SUM_RET_M2] += d * (r - out[SUM_RET_MEAN])
        out[SUM_N_RETURNS] = n
        out[SUM_TURNOVER] += traded_value / (2.0 * prev_value)


@njit(cache=True)
def summary_finish_nb(out, acct):
    """Copy the cumulative costs and counters of ``acct`` into the summary row."""
    out[SUM_COMMISSION] = acct[ACCT_COMMISSION]
    out[SUM_STAMP] = acct[ACCT_STAMP]
    out[SUM_TRANSFER] = acct[ACCT_TRANSFER]
    out[SUM_OTHER] = acct[ACCT_OTHER]
    out[SUM_SLIPPAGE] = acct[ACCT_SLIPPAGE]
    out[SUM_FEES_ACCRUED] = acct[ACCT_FEES_ACCRUED]
    out[SUM_N_FILLED] = acct[ACCT_N_FILLED]
    out[SUM_N_REFUSED] = acct[ACCT_N_REFUSED]


# ============================================================================= drivers
@njit(cache=True)
def simulate_nb(weights, scheduled, drift_band, mkt, cost, init_cash, accrual, carry, max_fills):
    """Simulate one portfolio over all sessions with full per-day output.

    Parameters
    ----------
    weights : float64 [T, N], target weights decided at the close of each day (forward-filled).
    scheduled : bool [T], scheduled decision days.
    drift_band : float, rebalance also when the largest weight gap exceeds it (<= 0 or NaN: off).
    mkt : Market. cost : CostParams.
    init_cash : float, CNY.
    accrual : float64 [T], fund fee fraction charged at the open of each day (zeros: none).
    carry : bool, keep market-refused orders for the next session.
    max_fills : int, capacity of the fill records.

    Returns
    -------
    equity, cash : float64 [T] at each close.
    shares : float64 [T, N] at each close.
    costs : float64 [T, 6] per day: commission, stamp, transfer, other, slippage, accrued fees.
    traded : float64 [T, 2] buy and sell value per day.
    decided : bool [T] rebalance decisions.
    fills : FILL_DTYPE records. n_fills : int (may exceed ``max_fills``: then records were lost).
    summary : float64 [SUM_SIZE].
    """
    t_len, n = weights.shape
    acct, shares, bought, pending, scratch = new_state_nb(n, init_cash)
    equity = np.empty(t_len, dtype=np.float64)
    cash = np.empty(t_len, dtype=np.float64)
    shares_out = np.empty((t_len, n), dtype=np.float64)
    costs = np.zeros((t_len, 6), dtype=np.float64)
    traded = np.zeros((t_len, 2), dtype=np.float64)
    decided = np.zeros(t_len, dtype=np.bool_)
    fills = np.empty(max_fills, dtype=FILL_DTYPE)
    fill_count = np.zeros(1, dtype=np.int64)
    summary = np.empty(SUM_SIZE, dtype=np.float64)
    summary_init_nb(summary, init_cash)
    prev_value = init_cash
    prev_acct = acct.copy()
    for t in range(t_len):
        reb = t > 0 and decided[t - 1]
        row = weights[t - 1] if t > 0 else weights[0]
        value = day_step_nb(t, reb, row, mkt, cost, carry, accrual[t], prev_value, acct, shares,
                            bought, pending, scratch, fills, fill_count, 0)
        equity[t] = value
        cash[t] = acct[ACCT_CASH]
        shares_out[t] = shares
        for k in range(5):
            costs[t, k] = acct[ACCT_COMMISSION + k] - prev_acct[ACCT_COMMISSION + k]
        costs[t, 5] = acct[ACCT_FEES_ACCRUED] - prev_acct[ACCT_FEES_ACCRUED]
        traded[t, 0] = acct[ACCT_BUY_VALUE] - prev_acct[ACCT_BUY_VALUE]
        traded[t, 1] = acct[ACCT_SELL_VALUE] - prev_acct[ACCT_SELL_VALUE]
        if t > 0:
            summary_update_nb(summary, prev_value, value, traded[t, 0] + traded[t, 1])
        else:
            summary[SUM_FINAL_VALUE] = value
        prev_acct[:] = acct
        prev_value = value
        decided[t] = decide_nb(t, scheduled[t], drift_band, acct, shares, mkt, weights[t])
    summary_finish_nb(summary, acct)
    n_f = fill_count[0]
    return equity, cash, shares_out, costs, traded, decided, fills[:min(n_f, max_fills)], n_f, summary


@njit(cache=True)
def _run_one_nb(c, weights, scheduled, drift_band, mkt, cost, init_cash, accrual, carry,
                equity_out, summary_out, keep_equity):
    t_len = weights.shape[1]
    n = weights.shape[2]
    acct, shares, bought, pending, scratch = new_state_nb(n, init_cash)
    no_fills = np.empty(0, dtype=FILL_DTYPE)
    fill_count = np.zeros(1, dtype=np.int64)
    summ = summary_out[c]
    summary_init_nb(summ, init_cash)
    prev_value = init_cash
    decided_prev = False
    for t in range(t_len):
        traded_before = acct[ACCT_BUY_VALUE] + acct[ACCT_SELL_VALUE]
        row = weights[c, t - 1] if t > 0 else weights[c, 0]
        value = day_step_nb(t, decided_prev, row, mkt, cost, carry, accrual[t], prev_value, acct,
                            shares, bought, pending, scratch, no_fills, fill_count, c)
        if keep_equity:
            equity_out[c, t] = value
        if t > 0:
            summary_update_nb(summ, prev_value, value,
                              acct[ACCT_BUY_VALUE] + acct[ACCT_SELL_VALUE] - traded_before)
        else:
            summ[SUM_FINAL_VALUE] = value
        prev_value = value
        decided_prev = decide_nb(t, scheduled[c, t], drift_band[c], acct, shares, mkt,
                                 weights[c, t])
    summary_finish_nb(summ, acct)


@njit(cache=True, parallel=True)
def simulate_many_nb(weights, scheduled, drift_band, mkt, cost, init_cash, accrual, carry,
                     summary_only):
    """Simulate ``C`` portfolios in parallel (``prange`` over portfolios) on one market.

    Parameters
    ----------
    weights : float64 [C, T, N]. scheduled : bool [C, T]. drift_band : float64 [C].
    mkt, cost, init_cash, accrual, carry : as in :func:`simulate_nb` (shared by all portfolios).
    summary_only : bool, keep only the summary rows (equity is returned with shape ``(C, 0)``).

    Returns
    -------
    equity : float64 [C, T] (or [C, 0]). summary : float64 [C, SUM_SIZE].
    """
    c_len, t_len, _ = weights.shape
    equity = np.empty((c_len, 0 if summary_only else t_len), dtype=np.float64)
    summary = np.empty((c_len, SUM_SIZE), dtype=np.float64)
    for c in prange(c_len):
        _run_one_nb(c, weights, scheduled, drift_band, mkt, cost, init_cash, accrual, carry, equity,
                    summary, not summary_only)
    return equity, summary
