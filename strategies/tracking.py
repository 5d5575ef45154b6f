"""How well the ETFs on 950180 follow the rebuilt index, and what explains the gap.

- :func:`tracking_report`: correlation of daily returns, annualised tracking error, annualised tracking
  difference and beta of one ETF against an index level over the dates where both exist;
- :func:`etf_peer_table`: the same for 588790 and every peer in the snapshot that tracks 950180;
- :func:`simulate_tracking_etf`: the engine's ETF mode (:func:`aibt.engine.simulate_etf`) holding the index
  basket, and a decomposition of the gap between the index and the real ETF into fees, cash drag, trading
  costs and a residual.

Definitions (daily simple returns over the common dates, :math:`P` = mean XSHG sessions per year over the
years spanned, :func:`aibt.results.periods.annualization_factor`):

- correlation: Pearson correlation of :math:`r^{etf}_t` and :math:`r^{idx}_t`;
- tracking_error_annual: :math:`\\sqrt{P}\\,\\mathrm{sd}(r^{etf} - r^{idx})`
  (:func:`aibt.results.metrics.tracking_error`);
- tracking_difference_annual: annualised ETF return minus annualised index return,
  :math:`\\mathrm{CAGR}(r^{etf}) - \\mathrm{CAGR}(r^{idx})` (:func:`aibt.results.metrics.tracking_difference`);
- beta: :math:`\\mathrm{cov}(r^{etf}, r^{idx}) / \\mathrm{var}(r^{idx})` (:func:`aibt.results.metrics.beta`).

ETF prices are the snapshot's split-adjusted closes (588790 split 1:2 on 2025-03-18), market prices, not NAVs
(no NAV history exists offline): premiums and discounts are part of the measured gap.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibt.errors import ConfigError, DataError, UniverseError
from aibt.results import metrics
from aibt.results.periods import annualization_factor
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


# ------------------------------------------------------------------------------------------- report
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
    corr = float(np.corrcoef(re.to_numpy(), ri.to_numpy())[0, 1]) if re.std() > 0 and ri.std() > 0 else float("nan")
    return {
        "correlation": corr,
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


# ------------------------------------------------------------------------------------------- ETFs
def check_tracking_etf(code: str) -> None:
    """Raise a UniverseError unless ``code`` is an ETF recorded as tracking 950180."""
    info = etf_info(str(code))  # unknown code: named, with close matches
    if info.tracks != INDEX_CODE:
        raise UniverseError(f"ETF {code} tracks {info.tracks}, not the STAR AI index {INDEX_CODE}; "
                            f"ETFs on {INDEX_CODE}: {', '.join(etfs_tracking(INDEX_CODE))}")


def etf_close(code: str, end=None) -> pd.Series:
    """Split-adjusted closes of ETF ``code`` from the embedded snapshot, its first bar to ``end``."""
    from aibt.data import snapshot

    code = str(code)
    if code not in set(snapshot.symbols()):
        raise DataError(f"ETF {code} has no prices in the embedded snapshot")
    s = snapshot.load_snapshot([code]).frame("close")[code].dropna()
    if end is not None:
        s = s.loc[:pd.Timestamp(end)]
    if s.empty:
        when = "" if end is None else f" on or before {pd.Timestamp(end).date()}"
        raise DataError(f"ETF {code} has no close in the snapshot{when}")
    return s.rename(code)


def etf_peer_table(etfs=None, index_level: pd.Series | None = None, start=None, end=None) -> pd.DataFrame:
    """Tracking statistics of several ETFs against the same index level.

    Parameters
    ----------
    etfs : sequence of str, optional
        ETF codes; default every ETF recorded as tracking 950180 (:func:`aibt.universes.etfs.etfs_tracking`)
        that has prices in the snapshot. Each must track 950180 and be in the snapshot.
    index_level : Series, optional
        Default the rebuilt index (:func:`aibt.loaders.star_ai_index`).
    start, end : date-like, optional
        Bounds; each ETF is measured over its own dates inside them. An ETF with fewer than 3 common
        dates in the window is left out.

    Returns
    -------
    DataFrame, one row per ETF: ``code, manager, index_status, fee, start, end, n_days, correlation,
    tracking_error_annual, tracking_difference_annual, beta, etf_return, index_return``.
    """
    from aibt.data import snapshot

    if etfs is None:
        have = set(snapshot.symbols())
        etfs = [c for c in etfs_tracking(INDEX_CODE) if c in have]
    from aibt.loaders import star_ai_index  # default level only (loading lives in aibt.loaders)

    level = star_ai_index(end=end) if index_level is None else index_level
    rows = []
    for code in etfs:
        check_tracking_etf(code)
        try:
            rep = tracking_report(etf_close(code, end), level, start, end)
        except DataError:
            if str(code) in set(snapshot.symbols()):
                continue  # listed after the window: nothing to measure
            raise
        info = etf_info(code)
        rows.append({"code": str(code), "manager": info.manager, "index_status": info.index_status,
                     "fee": info.total_fee, **{k: rep[k] for k in (
                         "start", "end", "n_days", "correlation", "tracking_error_annual",
                         "tracking_difference_annual", "beta", "etf_return", "index_return")}})
    return pd.DataFrame(rows)


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
    decomposition : DataFrame indexed by component (:func:`gap_decomposition`). The rows ``index``,
        ``simulated_nav``, ``etf`` are returns; the others are gaps between consecutive steps and sum exactly
        to ``etf - index``.
    summary : dict of the inputs and the fund's fee and cost totals.
    """

    code: str
    fund: object
    daily: pd.DataFrame
    decomposition: pd.DataFrame
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


