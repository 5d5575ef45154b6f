"""Composable point-in-time screens: filters, weighted percentile ranks and a top-k cut.

A :class:`Screen` is an ordered list of steps applied to a :class:`ScreenState`, in the spirit of
bt's algos: each step reads and updates the state and nothing else.

- :class:`Filter` ``(factor, op, value)`` drops the still-passing symbols whose factor value fails
  ``value_of_factor <op> value`` (a NaN value fails; the first failing step is named in ``failed``).
- :class:`Rank` ``(factor, ascending, weight)`` gives each still-passing symbol a percentile rank in
  ``(0, 1]``, 1 = best. ``ascending=False``: the highest value is best (momentum, liquidity);
  ``ascending=True``: the lowest is best. Without ``ascending`` a risk or cost factor
  (:data:`aibt.strategies.factors.LOW_IS_BETTER`: volatility, tracking error, fee, risk warning,
  stale sessions) ranks lowest first, as the built-in screens do, and every other factor highest
  first. Ties share the average rank. Ranks are computed among the symbols passing *at that step*.
- :class:`Top` ``(k)`` keeps the ``k`` best by composite score so far.

Composite score = weighted mean of the rank columns, ``sum_i w_i q_i / sum_i w_i``; a passing symbol
without a value for a ranked factor counts as 0 (worst) there, and its note says so.

Factors are named from :data:`aibt.strategies.factors.FACTORS`; a factor with parameters is a
:class:`FactorSpec` (``factor("momentum", window=120, skip=5)``, column ``momentum_120_5``).
Factors that need outside data (``fees``, ``reference``, ``list_dates``) take it from their
parameters or, failing that, from the run's ``context``.

:func:`run_screen` returns one row per symbol, as of a date, reading only panel rows on or before
it. :func:`screen_from_config` builds a screen from a dict (or TOML file, :func:`load_screen`)::

    reference = "000688"            # optional context: a panel symbol every ETF is measured against
    [fees]
    "588790" = [0.005, 0.001]
    [[steps]]
    filter = "avg_amount"           # factor name; other keys: factor parameters
    window = 20
    op = ">="
    value = 5e7
    [[steps]]
    rank = "momentum"
    window = 120
    skip = 5
    ascending = false
    weight = 1.0
    [[steps]]
    top = 10
"""
from __future__ import annotations

import inspect
import numbers
import operator
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from aibt.data.panel import Panel
from aibt.errors import ConfigError
from aibt.strategies.factors import FACTORS, LOW_IS_BETTER, as_of_date

#: Comparison operators a Filter accepts.
OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}

#: Parameters a factor may take from the run's context instead of its own spec.
CONTEXT_PARAMS = ("fees", "reference", "list_dates", "fund_shares", "risk_warnings", "names")


# ----------------------------------------------------------------------------------- factor specs
def _factor_params(name: str) -> list[str]:
    sig = inspect.signature(FACTORS[name])
    return [p for p in sig.parameters if p not in ("panel", "as_of")]


@dataclass(frozen=True, eq=False)
class FactorSpec:
    """A named factor with fixed parameters; ``label`` names its column in the screen table."""

    name: str
    params: Mapping[str, Any]
    label: str

    def compute(self, panel: Panel, as_of, context: Mapping[str, Any]) -> pd.Series:
        """Evaluate on ``panel`` as of ``as_of``; context supplies missing fees/reference/list_dates."""
        fn = FACTORS[self.name]
        kwargs = dict(self.params)
        for p in CONTEXT_PARAMS:
            if p in _factor_params(self.name) and p not in kwargs and context.get(p) is not None:
                kwargs[p] = context[p]
        return fn(panel, as_of, **kwargs)

    def key(self) -> tuple:
        return (self.name, tuple(sorted((k, _hashable(v)) for k, v in self.params.items())))


def _hashable(v):
    return v if isinstance(v, (str, numbers.Number, bool, type(None))) else id(v)


def factor(name: str, label: str | None = None, **params) -> FactorSpec:
    """Build a :class:`FactorSpec`, checking the factor name and its parameter names.

    The default label is the name followed by the scalar parameter values in signature order,
    e.g. ``factor("momentum", window=120, skip=5).label == "momentum_120_5"``.

    Raises
    ------
    ConfigError
        Unknown factor (lists the valid names) or parameter (lists the factor's parameters).
    """
    if not isinstance(name, str) or name not in FACTORS:
        raise ConfigError(f"unknown factor {name!r}; valid factors: {', '.join(sorted(FACTORS))}")
    valid = _factor_params(name)
    bad = sorted(set(params) - set(valid))
    if bad:
        raise ConfigError(f"unknown parameter(s) {', '.join(map(repr, bad))} for factor {name!r}; "
                          f"valid: {', '.join(valid) or '(none)'}")
    if label is None:
        parts = [str(params[p]) for p in valid
                 if p in params and isinstance(params[p], (str, numbers.Number)) and p not in ("fees", "list_dates")]
        label = "_".join([name, *parts])
    return FactorSpec(name, dict(params), str(label))


