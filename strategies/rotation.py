"""Thematic rotation between sleeves (the optical, copper and PCB baskets, the STAR AI index, cash).

Rule: on every R-th session, rank the sleeves that have a signal by momentum over a lookback, hold
the top K (equal weight or inverse volatility), optionally only those above their moving average
(the rest stays in cash); orders fill on the next session under the engine's market rules.

This module is the pandas side: it builds the sleeves and the point-in-time signals once, expands a
parameter grid into an int64 table, and calls :func:`aibt.strategies.rotation.rotation_sweep`,
which computes each combination's target weights on the fly. It also runs walk-forward analyses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from aibt.data.panel import Panel
from aibt.engine import nb as enb
from aibt.engine.market import per_sessions
from aibt.engine.simulate import market_for, policy
from aibt.engine.result import sessions_per_year, summary_columns
from aibt.engine.simulate import cost_params
from aibt.errors import ConfigError, DataError
from aibt.strategies import rotation_nb as rnb
from aibt.strategies.rolling_nb import rolling_mean, rolling_std
from aibt.universes.trading_rules import TradingRules

WEIGHTINGS = {"equal": rnb.WEIGHT_EQUAL, "inv_vol": rnb.WEIGHT_INV_VOL}
PARAM_COLUMNS = ("lookback", "top_k", "period", "weighting", "trend_window")


# ----------------------------------------------------------------------------- sleeves
@dataclass(frozen=True, eq=False)
class Sleeves:
    """Sleeve prices and how each sleeve maps onto the panel's securities.

    Attributes
    ----------
    names : sleeve names, in order.
    prices : DataFrame (dates x sleeves) of sleeve levels (NaN before a sleeve exists).
    member_w : float64 [T, S, N]: weight of security j in one unit of sleeve s at date t.
    """

    names: tuple[str, ...]
    prices: pd.DataFrame
    member_w: np.ndarray
    sparse: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)  # members, if known

    @cached_property
    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """:func:`sparse_members` of ``member_w``, as the sweep kernel reads them (computed once, unless
        the builder gave them as ``sparse``)."""
        return self.sparse if self.sparse is not None else sparse_members(self.member_w)


def sparse_members(member_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nonzero entries of ``member_w`` [T, S, N]: ``member_j`` int64 [T, S, M] (security indices in
    ascending order, -1 pads) and ``member_v`` float64 [T, S, M] (their weights, 0 pads), where M is the
    most members any sleeve has at any date (at least 1). Numpy, not a kernel: baskets are small, and
    a kernel would add half a second to every first run's compiling."""
    w = np.asarray(member_w, dtype=np.float64)
    nz = w != 0.0
    m = max(1, int(nz.sum(axis=2).max(initial=0)))
    t_i, s_i, j_i = np.nonzero(nz)  # in C order: ascending j within each (t, s)
    place = np.cumsum(nz, axis=2)[t_i, s_i, j_i] - 1
    member_j = np.full(w.shape[:2] + (m,), -1, dtype=np.int64)
    member_v = np.zeros(w.shape[:2] + (m,), dtype=np.float64)
    member_j[t_i, s_i, place] = j_i
    member_v[t_i, s_i, place] = w[t_i, s_i, j_i]
    return member_j, member_v


