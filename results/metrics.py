"""Performance metrics: one pure function per metric, in the style of empyrical's ``stats.py``.

Conventions shared by every function
------------------------------------
- ``returns`` are simple, non-cumulative period returns :math:`r_t` (0.01 = +1 %), fractions not
  percents. Accepted containers: 1-D ``ndarray`` / ``Series`` (one portfolio -> ``float``), 2-D
  ``ndarray`` (columns are portfolios -> ``ndarray``), ``DataFrame`` (columns are portfolios ->
  ``Series`` indexed by the columns). The numbers do not depend on the container: every metric is
  computed on numpy arrays, and pandas is only the adapter for pandas inputs (this module never
  imports pandas for arrays, so ``aibt stats SYMBOL`` runs without it). The calendar functions
  (:func:`period_win_rate`, :func:`trailing_returns`) take the dates of an
  array as ``dates=`` (``datetime64``); a Series brings its own.
- NaN is a missing observation and is skipped: sums, means and deviations use the present values only,
  compounding treats a missing period as flat. :math:`n` below is the number of present values.
  A result that is undefined (too few observations, zero dispersion) is NaN.
- Inputs are never modified.
- ``periods_per_year`` (:math:`P`) is explicit or derived from the dates' own calendar by
  :func:`aibt.data.annualise.infer_annualisation` (XSHG, XHKG, calendar days, weekly, monthly...);
  an undated array needs it explicitly (ConfigError otherwise), so an array and a Series of the same
  returns never get different factors silently.
- Empty input (no rows) gives NaN, never a numpy error.
- Benchmark functions pair ``returns`` with ``benchmark`` by position for arrays and by date for pandas
  objects, and use only the periods where both are present.

Agreement with reference libraries (tests check 1e-10 on the same inputs and the same :math:`P`):
empyrical-reloaded ``cum_returns_final``, ``annual_return``/``cagr``, ``annual_volatility``,
``sharpe_ratio``, ``sortino_ratio``, ``max_drawdown``, ``calmar_ratio``, ``beta``, ``alpha``; quantstats
``comp``, ``cagr``, ``volatility``, ``sharpe``, ``sortino``, ``max_drawdown``, ``win_rate``, ``best`` /
``worst`` (daily and ``aggregate="ME"``). Differences are stated per function.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from aibt.data import annualise
from aibt.data.annualise import as_datetime64, loaded_pandas
from aibt.errors import ConfigError, DataError
from aibt.results.periods import annualization_factor

#: A standard deviation below this fraction of the largest absolute value is zero (floating noise).
DISPERSION_RTOL = 1e-10

__all__ = [
    "total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "drawdown_series",
    "calmar", "best_day", "worst_day", "monthly_period_returns", "best_month", "worst_month", "win_rate",
    "tracking_error", "tracking_difference", "information_ratio", "beta", "alpha",
    "traded_value", "turnover", "costs_paid", "cost_drag",
    "skew", "kurtosis", "value_at_risk", "conditional_value_at_risk", "tail_ratio", "omega_ratio",
    "ulcer_index", "recovery_factor", "drawdown_periods", "longest_drawdown", "average_drawdown",
    "period_returns", "best_year", "worst_year", "period_win_rate", "exposure", "trailing_returns",
    "correlation", "r_squared", "up_capture", "down_capture", "tracking_deviation",
    "rolling", "roll_sharpe", "roll_volatility", "roll_beta", "roll_tracking_error",
]


# --------------------------------------------------------------------------- containers
def _is_pandas(x: Any) -> bool:
    """Whether ``x`` is a pandas Series or DataFrame (never true while pandas is not imported)."""
    pd = loaded_pandas()
    return pd is not None and isinstance(x, (pd.Series, pd.DataFrame))


def _is_series(x: Any) -> bool:
    pd = loaded_pandas()
    return pd is not None and isinstance(x, pd.Series)


def _is_frame(x: Any) -> bool:
    pd = loaded_pandas()
    return pd is not None and isinstance(x, pd.DataFrame)


def float_copy(x: Any, not_numbers: str) -> np.ndarray:
    """A float64 copy of a pandas object (NA as NaN) or of an array-like; ``DataError(not_numbers)`` when
    the values are not numbers."""
    try:
        if _is_pandas(x):
            return x.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        return np.array(x, dtype=np.float64, copy=True)
    except (TypeError, ValueError):
        raise DataError(not_numbers) from None


def _values(x: Any, name: str = "returns") -> tuple[np.ndarray, bool]:
    """A float64 2-D copy of ``x`` (one column per portfolio) and whether the input was 1-D."""
    kind = f"values of dtype {x.dtype}" if _is_pandas(x) and hasattr(x, "dtype") else (
        "values of dtype mixed" if _is_pandas(x) else type(x).__name__)
    arr = float_copy(x, f"{name} must be numeric, got {kind}")
    if arr.ndim == 0:
        raise DataError(f"{name} must be a 1-D or 2-D sequence of returns, got a scalar")
    if arr.ndim > 2:
        raise DataError(f"{name} must be 1-D or 2-D, got {arr.ndim} dimensions")
    one_d = arr.ndim == 1
    return (arr[:, None] if one_d else arr), one_d


def _wrap(out: np.ndarray, like: Any, one_d: bool):
    """Shape a per-column result like the input: float, ndarray or Series over the columns."""
    out = np.asarray(out, dtype=np.float64)
    if one_d:
        return float(out[0])
    if _is_frame(like):
        import pandas as pd

        return pd.Series(out, index=like.columns.copy(), dtype=np.float64)
    return out


def _ppy(x: Any, periods_per_year: float | None) -> float:
    return annualization_factor(x if _is_pandas(x) else None, periods_per_year)


def _sum(a: np.ndarray) -> np.ndarray:
    """Column sums computed column by column (Fortran order), so that a column gives bit-identical
    results whether it arrives alone or inside a 2-D block (numpy sums a contiguous axis pairwise)."""
    return np.asfortranarray(a).sum(axis=0)


def _prod(a: np.ndarray) -> np.ndarray:
    return np.asfortranarray(a).prod(axis=0)


def _nansum(a: np.ndarray) -> np.ndarray:
    return _sum(np.where(np.isnan(a), 0.0, a))


def _count(a: np.ndarray) -> np.ndarray:
    return _sum(~np.isnan(a)).astype(np.int64)


def _nanmean(a: np.ndarray) -> np.ndarray:
    n = _count(a)
    s = _nansum(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def _nanstd(a: np.ndarray, ddof: int = 1) -> np.ndarray:
    """Sample standard deviation per column; NaN with fewer than ``ddof + 1`` values; exactly 0 when
    the dispersion is numerical noise: a deviation below ``1e-10`` of the largest absolute value
    (near-constant returns such as a money-market fund's would otherwise give a Sharpe of 1e13)."""
    n = _count(a)
    if a.shape[0] == 0:
        return np.full(a.shape[1], np.nan)
    m = _nanmean(a)
    dev = np.where(np.isnan(a), 0.0, a - m)
    ss = _sum(dev * dev)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / (n - ddof))
    scale = np.max(np.where(np.isnan(a), 0.0, np.abs(a)), axis=0)
    sd = np.where((sd <= DISPERSION_RTOL * scale) & (n > ddof), 0.0, sd)
    return np.where(n > ddof, sd, np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with NaN where den is 0 or NaN (a ratio to zero risk is undefined, not infinite)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((den > 0) & np.isfinite(den), num / np.where(den > 0, den, 1.0), np.nan)


def _paired(returns: Any, benchmark: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Align returns [T, K] with a benchmark [T] or [T, K]; NaN both where either is missing."""
    if _is_pandas(returns) and _is_pandas(benchmark):
        bench = benchmark
        if _is_frame(bench) and _is_frame(returns):
            bench = bench.reindex(index=returns.index, columns=returns.columns)
        else:
            bench = bench.reindex(returns.index)
        r, one_d = _values(returns)
        b, _ = _values(bench, "benchmark")
    else:
        r, one_d = _values(returns)
        b, _ = _values(benchmark, "benchmark")
        if b.shape[0] != r.shape[0]:
            raise DataError(
                f"benchmark has {b.shape[0]} periods but returns have {r.shape[0]}; pass pandas objects "
                "with dates to align them, or arrays of equal length"
            )
    if b.shape[1] not in (1, r.shape[1]):
        raise DataError(f"benchmark has {b.shape[1]} columns, returns have {r.shape[1]}")
    b = np.broadcast_to(b, r.shape).copy()
    missing = np.isnan(r) | np.isnan(b)
    r[missing] = np.nan
    b[missing] = np.nan
    return r, b, one_d


# --------------------------------------------------------------------------- return and risk
def total_return(returns):
    """Compounded return over the whole series.

    .. math:: R = \\prod_t (1 + r_t) - 1

    Missing periods count as flat. Same as empyrical ``cum_returns_final`` and quantstats ``comp``.
    An all-NaN or empty column gives NaN.
    """
    r, one_d = _values(returns)
    out = _prod(np.where(np.isnan(r), 1.0, 1.0 + r)) - 1.0
    out = np.where(_count(r) > 0, out, np.nan)
    return _wrap(out, returns, one_d)


def cagr(returns, periods_per_year: float | None = None):
    """Compound annual growth rate.

    .. math:: \\mathrm{CAGR} = \\Big(\\prod_t (1 + r_t)\\Big)^{P / n} - 1

    The number of years is :math:`n / P`, the number of present returns over periods per year. With
    no NaN this equals empyrical ``annual_return`` (which counts NaN rows too) and quantstats ``cagr``
    (which counts present values, as here) for the same :math:`P`. A total loss gives -1.
    """
    r, one_d = _values(returns)
    p = _ppy(returns, periods_per_year)
    wealth = _prod(np.where(np.isnan(r), 1.0, 1.0 + r))
    return _wrap(np.atleast_1d(annualise.cagr(wealth, _count(r), p)), returns, one_d)


def annual_volatility(returns, periods_per_year: float | None = None):
    """Annualised volatility, from the sample standard deviation.

    .. math:: \\sigma_{ann} = \\sqrt{P}\\,\\sqrt{\\tfrac{1}{n-1} \\sum_t (r_t - \\bar r)^2}

    ``ddof=1`` as in empyrical ``annual_volatility`` and quantstats ``volatility``. NaN for n < 2.
    """
    r, one_d = _values(returns)
    p = _ppy(returns, periods_per_year)
    return _wrap(_nanstd(r) * np.sqrt(p), returns, one_d)


def sharpe(returns, risk_free: float = 0.0, periods_per_year: float | None = None):
    """Annualised Sharpe ratio.

    .. math:: S = \\sqrt{P}\\,\\frac{\\overline{r - r_f}}{\\mathrm{sd}_{ddof=1}(r - r_f)}

    ``risk_free`` is a constant rate *per period* (as in empyrical ``sharpe_ratio``; quantstats'
    ``rf`` is an annual rate it de-annualises first, so pass ``rf = (1 + r_f)^P - 1`` there to compare).
    Both libraries use the sample deviation (ddof=1), as here, so with ``risk_free=0`` all three agree.
    NaN (not inf) when the deviation is zero or n < 2.
    """
    r, one_d = _values(returns)
    p = _ppy(returns, periods_per_year)
    x = r - float(risk_free)
    return _wrap(_ratio(_nanmean(x), _nanstd(x)) * np.sqrt(p), returns, one_d)


def sortino(returns, required_return: float = 0.0, periods_per_year: float | None = None):
    """Annualised Sortino ratio.

    .. math:: \\mathrm{So} = \\sqrt{P}\\,\\frac{\\overline{r - m}}
              {\\sqrt{\\tfrac{1}{n}\\sum_t \\min(r_t - m, 0)^2}}

    with :math:`m` the per-period required return. The downside deviation divides by all :math:`n`
    periods (not only the losing ones), as empyrical ``sortino_ratio`` and quantstats ``sortino``.
    NaN when there is no downside (instead of empyrical's inf) or n < 2.
    """
    r, one_d = _values(returns)
    p = _ppy(returns, periods_per_year)
    x = r - float(required_return)
    down = np.where(np.isnan(x), np.nan, np.minimum(x, 0.0))
    dd = np.sqrt(_nanmean(down * down))
    out = np.where(_count(r) >= 2, _ratio(_nanmean(x), dd) * np.sqrt(p), np.nan)
    return _wrap(out, returns, one_d)


def drawdown_series(returns):
    """Drawdown after each period, as a negative fraction of the running peak.

    .. math:: W_t = \\prod_{s \\le t} (1 + r_s),\\quad D_t = \\frac{W_t}{\\max(1, \\max_{s \\le t} W_s)} - 1

    The starting wealth 1 counts as a peak, so a loss on the first period is a drawdown (as in
    empyrical and quantstats). Returns the same container type as the input (ndarray, Series, DataFrame).
    """
    r, one_d = _values(returns)
    wealth = np.cumprod(np.where(np.isnan(r), 1.0, 1.0 + r), axis=0)
    peak = np.maximum(np.maximum.accumulate(wealth, axis=0), 1.0)
    dd = wealth / peak - 1.0
    if _is_series(returns):
        import pandas as pd

        return pd.Series(dd[:, 0], index=returns.index.copy(), name=returns.name)
    if _is_frame(returns):
        import pandas as pd

        return pd.DataFrame(dd, index=returns.index.copy(), columns=returns.columns.copy())
    return dd[:, 0] if one_d else dd


def max_drawdown(returns):
    """Deepest drawdown, a negative fraction (0 if wealth never falls below a previous peak).

    .. math:: \\mathrm{MDD} = \\min_t D_t \\quad (D_t \\text{ from } :func:`drawdown_series`)

    Same as empyrical ``max_drawdown`` and quantstats ``max_drawdown``. NaN for an empty column.
    """
    r, one_d = _values(returns)
    if r.shape[0] == 0:
        return _wrap(np.full(r.shape[1], np.nan), returns, one_d)
    dd = drawdown_series(r)
    out = np.min(dd, axis=0, initial=0.0)
    out = np.where(_count(r) > 0, out, np.nan)
    return _wrap(out, returns, one_d)


def calmar(returns, periods_per_year: float | None = None):
    """Calmar ratio: CAGR over the absolute maximum drawdown.

    .. math:: \\mathrm{Calmar} = \\frac{\\mathrm{CAGR}}{|\\mathrm{MDD}|}

    Over the whole series given (not a trailing 36 months). NaN when there is no drawdown, as in
    empyrical ``calmar_ratio``.
    """
    r, one_d = _values(returns)
    c = np.atleast_1d(cagr(r, _ppy(returns, periods_per_year)))
    m = np.atleast_1d(max_drawdown(r))
    return _wrap(_ratio(c, -m), returns, one_d)


def best_day(returns):
    """Highest single-period return, :math:`\\max_t r_t` (quantstats ``best``). NaN if none present."""
    r, one_d = _values(returns)
    out = np.where(_count(r) > 0, np.max(np.where(np.isnan(r), -np.inf, r), axis=0, initial=-np.inf), np.nan)
    return _wrap(out, returns, one_d)


def worst_day(returns):
    """Lowest single-period return, :math:`\\min_t r_t` (quantstats ``worst``). NaN if none present."""
    r, one_d = _values(returns)
    out = np.where(_count(r) > 0, np.min(np.where(np.isnan(r), np.inf, r), axis=0, initial=np.inf), np.nan)
    return _wrap(out, returns, one_d)


def monthly_period_returns(returns):
    """Compounded return of each calendar month of a dated return series.

    .. math:: R_m = \\prod_{t \\in m} (1 + r_t) - 1

    Returns a Series (or DataFrame, one column per portfolio) indexed by a monthly ``PeriodIndex``.
    Months without any present return are dropped. Requires a ``DatetimeIndex``.
    """
    return period_returns(returns, "M")


def best_month(returns):
    """Highest calendar-month compounded return (quantstats ``best(aggregate="ME")``)."""
    m = monthly_period_returns(returns)
    return float(m.max()) if _is_series(m) else m.max()


def worst_month(returns):
    """Lowest calendar-month compounded return (quantstats ``worst(aggregate="ME")``)."""
    m = monthly_period_returns(returns)
    return float(m.min()) if _is_series(m) else m.min()


def win_rate(returns):
    """Share of winning periods among periods that moved.

    .. math:: \\mathrm{WR} = \\frac{\\#\\{t: r_t > 0\\}}{\\#\\{t: r_t \\ne 0\\}}

    Flat periods (exactly 0, e.g. suspension days) are excluded, as in quantstats ``win_rate``; NaN
    (quantstats: 0.0 with a warning) when no period moved.
    """
    r, one_d = _values(returns)
    wins = _sum(r > 0).astype(np.float64)
    moved = _sum((r != 0) & ~np.isnan(r)).astype(np.float64)
    return _wrap(_ratio(wins, moved), returns, one_d)


# --------------------------------------------------------------------------- relative to a benchmark
def tracking_error(returns, benchmark, periods_per_year: float | None = None):
    """Annualised tracking error: sample deviation of the active return.

    .. math:: \\mathrm{TE} = \\sqrt{P}\\,\\mathrm{sd}_{ddof=1}(r_t - b_t)

    over the periods where both are present.
    """
    r, b, one_d = _paired(returns, benchmark)
    p = _ppy(returns, periods_per_year)
    return _wrap(_nanstd(r - b) * np.sqrt(p), returns, one_d)


def tracking_difference(returns, benchmark, periods_per_year: float | None = None, method: str = "cagr"):
    """Annualised tracking difference of a fund against its index (negative = the fund lags).

    ``method="cagr"`` (default, the ETF-industry definition): difference of compound annual growth
    rates over the common periods,

    .. math:: \\mathrm{TD} = \\mathrm{CAGR}(r) - \\mathrm{CAGR}(b)

    ``method="mean"``: annualised arithmetic mean of the active return,

    .. math:: \\mathrm{TD}_{mean} = P \\cdot \\overline{r_t - b_t}

    The first includes the compounding of fees and cash drag; the second is the numerator of the
    information ratio. Both use only periods where both series are present.
    """
    r, b, one_d = _paired(returns, benchmark)
    p = _ppy(returns, periods_per_year)
    if method == "cagr":
        out = np.atleast_1d(cagr(r, p)) - np.atleast_1d(cagr(b, p))
    elif method == "mean":
        out = _nanmean(r - b) * p
    else:
        raise ConfigError(f"tracking_difference method must be 'cagr' or 'mean', got {method!r}")
    return _wrap(out, returns, one_d)


def information_ratio(returns, benchmark, periods_per_year: float | None = None):
    """Annualised information ratio.

    .. math:: \\mathrm{IR} = \\sqrt{P}\\,\\frac{\\overline{r - b}}{\\mathrm{sd}_{ddof=1}(r - b)}

    quantstats ``information_ratio`` and empyrical ``excess_sharpe`` return the same ratio *without*
    the :math:`\\sqrt{P}` factor. NaN when the active return has zero deviation.
    """
    r, b, one_d = _paired(returns, benchmark)
    p = _ppy(returns, periods_per_year)
    a = r - b
    return _wrap(_ratio(_nanmean(a), _nanstd(a)) * np.sqrt(p), returns, one_d)


def beta(returns, benchmark, risk_free: float = 0.0):
    """Beta to the benchmark: least-squares slope of returns on benchmark returns.

    .. math:: \\beta = \\frac{\\mathrm{cov}(r, b)}{\\mathrm{var}(b)}

    over the periods where both are present (the risk-free constant cancels). Same as empyrical
    ``beta``. NaN when the benchmark variance is below 1e-30 or fewer than 2 pairs.
    """
    r, b, one_d = _paired(returns, benchmark)
    r = r - float(risk_free)
    b = b - float(risk_free)
    return _wrap(_beta(r, b), returns, one_d)


def _beta(r: np.ndarray, b: np.ndarray) -> np.ndarray:
    bres = b - _nanmean(b)
    cov = _nanmean(bres * r)
    var = _nanmean(bres * bres)
    ok = (var >= 1e-30) & (_count(b) >= 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, cov / np.where(ok, var, 1.0), np.nan)


def alpha(returns, benchmark, risk_free: float = 0.0, periods_per_year: float | None = None):
    """Annualised (compounded) Jensen's alpha.

    .. math:: \\alpha = \\big(1 + \\overline{(r - r_f) - \\beta (b - r_f)}\\big)^{P} - 1

    with a per-period constant ``risk_free``. Same as empyrical ``alpha``; quantstats ``greeks``
    annualises arithmetically (:math:`P \\cdot` the mean) instead.
    """
    r, b, one_d = _paired(returns, benchmark)
    p = _ppy(returns, periods_per_year)
    r = r - float(risk_free)
    b = b - float(risk_free)
    bt = _beta(r, b)
    out = np.power(1.0 + _nanmean(r - bt * b), p) - 1.0
    out = np.where(_count(r) >= 2, out, np.nan)
    return _wrap(out, returns, one_d)


# --------------------------------------------------------------------------- trading activity
def traded_value(positions, prices):
    """Value traded each period from holdings in shares and the prices they traded at.

    .. math:: V_t = \\sum_j |q_{t,j} - q_{t-1,j}|\\, p_{t,j}, \\qquad q_{-1,j} = 0

    Parameters
    ----------
    positions : array [T, N]
        Shares held at the end of each period (NaN = 0).
    prices : array [T, N]
        Trade prices (NaN allowed where nothing is traded).

    Returns
    -------
    ndarray [T]
        Gross (buys plus sells) value traded per period; the first period includes the initial buys.
    """
    q, _ = _values(positions, "positions")
    px, _ = _values(prices, "prices")
    if q.shape != px.shape:
        raise DataError(f"positions have shape {q.shape} but prices {px.shape}")
    q = np.where(np.isnan(q), 0.0, q)
    dq = np.abs(np.diff(q, axis=0, prepend=0.0))
    bad = (dq > 0) & ~np.isfinite(px)
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise DataError(f"position changes at row {t}, column {j} but its price is missing")
    return np.sum(np.where(dq > 0, dq * np.where(np.isfinite(px), px, 0.0), 0.0), axis=1)


def turnover(traded, equity, periods_per_year: float | None = None):
    """Annualised one-way turnover.

    .. math:: \\mathrm{TO} = \\frac{P}{n} \\cdot \\frac{\\tfrac12 \\sum_t V_t}{\\bar E}

    :math:`V_t` is the gross value traded in period *t* (buys plus sells, e.g. :func:`traded_value` or
    the sum of fill values), :math:`\\bar E` the mean equity, :math:`n` the number of periods. A
    portfolio that replaces all its holdings once a year has turnover 1.0 (buys 100 % + sells 100 %,
    halved). ``traded`` and ``equity`` have the same shape ([T] or [T, K]).
    """
    v, one_d = _values(traded, "traded")
    e, _ = _values(equity, "equity")
    if v.shape != e.shape:
        raise DataError(f"traded values have shape {v.shape} but equity {e.shape}")
    p = _ppy(traded if _is_pandas(traded) else equity, periods_per_year)
    n = _count(e)
    gross = _nansum(np.abs(v))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n > 0, 0.5 * gross / _nanmean(e) * p / np.maximum(n, 1), np.nan)
    return _wrap(out, traded, one_d)


def costs_paid(costs):
    """Total transaction costs paid, :math:`C = \\sum_t c_t` (NaN counts as 0), in money.

    ``costs`` per period (or per fill) as [T] or [T, K]; commissions, stamp duty and fees are all
    positive amounts.
    """
    c, one_d = _values(costs, "costs")
    if np.any(c < 0):
        raise DataError("costs must be non-negative amounts; found a negative cost")
    return _wrap(_nansum(c), costs, one_d)


def cost_drag(costs, equity, periods_per_year: float | None = None):
    """Annual cost drag: costs paid per year as a fraction of mean equity.

    .. math:: \\mathrm{drag} = \\frac{P}{n} \\cdot \\frac{\\sum_t c_t}{\\bar E}
    """
    c, one_d = _values(costs, "costs")
    e, _ = _values(equity, "equity")
    if c.shape != e.shape:
        raise DataError(f"costs have shape {c.shape} but equity {e.shape}")
    p = _ppy(costs if _is_pandas(costs) else equity, periods_per_year)
    n = _count(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n > 0, _nansum(c) / _nanmean(e) * p / np.maximum(n, 1), np.nan)
    return _wrap(out, costs, one_d)


# --------------------------------------------------------------------------- distribution
def _percentile(r: np.ndarray, q: float) -> np.ndarray:
    """Linear-interpolated percentile of the present values per column (numpy's default method)."""
    out = np.full(r.shape[1], np.nan)
    for j in range(r.shape[1]):
        x = r[:, j][~np.isnan(r[:, j])]
        if len(x):
            out[j] = np.percentile(x, q)
    return out


def skew(returns):
    """Sample skewness, bias-corrected (adjusted Fisher-Pearson :math:`G_1`, as pandas ``skew`` and
    quantstats ``skew``).

    .. math:: G_1 = \\frac{n^2}{(n-1)(n-2)} \\frac{m_3}{s^3}, \\quad m_3 = \\tfrac1n \\sum (r - \\bar r)^3,
              \\ s = \\mathrm{sd}_{ddof=1}

    NaN for n < 3 or zero dispersion.
    """
    r, one_d = _values(returns)
    n = _count(r).astype(np.float64)
    m = _nanmean(r)
    dev = np.where(np.isnan(r), 0.0, r - m)
    sd = _nanstd(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        m3 = _sum(dev ** 3) / n
        out = n * n / ((n - 1) * (n - 2)) * _ratio(m3, sd ** 3)
    return _wrap(np.where(n >= 3, out, np.nan), returns, one_d)


def kurtosis(returns):
    """Excess kurtosis, bias-corrected (:math:`G_2`, as pandas ``kurt`` and quantstats ``kurtosis``).

    .. math:: G_2 = \\frac{n(n+1)}{(n-1)(n-2)(n-3)} \\frac{\\sum (r - \\bar r)^4}{s^4}
              - \\frac{3 (n-1)^2}{(n-2)(n-3)}

    0 for a normal distribution. NaN for n < 4 or zero dispersion.
    """
    r, one_d = _values(returns)
    n = _count(r).astype(np.float64)
    m = _nanmean(r)
    dev = np.where(np.isnan(r), 0.0, r - m)
    sd = _nanstd(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * _ratio(_sum(dev ** 4), sd ** 4)
        out = a - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
    return _wrap(np.where(n >= 4, out, np.nan), returns, one_d)


def value_at_risk(returns, cutoff: float = 0.05, method: str = "historical"):
    """Value at risk: the period return that is not undershot with probability ``1 - cutoff``.

    ``method="historical"``: the ``cutoff`` percentile of the returns (linear interpolation), as
    empyrical ``value_at_risk``. ``method="gaussian"``: :math:`\\bar r + z_{cutoff}\\,s` (normal
    quantile, sample deviation), as quantstats ``value_at_risk`` (its default, parametric). A negative
    number (a loss). NaN for an empty column.
    """
    if not 0 < cutoff < 1:
        raise ConfigError(f"cutoff must be between 0 and 1, got {cutoff!r}")
    r, one_d = _values(returns)
    if method == "historical":
        out = _percentile(r, 100 * cutoff)
    elif method == "gaussian":
        from statistics import NormalDist

        out = _nanmean(r) + NormalDist().inv_cdf(cutoff) * _nanstd(r)
    else:
        raise ConfigError(f"value_at_risk method must be 'historical' or 'gaussian', got {method!r}")
    return _wrap(out, returns, one_d)


def conditional_value_at_risk(returns, cutoff: float = 0.05):
    """Conditional VaR (expected shortfall): mean of the returns at or below the historical VaR.

    .. math:: \\mathrm{CVaR} = \\overline{\\{r_t : r_t \\le \\mathrm{VaR}_{cutoff}\\}}

    Same as empyrical ``conditional_value_at_risk``; quantstats ``cvar`` averages the returns below its
    *gaussian* VaR instead. NaN for an empty column.
    """
    r, one_d = _values(returns)
    var = _percentile(r, 100 * cutoff)
    tail = np.where(r <= var, r, np.nan)
    return _wrap(_nanmean(tail), returns, one_d)


def tail_ratio(returns):
    """Right over left tail: :math:`|q_{95}| / |q_5|` (empyrical and quantstats ``tail_ratio``).
    NaN when the 5th percentile is 0 or the column is empty."""
    r, one_d = _values(returns)
    return _wrap(_ratio(np.abs(_percentile(r, 95)), np.abs(_percentile(r, 5))), returns, one_d)


def omega_ratio(returns, required_return: float = 0.0, periods_per_year: float | None = None):
    """Omega ratio at an *annual* required return :math:`m` (de-annualised per period).

    .. math:: \\Omega = \\frac{\\sum_t \\max(r_t - \\tau, 0)}{\\sum_t \\max(\\tau - r_t, 0)},
              \\qquad \\tau = (1 + m)^{1/P} - 1

    Same as empyrical ``omega_ratio`` (risk-free 0). NaN without a period below :math:`\\tau`.
    ``periods_per_year`` is only needed when ``required_return`` is not 0.
    """
    r, one_d = _values(returns)
    tau = 0.0 if required_return == 0 else (1.0 + float(required_return)) ** (1.0 / _ppy(returns, periods_per_year)) - 1.0
    x = r - tau
    up = _nansum(np.where(x > 0, x, 0.0))
    down = -_nansum(np.where(x < 0, x, 0.0))
    out = np.where(_count(r) > 0, _ratio(up, down), np.nan)
    return _wrap(out, returns, one_d)


def ulcer_index(returns):
    """Ulcer index: root mean square drawdown, as quantstats ``ulcer_index`` (which divides by n - 1).

    .. math:: \\mathrm{UI} = \\sqrt{\\tfrac{1}{n-1} \\sum_t D_t^2}

    with :math:`D_t` from :func:`drawdown_series` (fractions; Peter Martin's original uses percent and
    divides by n). NaN for n < 2.
    """
    r, one_d = _values(returns)
    dd = drawdown_series(r)
    dd = dd if dd.ndim == 2 else dd[:, None]
    n = _count(r).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sqrt(_sum(np.where(np.isnan(r), 0.0, dd) ** 2) / (n - 1))
    return _wrap(np.where(n >= 2, out, np.nan), returns, one_d)


def recovery_factor(returns):
    """Recovery factor: compounded total return over the absolute maximum drawdown.

    .. math:: \\mathrm{RF} = \\frac{\\prod_t(1 + r_t) - 1}{|\\mathrm{MDD}|}

    quantstats ``recovery_factor`` uses the absolute *sum* of the returns as the numerator instead
    (tests check that relation), so a loss there still gives a positive factor; here it is negative.
    NaN when there is no drawdown.
    """
    r, one_d = _values(returns)
    tr = np.atleast_1d(total_return(r))
    m = np.atleast_1d(max_drawdown(r))
    return _wrap(_ratio(tr, -m), returns, one_d)


def underwater_episodes(dd: np.ndarray) -> list[tuple[int, int, int, float, bool]]:
    """The drawdown episodes of one drawdown series (:func:`drawdown_series`) by position, in the
    order they happen: ``(start, trough, end, depth, recovered)`` with ``start`` the first and ``end``
    the last period under water."""
    out = []
    t, n = 0, len(dd)
    while t < n:
        if dd[t] >= 0:
            t += 1
            continue
        s0 = t
        while t < n and dd[t] < 0:
            t += 1
        k = s0 + int(np.argmin(dd[s0:t]))
        out.append((s0, k, t - 1, float(dd[k]), t < n))
    return out


def _episodes(returns) -> list[tuple[int, int, int, float, bool]]:
    r, one_d = _values(returns)
    if not one_d and r.shape[1] != 1:
        raise DataError("drawdown_periods takes one return series")
    return underwater_episodes(np.asarray(drawdown_series(r[:, 0])))


def drawdown_periods(returns):
    """Drawdown episodes of one return series as a DataFrame: ``start`` (first period under water),
    ``trough``, ``end`` (last period under water), ``periods`` (under water), ``depth`` (negative
    fraction), ``recovered``. Positions for arrays, dates for a Series. In the order they happen
    (:func:`underwater_episodes`).

    The episodes are quantstats ``drawdown_details``'s (start, valley, end, max drawdown).
    """
    import pandas as pd

    eps = _episodes(returns)
    labels = returns.index if _is_series(returns) else pd.RangeIndex(len(np.atleast_1d(returns)))
    rows = [{"start": labels[s0], "trough": labels[k], "end": labels[e], "periods": e - s0 + 1, "depth": depth,
             "recovered": rec} for s0, k, e, depth, rec in eps]
    return pd.DataFrame(rows, columns=["start", "trough", "end", "periods", "depth", "recovered"])


def longest_drawdown(returns):
    """Most consecutive periods under water (0 without a drawdown; NaN for an empty series)."""
    r, _ = _values(returns)
    if _count(r)[0] == 0:
        return np.nan
    eps = _episodes(r[:, 0])
    return float(max(e - s0 + 1 for s0, _, e, _, _ in eps)) if eps else 0.0


def average_drawdown(returns):
    """Mean depth of the drawdown episodes (negative; 0 without a drawdown; NaN for an empty series).
    quantstats reports the same average as ``Avg. Drawdown`` (in percent)."""
    r, _ = _values(returns)
    if _count(r)[0] == 0:
        return np.nan
    depths = np.array([d for _, _, _, d, _ in _episodes(r[:, 0])])
    return float(np.sum(depths) / len(depths)) if len(depths) else 0.0


# --------------------------------------------------------------------------- returns by period
_FREQ = {"M": "M", "Q": "Q", "Y": "Y", "ME": "M", "QE": "Q", "YE": "Y", "A": "Y"}


def period_keys(dates, freq: str = "M") -> np.ndarray:
    """The calendar month (``"M"``), quarter (``"Q"``) or year (``"Y"``) of each date, as an integer
    that sorts like the periods (months and quarters since 1970-01, years since 1970)."""
    d = as_datetime64(dates)
    if d is None:
        raise DataError("period returns need dated returns: a Series or DataFrame with a DatetimeIndex, "
                        "or an array with dates=")
    f = _FREQ[freq]
    if f == "Y":
        return d.astype("datetime64[Y]").astype(np.int64)
    m = d.astype("datetime64[M]").astype(np.int64)
    return m if f == "M" else m // 3


def group_products(keys: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Product of the rows of ``x`` ([T] or [T, K]) within each key, multiplied in row order (as
    pandas' ``groupby(...).prod()``); returns the sorted unique keys and the products."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.zeros(0, dtype=np.int64)
    if len(k) == 0:
        return k, x[:0]
    return k[starts], np.multiply.reduceat(x[order], starts, axis=0)


def _period_growth(returns, freq: str, dates=None) -> tuple[np.ndarray, np.ndarray, bool]:
    """(period keys, compounded returns [P, K] with NaN where a period has no present return, one_d)."""
    if freq not in _FREQ:
        raise ConfigError(f"freq must be 'M', 'Q' or 'Y', got {freq!r}")
    if dates is None:
        pd = loaded_pandas()
        if not _is_pandas(returns) or not isinstance(returns.index, pd.DatetimeIndex):
            raise DataError("period returns need dated returns: a Series or DataFrame with a DatetimeIndex")
        dates = returns.index
    r, one_d = _values(returns)
    keys = period_keys(dates, freq)
    if len(keys) != r.shape[0]:
        raise DataError(f"{len(keys)} dates for {r.shape[0]} returns")
    uk, growth = group_products(keys, np.where(np.isnan(r), 1.0, 1.0 + r))
    _, has = group_products(keys, np.isnan(r).astype(np.float64))  # 1 only when every return is missing
    return uk, np.where(has == 1.0, np.nan, growth - 1.0), one_d


def period_returns(returns, freq: str = "M"):
    """Compounded return of each calendar month (``"M"``), quarter (``"Q"``) or year (``"Y"``) of dated
    returns; periods without any present return are dropped (see :func:`monthly_period_returns`).
    A Series (DataFrame for 2-D returns) indexed by a ``PeriodIndex``."""
    import pandas as pd

    keys, out, one_d = _period_growth(returns, freq)
    f = _FREQ[freq]
    if f == "Y":
        index = pd.PeriodIndex([pd.Period(year=int(k) + 1970, freq="Y") for k in keys], freq="Y")
    elif f == "Q":
        index = pd.PeriodIndex([pd.Period(year=int(k) // 4 + 1970, quarter=int(k) % 4 + 1, freq="Q") for k in keys],
                               freq="Q")
    else:
        index = pd.PeriodIndex([pd.Period(year=int(k) // 12 + 1970, month=int(k) % 12 + 1, freq="M") for k in keys],
                               freq="M")
    frame = pd.DataFrame(out, index=index)
    if one_d:
        s = frame.iloc[:, 0].dropna()
        s.name = getattr(returns, "name", None)
        return s
    frame.columns = returns.columns.copy()
    return frame.dropna(how="all")


def best_year(returns):
    """Highest calendar-year compounded return (quantstats ``best(aggregate="YE")``)."""
    y = period_returns(returns, "Y")
    return float(y.max()) if _is_series(y) else y.max()


def worst_year(returns):
    """Lowest calendar-year compounded return (quantstats ``worst(aggregate="YE")``)."""
    y = period_returns(returns, "Y")
    return float(y.min()) if _is_series(y) else y.min()


def period_win_rate(returns, freq: str = "M", dates=None):
    """Share of winning months / quarters / years among those that moved (:func:`win_rate` of
    :func:`period_returns`; quantstats ``win_rate(aggregate=...)``). ``dates`` (``datetime64``) date
    the rows of an array of returns; a Series or DataFrame brings its own."""
    _, out, one_d = _period_growth(returns, freq, dates)
    return win_rate(out[:, 0] if one_d else out)


def exposure(returns):
    """Time in market: share of present periods with a non-zero return.

    quantstats ``exposure`` is the same share rounded *up* to whole percent. For a simulated
    portfolio, the share of sessions with invested weight is the better measure (see
    :func:`aibt.results.portfolio.portfolio_stats`).
    """
    r, one_d = _values(returns)
    moved = _sum((r != 0) & ~np.isnan(r)).astype(np.float64)
    return _wrap(_ratio(moved, _count(r).astype(np.float64)), returns, one_d)


#: Trailing windows of :func:`trailing_returns`: label -> (kind, months); ``None`` for since inception.
TRAILING_WINDOWS = {"MTD": ("mtd", 0), "1M": ("months", 1), "3M": ("months", 3), "6M": ("months", 6),
                    "YTD": ("ytd", 0), "1Y": ("months", 12), "3Y": ("months", 36), "ITD": ("all", 0)}


def shift_months(dates, months: int) -> np.ndarray:
    """``datetime64[ns]`` dates moved by a number of calendar months, the day of month clipped to the
    target month's length and the time of day kept (pandas ``DateOffset(months=n)``: 2024-01-31 + 1
    month is 2024-02-29; 2024-05-31 - 3 months is 2024-02-29)."""
    ns = np.asarray(dates, dtype="datetime64[ns]")
    day = ns.astype("datetime64[D]")
    tod = ns - day.astype("datetime64[ns]")
    month = day.astype("datetime64[M]")
    dom = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + int(months)
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return (target.astype("datetime64[D]") + np.minimum(dom, length - 1)).astype("datetime64[ns]") + tod


def trailing_returns(prices, dates=None) -> dict[str, float]:
    """Compounded returns over the usual trailing windows ending at the last date of a price series.

    A window ``N`` months back starts at the last close on or before ``last date - N months``
    (2026-05-07 - 3M -> the close of 2026-02-06 or the session before); MTD and YTD start at the last
    close of the previous month / year; ``ITD`` (since inception) at the first close. A window
    reaching before the first date is NaN, never a shorter window in disguise. ``prices`` is a Series
    with a DatetimeIndex, or an array with its sorted ``dates`` (``datetime64``).

    quantstats ``metrics`` compounds the returns dated on or after the cut date instead, i.e. it
    starts one session later when the cut date is a session.
    """
    if dates is None:
        pd = loaded_pandas()
        if not _is_series(prices) or not isinstance(prices.index, pd.DatetimeIndex):
            raise DataError("trailing returns need a price Series with a DatetimeIndex")
        dates = prices.index
    values = np.asarray(prices.to_numpy() if _is_series(prices) else prices, dtype=np.float64)
    idx = as_datetime64(dates)
    if idx is None or len(idx) != len(values):
        raise DataError("trailing returns need one date per price")
    keep = ~np.isnan(values)
    p, idx = values[keep], idx[keep]
    out: dict[str, float] = {}
    if len(p) == 0:
        return {k: np.nan for k in TRAILING_WINDOWS}
    last = idx[-1]
    for label, (kind, months) in TRAILING_WINDOWS.items():
        if kind == "all":
            cut = idx[0]
        elif kind == "mtd":
            cut = (last.astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D")).astype("datetime64[ns]")
        elif kind == "ytd":
            cut = (last.astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(1, "D")).astype("datetime64[ns]")
        else:
            cut = shift_months(last, -months)
        k = int(np.searchsorted(idx, cut, side="right")) - 1
        if kind == "all":
            k = 0
        if k < 0 or (kind != "all" and cut < idx[0]):
            out[label] = np.nan
        else:
            out[label] = float(p[-1] / p[k] - 1.0)
    return out


# --------------------------------------------------------------------------- against a benchmark (more)
def correlation(returns, benchmark):
    """Pearson correlation of returns with the benchmark over the periods both are present.
    NaN for fewer than 2 pairs or zero dispersion."""
    r, b, one_d = _paired(returns, benchmark)
    rd = np.where(np.isnan(r), 0.0, r - _nanmean(r))
    bd = np.where(np.isnan(b), 0.0, b - _nanmean(b))
    num = _sum(rd * bd)
    den = np.sqrt(_sum(rd * rd) * _sum(bd * bd))
    out = np.where((_count(r) >= 2) & (_nanstd(r) > 0) & (_nanstd(b) > 0), _ratio(num, den), np.nan)
    return _wrap(np.clip(out, -1.0, 1.0), returns, one_d)


def r_squared(returns, benchmark):
    """Share of variance explained by the benchmark, the squared correlation (quantstats
    ``r_squared``, from a linear regression, is the same number)."""
    c = correlation(returns, benchmark)
    return c * c


def _capture(returns, benchmark, periods_per_year, up: bool):
    r, b, one_d = _paired(returns, benchmark)
    p = _ppy(returns, periods_per_year)
    keep = (b > 0) if up else (b < 0)
    rr = np.where(keep, r, np.nan)
    bb = np.where(keep, b, np.nan)
    num = np.atleast_1d(cagr(rr, p))
    den = np.atleast_1d(cagr(bb, p))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where((den != 0) & np.isfinite(den), num / np.where(den != 0, den, 1.0), np.nan)
    return _wrap(out, returns, one_d)


def up_capture(returns, benchmark, periods_per_year: float | None = None):
    """Up-market capture: CAGR of the returns over the benchmark's up periods divided by the
    benchmark's CAGR over them (empyrical ``up_capture``). Above 1: the fund gains more than the
    index when the index rises."""
    return _capture(returns, benchmark, periods_per_year, up=True)


def down_capture(returns, benchmark, periods_per_year: float | None = None):
    """Down-market capture over the benchmark's down periods (empyrical ``down_capture``). Below 1:
    the fund loses less than the index when the index falls."""
    return _capture(returns, benchmark, periods_per_year, up=False)


def tracking_deviation(returns, benchmark) -> dict[str, float]:
    """The tracking figures Chinese ETF reports publish, over all the periods given (both present).

    With the daily tracking deviation :math:`d_t = r_t - b_t` (fund return minus index return):

    - ``mean_abs_daily_deviation``: :math:`\\overline{|d_t|}` (日均跟踪偏离度的绝对值);
    - ``daily_tracking_error``: :math:`\\mathrm{sd}_{ddof=1}(d_t)`, not annualised;
    - ``annual_tracking_error``: :math:`\\sqrt{P}\\,\\mathrm{sd}(d_t)` (年化跟踪误差, = :func:`tracking_error`);
    - ``tracking_difference``: the fund's compounded return minus the index's over the window (not
      annualised);
    - ``periods``: the number of paired periods.
    """
    r, b, one_d = _paired(returns, benchmark)
    if not one_d:
        raise DataError("tracking_deviation takes one fund and one index return series")
    p = _ppy(returns, None) if _is_pandas(returns) else None
    d = r - b
    sd = float(_nanstd(d)[0])
    return {
        "periods": int(_count(d)[0]),
        "mean_abs_daily_deviation": float(_nanmean(np.abs(d))[0]),
        "daily_tracking_error": sd,
        "annual_tracking_error": sd * np.sqrt(p) if p is not None else np.nan,
        "tracking_difference": float(np.atleast_1d(total_return(np.where(np.isnan(d), np.nan, r)))[0]
                                     - np.atleast_1d(total_return(np.where(np.isnan(d), np.nan, b)))[0]),
    }


# --------------------------------------------------------------------------- rolling, generated
def rolling(metric, window: int, *, benchmark: bool = False):
    """A rolling version of a plain metric, generated rather than rewritten (as empyrical's ``roll``).

    ``rolling(sharpe, 60)(returns, periods_per_year=...)`` evaluates ``metric`` on every window of
    ``window`` consecutive periods at once: the windows become the columns of one 2-D block
    (``sliding_window_view``), which every metric here accepts. A dated Series keeps the window's
    last date as index and its annualisation factor comes from the *whole* series' calendar.
    ``benchmark=True`` for two-series metrics (beta, tracking error): call with ``(returns, benchmark)``.
    """
    if isinstance(window, bool) or int(window) != window or window < 2:
        raise ConfigError(f"rolling window must be an integer of at least 2 periods, got {window!r}")
    window = int(window)
    import inspect

    takes_ppy = "periods_per_year" in inspect.signature(metric).parameters

    def run(returns, *args, **kwargs):
        if benchmark:
            bench, args = args[0], args[1:]
            r_arr, b_arr, _ = _paired(returns, bench)
            r_arr, b_arr = r_arr[:, 0], b_arr[:, 0]
        else:
            r_arr = _values(returns)[0][:, 0]
        if takes_ppy and kwargs.get("periods_per_year") is None:
            kwargs["periods_per_year"] = _ppy(returns, None)
        n = len(r_arr)
        if n < window:
            vals = np.zeros(0)
        else:
            blk = np.lib.stride_tricks.sliding_window_view(r_arr, window).T
            if benchmark:
                bblk = np.lib.stride_tricks.sliding_window_view(b_arr, window).T
                vals = np.asarray(metric(blk, bblk, *args, **kwargs), dtype=np.float64)
            else:
                vals = np.asarray(metric(blk, *args, **kwargs), dtype=np.float64)
        if _is_series(returns):
            import pandas as pd

            return pd.Series(vals, index=returns.index[window - 1:] if n >= window else returns.index[:0],
                             name=f"{metric.__name__}_{window}")
        return vals

    run.__name__ = f"roll_{metric.__name__}"
    run.__doc__ = f"Rolling {metric.__name__} over {window} periods (generated by :func:`rolling`)."
    return run


def roll_sharpe(returns, window: int, risk_free: float = 0.0, periods_per_year: float | None = None):
    """Rolling Sharpe ratio: :func:`sharpe` on each window (via :func:`rolling`)."""
    return rolling(sharpe, window)(returns, risk_free, periods_per_year=periods_per_year)


def roll_volatility(returns, window: int, periods_per_year: float | None = None):
    """Rolling annualised volatility: :func:`annual_volatility` on each window (via :func:`rolling`)."""
    return rolling(annual_volatility, window)(returns, periods_per_year=periods_per_year)


def roll_beta(returns, benchmark, window: int):
    """Rolling beta: :func:`beta` on each window (via :func:`rolling`)."""
    return rolling(beta, window, benchmark=True)(returns, benchmark)


def roll_tracking_error(returns, benchmark, window: int, periods_per_year: float | None = None):
    """Rolling annualised tracking error: :func:`tracking_error` on each window (via :func:`rolling`)."""
    return rolling(tracking_error, window, benchmark=True)(returns, benchmark, periods_per_year=periods_per_year)
