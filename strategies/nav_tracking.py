"""Tracking on the fund's NAV, the premium/discount, and the official index levels when the data have them.

An ETF's market price ``P`` differs from its net asset value ``N`` by the premium ``P/N - 1``. Per day,
in log returns against the index ``I``::

    log(P_t/P_t-1) - log(I_t/I_t-1)  =  [log(N_t/N_t-1) - log(I_t/I_t-1)]  +  [log(1+prem_t) - log(1+prem_t-1)]
       market-price tracking gap            NAV tracking gap (the fund)          change of the premium

so the market-price gap splits exactly into the fund's tracking (fees, costs, cash, sampling: what the
fund reports as its tracking error) and the exchange's premium/discount. Tracking error (annualised
standard deviation of the daily gap, as :mod:`aibt.results.metrics`) splits as
``TE_market^2 = TE_nav^2 + TE_premium^2 + 2 cov``. The fund reports NAV on the traded basis (halved by
a 1:2 split); both ``P`` and ``N`` here are on the split-adjusted basis of the bars (``N / adj_factor``),
the premium ``traded close / NAV`` is the same on either basis.

:func:`nav_tracking` and :func:`weights_vs_official` take series and frames and return them; the
data in use (``--data-dir``) are read by :func:`aibt.tracking.add_store_data` (called at the end of
:func:`aibt.tracking.track_star_ai`), which leaves the report unchanged when they have no official levels or NAV;
:func:`aibt.results.tracking.reconstruction_vs_official` measures the rebuilt index against the official one.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.data.annualise import periods_per_year as _periods_per_year
from aibt.errors import DataError

MIN_DAYS = 3


def _aligned(series: dict[str, pd.Series], start=None, end=None) -> pd.DataFrame:
    parts = {}
    for name, s in series.items():
        s = pd.Series(s, dtype=np.float64, copy=True)
        s.index = pd.DatetimeIndex(pd.to_datetime(s.index))
        parts[name] = s[s > 0]
    both = pd.concat(parts, axis=1, join="inner").dropna().sort_index()
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) if end is not None else None
    both = both.loc[lo:hi]
    if len(both) < MIN_DAYS:
        raise DataError(f"{', '.join(series)} have {len(both)} common date(s); at least {MIN_DAYS} are needed")
    both.index.name = "date"
    return both


def nav_tracking(price: pd.Series, nav: pd.Series, index_level: pd.Series, start=None, end=None,
                 periods_per_year: float | None = None) -> tuple[pd.DataFrame, dict]:
    """Market-price tracking split into NAV tracking and premium/discount (see the module docstring).

    Parameters
    ----------
    price : ETF closes (split-adjusted); nav : NAV per unit on the same basis; index_level : index levels.

    Returns
    -------
    daily : DataFrame ``price, nav, index, premium`` on the common dates.
    summary : dict with ``n_days``, ``start``, ``end``, ``periods_per_year``; ``premium`` (``mean, median, min,
        max, last, std``: fractions; ``days_at_premium``, ``days_at_discount``); per component ``market``,
        ``nav``, ``premium_change``: ``tracking_error_annual`` and ``log_gap_annual`` (mean daily log gap x
        periods); ``covariance_annual`` (2 cov of the NAV gap and the premium change, annualised) and
        ``identity_error`` (max |market gap - nav gap - premium change|, should be ~1e-16).
    """
    both = _aligned({"price": price, "nav": nav, "index": index_level}, start, end)
    lp, ln, li = (np.log(both[c].to_numpy()) for c in ("price", "nav", "index"))
    g_market = np.diff(lp) - np.diff(li)
    g_nav = np.diff(ln) - np.diff(li)
    lprem = lp - ln
    g_prem = np.diff(lprem)
    p = float(_periods_per_year(both.index[1:], periods_per_year=periods_per_year))
    prem = both["price"] / both["nav"] - 1.0

    def te(x):
        return float(np.std(x, ddof=1) * np.sqrt(p)) if len(x) > 1 else float("nan")

    comp = {
        "market": {"tracking_error_annual": te(g_market), "log_gap_annual": float(np.mean(g_market) * p)},
        "nav": {"tracking_error_annual": te(g_nav), "log_gap_annual": float(np.mean(g_nav) * p)},
        "premium_change": {"tracking_error_annual": te(g_prem), "log_gap_annual": float(np.mean(g_prem) * p)},
    }
    cov = float(2.0 * np.cov(g_nav, g_prem, ddof=1)[0, 1] * p) if len(g_nav) > 1 else float("nan")
    summary = {
        "n_days": int(len(g_market)), "start": str(both.index[0].date()), "end": str(both.index[-1].date()),
        "periods_per_year": p,
        "premium": {"mean": float(prem.mean()), "median": float(prem.median()), "min": float(prem.min()),
                    "max": float(prem.max()), "last": float(prem.iloc[-1]), "std": float(prem.std(ddof=1)),
                    "days_at_premium": int((prem > 0).sum()), "days_at_discount": int((prem < 0).sum())},
        **comp,
        "covariance_annual": cov,
        "identity_error": float(np.max(np.abs(g_market - g_nav - g_prem))) if len(g_market) else 0.0,
    }
    daily = both[["price", "nav", "index"]].copy()
    daily["premium"] = prem
    return daily, summary


def weights_vs_official(rebuilt: pd.DataFrame, official: pd.DataFrame) -> dict:
    """The official constituent weights on their latest date against the rebuilt review in force then.

    ``rebuilt``: ``effective_date, code, weight``; ``official``: ``date, symbol, weight`` (fractions).
    ``one_way_difference`` = sum |w_official - w_rebuilt| / 2 over the union of members (0 = identical,
    1 = disjoint); the official weights are closing weights (drifted since the review), so a few
    percent come from drift alone.
    """
    d = official["date"].max()
    off = official[official["date"] == d].groupby("symbol")["weight"].sum()
    eff = rebuilt.loc[pd.to_datetime(rebuilt["effective_date"]) <= d, "effective_date"]
    if eff.empty:
        return {"date": str(d.date()), "official_members": int(len(off)), "rebuilt_review": None}
    e = eff.max()
    reb = rebuilt[rebuilt["effective_date"] == e].groupby("code")["weight"].sum()
    union = off.index.union(reb.index)
    diff = float(np.abs(off.reindex(union, fill_value=0.0) - reb.reindex(union, fill_value=0.0)).sum() / 2.0)
    return {"date": str(d.date()), "rebuilt_review": str(pd.Timestamp(e).date()),
            "official_members": int(len(off)), "rebuilt_members": int(len(reb)),
            "common_members": int(len(off.index.intersection(reb.index))), "one_way_difference": diff}
