"""The embedded real-data snapshot: daily bars, shares, securities and provenance shipped with aibt.

Built by ``scripts/build_snapshot.py`` from the offline raw dumps (see ``provenance()`` for sources,
repairs and cross-checks). Files live in the package folder ``aibt/data/snapshot/`` and are read with
:mod:`importlib.resources`, so the loader works from a wheel as well as an editable install.

By default the loaders read the snapshot shipped in the package. :func:`set_data_dir` (the commands'
``--data-dir DIR``) or the environment variable ``AIBT_DATA_DIR`` point them at a folder in the same
layout instead: ``bars.parquet`` and ``securities.parquet`` (required), ``events.parquet``,
``shares.parquet`` and ``provenance.json`` (optional), with the snapshot's schemas.

Prices are ratio-adjusted (qfq as of each symbol's last date: the last close is the real traded price);
``adj_factor`` (piecewise constant, changing only on the ex-dates of :func:`load_events`) turns them back
into traded prices, and ``traded_open/high/low/close`` are the traded prices on the tick (from the
unadjusted dump where it has the bar, else derived from the event table). Everything read is cached once per process; every
public function returns fresh copies, so callers cannot corrupt the cache.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from aibt.data.calendar import xshg_sessions
from aibt.errors import DataError


class _Pandas:
    """pandas, imported on first use: :func:`load_closes` and the data-folder choice run without it
    (``aibt stats SYMBOL`` never imports pandas); everything else here uses it as before."""

    def __getattr__(self, name: str):
        import pandas

        return getattr(pandas, name)


pd = _Pandas()

_PACKAGE = "aibt.data"
_FOLDER = "snapshot"


#: environment variable naming a data folder to read instead of the embedded snapshot
ENV_DATA_DIR = "AIBT_DATA_DIR"
REQUIRED_FILES = ("bars.parquet", "securities.parquet")
OPTIONAL_FILES = ("events.parquet", "shares.parquet", "provenance.json")
SHARES_COLUMNS = ("symbol", "date", "raw_close", "total_mv", "circ_mv", "total_shares", "float_shares")
_data_dir: Path | None = None  # set by set_data_dir; None = the environment variable, else the package


def check_data_dir(path: str | os.PathLike) -> Path:
    """``path`` as a data folder in the snapshot layout, or a DataError naming what is wrong and the fix."""
    p = Path(path).expanduser()
    if not str(path).strip():
        raise DataError("data folder: the name is empty; give the folder that holds bars.parquet")
    if not p.exists():
        raise DataError(f"data folder {str(p)!r} does not exist; create it with `aibt data update "
                        f"--data-dir {p}` or give a folder that holds bars.parquet and securities.parquet")
    if not p.is_dir():
        raise DataError(f"data folder {str(p)!r} is a file, not a folder; give the folder that holds "
                        "bars.parquet and securities.parquet")
    missing = [f for f in REQUIRED_FILES if not (p / f).is_file()]
    if missing:
        raise DataError(f"data folder {str(p)!r} has no {' or '.join(missing)}; it is not in aibt's data "
                        f"layout (write it with `aibt data update --data-dir {p}`)")
    return p.resolve()


def set_data_dir(path: str | os.PathLike | None) -> Path | None:
    """Read every loader's data from ``path`` (a folder in the snapshot layout); ``None`` restores the
    default (``AIBT_DATA_DIR`` when set, else the embedded snapshot). Returns the folder now in use."""
    global _data_dir
    _data_dir = None if path is None else check_data_dir(path)
    return data_dir()


@contextlib.contextmanager
def use_data_dir(path: str | os.PathLike | None) -> Iterator[Path | None]:
    """Context manager form of :func:`set_data_dir`; the previous choice is restored on exit."""
    global _data_dir
    before = _data_dir
    try:
        yield set_data_dir(path)
    finally:
        _data_dir = before


def data_dir() -> Path | None:
    """The data folder the loaders read, or ``None`` for the snapshot embedded in the package.

    In order: :func:`set_data_dir` (``--data-dir``), ``AIBT_DATA_DIR``, the store ``aibt data update``
    writes by default (the user data directory, :func:`aibt.data.store.default_dir`) when it exists,
    else the embedded snapshot.
    """
    if _data_dir is not None:
        return _data_dir
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        try:
            return check_data_dir(env)
        except DataError as exc:
            raise DataError(f"{ENV_DATA_DIR}: {exc}") from None
    return default_store()


def default_store() -> Path | None:
    """The default store (user data directory) when ``aibt data update`` has written one, else None."""
    from aibt.data.store import default_dir, is_store

    root = default_dir()
    if is_store(root) and all((root / f).is_file() for f in REQUIRED_FILES):
        return root.resolve()
    return None


def data_source() -> str:
    """A short description of the data in use: ``aibt snapshot``, ``data folder PATH`` or, for the
    default store of ``aibt data update``, ``data store PATH``."""
    root = data_dir()
    if root is None:
        return "aibt snapshot"
    if _data_dir is None and not os.environ.get(ENV_DATA_DIR, "").strip():
        return f"data store {root}"
    return f"data folder {root}"


def _root_key() -> str:
    root = data_dir()
    return "" if root is None else str(root)


def _read_bytes(name: str, root: str = "") -> bytes | None:
    """The bytes of data file ``name`` under ``root`` ("" = the package); ``None`` for an absent
    optional file of a data folder."""
    if root:
        path = Path(root) / name
        try:
            return path.read_bytes()
        except FileNotFoundError:
            if name in OPTIONAL_FILES:
                return None
            raise DataError(f"data folder {root!r} has no {name}; it is not in aibt's data layout "
                            f"(write it with `aibt data update --data-dir {root}`)") from None
    path = resources.files(_PACKAGE).joinpath(_FOLDER, name)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"snapshot file {name!r} is missing from the aibt package; "
                        "rebuild it with scripts/build_snapshot.py") from None


def _unreadable(name: str, root: str, exc: BaseException) -> DataError:
    where = f"data folder {root!r}" if root else "the aibt package"
    return DataError(f"{name} in {where} is not a readable parquet file ({type(exc).__name__}); "
                     "rewrite it (`aibt data update` or scripts/build_snapshot.py)")


def _read_parquet(name: str, root: str | None = None) -> pd.DataFrame | None:
    """Data file ``name`` of the data in use (or of ``root``); ``None`` for an absent optional file."""
    import io

    root = _root_key() if root is None else root
    data = _read_bytes(name, root)
    if data is None:
        return None
    try:
        return pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise _unreadable(name, root, exc) from None


def _read_arrow(name: str, root: str, columns: list[str], dictionary: str | None = None):
    """Columns of a required data file as a ``pyarrow.Table`` (no pandas); a DataError naming the file
    and the missing columns when it lacks one. ``dictionary``: a text column to read dictionary-encoded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = _read_bytes(name, root)
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        schema = pf.schema_arrow
        missing = [c for c in columns if c not in schema.names]
        if not missing:
            if dictionary is not None and pa.types.is_string(schema.field(dictionary).type):
                pf = pq.ParquetFile(pa.BufferReader(data), read_dictionary=[dictionary])
            return pf.read(columns=columns)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise _unreadable(name, root, exc) from None
    raise DataError(f"{name} of {root or 'the aibt package'!r} lacks column(s) {', '.join(missing)}; "
                    "it is not in aibt's data layout")


