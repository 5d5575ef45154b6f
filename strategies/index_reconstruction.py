"""Daily reconstruction of a capped free-float index from point-in-time constituents and weights.

The index is a price index (dividends not reinvested on top of the adjusted prices is not possible
here: the snapshot's closes are ratio-adjusted, so the reconstruction is, strictly, a *total-return*
proxy of the official price index; the gap is the constituents' dividend yield, ~0.3%/yr for the STAR
AI names). Between reviews the share holdings implied by the review weights are fixed, so weights
drift with prices, exactly as with fixed cap factors:

    on effective date e_k:  h_i = L(e_k - 1) * w_i / P_i(e_k - 1)
    for e_k <= t < e_{k+1}: L(t) = sum_i h_i * P_i(t)

A constituent without a price on a day (suspension) is valued at its last price. Levels before
``base_date`` are not produced; ``L(base_date) = base_value``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.errors import DataError

CONSTITUENT_COLUMNS = ("effective_date", "code", "weight")


def validate_constituents(constituents: pd.DataFrame) -> pd.DataFrame:
    """Check a constituent table (``effective_date, code, weight``) and return a clean sorted copy.

    Weights of each effective date must be non-negative, finite and sum to 1 (within 1e-6).
    """
    missing = [c for c in CONSTITUENT_COLUMNS if c not in constituents.columns]
    if missing:
        raise DataError(f"constituent table lacks column(s) {missing}; expected {list(CONSTITUENT_COLUMNS)}")
    table = constituents.loc[:, list(CONSTITUENT_COLUMNS)].copy()
    table["effective_date"] = pd.to_datetime(table["effective_date"])
    table["code"] = table["code"].astype(str)
    table["weight"] = table["weight"].astype(float)
    bad = table[~np.isfinite(table["weight"]) | (table["weight"] < 0)]
    if not bad.empty:
        row = bad.iloc[0]
        raise DataError(f"constituent weight {row['weight']} of {row['code']} on "
                        f"{row['effective_date'].date()} is negative or not a number")
    dup = table.duplicated(["effective_date", "code"])
    if dup.any():
        row = table[dup].iloc[0]
        raise DataError(f"constituent {row['code']} listed twice for {row['effective_date'].date()}")
    sums = table.groupby("effective_date")["weight"].sum()
    off = sums[(sums - 1.0).abs() > 1e-6]
    if not off.empty:
        raise DataError(f"constituent weights for {off.index[0].date()} sum to {off.iloc[0]:.6f}, not 1")
    return table.sort_values(["effective_date", "code"], kind="mergesort").reset_index(drop=True)


def weights_matrix(constituents: pd.DataFrame, dates: pd.DatetimeIndex, symbols: list[str]) -> np.ndarray:
    """Review weights as a [T, N] array holding each review's weights from its effective date on.

    Rows before the first effective date are NaN. Symbols absent from the panel raise a DataError.
    """
    table = validate_constituents(constituents)
    missing = sorted(set(table["code"]) - set(symbols))
    if missing:
        raise DataError(f"constituent(s) {missing} have no prices in the panel")
    col = {s: j for j, s in enumerate(symbols)}
    out = np.full((len(dates), len(symbols)), np.nan)
    for eff, grp in table.groupby("effective_date", sort=True):
        row = dates.searchsorted(eff)  # first session on/after the effective date
        if row >= len(dates):
            continue
        out[row:, :] = 0.0
        for code, w in zip(grp["code"], grp["weight"]):
            out[row:, col[code]] = w
    return out


def reconstruct_index(
    close: pd.DataFrame,
    constituents: pd.DataFrame,
    base_date: str | pd.Timestamp = "2022-12-30",
    base_value: float = 1000.0,
) -> pd.Series:
    """Index level from adjusted closes (dates x codes) and a point-in-time constituent table.

    Parameters
    ----------
    close : DataFrame of adjusted closes, sessions x codes (NaN on days without a bar).
    constituents : DataFrame ``effective_date, code, weight``; each review's weights apply from its
        effective date (the first session on or after it) until the next review's.
    base_date : the base session; the level there is ``base_value``. The review in force on the base
        date is the latest one effective on or before it (there must be one).
    base_value : level on ``base_date``.

    Returns
    -------
    Series of index levels from ``base_date`` to the last date of ``close``.
    """
    base = pd.Timestamp(base_date)
    dates = pd.DatetimeIndex(close.index)
    if base not in dates:
        raise DataError(f"base date {base.date()} is not a session in the price data")
    table = validate_constituents(constituents)
    first_eff = table["effective_date"].min()
    if first_eff > base:
        raise DataError(f"no constituent review effective on or before the base date {base.date()} "
                        f"(first review effective {first_eff.date()})")
    symbols = [str(c) for c in close.columns]
    prices = close.to_numpy(dtype=np.float64, copy=True)
    prices = pd.DataFrame(prices).ffill().to_numpy()  # suspended names keep their last price
    weights = weights_matrix(table, dates, symbols)
    start = dates.get_loc(base)
    unpriced = [s for j, s in enumerate(symbols) if np.nansum(weights[:, j]) > 0 and not np.isfinite(prices[start:, j]).any()]
    if unpriced:
        raise DataError(f"constituent(s) {unpriced} have no price on or after the base date")
    levels = _levels_from_weights(prices, weights, start, base_value, symbols)
    return pd.Series(levels[start:], index=dates[start:], name="index")


def _levels_from_weights(prices: np.ndarray, weights: np.ndarray, start: int, base_value: float,
                         symbols: list[str]) -> np.ndarray:
    """Fixed-holdings levels: holdings reset from the weights whenever the weight row changes."""
    t_count = prices.shape[0]
    levels = np.full(t_count, np.nan)
    levels[start] = base_value
    holdings = _holdings(weights[start], prices[start], base_value, symbols)
    for t in range(start + 1, t_count):
        levels[t] = float(np.nansum(holdings * prices[t]))
        if not np.array_equal(weights[t], weights[t - 1], equal_nan=True):
            # a new review takes effect at t: rebalance at the previous close, then mark at t's close
            holdings = _holdings(weights[t], prices[t - 1], levels[t - 1], symbols)
            levels[t] = float(np.nansum(holdings * prices[t]))
    return levels


def _holdings(weight_row: np.ndarray, price_row: np.ndarray, level: float, symbols: list[str]) -> np.ndarray:
    w = np.nan_to_num(weight_row, nan=0.0)
    held = w > 0
    if np.any(held & ~np.isfinite(price_row)):
        j = int(np.flatnonzero(held & ~np.isfinite(price_row))[0])
        raise DataError(f"constituent {symbols[j]} has no price on the session before it enters the index")
    out = np.zeros_like(w)
    out[held] = level * w[held] / price_row[held]
    return out


def drifted_weights(rows: pd.DataFrame, close: pd.DataFrame, date) -> pd.Series:
    """Weights of one review (``effective_date, code, weight`` rows) drifted by prices to the close of ``date``.

    The review's weights hold at the close of the session before its effective date (as in
    :func:`reconstruct_index`); on ``date`` each is ``w_i * P_i(date) / P_i(e - 1)`` renormalised. A name
    without a price keeps its last one. Returns a Series code -> weight (sums to 1), in row order.
    """
    d = pd.Timestamp(date)
    eff = pd.Timestamp(rows["effective_date"].iloc[0])
    codes = [str(c) for c in rows["code"]]
    w = pd.Series(rows["weight"].to_numpy(np.float64), index=codes)
    have = [c for c in codes if c in close.columns]
    px = close[have].ffill()
    before, upto = px.loc[px.index < eff], px.loc[:d]
    rel = pd.Series(1.0, index=codes)
    if len(before) and len(upto) and d >= eff:
        r = upto.iloc[-1] / before.iloc[-1]
        rel.loc[have] = r.where(np.isfinite(r), 1.0).to_numpy()
    out = w * rel
    return out / out.sum()


def _project_capped_simplex(v: np.ndarray, cap: float) -> np.ndarray:
    """Euclidean projection of ``v`` onto {w : 0 <= w <= cap, sum w = 1}, exactly, in O(n log n).

    The projection is ``clip(v - tau, 0, cap)`` for the shift ``tau`` at which the clipped sum is 1
    (Wang and Lu, "Projection onto the capped simplex", 2015). That sum is piecewise linear and falls in
    ``tau``, with breakpoints ``v_i - cap`` (name i leaves the cap) and ``v_i`` (name i reaches 0). Walking the
    sorted breakpoints finds the segment where it crosses 1; on that segment the names strictly between the
    bounds (``a``) and those at the cap (``c``) are fixed, so ``tau = (sum_a v + c cap - 1) / |a|`` exactly.
    """
    n = v.shape[0]
    bp = np.concatenate((v - cap, v))
    order = np.argsort(bp, kind="stable")
    bp = bp[order]
    # slope of the clipped sum after each breakpoint: -(number of names between the bounds)
    active = np.cumsum(np.where(order < n, 1, -1))
    g = n * cap - np.concatenate(([0.0], np.cumsum(active[:-1] * np.diff(bp))))  # the sum at each breakpoint
    k = int(np.searchsorted(-g, -1.0, side="right")) - 1  # last breakpoint where the sum is still >= 1
    k = min(max(k, 0), 2 * n - 2)
    mid = 0.5 * (bp[k] + bp[k + 1])
    between = (v - cap < mid) & (v > mid)
    n_cap = int(np.count_nonzero(v - cap >= mid))
    m = int(np.count_nonzero(between))
    tau = (float(v[between].sum()) + n_cap * cap - 1.0) / m if m else float(bp[k])
    return np.clip(v - tau, 0.0, cap)


def capped_simplex_regression(x: np.ndarray, y: np.ndarray, cap: float = 1.0, iterations: int = 5000,
                              tol: float = 1e-12) -> np.ndarray:
    """Least squares ``min ||x w - y||^2`` over weights ``0 <= w <= cap``, ``sum w = 1``.

    Accelerated projected gradient (FISTA with restart) with step ``1 / L``, ``L`` the largest eigenvalue of
    ``2 x'x``; each step projects onto the capped simplex (:func:`_project_capped_simplex`). numpy only.

    Raises DataError when ``n * cap < 1`` (no feasible weights) or the inputs are not finite.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[1]
    if n * cap < 1.0 - 1e-12:
        raise DataError(f"{n} names under a {cap:.0%} cap cannot sum to 1")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise DataError("regression inputs must be finite")
    gram = 2.0 * x.T @ x
    xty = 2.0 * x.T @ y
    lip = float(np.linalg.eigvalsh(gram)[-1]) or 1.0
    w = _project_capped_simplex(np.full(n, 1.0 / n), cap)
    z, t = w.copy(), 1.0
    f_old = np.inf
    for _ in range(iterations):
        w_new = _project_capped_simplex(z - (gram @ z - xty) / lip, cap)
        r = x @ w_new - y
        f = float(r @ r)
        if f > f_old:  # restart the momentum
            z, t = w.copy(), 1.0
            continue
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        z = w_new + (t - 1.0) / t_new * (w_new - w)
        step = float(np.abs(w_new - w).max())
        w, t, f_old = w_new, t_new, f
        if step < tol:
            break
    return _polish(w, gram, xty, cap)


