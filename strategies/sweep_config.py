"""The configuration of a chunked rotation sweep (``aibt sweep CONFIG``): parse, validate, hash.

A config is a TOML file with these sections (every key optional unless marked)::

    [universe]
    symbols = ["002463", "300308"]   # codes of the embedded snapshot, or
    name = "interconnect"            # a built-in universe / universe file (give one of the two)
    sleeves = "assets"               # "assets": every security its own sleeve; "baskets": the
    baskets = ["optical", "pcb"]     #   equal-weight supplier baskets named here (members loaded)

    [dates]
    start = "2020-03-19"             # simulated sessions [start, end]; signals may use earlier bars
    end = "2026-05-28"

    [grid]                           # aibt.strategies.rotation.ParamGrid, Cartesian product
    lookbacks = [20, 60, 120]
    top_k = [1, 2, 3]
    periods = [5, 21]
    weightings = ["equal", "inv_vol"]
    trend_windows = [0, 60]

    [costs]
    price = "open"                   # fill price of the session after a decision
    commission = 0.001               # fraction of traded value
    min_commission = 0.0             # CNY per order
    slippage_bps = 0.0
    init_cash = 10000000.0
    rules = false                    # true: A-share rules (lots, limits, stamp duty, fees)
    vol_window = 60

    [run]
    chunk_size = 1000                # combinations per chunk
    out = "sweep-out"                # folder of chunk summaries and the merged table
    max_combinations = 1000000       # refuse larger grids unless raised here or by --max-combinations

The *work hash* covers everything that changes results (universe, sleeves, dates, grid, costs and the
snapshot's content hash) and nothing that does not (``chunk_size``, ``out``, ``max_combinations``): chunk ids embed it, so a
rerun of the same work resumes and a changed config never reuses stale chunks.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from aibt.errors import ConfigError, one_line, short
from aibt.files import user_date
from aibt.strategies.rotation import ParamGrid

SECTIONS: dict[str, tuple[str, ...]] = {
    "universe": ("symbols", "name", "sleeves", "baskets"),
    "dates": ("start", "end"),
    "grid": ("lookbacks", "top_k", "periods", "weightings", "trend_windows"),
    "costs": ("price", "commission", "min_commission", "slippage_bps", "init_cash", "rules", "vol_window"),
    "run": ("chunk_size", "out", "max_combinations"),
}
SLEEVE_MODES = ("assets", "baskets")
#: Default largest grid (combinations); each combination keeps one summary row in memory.
MAX_COMBINATIONS = 1_000_000
#: Most chunk files one sweep may write (a tiny chunk_size on a large grid would flood the folder).
MAX_CHUNKS = 100_000
#: Most values one grid axis may hold (signals are precomputed per lookback and trend window).
MAX_AXIS_VALUES = 1_000


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep configuration (see the module docstring for the file format)."""

    symbols: tuple[str, ...] = ()
    name: str = ""
    sleeves: str = "assets"
    baskets: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    grid: ParamGrid = field(default_factory=ParamGrid)
    price: str = "open"
    commission: float = 0.00025
    min_commission: float = 5.0
    slippage_bps: float = 0.0
    init_cash: float = 10_000_000.0
    rules: bool = False
    vol_window: int = 60
    chunk_size: int = 1000
    out: str = "sweep-out"
    max_combinations: int = MAX_COMBINATIONS

    def work(self) -> dict[str, Any]:
        """The fields that determine the results (everything but ``chunk_size`` and ``out``)."""
        d = asdict(self)
        d.pop("chunk_size")
        d.pop("out")
        d.pop("max_combinations")
        d["grid"] = {k: list(v) for k, v in asdict(self.grid).items()}
        d["symbols"] = list(self.symbols)
        d["baskets"] = list(self.baskets)
        return d

    def to_json(self) -> str:
        """Canonical JSON of the whole config (sorted keys); :func:`config_from_json` inverts it."""
        d = self.work()
        d["chunk_size"] = self.chunk_size
        d["out"] = self.out
        d["max_combinations"] = self.max_combinations
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    def work_hash(self, data_hash: str = "") -> str:
        """First 12 hex digits of sha256 over the canonical work fields and ``data_hash``."""
        payload = json.dumps(self.work(), sort_keys=True, separators=(",", ":")) + "|" + data_hash
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def _unknown(key: str, known, where: str) -> ConfigError:
    hint = difflib.get_close_matches(str(key)[:100], list(known), n=1)
    tail = f"; did you mean {hint[0]!r}?" if hint else f"; valid keys: {', '.join(known)}"
    if str(key).isdigit():
        tail += "; codes belong in [universe] symbols = [\"...\"] (quoted)"
    return ConfigError(f"unknown key {where}{short(key)} in sweep config{tail}")


