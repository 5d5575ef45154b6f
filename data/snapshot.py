"""The embedded real-data snapshot: daily bars, shares, securities and provenance shipped with aibt.

Built by ``scripts/build_snapshot.py`` from the offline raw dumps (see ``provenance()`` for sources,
repairs and cross-checks). Files live in the package folder ``aibt/data/snapshot/`` and are read with
:mod:`importlib.resources`, so the loader works from a wheel as well as an editable install.

Prices are ratio-adjusted (qfq as of each symbol's last date: the last close is the real traded price);
``adj_factor`` (piecewise constant, changing only on the ex-dates of :func:`load_events`) turns them back
into traded prices, and ``traded_open/high/low/close`` are the traded prices on the tick (from the
unadjusted dump where it has the bar, else derived from the event table). Everything read is cached once per process; every
public function returns fresh copies, so callers cannot corrupt the cache.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Iterable

import numpy as np
import pandas as pd

from aibt.data.calendar import xshg_sessions
from aibt.data.panel import EVENT_COLUMNS, FIELDS, Panel, fx_matrix
from aibt.errors import DataError

_PACKAGE = "aibt.data"
_FOLDER = "snapshot"


def _read_bytes(name: str) -> bytes:
    path = resources.files(_PACKAGE).joinpath(_FOLDER, name)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"snapshot file {name!r} is missing from the aibt package; "
                        "rebuild it with scripts/build_snapshot.py") from None


def _read_parquet(name: str) -> pd.DataFrame:
    import io

    return pd.read_parquet(io.BytesIO(_read_bytes(name)))


@lru_cache(maxsize=1)
def _bars() -> pd.DataFrame:
    df = _read_parquet("bars.parquet")
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["symbol"] = df["symbol"].astype(str)
    return df


@lru_cache(maxsize=1)
def _events() -> pd.DataFrame:
    df = _read_parquet("events.parquet")
    df["ex_date"] = pd.to_datetime(df["ex_date"]).astype("datetime64[ns]")
    for c in ("symbol", "confidence", "evidence"):
        df[c] = df[c].astype(str)
    return df[list(EVENT_COLUMNS)]


def load_events(symbols: Iterable[str] | str | None = None, start=None, end=None) -> pd.DataFrame:
    """The corporate-action table: one row per event, sorted by symbol and ex-date.

    Columns ``symbol, ex_date`` (datetime64), ``cash`` (pre-tax cash dividend per share, local currency),
    ``shares`` (bonus + transfer shares per share), ``split`` (new shares per old share, 1.0 if none),
    ``factor`` (adj_factor before / after), ``ref_price`` (the exchange's ex-rights reference price on the
    tick), ``confidence`` (``two_sources``, ``one_source``, ``inferred``) and ``evidence``.
    ``start``/``end`` bound ``ex_date`` inclusively. Unknown symbols or bad dates raise :class:`DataError`.
    """
    if isinstance(symbols, str):
        symbols = [symbols]
    df = _events()
    if symbols is not None:
        wanted = _check_symbols(symbols)
        df = df[df["symbol"].isin(wanted)]
    if start is not None:
        df = df[df["ex_date"] >= _bound(start, "start")]
    if end is not None:
        df = df[df["ex_date"] <= _bound(end, "end")]
    return df.reset_index(drop=True).copy()


@lru_cache(maxsize=1)
def _securities() -> pd.DataFrame:
    df = _read_parquet("securities.parquet")
    return df.astype({c: str for c in df.columns})


@lru_cache(maxsize=1)
def _shares() -> pd.DataFrame:
    df = _read_parquet("shares.parquet")
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["symbol"] = df["symbol"].astype(str)
    return df


@lru_cache(maxsize=1)
def _provenance() -> dict:
    return json.loads(_read_bytes("provenance.json").decode("utf-8"))


def symbols() -> list[str]:
    """Every symbol in the snapshot, sorted."""
    return sorted(_securities()["symbol"].tolist())


def _check_symbols(wanted: Iterable[str]) -> list[str]:
    have = set(_securities()["symbol"])
    out = [str(s) for s in wanted]
    unknown = [s for s in out if s not in have]
    if unknown:
        raise DataError(f"unknown symbol(s) {', '.join(repr(s) for s in unknown)}: not in the snapshot "
                        f"({len(have)} symbols; see `aibt data info`)")
    if len(set(out)) != len(out):
        dup = next(s for i, s in enumerate(out) if s in out[:i])
        raise DataError(f"symbol {dup!r} requested twice")
    return out


def _bound(value, what: str) -> pd.Timestamp:
    """``value`` as a Timestamp, or a DataError naming it (``what`` is 'start' or 'end')."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise DataError(f"snapshot: {what} {value!r} is not a date (use YYYY-MM-DD)")
    return ts


