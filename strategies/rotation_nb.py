"""Numba kernel of the momentum rotation sweep: target weights computed on the fly per combination.

Shared across all combinations (computed once, point-in-time, by :mod:`aibt.strategies.rotation`):

* ``order`` [L, T, S] and ``n_valid`` [L, T]: for each distinct lookback, the sleeves with a momentum
  signal ranked best first (stable ties; -1 pads) and how many have one;
* ``inv_vol`` [T, S]: inverse volatility of each sleeve (NaN = not enough history);
* ``trend_ok`` [F, T, S]: trend filter state for each distinct filter window (row 0 = no filter, all
  True);
* ``member_j``, ``member_v`` [T, S, M]: how one unit of a sleeve is spread over the tradable securities
  at date t, as its M or fewer members (ascending security index, -1 pads) and their weights (each
  sleeve sums to 1 over its available members, or to 0 when it has none): the nonzero entries of the
  dense ``member_w`` [T, S, N] (:func:`aibt.strategies.rotation.sparse_members`), so spreading K picks
  costs K x M instead of K x N (a third of a daily decision on W1, where M = 1 and N = 16).

A combination is one row of ``params`` [C, 5] (int64): lookback index into ``order``, top K,
rebalance period R in sessions, weighting (0 equal, 1 inverse volatility) and filter index into
``trend_ok``. On each decision day (every R sessions from ``t_start``) the kernel ranks the sleeves
with a signal by momentum, keeps the best K that pass the filter (the rest of the money stays in cash),
weights them, spreads the sleeve weights over securities and hands the row to the engine's
:func:`~aibt.engine.nb.day_step_nb` (the one day step of ``simulate`` too), which fills it on the next
session under the market rules, corporate actions and dividend tax.
Nothing of size [C, T, N] or [C, T] is ever allocated unless ``keep_equity`` asks for equity curves.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from aibt.engine import nb as enb

P_LOOKBACK = 0
P_TOP_K = 1
P_PERIOD = 2
P_WEIGHTING = 3
P_FILTER = 4
N_PARAMS = 5

WEIGHT_EQUAL = 0
WEIGHT_INV_VOL = 1


@njit(cache=True, _nrt=False, inline=enb._inline_into("momentum_orders_nb"))
def _ranked_nb(mom_row, order_out):
    """Sleeves with a signal in descending momentum order, equal momentum by lower index, into
    ``order_out`` (-1 pads); returns how many. Each sleeve's place is the number of sleeves before it
    in that total order (NaN compares false, so sleeves without a signal count for none): a
    branch-free count the compiler vectorises, 2.4x faster on W1 than an insertion sort started from
    the previous date's order, and the same sequence as a stable descending sort."""
    s_len = mom_row.shape[0]
    for k in range(s_len):
        order_out[k] = -1
    valid = 0
    for a in range(s_len):
        m = mom_row[a]
        if np.isnan(m):
            continue
        valid += 1
        place = 0
        for b in range(s_len):
            mb = mom_row[b]
            place += (mb > m) | ((mb == m) & (b < a))
        order_out[place] = a
    return valid


@njit(cache=True)
def momentum_order_nb(mom_row, order_out):
    """Sleeves with a signal in descending momentum order, ties by lower index (a stable sort).

    Writes the order into ``order_out`` [S] and returns how many sleeves have a signal; the
    remaining slots are -1. Shared by every combination with the same lookback, so the kernel
    reads it from :attr:`Signals.order` instead of ranking again per combination.
    """
    return _ranked_nb(mom_row, order_out)


@njit(cache=True, _nrt=False)
def weights_from_order_nb(order_row, valid, inv_vol_row, trend_row, top_k, weighting, out):
    """Sleeve weights at one decision from the momentum order: the first K sleeves with a signal,
    those failing the trend filter (or without an inverse volatility when weighted by it) leave
    cash; equal weights 1/K, or inverse-volatility weights scaled to the share of picks held."""
    out[:] = 0.0
    picks = min(top_k, valid)
    if picks <= 0:
        return
    total = 0.0
    held = 0
    for r in range(picks):
        s = order_row[r]
        if not trend_row[s]:
            continue
        if weighting == WEIGHT_INV_VOL:
            w = inv_vol_row[s]
            if not (w > 0.0):
                continue
        else:
            w = 1.0
        out[s] = w
        total += w
        held += 1
    if total <= 0.0:
        out[:] = 0.0
        return
    if weighting == WEIGHT_INV_VOL:
        scale = held / picks / total
        for r in range(picks):
            out[order_row[r]] *= scale
    else:
        for r in range(picks):
            out[order_row[r]] /= picks


@njit(cache=True)
def sleeve_weights_nb(mom_row, inv_vol_row, trend_row, top_k, weighting, out):
    """Sleeve weights at one decision: top-K by momentum among sleeves with a signal, filtered.

    ``out`` [S] receives the weights (sum <= 1; filtered-out picks leave cash). Ties keep the lower
    sleeve index first (stable order), so results do not depend on the platform.
    (:func:`momentum_order_nb` then :func:`weights_from_order_nb`; the sweep kernel uses the
    precomputed order.)
    """
    order = np.empty(mom_row.shape[0], dtype=np.int64)
    valid = momentum_order_nb(mom_row, order)
    weights_from_order_nb(order, valid, inv_vol_row, trend_row, top_k, weighting, out)


