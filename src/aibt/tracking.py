"""Load what index tracking needs and run it: the data side of ``aibt track`` and of the default study's tracking.

The simulation (:func:`aibt.strategies.tracking.simulate_tracking_etf`) and the measurement
(:mod:`aibt.results.tracking`) take their data as arguments; this module reads the ETF closes and the bars
of the constituents from the data in use (the embedded snapshot, or ``--data-dir``) and rebuilds the index
(:mod:`aibt.strategies.star_ai_index`).
"""
from __future__ import annotations

import pandas as pd

from aibt.errors import DataError
from aibt.results.tracking import explain_simulation, peer_table, tracking_report
from aibt.loaders import star_ai_constituents, star_ai_index
from aibt.strategies.star_ai_index import INDEX_CODE
from aibt.strategies.tracking import (CASH_BUFFER, COMMISSION, FUND_SIZE, MIN_COMMISSION, MIN_DAYS,
                                      TrackingSimulation, check_tracking_etf, simulation_plan)
from aibt.universes.etfs import etfs_tracking


def etf_close(code: str, end=None) -> pd.Series:
    """Split-adjusted closes of ETF ``code`` from the data in use, its first bar to ``end``."""
    from aibt.data import snapshot

    code = str(code)
    if code not in set(snapshot.symbols()):
        where = "the embedded snapshot" if snapshot.data_dir() is None else f"the data folder {snapshot.data_dir()}"
        raise DataError(f"ETF {code} has no prices in {where}")
    s = snapshot.load_snapshot([code]).frame("close")[code].dropna()
    if end is not None:
        s = s.loc[:pd.Timestamp(end)]
    if s.empty:
        when = "" if end is None else f" on or before {pd.Timestamp(end).date()}"
        raise DataError(f"ETF {code} has no close in the snapshot{when}")
    return s.rename(code)


def etf_peer_table(etfs=None, index_level: pd.Series | None = None, start=None, end=None) -> pd.DataFrame:
    """:func:`aibt.results.tracking.peer_table` of the ETFs on 950180 in the data (default: all of them)
    against ``index_level`` (default: the rebuilt index up to ``end``)."""
    from aibt.data import snapshot

    if etfs is None:
        have = set(snapshot.symbols())
        etfs = [c for c in etfs_tracking(INDEX_CODE) if c in have]
    for code in etfs:
        check_tracking_etf(code)
    level = star_ai_index(end=end) if index_level is None else index_level
    return peer_table({str(c): etf_close(c, end) for c in etfs}, level, start, end)


def simulate_tracking_etf(code: str = "588790", start=None, end=None, constituents: pd.DataFrame | None = None,
                          index_level: pd.Series | None = None, fund_size: float = FUND_SIZE,
                          cash_buffer: float = CASH_BUFFER, commission: float = COMMISSION,
                          min_commission: float = MIN_COMMISSION) -> TrackingSimulation:
    """Load the data and run :func:`aibt.strategies.tracking.simulate_tracking_etf`, explained
    (:func:`aibt.results.tracking.explain_simulation`).

    ``start, end``: window (inclusive; default the ETF's first and last bar); ``constituents`` default
    :func:`~aibt.strategies.star_ai_index.star_ai_constituents` up to the window's end, ``index_level``
    default its rebuilt level.
    """
    import numpy as np

    from aibt.data import snapshot
    from aibt.data.calendar import xshg_sessions
    from aibt.strategies import tracking as strategy

    check_tracking_etf(code)
    close = etf_close(code, end)
    if start is not None:
        close = close.loc[pd.Timestamp(start):]
    if len(close) < MIN_DAYS:
        raise DataError(f"ETF {code} has {len(close)} close(s) in the window; at least {MIN_DAYS} are needed")
    last = close.index[-1]
    table = star_ai_constituents(end=last) if constituents is None else constituents
    level = star_ai_index(end=last, constituents=table) if index_level is None else index_level
    level = pd.Series(level, dtype=np.float64)
    level.index = pd.DatetimeIndex(level.index)
    sessions = xshg_sessions(pd.Timestamp(table["effective_date"].min()) - pd.Timedelta(days=10), last)
    _, weights = simulation_plan(table, close, level, sessions)
    panel = snapshot.load_snapshot(list(weights.columns), start=weights.index[0], end=last, require_bars=False)
    sim = strategy.simulate_tracking_etf(code, close, panel, table, level, sessions, fund_size=fund_size,
                                         cash_buffer=cash_buffer, commission=commission,
                                         min_commission=min_commission)
    return explain_simulation(sim)


