"""The Python front door: ``aibt.load`` (data into a Panel) and ``aibt.backtest`` (a Panel and
target weights, or a strategy, into a :class:`~aibt.results.backtest.Result`).

>>> import aibt
>>> panel = aibt.load(["300308", "300502"], start="2024-01-02", end="2024-12-31")
>>> result = aibt.backtest(panel, {"300308": 0.5, "300502": 0.5}, schedule="monthly", commission=0.00025)
>>> result.stats()["total_return"]  # doctest: +SKIP

This module loads data (it sits beside the commands, above every layer); strategies below it take
the Panel it gives them and never load data themselves.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from aibt.errors import ConfigError, DataError

__all__ = ["load", "backtest", "compare", "study_inputs", "resolve_strategy", "strategy_weights"]

#: Files of the snapshot's parquet layout (a folder holding ``bars.parquet`` is read as one).
SNAPSHOT_LAYOUT = ("bars.parquet", "events.parquet", "shares.parquet", "securities.parquet", "provenance.json")


def _is_snapshot_dir(p: Path) -> bool:
    return p.is_dir() and (p / "bars.parquet").is_file()


def load(source=None, symbols: Iterable[str] | str | None = None, start=None, end=None, *,
         volume_unit: str = "shares", currency: str | None = None):
    """Market data into a :class:`~aibt.data.panel.Panel`.

    Parameters
    ----------
    source : None, a folder, a file, or a list of files
        None (or a list/str of symbols given as ``symbols``): the embedded snapshot. A folder in the
        snapshot's parquet layout (``bars.parquet``, ``events.parquet``, ``shares.parquet``,
        ``securities.parquet``, ``provenance.json``, as ``aibt data`` adapters write it). A folder of
        ``<symbol>.csv`` / ``<symbol>.parquet`` files, one CSV/parquet file (one symbol, named by
        the file, or a long file with a symbol column) or a list of such files (read by
        :mod:`aibt.data.source_files`: English or Chinese column names, UTF-8 or GBK).
    symbols : codes to keep (default all); for the snapshot, the codes to load. A first argument that
        is neither a path nor None is taken as ``symbols`` (``aibt.load("588790")``).
    start, end : inclusive date bounds.
    volume_unit, currency : for files (``"lots"`` when volume counts 手; currency default CNY, HKD for ``.HK``).
    """
    if source is not None and not isinstance(source, (os.PathLike, list, tuple)) and not (
            isinstance(source, str) and (os.path.exists(source) or source.lower().endswith((".csv", ".parquet")))):
        if symbols is not None:
            raise ConfigError(f"aibt.load: {source!r} is not a file or folder (give symbols= for the snapshot)")
        source, symbols = None, source
    if isinstance(source, (list, tuple)) and source and all(
            isinstance(s, str) and not os.path.exists(s) and not s.lower().endswith((".csv", ".parquet"))
            for s in source):
        source, symbols = None, list(source)
    if isinstance(symbols, str):
        symbols = [symbols]
    if source is None:
        from aibt.data.snapshot import load_snapshot

        return load_snapshot(symbols, start=start, end=end)
    if isinstance(source, (list, tuple)):
        return _load_files([Path(s) for s in source], symbols, start, end, volume_unit, currency)
    p = Path(source)
    if not p.exists():
        raise DataError(f"aibt.load: {p} does not exist (give a data folder, a CSV/parquet file, or None for "
                        "the embedded snapshot)")
    if _is_snapshot_dir(p):
        return _load_snapshot_dir(p, symbols, start, end)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in (".csv", ".parquet"))
        if not files:
            raise DataError(f"aibt.load: {p} has neither bars.parquet (the snapshot layout) nor .csv/.parquet files")
        return _load_files(files, symbols, start, end, volume_unit, currency)
    return _load_files([p], symbols, start, end, volume_unit, currency)


def _load_snapshot_dir(p: Path, symbols, start, end):
    """A folder in the snapshot's layout, read by the snapshot loader itself (as ``--data-dir``)."""
    from aibt.data import snapshot

    with snapshot.use_data_dir(p):
        return snapshot.load_snapshot(symbols, start=start, end=end)


