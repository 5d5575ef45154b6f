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