def track_star_ai(etf: str, start=None, end=None, user_file=None, fund_size: float = FUND_SIZE,
                  cash_buffer: float = CASH_BUFFER) -> tuple[pd.DataFrame, dict]:
    """Everything ``aibt track star-ai`` reports for one ETF.

    Parameters
    ----------
    etf : code of an ETF tracking 950180 (e.g. ``"588790"``).
    start, end : window (inclusive); default the ETF's whole history in the data.
    user_file : optional constituent file (:func:`~aibt.strategies.star_ai_index.star_ai_constituents`).
    fund_size, cash_buffer : assumptions of the simulated fund (:func:`simulate_tracking_etf`).

    Returns
    -------
    daily : DataFrame ``index, etf`` on the dates used (index named ``date``): the rebuilt level (base 1000 on
        2022-12-30) and the ETF's split-adjusted close.
    summary : dict with :func:`~aibt.results.tracking.tracking_report`'s keys, ``index`` (950180), ``etf``,
        ``constituents`` (``"rebuilt"`` or the user file's name), ``simulation`` (the ETF-mode fund: its
        tracking, fees and costs, and ``decomposition``: a list of ``{component, total_return, annualised,
        log_annual}`` in :func:`~aibt.results.tracking.gap_decomposition`'s order) and ``departures``
        (:data:`~aibt.strategies.star_ai_index.DEPARTURES` lines).
    """
    from pathlib import Path

    from aibt.data import snapshot
    from aibt.results.tracking import aligned_levels
    from aibt.strategies.star_ai_index import DEPARTURES

    check_tracking_etf(etf)
    close = etf_close(etf, end)
    table = star_ai_constituents(end=end, user_file=user_file)
    level = star_ai_index(end=end, constituents=table)
    report = tracking_report(close, level, start, end)
    daily = aligned_levels(close, level, start, end)[["index", "etf"]]
    sim = simulate_tracking_etf(etf, start=report["start"], end=report["end"], constituents=table,
                                index_level=level, fund_size=fund_size, cash_buffer=cash_buffer)
    simulation = {**sim.summary, "decomposition": [
        {"component": name, **row.to_dict()} for name, row in sim.decomposition.iterrows()]}
    summary = {
        **report, "index": INDEX_CODE, "etf": str(etf),
        "constituents": "rebuilt" if user_file is None else Path(user_file).name,
        "snapshot_sha256": snapshot.snapshot_hash(),
        "simulation": simulation,
        "departures": DEPARTURES.splitlines(),
    }
    return add_store_data(etf, daily, summary, close, level, start, end, table)  # official levels, NAV: if present


def add_store_data(etf: str, daily: pd.DataFrame, summary: dict, close: pd.Series, level: pd.Series,
                   start=None, end=None, constituents: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """``track_star_ai``'s report with the official 950180 levels (replacing the rebuilt level, which is
    kept as ``reconstruction``) and the NAV split, when the data in use have them; else unchanged
    (``summary["index_levels"] = "rebuilt"``)."""
    from aibt.data import snapshot
    from aibt.results.tracking import aligned_levels, reconstruction_vs_official
    from aibt.strategies.nav_tracking import nav_tracking, weights_vs_official

    code = str(summary.get("index", "950180"))
    official = snapshot.load_index_levels(code)
    summary = dict(summary)
    summary["index_levels"] = "rebuilt"
    used = level
    if official is not None:
        official = official.loc[:pd.Timestamp(end)] if end is not None else official
        rebuilt_report = {k: summary[k] for k in ("correlation", "tracking_error_annual",
                                                  "tracking_difference_annual", "beta", "n_days", "start", "end")}
        report = tracking_report(close, official, start, end)
        summary.update(report)
        summary["index_levels"] = f"official ({code}, table index_levels of {snapshot.data_source()})"
        summary["reconstruction"] = {"etf_vs_rebuilt": rebuilt_report,
                                     "rebuilt_vs_official": reconstruction_vs_official(level, official, start, end)}
        weights = snapshot.load_table("index_weights")
        if weights is not None and constituents is not None and (weights["index"] == code).any():
            summary["reconstruction"]["weights_vs_official"] = weights_vs_official(
                constituents, weights[weights["index"] == code])
        new_daily = aligned_levels(close, official, start, end)[["index", "etf"]]
        new_daily["index_rebuilt"] = level.reindex(new_daily.index)
        daily = new_daily
        used = official
    nav = snapshot.load_nav(etf)
    if nav is not None:
        fac = snapshot.load_snapshot([etf], require_bars=False).frame("adj_factor")[etf]
        nav_adj = (nav / fac.reindex(nav.index)).dropna()  # the bars' split-adjusted basis
        try:
            nav_daily, nav_summary = nav_tracking(close, nav_adj, used, summary["start"], summary["end"])
        except DataError as exc:
            summary["nav_tracking"] = {"error": str(exc)}
        else:
            summary["nav_tracking"] = {"nav_source": f"table nav of {snapshot.data_source()}", **nav_summary}
            daily = daily.copy()
            daily["nav"] = nav_daily["nav"].reindex(daily.index)
            daily["premium"] = nav_daily["premium"].reindex(daily.index)
    return daily, summary
