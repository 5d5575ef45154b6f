"""A sweep of a user strategy's parameters (``aibt compare --study FILE --sweep NAME``).

The ``python`` strategy ``NAME`` of a study file is called as ``function(panel, **params)`` for every
combination of its ``[strategy.sweep]`` lists (over its fixed ``params``), and each set of target
weights is simulated under the study's rules, costs and sessions in summary mode (one row of metrics
per combination, nothing per day kept). The chunking, resuming, Dask scheduling and output layout
are :mod:`aibt.strategies.sweep_runner`'s; the work hash covers the study's rules, costs and dates,
the strategy, the grid, the source of the function's file and the data.
"""
from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from aibt.errors import ConfigError

#: Default combinations per chunk of a user sweep (each combination calls the user's function once).
CHUNK_SIZE = 100
MAX_COMBINATIONS = 100_000


@dataclass(frozen=True)
class UserGrid:
    """The Cartesian product of named value lists, in the order given (last name fastest)."""

    names: tuple[str, ...]
    values: tuple[tuple, ...]

    @property
    def size(self) -> int:
        return int(np.prod([len(v) for v in self.values])) if self.values else 1

    def combo(self, i: int) -> dict:
        """Parameters of combination ``i`` (mixed radix, no product materialised)."""
        out = {}
        for name, vals in zip(reversed(self.names), reversed(self.values)):
            i, r = divmod(i, len(vals))
            out[name] = vals[r]
        return {n: out[n] for n in self.names}

    def table(self, first: int, stop: int) -> pd.DataFrame:
        rows = [self.combo(i) for i in range(first, stop)]
        return pd.DataFrame(rows, index=pd.RangeIndex(first, stop, name="combo"), columns=list(self.names))


@dataclass(frozen=True)
class UserSweep:
    """A sweep job over the ``python`` strategy ``strategy`` of the study file ``study_path``."""

    study_path: str
    strategy: str
    grid: UserGrid
    chunk_size: int = CHUNK_SIZE
    out: str = "sweep-out"
    max_combinations: int = MAX_COMBINATIONS
    code_hash: str = ""

    # ------------------------------------------------------------------ the job interface
    @property
    def start(self):
        return self._study().start

    @property
    def end(self):
        return self._study().end

    def _study(self):
        from aibt.strategies.study_file import load_study

        return load_study(self.study_path)

    def work(self) -> dict:
        st = self._study()
        spec = st.strategy(self.strategy)
        return {"job": "user", "strategy": self.strategy, "options": {k: v for k, v in spec.options.items() if k != "sweep"},
                "grid": {n: list(v) for n, v in zip(self.grid.names, self.grid.values)}, "rules": st.rules,
                "price": st.price, "init_cash": st.init_cash, "costs": dict(st.costs), "start": st.start,
                "end": st.end, "code": self.code_hash}

    def work_hash(self, data_hash: str = "") -> str:
        payload = json.dumps(self.work(), sort_keys=True, separators=(",", ":"), default=str) + "|" + data_hash
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]

    def to_json(self) -> str:
        return json.dumps({"job": "user", "study_path": self.study_path, "strategy": self.strategy,
                           "names": list(self.grid.names), "values": [list(v) for v in self.grid.values],
                           "chunk_size": self.chunk_size, "out": self.out, "max_combinations": self.max_combinations,
                           "code_hash": self.code_hash}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "UserSweep":
        d = json.loads(text)
        grid = UserGrid(tuple(d["names"]), tuple(tuple(v) for v in d["values"]))
        return cls(d["study_path"], d["strategy"], grid, int(d["chunk_size"]), d["out"], int(d["max_combinations"]),
                   d["code_hash"])

    def check_size(self) -> None:
        if self.chunk_size < 1:
            raise ConfigError(f"chunk size must be >= 1, got {self.chunk_size}")
        if self.grid.size > self.max_combinations:
            raise ConfigError(f"the sweep of {self.strategy!r} has {self.grid.size:,} combinations, more than "
                              f"{self.max_combinations:,}; use fewer values")

    def build_setup(self, panel) -> SimpleNamespace:
        from aibt.strategies.study_file import _window, strategy_function

        st = self._study()
        spec = st.strategy(self.strategy)
        sub, t0, t1 = _window(st, panel)
        return SimpleNamespace(study=st, spec=spec, fn=strategy_function(st, spec), panel=panel, sub=sub, t0=t0, t1=t1)

    def run_chunk(self, setup: SimpleNamespace, first: int, stop: int) -> pd.DataFrame:
        """Parameters joined with the engine's summary metrics of combinations ``first .. stop - 1``."""
        from aibt.engine.simulate import simulate_many
        from aibt.strategies.study_file import python_weights

        st, spec, sub, panel = setup.study, setup.spec, setup.sub, setup.panel
        t0, t1 = setup.t0, setup.t1
        params = self.grid.table(first, stop)
        batch = np.empty((stop - first, len(sub.dates), len(sub.symbols)))
        for k, i in enumerate(range(first, stop)):
            batch[k] = python_weights(panel, setup.fn, {**spec.options["params"], **self.grid.combo(i)}, spec)[t0:t1]
        rules = "a-share" if st.rules == "a-share" else "frictionless"
        res = simulate_many(sub, batch, names=list(params.index), rules=rules, price=st.price,
                            schedule=spec.options["schedule"], init_cash=st.init_cash, summary_only=True, **st.costs)
        summary = res.summary
        summary.index = params.index
        return pd.concat([params, summary], axis=1)


def code_hash(fn) -> str:
    """sha256 of the source file of a strategy function (edits to it start a new sweep)."""
    try:
        src = Path(inspect.getsourcefile(fn) or "").read_bytes()
    except (OSError, TypeError):
        src = repr(fn).encode("utf-8")
    return hashlib.sha256(src).hexdigest()[:16]


def user_sweep(study_path, strategy: str, *, out: str | None = None, chunk_size: int | None = None) -> UserSweep:
    """The sweep job of the ``python`` strategy ``strategy`` of a study file."""
    from aibt.strategies.study_file import load_study, strategy_function

    path = str(Path(study_path).resolve())
    st = load_study(path)
    spec = st.strategy(strategy)
    if spec.kind != "python":
        raise ConfigError(f"strategy {strategy!r} is a {spec.kind} strategy; --sweep takes a python strategy "
                          "(kind = \"python\") with a [strategy.sweep] table")
    if not spec.options["sweep"]:
        raise ConfigError(f"strategy {strategy!r} has no [strategy.sweep] table of parameter lists to sweep")
    names = tuple(spec.options["sweep"])
    grid = UserGrid(names, tuple(tuple(spec.options["sweep"][n]) for n in names))
    fn = strategy_function(st, spec)
    return UserSweep(path, strategy, grid, chunk_size or CHUNK_SIZE, out or str(Path(st.folder) / "sweep-out"),
                     MAX_COMBINATIONS, code_hash(fn))


__all__ = ["UserGrid", "UserSweep", "user_sweep", "code_hash"]