def load_snapshot(symbols: Iterable[str] | str | None = None, start=None, end=None, *,
                  require_bars: bool = True) -> Panel:
    """Panel of snapshot bars on the XSHG session axis.

    Parameters
    ----------
    symbols : str or iterable of str, optional
        Codes to load, in this order (default: all, sorted).
    start, end : date-like, optional
        Inclusive bounds; default the selection's first and last bar.
    require_bars : bool, default True
        Every requested symbol must have at least one bar between ``start`` and ``end`` (a symbol that
        lists inside the range is fine: its sessions before listing are NaN). ``False`` lets a symbol
        without any bar in the range come back as an all-NaN column, for point-in-time candidate
        pools whose members list later.

    Returns
    -------
    Panel
        Rows are XSHG sessions from ``start`` to ``end``, clipped to the selection's first and last bar
        (no row is invented beyond the data); sessions without a bar are NaN and not
        tradable; bars on non-XSHG days (Hong Kong) are dropped. HKD symbols carry the documented
        constant HKD->CNY rate of :func:`load_fx`. ``meta`` holds ``snapshot_sha256``.

    Raises
    ------
    DataError
        Unknown symbol, an unreadable ``start``/``end``, ``start`` after ``end``, a date range without
        any XSHG session, or (``require_bars``) a requested symbol without any bar in the range, named
        with the dates of its first and last bar.
    """
    if isinstance(symbols, str):
        symbols = [symbols]
    wanted = _check_symbols(symbols) if symbols is not None else globals()["symbols"]()
    if not wanted:
        raise DataError("no symbols requested")
    dates, all_syms, arrays = _wide()
    cols = [all_syms.index(s) for s in wanted]
    close = arrays["close"][:, cols]
    has = np.flatnonzero(np.isfinite(close).any(axis=1))
    lo = _bound(start, "start") if start is not None else dates[has[0]]
    hi = _bound(end, "end") if end is not None else dates[has[-1]]
    if lo > hi:
        raise DataError(f"start {lo.date()} is after end {hi.date()}")
    # data before the first or after the last bar of the selection does not exist: never pad with NaN
    first_bar, last_bar = dates[has[0]], dates[has[-1]]
    if lo > last_bar or hi < first_bar:
        raise DataError(f"snapshot: no bar between {lo.date()} and {hi.date()}: the data of "
                        f"{', '.join(wanted[:5])}{' ...' if len(wanted) > 5 else ''} cover "
                        f"{first_bar.date()} to {last_bar.date()}")
    lo, hi = max(lo, first_bar), min(hi, last_bar)
    sessions = xshg_sessions(lo, hi)
    if len(sessions) == 0:
        raise DataError(f"no XSHG session between {lo.date()} and {hi.date()}")
    # rows of the cached axis for each requested session (-1 = outside the snapshot: all NaN)
    at = dates.get_indexer(sessions)
    inside = at >= 0
    fields = {}
    for f in FIELDS:
        out = np.full((len(sessions), len(cols)), np.nan)
        out[inside] = arrays[f][np.ix_(at[inside], cols)]
        fields[f] = out
    if require_bars:
        _check_bars(wanted, fields["close"], close, dates, lo, hi)
    tradable = np.isfinite(fields["close"]) & (fields["volume"] > 0)
    currency = tuple(_securities().set_index("symbol").loc[wanted, "currency"].tolist())
    events = load_events(wanted, sessions[0], sessions[-1])
    return Panel(sessions, tuple(wanted), fields, tradable, currency, fx_matrix(sessions, currency, load_fx()),
                 {"source": "aibt snapshot", "snapshot_sha256": snapshot_hash()}, events)


