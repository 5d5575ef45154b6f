"""aibt: backtests and screens for China's AI-compute theme under A-share trading rules.

``aibt.load(...)`` reads the embedded snapshot, a data folder or CSV/parquet files into a Panel;
``aibt.backtest(panel, weights_or_strategy)`` simulates it under the A-share rules and returns a
Result with ``.stats()``, ``.plot()`` and ``.report(path)``. Both are imported on first use, so
``import aibt`` stays fast (no numba, pandas or matplotlib until they are needed).

The distribution installs the design card's folders as subpackages: ``aibt.universes``,
``aibt.data``, ``aibt.engine``, ``aibt.strategies``, ``aibt.results``; ``aibt.cli`` is the command line.
"""
__all__ = ["__version__", "load", "backtest", "compare"]


def __getattr__(name: str):
    """``__version__`` from the installed metadata, looked up on first use (importlib.metadata costs
    about 50 ms of every command's start)."""
    if name != "__version__":
        raise AttributeError(f"module 'aibt' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("aibt")
    except PackageNotFoundError:  # running from a source tree that is not installed
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value


def load(*args, **kwargs):
    """Market data into a Panel: see :func:`aibt.api.load`."""
    from aibt.api import load as _load

    return _load(*args, **kwargs)


def backtest(*args, **kwargs):
    """A backtest Result: see :func:`aibt.api.backtest`."""
    from aibt.api import backtest as _backtest

    return _backtest(*args, **kwargs)


def compare(*args, **kwargs):
    """A strategy comparison from a study file: see :func:`aibt.api.compare`."""
    from aibt.api import compare as _compare

    return _compare(*args, **kwargs)
