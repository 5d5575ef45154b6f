"""User strategies: ``module:function`` (or ``file.py:function``) callables ``f(panel, **params) ->
target weights``, and the target weights of anything :func:`aibt.backtest` accepts."""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from aibt.errors import ConfigError

__all__ = ["resolve_strategy", "strategy_weights"]


def resolve_strategy(spec) -> Callable:
    """A strategy callable from ``"module:function"`` (or ``"path/to/file.py:function"``), or ``spec``
    itself when it is callable."""
    if callable(spec):
        return spec
    if not isinstance(spec, str) or ":" not in spec:
        raise ConfigError(f"strategy {spec!r}: give a callable or 'module:function' (e.g. 'mystrats:momentum')")
    mod_name, _, attr = spec.rpartition(":")
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name)
            if not path.is_file():
                raise ConfigError(f"strategy {spec!r}: file {path} not found")
            mspec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(mspec)
            mspec.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            module = importlib.import_module(mod_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"strategy {spec!r}: module {exc.name!r} not found (is it on PYTHONPATH?)") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ConfigError(f"strategy {spec!r}: {mod_name} has no function {attr!r}")
    return fn


def strategy_weights(panel, strategy, params: Mapping[str, Any] | None = None):
    """Target weights from ``strategy``: a weights DataFrame / [T, N] array as is; a mapping
    ``{symbol: weight}`` held as constant targets; a callable or ``"module:function"`` called as
    ``f(panel, **params)``."""
    if isinstance(strategy, (pd.DataFrame, np.ndarray)):
        if params:
            raise ConfigError("params are for a strategy function, not for a weights table")
        return strategy
    if isinstance(strategy, Mapping):
        unknown = [s for s in strategy if str(s) not in panel.symbols]
        if unknown:
            raise ConfigError(f"weights name {unknown[0]!r}, which the panel does not have")
        row = {s: float(strategy.get(s, 0.0)) for s in panel.symbols}
        return pd.DataFrame([row] * len(panel.dates), index=panel.dates, columns=list(panel.symbols))
    fn = resolve_strategy(strategy)
    out = fn(panel, **dict(params or {}))
    if not isinstance(out, (pd.DataFrame, np.ndarray)):
        raise ConfigError(f"strategy {getattr(fn, '__name__', fn)!r} returned {type(out).__name__}; it must return "
                          "target weights (a dates x symbols DataFrame or a [T, N] array)")
    return out


