"""ETF mode on the rebuilt 950180: a simulated fund holding the index basket next to the real ETF.

:func:`simulate_tracking_etf` runs the engine's ETF mode (:func:`aibt.engine.simulate_etf`) four times on data
passed in, adding one friction each (fees, cash buffer, trading rules and costs), so that the gap between the
index and the real ETF can be attributed (:func:`aibt.results.tracking.gap_decomposition`). Nothing here loads
data: :mod:`aibt.tracking` reads the bars and the rebuilt index and calls this.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibt.data.panel import Panel
from aibt.errors import DataError, UniverseError
from aibt.strategies.star_ai_index import INDEX_CODE
from aibt.universes.etfs import etf_info, etfs_tracking

#: Broker commission of the simulated fund: 0.025 % of traded value, at least 5 CNY per order.
COMMISSION = 0.00025
MIN_COMMISSION = 5.0
#: Cash kept by the simulated fund (fraction of net assets); an assumption, full replication funds hold ~0.5-1 %.
CASH_BUFFER = 0.005
#: Net assets of the simulated fund at launch (CNY); an assumption. Lots and minimum commissions matter
#: only for funds far smaller than this.
FUND_SIZE = 1e9
MIN_DAYS = 3


# ------------------------------------------------------------------------------------------- ETFs
def check_tracking_etf(code: str) -> None:
    """Raise a UniverseError unless ``code`` is an ETF recorded as tracking 950180."""
    info = etf_info(str(code))  # unknown code: named, with close matches
    if info.tracks != INDEX_CODE:
        raise UniverseError(f"ETF {code} tracks {info.tracks}, not the STAR AI index {INDEX_CODE}; "
                            f"ETFs on {INDEX_CODE}: {', '.join(etfs_tracking(INDEX_CODE))}")



# ------------------------------------------------------------------------------------------- ETF mode
@dataclass(frozen=True, eq=False)
class TrackingSimulation:
    """A simulated ETF on the rebuilt index next to the real one.

    Attributes
    ----------
    code : the real ETF.
    fund : :class:`aibt.engine.EtfResult` of the full simulation (fees, cash buffer, lots, costs).
    daily : DataFrame on the window's sessions: ``index`` (rebuilt level), ``basket``, ``fees``, ``buffered``,
        ``nav`` (the simulation steps, each a NAV scaled to the real ETF's first close) and ``etf`` (real close).
    decomposition : DataFrame indexed by component (:func:`aibt.results.tracking.gap_decomposition`). The rows
        ``index``, ``simulated_nav``, ``etf`` are returns; the others are gaps between consecutive steps and sum
        exactly to ``etf - index``. ``None`` until :func:`aibt.results.tracking.explain_simulation` fills it.
    summary : dict of the inputs and the fund's fee and cost totals (``simulated``: the NAV's tracking
        statistics, once explained).
    """

    code: str
    fund: object
    daily: pd.DataFrame
    decomposition: pd.DataFrame | None
    summary: dict


def _decision_weights(table: pd.DataFrame, sessions: pd.DatetimeIndex, lo: pd.Timestamp,
                      hi: pd.Timestamp) -> pd.DataFrame:
    """Review weights dated on the session two before each effective date (the fund decides there and trades
    at the next close, the last close before the review takes effect, as the index rebalances), for the
    reviews in force at some point in ``[lo, hi]``."""
    eff = sorted(pd.DatetimeIndex(table["effective_date"]).unique())
    pos = sessions.searchsorted(pd.DatetimeIndex(eff))
    decide = {e: sessions[p - 2] for e, p in zip(eff, pos) if 2 <= p < len(sessions)}
    dated = sorted((d, e) for e, d in decide.items() if d <= hi)
    in_force = [i for i, (d, _) in enumerate(dated) if d <= lo]
    if not in_force:
        raise DataError(f"no index review is in force at the fund's launch {lo.date()}")
    keep = dated[in_force[-1]:]
    rows = {}
    for d, e in keep:
        grp = table[pd.DatetimeIndex(table["effective_date"]) == e]
        rows[d] = pd.Series(grp["weight"].to_numpy(dtype=np.float64), index=grp["code"].astype(str).to_list())
    return pd.DataFrame(rows).T.fillna(0.0).sort_index()


def _launch_on_drifted_weights(weights: pd.DataFrame, table: pd.DataFrame, close: pd.DataFrame,
                               sessions: pd.DatetimeIndex, launch: pd.Timestamp, first: pd.Timestamp) -> pd.DataFrame:
    """Replace the review in force at launch by the index's own weights at the first fill's close.

    Between reviews the index holds fixed shares, so its weights drift from the review weights:
    :math:`w_i(t) \\propto w_i P_i(t) / P_i(e - 1)` with ``e`` the review's effective session. A fund launched
    between reviews buys these drifted weights (its decision on ``launch`` fills at ``first``'s close).
    """
    in_force = weights.index[weights.index <= launch][-1]
    eff = pd.DatetimeIndex(table["effective_date"]).unique().sort_values()
    pos = sessions.searchsorted(eff)
    eff_of = {sessions[p - 2]: sessions[p - 1] for p in pos if 2 <= p < len(sessions)}
    ref = eff_of[in_force]  # the close the index rebalanced at
    w = weights.loc[in_force]
    drift = w * close.loc[first, w.index] / close.loc[ref, w.index]
    if not np.isfinite(drift[w > 0]).all():
        bad = drift[w > 0][~np.isfinite(drift[w > 0])].index[0]
        raise DataError(f"constituent {bad} has no price on {ref.date()} or {first.date()} to weight the launch")
    out = weights.loc[weights.index > launch].copy()
    out.loc[launch] = (drift / drift.sum()).to_numpy()
    return out.sort_index()


def simulation_plan(constituents: pd.DataFrame, close: pd.Series, index_level: pd.Series,
                    sessions: pd.DatetimeIndex) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The fund's launch session (the one before the ETF's first close in the window) and the review weights it
    trades (dates x constituents), before the launch is re-weighted on drifted weights.

    Raises
    ------
    DataError
        No rebuilt level on the launch session, or no review in force at the launch.
    """
    first, last = close.index[0], close.index[-1]
    k = sessions.get_loc(first)
    if k < 1 or sessions[k - 1] < pd.DatetimeIndex(index_level.index)[0]:
        raise DataError(f"the rebuilt index has no level on the session before {first.date()}")
    launch = sessions[k - 1]
    return launch, _decision_weights(constituents, sessions, launch, last)


def simulate_tracking_etf(code: str, close: pd.Series, panel: Panel, constituents: pd.DataFrame,
                          index_level: pd.Series, sessions: pd.DatetimeIndex, fund_size: float = FUND_SIZE,
                          cash_buffer: float = CASH_BUFFER, commission: float = COMMISSION,
                          min_commission: float = MIN_COMMISSION) -> TrackingSimulation:
    """Simulate ETF ``code`` with the engine's ETF mode on the rebuilt index basket.

    The fund launches on the session before the window's first date (the first date of ``close``) so that it
    holds the basket from the first date on; its NAV is scaled to the real ETF's close there. Index reviews
    are traded at the close before they take effect (as the index rebalances). Four runs add one friction
    each, in this order:

    1. ``basket``: frictionless, fee-free, fully invested (fractional shares) - replication and timing;
    2. ``fees``: + management and custody fees of :func:`aibt.universes.etfs.etf_info`, accrued every
       calendar day (Act/365) on net assets;
    3. ``buffered``: + ``cash_buffer`` kept in cash - cash drag;
    4. ``nav``: + trading rules (:func:`aibt.universes.trading_rules.compile_rules`: lots, limits, stamp duty,
       transfer fee) and broker commission - trading costs.

    Parameters
    ----------
    code : ETF tracking 950180.
    close : the real ETF's split-adjusted closes over the window (at least 3).
    panel : bars of every constituent in ``constituents`` from the first review traded
        (:func:`simulation_plan`) to the window's end.
    constituents : index constituent table ``effective_date, code, weight``.
    index_level : rebuilt level on XSHG sessions, covering the launch session.
    sessions : XSHG sessions from before the first review to the window's end.
    fund_size, cash_buffer, commission, min_commission : fund assumptions (module constants).

    Returns
    -------
    TrackingSimulation (``decomposition`` None: :func:`aibt.results.tracking.explain_simulation` fills it)
    """
    from aibt.engine import simulate_etf
    from aibt.universes.trading_rules import compile_rules

    check_tracking_etf(code)
    info = etf_info(code)
    if len(close) < MIN_DAYS:
        raise DataError(f"ETF {code} has {len(close)} close(s) in the window; at least {MIN_DAYS} are needed")
    first, last = close.index[0], close.index[-1]
    level = pd.Series(index_level, dtype=np.float64)
    level.index = pd.DatetimeIndex(level.index)
    launch, weights = simulation_plan(constituents, close, level, sessions)
    weights = _launch_on_drifted_weights(weights, constituents, panel.frame("close").ffill(), sessions, launch, first)
    rules = compile_rules(panel.dates, panel.symbols)
    common = dict(start=launch, end=last, index_level=level.loc[launch:last], price="close", fund_size=fund_size)
    fee = dict(management_fee=info.mgmt_fee, custody_fee=info.custody_fee)
    runs = {
        "basket": simulate_etf(panel, weights, management_fee=0.0, custody_fee=0.0, cash_buffer=0.0, **common),
        "fees": simulate_etf(panel, weights, cash_buffer=0.0, **fee, **common),
        "buffered": simulate_etf(panel, weights, cash_buffer=cash_buffer, **fee, **common),
        "nav": simulate_etf(panel, weights, cash_buffer=cash_buffer, rules=rules, commission=commission,
                            min_commission=min_commission, **fee, **common),
    }
    window = close.index
    daily = pd.DataFrame({"index": level.reindex(window)})
    for name, res in runs.items():
        nav = res.nav.reindex(window)
        daily[name] = nav / nav.iloc[0] * close.iloc[0]
    daily["etf"] = close
    daily.index.name = "date"
    if daily.isna().any().any():
        col = daily.columns[daily.isna().any()][0]
        raise DataError(f"{col} has no value on {daily.index[daily[col].isna()][0].date()}")
    fund = runs["nav"]
    eq = fund.sim.equity.loc[first:last]
    fees_paid = float(fund.sim.costs["fund_fees"].loc[first:last].sum())
    trading = float(fund.sim.costs.drop(columns="fund_fees").loc[first:last].sum().sum())
    summary = {
        "etf": str(code), "start": str(first.date()), "end": str(last.date()), "launch": str(launch.date()),
        "calendar_days": int((last - first).days), "fund_size": float(fund_size),
        "management_fee": info.mgmt_fee, "custody_fee": info.custody_fee, "fee_status": info.fee_status,
        "cash_buffer": float(cash_buffer), "commission": float(commission), "min_commission": float(min_commission),
        "fees_paid": fees_paid, "fees_paid_fraction_of_mean_nav": fees_paid / float(eq.mean()),
        "trading_costs": trading, "trading_costs_fraction_of_mean_nav": trading / float(eq.mean()),
    }
    return TrackingSimulation(code=str(code), fund=fund, daily=daily, decomposition=None, summary=summary)