def simulate_tracking_etf(code: str = "588790", start=None, end=None, constituents: pd.DataFrame | None = None,
                          index_level: pd.Series | None = None, fund_size: float = FUND_SIZE,
                          cash_buffer: float = CASH_BUFFER, commission: float = COMMISSION,
                          min_commission: float = MIN_COMMISSION) -> TrackingSimulation:
    """Simulate ETF ``code`` with the engine's ETF mode on the rebuilt index basket and explain its gap.

    The fund launches on the session before the window's first date (default: the real ETF's first date) so
    that it holds the basket from the first date on; its NAV is scaled to the real ETF's close there. Index
    reviews are traded at the close before they take effect (as the index rebalances). Four runs add one
    friction each, in this order, and each step's return gap is attributed to it:

    1. ``basket``: frictionless, fee-free, fully invested (fractional shares) - replication and timing;
    2. ``fees``: + management and custody fees of :func:`aibt.universes.etfs.etf_info`, accrued every
       calendar day (Act/365) on net assets;
    3. ``buffered``: + ``cash_buffer`` kept in cash - cash drag;
    4. ``nav``: + trading rules (:func:`aibt.universes.trading_rules.compile_rules`: lots, limits, stamp duty,
       transfer fee) and broker commission - trading costs.

    ``residual`` = real ETF price return - simulated NAV return: reconstruction error, premium/discount of the
    market price, the real fund's own holdings, cash and timing.

    Parameters
    ----------
    code : ETF tracking 950180 with prices in the snapshot.
    start, end : window (inclusive; default the ETF's first and last bar).
    constituents : index constituent table (default :func:`aibt.loaders.star_ai_constituents` up to ``end``).
    index_level : rebuilt level (default :func:`star_ai_index` of ``constituents``).
    fund_size, cash_buffer, commission, min_commission : fund assumptions (module constants).

    Returns
    -------
    TrackingSimulation
    """
    from aibt.data import snapshot
    from aibt.data.calendar import xshg_sessions
    from aibt.engine import simulate_etf
    from aibt.universes.trading_rules import compile_rules

    check_tracking_etf(code)
    info = etf_info(code)
    close = etf_close(code, end)
    if start is not None:
        close = close.loc[pd.Timestamp(start):]
    if len(close) < MIN_DAYS:
        raise DataError(f"ETF {code} has {len(close)} close(s) in the window; at least {MIN_DAYS} are needed")
    first, last = close.index[0], close.index[-1]
    from aibt.loaders import star_ai_constituents, star_ai_index  # defaults only

    table = star_ai_constituents(end=last) if constituents is None else constituents
    level = star_ai_index(end=last, constituents=table) if index_level is None else index_level
    level = pd.Series(level, dtype=np.float64)
    level.index = pd.DatetimeIndex(level.index)
    sessions = xshg_sessions(pd.Timestamp(table["effective_date"].min()) - pd.Timedelta(days=10), last)
    k = sessions.get_loc(first)
    if k < 1 or sessions[k - 1] < level.index[0]:
        raise DataError(f"the rebuilt index has no level on the session before {first.date()}")
    launch = sessions[k - 1]
    weights = _decision_weights(table, sessions, launch, last)
    panel = snapshot.load_snapshot(list(weights.columns), start=weights.index[0], end=last, require_bars=False)
    weights = _launch_on_drifted_weights(weights, table, panel.frame("close").ffill(), sessions, launch, first)
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
    decomposition = gap_decomposition(daily)
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
        "simulated": {k: v for k, v in tracking_report(daily["nav"], daily["index"]).items()
                      if k in ("correlation", "tracking_error_annual", "tracking_difference_annual", "beta")},
    }
    return TrackingSimulation(code=str(code), fund=fund, daily=daily, decomposition=decomposition, summary=summary)


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


# ------------------------------------------------------------------------------------------- one call
def track_star_ai(etf: str, start=None, end=None, user_file=None, fund_size: float = FUND_SIZE,
                  cash_buffer: float = CASH_BUFFER) -> tuple[pd.DataFrame, dict]:
    """Everything ``aibt track star-ai`` reports for one ETF.

    Parameters
    ----------
    etf : code of an ETF tracking 950180 (e.g. ``"588790"``).
    start, end : window (inclusive); default the ETF's whole history in the snapshot.
    user_file : optional constituent file (:func:`aibt.loaders.star_ai_constituents`).
    fund_size, cash_buffer : assumptions of the simulated fund (:func:`simulate_tracking_etf`).

    Returns
    -------
    daily : DataFrame ``index, etf`` on the dates used (index named ``date``): the rebuilt level (base 1000 on
        2022-12-30) and the ETF's split-adjusted close.
    summary : dict with :func:`tracking_report`'s keys, ``index`` (950180), ``etf``, ``constituents``
        (``"rebuilt"`` or the user file's name), ``simulation`` (the ETF-mode fund: its tracking, fees and
        costs, and ``decomposition``: a list of ``{component, total_return, annualised, log_annual}`` in
        :func:`gap_decomposition`'s order) and ``departures`` (:data:`DEPARTURES` lines).
    """
    from pathlib import Path

    from aibt.data import snapshot
    from aibt.loaders import star_ai_constituents, star_ai_index
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
    from aibt.strategies.nav_tracking import add_store_data  # official levels/weights and NAV, when present

    return add_store_data(etf, daily, summary, close, level, start, end, table)