def _check_bars(wanted: list[str], in_range: np.ndarray, whole: np.ndarray, dates: pd.DatetimeIndex,
                lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """DataError naming the requested symbols without any bar (finite close) between ``lo`` and ``hi``."""
    empty = np.flatnonzero(~np.isfinite(in_range).any(axis=0))
    if not empty.size:
        return
    parts = []
    for j in empty[:5]:
        rows = np.flatnonzero(np.isfinite(whole[:, j]))
        span = f"bars {dates[rows[0]].date()} to {dates[rows[-1]].date()}" if rows.size else "no bars at all"
        parts.append(f"{wanted[j]} ({span})")
    more = f" and {empty.size - 5} more" if empty.size > 5 else ""
    what = f"symbol {parts[0]} has" if empty.size == 1 else f"symbols {', '.join(parts)}{more} have"
    raise DataError(f"snapshot: {what} no bar between {lo.date()} and {hi.date()}; "
                    "choose dates inside the bars or drop the symbol")


@lru_cache(maxsize=1)
def _wide() -> tuple[pd.DatetimeIndex, list[str], dict[str, np.ndarray]]:
    """All bars as [T, N] arrays on the snapshot's XSHG sessions (read-only; callers get copies)."""
    bars = _bars()
    dates = xshg_sessions(bars["date"].min(), bars["date"].max())
    syms = symbols()
    keep = bars["date"].isin(dates).to_numpy()  # HK bars on non-XSHG days are dropped here
    b = bars[keep]
    ti = dates.get_indexer(b["date"])
    si = pd.Index(syms).get_indexer(b["symbol"])
    arrays = {}
    for f in FIELDS:
        a = np.full((len(dates), len(syms)), np.nan)
        a[ti, si] = b[f].to_numpy(dtype=np.float64)
        a.setflags(write=False)
        arrays[f] = a
    return dates, syms, arrays


def load_shares() -> pd.DataFrame:
    """Total and circulating shares per stock (market caps on one date / that day's raw close).

    Indexed by ``symbol``; columns ``date, raw_close, total_mv, circ_mv, total_shares, float_shares``
    (CNY and shares). ``float_shares`` are circulating shares, not the index provider's free float.
    """
    return _shares().set_index("symbol").copy()


def load_securities() -> pd.DataFrame:
    """``symbol, name, kind, board, currency, list_date`` for every snapshot symbol."""
    return _securities().copy()


def load_fx() -> pd.DataFrame:
    """CNY per unit of each foreign currency on the snapshot's XSHG sessions (dates x currency).

    No FX history exists offline: the HKD column is the documented constant of the provenance
    (``assumptions.fx.HKD``), an explicit, flagged approximation.
    """
    bars = _bars()
    dates = xshg_sessions(bars["date"].min(), bars["date"].max())
    fx = _provenance()["assumptions"]["fx"]
    data = {cur: np.full(len(dates), float(v["cny_per_unit"])) for cur, v in sorted(fx.items())}
    return pd.DataFrame(data, index=pd.DatetimeIndex(dates, name="date"))


def provenance() -> dict:
    """The build's provenance: method, sources, per-symbol segments, repairs, cross-checks, hashes."""
    return copy.deepcopy(_provenance())


def snapshot_hash() -> str:
    """sha256 content hash of the whole snapshot (bars, events, shares, securities)."""
    return str(_provenance()["snapshot_sha256"])


def snapshot_info() -> pd.DataFrame:
    """One row per symbol: ``symbol, name, kind, first, last, rows, sources, repairs``."""
    prov = _provenance()["symbols"]
    rows = []
    for s in sorted(prov):
        p = prov[s]
        rows.append({"symbol": s, "name": p["name"], "kind": p["kind"], "currency": p["currency"],
                     "first": pd.Timestamp(p["first"]), "last": pd.Timestamp(p["last"]), "rows": int(p["rows"]),
                     "sources": ",".join(p["sources"]), "repairs": len(p["repairs"]),
                     "source_flags": len(p["source_flags"])})
    return pd.DataFrame(rows)
