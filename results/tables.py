"""Tables from one price (or NAV / wealth) series: drawdown episodes, monthly returns, holding periods.

Each table is computed once, on arrays (:func:`drawdown_episodes`, :func:`month_returns`,
:func:`holding_windows`, :func:`profit_summary`: float64 prices and their sorted ``datetime64[ns]``
dates); the pandas functions (:func:`drawdown_table`, :func:`monthly_returns`, ...) take a ``pd.Series``
of positive prices on a sorted, unique ``DatetimeIndex`` (session closes) and shape the same results as
Series and DataFrames. :func:`aibt.results.stats_report.validate_prices` checks user data. Returns are
fractions, never percents. Inputs are never modified.
"""
from __future__ import annotations

import numpy as np

from aibt.data.annualise import as_datetime64, loaded_pandas
from aibt.errors import ConfigError, DataError
from aibt.results.metrics import group_products, shift_months

__all__ = [
    "drawdown_table", "monthly_returns", "monthly_returns_table", "best_month",
    "holding_period_returns", "profit_probability", "drifted_weights", "top_weight",
    "drawdown_episodes", "month_returns", "holding_windows", "profit_summary", "best_of_months",
]

DRAWDOWN_COLUMNS = [
    "peak", "trough", "recovery", "recovered", "depth",
    "sessions_peak_to_trough", "sessions_peak_to_recovery", "sessions_underwater",
]


def _prices(prices) -> tuple[np.ndarray, np.ndarray]:
    """(float64 copy of the prices, their ``datetime64[ns]`` dates) of a Series with a DatetimeIndex."""
    pd = loaded_pandas()
    if pd is None or not isinstance(prices, pd.Series) or not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError("prices must be a pandas Series with a DatetimeIndex of session dates")
    return prices.to_numpy(dtype=np.float64, na_value=np.nan, copy=True), as_datetime64(prices.index)


# --------------------------------------------------------------------------- array cores
# Each table is computed once, on arrays: ``p`` (float64 prices) and ``dates`` (sorted ``datetime64[ns]``).
# The pandas functions further down are adapters that shape these results as Series and DataFrames.
def drawdown_episodes(p: np.ndarray, dates: np.ndarray, top: int | None = None) -> list[dict]:
    """The rows of :func:`drawdown_table` as dicts (dates as ``datetime64[ns]``, ``recovery`` and
    ``sessions_peak_to_recovery`` None when not recovered), deepest first."""
    n = len(p)
    peak_val = np.maximum.accumulate(p) if n else p
    under = p < peak_val
    rows = []
    i = 0
    while i < n:
        if not under[i]:
            i += 1
            continue
        start = i
        while i < n and under[i]:
            i += 1
        end = i - 1  # last row under water
        peak = start - 1  # p[start-1] equals the running max (not under water)
        trough = start + int(np.argmin(p[start:end + 1]))
        recovered = i < n
        recovery = i if recovered else None
        rows.append({
            "peak": dates[peak],
            "trough": dates[trough],
            "recovery": dates[recovery] if recovered else None,
            "recovered": recovered,
            "depth": float(p[trough] / p[peak] - 1.0),
            "sessions_peak_to_trough": trough - peak,
            "sessions_peak_to_recovery": (recovery - peak) if recovered else None,
            "sessions_underwater": (recovery if recovered else n - 1) - peak,
        })
    rows.sort(key=lambda r: (r["depth"], r["peak"]))  # stable: ties keep their order, as a mergesort
    return rows if top is None else rows[: int(top)]


