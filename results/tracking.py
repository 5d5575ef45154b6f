"""How well an ETF follows an index: tracking statistics and the decomposition of the gap (measurement only).

- :func:`tracking_report`: correlation of daily returns, annualised tracking error, annualised tracking
  difference and beta of one ETF against an index level over the dates where both exist;
- :func:`peer_table`: the same for several ETFs against one level;
- :func:`gap_decomposition`: returns of the simulated fund's steps (:func:`aibt.strategies.tracking.simulate_tracking_etf`)
  and the gaps between them (replication, fees, cash drag, trading costs, residual).

Definitions (daily simple returns over the common dates, :math:`P` = mean XSHG sessions per year over the
years spanned, :func:`aibt.results.periods.annualization_factor`):

- correlation: Pearson correlation of :math:`r^{etf}_t` and :math:`r^{idx}_t`;
- tracking_error_annual: :math:`\\sqrt{P}\\,\\mathrm{sd}(r^{etf} - r^{idx})`
  (:func:`aibt.results.metrics.tracking_error`);
- tracking_difference_annual: annualised ETF return minus annualised index return,
  :math:`\\mathrm{CAGR}(r^{etf}) - \\mathrm{CAGR}(r^{idx})` (:func:`aibt.results.metrics.tracking_difference`);
- beta: :math:`\\mathrm{cov}(r^{etf}, r^{idx}) / \\mathrm{var}(r^{idx})` (:func:`aibt.results.metrics.beta`).

ETF prices are split-adjusted closes, market prices, not NAVs (no NAV history exists offline): premiums and
discounts are part of the measured gap.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from aibt.errors import ConfigError, DataError
from aibt.results import metrics
from aibt.results.periods import annualization_factor

MIN_DAYS = 3


def aligned_levels(etf_close: pd.Series, index_level: pd.Series, start=None, end=None) -> pd.DataFrame:
    """The two level series on the dates in ``[start, end]`` where both have a positive value.

    Returns
    -------
    DataFrame with columns ``index`` and ``etf`` on a DatetimeIndex named ``date``.

    Raises
    ------
    DataError
        Fewer than 3 common dates (2 returns), or dates that are not sorted and unique.
    """
    series = {}
    for name, s in (("index", index_level), ("etf", etf_close)):
        s = pd.Series(s, dtype=np.float64, copy=True)
        s.index = pd.DatetimeIndex(pd.to_datetime(s.index))
        if s.index.has_duplicates or not s.index.is_monotonic_increasing:
            raise DataError(f"the {name} series has unsorted or duplicate dates")
        series[name] = s[s > 0]
    both = pd.concat(series, axis=1, join="inner").dropna()
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) if end is not None else None
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"start {lo.date()} is after end {hi.date()}")
    both = both.loc[lo:hi]
    if len(both) < MIN_DAYS:
        where = f" between {lo.date() if lo is not None else 'the start'} and {hi.date() if hi is not None else 'the end'}"
        raise DataError(f"the ETF and the index have {len(both)} common date(s){where}; at least {MIN_DAYS} "
                        "are needed")
    both.index.name = "date"
    return both


def tracking_report(etf_close: pd.Series, index_level: pd.Series, start=None, end=None,
                    periods_per_year: float | None = None) -> dict:
    """Tracking statistics of an ETF price series against an index level series.

    Parameters
    ----------
    etf_close : Series of ETF closes (split-adjusted) on dates.
    index_level : Series of index levels on dates.
    start, end : date-like, optional
        Inclusive bounds; default all common dates.
    periods_per_year : float, optional
        Annualisation; default the mean XSHG sessions per year over the years spanned.

    Returns
    -------
    dict
        ``correlation``, ``tracking_error_annual``, ``tracking_difference_annual``, ``beta`` (fractions, see the
        module definitions), ``etf_return``, ``index_return`` (total over the period), ``n_days`` (number of
        daily return pairs), ``start``, ``end`` (first and last common date, ``YYYY-MM-DD``) and
        ``periods_per_year``.
    """
    both = aligned_levels(etf_close, index_level, start, end)
    r = both.pct_change().iloc[1:]
    p = annualization_factor(r, periods_per_year)
    re, ri = r["etf"], r["index"]
    return {
        "correlation": float(metrics.correlation(re, ri)),
        "tracking_error_annual": float(metrics.tracking_error(re, ri, p)),
        "tracking_difference_annual": float(metrics.tracking_difference(re, ri, p)),
        "beta": float(metrics.beta(re, ri)),
        "etf_return": float(both["etf"].iloc[-1] / both["etf"].iloc[0] - 1.0),
        "index_return": float(both["index"].iloc[-1] / both["index"].iloc[0] - 1.0),
        "n_days": int(len(r)),
        "start": str(both.index[0].date()),
        "end": str(both.index[-1].date()),
        "periods_per_year": float(p),
    }


def reconstruction_vs_official(rebuilt: pd.Series, official: pd.Series, start=None, end=None,
                               periods_per_year: float | None = None) -> dict:
    """How the rebuilt index follows the official one: correlation, tracking error and difference."""
    r = tracking_report(rebuilt, official, start, end, periods_per_year)
    return {k: r[k] for k in ("correlation", "tracking_error_annual", "tracking_difference_annual", "beta",
                              "n_days", "start", "end")}


def peer_table(closes: Mapping[str, pd.Series], index_level: pd.Series, start=None, end=None) -> pd.DataFrame:
    """Tracking statistics of several ETFs against the same index level.

    Parameters
    ----------
    closes : ETF code -> split-adjusted closes. Each is measured over its own dates inside ``[start, end]``;
        an ETF with fewer than 3 common dates there is left out (listed after the window).
    index_level : the index level (e.g. the rebuilt 950180).

    Returns
    -------
    DataFrame, one row per ETF: ``code, manager, index_status, fee, fee_status, start, end, n_days, correlation,
    tracking_error_annual, tracking_difference_annual, beta, etf_return, index_return``.
    """
    from aibt.universes.etfs import etf_info

    rows = []
    for code, close in closes.items():
        try:
            rep = tracking_report(close, index_level, start, end)
        except DataError:
            continue  # listed after the window: nothing to measure
        info = etf_info(code)
        rows.append({"code": str(code), "manager": info.manager, "index_status": info.index_status,
                     "fee": info.total_fee, "fee_status": info.fee_status, **{k: rep[k] for k in (
                         "start", "end", "n_days", "correlation", "tracking_error_annual",
                         "tracking_difference_annual", "beta", "etf_return", "index_return")}})
    return pd.DataFrame(rows)


#: decomposition rows: (name, kind) with kind "return" (a level's return) or (a, b) (gap b - a)
_STEPS = (
    ("index", "index"),
    ("replication", ("index", "basket")),
    ("fees", ("basket", "fees")),
    ("cash_drag", ("fees", "buffered")),
    ("trading_costs", ("buffered", "nav")),
    ("simulated_nav", "nav"),
    ("residual", ("nav", "etf")),
    ("etf", "etf"),
)


def gap_decomposition(daily: pd.DataFrame, periods_per_year: float | None = None) -> pd.DataFrame:
    """Returns of the levels ``index, basket, fees, buffered, nav, etf`` and the gaps between consecutive ones.

    Parameters
    ----------
    daily : DataFrame of those six level columns on dated sessions (no NaN).
    periods_per_year : annualisation for the CAGR column (default from the XSHG calendar).

    Returns
    -------
    DataFrame indexed by ``component`` (index, replication, fees, cash_drag, trading_costs, simulated_nav,
    residual, etf) with ``total_return``, ``annualised`` (CAGR) and ``log_annual`` (log return per year,
    years = return days / periods per year); the gap rows sum to ``etf - index`` in every column. In log terms
    a fee of ``f`` a year shows as about ``-f``; in CAGR terms as about ``-f x (1 + index CAGR)``.
    """
    r = daily.pct_change().iloc[1:]
    p = annualization_factor(r, periods_per_year)
    years = len(r) / p
    total = {c: float(daily[c].iloc[-1] / daily[c].iloc[0] - 1.0) for c in daily.columns}
    ann = {c: float(metrics.cagr(r[c], p)) for c in daily.columns}
    log = {c: float(np.log1p(total[c]) / years) for c in daily.columns}
    rows = []
    for name, kind in _STEPS:
        a, b = (None, kind) if isinstance(kind, str) else kind
        rows.append((name, *(v[b] - (v[a] if a else 0.0) for v in (total, ann, log))))
    return pd.DataFrame(rows, columns=["component", "total_return", "annualised", "log_annual"]).set_index("component")


def explain_simulation(sim):
    """``sim`` (:class:`aibt.strategies.tracking.TrackingSimulation`) with its gap decomposition and the
    simulated NAV's tracking statistics against the index (``summary["simulated"]``) filled in."""
    from dataclasses import replace

    decomposition = gap_decomposition(sim.daily)
    simulated = {k: v for k, v in tracking_report(sim.daily["nav"], sim.daily["index"]).items()
                 if k in ("correlation", "tracking_error_annual", "tracking_difference_annual", "beta")}
    return replace(sim, decomposition=decomposition, summary={**sim.summary, "simulated": simulated})
