"""Strategy comparison from a study file (``aibt compare --study FILE``): parse, then run every strategy
on one Panel under the same rules, costs and dates.

A study file is TOML::

    title = "Supplier baskets against the rotation and 588790"
    start = "2022-01-24"          # first and last session compared (inclusive)
    end = "2026-05-08"
    history_start = "2020-01-02"  # data loaded from here (lookbacks, volatilities); default: start
    benchmark = "000688"          # a symbol, or 950180 / star-ai (the reconstructed STAR AI index)
    rules = "a-share"             # or "frictionless"
    price = "open"                # fill price of the session after a decision
    init_cash = 10000000

    [costs]
    commission = 0.00025
    min_commission = 5.0
    slippage_bps = 5.0

    [[strategy]]
    name = "optical, equal weight, daily"
    kind = "basket"               # see KINDS
    members = "optical"           # a basket name (optical, copper, pcb) or a list of codes
    weighting = "equal"           # equal | cap | inverse_vol
    schedule = "daily"            # daily | weekly | monthly | quarterly

Strategy kinds (:data:`KINDS`) and their keys:

* ``buy_and_hold``: ``members`` (a code or list), bought equally on the first session, never rebalanced;
* ``basket``: ``members``, ``weighting`` (``equal``, ``cap`` by float market cap, ``inverse_vol`` over
  ``vol_window`` sessions), ``schedule``; a member weighs only from its first bar to its last;
* ``rotation``: the sleeve rotation with ``lookback``, ``top_k``, ``period``, ``weighting``
  (``equal``/``inv_vol``), ``trend_window`` over ``sleeves`` (default optical, copper, pcb, star-ai);
* ``etf_tracking``: ``etf`` simulated in the engine's ETF mode on the rebuilt index (fees, cash buffer);
* ``index``: the reconstructed STAR AI index level, held without costs (a reference, not traded);
* ``weights_csv``: ``path`` to ``effective_date,code,weight`` rows, rebalanced on each effective date;
* ``python``: ``function = "module:function"`` (or ``"file.py:function"``) called as
  ``function(panel, **params)`` -> target weights, ``params`` a table, ``schedule`` optional;
  ``[strategy.sweep]`` gives lists of parameter values to sweep (``aibt compare --study FILE --sweep NAME``).

Everything here takes the Panel (and, for index strategies, the rebuilt index) from the caller; nothing
loads market data.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from aibt.errors import ConfigError, one_line, short

KINDS = ("buy_and_hold", "basket", "rotation", "etf_tracking", "index", "weights_csv", "python")
TOP_KEYS = ("title", "start", "end", "history_start", "benchmark", "rules", "price", "init_cash", "costs",
            "strategy")
COST_KEYS = ("commission", "min_commission", "slippage_bps")
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "buy_and_hold": ("members",),
    "basket": ("members", "weighting", "schedule", "vol_window"),
    "rotation": ("lookback", "top_k", "period", "weighting", "trend_window", "sleeves", "vol_window"),
    "etf_tracking": ("etf",),
    "index": (),
    "weights_csv": ("path",),
    "python": ("function", "params", "schedule", "sweep", "members"),
}
BASKET_WEIGHTINGS = ("equal", "cap", "inverse_vol")
SCHEDULES = ("daily", "weekly", "monthly", "quarterly")
DEFAULT_SLEEVES = ("optical", "copper", "pcb", "star-ai")
INDEX_ALIASES = ("950180", "star-ai")
RULES = ("a-share", "frictionless")


@dataclass(frozen=True)
class StrategySpec:
    name: str
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A parsed study file (see the module docstring)."""

    title: str
    start: str
    end: str | None
    history_start: str | None
    benchmark: str | None
    rules: str
    price: str
    init_cash: float
    costs: Mapping[str, float]
    strategies: tuple[StrategySpec, ...]
    folder: str = "."  # relative paths (weights CSV, python files) are taken from here

    @property
    def needs_index(self) -> bool:
        """True when a strategy or the benchmark needs the rebuilt STAR AI index."""
        return any(s.kind in ("etf_tracking", "index") or (s.kind == "rotation" and "star-ai" in s.options["sleeves"])
                   for s in self.strategies) or (str(self.benchmark).lower() in INDEX_ALIASES)

    def symbols(self) -> list[str]:
        """Codes the strategies trade (the command loads them; index constituents come on top)."""
        from aibt.universes import BASKETS

        out: list[str] = []
        for s in self.strategies:
            o = s.options
            if s.kind in ("buy_and_hold", "basket", "python"):
                out += list(o["members"])
            elif s.kind == "rotation":
                out += [c for sl in o["sleeves"] if sl != "star-ai" for c in BASKETS[sl]]
            elif s.kind == "weights_csv":
                out += list(weights_table(self, s)["code"])
        if self.benchmark and str(self.benchmark).lower() not in INDEX_ALIASES:
            out.append(str(self.benchmark))
        return list(dict.fromkeys(out))

    def strategy(self, name: str) -> StrategySpec:
        for s in self.strategies:
            if s.name == name:
                return s
        hint = difflib.get_close_matches(name, [s.name for s in self.strategies], n=1)
        raise ConfigError(f"study has no strategy {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))


def _unknown(key, known, where: str) -> ConfigError:
    hint = difflib.get_close_matches(str(key), list(known), n=1)
    tail = f"; did you mean {hint[0]!r}?" if hint else f"; valid keys: {', '.join(known) or '(none)'}"
    return ConfigError(f"study file: unknown key {where}{short(key)}{tail}")


def _num(value, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)) \
            or value < 0 or (positive and value <= 0):
        raise ConfigError(f"study file: {where} must be a finite number {'> 0' if positive else '>= 0'}, "
                          f"got {short(value)}")
    return float(value)