def month_returns(p: np.ndarray, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(months as ``datetime64[M]``, the return of each) of :func:`monthly_returns`."""
    if len(p) == 0:
        return np.zeros(0, dtype="datetime64[M]"), np.zeros(0)
    months = dates.astype("datetime64[M]")
    order = np.argsort(months, kind="stable")
    m, v = months[order], p[order]
    starts = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
    ends = np.r_[starts[1:], len(m)]
    last = np.full(len(starts), np.nan)
    for g, (a, b) in enumerate(zip(starts, ends)):  # the last present close of each month
        ok = np.flatnonzero(~np.isnan(v[a:b]))
        if len(ok):
            last[g] = v[a + ok[-1]]
    base = np.r_[p[0], last[:-1]]
    months_out, r = m[starts], last / base - 1.0
    if np.count_nonzero(~np.isnan(v[starts[0]:ends[0]])) == 1 and len(starts):
        # the first month holds only the first close (a series starting on a month's last session, e.g.
        # an index's base date): no return was earned in it, so it is no month of the table (as
        # metrics.period_returns drops periods without a return), not a 0% month
        months_out, r = months_out[1:], r[1:]
    return months_out, r


def best_of_months(months: np.ndarray, r: np.ndarray) -> dict:
    """``{"month": "YYYY-MM", "return": r}`` of the best month (the first one on a tie)."""
    if len(r) == 0:
        raise DataError("no monthly returns: the price series needs closes in two months, or two closes in one")
    k = int(np.argmax(r))
    return {"month": str(months[k]), "return": float(r[k])}


def holding_windows(dates: np.ndarray, months: int | None = None,
                    sessions: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(start rows, end rows) of the windows of :func:`holding_period_returns`."""
    kind, n = _check_period(months, sessions)
    t = len(dates)
    if kind == "sessions":
        start = np.arange(max(t - n, 0))
        return start, start + n
    targets = shift_months(dates, n)
    end_all = np.searchsorted(dates, targets, side="right") - 1
    ok = (targets <= dates[-1]) if t else np.zeros(0, dtype=bool)
    start = np.flatnonzero(ok & (end_all > np.arange(t)))
    return start, end_all[start]


def profit_summary(p: np.ndarray, dates: np.ndarray, months: int | None = None,
                   sessions: int | None = None) -> dict:
    """:func:`profit_probability` on arrays; the windows' dates are ``datetime64[ns]``."""
    kind, n = _check_period(months, sessions)
    start, end = holding_windows(dates, months=months, sessions=sessions)
    r = p[end] / p[start] - 1.0
    label = f"{n}M" if kind == "months" else f"{n}D"
    if len(r) == 0:
        return {"period": label, "probability": np.nan, "windows": 0, "min": np.nan, "median": np.nan,
                "max": np.nan, "mean": np.nan, "first_window": None, "last_window": None}
    return {
        "period": label,
        "probability": float(np.mean(r > 0)),
        "windows": int(len(r)),
        "min": float(np.min(r)),
        "median": float(np.median(r)),
        "max": float(np.max(r)),
        "mean": float(np.mean(r)),
        "first_window": {"start": dates[start[0]], "end": dates[end[0]]},
        "last_window": {"start": dates[start[-1]], "end": dates[end[-1]]},
    }


# --------------------------------------------------------------------------- drawdowns
def drawdown_table(prices, top: int | None = None):
    """Every drawdown episode, deepest first.

    An episode starts at a *peak* (a close equal to the running maximum :math:`M_t = \\max_{s \\le t}
    p_s`) followed by a close below it, and ends at the *recovery*: the first later close with
    :math:`p_t \\ge M` (back to the old high, not above it). Then

    .. math:: \\text{depth} = \\frac{\\min_{peak < t < recovery} p_t}{p_{peak}} - 1 \\; (< 0)

    Parameters
    ----------
    prices : Series
        Positive closes on a sorted DatetimeIndex. The first close is the first peak.
    top : int, optional
        Keep only the ``top`` deepest episodes.

    Returns
    -------
    DataFrame with columns
        ``peak``, ``trough`` (first date of the lowest close), ``recovery`` (date, ``NaT`` when the
        series ends under water), ``recovered`` (bool), ``depth`` (negative fraction),
        ``sessions_peak_to_trough``, ``sessions_peak_to_recovery`` (rows of the series from peak to
        recovery; ``<NA>`` if not recovered), ``sessions_underwater`` (peak to recovery, or to the
        last row if not recovered). Sorted by depth (deepest first), ties by peak date
        (:func:`drawdown_episodes`).

    Notes
    -----
    Lengths count rows (sessions), not calendar days. quantstats' ``drawdown_details`` reports the
    same episodes with ``start`` = the session after the peak, ``valley`` = our trough and ``end`` =
    the last session under water (the one before our recovery, or the last row).
    """
    import pandas as pd

    p, idx = _prices(prices)
    rows = [{**r, "recovery": pd.NaT if r["recovery"] is None else r["recovery"],
             "sessions_peak_to_recovery": pd.NA if r["sessions_peak_to_recovery"] is None
             else r["sessions_peak_to_recovery"]} for r in drawdown_episodes(p, idx, top)]
    out = pd.DataFrame(rows, columns=DRAWDOWN_COLUMNS)
    out = out.astype({
        "recovered": bool, "depth": np.float64, "sessions_peak_to_trough": np.int64,
        "sessions_peak_to_recovery": "Int64", "sessions_underwater": np.int64,
    })
    out["peak"] = pd.to_datetime(out["peak"])
    out["trough"] = pd.to_datetime(out["trough"])
    out["recovery"] = pd.to_datetime(out["recovery"])
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- monthly returns
def monthly_returns(prices):
    """Return of each calendar month, from month-end closes.

    .. math:: R_m = \\frac{p_{\\text{last session of } m}}{p_{\\text{last session of } m-1}} - 1

    The first month is measured from the first close: :math:`R_{m_0} = p_{\\text{last of } m_0} /
    p_{\\text{first}} - 1`, so a series starting mid-month gets a partial first month (and a series
    ending mid-month a partial last month). A month without any close (a gap in the data) is absent
    and the next month is measured from the last close before it (:func:`month_returns`).

    Returns
    -------
    Series indexed by a monthly ``PeriodIndex``.
    """
    import pandas as pd

    p, idx = _prices(prices)
    months, r = month_returns(p, idx)
    index = pd.DatetimeIndex(months.astype("datetime64[ns]")).to_period("M")
    return pd.Series(r, index=index, name=prices.name)


def monthly_returns_table(prices):
    """Year x month (1..12) table of monthly returns with the year's compounded ``total``.

    .. math:: \\text{total}_y = \\prod_{m \\in y} (1 + R_m) - 1 = \\frac{p_{\\text{last of } y}}
              {p_{\\text{last of } y-1} \\text{ (or the first close)}} - 1

    Months outside the data are NaN. Columns are the integers 1..12 then ``"total"``; the index is the
    year (int).
    """
    import pandas as pd

    mr = monthly_returns(prices)
    years = mr.index.year
    table = pd.DataFrame(np.nan, index=pd.Index(sorted(set(years)), name="year"),
                         columns=list(range(1, 13)), dtype=np.float64)
    for per, r in mr.items():
        table.loc[per.year, per.month] = r
    ykeys, prod = group_products(np.asarray(years, dtype=np.int64), 1.0 + mr.to_numpy())
    total = pd.Series(prod - 1.0, index=ykeys)
    table["total"] = total.reindex(table.index).to_numpy()
    return table


def best_month(prices) -> dict:
    """The best calendar month: ``{"month": "YYYY-MM", "return": r}`` (first one on a tie)."""
    p, idx = _prices(prices)
    return best_of_months(*month_returns(p, idx))


# --------------------------------------------------------------------------- holding periods
def _check_period(months: int | None, sessions: int | None) -> tuple[str, int]:
    if (months is None) == (sessions is None):
        raise ConfigError("give exactly one holding period: months=N or sessions=N")
    kind, n = ("months", months) if months is not None else ("sessions", sessions)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"holding period {kind} must be a positive integer, got {n!r}")
    return kind, int(n)


