"""Rolling window statistics of [T, S] arrays in one pass per column (Numba), NaN-aware.

A value is produced only when all ``window`` observations of the window are present (pandas'
``rolling(window, min_periods=window)``); otherwise NaN. The mean keeps a Kahan-compensated running
sum; the variance a Welford running mean and sum of squared deviations updated as values enter and
leave the window, so long series do not accumulate cancellation error. Equal to pandas to ~1e-12.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def rolling_mean_nb(x, window):
    """Rolling mean over ``window`` rows of each column of ``x`` [T, S]."""
    t_len, s_len = x.shape
    out = np.full((t_len, s_len), np.nan)
    for s in range(s_len):
        total = 0.0
        comp = 0.0
        count = 0
        for t in range(t_len):
            v = x[t, s]
            if not np.isnan(v):
                y = v - comp
                z = total + y
                comp = (z - total) - y
                total = z
                count += 1
            if t >= window:
                old = x[t - window, s]
                if not np.isnan(old):
                    y = -old - comp
                    z = total + y
                    comp = (z - total) - y
                    total = z
                    count -= 1
            if count == 0:
                total = 0.0
                comp = 0.0
            if count == window:
                out[t, s] = total / window
    return out


@njit(cache=True)
def rolling_std_nb(x, window, ddof=1):
    """Rolling standard deviation (``ddof`` degrees of freedom) over ``window`` rows per column."""
    t_len, s_len = x.shape
    out = np.full((t_len, s_len), np.nan)
    for s in range(s_len):
        n = 0
        mean = 0.0
        m2 = 0.0
        for t in range(t_len):
            v = x[t, s]
            if not np.isnan(v):
                n += 1
                d = v - mean
                mean += d / n
                m2 += d * (v - mean)
            if t >= window:
                old = x[t - window, s]
                if not np.isnan(old):
                    n -= 1
                    if n == 0:
                        mean = 0.0
                        m2 = 0.0
                    else:
                        d = old - mean
                        mean -= d / n
                        m2 -= d * (old - mean)
            if n == window and n > ddof:
                var = m2 / (n - ddof)
                out[t, s] = np.sqrt(var) if var > 0.0 else 0.0
    return out