def _bars() -> pd.DataFrame:
    return _bars_at(_root_key())


@lru_cache(maxsize=4)
def _bars_at(root: str) -> pd.DataFrame:
    from aibt.data.panel import FIELDS

    df = _read_parquet("bars.parquet", root)
    missing = [c for c in ("date", "symbol", *FIELDS) if c not in df.columns]
    if missing:
        raise DataError(f"bars.parquet of {root or 'the aibt package'!r} lacks column(s) {', '.join(missing)}; "
                        "it is not in aibt's data layout")
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["symbol"] = df["symbol"].astype(str)
    return df


def _events() -> pd.DataFrame:
    return _events_at(_root_key())


@lru_cache(maxsize=4)
def _events_at(root: str) -> pd.DataFrame:
    from aibt.data.panel import EVENT_COLUMNS

    df = _read_parquet("events.parquet", root)
    if df is None:
        from aibt.data.panel import empty_events

        return empty_events()
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


def _securities() -> pd.DataFrame:
    return _securities_at(_root_key())


@lru_cache(maxsize=4)
def _securities_at(root: str) -> pd.DataFrame:
    df = _read_parquet("securities.parquet", root)
    return df.astype({c: str for c in df.columns})


def _shares() -> pd.DataFrame:
    return _shares_at(_root_key())


