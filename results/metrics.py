"""Performance metrics: one pure function per metric, in the style of empyrical's ``stats.py``.

Conventions shared by every function
------------------------------------
- ``returns`` are simple, non-cumulative period returns :math:`r_t` (0.01 = +1 %), fractions not
  percents. Accepted containers: 1-D ``ndarray`` / ``Series`` (one portfolio -> ``float``), 2-D
  ``ndarray`` (columns are portfolios -> ``ndarray``), ``DataFrame`` (columns are portfolios ->
  ``Series`` indexed by the columns). The numbers do not depend on the container.
- NaN is a missing observation and is skipped: sums, means and deviations use the present values only,
  compounding treats a missing period as flat. :math:`n` below is the number of present values.
  A result that is undefined (too few observations, zero dispersion) is NaN.
- Inputs are never modified.
- ``periods_per_year`` (:math:`P`) is explicit or derived by
  :func:`aibt.results.periods.annualization_factor`: mean XSHG sessions per year for a dated
  ``Series``/``DataFrame``, 252 only for a non-dated array.
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
import pandas as pd

from aibt.errors import ConfigError, DataError
from aibt.results.periods import annualization_factor

__all__ = [
    "total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "drawdown_series",
    "calmar", "best_day", "worst_day", "monthly_period_returns", "best_month", "worst_month", "win_rate",
    "tracking_error", "tracking_difference", "information_ratio", "beta", "alpha",
    "traded_value", "turnover", "costs_paid", "cost_drag",
]


# --------------------------------------------------------------------------- containers
def _values(x: Any, name: str = "returns") -> tuple[np.ndarray, bool]:
    """A float64 2-D copy of ``x`` (one column per portfolio) and whether the input was 1-D."""
    if isinstance(x, (pd.Series, pd.DataFrame)):
        try:
            arr = x.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        except (TypeError, ValueError):
            raise DataError(f"{name} must be numeric; got values of dtype {getattr(x, 'dtype', 'mixed')}") from None
    else:
        try:
            arr = np.array(x, dtype=np.float64, copy=True)
        except (TypeError, ValueError):
            raise DataError(f"{name} must be numeric, got {type(x).__name__}") from None
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
    if isinstance(like, pd.DataFrame):
        return pd.Series(out, index=like.columns.copy(), dtype=np.float64)
    return out


def _ppy(x: Any, periods_per_year: float | None) -> float:
    return annualization_factor(x if isinstance(x, (pd.Series, pd.DataFrame)) else None, periods_per_year)


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
    all present values are equal (no floating residue)."""
    n = _count(a)
    m = _nanmean(a)
    dev = np.where(np.isnan(a), 0.0, a - m)
    ss = _sum(dev * dev)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / (n - ddof))
    constant = np.nanmax(np.where(np.isnan(a), -np.inf, a), axis=0) == np.nanmin(np.where(np.isnan(a), np.inf, a), axis=0)
    sd = np.where(constant & (n > ddof), 0.0, sd)
    return np.where(n > ddof, sd, np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with NaN where den is 0 or NaN (a ratio to zero risk is undefined, not infinite)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((den > 0) & np.isfinite(den), num / np.where(den > 0, den, 1.0), np.nan)


def _paired(returns: Any, benchmark: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Align returns [T, K] with a benchmark [T] or [T, K]; NaN both where either is missing."""
    if isinstance(returns, (pd.Series, pd.DataFrame)) and isinstance(benchmark, (pd.Series, pd.DataFrame)):
        bench = benchmark
        if isinstance(bench, pd.DataFrame) and isinstance(returns, pd.DataFrame):
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
    n = _count(r)
    wealth = _prod(np.where(np.isnan(r), 1.0, 1.0 + r))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(wealth > 0, np.power(np.maximum(wealth, 0.0), p / np.maximum(n, 1)) - 1.0, -1.0)
    out = np.where(n > 0, out, np.nan)
    return _wrap(out, returns, one_d)


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
    if isinstance(returns, pd.Series):
        return pd.Series(dd[:, 0], index=returns.index.copy(), name=returns.name)
    if isinstance(returns, pd.DataFrame):
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
    out = np.min(dd, axis=0)
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
    out = np.where(_count(r) > 0, np.max(np.where(np.isnan(r), -np.inf, r), axis=0), np.nan)
    return _wrap(out, returns, one_d)


def worst_day(returns):
    """Lowest single-period return, :math:`\\min_t r_t` (quantstats ``worst``). NaN if none present."""
    r, one_d = _values(returns)
    out = np.where(_count(r) > 0, np.min(np.where(np.isnan(r), np.inf, r), axis=0), np.nan)
    return _wrap(out, returns, one_d)


def monthly_period_returns(returns):
    """Compounded return of each calendar month of a dated return series.

    .. math:: R_m = \\prod_{t \\in m} (1 + r_t) - 1

    Returns a Series (or DataFrame, one column per portfolio) indexed by a monthly ``PeriodIndex``.
    Months without any present return are dropped. Requires a ``DatetimeIndex``.
    """
    if not isinstance(returns, (pd.Series, pd.DataFrame)) or not isinstance(returns.index, pd.DatetimeIndex):
        raise DataError("monthly returns need dated returns: a Series or DataFrame with a DatetimeIndex")
    r, one_d = _values(returns)
    months = returns.index.to_period("M")
    growth = pd.DataFrame(np.where(np.isnan(r), 1.0, 1.0 + r), index=months)
    present = pd.DataFrame(~np.isnan(r), index=months)
    out = growth.groupby(level=0).prod() - 1.0
    has = present.groupby(level=0).any()
    out = out.where(has)
    if one_d:
        s = out.iloc[:, 0].dropna()
        s.name = getattr(returns, "name", None)
        return s
    out.columns = returns.columns.copy()
    return out.dropna(how="all")


def best_month(returns):
    """Highest calendar-month compounded return (quantstats ``best(aggregate="ME")``)."""
    m = monthly_period_returns(returns)
    return float(m.max()) if isinstance(m, pd.Series) else m.max()


def worst_month(returns):
    """Lowest calendar-month compounded return (quantstats ``worst(aggregate="ME")``)."""
    m = monthly_period_returns(returns)
    return float(m.min()) if isinstance(m, pd.Series) else m.min()


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
    p = _ppy(traded if isinstance(traded, (pd.Series, pd.DataFrame)) else equity, periods_per_year)
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
    p = _ppy(costs if isinstance(costs, (pd.Series, pd.DataFrame)) else equity, periods_per_year)
    n = _count(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n > 0, _nansum(c) / _nanmean(e) * p / np.maximum(n, 1), np.nan)
    return _wrap(out, costs, one_d)