def _int(value, where: str, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ConfigError(f"study file: {where} must be an integer >= {lo}, got {short(value)}")
    return int(value)


def _choice(value, choices, where: str) -> str:
    if value not in choices:
        raise ConfigError(f"study file: {where} must be one of {', '.join(choices)}, got {short(value)}")
    return value


def _date(value, where: str) -> str:
    from aibt.files import user_date

    if not isinstance(value, str):
        raise ConfigError(f"study file: {where} must be a date string YYYY-MM-DD, got {short(value)}")
    return user_date(value, f"study file {where}").strftime("%Y-%m-%d")


def _members(value, where: str) -> tuple[str, ...]:
    from aibt.universes import BASKETS

    if isinstance(value, str):
        if value in BASKETS:
            return tuple(BASKETS[value])
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"study file: {where} must be a basket name ({', '.join(BASKETS)}), a code or a list of "
                      f"quoted codes, got {short(value)}")


def _strategy(raw, i: int) -> StrategySpec:
    where = f"[[strategy]] {i + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"study file: {where} must be a table")
    kind = raw.get("kind")
    if kind is None:
        raise ConfigError(f"study file: {where} has no kind (one of {', '.join(KINDS)})")
    _choice(kind, KINDS, f"{where} kind")
    name = raw.get("name", f"{kind} {i + 1}")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"study file: {where} name must be a non-empty string")
    where = f"strategy {name!r}"
    allowed = KIND_KEYS[kind]
    for k in raw:
        if k not in ("name", "kind") + allowed:
            raise _unknown(k, ("name", "kind") + allowed, f"{where}: ")
    o: dict[str, Any] = {}
    if kind in ("buy_and_hold", "basket"):
        if "members" not in raw:
            raise ConfigError(f"study file: {where} needs members (a basket name or a list of codes)")
        o["members"] = _members(raw["members"], f"{where} members")
    if kind == "basket":
        o["weighting"] = _choice(raw.get("weighting", "equal"), BASKET_WEIGHTINGS, f"{where} weighting")
        o["schedule"] = _choice(raw.get("schedule", "monthly"), SCHEDULES, f"{where} schedule")
        o["vol_window"] = _int(raw.get("vol_window", 60), f"{where} vol_window", 2)
    elif kind == "rotation":
        o["lookback"] = _int(raw.get("lookback", 60), f"{where} lookback", 1)
        o["top_k"] = _int(raw.get("top_k", 1), f"{where} top_k", 1)
        o["period"] = _int(raw.get("period", 21), f"{where} period", 1)
        o["weighting"] = _choice(raw.get("weighting", "equal"), ("equal", "inv_vol"), f"{where} weighting")
        o["trend_window"] = _int(raw.get("trend_window", 0), f"{where} trend_window", 0)
        o["vol_window"] = _int(raw.get("vol_window", 60), f"{where} vol_window", 2)
        sl = raw.get("sleeves", list(DEFAULT_SLEEVES))
        if not isinstance(sl, list) or not sl or any(s not in DEFAULT_SLEEVES for s in sl):
            raise ConfigError(f"study file: {where} sleeves must be a list of {', '.join(DEFAULT_SLEEVES)}, got "
                              f"{short(sl)}")
        o["sleeves"] = tuple(sl)
    elif kind == "etf_tracking":
        etf = raw.get("etf", "588790")
        if not isinstance(etf, str):
            raise ConfigError(f"study file: {where} etf must be a quoted code such as \"588790\"")
        o["etf"] = etf
    elif kind == "weights_csv":
        if not isinstance(raw.get("path"), str):
            raise ConfigError(f"study file: {where} needs path = \"weights.csv\" (columns effective_date, code, weight)")
        o["path"] = raw["path"]
    elif kind == "python":
        o["members"] = _members(raw["members"], f"{where} members") if "members" in raw else ()
        fn = raw.get("function")
        if not isinstance(fn, str) or ":" not in fn:
            raise ConfigError(f"study file: {where} needs function = \"module:function\"")
        o["function"] = fn
        params = raw.get("params", {})
        if not isinstance(params, dict):
            raise ConfigError(f"study file: {where} params must be a table")
        o["params"] = dict(params)
        o["schedule"] = _choice(raw["schedule"], SCHEDULES, f"{where} schedule") if "schedule" in raw else None
        sweep = raw.get("sweep", {})
        if not isinstance(sweep, dict) or any(not isinstance(v, list) or not v for v in sweep.values()):
            raise ConfigError(f"study file: {where} sweep must be a table of non-empty lists of values")
        o["sweep"] = {k: list(v) for k, v in sweep.items()}
    return StrategySpec(name.strip(), kind, o)