def _typed(section: str, key: str, value, kind):
    where = f"[{section}] {key}"
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {short(value)}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {short(value)}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {short(value)}")
        if not math.isfinite(float(value)) or value < 0:
            raise ConfigError(f"{where} must be a finite number >= 0, got {short(value)}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {short(value)}")
        return value
    if kind == "strs":
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise ConfigError(f"{where} must be a list of strings, got {short(value)}")
        return tuple(str(v) for v in value)
    raise AssertionError(kind)


_KINDS = {"symbols": "strs", "name": str, "sleeves": str, "baskets": "strs", "start": str, "end": str,
          "price": str, "commission": float, "min_commission": float, "slippage_bps": float,
          "init_cash": float, "rules": bool, "vol_window": int, "chunk_size": int, "out": str,
          "max_combinations": int}


def config_from_dict(raw: Mapping[str, Any]) -> SweepConfig:
    """Validate a parsed config mapping.

    Raises
    ------
    ConfigError
        Naming the first unknown section or key (with the closest valid one), a value of the wrong
        type, or an inconsistent choice (no universe, unknown sleeve mode, chunk_size < 1).
    """
    kwargs: dict[str, Any] = {}
    for section, body in raw.items():
        if section not in SECTIONS:
            raise _unknown(section, tuple(SECTIONS), "section ")
        if not isinstance(body, Mapping):
            raise ConfigError(f"[{section}] must be a table of keys, got {short(body)}")
        for key, value in body.items():
            if key not in SECTIONS[section]:
                raise _unknown(key, SECTIONS[section], f"[{section}] ")
            if section == "grid":
                if not isinstance(value, list):
                    raise ConfigError(f"[grid] {key} must be a list, got {short(value)}")
                if len(value) > MAX_AXIS_VALUES:
                    raise ConfigError(f"[grid] {key} has {len(value)} values, more than {MAX_AXIS_VALUES}; "
                                      "use fewer values per parameter")
                continue
            if section == "dates":
                kwargs[key] = user_date(value, f"[dates] {key}").strftime("%Y-%m-%d")
                continue
            kwargs[key] = _typed(section, key, value, _KINDS[key])
    if "grid" in raw:
        try:
            kwargs["grid"] = ParamGrid.from_dict(dict(raw["grid"]))
        except TypeError as exc:
            raise ConfigError(f"[grid] values must be lists of numbers or names: {one_line(str(exc), 200)}") from None
        except ConfigError as exc:
            raise ConfigError(f"[grid] {exc}") from None
    cfg = SweepConfig(**kwargs)
    if cfg.sleeves not in SLEEVE_MODES:
        raise ConfigError(f"[universe] sleeves must be one of {SLEEVE_MODES}, got {cfg.sleeves!r}")
    if cfg.sleeves == "baskets":
        if not cfg.baskets:
            raise ConfigError("[universe] sleeves = 'baskets' needs a 'baskets' list (e.g. [\"optical\", \"pcb\"])")
        if cfg.symbols or cfg.name:
            raise ConfigError("[universe] sleeves = 'baskets' takes its securities from the baskets: "
                              "remove 'symbols' / 'name'")
    elif bool(cfg.symbols) == bool(cfg.name):
        raise ConfigError("[universe] give exactly one of 'symbols' (a list of codes) or 'name' (a universe)")
    if cfg.chunk_size < 1:
        raise ConfigError(f"[run] chunk_size must be >= 1, got {cfg.chunk_size}")
    if cfg.max_combinations < 1:
        raise ConfigError(f"[run] max_combinations must be >= 1, got {cfg.max_combinations}")
    if cfg.start is not None and cfg.end is not None and cfg.start > cfg.end:
        raise ConfigError(f"[dates] start {cfg.start} is after end {cfg.end}")
    if cfg.vol_window < 2:
        raise ConfigError(f"[costs] vol_window must be >= 2 sessions, got {cfg.vol_window}")
    return cfg