@lru_cache(maxsize=4)
def _shares_at(root: str) -> pd.DataFrame:
    df = _read_parquet("shares.parquet", root)
    if df is None:
        df = pd.DataFrame({c: pd.Series(dtype=object if c in ("symbol", "date") else "float64")
                           for c in SHARES_COLUMNS})
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["symbol"] = df["symbol"].astype(str)
    return df


def _provenance() -> dict:
    return _provenance_at(_root_key())


@lru_cache(maxsize=4)
def _provenance_at(root: str) -> dict:
    data = _read_bytes("provenance.json", root)
    if data is None:  # a data folder without provenance: hash its files, the package's FX assumptions
        import hashlib

        h = hashlib.sha256()
        for name in (*REQUIRED_FILES, *OPTIONAL_FILES[:2]):
            h.update(name.encode() + b"\0" + (_read_bytes(name, root) or b""))
        return {"snapshot_sha256": h.hexdigest(), "assumptions": _provenance_at("")["assumptions"],
                "symbols": {}}
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"provenance.json of {root or 'the aibt package'!r} is not UTF-8 JSON ({exc}); "
                        "rewrite it") from None


def symbols() -> list[str]:
    """Every symbol in the snapshot, sorted."""
    return sorted(_securities()["symbol"].tolist())


@lru_cache(maxsize=4)
def _known_symbols_at(root: str) -> frozenset[str]:
    """The symbols of securities.parquet (read with pyarrow alone, for :func:`_check_symbols`)."""
    table = _read_arrow("securities.parquet", root, ["symbol"])
    return frozenset(str(v) for v in table.column("symbol").to_pylist())


def _check_symbols(wanted: Iterable[str]) -> list[str]:
    have = _known_symbols_at(_root_key())
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
    from aibt.data.panel import FIELDS, Panel, fx_matrix

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
                 {"source": data_source(), "snapshot_sha256": snapshot_hash()}, events)