def holding_period_returns(prices, months: int | None = None, sessions: int | None = None):
    """Return of buying at every close and selling a fixed holding period later.

    Windows
    -------
    A window starts at each session :math:`d_i` (buy at its close).

    - ``sessions=N``: it ends N rows later, :math:`d_{i+N}`; windows need :math:`i + N \\le T - 1`,
      so there are :math:`\\max(T - N, 0)` of them.
    - ``months=N`` (calendar months): the target is :math:`d_i + N` months, the day of month clipped to
      the month's length (2024-01-31 + 1M -> 2024-02-29; 2023-03-31 + 1M -> 2023-04-30); the window
      ends at the last session on or before the target. Only windows whose target lies inside the
      data (target <= last date) count, so a window never ends early because the data stop. A
      window whose end would be its own start (a data gap longer than N months) is dropped.

    .. math:: R_i = \\frac{p_{end(i)}}{p_{d_i}} - 1

    Returns
    -------
    DataFrame with columns ``start``, ``end`` (Timestamps) and ``return``, one row per window in
    start order (empty when the data are too short; :func:`holding_windows`).
    """
    import pandas as pd

    _check_period(months, sessions)
    p, idx = _prices(prices)
    start, end = holding_windows(idx, months=months, sessions=sessions)
    dates = pd.DatetimeIndex(idx)
    return pd.DataFrame({
        "start": dates[start],
        "end": dates[end],
        "return": p[end] / p[start] - 1.0,
    })