def study_from_dict(raw: Mapping[str, Any], folder: str = ".") -> Study:
    """Validate a parsed study mapping (see the module docstring)."""
    for k in raw:
        if k not in TOP_KEYS:
            raise _unknown(k, TOP_KEYS, "")
    costs = raw.get("costs", {})
    if not isinstance(costs, dict):
        raise ConfigError("study file: [costs] must be a table")
    for k in costs:
        if k not in COST_KEYS:
            raise _unknown(k, COST_KEYS, "[costs] ")
    strategies = raw.get("strategy")
    if not isinstance(strategies, list) or not strategies:
        raise ConfigError("study file: no strategies; add [[strategy]] tables (kind = \"basket\", ...)")
    specs = tuple(_strategy(s, i) for i, s in enumerate(strategies))
    names = [s.name for s in specs]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise ConfigError(f"study file: two strategies are named {dup!r}; names must be unique")
    if "start" not in raw:
        raise ConfigError("study file: start = \"YYYY-MM-DD\" is required (the first session compared)")
    start = _date(raw["start"], "start")
    end = _date(raw["end"], "end") if "end" in raw else None
    if end is not None and end < start:
        raise ConfigError(f"study file: end {end} is before start {start}")
    hist = _date(raw["history_start"], "history_start") if "history_start" in raw else None
    if hist is not None and hist > start:
        raise ConfigError(f"study file: history_start {hist} is after start {start}")
    bench = raw.get("benchmark")
    if bench is not None and not isinstance(bench, str):
        raise ConfigError("study file: benchmark must be a quoted code such as \"000688\" or \"950180\"")
    price = _choice(raw.get("price", "open"), ("open", "close", "vwap"), "price")
    title = raw.get("title", "Strategy comparison")
    if not isinstance(title, str):
        raise ConfigError("study file: title must be a string")
    return Study(title=title, start=start, end=end, history_start=hist, benchmark=bench,
                 rules=_choice(raw.get("rules", "a-share"), RULES, "rules"), price=price,
                 init_cash=_num(raw.get("init_cash", 10_000_000.0), "init_cash", positive=True),
                 costs={k: _num(costs.get(k, 0.0), f"[costs] {k}") for k in COST_KEYS}, strategies=specs,
                 folder=str(folder))