def load_closes(symbol: str) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted closes of one symbol on the XSHG sessions it has a bar on, read without pandas.

    The same series as ``load_snapshot(symbol).series(symbol, "close")`` (bars on non-XSHG days, e.g.
    Hong Kong sessions, dropped; sessions without a bar or with a missing close left out), as a pair
    ``(dates, closes)``: ``datetime64[ns]`` and float64 arrays, sorted by date. Reads the ``date``,
    ``symbol`` and ``close`` columns of ``bars.parquet`` with pyarrow into numpy (no pandas, no
    pyarrow.compute: together about 0.5 s of imports), each call afresh.

    Raises
    ------
    DataError
        Unknown symbol (named, as :func:`load_snapshot`), or a bars file that is not readable or lacks
        those columns.
    """
    from aibt.universes.calendar import isin_sorted, session_days

    (symbol,) = _check_symbols([symbol])
    table = _read_arrow("bars.parquet", _root_key(), ["date", "symbol", "close"], dictionary="symbol")
    keep = _rows_of(table.column("symbol"), symbol)
    dates = _dates_of(table.column("date"))[keep]
    close, valid = _primitive(table.column("close"), np.float64)
    close = np.where(valid, close, np.nan)[keep]
    on_axis = isin_sorted(dates.astype("datetime64[D]"), session_days("XSHG"))  # as the Panel's XSHG axis
    dates, close = dates[on_axis], close[on_axis]
    order = np.argsort(dates, kind="stable")
    dates, close = dates[order], close[order]
    last = np.ones(len(dates), dtype=bool)
    last[:-1] = dates[1:] != dates[:-1]  # a repeated bar: the later row wins, as in the Panel
    dates, close = dates[last], close[last]
    present = ~np.isnan(close)
    return dates[present], close[present]


def _primitive(column, dtype) -> tuple[np.ndarray, np.ndarray]:
    """(values, valid) of a fixed-width pyarrow column, straight from its buffers."""
    dtype = np.dtype(dtype)
    values, valid = [np.zeros(0, dtype)], [np.zeros(0, bool)]
    for a in column.chunks:
        bufs = a.buffers()
        values.append(np.frombuffer(bufs[1], dtype=dtype, count=len(a), offset=a.offset * dtype.itemsize))
        if a.null_count and bufs[0] is not None:
            bits = np.unpackbits(np.frombuffer(bufs[0], dtype=np.uint8), bitorder="little")
            valid.append(bits[a.offset:a.offset + len(a)].astype(bool))
        else:
            valid.append(np.ones(len(a), bool))
    return np.concatenate(values), np.concatenate(valid)


def _rows_of(column, symbol: str) -> np.ndarray:
    """Row mask of ``symbol`` in a bars ``symbol`` column (dictionary-encoded text, or codes stored as
    numbers in a data folder: compared as text, as :func:`_bars_at` does)."""
    import pyarrow as pa

    if not pa.types.is_dictionary(column.type):
        return np.array([str(v) == symbol for v in column.to_pylist()], dtype=bool)
    keep = [np.zeros(0, bool)]
    for a in column.chunks:  # compare dictionary indices, not 100,000 strings
        hit = [i for i, v in enumerate(a.dictionary.to_pylist()) if v == symbol]
        idx, valid = _primitive(pa.chunked_array([a.indices]), np.dtype(f"int{a.indices.type.bit_width}"))
        keep.append((idx == hit[0]) & valid if hit else np.zeros(len(a), bool))
    return np.concatenate(keep)


def _dates_of(column) -> np.ndarray:
    """A bars ``date`` column as ``datetime64[ns]``: parquet dates and naive timestamps from their
    buffers; anything else (text, zoned timestamps) the way :func:`_bars_at` reads it, with pandas."""
    import pyarrow as pa

    t = column.type
    if pa.types.is_date32(t):
        days, valid = _primitive(column, np.int32)
        out = days.astype("datetime64[D]").astype("datetime64[ns]")
    elif pa.types.is_timestamp(t) and t.tz is None:
        ticks, valid = _primitive(column, np.int64)
        out = ticks.view(f"datetime64[{t.unit}]").astype("datetime64[ns]")
    else:
        return pd.to_datetime(pd.Series(column.to_pylist())).astype("datetime64[ns]").to_numpy()
    out[~valid] = np.datetime64("NaT")
    return out


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


def _wide() -> tuple[pd.DatetimeIndex, list[str], dict[str, np.ndarray]]:
    """All bars as [T, N] arrays on the snapshot's XSHG sessions (read-only; callers get copies)."""
    return _wide_at(_root_key())