def check_size(cfg: SweepConfig) -> None:
    """Refuse a grid larger than ``cfg.max_combinations`` or one cut into more than MAX_CHUNKS chunks.

    Raises
    ------
    ConfigError
        Naming the size, the limit and how to raise it (``[run] max_combinations`` or
        ``--max-combinations``) or to shrink the grid.
    """
    g = cfg.grid
    size = g.size
    if size > cfg.max_combinations:
        axes = " x ".join(f"{len(getattr(g, a))} {a}" for a in ("lookbacks", "top_k", "periods", "weightings",
                                                                  "trend_windows"))
        raise ConfigError(f"the sweep grid has {size:,} combinations ({axes}), more than the limit of "
                          f"{cfg.max_combinations:,}; use fewer values, or raise the limit with [run] "
                          "max_combinations or --max-combinations N")
    n_chunks = -(-size // cfg.chunk_size)
    if n_chunks > MAX_CHUNKS:
        need = -(-size // MAX_CHUNKS)
        raise ConfigError(f"chunk_size {cfg.chunk_size} cuts {size:,} combinations into {n_chunks:,} chunk files, "
                          f"more than {MAX_CHUNKS:,}; use a chunk_size of at least {need}")


def config_from_json(text: str) -> SweepConfig:
    """Inverse of :meth:`SweepConfig.to_json` (used to ship a config to Dask workers)."""
    d = json.loads(text)
    grid = ParamGrid(**{k: tuple(v) for k, v in d.pop("grid").items()})
    d["symbols"] = tuple(d["symbols"])
    d["baskets"] = tuple(d["baskets"])
    return SweepConfig(grid=grid, **d)


def load_config(path) -> SweepConfig:
    """Read and validate a TOML sweep config; relative ``out`` folders are taken from the config's folder."""
    from aibt.files import read_toml

    p = Path(path)
    raw = read_toml(p, "sweep config")
    cfg = config_from_dict(raw)
    out = Path(cfg.out)
    if not out.is_absolute():
        out = p.resolve().parent / out
    return SweepConfig(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, "out": str(out)})


# ----------------------------------------------------------------------------- equivalent combinations
def axis_representatives(grid: ParamGrid, n_sleeves: int, signals, t0: int, t1: int):
    """For each value of the top-K, trend-window and weighting axes, the index of the first value of
    the same axis that gives the same trades on decision sessions ``[t0, t1 - 1)``.

    Returns ``(k_rep, f_rep, w_rep_k1)``: int64 arrays over the ``top_k`` and ``trend_windows`` axes,
    and over the ``weightings`` axis for combinations holding one sleeve at most (``w_rep_k1``).
    Each equivalence is exact (the kernel's arithmetic gives bit-identical targets), not approximate:

    * **K at least the number of sleeves**: the kernel holds ``min(K, sleeves with a signal)``
      sleeves, so every K >= S holds all of them (the 10^5 grid's K = 3 and 4 on three baskets).
    * **Trend windows that never bind**: two windows whose filter states are equal on every sleeve
      and decision session of the run (a window above which every price stays, or the same
      True/False pattern as another window) select the same sleeves.
    * **K = 1 under every weighting**: one pick gets weight 1 under equal weighting, and
      ``iv x (1 / iv)`` under inverse volatility; the two are the same strategy when, on every
      decision session, every sleeve with a momentum signal has an inverse volatility and that
      product is exactly 1.0 in floating point (checked on the data, not assumed).
    """
    s = int(n_sleeves)
    ks = np.asarray(grid.top_k, dtype=np.int64)
    eff = np.minimum(ks, s)
    k_rep = np.array([int(np.flatnonzero(eff == e)[0]) for e in eff], dtype=np.int64)
    rows = slice(t0, max(t0, t1 - 1))  # the kernel decides on sessions t with t + 1 < t1
    trend = signals.trend_ok[:, rows, :]
    f_rep = np.arange(len(grid.trend_windows), dtype=np.int64)
    for f in range(len(f_rep)):
        for g in range(f):
            if f_rep[g] == g and np.array_equal(trend[f], trend[g]):
                f_rep[f] = g
                break
    w_rep = np.arange(len(grid.weightings), dtype=np.int64)
    if len(grid.weightings) > 1:
        mom = signals.momentum[:, rows, :]
        has_signal = np.isfinite(mom).any(axis=0)
        iv = signals.inv_vol[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            one = iv * ((1.0 / 1.0) / iv)  # weights_from_order_nb's arithmetic for one held pick
        if bool(np.all(~has_signal | ((iv > 0.0) & (one == 1.0)))):
            w_rep[:] = 0
    return k_rep, f_rep, w_rep


def representatives(grid: ParamGrid, n_sleeves: int, signals, t0: int, t1: int, ids: np.ndarray) -> np.ndarray:
    """The smallest combination id of ``grid`` equivalent to each of ``ids`` (see
    :func:`axis_representatives`); an id that is its own representative is computed, the others
    are reported with its results."""
    k_rep, f_rep, w_rep = axis_representatives(grid, n_sleeves, signals, t0, t1)
    lb, k, p, w, f = np.unravel_index(np.asarray(ids, dtype=np.int64), grid.shape)
    k = k_rep[k]
    eff_one = np.minimum(np.asarray(grid.top_k, dtype=np.int64)[k], int(n_sleeves)) == 1
    w = np.where(eff_one, w_rep[w], w)
    f = f_rep[f]
    return np.ravel_multi_index((lb, k, p, w, f), grid.shape).astype(np.int64)


def count_computed(grid: ParamGrid, n_sleeves: int, signals, t0: int, t1: int) -> int:
    """How many combinations of ``grid`` are simulated (the others equal one of them)."""
    k_rep, f_rep, w_rep = axis_representatives(grid, n_sleeves, signals, t0, t1)
    n_lb, _, n_p, n_w, _ = grid.shape
    n_f = int((f_rep == np.arange(len(f_rep))).sum())
    eff = np.minimum(np.asarray(grid.top_k, dtype=np.int64), int(n_sleeves))
    total = 0
    for i in np.flatnonzero(k_rep == np.arange(len(k_rep))):
        total += int((w_rep == np.arange(n_w)).sum()) if eff[i] == 1 else n_w
    return n_lb * total * n_p * n_f