def _load_files(files: list[Path], symbols, start, end, volume_unit: str, currency: str | None):
    from aibt.data.calendar import xshg_sessions
    from aibt.data.panel import Panel
    from aibt.data.source_files import read_file

    frames = []
    for f in files:
        frames.append(read_file(f, None, currency=currency, volume_unit=volume_unit))
    long = pd.concat(frames, ignore_index=True)
    if symbols is not None:
        wanted = [str(s) for s in symbols]
        missing = sorted(set(wanted) - set(long["symbol"]))
        if missing:
            raise DataError(f"aibt.load: no data for {', '.join(missing[:5])} in the given files")
        long = long[long["symbol"].isin(wanted)]
    if start is not None:
        long = long[long["date"] >= pd.Timestamp(start)]
    if end is not None:
        long = long[long["date"] <= pd.Timestamp(end)]
    if long.empty:
        raise DataError("aibt.load: no rows between the given dates")
    cur = dict(zip(long["symbol"], long["currency"]))
    dates = None
    if all(c == "CNY" for c in cur.values()):
        dates = xshg_sessions(long["date"].min(), long["date"].max())
    cols = [c for c in long.columns if c != "currency"]
    return Panel.from_long(long[cols], currency=cur, dates=dates)


from aibt.strategies.user import resolve_strategy, strategy_weights  # noqa: E402,F401 - re-exported


def backtest(panel, weights_or_strategy, *, rules="auto", params: Mapping[str, Any] | None = None,
             name: str | None = None, **options):
    """Backtest target weights (or a strategy) on ``panel``; returns a :class:`~aibt.results.backtest.Result`.

    Parameters
    ----------
    panel : Panel (see :func:`load`).
    weights_or_strategy : DataFrame (dates x symbols) or [T, N] array of target weights; a mapping
        ``{symbol: weight}`` of constant targets; or a strategy: a callable / ``"module:function"``
        called as ``f(panel, **params)`` that returns target weights.
    rules : 'auto' (default: the A-share rules when all the panel's securities are in the security
        master), 'a-share', 'frictionless' (an explicit choice) or compiled TradingRules.
    params : keyword arguments for a strategy function.
    name : label in tables, plots and reports (default the strategy's name).
    options : passed to :func:`aibt.engine.simulate.simulate` (``schedule``, ``price``, ``commission``,
        ``min_commission``, ``slippage_bps``, ``init_cash``, ``drift_band``, ``dividends`` ...).
    """
    from aibt.engine.simulate import simulate
    from aibt.results.backtest import as_result

    weights = strategy_weights(panel, weights_or_strategy, params)
    if name is None:
        name = getattr(weights_or_strategy, "__name__", None) or (
            weights_or_strategy.rpartition(":")[2] if isinstance(weights_or_strategy, str) else "strategy")
    sim = simulate(panel, weights, rules=rules, **options)
    return as_result(sim, name, data_hash=str(panel.meta.get("snapshot_sha256", "")))


# ----------------------------------------------------------------------------- comparison
def study_inputs(study, panel=None) -> dict:
    """Load what a study's strategies need: the Panel (its symbols from ``history_start``, or
    ``start``, to ``end``), the rebuilt STAR AI index and its reviews when a strategy uses them,
    share counts for cap weights, and the ETF-mode simulation of each ``etf_tracking`` strategy."""
    from aibt.data.snapshot import load_shares, load_snapshot

    codes = study.symbols()
    index_level = constituents = None
    if study.needs_index:
        from aibt.loaders import star_ai_constituents, star_ai_index

        constituents = star_ai_constituents()
        index_level = star_ai_index(constituents=constituents)
        if any(s.kind == "rotation" and "star-ai" in s.options["sleeves"] for s in study.strategies):
            codes = list(dict.fromkeys(codes + sorted(set(constituents["code"]))))
    if panel is None:
        if not codes:  # only index strategies: a panel for the session axis
            codes = ["000688"]
        panel = load_snapshot(codes, start=study.history_start or study.start, end=study.end, require_bars=False)
    else:
        missing = [c for c in codes if c not in panel.symbols]
        if missing:
            raise DataError(f"the panel lacks {', '.join(missing[:5])}, which the study's strategies need")
    shares = load_shares()["float_shares"].to_dict()
    tracked = {}
    for s in study.strategies:
        if s.kind == "etf_tracking":
            from aibt.tracking import simulate_tracking_etf

            tracked[s.name] = simulate_tracking_etf(s.options["etf"], start=study.start, end=study.end,
                                                    constituents=constituents, index_level=index_level)
    return {"panel": panel, "index_level": index_level, "constituents": constituents, "shares": shares,
            "tracked": tracked}


def compare(study, panel=None):
    """Run a strategy comparison: ``study`` a study file path (TOML, see
    :mod:`aibt.strategies.study_file`) or a parsed :class:`~aibt.strategies.study_file.Study`.
    Returns the :class:`~aibt.strategies.study_file.Comparison` (``.table``, ``.equity``) that
    ``aibt compare --study FILE`` writes. ``panel`` replaces the loaded market data (its symbols must
    cover the study's; the rebuilt index and share counts still come from the data in use)."""
    from aibt.results.comparison import run_comparison
    from aibt.strategies.study_file import Study, load_study

    if not isinstance(study, Study):
        study = load_study(study)
    return run_comparison(study, **study_inputs(study, panel))