def profit_probability(prices, months: int | None = None, sessions: int | None = None) -> dict:
    """Probability of a profit when holding for a fixed period, over all windows in the data.

    .. math:: \\Pr = \\frac{\\#\\{i : R_i > 0\\}}{W}

    with the windows and :math:`R_i` of :func:`holding_period_returns` (a flat window, :math:`R_i =
    0`, is not a profit). Overlapping windows are all counted, so they are not independent draws.

    Returns
    -------
    dict
        ``period`` (``"6M"`` or ``"20D"``), ``probability``, ``windows`` (W), ``min``, ``median``,
        ``max``, ``mean`` of the window returns, ``first_window`` and ``last_window`` as
        ``{"start": Timestamp, "end": Timestamp}``. With no window: ``windows`` 0, NaN statistics and
        ``None`` windows (:func:`profit_summary`).
    """
    import pandas as pd

    _check_period(months, sessions)
    p, idx = _prices(prices)
    out = profit_summary(p, idx, months=months, sessions=sessions)
    for k in ("first_window", "last_window"):
        if out[k] is not None:
            out[k] = {e: pd.Timestamp(v) for e, v in out[k].items()}
    return out


# --------------------------------------------------------------------------- index concentration
def drifted_weights(weights: pd.Series, prices: pd.DataFrame, effective_date, date) -> pd.DataFrame:
    """Index weights on ``date``, drifted by prices since the review that set them.

    A review's weights :math:`w_i` hold at the close before its first effective session :math:`t_0`
    (the index rebalances there); on a later close :math:`t`

    .. math:: w_i(t) = \\frac{w_i\\, p_{i,t} / p_{i,t_0 - 1}}{\\sum_j w_j\\, p_{j,t} / p_{j,t_0 - 1}}

    with adjusted closes :math:`p` (a suspended name keeps its last close).

    Parameters
    ----------
    weights : Series
        Review weights by code (summing to 1).
    prices : DataFrame
        Adjusted closes, sessions x codes, covering the session before ``effective_date`` to ``date``.
    effective_date, date : date-like
        The review's effective date and the date to measure (on or after it).

    Returns
    -------
    DataFrame indexed by code, sorted by drifted weight (largest first; ties by code): ``review_weight``,
    ``weight`` (drifted), ``price_change`` (since the rebalancing close), ``rank``.

    Raises
    ------
    DataError
        ``date`` before the effective date, no session before it, or a constituent without a price.
    """
    import pandas as pd

    w = pd.Series(weights, dtype=np.float64)
    eff, day = pd.Timestamp(effective_date), pd.Timestamp(date)
    if day < eff:
        raise DataError(f"date {day.date()} is before the review's effective date {eff.date()}")
    missing = sorted(set(w.index) - set(prices.columns))
    if missing:
        raise DataError(f"no prices for constituent(s) {missing}")
    px = prices[list(w.index)].ffill()
    idx = pd.DatetimeIndex(px.index)
    t0 = idx.searchsorted(eff)  # first session on/after the effective date
    t = idx.searchsorted(day, side="right") - 1  # last session on/before the date
    if t0 == 0:
        raise DataError(f"no session before the effective date {eff.date()} in the prices")
    if t < t0 - 1:
        raise DataError(f"no session between {eff.date()} and {day.date()}")
    base, now = px.iloc[t0 - 1].to_numpy(), px.iloc[t].to_numpy()
    bad = [c for c, b, n in zip(w.index, base, now) if not (np.isfinite(b) and np.isfinite(n))]
    if bad:
        raise DataError(f"constituent(s) {bad} have no price at {idx[t0 - 1].date()} or {idx[t].date()}")
    from aibt.strategies.index_reconstruction import drifted_weights as drift

    rows = pd.DataFrame({"effective_date": eff, "code": list(w.index), "weight": w.to_numpy()})
    weight = drift(rows, px, idx[t]).to_numpy()  # the one drift formula; every price checked above
    out = pd.DataFrame({"review_weight": w.to_numpy(), "weight": weight, "price_change": now / base - 1.0},
                       index=pd.Index([str(c) for c in w.index], name="code"))
    out = out.iloc[np.lexsort((out.index.to_numpy(), -out["weight"].to_numpy()))]
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["as_of"] = idx[t]
    out.attrs["rebalance_close"] = idx[t0 - 1]
    return out


def top_weight(weights: pd.Series | pd.DataFrame, n: int = 10) -> float:
    """Sum of the ``n`` largest weights (a Series of weights, or :func:`drifted_weights`' frame)."""
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ConfigError(f"top must be a positive integer, got {n!r}")
    import pandas as pd

    w = weights["weight"] if isinstance(weights, pd.DataFrame) else pd.Series(weights, dtype=np.float64)
    return float(np.sort(w.to_numpy(dtype=np.float64))[::-1][: int(n)].sum())