def load_study(path) -> Study:
    """Read and validate a TOML study file; relative paths inside it are taken from its folder."""
    from aibt.files import read_toml

    p = Path(path)
    raw = read_toml(p, "study file")
    return study_from_dict(raw, str(p.resolve().parent))


def _path(study: Study, rel: str) -> Path:
    p = Path(rel)
    return p if p.is_absolute() else Path(study.folder) / p


def weights_table(study: Study, spec: StrategySpec) -> pd.DataFrame:
    """The ``effective_date, code, weight`` rows of a ``weights_csv`` strategy."""
    from aibt.errors import AibtError
    from aibt.universes.star_ai import weights_from_user_file

    try:
        return weights_from_user_file(_path(study, spec.options["path"]))
    except AibtError as exc:
        raise type(exc)(f"strategy {spec.name!r} (weights_csv): {str(exc).replace('constituent file', 'weights file')}") \
            from None


def strategy_function(study: Study, spec: StrategySpec) -> Callable:
    """The callable of a ``python`` strategy (a ``file.py:function`` path relative to the study's folder)."""
    from aibt.strategies.user import resolve_strategy

    fn = spec.options["function"]
    mod, _, attr = fn.rpartition(":")
    if mod.endswith(".py"):
        fn = f"{_path(study, mod)}:{attr}"
    return resolve_strategy(fn)


# ----------------------------------------------------------------------------- weights
def python_weights(panel, fn, params: Mapping[str, Any], spec: StrategySpec) -> np.ndarray:
    """[T, N] weights on ``panel`` of a ``python`` strategy: the function sees only the strategy's
    ``members`` when it names them (else the whole panel), and its weights are placed in their columns."""
    members = spec.options.get("members") or ()
    if not members:
        return user_weights(panel, fn, params, spec.name)
    view = panel.select(list(members))
    w = user_weights(view, fn, params, spec.name)
    full = np.zeros(panel.shape)
    full[:, [panel.column(m) for m in view.symbols]] = np.nan_to_num(w, nan=0.0)
    full[np.isnan(w).all(axis=1)] = np.nan  # a row without a decision stays one
    return full


def user_weights(panel, fn, params: Mapping[str, Any], name: str) -> np.ndarray:
    """[T, N] target weights of a user function ``fn(panel, **params)`` on ``panel``'s axes (a returned
    DataFrame is aligned by dates and symbols; NaN rows mean "no decision"); errors name the strategy."""
    from aibt.strategies.user import strategy_weights

    try:
        w = strategy_weights(panel, fn, params)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's code: one line naming the strategy and params
        raise ConfigError(f"strategy {name!r} with {dict(params)}: {type(exc).__name__}: {one_line(str(exc), 200)}") \
            from None
    if isinstance(w, pd.DataFrame):
        unknown = [c for c in w.columns if str(c) not in panel.symbols]
        if unknown:
            raise ConfigError(f"strategy {name!r} returned weights for {unknown[0]!r}, which the data do not have")
        w = w.rename(columns=str).reindex(index=panel.dates, columns=list(panel.symbols))
        given = w.notna().any(axis=1).to_numpy()
        w = w.to_numpy(dtype=float, copy=True)
        w[given] = np.nan_to_num(w[given], nan=0.0)
    w = np.asarray(w, dtype=float)
    if w.shape != panel.shape:
        raise ConfigError(f"strategy {name!r} returned weights of shape {w.shape}, expected {panel.shape} "
                          "(dates x symbols of the panel)")
    return w


def active_mask(panel) -> np.ndarray:
    """[T, N] True from each symbol's first bar to its last (a name weighs only while it has data):
    :func:`aibt.engine.targets.listed_mask`, the engine's one definition of it."""
    from aibt.engine.targets import listed_mask

    return listed_mask(panel)