def _as_spec(f) -> FactorSpec:
    if isinstance(f, FactorSpec):
        return f
    if isinstance(f, str):
        return factor(f)
    raise ConfigError(f"a factor must be a name or factor(...), got {f!r}")


# ----------------------------------------------------------------------------------- state
@dataclass
class ScreenState:
    """What the steps read and update while a screen runs.

    Attributes
    ----------
    panel : the data (rows after ``as_of`` are never read by the factors).
    as_of : the session the screen is computed for.
    context : fees / reference / list_dates for factors that need them.
    values : label -> factor Series (every symbol), in order of first use.
    ranks : label -> (percentile rank Series, weight), in step order.
    passing : bool Series, symbols not yet dropped.
    failed : symbol -> description of the step that dropped it.
    notes : symbol -> list of messages (missing history, estimates).
    caveats : statements about whole factor columns (e.g. history counted from the first bar).
    """

    panel: Panel
    as_of: pd.Timestamp
    context: Mapping[str, Any] = field(default_factory=dict)
    values: dict[str, pd.Series] = field(default_factory=dict)
    ranks: dict[str, tuple[pd.Series, float]] = field(default_factory=dict)
    passing: pd.Series | None = None
    failed: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)
    _specs: dict[str, FactorSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.passing is None:
            self.passing = pd.Series(True, index=pd.Index(list(self.panel.symbols), dtype=object))

    def value(self, spec: FactorSpec) -> pd.Series:
        """The factor's values (computed once per label); its notes go to :attr:`notes`."""
        if spec.label in self.values:
            if self._specs[spec.label].key() != spec.key():
                raise ConfigError(f"two different factors share the column label {spec.label!r}; "
                                  "give one of them another label")
            return self.values[spec.label]
        s = spec.compute(self.panel, self.as_of, self.context)
        for sym, msg in s.attrs.get("notes", {}).items():
            self.note(sym, msg)
        if s.attrs.get("caveat") and s.attrs["caveat"] not in self.caveats:
            self.caveats.append(s.attrs["caveat"])
        self.values[spec.label] = s
        self._specs[spec.label] = spec
        return s

    def note(self, symbol: str, message: str) -> None:
        msgs = self.notes.setdefault(symbol, [])
        if message not in msgs:
            msgs.append(message)

    def drop(self, symbols: Iterable[str], reason: str | Mapping[str, str]) -> None:
        """Mark still-passing ``symbols`` as failed by ``reason`` (a string or per-symbol mapping)."""
        for s in symbols:
            if self.passing[s]:
                self.passing[s] = False
                self.failed[s] = reason if isinstance(reason, str) else reason[s]

    def score(self) -> pd.Series:
        """Composite score: weighted mean of the rank columns (missing rank = 0); NaN without ranks."""
        idx = self.passing.index
        if not self.ranks:
            return pd.Series(np.nan, index=idx, name="score")
        total = sum(w for _, w in self.ranks.values())
        acc = pd.Series(0.0, index=idx)
        for q, w in self.ranks.values():
            acc = acc + w * q.reindex(idx).fillna(0.0)
        out = (acc / total).where(self.passing | self._ranked_mask(), np.nan)
        return out.rename("score")

    def _ranked_mask(self) -> pd.Series:
        """Symbols that received at least one rank (they keep a score even if dropped later)."""
        m = pd.Series(False, index=self.passing.index)
        for q, _ in self.ranks.values():
            m |= q.reindex(m.index).notna()
        return m


# ----------------------------------------------------------------------------------- steps
@dataclass(frozen=True, eq=False)
class Filter:
    """Keep the passing symbols with ``factor <op> value``; NaN fails.

    Example: ``Filter(factor("avg_amount", window=20), ">=", 5e7)``.
    """

    factor: FactorSpec | str
    op: str
    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", _as_spec(self.factor))
        if self.op not in OPS:
            raise ConfigError(f"unknown operator {self.op!r}; valid: {', '.join(OPS)}")
        if isinstance(self.value, bool) or not isinstance(self.value, numbers.Real):
            raise ConfigError(f"filter value for {self.factor.label!r} must be a number, got {self.value!r}")

    def describe(self) -> str:
        return f"{self.factor.label} {self.op} {self.value:g}"

    def __call__(self, state: ScreenState) -> None:
        vals = state.value(self.factor)
        live = state.passing[state.passing].index
        v = vals.reindex(live)
        ok = OPS[self.op](v, self.value) & v.notna()
        bad = v.index[~ok.to_numpy(dtype=bool)]
        reasons = {s: self.describe() + (" (no value)" if pd.isna(v[s]) else "") for s in bad}
        state.drop(bad, reasons)


@dataclass(frozen=True, eq=False)
class Rank:
    """Percentile rank of ``factor`` among the passing symbols, 1 = best, with a weight in the score.

    ``ascending=False``: the highest value is best; ``ascending=True``: the lowest value is best;
    ``None`` (default): lowest best for the factors in :data:`~aibt.strategies.factors.LOW_IS_BETTER`
    (risk and cost: volatility, tracking error, fee, ...), highest best for the others.
    """

    factor: FactorSpec | str
    ascending: bool | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "factor", _as_spec(self.factor))
        if self.ascending is None:
            object.__setattr__(self, "ascending", self.factor.name in LOW_IS_BETTER)
        if not isinstance(self.ascending, (bool, np.bool_)):
            raise ConfigError(f"ascending for {self.factor.label!r} must be true or false, got {self.ascending!r}")
        if isinstance(self.weight, bool) or not isinstance(self.weight, numbers.Real) \
                or not np.isfinite(self.weight) or self.weight <= 0:
            raise ConfigError(f"rank weight for {self.factor.label!r} must be a positive number, got {self.weight!r}")

    @property
    def column(self) -> str:
        return f"rank_{self.factor.label}"

    def describe(self) -> str:
        best = "lowest" if self.ascending else "highest"
        return f"rank {self.factor.label} ({best} best, weight {self.weight:g})"

    def __call__(self, state: ScreenState) -> None:
        vals = state.value(self.factor)
        live = state.passing[state.passing].index
        v = vals.reindex(live)
        q = v.rank(pct=True, ascending=not self.ascending, method="average")
        for s in v.index[v.isna().to_numpy()]:
            state.note(s, f"no {self.factor.label} value: counted as worst in the score")
        state.ranks[self.factor.label] = (q.rename(self.column), float(self.weight))