def momentum_orders(momentum):
    """``order`` [L, T, S] and ``n_valid`` [L, T] of :func:`momentum_order_nb` for every lookback and date
    (allocated here, filled by :func:`momentum_orders_nb`)."""
    l_len, t_len, s_len = momentum.shape
    order = np.empty((l_len, t_len, s_len), dtype=np.int64)
    n_valid = np.empty((l_len, t_len), dtype=np.int64)
    momentum_orders_nb(momentum, order, n_valid)
    return order, n_valid


@njit(cache=True, _nrt=False)
def momentum_orders_nb(momentum, order, n_valid):
    """Fill ``order`` and ``n_valid`` of :func:`momentum_orders`."""
    l_len, t_len, s_len = momentum.shape
    for i in range(l_len):
        for t in range(t_len):
            n_valid[i, t] = _ranked_nb(momentum[i, t], order[i, t])


@njit(cache=True, _nrt=False)
def security_targets_nb(sleeve_w, member_j, member_v, out):
    """Spread sleeve weights [S] over securities with the members [S, M] (indices, -1 pads) and their
    weights [S, M] of the date: the same sums, in the same order, as over the dense [S, N] weights."""
    out[:] = 0.0
    for s in range(sleeve_w.shape[0]):
        w = sleeve_w[s]
        if w == 0.0:
            continue
        for m in range(member_j.shape[1]):
            j = member_j[s, m]
            if j < 0:
                break
            out[j] += w * member_v[s, m]


@njit(cache=True, nogil=True, _nrt=False)
def rotation_range_nb(c0, c1, params, order, n_valid, inv_vol, trend_ok, member_j, member_v, mkt, cost, pol,
                      init_cash, t_start, t_end, summary_out, equity_out, keep_equity, st, no_fills, fill_count,
                      no_events, ev_count, sleeve_w, target):
    """Run combinations ``[c0, c1)`` of ``params`` [C, 5] on sessions ``[t_start, t_end)`` into the caller's
    ``summary_out`` float64 [C, SUM_SIZE] (slots ``aibt.engine.nb.SUM_*``) and ``equity_out`` float64
    [C, t_end - t_start] (or [C, 0] without ``keep_equity``), one after another on the chunk's state
    ``st`` and records (:func:`aibt.engine.nb.sweep_scratch`) and scratch rows ``sleeve_w`` [S] and
    ``target`` [N], each combination from a fresh state. Without the GIL:
    :func:`aibt.strategies.rotation.rotation_sweep` runs chunks of combinations on threads
    (:mod:`aibt.engine.parallel`).

    Compiled without reference counting (``_nrt=False``: it allocates nothing, and every array it
    touches is owned by the caller for the whole call): the profile of a daily-rebalancing sweep had
    72 % of its time in ``NRT_incref`` / ``NRT_decref`` on the market and state arrays that the day
    step's blocks pass to each other. One compiled level over the day step, not two: Numba links and
    optimises the whole day step again into each level above it (0.7 s of an empty cache each)."""
    acct = st[0]
    pos = st[1]
    for c in range(c0, c1):
        enb.reset_state_nb(st, init_cash)  # a fresh portfolio and scratch rows per combination
        fill_count[0] = 0
        ev_count[0] = 0
        sleeve_w[:] = 0.0
        target[:] = 0.0
        lb = params[c, P_LOOKBACK]
        top_k = params[c, P_TOP_K]
        period = params[c, P_PERIOD]
        weighting = params[c, P_WEIGHTING]
        flt = params[c, P_FILTER]
        summ = summary_out[c]
        enb.summary_init_nb(summ, init_cash)
        prev_value = init_cash
        decided_prev = np.bool_(False)
        next_decision = t_start  # decisions every ``period`` sessions from t_start, counted (no modulo per session)
        for t in range(t_start, t_end):
            traded_before = acct[enb.ACCT_BUY_VALUE] + acct[enb.ACCT_SELL_VALUE]
            if enb.day_has_work_nb(t, decided_prev, mkt, acct, 0.0):
                value = enb.day_step_nb(t, decided_prev, target, mkt, cost, pol, 0.0, prev_value, st, no_fills,
                                        fill_count, no_events, ev_count, c)
            else:
                value = enb.idle_value_nb(acct, pos, mkt.px[enb.PX_CLOSE, t])
            if keep_equity:
                equity_out[c, t - t_start] = value
            if t > t_start:
                enb.summary_update_nb(summ, prev_value, value,
                                      acct[enb.ACCT_BUY_VALUE] + acct[enb.ACCT_SELL_VALUE] - traded_before)
            else:
                summ[enb.SUM_FINAL_VALUE] = value
            prev_value = value
            decided_prev = np.bool_(False)
            if t == next_decision:
                next_decision += period
                if t + 1 < t_end:
                    weights_from_order_nb(order[lb, t], n_valid[lb, t], inv_vol[t], trend_ok[flt, t], top_k,
                                          weighting, sleeve_w)
                    security_targets_nb(sleeve_w, member_j[t], member_v[t], target)
                    decided_prev = True
        enb.summary_finish_nb(summ, acct)