@lru_cache(maxsize=4)
def _wide_at(root: str) -> tuple[pd.DatetimeIndex, list[str], dict[str, np.ndarray]]:
    from aibt.data.panel import FIELDS

    bars = _bars_at(root)
    dates = xshg_sessions(bars["date"].min(), bars["date"].max())
    syms = sorted(_securities_at(root)["symbol"].tolist())
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
    """CNY per unit of each foreign currency on the data's XSHG sessions (dates x currency).

    Where the data folder has an FX history (``fx.parquet``, ``aibt data update`` from yfinance
    ``HKDCNY=X``) its rate is used, the last fixing carried to sessions without one; before the
    history starts (and in the embedded snapshot, which has none) the column is the documented
    constant of the provenance (``assumptions.fx.HKD``), an explicit, flagged approximation.
    """
    bars = _bars()
    dates = xshg_sessions(bars["date"].min(), bars["date"].max())
    fx = _provenance()["assumptions"]["fx"]
    data = {cur: np.full(len(dates), float(v["cny_per_unit"])) for cur, v in sorted(fx.items())}
    hist = load_table("fx")
    if hist is not None:
        idx = pd.DatetimeIndex(dates)
        for cur, g in hist.groupby("currency"):
            s = pd.Series(g["cny_per_unit"].to_numpy(np.float64), index=pd.DatetimeIndex(g["date"])).sort_index()
            s = s[~s.index.duplicated(keep="last")]
            got = s.reindex(idx.union(s.index)).ffill().reindex(idx).to_numpy()
            base = data.get(str(cur), np.full(len(dates), np.nan))
            data[str(cur)] = np.where(np.isfinite(got), got, base)
    return pd.DataFrame(data, index=pd.DatetimeIndex(dates, name="date"))


#: tables ``aibt data update`` adds to a data folder; each is optional for readers
EXTRA_TABLES = {
    "nav": "ETF net asset value per unit: symbol, date, nav, acc_nav, source",
    "index_levels": "official index levels: symbol, date, open, high, low, close, volume, amount, source",
    "index_weights": "index constituent weights (fractions): index, date, symbol, name, exchange, weight, source",
    "fx": "CNY per unit of a currency: currency, date, cny_per_unit, source",
    "fund_shares": "ETF units outstanding: symbol, date, shares, source",
}


def load_table(name: str) -> pd.DataFrame | None:
    """One of :data:`EXTRA_TABLES` from the data in use, or None when the data have none (the embedded
    snapshot never has them). Dates are datetime64[ns], text columns str; sorted."""
    if name not in EXTRA_TABLES:
        raise DataError(f"unknown data table {name!r}; known: {', '.join(EXTRA_TABLES)}")
    df = _table_at(_root_key(), name)
    return None if df is None else df.copy()


@lru_cache(maxsize=16)
def _table_at(root: str, name: str) -> pd.DataFrame | None:
    if not root or not (Path(root) / f"{name}.parquet").is_file():
        return None
    from aibt.data.store import normalise

    return normalise(name, _read_parquet(f"{name}.parquet", root))


def load_nav(symbol: str) -> pd.Series | None:
    """NAV per unit of ETF ``symbol`` as the fund reports it (traded basis: before a split the NAV is
    the pre-split one), indexed by date; None when the data have no NAV for it."""
    nav = load_table("nav")
    if nav is None or not (nav["symbol"] == str(symbol)).any():
        return None
    g = nav[nav["symbol"] == str(symbol)]
    return pd.Series(g["nav"].to_numpy(np.float64), index=pd.DatetimeIndex(g["date"], name="date"), name=str(symbol))


def load_index_levels(code: str) -> pd.Series | None:
    """Official close levels of index ``code`` (e.g. 950180), or None when the data have none."""
    lv = load_table("index_levels")
    if lv is None or not (lv["symbol"] == str(code)).any():
        return None
    g = lv[lv["symbol"] == str(code)]
    return pd.Series(g["close"].to_numpy(np.float64), index=pd.DatetimeIndex(g["date"], name="date"), name=str(code))


def provenance() -> dict:
    """The build's provenance: method, sources, per-symbol segments, repairs, cross-checks, hashes."""
    return copy.deepcopy(_provenance())