def basket_level(panel: Panel, members: Sequence[str]) -> pd.Series:
    """Equal-weight basket level, rebalanced daily: mean of the members' adjusted daily returns
    (in CNY, so an HKD member moves with the FX series too), over members that traded on both days.
    The level starts at 1.0 on the first date where any member has a price."""
    cols = [panel.column(m) for m in members]
    px = panel.fields["close"][:, cols] * panel.fx_to_cny[:, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        rets = px[1:] / pd.DataFrame(px).ffill().to_numpy()[:-1] - 1.0
    ok = np.isfinite(rets)
    n_ok = ok.sum(axis=1)
    # mean over the members with a return that day (NaN where none has one: before the first listing)
    mean = np.where(n_ok > 0, np.where(ok, rets, 0.0).sum(axis=1) / np.maximum(n_ok, 1), np.nan)
    has_any = np.isfinite(px).any(axis=1)
    first = int(np.argmax(has_any)) if has_any.any() else len(px)
    level = np.full(len(px), np.nan)
    if first < len(px):
        level[first] = 1.0
        for t in range(first + 1, len(px)):
            r = mean[t - 1]
            level[t] = level[t - 1] * (1.0 + (0.0 if np.isnan(r) else r))
    return pd.Series(level, index=panel.dates, name="basket")


def equal_member_weights(panel: Panel, members: Sequence[str]) -> np.ndarray:
    """[T, N] equal weights over the members listed on date t: from their first bar to their last
    (:func:`aibt.engine.targets.equal_weights`; a name whose data ended, 6088.HK after 2025-10-30, drops out)."""
    from aibt.engine.targets import equal_weights

    return equal_weights(panel, members)


def build_sleeves(panel: Panel, baskets: Mapping[str, Sequence[str]],
                  index_sleeves: Mapping[str, tuple[pd.Series, np.ndarray]] | None = None) -> Sleeves:
    """Sleeves from equal-weight baskets plus optional index sleeves.

    Parameters
    ----------
    baskets : name -> member codes (all in the panel).
    index_sleeves : name -> (level series on the panel's dates, member weights [T, N] summing to 1
        per date where the index exists), e.g. the reconstructed STAR AI index and its constituents.
    """
    names, prices, members = [], {}, []
    for name, codes in baskets.items():
        if not codes:
            raise ConfigError(f"basket {name!r} has no members")
        names.append(name)
        prices[name] = basket_level(panel, codes)
        members.append(equal_member_weights(panel, codes))
    for name, (level, weights) in (index_sleeves or {}).items():
        if weights.shape != panel.shape:
            raise DataError(f"index sleeve {name!r}: weights shape {weights.shape} != panel {panel.shape}")
        names.append(name)
        prices[name] = level.reindex(panel.dates)
        members.append(np.nan_to_num(weights, nan=0.0))
    frame = pd.DataFrame(prices, index=panel.dates)
    return Sleeves(tuple(names), frame, np.ascontiguousarray(np.stack(members, axis=1)))


def asset_sleeves(panel: Panel) -> Sleeves:
    """Every security its own sleeve (asset-level top-K rotation, as in the W1 benchmark).

    ``member_w`` is the identity at every date as a read-only broadcast view (no [T, N, N] array is
    written: 3 MB of fresh pages cost half a millisecond here), and the sparse members are given."""
    t_len, n = panel.shape
    member = np.broadcast_to(np.eye(n), (t_len, n, n))
    member_j = np.ascontiguousarray(np.broadcast_to(np.arange(n, dtype=np.int64)[None, :, None], (t_len, n, 1)))
    prices = pd.DataFrame(panel.fields["close"] * panel.fx_to_cny, index=panel.dates.copy(), columns=list(panel.symbols))
    return Sleeves(tuple(panel.symbols), prices, member, (member_j, np.ones((t_len, n, 1))))


# ----------------------------------------------------------------------------- signals
@dataclass(frozen=True, eq=False)
class Signals:
    """Point-in-time signals shared by all combinations (row t uses sleeve prices up to t only)."""

    lookbacks: tuple[int, ...]
    trend_windows: tuple[int, ...]  # 0 = no filter
    momentum: np.ndarray  # [L, T, S]
    inv_vol: np.ndarray  # [T, S]
    trend_ok: np.ndarray  # [F, T, S] bool
    order: np.ndarray  # [L, T, S] int64: sleeves with a signal, best momentum first (-1 pads)
    n_valid: np.ndarray  # [L, T] int64: how many sleeves have a signal


def compute_signals(prices: pd.DataFrame, lookbacks: Sequence[int], trend_windows: Sequence[int],
                    vol_window: int = 60, inverse_volatility: bool = True) -> Signals:
    """Momentum ``P_t / P_{t-L} - 1`` (NaN until L sessions of history), inverse volatility of daily
    returns over ``vol_window`` sessions (ddof=1), and trend state ``P_t >= mean(P_{t-W+1..t})``
    (False without W sessions of history; window 0 = always True). ``inverse_volatility=False`` skips
    the volatility (all NaN) for grids that never weight by it."""
    lookbacks = tuple(int(x) for x in lookbacks)
    trend_windows = tuple(int(x) for x in trend_windows)
    if any(lb < 1 for lb in lookbacks):
        raise ConfigError(f"lookbacks must be >= 1 session, got {lookbacks}")
    if any(w < 0 for w in trend_windows):
        raise ConfigError(f"trend windows must be >= 0 (0 = no filter), got {trend_windows}")
    px = prices.to_numpy(dtype=np.float64)
    t_len, s_len = px.shape
    mom = np.empty((len(lookbacks), t_len, s_len))  # each row written once (fresh pages are slow to fill twice)
    for i, lb in enumerate(lookbacks):
        mom[i, :lb] = np.nan
        if lb < t_len:
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(px[lb:], px[:-lb], out=mom[i, lb:])
            mom[i, lb:] -= 1.0
    inv_vol = np.full_like(px, np.nan)
    if inverse_volatility:
        rets = np.full_like(px, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            rets[1:] = px[1:] / px[:-1] - 1.0
        vol = rolling_std(rets, int(vol_window), 1)
        with np.errstate(divide="ignore"):
            inv_vol = np.where(vol > 0, 1.0 / vol, np.nan)
    trend = np.zeros((len(trend_windows), t_len, s_len), dtype=np.bool_)
    for i, w in enumerate(trend_windows):
        if w == 0:
            trend[i] = True
            continue
        with np.errstate(invalid="ignore"):
            np.greater_equal(px, rolling_mean(px, w), out=trend[i])  # NaN on either side: False
    order, n_valid = rnb.momentum_orders(mom)
    return Signals(lookbacks, trend_windows, mom, np.ascontiguousarray(inv_vol), np.ascontiguousarray(trend),
                   order, n_valid)


# ----------------------------------------------------------------------------- grid
@dataclass(frozen=True)
class ParamGrid:
    """The swept parameters; the grid is their Cartesian product (order: lookback, top_k, period,
    weighting, trend_window; the last varies fastest)."""

    lookbacks: tuple[int, ...] = (20, 60, 120)
    top_k: tuple[int, ...] = (1, 2)
    periods: tuple[int, ...] = (5, 21)
    weightings: tuple[str, ...] = ("equal", "inv_vol")
    trend_windows: tuple[int, ...] = (0, 60)

    def __post_init__(self) -> None:
        for name in ("lookbacks", "top_k", "periods", "weightings", "trend_windows"):
            values = getattr(self, name)
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise ConfigError(f"parameter grid: {name} must be a list, got {values!r}")
            values = tuple(values)
            if len(values) == 0:
                raise ConfigError(f"parameter grid: {name} is empty")
            if name != "weightings":
                bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, np.integer))]
                if bad:
                    raise ConfigError(f"parameter grid: {name} must hold whole numbers of sessions, got {bad[0]!r}")
                values = tuple(int(v) for v in values)
            if len(set(values)) != len(values):
                raise ConfigError(f"parameter grid: {name} has repeated values {values}")
            object.__setattr__(self, name, values)
        bad = [w for w in self.weightings if w not in WEIGHTINGS]
        if bad:
            raise ConfigError(f"unknown weighting {bad[0]!r}; choose from {sorted(WEIGHTINGS)}")
        for name, low in (("lookbacks", 1), ("top_k", 1), ("periods", 1), ("trend_windows", 0)):
            small = [v for v in getattr(self, name) if v < low]
            if small:
                raise ConfigError(f"parameter grid: {name} values must be >= {low}, got {small[0]}")

    @classmethod
    def from_dict(cls, cfg: Mapping) -> "ParamGrid":
        known = {"lookbacks", "top_k", "periods", "weightings", "trend_windows"}
        unknown = set(cfg) - known
        if unknown:
            import difflib

            key = sorted(unknown)[0]
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            raise ConfigError(f"unknown grid key {key!r}" + (f"; did you mean {hint[0]!r}?" if hint else
                                                             f"; valid keys: {sorted(known)}"))
        return cls(**dict(cfg))

    @property
    def size(self) -> int:
        return (len(self.lookbacks) * len(self.top_k) * len(self.periods) * len(self.weightings)
                * len(self.trend_windows))

    def table(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Rows ``start:stop`` of the grid (one per combination, columns :data:`PARAM_COLUMNS`), derived
        arithmetically from the combination numbers (never by building the whole grid)."""
        return pd.DataFrame(self.columns(start, stop), columns=list(PARAM_COLUMNS))

    def columns(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """The columns of :meth:`table` as arrays (for a caller that adds columns of its own)."""
        stop = self.size if stop is None else min(stop, self.size)
        start = max(0, min(int(start), stop))
        idx = np.unravel_index(np.arange(start, stop, dtype=np.int64), self.shape)
        axes = (self.lookbacks, self.top_k, self.periods, self.weightings, self.trend_windows)
        return {c: np.asarray(ax, dtype=object if c == "weighting" else np.int64)[i]
                for c, ax, i in zip(PARAM_COLUMNS, axes, idx)}

    def codes(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """int64 [C, 5] kernel table for combinations ``start:stop`` (indices into the signal axes)."""
        stop = self.size if stop is None else min(stop, self.size)
        return self.codes_at(np.arange(start, stop, dtype=np.int64))

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """Values per axis (lookbacks, top_k, periods, weightings, trend_windows)."""
        return (len(self.lookbacks), len(self.top_k), len(self.periods), len(self.weightings),
                len(self.trend_windows))

    def codes_at(self, flat: np.ndarray) -> np.ndarray:
        """int64 [C, 5] kernel table of the combinations numbered ``flat`` (any order)."""
        idx = np.stack(np.unravel_index(np.asarray(flat, dtype=np.int64), self.shape), axis=1).astype(np.int64)
        out = np.empty_like(idx)
        out[:, rnb.P_LOOKBACK] = idx[:, 0]
        out[:, rnb.P_TOP_K] = np.asarray(self.top_k, dtype=np.int64)[idx[:, 1]]
        out[:, rnb.P_PERIOD] = np.asarray(self.periods, dtype=np.int64)[idx[:, 2]]
        out[:, rnb.P_WEIGHTING] = np.array([WEIGHTINGS[w] for w in self.weightings], dtype=np.int64)[idx[:, 3]]
        out[:, rnb.P_FILTER] = idx[:, 4]
        return out


# ----------------------------------------------------------------------------- runs
@dataclass(frozen=True, eq=False)
class RotationSetup:
    """Everything a sweep needs, computed once: market arrays, sleeves, signals, costs."""

    panel: Panel
    sleeves: Sleeves
    grid: ParamGrid
    signals: Signals
    market: enb.Market
    cost: enb.CostParams
    init_cash: float = 10_000_000.0
    extra: dict = field(default_factory=dict)


def prepare(panel: Panel, sleeves: Sleeves, grid: ParamGrid, rules: TradingRules | None = None, *,
            price: str = "open", commission: float = 0.00025, min_commission: float = 5.0,
            slippage_bps: float = 0.0, init_cash: float = 10_000_000.0, vol_window: int = 60,
            dividends: str = "cash", dividend_tax: bool = True, volume_limit: float | None = None) -> RotationSetup:
    """Build the shared inputs of a sweep (signals on the grid's lookbacks and trend windows).

    The market rules, corporate actions and order policy are the engine's (:func:`aibt.engine.simulate`
    takes the same ``dividends``, ``dividend_tax`` and ``volume_limit``); orders refused by the market
    are not carried in a sweep (each rebalance re-targets)."""
    if sleeves.member_w.shape[0] != len(panel.dates) or sleeves.member_w.shape[2] != len(panel.symbols):
        raise DataError("sleeve member weights do not match the panel's dates and symbols")
    signals = compute_signals(sleeves.prices, grid.lookbacks, grid.trend_windows, vol_window,
                              inverse_volatility="inv_vol" in grid.weightings)
    market, lots = market_for(panel, rules, price, volume_limit, dividend_tax, 0.2, 15)
    cost = cost_params(commission, min_commission, slippage_bps)
    if not np.isfinite(init_cash) or init_cash <= 0:
        raise ConfigError(f"init_cash must be a positive number, got {init_cash!r}")
    return RotationSetup(panel, sleeves, grid, signals, market, cost, float(init_cash),
                         {"policy": policy(False, dividends), "lots": lots})


def session_range(dates: pd.DatetimeIndex, start=None, end=None) -> tuple[int, int]:
    """Half-open row range ``[t0, t1)`` of the sessions between ``start`` and ``end`` (inclusive)."""
    def _ts(value, what):
        try:
            return pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{what} {value!r} is not a date (use YYYY-MM-DD): {exc}") from None

    t0 = 0 if start is None else int(dates.searchsorted(_ts(start, "start")))
    t1 = len(dates) if end is None else int(dates.searchsorted(_ts(end, "end"), side="right"))
    if t1 - t0 < 2:
        raise ConfigError(f"fewer than 2 sessions between {start} and {end}; the data cover "
                          f"{dates[0].date()} to {dates[-1].date()}")
    return t0, t1


_PERIODS_PER_YEAR: dict[bytes, float] = {}


def _periods_per_year(dates: pd.DatetimeIndex) -> float:
    """:func:`aibt.engine.result.sessions_per_year` of ``dates``, remembered per calendar
    (:func:`aibt.engine.market.per_sessions`: inferring it costs milliseconds, as much as a small
    sweep; walk-forward folds and repeated sweeps reuse it)."""
    return per_sessions(_PERIODS_PER_YEAR, dates, sessions_per_year)


def rotation_sweep(params, order, n_valid, inv_vol, trend_ok, members, mkt, cost, pol, lots, init_cash,
                   t_start, t_end, keep_equity, n_threads=None):
    """Every combination of ``params`` [C, 5] on sessions ``[t_start, t_end)``, on all threads.

    ``members``: the sleeves' member weights, dense [T, S, N] (``Sleeves.member_w``) or in the sparse
    form of :func:`sparse_members` (``Sleeves.members``, computed once per sleeves).

    Returns
    -------
    summary : float64 [C, SUM_SIZE] (slots ``aibt.engine.nb.SUM_*``).
    equity : float64 [C, t_end - t_start] if ``keep_equity`` else [C, 0].
    """
    from aibt.engine.parallel import run_chunks

    member_j, member_v = members if isinstance(members, tuple) else sparse_members(members)
    n = np.int64(mkt.tradable.shape[1])
    c_len = params.shape[0]
    summary = np.empty((c_len, enb.SUM_SIZE), dtype=np.float64)
    equity = np.empty((c_len, (t_end - t_start) if keep_equity else 0), dtype=np.float64)
    t_start, t_end, lots = np.int64(t_start), np.int64(t_end), np.int64(lots)
    init_cash, keep_equity = np.float64(init_cash), np.bool_(keep_equity)
    s_len = order.shape[2]

    def chunk(a, b):  # each chunk on its own state and scratch rows (the chunks of two threads run at once)
        scratch = enb.sweep_scratch(n, init_cash, lots)
        rnb.rotation_range_nb(np.int64(a), np.int64(b), params, order, n_valid, inv_vol, trend_ok, member_j, member_v,
                              mkt, cost, pol, init_cash, t_start, t_end, summary, equity, keep_equity, *scratch,
                              np.zeros(s_len, dtype=np.float64), np.zeros(n, dtype=np.float64))

    run_chunks(chunk, c_len, n_threads)
    return summary, equity


def run_sweep(setup: RotationSetup, start=None, end=None, *, combos: tuple[int, int] | None = None,
              keep_equity: bool = False) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Simulate grid combinations ``combos = (first, stop)`` (default all) on ``[start, end]``.

    Returns the parameters joined with the engine's summary metrics (one row per combination,
    indexed by combination id) and, if asked, the equity curves (dates x combination ids).
    """
    t0, t1 = session_range(setup.panel.dates, start, end)
    first, stop = combos if combos is not None else (0, setup.grid.size)
    stop = min(stop, setup.grid.size)
    first = max(0, min(int(first), stop))
    from aibt.strategies.sweep_config import representatives

    # combinations equivalent to another one (same trades by construction) are simulated once: each
    # row's representative is the smallest equivalent combination id of the whole grid, so what is
    # computed does not depend on how the grid is cut into chunks
    reps = representatives(setup.grid, len(setup.sleeves.names), setup.signals, t0, t1,
                           np.arange(first, stop, dtype=np.int64))
    unique, inverse = np.unique(reps, return_inverse=True)
    params = setup.grid.codes_at(unique)
    pol = setup.extra.get("policy", policy(False, "cash"))
    lots = int(setup.extra.get("lots", 0))
    summary, equity = rotation_sweep(params, setup.signals.order, setup.signals.n_valid, setup.signals.inv_vol,
                                            setup.signals.trend_ok, setup.sleeves.members, setup.market, setup.cost,
                                            pol, lots, setup.init_cash, t0, t1, keep_equity)
    if len(unique) < len(reps):
        summary = summary[inverse]
        equity = equity[inverse]
    ids = pd.RangeIndex(first, first + len(reps), name="combo")
    dates = setup.panel.dates[t0:t1]
    # one frame of the parameter and metric columns (building two and joining them cost a millisecond,
    # a tenth of a 135-combination sweep)
    out = pd.DataFrame({**setup.grid.columns(first, stop), **summary_columns(summary, dates, _periods_per_year(dates))},
                       index=ids)
    out.attrs["computed"] = int(len(unique))  # combinations simulated; the others equal one of them
    eq = pd.DataFrame(equity.T, index=dates, columns=ids) if keep_equity else None
    return out, eq


def walk_forward(setup: RotationSetup, train_sessions: int, test_sessions: int, *, start=None, end=None,
                 metric: str = "sharpe") -> tuple[pd.DataFrame, pd.Series]:
    """Rolling walk-forward: choose the best combination by ``metric`` on each training window, then
    run it on the following test window (a fresh portfolio at the start of each test window).

    The last test window runs to the end of the data when at least a quarter of ``test_sessions``
    (and 5 sessions) remain.

    Returns one row per fold (windows, chosen parameters, in-sample and out-of-sample metrics, the
    in-sample rank of the chosen combination is 1 by construction) and the chained out-of-sample
    equity curve (each fold's returns compounded, starting at 1.0).
    """
    if train_sessions < 20 or test_sessions < 5:
        raise ConfigError("walk-forward needs train_sessions >= 20 and test_sessions >= 5")
    t0, t1 = session_range(setup.panel.dates, start, end)
    dates = setup.panel.dates
    rows, pieces = [], []
    level = 1.0
    a = t0
    min_test = max(5, test_sessions // 4)
    while a + train_sessions + min_test <= t1:
        b = a + train_sessions
        c = min(b + test_sessions, t1)  # the last test window may be shorter: it ends with the data
        ins, _ = run_sweep(setup, dates[a], dates[b - 1])
        if metric not in ins.columns:
            raise ConfigError(f"unknown walk-forward metric {metric!r}; choose from {list(ins.columns)}")
        ranked = ins[metric].fillna(-np.inf).sort_values(ascending=False, kind="mergesort")
        best = int(ranked.index[0])
        oos, eq = run_sweep(setup, dates[b], dates[c - 1], combos=(best, best + 1), keep_equity=True)
        curve = eq[best] / eq[best].iloc[0] * level
        pieces.append(curve)  # each test window starts in cash: its first day's return is 0
        level = float(curve.iloc[-1])
        rows.append({
            "train_start": dates[a].date().isoformat(), "train_end": dates[b - 1].date().isoformat(),
            "test_start": dates[b].date().isoformat(), "test_end": dates[c - 1].date().isoformat(),
            **{k: ins.loc[best, k] for k in PARAM_COLUMNS},
            f"is_{metric}": float(ins.loc[best, metric]),
            f"is_median_{metric}": float(ins[metric].median()),
            f"oos_{metric}": float(oos.loc[best, metric]),
            "is_total_return": float(ins.loc[best, "total_return"]),
            "oos_total_return": float(oos.loc[best, "total_return"]),
        })
        a += test_sessions
    if not rows:
        raise ConfigError(f"the data ({t1 - t0} sessions) are too short for one walk-forward fold of "
                          f"{train_sessions} + {test_sessions} sessions")
    return pd.DataFrame(rows), pd.concat(pieces).rename("walk_forward")
