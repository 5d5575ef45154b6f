"""Numba kernels of the portfolio simulation: arrays in, arrays out, no pandas.

The simulation is built from small day-step blocks so that other kernels (a strategy sweep that
computes target weights on the fly for each combination) can reuse them without ever
materialising a ``[C, T, N]`` weights array:

====================================  ==========================================================
``new_state(n, init_cash, lots)``     fresh portfolio state ``(acct, pos, lots)`` (numpy;
                                      ``reset_state_nb`` makes it fresh again)
``start_day_nb``                      corporate actions (cash dividends, bonus shares, splits),
                                      receivables paid
``order_shares_nb``                   one order: suspension, price limits, T+1, lots, volume
                                      cap, costs, cash check, dividend tax, fill record
``rebalance_to_targets_nb``           one rebalance to target weights: value at the fill prices,
                                      orders sorted by value (sells first), shared cash
``execute_pending_nb``                retry orders carried from an earlier day
``portfolio_value_nb``                cash + shares x price row
``idle_value_nb``                     the same over the symbols held (a session without a step)
``drift_nb``                          largest absolute gap between held and target weights
``day_step_nb``                       one whole session (the steps above, then close value);
                                      ``day_has_work_nb`` tells drivers when it can be skipped
``summary_init_nb`` /                 online per-portfolio metrics (O(1) memory per portfolio)
``summary_update_nb``
``simulate_days_nb``                  driver over days for one portfolio, full per-day output
                                      (``simulate_arrays`` allocates its state and outputs)
``simulate_range_nb``                 portfolios ``[c0, c1)`` without the GIL, optional summary-only
                                      mode (chunks on threads: :mod:`aibt.engine.parallel`)
====================================  ==========================================================

Compilation
-----------
No kernel allocates: the state (:func:`new_state`) and every output are numpy arrays made by the
Python caller, and the kernels are compiled with ``_nrt=False`` (no reference counting: the caller
owns the arrays for the whole call; reference counting of the market and state arrays passed between
blocks was 72 % of a sweep's time). That also keeps the compile small: no specialisation of Numba's
array constructors, and each driver (:func:`simulate_days_nb`, :func:`simulate_range_nb`,
:func:`aibt.strategies.rotation_nb.rotation_range_nb`) is the one compiled level over the day step,
since Numba links and optimises a callee's whole code again into every compiled function above it. Three blocks are inlined into their one hot
caller (:func:`_inline_into`): ``order_shares_nb`` into ``rebalance_to_targets_nb``, which with
``start_day_nb`` goes into ``day_step_nb``. Numba passes every array argument as 7-11 machine words
(a ``Market`` alone is 47), so one call of ``order_shares_nb`` pushed 117 words on the stack; perf put
86 % of ``rebalance_to_targets_nb``'s time and 56 % of a W1 sweep's on those pushes. The small
``idle_value_nb`` is inlined into the three drivers' day loops. The rarely run blocks (carried orders,
reinvestment, corporate actions) stay calls. Every call
passes the same argument types (``pid`` and codes as int64, never a literal or a loop index's
uint64), so each block compiles once for all drivers: an empty Numba cache costs about 10 s for
``aibt run`` (``benchmarks/bench_compile_times.py``). Numba's inliner copied a callee's IR in time
proportional to its blocks times its variables; :mod:`aibt.engine.numba_inline` makes it their sum.

Conventions
-----------
* All money is CNY. Prices in the :class:`Market` tuple are *traded* prices as the exchange printed
  them, converted with the FX series; share counts are real shares. Corporate actions come from the
  event table: at the open of an ex-date the cash dividend per share is credited to cash (A-shares:
  the pay date is the ex-date; a per-symbol pay lag makes it a receivable, e.g. for HK names) and
  bonus / transfer shares and splits multiply the shares held; in lot mode the new shares are
  whole, the fraction is paid in cash at the ex-rights reference price. No fractional share arises
  in A-share mode. With ``reinvest`` the dividend buys whole lots at the next session's fill price
  through the normal order path (costs, limits, suspensions).
* Differential dividend tax (差别化红利税, Caishui [2015] No. 101, from 2015-09-08; before it Caishui
  [2012] No. 85): the dividend is paid gross; when shares are sold the tax on the dividends they
  received is withheld, lots consumed first in, first out, at the rate of their holding period
  (``Market.tax_short`` up to one month, ``tax_mid`` up to a year, ``tax_long`` after).
* Target weights decided on day ``t`` (row ``t``) are filled on day ``t + 1`` at ``exec_price[t+1]``;
  no block reads a row later than the session it simulates.
* ``lot_min[j] <= 0`` means fractional shares (frictionless mode).
* ``acct`` is a float64 vector with the slots ``ACCT_*`` below (cash and cumulative costs).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from aibt.engine import numba_inline

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
REASON_VOLUME_LIMIT = 9

# ----------------------------------------------------------------------------- corporate-action records
EVENT_DTYPE = np.dtype(
    [
        ("portfolio", np.int64),
        ("date", np.int64),
        ("symbol", np.int64),
        ("kind", np.int64),  # EVENT_* code
        ("shares", np.float64),  # shares credited (bonus / transfer / split), whole in lot mode
        ("cash", np.float64),  # CNY credited: cash dividend (gross) and the cash for a share fraction
        ("tax", np.float64),  # CNY withheld: dividend tax at a sale, or withholding at payment
    ],
    align=True,
)
EVENT_DIVIDEND = 1  # ex-date: cash dividend and/or share credit
EVENT_TAX = 2  # a sale: differential dividend tax withheld on the dividends of the lots sold
EVENT_PAID = 3  # a receivable dividend paid (pay lag)

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
ACCT_DIVIDENDS = 11  # gross cash dividends credited (or receivable)
ACCT_DIV_TAX = 12  # dividend tax withheld (at sales, or at payment)
ACCT_FLAG_PENDING = 13  # 1 when carried orders wait
ACCT_RECEIVABLE = 14  # dividends declared but not yet paid (part of the value)
ACCT_REINVEST = 15  # dividends waiting to be reinvested
ACCT_N_HELD = 16  # how many positions POS_HELD lists (-1: not listed since the last day step)
ACCT_SIZE = 17

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
SUM_DIVIDENDS = 16
SUM_DIV_TAX = 17
SUM_SIZE = 18

# Carry-able refusals: market conditions that may clear on a later day.
_EPS = 1e-9

# ----------------------------------------------------------------------------- market layout
# The market is a few packed arrays, not one array per quantity: every array a kernel receives costs
# reference counting at each function boundary, and 30 separate arrays made an idle session 13x dearer.
PX_EXEC = 0  # fill price (CNY, traded), NaN when not tradable
PX_MARK = 1  # valuation price at fill time: exec price, else the last close in today's terms
PX_CLOSE = 2  # end-of-day valuation price, carried over days without a bar and through ex-dates
PX_UPPER = 3  # upper limit price (CNY), NaN = no limit
PX_LOWER = 4  # lower limit price
PX_CASH_DIV = 5  # cash dividend per share held at the open (CNY, pre-tax)
PX_SHARE_MULT = 6  # shares after / before (bonus + transfer shares, splits), 1 = none
PX_REF = 7  # ex-rights reference price (CNY): the limit base; share fractions are paid at it
PX_VOLCAP = 8  # most shares one order may fill (participation x volume), inf = no cap
PX_STAMP_BUY = 9  # rates of traded value
PX_STAMP_SELL = 10
PX_TRANSFER = 11
PX_OTHER = 12
PX_SIZE = 13
DAYI_ORD = 0  # calendar day number of each session
DAYI_CUT_1M = 1  # a lot bought on or after this day number is held <= 1 month if sold at t
DAYI_CUT_1Y = 2  # ... held <= 1 year
DAYI_SIZE = 3
DAYF_EVENT = 0  # 1.0: some symbol has a corporate action at the open of t
DAYF_TAX_SHORT = 1  # dividend tax rate, holding <= 1 month
DAYF_TAX_MID = 2  # <= 1 year
DAYF_TAX_LONG = 3  # > 1 year
DAYF_SIZE = 4
SYM_LOT_MIN = 0  # minimum buy in shares, <= 0 = fractional
SYM_LOT_STEP = 1  # increment above the minimum
SYM_TAXABLE = 2  # 1.0: differential dividend tax applies at sale
SYM_WITHHOLD = 3  # tax withheld at payment (HK), fraction of the dividend
SYM_PAY_LAG = 4  # sessions from ex-date to payment (0 = paid on the ex-date)
SYM_SIZE = 5

_PX_NAMES = ("exec_price", "mark_price", "close_price", "upper", "lower", "cash_div", "share_mult", "ref_price",
             "volume_cap", "stamp_buy", "stamp_sell", "transfer", "other")
_DAYI_NAMES = ("day_ord", "cut_1m", "cut_1y")
_DAYF_NAMES = ("event_day", "tax_short", "tax_mid", "tax_long")
_SYM_NAMES = ("lot_min", "lot_step", "taxable", "withhold", "pay_lag")


class Market(namedtuple("Market", ["px", "tradable", "day_i", "day_f", "sym"])):
    """Market arrays the kernels read (built by :func:`aibt.engine.market.build_market`).

    ``px`` float64 [PX_SIZE, T, N] (layers ``PX_*``), ``tradable`` bool [T, N], ``day_i`` int64
    [DAYI_SIZE, T], ``day_f`` float64 [DAYF_SIZE, T], ``sym`` float64 [SYM_SIZE, N]. Python code reads
    the layers by name (``mkt.upper``, ``mkt.lot_min``, ...); kernels index the packed arrays.
    """

    __slots__ = ()

    def __getattr__(self, name):
        for names, arr in ((_PX_NAMES, 0), (_DAYI_NAMES, 2), (_DAYF_NAMES, 3), (_SYM_NAMES, 4)):
            if name in names:
                return self[arr][names.index(name)]
        raise AttributeError(name)


CostParams = namedtuple("CostParams", ["commission_rate", "commission_min", "slippage"])
CostParams.__doc__ = "Broker costs: commission rate, minimum commission per order (CNY), slippage fraction."

Policy = namedtuple("Policy", ["carry", "reinvest"])
Policy.__doc__ = ("Order policy: ``carry`` keeps market-refused orders for the next session; ``reinvest`` "
                  "buys whole lots with each cash dividend at the next session (else it stays cash).")


numba_inline.install()  # IR copies of the inlined blocks in O(blocks + variables), not their product


def _inline_into(*callers):
    """Numba inline cost model: inline the block at call sites inside the named functions only (its
    other callers keep one shared compiled copy, so compile time does not grow with the call sites)."""
    def cost_model(expr, caller, callee):
        return caller.func_id.func_name in callers
    return cost_model


# ============================================================================= small helpers
@njit(cache=True, _nrt=False)
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


# ----------------------------------------------------------------------------- portfolio state layout
POS_SHARES = 0  # shares held
POS_BOUGHT = 1  # shares bought in session POS_BOUGHT_T (the T+1 lock: not sellable that session)
POS_PENDING = 2  # signed shares of orders carried to the next session
POS_RECV = 3  # dividend receivable (CNY)
POS_RECV_T = 4  # its pay session
POS_REINV = 5  # dividend cash waiting to be reinvested
POS_REINV_T = 6  # the first session it may be
POS_LOT_N = 7  # tax lots in use
POS_SCR_DELTA = 8  # scratch rows of rebalance_to_targets_nb: value changes, share changes, order
POS_SCR_DQ = 9
POS_SCR_ORDER = 10
POS_BOUGHT_T = 11  # the session of POS_BOUGHT (read as 0 bought in any other session: no reset needed)
POS_HELD = 12  # the symbols held, ascending (the first ACCT_N_HELD entries), listed after a day step
POS_SIZE = 13
LOT_DAY = 0  # tax lots [3, N, K]: day number of the buy, shares left, gross dividends received
LOT_QTY = 1
LOT_DIV = 2


def new_state(n: int, init_cash: float, lots: int):
    """Fresh state of one portfolio holding only cash: a tuple ``(acct, pos, lots)`` (numpy, allocated by
    the drivers' callers; :func:`reset_state_nb` makes a used one fresh again).

    acct : float64 [ACCT_SIZE], cash, cumulative costs, dividends, flags (``ACCT_*``).
    pos : float64 [POS_SIZE, N], per symbol: shares, the T+1 lock, carried orders, dividends
        receivable and to reinvest, tax lots in use, and scratch rows (``POS_*``).
    lots : float64 [3, N, lots], each symbol's buy lots first in, first out (``LOT_*``: day number of
        the buy, shares left, gross dividends they received) for the dividend tax; ``lots = 0`` turns
        it off.
    """
    acct = np.zeros(ACCT_SIZE, dtype=np.float64)
    acct[ACCT_CASH] = init_cash
    return acct, np.zeros((POS_SIZE, int(n)), dtype=np.float64), np.zeros((3, int(n), int(lots)), dtype=np.float64)


@njit(cache=True, _nrt=False)
def reset_state_nb(st, init_cash):
    """Make state ``st`` of :func:`new_state` fresh again (cash only), in place: the sweep drivers
    run their portfolios one after another on one state."""
    acct, pos, lots = st
    acct[:] = 0.0
    acct[ACCT_CASH] = init_cash
    pos[:, :] = 0.0
    lots[:, :, :] = 0.0


@njit(cache=True, _nrt=False)
def portfolio_value_nb(cash: float, shares: np.ndarray, price_row: np.ndarray) -> float:
    """``cash + sum(shares * price)`` over held positions (a NaN price of a held position counts 0)."""
    v = cash
    for j in range(shares.shape[0]):
        if shares[j] != 0.0:
            p = price_row[j]
            if not np.isnan(p):
                v += shares[j] * p
    return v


@njit(cache=True, _nrt=False)
def held_refresh_nb(acct, pos):
    """List the symbols held (nonzero shares), ascending, in ``pos[POS_HELD]`` and their count in
    ``acct[ACCT_N_HELD]``. Shares change only inside :func:`day_step_nb`, which marks the list stale; the
    first idle session after it lists them again (:func:`idle_value_nb`), so a portfolio that trades
    every session never pays for the list."""
    n_held = 0
    for j in range(pos.shape[1]):  # branch-free compaction: j is written at the next slot, kept if held
        pos[POS_HELD, n_held] = j
        n_held += pos[POS_SHARES, j] != 0.0
    acct[ACCT_N_HELD] = n_held


@njit(cache=True, _nrt=False, inline=_inline_into("rotation_range_nb", "simulate_days_nb", "simulate_range_nb"))
def idle_value_nb(acct, pos, price_row) -> float:
    """The close value of a session without a day step (:func:`day_has_work_nb` False): cash, the held
    positions at ``price_row`` and receivables. The same terms in the same order as
    :func:`portfolio_value_nb`, which skips the empty positions one by one, but only over the symbols
    :func:`held_refresh_nb` listed (nothing changes shares between day steps): W1 combinations that
    rebalance every 5-42 sessions cost 10-25 % more visiting all 16 securities each session."""
    if acct[ACCT_N_HELD] < 0.0:
        held_refresh_nb(acct, pos)
    v = acct[ACCT_CASH]
    for k in range(int(acct[ACCT_N_HELD])):
        j = int(pos[POS_HELD, k])
        p = price_row[j]
        if not np.isnan(p):
            v += pos[POS_SHARES, j] * p
    return v + acct[ACCT_RECEIVABLE]


@njit(cache=True, _nrt=False)
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


@njit(cache=True, _nrt=False)
def _event_nb(evrec, ev_count, pid, t, j, kind, shares, cash, tax):
    k = ev_count[0]
    if k < evrec.shape[0]:
        r = evrec[k]
        r["portfolio"] = pid
        r["date"] = t
        r["symbol"] = j
        r["kind"] = kind
        r["shares"] = shares
        r["cash"] = cash
        r["tax"] = tax
    if evrec.shape[0] > 0:
        ev_count[0] = k + 1


@njit(cache=True, _nrt=False)
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


# ============================================================================= dividend-tax lots
@njit(cache=True, _nrt=False)
def push_lot_nb(lots, pos, j, day, qty):
    """Append a buy lot (day number, shares) to symbol ``j``'s FIFO; when the queue is full the lot
    joins the newest one, which then carries the later date (a conservative holding period)."""
    cap = lots.shape[2]
    if cap == 0:
        return
    k = int(pos[POS_LOT_N, j])
    if k < cap:
        lots[LOT_DAY, j, k] = day
        lots[LOT_QTY, j, k] = qty
        lots[LOT_DIV, j, k] = 0.0
        pos[POS_LOT_N, j] = k + 1
    else:
        lots[LOT_DAY, j, cap - 1] = day
        lots[LOT_QTY, j, cap - 1] += qty


@njit(cache=True, _nrt=False)
def sell_lots_tax_nb(t, j, qty, mkt, lots, pos):
    """Consume ``qty`` shares of symbol ``j``'s lots first in, first out and return the dividend tax
    due on the dividends those shares received, by the holding period of each lot."""
    k_n = int(pos[POS_LOT_N, j])
    if k_n == 0:
        return 0.0
    tax = 0.0
    left = qty
    used = 0
    for k in range(k_n):
        if left <= 0.0:
            break
        q = lots[LOT_QTY, j, k]
        x = q if q <= left else left
        if q > 0.0:
            d = lots[LOT_DIV, j, k] * (x / q)
            if d > 0.0:
                bd = lots[LOT_DAY, j, k]
                if bd >= mkt.day_i[DAYI_CUT_1M, t]:
                    rate = mkt.day_f[DAYF_TAX_SHORT, t]
                elif bd >= mkt.day_i[DAYI_CUT_1Y, t]:
                    rate = mkt.day_f[DAYF_TAX_MID, t]
                else:
                    rate = mkt.day_f[DAYF_TAX_LONG, t]
                tax += rate * d
                lots[LOT_DIV, j, k] -= d
        lots[LOT_QTY, j, k] = q - x
        left -= x
        if lots[LOT_QTY, j, k] <= 1e-9:
            used += 1
    if used > 0:  # drop the emptied lots at the front
        for k in range(used, k_n):
            for f in range(3):
                lots[f, j, k - used] = lots[f, j, k]
        pos[POS_LOT_N, j] = k_n - used
    return tax


# ============================================================================= one order
@njit(cache=True, _nrt=False)
def sell_size_nb(req, held, sellable, lot_min, lot_step):
    """Shares a sell of ``req`` may fill: all that is sellable when asked for (the odd lot included),
    else round lots plus, at most once, the whole odd remainder of the holding (holding 250 on a
    100-share board: a sell of 150 fills 150 = one lot + the 50 odd shares). Returns (qty, rounded)."""
    qty = req
    if qty > sellable:
        qty = sellable
    if qty >= sellable * (1.0 - 1e-12) and sellable > 0.0:
        return sellable, False
    if lot_min <= 0.0:
        return qty, False
    odd = held - round_lots_nb(held, lot_min, lot_step)
    r = round_lots_nb(qty, lot_min, lot_step)
    if odd > 0.0 and qty >= odd - 1e-9:
        rest = qty - odd
        rr = round_lots_nb(rest, lot_min, lot_step) if rest > 1e-9 else 0.0
        if rr + odd > r:
            r = rr + odd
            if r > sellable:
                r = round_lots_nb(qty, lot_min, lot_step)
    return r, r < qty * (1.0 - 1e-12)


@njit(cache=True, _nrt=False, inline=_inline_into("rebalance_to_targets_nb"))
def order_shares_nb(t, j, q, mkt, cost, st, fills, fill_count, evrec, ev_count, pid):
    """Execute one order of ``q`` shares (``> 0`` buy, ``< 0`` sell) of symbol ``j`` on day ``t``.

    Checks in this order: tradable bar (else ``suspended``), price limit (a buy at the upper limit
    -> ``limit_up``, a sell at the lower -> ``limit_down``; compared with a tolerance far below a
    tick), for sells the T+1 lock (``t_plus_1``) and lots (:func:`sell_size_nb`), for buys lot
    rounding (``lot_rounding``, or ``odd_lot_buy`` below one lot), the volume cap
    (``volume_limit``: the rest may carry) and cash (``insufficient_cash``: the size is cut to what
    cash covers including costs, then rounded down to lots). A sell is refused only when its own net
    proceeds would be negative (accrued fees that made cash negative never block a sale).

    Costs: commission ``max(commission_min, rate x value)`` per order, stamp duty (buy/sell rate of
    the day), transfer fee and other exchange fees (rates of value); slippage moves the fill price
    against the trader and is reported as its own cost kind. A sale withholds the differential
    dividend tax of the lots it consumes (an ``EVENT_TAX`` record).

    Returns
    -------
    filled : float, signed shares filled.
    reason : int, REASON_* code (0 = filled in full).
    """
    acct = st[0]
    pos = st[1]
    if q == 0.0 or np.isnan(q):
        return 0.0, REASON_NONE
    side = 1 if q > 0.0 else -1
    req = abs(q)
    p0 = mkt.px[PX_EXEC, t, j]
    if not mkt.tradable[t, j] or np.isnan(p0):
        acct[ACCT_N_REFUSED] += 1.0
        _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                   np.int64(REASON_SUSPENDED))
        return 0.0, REASON_SUSPENDED
    lot_min = mkt.sym[SYM_LOT_MIN, j]
    lot_step = mkt.sym[SYM_LOT_STEP, j]
    crate = cost.commission_rate
    cmin = cost.commission_min
    reason = REASON_NONE
    cash = acct[ACCT_CASH]
    vcap = mkt.px[PX_VOLCAP, t, j]
    tax = 0.0
    if side > 0:
        up = mkt.px[PX_UPPER, t, j]
        if not np.isnan(up) and p0 >= up * (1.0 - _EPS):
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       np.int64(REASON_LIMIT_UP))
            return 0.0, REASON_LIMIT_UP
        qty = round_lots_nb(req, lot_min, lot_step)
        if qty == 0.0:
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       np.int64(REASON_ODD_LOT_BUY))
            return 0.0, REASON_ODD_LOT_BUY
        if qty < req * (1.0 - 1e-12):
            reason = REASON_LOT_ROUNDING
        if qty > vcap:
            qty = round_lots_nb(vcap, lot_min, lot_step)
            reason = REASON_VOLUME_LIMIT
            if qty <= 0.0:
                acct[ACCT_N_REFUSED] += 1.0
                _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0,
                           0.0, np.int64(REASON_VOLUME_LIMIT))
                return 0.0, REASON_VOLUME_LIMIT
        p = p0 * (1.0 + cost.slippage)
        rates = mkt.px[PX_STAMP_BUY, t, j] + mkt.px[PX_TRANSFER, t, j] + mkt.px[PX_OTHER, t, j]
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
                           0.0, np.int64(REASON_INSUFFICIENT_CASH))
                return 0.0, REASON_INSUFFICIENT_CASH
            value = qty * p
            comm = max(cmin, value * crate)
            total = value * (1.0 + rates) + comm
        stamp = value * mkt.px[PX_STAMP_BUY, t, j]
        transfer = value * mkt.px[PX_TRANSFER, t, j]
        other = value * mkt.px[PX_OTHER, t, j]
        if cut_to_cash:
            new_cash = 0.0  # fractional cut spends exactly the cash (as vectorbt does)
        else:
            new_cash = cash - total
            if new_cash < 0.0 and cash >= 0.0:  # rounding residue only
                new_cash = 0.0
        acct[ACCT_CASH] = new_cash
        pos[POS_SHARES, j] += qty
        if pos[POS_BOUGHT_T, j] != t:  # the first buy of the session starts its T+1 lock
            pos[POS_BOUGHT_T, j] = t
            pos[POS_BOUGHT, j] = 0.0
        pos[POS_BOUGHT, j] += qty
        if (mkt.sym[SYM_TAXABLE, j] != 0.0):
            push_lot_nb(st[2], pos, j, mkt.day_i[DAYI_ORD, t], qty)
        filled = qty
    else:
        lo = mkt.px[PX_LOWER, t, j]
        if not np.isnan(lo) and p0 <= lo * (1.0 + _EPS):
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       np.int64(REASON_LIMIT_DOWN))
            return 0.0, REASON_LIMIT_DOWN
        held = pos[POS_SHARES, j]
        bought = pos[POS_BOUGHT, j] if pos[POS_BOUGHT_T, j] == t else 0.0
        sellable = held - bought
        if sellable < 0.0:
            sellable = 0.0
        want = req if req < held else held
        if want > sellable:
            reason = REASON_T_PLUS_1
        qty, rounded = sell_size_nb(want, held, sellable, lot_min, lot_step)
        if rounded and reason == REASON_NONE:
            reason = REASON_LOT_ROUNDING
        if qty > vcap:
            qty, _ = sell_size_nb(vcap, held, sellable, lot_min, lot_step)
            if qty > vcap:  # the odd remainder alone is above the cap
                qty = round_lots_nb(vcap, lot_min, lot_step)
            reason = REASON_VOLUME_LIMIT
        if qty <= 0.0:
            if held <= 0.0 and bought <= 0.0:
                return 0.0, REASON_NONE  # nothing held: not an order
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       reason)
            return 0.0, reason
        p = p0 * (1.0 - cost.slippage)
        value = qty * p
        comm = max(cmin, value * crate)
        stamp = value * mkt.px[PX_STAMP_SELL, t, j]
        transfer = value * mkt.px[PX_TRANSFER, t, j]
        other = value * mkt.px[PX_OTHER, t, j]
        net = value - comm - stamp - transfer - other
        if net < 0.0:  # the order's own costs exceed its proceeds
            acct[ACCT_N_REFUSED] += 1.0
            _record_nb(fills, fill_count, pid, t, j, side, req, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0,
                       np.int64(REASON_INSUFFICIENT_CASH))
            return 0.0, REASON_INSUFFICIENT_CASH
        if (mkt.sym[SYM_TAXABLE, j] != 0.0):
            tax = sell_lots_tax_nb(t, j, qty, mkt, st[2], pos)
        acct[ACCT_CASH] = cash + net - tax
        if qty >= held:
            pos[POS_SHARES, j] = 0.0
        else:
            pos[POS_SHARES, j] = held - qty
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
    if tax > 0.0:
        acct[ACCT_DIV_TAX] += tax
        _event_nb(evrec, ev_count, pid, t, j, np.int64(EVENT_TAX), 0.0, 0.0, tax)
    return filled, reason


@njit(cache=True, _nrt=False)
def is_carryable_nb(reason: int) -> bool:
    """True for refusals caused by the market on that day (suspension, limits, T+1, volume cap)."""
    return (reason == REASON_SUSPENDED or reason == REASON_LIMIT_UP or reason == REASON_LIMIT_DOWN
            or reason == REASON_T_PLUS_1 or reason == REASON_VOLUME_LIMIT)


# ============================================================================= one rebalance
@njit(cache=True, _nrt=False, inline=_inline_into("day_step_nb"))
def rebalance_to_targets_nb(t, target_row, mkt, cost, pol, st, fills, fill_count, evrec, ev_count, pid):
    """Trade to ``target_row`` weights on day ``t`` with shared cash, sells before buys.

    The portfolio is valued at ``mark_price[t]`` (the fill price where the bar trades, the last
    close elsewhere, the ex-rights reference on an ex-date); symbol ``j`` is asked for
    ``w_j x value / exec_price - shares_j`` shares (for a suspended symbol the order is refused and,
    with ``pol.carry``, kept for later). Orders run in ascending order of their value change (a stable
    sort), so the largest sells come first and the largest buy last: the same call sequence as
    vectorbt's ``call_seq='auto'``. Dividends waiting to be reinvested are part of the cash.

    Any earlier pending order is replaced by the new ones. Refusals caused by the market (see
    :func:`is_carryable_nb`) leave the unfilled shares in ``pending`` when ``pol.carry`` is True.
    """
    acct = st[0]
    pos = st[1]
    shares = pos[POS_SHARES]
    pending = pos[POS_PENDING]
    reinv = pos[POS_REINV]
    n = shares.shape[0]
    delta_value = pos[POS_SCR_DELTA]
    dq = pos[POS_SCR_DQ]
    value = portfolio_value_nb(acct[ACCT_CASH], shares, mkt.px[PX_MARK, t])
    # one branch-free pass computes every symbol's order (dq) and value change and lists the symbols
    # that place one (held or targeted, priced, dq != 0) in ascending order in the preallocated
    # scratch row (no allocation per rebalance); only those few are then sorted, stably, by value
    # change: a stable order restricted to a subset is the subset's stable order, so the orders run in
    # the same sequence as with all N sorted. (Jumping over the symbols that place none was the
    # hottest spot of a W1 sweep: which ones trade changes with every rebalance, so the jumps were
    # mispredicted.)
    order = pos[POS_SCR_ORDER]
    m = 0
    nan_key = False
    # earlier carried orders and dividends to reinvest are replaced: their rows can be non-zero only
    # while the account's flag or total says so (the rest of the rows stays untouched)
    if acct[ACCT_FLAG_PENDING] != 0.0:
        pending[:] = 0.0
    if acct[ACCT_REINVEST] != 0.0:
        reinv[:] = 0.0
    px_exec = mkt.px[PX_EXEC, t]
    px_mark = mkt.px[PX_MARK, t]
    unpriced = False
    for j in range(n):  # branch-free: which symbols trade is data, not a jump to predict
        w = target_row[j]
        w = 0.0 if np.isnan(w) else w
        sh = shares[j]
        ref = px_exec[j]
        ref = px_mark[j] if np.isnan(ref) else ref
        priced = not np.isnan(ref)
        delta_value[j] = w * value - sh * ref
        order[m] = j
        m += ((w != 0.0) | (sh != 0.0)) & priced  # held or targeted, and priced
        unpriced |= (w > 0.0) & (not priced)
    m_all = m
    m = 0
    for k in range(m_all):  # their orders (the division only for these few), those not 0 kept in order
        j = int(order[k])
        w = target_row[j]
        w = 0.0 if np.isnan(w) else w
        sh = shares[j]
        ref = px_exec[j]
        ref = px_mark[j] if np.isnan(ref) else ref
        q = (w * value) / ref - sh
        q = -sh if w == 0.0 else q
        dq[j] = q
        order[m] = j
        live = q != 0.0
        m += live
        nan_key |= live & np.isnan(delta_value[j])
    if unpriced:  # never priced yet: nothing held, nothing can be bought
        for j in range(n):
            w = target_row[j]
            if w > 0.0 and np.isnan(px_exec[j]) and np.isnan(px_mark[j]):
                acct[ACCT_N_REFUSED] += 1.0
                _record_nb(fills, fill_count, pid, t, j, np.int64(1), np.nan, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0,
                           0.0, np.int64(REASON_NO_PRICE))
    for k in range(1, m):  # stable insertion sort of the m listed by value change
        j = order[k]
        key = delta_value[int(j)]
        i = k - 1
        while i >= 0 and delta_value[int(order[i])] > key:
            order[i + 1] = order[i]
            i -= 1
        order[i + 1] = j
    acct[ACCT_REINVEST] = 0.0
    if nan_key:  # a NaN key is no total order: sort all N as before, so nothing can differ
        for k in range(n):
            w = target_row[k]
            if (np.isnan(w) or w == 0.0) and shares[k] == 0.0:  # neither held nor targeted
                delta_value[k] = 0.0 * value  # tgt - cur (only a NaN value could make it count)
                dq[k] = 0.0
            elif np.isnan(px_exec[k]) and np.isnan(px_mark[k]):  # never priced
                delta_value[k] = 0.0
                dq[k] = 0.0
        for k in range(n):
            key = delta_value[k]
            i = k - 1
            while i >= 0 and delta_value[int(order[i])] > key:
                order[i + 1] = order[i]
                i -= 1
            order[i + 1] = k
        m = n
    any_pending = False
    for k in range(m):
        j = int(order[k])
        q = dq[j]
        if q == 0.0:
            continue
        filled, reason = order_shares_nb(t, j, q, mkt, cost, st, fills, fill_count, evrec, ev_count, pid)
        if pol.carry and is_carryable_nb(reason):
            pending[j] = q - filled
            any_pending = True
    acct[ACCT_FLAG_PENDING] = 1.0 if any_pending else 0.0


@njit(cache=True, _nrt=False)
def execute_pending_nb(t, mkt, cost, pol, st, fills, fill_count, evrec, ev_count, pid):
    """Retry carried orders on day ``t``: all sells, then all buys. Market refusals stay pending
    (when ``pol.carry``); anything else (filled, cut for cash or lots) clears the pending order."""
    acct = st[0]
    pending = st[1][POS_PENDING]
    n = pending.shape[0]
    any_pending = False
    for phase in range(2):
        for j in range(n):
            q = pending[j]
            if q == 0.0 or (phase == 0 and q > 0.0) or (phase == 1 and q < 0.0):
                continue
            filled, reason = order_shares_nb(t, j, q, mkt, cost, st, fills, fill_count, evrec, ev_count,
                                             pid)
            if pol.carry and is_carryable_nb(reason):
                pending[j] = q - filled
                any_pending = True
            else:
                pending[j] = 0.0
    acct[ACCT_FLAG_PENDING] = 1.0 if any_pending else 0.0


@njit(cache=True, _nrt=False)
def reinvest_nb(t, mkt, cost, st, fills, fill_count, evrec, ev_count, pid):
    """Buy whole lots with the dividends waiting to be reinvested (credited before session ``t``) at
    the fill price of ``t``; a market refusal keeps the amount for the next session."""
    acct = st[0]
    reinv = st[1][POS_REINV]
    reinv_t = st[1][POS_REINV_T]
    left = 0.0
    for j in range(reinv.shape[0]):
        r = reinv[j]
        if r <= 0.0 or reinv_t[j] > t:
            left += r
            continue
        p0 = mkt.px[PX_EXEC, t, j]
        if np.isnan(p0):
            p0 = mkt.px[PX_MARK, t, j]
        if not (p0 > 0.0):
            left += r
            continue
        rates = mkt.px[PX_STAMP_BUY, t, j] + mkt.px[PX_TRANSFER, t, j] + mkt.px[PX_OTHER, t, j] + cost.commission_rate
        q = r / (p0 * (1.0 + cost.slippage) * (1.0 + rates))
        filled, reason = order_shares_nb(t, j, q, mkt, cost, st, fills, fill_count, evrec, ev_count, pid)
        if is_carryable_nb(reason) and filled == 0.0:
            left += r
        else:
            reinv[j] = 0.0
    acct[ACCT_REINVEST] = left


@njit(cache=True, _nrt=False)
def corporate_actions_nb(t, mkt, pol, st, evrec, ev_count, pid):
    """Apply the corporate actions at the open of ``t`` to the holdings: cash dividends (gross; a
    per-symbol withholding and pay lag), bonus / transfer shares and splits (whole shares in lot
    mode, the fraction paid in cash at the ex-rights reference price), carried orders rescaled."""
    acct = st[0]
    pos = st[1]
    shares = pos[POS_SHARES]
    pending = pos[POS_PENDING]
    lot_qty = st[2][LOT_QTY]
    lot_div = st[2][LOT_DIV]
    lot_n = pos[POS_LOT_N]
    recv = pos[POS_RECV]
    recv_t = pos[POS_RECV_T]
    reinv = pos[POS_REINV]
    reinv_t = pos[POS_REINV_T]
    for j in range(shares.shape[0]):
        c = mkt.px[PX_CASH_DIV, t, j]
        m = mkt.px[PX_SHARE_MULT, t, j]
        if c == 0.0 and m == 1.0:
            continue
        pending[j] *= m
        held = shares[j]
        if held <= 0.0:
            continue
        gross = held * c
        if gross > 0.0 and (mkt.sym[SYM_TAXABLE, j] != 0.0):
            for k in range(int(lot_n[j])):
                lot_div[j, k] += lot_qty[j, k] * c
        credited = 0.0
        frac_cash = 0.0
        if m != 1.0:
            new = held * m
            if mkt.sym[SYM_LOT_MIN, j] > 0.0:
                whole = np.floor(new + 1e-6)
                frac_cash = (new - whole) * mkt.px[PX_REF, t, j]
                if frac_cash < 0.0:
                    frac_cash = 0.0
                new = whole
            credited = new - held
            shares[j] = new
            k_n = int(lot_n[j])
            if k_n > 0:
                tot = 0.0
                for k in range(k_n):
                    lot_qty[j, k] *= m
                    tot += lot_qty[j, k]
                lot_qty[j, k_n - 1] -= tot - new
        withheld = gross * mkt.sym[SYM_WITHHOLD, j]
        net = gross - withheld
        acct[ACCT_DIVIDENDS] += gross
        acct[ACCT_DIV_TAX] += withheld
        if int(mkt.sym[SYM_PAY_LAG, j]) > 0 and net > 0.0:
            recv[j] += net
            recv_t[j] = t + int(mkt.sym[SYM_PAY_LAG, j])
            acct[ACCT_RECEIVABLE] += net
        elif net > 0.0:
            acct[ACCT_CASH] += net
            if pol.reinvest:
                reinv[j] += net
                reinv_t[j] = t + 1
                acct[ACCT_REINVEST] += net
        acct[ACCT_CASH] += frac_cash
        _event_nb(evrec, ev_count, pid, t, j, np.int64(EVENT_DIVIDEND), credited, gross + frac_cash, withheld)


@njit(cache=True, _nrt=False)
def collect_receivables_nb(t, pol, st, evrec, ev_count, pid):
    """Pay the dividends whose pay session has come (pay lag)."""
    acct = st[0]
    recv = st[1][POS_RECV]
    recv_t = st[1][POS_RECV_T]
    reinv = st[1][POS_REINV]
    reinv_t = st[1][POS_REINV_T]
    left = 0.0
    for j in range(recv.shape[0]):
        r = recv[j]
        if r == 0.0:
            continue
        if recv_t[j] <= t:
            acct[ACCT_CASH] += r
            recv[j] = 0.0
            _event_nb(evrec, ev_count, pid, t, j, np.int64(EVENT_PAID), 0.0, r, 0.0)
            if pol.reinvest:
                reinv[j] += r
                reinv_t[j] = t + 1
                acct[ACCT_REINVEST] += r
        else:
            left += r
    acct[ACCT_RECEIVABLE] = left


@njit(cache=True, _nrt=False, inline=_inline_into("day_step_nb"))
def start_day_nb(t, mkt, pol, st, accrual_rate, prev_value, evrec, ev_count, pid):
    """Open session ``t``: corporate actions of the day (:func:`corporate_actions_nb`), receivables
    due, and ``accrual_rate x prev_value`` of fund fees deducted from cash. (The T+1 lock needs no
    reset: shares bought count as bought only in the session ``POS_BOUGHT_T`` they were bought in.)

    Each part runs only when it has work (an event day, a receivable, fees), so an idle session costs
    a few comparisons. Returns the fee charged.
    """
    acct = st[0]
    if (mkt.day_f[DAYF_EVENT, t] != 0.0):
        corporate_actions_nb(t, mkt, pol, st, evrec, ev_count, pid)
    if acct[ACCT_RECEIVABLE] != 0.0:
        collect_receivables_nb(t, pol, st, evrec, ev_count, pid)
    fee = 0.0
    if accrual_rate > 0.0 and prev_value > 0.0:
        fee = accrual_rate * prev_value
        acct[ACCT_CASH] -= fee
        acct[ACCT_FEES_ACCRUED] += fee
    return fee


@njit(cache=True, _nrt=False)
def day_has_work_nb(t, rebalance, mkt, acct, accrual_rate) -> bool:
    """False when session ``t`` only revalues the portfolio: no rebalance, corporate action,
    receivable, carried order, dividend to reinvest or fee. Drivers then skip :func:`day_step_nb`
    (the same result: its every part would do nothing) and value the positions directly, which keeps
    an idle session at a few nanoseconds. The session after a buy is idle too: the T+1 lock is
    dated (``POS_BOUGHT_T``), not reset, which saved a whole day step per rebalance."""
    return (rebalance or mkt.day_f[DAYF_EVENT, t] != 0.0
            or acct[ACCT_RECEIVABLE] != 0.0 or acct[ACCT_FLAG_PENDING] != 0.0 or acct[ACCT_REINVEST] != 0.0
            or accrual_rate > 0.0)


@njit(cache=True, _nrt=False, error_model="numpy")
def day_step_nb(t, rebalance, target_row, mkt, cost, pol, accrual_rate, prev_value, st, fills,
                fill_count, evrec, ev_count, pid):
    """Simulate session ``t`` and return the close value (cash, positions at the close, receivables).

    The one day step of every driver (:func:`simulate_days_nb`, :func:`simulate_range_nb` and the strategy
    sweeps): open (:func:`start_day_nb`), then either the rebalance decided at the previous close to
    ``target_row`` or the carried orders and dividend reinvestment.
    """
    acct = st[0]
    start_day_nb(t, mkt, pol, st, accrual_rate, prev_value, evrec, ev_count, pid)
    if rebalance:
        rebalance_to_targets_nb(t, target_row, mkt, cost, pol, st, fills, fill_count, evrec, ev_count,
                                pid)
    else:
        if acct[ACCT_FLAG_PENDING] != 0.0:
            execute_pending_nb(t, mkt, cost, pol, st, fills, fill_count, evrec, ev_count, pid)
        if acct[ACCT_REINVEST] != 0.0:
            reinvest_nb(t, mkt, cost, st, fills, fill_count, evrec, ev_count, pid)
    acct[ACCT_N_HELD] = -1.0  # shares may have changed: the next idle session lists them again
    return portfolio_value_nb(acct[ACCT_CASH], st[1][POS_SHARES], mkt.px[PX_CLOSE, t]) + acct[ACCT_RECEIVABLE]


@njit(cache=True, _nrt=False)
def decide_nb(t, scheduled, drift_band, acct, shares, mkt, target_row) -> bool:
    """Rebalance decision at the close of ``t``: on schedule, or when drift exceeds the band
    (``drift_band`` NaN or <= 0 disables the band)."""
    if scheduled:
        return True
    if drift_band > 0.0:
        return drift_nb(acct[ACCT_CASH], shares, mkt.px[PX_CLOSE, t], target_row) > drift_band
    return False


# ============================================================================= online summary
@njit(cache=True, _nrt=False)
def summary_init_nb(out, init_value):
    """Reset a summary row (``out`` float64 [SUM_SIZE]) for a portfolio starting at ``init_value``."""
    out[:] = 0.0
    out[SUM_INIT_VALUE] = init_value
    out[SUM_FINAL_VALUE] = init_value
    out[SUM_PEAK] = init_value


@njit(cache=True, _nrt=False)
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
        if traded_value != 0.0:  # a session without trades adds exactly 0 (no division on idle sessions)
            out[SUM_TURNOVER] += traded_value / (2.0 * prev_value)


@njit(cache=True, _nrt=False)
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
    out[SUM_DIVIDENDS] = acct[ACCT_DIVIDENDS]
    out[SUM_DIV_TAX] = acct[ACCT_DIV_TAX]


# ============================================================================= drivers
@njit(cache=True, _nrt=False)
def simulate_days_nb(weights, scheduled, drift_band, mkt, cost, pol, init_cash, accrual, st, equity, cash,
                     shares_out, costs, traded, decided, fills, fill_count, evrec, ev_count, summary, prev_acct):
    """The day loop of :func:`simulate_arrays` on the state and arrays it allocated (no reference
    counting: see :func:`aibt.strategies.rotation_nb.rotation_range_nb`)."""
    t_len = weights.shape[0]
    acct = st[0]
    shares = st[1][POS_SHARES]
    summary_init_nb(summary, init_cash)
    for k in range(ACCT_SIZE):
        prev_acct[k] = acct[k]
    prev_value = init_cash
    for t in range(t_len):
        reb = t > 0 and decided[t - 1]
        row = weights[t - 1] if t > 0 else weights[0]
        if day_has_work_nb(t, reb, mkt, acct, accrual[t]):
            value = day_step_nb(t, reb, row, mkt, cost, pol, accrual[t], prev_value, st, fills, fill_count,
                                evrec, ev_count, np.int64(0))
        else:
            value = idle_value_nb(acct, st[1], mkt.px[PX_CLOSE, t])
        equity[t] = value
        cash[t] = acct[ACCT_CASH]
        for j in range(shares.shape[0]):
            shares_out[t, j] = shares[j]
        for k in range(5):
            costs[t, k] = acct[ACCT_COMMISSION + k] - prev_acct[ACCT_COMMISSION + k]
        costs[t, 5] = acct[ACCT_FEES_ACCRUED] - prev_acct[ACCT_FEES_ACCRUED]
        traded[t, 0] = acct[ACCT_BUY_VALUE] - prev_acct[ACCT_BUY_VALUE]
        traded[t, 1] = acct[ACCT_SELL_VALUE] - prev_acct[ACCT_SELL_VALUE]
        if t > 0:
            summary_update_nb(summary, prev_value, value, traded[t, 0] + traded[t, 1])
        else:
            summary[SUM_FINAL_VALUE] = value
        for k in range(ACCT_SIZE):
            prev_acct[k] = acct[k]
        prev_value = value
        decided[t] = decide_nb(t, scheduled[t], drift_band, acct, shares, mkt, weights[t])
    summary_finish_nb(summary, acct)


def simulate_arrays(weights, scheduled, drift_band, mkt, cost, pol, init_cash, accrual, lots, max_fills,
                    max_events):
    """Simulate one portfolio over all sessions with full per-day output: allocates the state and the
    outputs (numpy) and runs :func:`simulate_days_nb` on them. (Allocating here rather than in a
    compiled wrapper saves that wrapper's compile, about 0.8 s of an empty cache: Numba links and
    optimises the whole day step again into every compiled level above it.)

    Parameters
    ----------
    weights : float64 [T, N], target weights decided at the close of each day (forward-filled).
    scheduled : bool [T], scheduled decision days.
    drift_band : float, rebalance also when the largest weight gap exceeds it (<= 0 or NaN: off).
    mkt : Market. cost : CostParams. pol : Policy.
    init_cash : float, CNY.
    accrual : float64 [T], fund fee fraction charged at the open of each day (zeros: none).
    lots : int, capacity of each symbol's FIFO of buy lots for the dividend tax (0 = no tax).
    max_fills, max_events : int, capacity of the fill and corporate-action records.

    Returns
    -------
    equity, cash : float64 [T] at each close.
    shares : float64 [T, N] at each close.
    costs : float64 [T, 6] per day: commission, stamp, transfer, other, slippage, accrued fees.
    traded : float64 [T, 2] buy and sell value per day.
    decided : bool [T] rebalance decisions.
    fills : FILL_DTYPE records. n_fills : int (may exceed ``max_fills``: then records were lost).
    events : EVENT_DTYPE records. n_events : int.
    summary : float64 [SUM_SIZE].
    """
    t_len, n = weights.shape
    st = new_state(n, init_cash, lots)
    equity = np.empty(t_len, dtype=np.float64)
    cash = np.empty(t_len, dtype=np.float64)
    shares_out = np.empty((t_len, n), dtype=np.float64)
    costs = np.zeros((t_len, 6), dtype=np.float64)
    traded = np.zeros((t_len, 2), dtype=np.float64)
    decided = np.zeros(t_len, dtype=np.bool_)
    fills = np.empty(max_fills, dtype=FILL_DTYPE)
    fill_count = np.zeros(1, dtype=np.int64)
    evrec = np.empty(max_events, dtype=EVENT_DTYPE)
    ev_count = np.zeros(1, dtype=np.int64)
    summary = np.empty(SUM_SIZE, dtype=np.float64)
    prev_acct = np.empty(ACCT_SIZE, dtype=np.float64)
    simulate_days_nb(weights, scheduled, np.float64(drift_band), mkt, cost, pol, np.float64(init_cash), accrual,
                     st, equity, cash, shares_out, costs, traded, decided, fills, fill_count, evrec, ev_count,
                     summary, prev_acct)
    n_f = int(fill_count[0])
    n_e = int(ev_count[0])
    return (equity, cash, shares_out, costs, traded, decided, fills[:min(n_f, max_fills)], n_f,
            evrec[:min(n_e, max_events)], n_e, summary)


def sweep_scratch(n: int, init_cash: float, lots: int):
    """The state and empty records one chunk of a sweep driver runs its portfolios on (each starts from
    :func:`reset_state_nb`): ``(st, no_fills, fill_count, no_events, ev_count)``."""
    return (new_state(n, init_cash, lots), np.empty(0, dtype=FILL_DTYPE), np.zeros(1, dtype=np.int64),
            np.empty(0, dtype=EVENT_DTYPE), np.zeros(1, dtype=np.int64))


@njit(cache=True, nogil=True, _nrt=False)
def simulate_range_nb(c0, c1, weights, scheduled, drift_band, mkt, cost, pol, init_cash, accrual, equity,
                      summary, keep_equity, st, no_fills, fill_count, no_events, ev_count):
    """Simulate portfolios ``[c0, c1)`` of ``C`` on one market into the caller's arrays, without the GIL
    (:func:`aibt.engine.simulate.simulate_many` runs chunks of portfolios on threads, :mod:`aibt.engine.parallel`),
    each from a fresh state on the chunk's ``st`` and records (:func:`sweep_scratch`).

    Parameters
    ----------
    weights : float64 [C, T, N]. scheduled : bool [C, T]. drift_band : float64 [C].
    mkt, cost, pol, init_cash, accrual : as in :func:`simulate_arrays` (shared by all portfolios).
    equity : float64 [C, T] (or [C, 0] when ``keep_equity`` is false). summary : float64 [C, SUM_SIZE].
    """
    t_len = weights.shape[1]
    acct = st[0]
    for c in range(c0, c1):
        reset_state_nb(st, init_cash)
        fill_count[0] = 0
        ev_count[0] = 0
        summ = summary[c]
        summary_init_nb(summ, init_cash)
        prev_value = init_cash
        decided_prev = np.bool_(False)
        for t in range(t_len):
            traded_before = acct[ACCT_BUY_VALUE] + acct[ACCT_SELL_VALUE]
            row = weights[c, t - 1] if t > 0 else weights[c, 0]
            if day_has_work_nb(t, decided_prev, mkt, acct, accrual[t]):
                value = day_step_nb(t, decided_prev, row, mkt, cost, pol, accrual[t], prev_value, st, no_fills,
                                    fill_count, no_events, ev_count, c)
            else:
                value = idle_value_nb(acct, st[1], mkt.px[PX_CLOSE, t])
            if keep_equity:
                equity[c, t] = value
            if t > 0:
                summary_update_nb(summ, prev_value, value,
                                  acct[ACCT_BUY_VALUE] + acct[ACCT_SELL_VALUE] - traded_before)
            else:
                summ[SUM_FINAL_VALUE] = value
            prev_value = value
            decided_prev = decide_nb(t, scheduled[c, t], drift_band[c], acct, st[1][POS_SHARES], mkt,
                                     weights[c, t])
        summary_finish_nb(summ, acct)