def snapshot_hash() -> str:
    """sha256 content hash of the whole snapshot (bars, events, shares, securities)."""
    return str(_provenance()["snapshot_sha256"])


def snapshot_info() -> pd.DataFrame:
    """One row per symbol: ``symbol, name, kind, currency, first, last, rows, sources, repairs, source_flags``.

    From the provenance where it describes the symbol; otherwise (a data folder without provenance)
    from the bars themselves, with no sources or repairs recorded.
    """
    prov = _provenance().get("symbols", {})
    sec = _securities().set_index("symbol")
    bars = _bars()
    spans = bars.groupby("symbol")["date"].agg(["min", "max", "size"])
    rows = []
    for s in sorted(sec.index):
        p = prov.get(s)
        if p is not None:
            rows.append({"symbol": s, "name": p["name"], "kind": p["kind"], "currency": p["currency"],
                         "first": pd.Timestamp(p["first"]), "last": pd.Timestamp(p["last"]),
                         "rows": int(p["rows"]), "sources": ",".join(p["sources"]), "repairs": len(p["repairs"]),
                         "source_flags": len(p["source_flags"])})
        elif s in spans.index:
            r = sec.loc[s]
            rows.append({"symbol": s, "name": r["name"], "kind": r["kind"], "currency": r["currency"],
                         "first": spans.loc[s, "min"], "last": spans.loc[s, "max"], "rows": int(spans.loc[s, "size"]),
                         "sources": "", "repairs": 0, "source_flags": 0})
    return pd.DataFrame(rows)


def data_window() -> dict:
    """``start``/``end`` of the data in use (the provenance's window, else the bars' first and last date)."""
    w = _provenance().get("window")
    if w:
        return dict(w)
    bars = _bars()
    return {"start": bars["date"].min().strftime("%Y-%m-%d"), "end": bars["date"].max().strftime("%Y-%m-%d")}


_GENERATION = [0]


def generation() -> int:
    """How many times :func:`clear_caches` has run: callers that remember what they built from the data key
    their memo on it (with the data root), so nothing stale outlives a rewrite of the data folder."""
    return _GENERATION[0]


def clear_caches() -> None:
    """Forget everything read (``aibt data update`` calls it after rewriting a data folder)."""
    _GENERATION[0] += 1
    for fn in (_bars_at, _events_at, _securities_at, _known_symbols_at, _shares_at, _provenance_at, _wide_at, _table_at,
               _star_market_at):
        fn.cache_clear()


def _star_market() -> pd.DataFrame:
    root = _root_key()
    if root and not (Path(root) / "star_market.parquet").is_file():
        root = ""  # a data folder without the candidate-space table: the package's (monthly, to 2026-05)
    return _star_market_at(root)


@lru_cache(maxsize=4)
def _star_market_at(root: str) -> pd.DataFrame:
    df = _read_parquet("star_market.parquet", root)
    for c in ("date", "list_date"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    for c in ("symbol", "name", "industry"):
        df[c] = df[c].astype(str)
    return df


def load_star_market(end=None) -> pd.DataFrame:
    """The STAR-market candidate space of the 950180 rebuild: one row per STAR stock and month.

    Columns ``date`` (the month's last bar), ``symbol, name, industry, list_date``, ``close`` (adjusted close
    that day), ``close_sum``, ``amount_sum``, ``sessions`` (sums and count over the month's sessions) and
    ``total_shares``, ``float_shares`` (2026-05 counts). Built by ``scripts/star_market.py`` (see the
    provenance's ``star_market`` entry). Read from the data in use; a data folder without
    ``star_market.parquet`` falls back to the package's table. ``end``: keep months whose last bar is on or
    before it.
    """
    df = _star_market()
    if end is not None:
        df = df[df["date"] <= pd.Timestamp(end)]
    return df.reset_index(drop=True).copy()