def basket_weights(panel, members, weighting: str = "equal", vol_window: int = 60,
                   shares: Mapping[str, float] | None = None) -> np.ndarray:
    """[T, N] target weights of a basket: ``equal``, ``cap`` (``shares`` x close in CNY, today's share
    count on split-consistent prices) or ``inverse_vol`` (1 / sd of the last ``vol_window`` daily
    returns); only members with data (listed, not ended) weigh, and the weights sum to 1 wherever one does."""
    t, n = panel.shape
    cols = [panel.column(m) for m in members]
    act = active_mask(panel)[:, cols]
    if weighting == "equal":
        raw = act.astype(float)
    elif weighting == "cap":
        missing = [m for m in members if not shares or m not in shares or not np.isfinite(shares[m])]
        if missing:
            raise ConfigError(f"cap weights need the share count of {', '.join(missing[:5])}, which the data lack; "
                              "use weighting = \"equal\" or \"inverse_vol\"")
        px = pd.DataFrame(panel.fields["close"][:, cols] * panel.fx_to_cny[:, cols]).ffill().to_numpy()
        raw = np.where(act, px * np.array([shares[m] for m in members])[None, :], 0.0)
    elif weighting == "inverse_vol":
        px = pd.DataFrame(panel.fields["close"][:, cols] * panel.fx_to_cny[:, cols])
        sd = px.pct_change(fill_method=None).rolling(vol_window, min_periods=max(2, vol_window // 2)).std().to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.where(act & np.isfinite(sd) & (sd > 0), 1.0 / sd, 0.0)
    else:
        raise ConfigError(f"unknown weighting {weighting!r}; use one of {', '.join(BASKET_WEIGHTINGS)}")
    raw = np.nan_to_num(raw, nan=0.0)
    tot = raw.sum(axis=1, keepdims=True)
    w = np.zeros((t, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        w[:, cols] = np.where(tot > 0, raw / tot, 0.0)
    return w


def with_first_session(dates: pd.DatetimeIndex, schedule: str) -> list:
    """The decision dates of a named schedule plus the first session (a basket is bought at the start,
    not at the first period end)."""
    from aibt.engine.schedule import schedule_mask

    mask = schedule_mask(dates, schedule)
    mask[0] = True
    return list(dates[mask])


def passive_sleeves(panel, sleeves, rules, *, start, end, schedule: str = "monthly", price: str = "open",
                    init_cash: float = 10_000_000.0, **costs) -> dict:
    """Each rotation sleeve held passively on ``[start, end]``: its member weights (equal over listed
    names for a basket, the review weights for an index sleeve) bought on the first session and
    rebalanced on ``schedule``, under ``rules`` and ``costs`` (the rotation's). Returns name -> SimResult."""
    from aibt.engine.simulate import simulate

    t0 = int(panel.dates.searchsorted(pd.Timestamp(start)))
    t1 = int(panel.dates.searchsorted(pd.Timestamp(end), side="right"))
    sub = panel.select(start=panel.dates[t0], end=panel.dates[t1 - 1])
    sub_rules = rules
    if rules is not None and not isinstance(rules, str):
        from aibt.universes import compile_rules

        sub_rules = compile_rules(sub.dates, sub.symbols)
    days = with_first_session(sub.dates, schedule)
    out = {}
    for s, name in enumerate(sleeves.names):
        w = np.asarray(sleeves.member_w[t0:t1, s, :], dtype=float)
        out[name] = simulate(sub, pd.DataFrame(w, index=sub.dates, columns=list(sub.symbols)),
                             rules=sub_rules if sub_rules is not None else "frictionless", price=price,
                             schedule=days, init_cash=init_cash, **costs)
    return out


# ----------------------------------------------------------------------------- running
@dataclass(frozen=True, eq=False)
class Comparison:
    """What :func:`aibt.results.comparison.run_comparison` returns.

    Attributes
    ----------
    table : DataFrame, one row per strategy (and the benchmark): returns, risk, against the benchmark,
        costs, turnover and orders, all measured over the same sessions.
    equity : DataFrame (sessions x strategies) of equity curves, each starting at its initial cash.
    benchmark : Series of the benchmark level over the same sessions, or None.
    results : name -> the engine's result (SimResult, or the ETF/rotation equivalents), where there is one.
    """

    study: Study
    table: pd.DataFrame
    equity: pd.DataFrame
    benchmark: pd.Series | None
    results: Mapping[str, Any]


TABLE_COLUMNS = ("strategy", "kind", "start", "end", "total_return", "cagr", "volatility_annual", "sharpe",
                 "max_drawdown", "best_month", "best_month_return", "beta", "alpha", "correlation",
                 "tracking_error", "information_ratio", "total_costs", "turnover_annual", "n_filled",
                 "n_refused")


def _rules(study: Study, panel):
    return "a-share" if study.rules == "a-share" else "frictionless"


def _simulate(study: Study, panel, weights, schedule):
    from aibt.engine.simulate import simulate

    return simulate(panel, weights, rules=_rules(study, panel), price=study.price, schedule=schedule,
                    init_cash=study.init_cash, **study.costs)


def _window(study: Study, panel):
    """The compared sessions as a sub-panel, and its row range in ``panel``."""
    t0 = int(panel.dates.searchsorted(pd.Timestamp(study.start)))
    t1 = len(panel.dates) if study.end is None else int(panel.dates.searchsorted(pd.Timestamp(study.end), side="right"))
    if t1 - t0 < 2:
        raise ConfigError(f"study file: fewer than 2 sessions between {study.start} and {study.end or 'the end'}; "
                          f"the data cover {panel.dates[0].date()} to {panel.dates[-1].date()}")
    return panel.select(start=panel.dates[t0], end=panel.dates[t1 - 1]), t0, t1


def run_strategy(study: Study, spec: StrategySpec, panel, *, index_level: pd.Series | None = None,
                 constituents: pd.DataFrame | None = None, shares: Mapping[str, float] | None = None,
                 tracked: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None):
    """(equity Series on the compared sessions, engine result or None) of one strategy."""
    sub, t0, t1 = _window(study, panel)
    o = spec.options
    if spec.kind == "buy_and_hold":
        act = active_mask(sub)[0]
        first = {m: 1.0 for m in o["members"] if act[sub.column(m)]}
        if not first:
            raise ConfigError(f"strategy {spec.name!r}: none of {', '.join(o['members'])} has a price on {study.start}")
        w = pd.DataFrame(np.nan, index=sub.dates, columns=list(sub.symbols))
        w.iloc[0] = 0.0
        for m in first:
            w.iloc[0, sub.column(m)] = 1.0 / len(first)
        res = _simulate(study, sub, w, None)
        return res.equity, res
    if spec.kind == "basket":
        w = basket_weights(panel, o["members"], o["weighting"], o["vol_window"], shares)[t0:t1]
        res = _simulate(study, sub, pd.DataFrame(w, index=sub.dates, columns=list(sub.symbols)),
                        with_first_session(sub.dates, o["schedule"]))
        return res.equity, res
    if spec.kind == "weights_csv":
        from aibt.strategies.index_reconstruction import weights_matrix

        table = weights_table(study, spec)
        w = weights_matrix(table, panel.dates, list(panel.symbols))[t0:t1]
        eff = [d for d in pd.DatetimeIndex(table["effective_date"].unique()) if sub.dates[0] <= d <= sub.dates[-1]]
        # each review's weights decide at the close before they take effect (as an index rebalances)
        days = sorted({sub.dates[0], *[sub.dates[max(int(sub.dates.searchsorted(d)) - 1, 0)] for d in eff]})
        if np.isnan(w[0]).all():
            raise ConfigError(f"strategy {spec.name!r}: the weights file has no weights effective by {study.start}")
        w = pd.DataFrame(w, index=sub.dates, columns=list(sub.symbols)).shift(-1).fillna(
            pd.DataFrame(w, index=sub.dates, columns=list(sub.symbols)))
        res = _simulate(study, sub, w.fillna(0.0), list(days))
        return res.equity, res
    if spec.kind == "python":
        fn = strategy_function(study, spec)
        w = python_weights(panel, fn, {**o["params"], **dict(params or {})}, spec)[t0:t1]
        res = _simulate(study, sub, w, o["schedule"])
        return res.equity, res
    if spec.kind == "rotation":
        return _rotation(study, spec, panel, index_level, constituents)
    if spec.kind == "index":
        if index_level is None:
            raise ConfigError(f"strategy {spec.name!r} needs the rebuilt STAR AI index")
        lv = index_level.reindex(sub.dates).dropna()
        return (lv / lv.iloc[0] * study.init_cash).rename("equity"), None
    if spec.kind == "etf_tracking":
        sim = (tracked or {}).get(spec.name)
        if sim is None:
            raise ConfigError(f"strategy {spec.name!r}: the ETF-mode simulation was not given")
        nav = sim.daily["nav"].reindex(sub.dates).dropna()
        return (nav / nav.iloc[0] * study.init_cash).rename("equity"), sim
    raise ConfigError(f"unknown strategy kind {spec.kind!r}")


def _rotation(study: Study, spec: StrategySpec, panel, index_level, constituents):
    from aibt.strategies.rotation import ParamGrid, build_sleeves, prepare, run_sweep
    from aibt.universes import BASKETS

    o = spec.options
    baskets = {s: list(BASKETS[s]) for s in o["sleeves"] if s != "star-ai"}
    index_sleeves = None
    if "star-ai" in o["sleeves"]:
        if index_level is None or constituents is None:
            raise ConfigError(f"strategy {spec.name!r}: the star-ai sleeve needs the rebuilt STAR AI index")
        from aibt.strategies.index_reconstruction import weights_matrix

        index_sleeves = {"star-ai": (index_level.reindex(panel.dates),
                                     weights_matrix(constituents, panel.dates, list(panel.symbols)))}
    sleeves = build_sleeves(panel, baskets, index_sleeves)
    grid = ParamGrid.from_dict({"lookbacks": [o["lookback"]], "top_k": [o["top_k"]], "periods": [o["period"]],
                                "weightings": [o["weighting"]], "trend_windows": [o["trend_window"]]})
    rules = None
    if study.rules == "a-share":
        from aibt.universes import compile_rules

        rules = compile_rules(panel.dates, panel.symbols)
    setup = prepare(panel, sleeves, grid, rules, price=study.price, init_cash=study.init_cash,
                    vol_window=o["vol_window"], **study.costs)
    sub, _, _ = _window(study, panel)
    summary, eq = run_sweep(setup, sub.dates[0], sub.dates[-1], keep_equity=True)
    return eq[0].rename("equity"), summary.iloc[0].to_dict()


def _engine_figures(res, init_cash: float) -> dict:
    """Costs, turnover and orders of one strategy's engine run; an ETF-mode fund's costs are scaled to
    ``init_cash`` (the fund is simulated at its own size)."""
    if res is None:
        return {}
    if isinstance(res, dict):  # a rotation summary row
        return {k: res.get(k) for k in ("total_costs", "turnover_annual", "n_filled", "n_refused")}
    fund = getattr(res, "fund", None)  # an ETF-mode simulation: the fund's engine run
    summ = getattr(getattr(fund, "sim", None), "summary", None) if fund is not None else getattr(res, "summary", None)
    if not isinstance(summ, dict):
        return {}
    out = {k: summ.get(k) for k in ("total_costs", "turnover_annual", "n_filled", "n_refused")}
    if fund is not None and summ.get("init_value"):
        out["total_costs"] = summ["total_costs"] * init_cash / summ["init_value"]
    return out


def benchmark_levels(study: Study, panel, index_level: pd.Series | None) -> tuple[str | None, pd.Series | None]:
    """(name, level) of the study's benchmark on the compared sessions."""
    if not study.benchmark:
        return None, None
    sub, _, _ = _window(study, panel)
    if str(study.benchmark).lower() in INDEX_ALIASES:
        if index_level is None:
            raise ConfigError("benchmark 950180 needs the rebuilt STAR AI index")
        return "950180 (reconstructed)", index_level.reindex(sub.dates).dropna()
    return str(study.benchmark), sub.series(str(study.benchmark), "close")


def winner_sentence(table: pd.DataFrame, a: str, b: str | None = None) -> str:
    """One sentence saying which of the strategies won on total return, and by how much."""
    rows = table[table["kind"] != "benchmark"].set_index("strategy")
    if b is None:
        best = rows["total_return"].idxmax()
        rest = rows.drop(index=best)
        second = rest["total_return"].idxmax() if len(rest) else None
        a, b = best, second
    if b is None:
        return f"{a} returned {rows.loc[a, 'total_return'] * 100:,.2f}%."
    ra, rb = rows.loc[a, "total_return"], rows.loc[b, "total_return"]
    win, lose = (a, b) if ra >= rb else (b, a)
    rw, rl = max(ra, rb), min(ra, rb)
    return (f"{win} won: total return {rw * 100:,.2f}% against {rl * 100:,.2f}% for {lose} "
            f"({(rw - rl) * 100:,.2f} percentage points; {(1 + rw) / (1 + rl):.2f}x the final value), from "
            f"{rows.loc[win, 'start']} to {rows.loc[win, 'end']}.")
