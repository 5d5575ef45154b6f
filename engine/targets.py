"""Check and align target weights to a panel's axes."""
from __future__ import annotations

import numpy as np
from numba import njit
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
    return validate_and_fill(panel, raw)


def fill_targets(raw, tolerance):
    """One pass over target weights [C, T, N]: rows given (not all NaN), NaN inside a given row -> 0,
    forward fill (0 before the first target), and the first infinite, negative or over-1 row found.

    Returns ``out [C, T, N], given [C, T], errors [3, 4]`` where row k of ``errors`` (0 infinite,
    1 negative, 2 sum over 1) is ``(c, t, j, value)`` of the first case, ``c = -1`` if none
    (allocated here, filled by :func:`fill_targets_nb`).
    """
    c_len, t_len, n = raw.shape
    out = np.zeros((c_len, t_len, n))
    given = np.zeros((c_len, t_len), dtype=np.bool_)
    errors = np.full((3, 4), -1.0)
    fill_targets_nb(raw, np.float64(tolerance), out, given, errors)
    return out, given, errors


@njit(cache=True, _nrt=False)
def fill_targets_nb(raw, tolerance, out, given, errors):
    """The pass of :func:`fill_targets` into its zeroed ``out``, ``given`` and ``errors`` (-1)."""
    c_len, t_len, n = raw.shape
    for c in range(c_len):
        last = -1
        for t in range(t_len):
            any_given = False
            for j in range(n):
                if not np.isnan(raw[c, t, j]):
                    any_given = True
                    break
            if any_given:
                given[c, t] = True
                total = 0.0
                for j in range(n):
                    v = raw[c, t, j]
                    if np.isnan(v):
                        v = 0.0
                    elif np.isinf(v):
                        if errors[0, 0] < 0:
                            errors[0, 0], errors[0, 1], errors[0, 2], errors[0, 3] = c, t, j, v
                    elif v < 0.0:
                        if errors[1, 0] < 0:
                            errors[1, 0], errors[1, 1], errors[1, 2], errors[1, 3] = c, t, j, v
                    out[c, t, j] = v
                    total += v
                if total > 1.0 + tolerance and errors[2, 0] < 0 and np.isfinite(total):
                    errors[2, 0], errors[2, 1], errors[2, 2], errors[2, 3] = c, t, -1, total
                last = t
            elif last >= 0:
                for j in range(n):
                    out[c, t, j] = out[c, last, j]


def validate_and_fill(panel: Panel, raw: np.ndarray, labels=None) -> tuple[np.ndarray, np.ndarray]:
    """Check target weights on the panel's axes and forward-fill them, for one portfolio
    (``raw`` [T, N]) or many at once (``raw`` [C, T, N], one compiled pass, errors prefixed with
    ``portfolio <label>``).

    Returns the filled weights (same shape; 0 before the first target) and the rows where targets
    were given ([T] or [C, T]).
    """
    many = raw.ndim == 3
    out, given, errors = fill_targets(np.ascontiguousarray(raw if many else raw[None], dtype=np.float64),
                                         WEIGHT_SUM_TOLERANCE)
    for kind in range(3):
        c, ti, j, v = errors[kind]
        if c < 0:
            continue
        c, ti, j = int(c), int(ti), int(j)
        prefix = f"portfolio {(labels[c] if labels is not None else c)!r}: " if many else ""
        day = panel.dates[ti].date()
        if kind == 0:
            raise ConfigError(f"{prefix}weight of {panel.symbols[j]} on {day} is infinite")
        if kind == 1:
            raise ConfigError(f"{prefix}weight of {panel.symbols[j]} on {day} is {float(v)}: "
                              "weights must be >= 0 (long only)")
        raise ConfigError(f"{prefix}weights on {day} sum to {v:.10g} > 1; "
                          "target weights must sum to at most 1 (the rest is cash)")
    return (out, given) if many else (out[0], given[0])


def listed_mask(panel: Panel) -> np.ndarray:
    """Bool [T, N]: True from a symbol's first bar to its last bar in the panel, inclusive.

    Before its first bar a name is not listed yet (or not yet in the data); after its last bar its data
    have ended (6088.HK's bars stop on 2025-10-30). Suspensions in between stay True: the name is held
    through them. The last bar of the whole panel is used, so a name whose data stop inside the panel
    is treated as gone from the session after its last bar.
    """
    has = ~np.isnan(panel.fields["close"])
    t_len = has.shape[0]
    any_bar = has.any(axis=0)
    first = np.where(any_bar, np.argmax(has, axis=0), t_len)
    last = np.where(any_bar, t_len - 1 - np.argmax(has[::-1], axis=0), -1)
    rows = np.arange(t_len)[:, None]
    return (rows >= first[None, :]) & (rows <= last[None, :])


def equal_weights(panel: Panel, members=None) -> np.ndarray:
    """[T, N] equal target weights over the ``members`` (default: every symbol) listed on each date.

    A member gets weight only from its first bar (its listing, in the data) and loses it after its last
    bar (:func:`listed_mask`); the others share 1 equally, so no cash sits idle for a name that cannot
    trade. Rows where no member is listed are 0 (all cash).
    """
    symbols = list(panel.symbols)
    cols = list(range(len(symbols))) if members is None else [panel.column(m) for m in members]
    listed = listed_mask(panel)[:, cols]
    counts = listed.sum(axis=1)
    out = np.zeros(panel.shape)
    out[:, cols] = np.where(counts[:, None] > 0, listed / np.maximum(counts, 1)[:, None], 0.0)
    return out