def _polish(w: np.ndarray, gram: np.ndarray, xty: np.ndarray, cap: float, eps: float = 1e-7) -> np.ndarray:
    """The exact optimum on the active set the iterations found (names at 0, at the cap, in between).

    Solves the equality-constrained least squares of the names in between (the KKT system of the quadratic)
    and keeps it when it is feasible and the multipliers of the bound names have the right signs, so the
    weights do not depend on how far the iterations got; otherwise returns ``w`` unchanged.
    """
    low, up = w <= eps, w >= cap - eps
    free = ~(low | up)
    m = int(free.sum())
    if m == 0:
        return w
    g_ff = gram[np.ix_(free, free)]
    rhs = xty[free] - gram[np.ix_(free, up)].sum(axis=1) * cap
    kkt = np.zeros((m + 1, m + 1))
    kkt[:m, :m], kkt[:m, m], kkt[m, :m] = g_ff, 1.0, 1.0
    try:
        sol = np.linalg.solve(kkt, np.concatenate((rhs, [1.0 - cap * int(up.sum())])))
    except np.linalg.LinAlgError:
        return w
    out = np.where(up, cap, 0.0)
    out[free] = sol[:m]
    grad = gram @ out - xty + sol[m]  # stationarity: 0 in between, >= 0 at 0, <= 0 at the cap
    scale = 1e-9 * max(1.0, float(np.abs(xty).max()))
    if (out[free].min() < 0.0 or out[free].max() > cap or grad[low].min(initial=0.0) < -scale
            or grad[up].max(initial=0.0) > scale):
        return w
    return out
