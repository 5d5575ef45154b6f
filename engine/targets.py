"""Check and align target weights to a panel's axes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.data.panel import Panel
from aibt.errors import ConfigError, DataError

WEIGHT_SUM_TOLERANCE = 1e-9


def _not_a_number(cells: np.ndarray, when: list[str] | None, symbols: list[str] | None,
                  exc: Exception) -> ConfigError:
    """ConfigError naming the first cell of ``cells`` (rows x symbols) that is not a number."""
    grid = cells.reshape(cells.shape[0], -1) if cells.ndim >= 2 else cells.reshape(-1, 1)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            v = grid[i, j]
            try:
                float(np.nan if v is None or v is pd.NA else v)
            except (TypeError, ValueError):
                who = symbols[j] if symbols is not None else f"column {j}"
                at = when[i] if when is not None else f"in row {i}"
                return ConfigError(f"weight of {who} {at} is {v!r}, not a number")
    return ConfigError(f"weights cannot be read as numbers ({exc})")


def align_weights(panel: Panel, weights) -> tuple[np.ndarray, np.ndarray]:
    """Target weights as a float64 [T, N] array on the panel's axes.

    Parameters
    ----------
    panel : Panel
    weights : DataFrame (dates x symbols) or ndarray [T, N].
        A DataFrame's dates must be panel sessions and its columns panel symbols; missing symbols
        get weight 0, missing dates give no target. Rows entirely NaN give no target; a NaN inside a
        row with targets is weight 0. Weights are long-only fractions of portfolio value, each
        row summing to at most 1 (the rest is cash).

    Returns
    -------
    weights : float64 [T, N], forward-filled (0 before the first target).
    given : bool [T], rows where targets were given.

    Raises
    ------
    DataError : dates or symbols that are not in the panel, wrong array shape.
    ConfigError : a weight that is not a number (naming its date and symbol), a negative or infinite
        weight, or a row summing to more than 1.
    """
    t, n = panel.shape
    if isinstance(weights, pd.Series):
        raise ConfigError("weights must be a dates x symbols DataFrame or a [T, N] array, not a Series")
    if isinstance(weights, pd.DataFrame):
        idx = pd.DatetimeIndex(pd.to_datetime(weights.index))
        if idx.has_duplicates:
            raise DataError(f"weights have duplicate date {idx[idx.duplicated()][0].date()}")
        unknown_d = idx.difference(panel.dates)
        if len(unknown_d):
            raise DataError(f"weights date {unknown_d[0].date()} is not a session of the panel "
                            f"({panel.dates[0].date()} to {panel.dates[-1].date()}); dates are misaligned")
        cols = [str(c) for c in weights.columns]
        unknown_s = [c for c in cols if c not in panel.symbols]
        if unknown_s:
            raise DataError(f"weights column {unknown_s[0]!r} is not a panel symbol")
        if len(set(cols)) != len(cols):
            raise DataError("weights have duplicate symbol columns")
        raw = np.full((t, n), np.nan)
        rows = panel.dates.get_indexer(idx)
        colpos = [panel.symbols.index(c) for c in cols]
        try:
            vals = weights.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise _not_a_number(weights.to_numpy(dtype=object), [f"on {d.date()}" for d in idx], cols, exc) from None
        block = np.full((len(rows), n), np.nan)
        block[:, colpos] = vals
        # a row with any target: its missing symbols are 0
        has = ~np.isnan(vals).all(axis=1) if vals.size else np.zeros(len(rows), dtype=bool)
        block[has] = np.where(np.isnan(block[has]), 0.0, block[has])
        raw[rows] = block
    else:
        try:
            raw = np.array(weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            try:
                cells = np.array(weights, dtype=object)
            except (TypeError, ValueError):
                raise ConfigError(f"weights cannot be read as a [T, N] array of numbers ({exc})") from None
            on_panel = cells.shape == (t, n)
            raise _not_a_number(cells, [f"on {d.date()}" for d in panel.dates] if on_panel else None,
                                list(panel.symbols) if on_panel else None, exc) from None
        if raw.shape != (t, n):
            raise DataError(f"weights array has shape {raw.shape}, expected {(t, n)} (panel dates x symbols)")
    given = ~np.isnan(raw).all(axis=1)
    filled = np.where(given[:, None] & np.isnan(raw), 0.0, raw)
    if np.isinf(filled).any():
        ti, j = np.argwhere(np.isinf(filled))[0]
        raise ConfigError(f"weight of {panel.symbols[j]} on {panel.dates[ti].date()} is infinite")
    neg = np.argwhere(filled < 0)
    if neg.size:
        ti, j = neg[0]
        raise ConfigError(f"weight of {panel.symbols[j]} on {panel.dates[ti].date()} is {float(filled[ti, j])}: "
                          "weights must be >= 0 (long only)")
    sums = np.where(given, np.nansum(filled, axis=1), 0.0)
    over = np.flatnonzero(sums > 1.0 + WEIGHT_SUM_TOLERANCE)
    if over.size:
        ti = over[0]
        raise ConfigError(f"weights on {panel.dates[ti].date()} sum to {sums[ti]:.10g} > 1; "
                          "target weights must sum to at most 1 (the rest is cash)")
    # forward-fill target rows; 0 before the first target
    pos = np.where(given, np.arange(t), -1)
    np.maximum.accumulate(pos, out=pos)
    out = np.zeros((t, n))
    ok = pos >= 0
    out[ok] = filled[pos[ok]]
    return np.ascontiguousarray(out), given