@dataclass(frozen=True, eq=False)
class Top:
    """Keep the ``k`` passing symbols with the highest composite score (ties: panel order)."""

    k: int

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, numbers.Integral) or self.k < 1:
            raise ConfigError(f"top must be a positive integer, got {self.k!r}")

    def describe(self) -> str:
        return f"top {self.k}"

    def __call__(self, state: ScreenState) -> None:
        score = state.score()[state.passing]
        order = _order_by_score(score)
        state.drop(order[self.k:], f"not in top {self.k}")


def _order_by_score(score: pd.Series) -> list[str]:
    """Symbols by score descending, NaN last, ties in the given order (stable)."""
    pos = np.arange(len(score))
    key = np.where(score.isna().to_numpy(), np.inf, -score.to_numpy(dtype=np.float64, na_value=np.nan))
    return [score.index[i] for i in np.lexsort((pos, key))]


# ----------------------------------------------------------------------------------- screen
@dataclass(frozen=True, eq=False)
class Screen:
    """An ordered list of steps plus default context (fees, reference, list_dates).

    Raises
    ------
    ConfigError
        A step that is not a Filter/Rank/Top, a ``Top`` before any ``Rank``, or two ranks on one column.
    """

    steps: tuple
    context: Mapping[str, Any] = field(default_factory=dict)
    name: str = "screen"

    def __post_init__(self) -> None:
        steps = tuple(self.steps)
        object.__setattr__(self, "steps", steps)
        if not steps:
            raise ConfigError("a screen needs at least one step")
        ranked: set[str] = set()
        for i, st in enumerate(steps, 1):
            if not isinstance(st, (Filter, Rank, Top)):
                raise ConfigError(f"step {i} is {st!r}; steps are Filter, Rank or Top")
            if isinstance(st, Top) and not ranked:
                raise ConfigError(f"step {i} (top {st.k}) comes before any rank step: nothing to order by")
            if isinstance(st, Rank):
                if st.factor.label in ranked:
                    raise ConfigError(f"factor {st.factor.label!r} is ranked twice")
                ranked.add(st.factor.label)
        bad = sorted(set(self.context) - set(CONTEXT_PARAMS))
        if bad:
            raise ConfigError(f"unknown context key(s) {bad}; valid: {', '.join(CONTEXT_PARAMS)}")

    def describe(self) -> list[str]:
        return [st.describe() for st in self.steps]

    def run(self, panel: Panel, as_of=None, context: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Same as :func:`run_screen`."""
        return run_screen(panel, self, as_of, context)


def run_screen(panel: Panel, steps, as_of=None, context: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run a screen on ``panel`` as of ``as_of`` and return the table.

    Parameters
    ----------
    panel : Panel
    steps : Screen or iterable of Filter / Rank / Top
    as_of : date-like, optional
        Last panel session on or before it is used (default: the panel's last date). Only rows on or
        before it are read.
    context : mapping, optional
        Defaults for ``fees`` / ``reference`` / ``list_dates``; the screen's own context wins.

    Returns
    -------
    DataFrame
        Index ``symbol``; columns: each factor value (by label), ``rank_<label>`` per Rank (1 = best),
        ``score``, ``pass`` (bool), ``failed`` (the step that dropped the symbol, "" if passing) and
        ``notes``. Passing symbols first, by score descending. ``attrs``: ``as_of``, ``steps``, ``screen``, ``caveats``.
    """
    screen = steps if isinstance(steps, Screen) else Screen(tuple(steps))
    ctx = {**dict(context or {}), **dict(screen.context)}
    day = as_of_date(panel, as_of)
    state = ScreenState(panel, day, ctx)
    for st in screen.steps:
        st(state)
    return _table(state, screen)


def _table(state: ScreenState, screen: Screen) -> pd.DataFrame:
    idx = state.passing.index
    out = pd.DataFrame(index=idx)
    for label, s in state.values.items():
        out[label] = s.reindex(idx).to_numpy(dtype=np.float64)
    for label, (q, _) in state.ranks.items():
        out[q.name] = q.reindex(idx).to_numpy(dtype=np.float64)
    out["score"] = state.score().to_numpy(dtype=np.float64)
    out["pass"] = state.passing.to_numpy(dtype=bool)
    out["failed"] = pd.array([state.failed.get(s, "") for s in idx], dtype="string")
    out["notes"] = pd.array(["; ".join(state.notes.get(s, [])) for s in idx], dtype="string")
    order = _order_by_score(out.loc[out["pass"], "score"]) + _order_by_score(out.loc[~out["pass"], "score"])
    out = out.loc[order]
    out.index.name = "symbol"
    out.attrs["as_of"] = state.as_of
    out.attrs["steps"] = screen.describe()
    out.attrs["screen"] = screen.name
    out.attrs["caveats"] = list(state.caveats)
    return out


# ----------------------------------------------------------------------------------- built-in screens
def stock_screen(min_amount: float = 5e7, min_sessions: int = 120, top: int | None = None,
                 momentum_window: int = 120, skip: int = 5, vol_window: int = 60,
                 dd_window: int = 120, amount_window: int = 20) -> Screen:
    """Built-in stock screen.

    Filters: at least ``min_sessions`` sessions of data; average traded amount over ``amount_window``
    sessions >= ``min_amount`` (CNY). Ranks: momentum over ``momentum_window`` skipping the last
    ``skip`` sessions (weight 1, highest best), volatility over ``vol_window`` (0.5, lowest best),
    max drawdown over ``dd_window`` (0.5, shallowest best), average amount (0.5, highest best).
    Optional ``top`` cut.
    """
    amount = factor("avg_amount", window=amount_window)
    steps: list = [
        Filter("listed_sessions", ">=", min_sessions),
        Filter(amount, ">=", min_amount),
        Rank(factor("momentum", window=momentum_window, skip=skip), ascending=False, weight=1.0),
        Rank(factor("volatility", window=vol_window), ascending=True, weight=0.5),
        Rank(factor("max_drawdown", window=dd_window), ascending=False, weight=0.5),
        Rank(amount, ascending=False, weight=0.5),
    ]
    if top is not None:
        steps.append(Top(top))
    return Screen(tuple(steps), name="stock")


def etf_screen(fees: Mapping[str, Any], reference, min_amount: float = 1e7, min_sessions: int = 60,
               window: int = 60, amount_window: int = 20, top: int | None = None) -> Screen:
    """Built-in screen for ETFs tracking one index.

    Filters: at least ``min_sessions`` sessions of data; average traded amount over ``amount_window``
    >= ``min_amount`` (CNY). Ranks: tracking error against ``reference`` over ``window`` sessions
    (weight 1, lowest best), correlation with it (0.5, highest best), fee = management + custody
    from ``fees`` (1, lowest best), average amount (1, highest best). Optional ``top`` cut.

    ``reference`` is a level series (e.g. the rebuilt 950180), a panel symbol, or a mapping
    ``{symbol: level series}`` giving each fund the index it tracks
    (:func:`aibt.strategies.universe_screens.screen_universe` passes that). A fund is never measured
    against itself: a symbol that is its own reference gets no tracking value.
    """
    if fees is None or reference is None:
        raise ConfigError("etf_screen needs both fees {symbol: management + custody} and a reference")
    amount = factor("avg_amount", window=amount_window)
    steps: list = [
        Filter("listed_sessions", ">=", min_sessions),
        Filter(amount, ">=", min_amount),
        Rank(factor("tracking_error", window=window), ascending=True, weight=1.0),
        Rank(factor("correlation", window=window), ascending=False, weight=0.5),
        Rank("fee", ascending=True, weight=1.0),
        Rank(amount, ascending=False, weight=1.0),
    ]
    if top is not None:
        steps.append(Top(top))
    return Screen(tuple(steps), context={"fees": fees, "reference": reference}, name="etf")


# ----------------------------------------------------------------------------------- config form
_STEP_KINDS = ("filter", "rank", "top")
_STEP_KEYS = {"filter": {"op", "value", "label"}, "rank": {"ascending", "weight", "label"}, "top": set()}
_TOP_KEYS = {"steps", "name", *CONTEXT_PARAMS} - {"fund_shares", "risk_warnings", "names"}  # from the data


def screen_from_config(cfg: Mapping[str, Any]) -> Screen:
    """Build a :class:`Screen` from a dict (the parsed TOML form shown in the module docstring).

    Top-level keys: ``steps`` (list of tables), optional ``name``, ``fees``, ``reference``,
    ``list_dates``. Each step has exactly one of ``filter = <factor>``, ``rank = <factor>``,
    ``top = <k>``; a filter needs ``op`` and ``value``; a rank takes ``ascending`` (default: true
    for risk and cost factors, :data:`~aibt.strategies.factors.LOW_IS_BETTER`, false for the others)
    and ``weight`` (default 1); ``label`` renames a column; every other key is a factor parameter.

    Raises
    ------
    ConfigError
        Naming the step number and the bad key, factor or operator, and listing the valid ones.
    """
    if not isinstance(cfg, Mapping):
        raise ConfigError(f"a screen config must be a table/dict, got {type(cfg).__name__}")
    bad = sorted(set(cfg) - _TOP_KEYS)
    if bad:
        raise ConfigError(f"unknown config key(s) {bad}; valid: {', '.join(sorted(_TOP_KEYS))}")
    raw_steps = cfg.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ConfigError("config needs a non-empty 'steps' list ([[steps]] tables in TOML)")
    steps = [_step_from_dict(i, d) for i, d in enumerate(raw_steps, 1)]
    context = {k: cfg[k] for k in CONTEXT_PARAMS if k in cfg}
    if "fees" in context and not isinstance(context["fees"], Mapping):
        raise ConfigError("config 'fees' must be a table {symbol = fee or [management, custody]}")
    return Screen(tuple(steps), context=context, name=str(cfg.get("name", "custom")))


def _step_from_dict(i: int, d) -> Filter | Rank | Top:
    if not isinstance(d, Mapping):
        raise ConfigError(f"step {i} must be a table, got {d!r}")
    kinds = [k for k in _STEP_KINDS if k in d]
    if len(kinds) != 1:
        raise ConfigError(f"step {i} must have exactly one of {', '.join(_STEP_KINDS)}; got keys {sorted(d)}")
    kind = kinds[0]
    try:
        if kind == "top":
            extra = sorted(set(d) - {"top"})
            if extra:
                raise ConfigError(f"top step takes no other keys, got {extra}")
            return Top(d["top"])
        name = d[kind]
        params = {k: v for k, v in d.items() if k != kind and k not in _STEP_KEYS[kind]}
        spec = factor(name, label=d.get("label"), **params)
        if kind == "filter":
            missing = [k for k in ("op", "value") if k not in d]
            if missing:
                raise ConfigError(f"filter on {name!r} lacks {', '.join(missing)}")
            return Filter(spec, d["op"], d["value"])
        return Rank(spec, ascending=d.get("ascending"), weight=d.get("weight", 1.0))
    except ConfigError as exc:
        raise ConfigError(f"step {i}: {exc}") from None


def load_screen(path: str | Path) -> Screen:
    """Read a TOML screen config (see :func:`screen_from_config`)."""
    from aibt.errors import one_line
    from aibt.files import read_config_text

    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise ConfigError(f"screen config {str(p)!r} not found")
    try:
        cfg = tomllib.loads(read_config_text(p, "screen config"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"screen config {str(p)!r} is not valid TOML: {one_line(str(exc), 200)}") from None
    return screen_from_config(cfg)
