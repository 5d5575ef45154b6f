"""The common contract of all market-data sources: schema, validation, registry, ``fetch_panel``.

A source turns ``(symbol, start, end, adjust)`` into a *long frame* with exactly the columns of
:data:`SCHEMA` (one row per traded day, dates sorted and unique):

``date``        tz-naive ``datetime64`` session date
``symbol``      str, the code as asked for (``"300308"``, ``"588790"``, ``"6088.HK"``)
``open .. close`` float64 prices in local currency, in the adjustment asked for
``volume``      float64, shares (ETF: units; akshare's lots of 100 are converted)
``amount``      float64 traded value in local currency, NaN where the source has none
``adj_factor``  float64, ``raw price = price * adj_factor`` (1.0 where unknown, and a note says so)
``currency``    str, ISO code of the local currency (``"CNY"``, ``"HKD"``)

Notes a source wants the user to see (adjustment unknown, units guessed ...) travel in
``frame.attrs["notes"]`` (a list of str). :func:`fetch_panel` gathers them, with failures and
partial histories, in a per-symbol :class:`SymbolReport`.
"""
from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from aibt.data.panel import PRICE_FIELDS, Panel
from aibt.errors import AibtError, DataError, SourceError

SCHEMA = ("date", "symbol", "open", "high", "low", "close", "volume", "amount", "adj_factor", "currency")
NUMERIC = ("open", "high", "low", "close", "volume", "amount", "adj_factor")
ADJUSTS = ("qfq", "hfq", "")
#: Default calendar-day slack before a history counts as partial (covers Spring Festival closures).
PARTIAL_TOLERANCE_DAYS = 12


@runtime_checkable
class Source(Protocol):
    """What every adapter provides.

    Attributes
    ----------
    name : str
        Registry name (``"akshare"``, ``"yfinance"``, ``"files"``).
    """

    name: str

    def fetch(self, symbol: str, start, end, adjust: str = "qfq") -> pd.DataFrame:
        """Long frame in :data:`SCHEMA` for ``symbol`` between ``start`` and ``end`` inclusive.

        Raises :class:`~aibt.errors.SourceError` naming the symbol and the source on failure.
        """
        ...


# ---------------------------------------------------------------------------------------- helpers
def to_timestamp(value, what: str = "date") -> pd.Timestamp:
    """Parse a user date (``"2024-01-02"``, ``"20240102"``, date, Timestamp) to a tz-naive day."""
    try:
        ts = pd.Timestamp(str(value)) if isinstance(value, (int, np.integer)) else pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"cannot read {what} {value!r}: use YYYY-MM-DD") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise DataError(f"{what} is missing (got {value!r})")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def check_adjust(adjust: str) -> str:
    """Return ``adjust`` normalised (``None``/``"none"`` -> ``""``) or raise naming it."""
    a = "" if adjust in (None, "none", "raw") else adjust
    if a not in ADJUSTS:
        raise DataError(f"unknown adjust {adjust!r}: use 'qfq', 'hfq' or '' (unadjusted)")
    return a


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate most similar to ``name`` (difflib), or None if nothing is close."""
    hits = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=cutoff)
    return hits[0] if hits else None


def add_note(frame: pd.DataFrame, note: str) -> None:
    """Append a human-readable note to ``frame.attrs["notes"]``."""
    frame.attrs.setdefault("notes", [])
    frame.attrs["notes"] = list(frame.attrs["notes"]) + [note]


def validate_long(frame: pd.DataFrame, *, source: str, symbol: str | None = None) -> pd.DataFrame:
    """Check a long frame against :data:`SCHEMA` and return a clean copy in schema order.

    Checks: every schema column present (no others), float64 numerics, dates parse and are
    tz-naive, per symbol sorted and unique dates, prices finite and > 0, ``high >= low``,
    ``volume >= 0``, ``adj_factor`` finite and > 0.

    Raises
    ------
    SourceError
        Naming the source, the symbol, the column and (for bad values) the first bad date.
    """
    where = f"{source} data for {symbol}" if symbol else f"{source} data"
    cols = list(frame.columns)
    missing = [c for c in SCHEMA if c not in cols]
    extra = [c for c in cols if c not in SCHEMA]
    if missing or extra:
        parts = []
        for m in missing:
            hint = closest(m, extra)
            parts.append(f"missing column {m!r}" + (f" (closest: {hint!r})" if hint else ""))
        parts += [f"unexpected column {e!r}" for e in extra if e not in {closest(m, extra) for m in missing}]
        raise SourceError(f"{where}: " + "; ".join(parts))
    out = frame.loc[:, list(SCHEMA)].copy()
    out.attrs = dict(frame.attrs)
    if out.empty:
        raise SourceError(f"{where}: no rows")
    dates = pd.to_datetime(out["date"], errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    if dates.isna().any():
        bad = frame["date"][dates.isna()].iloc[0]
        raise SourceError(f"{where}: unreadable date {bad!r}")
    out["date"] = dates.dt.normalize().astype("datetime64[ns]")
    out["symbol"] = out["symbol"].astype(str)
    out["currency"] = out["currency"].astype(str)
    for c in NUMERIC:
        try:
            out[c] = pd.to_numeric(out[c], errors="raise").astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise SourceError(f"{where}: column {c!r} is not numeric ({exc})") from None
    for sym, g in out.groupby("symbol", sort=False):
        label = f"{source} data for {sym}"
        d = g["date"]
        if d.duplicated().any():
            raise SourceError(f"{label}: duplicate date {d[d.duplicated()].iloc[0].date()}")
        if not d.is_monotonic_increasing:
            pos = int(np.flatnonzero(np.diff(d.to_numpy()) < np.timedelta64(0))[0])
            raise SourceError(f"{label}: dates not sorted ({d.iloc[pos].date()} comes before "
                              f"{d.iloc[pos + 1].date()})")
        for c in PRICE_FIELDS:
            v = g[c].to_numpy()
            bad = ~np.isfinite(v) | (v <= 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                kind = "missing" if np.isnan(v[i]) else ("zero" if v[i] == 0 else f"negative/invalid ({v[i]})")
                raise SourceError(f"{label}: {kind} {c} price on {d.iloc[i].date()}")
        hl = g["high"].to_numpy() < g["low"].to_numpy()
        if hl.any():
            i = int(np.flatnonzero(hl)[0])
            raise SourceError(f"{label}: high {g['high'].iloc[i]} < low {g['low'].iloc[i]} on {d.iloc[i].date()}")
        vol = g["volume"].to_numpy()
        if (vol < 0).any():
            i = int(np.flatnonzero(vol < 0)[0])
            raise SourceError(f"{label}: negative volume on {d.iloc[i].date()}")
        af = g["adj_factor"].to_numpy()
        if (~np.isfinite(af) | (af <= 0)).any():
            i = int(np.flatnonzero(~np.isfinite(af) | (af <= 0))[0])
            raise SourceError(f"{label}: invalid adj_factor {af[i]} on {d.iloc[i].date()}")
    return out.reset_index(drop=True)


def clip_dates(frame: pd.DataFrame, start, end) -> pd.DataFrame:
    """Rows with ``start <= date <= end`` (both inclusive); attrs kept."""
    lo, hi = to_timestamp(start, "start"), to_timestamp(end, "end")
    out = frame[(frame["date"] >= lo) & (frame["date"] <= hi)].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


# ---------------------------------------------------------------------------------------- registry
_FACTORIES: dict[str, Callable[..., Source] | str] = {
    "akshare": "aibt.data.source_akshare:AkshareSource",
    "yfinance": "aibt.data.source_yfinance:YFinanceSource",
    "files": "aibt.data.source_files:FilesSource",
}


def register_source(name: str, factory: Callable[..., Source]) -> None:
    """Make ``get_source(name, **kwargs)`` call ``factory(**kwargs)``."""
    _FACTORIES[str(name)] = factory


def available_sources() -> list[str]:
    """Registered source names, sorted."""
    return sorted(_FACTORIES)


def get_source(name: str | Source, **kwargs) -> Source:
    """A source instance by registry name (a source object passes through unchanged)."""
    if not isinstance(name, str):
        return name
    try:
        factory = _FACTORIES[name]
    except KeyError:
        hint = closest(name, _FACTORIES)
        raise SourceError(f"unknown source {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                          + f"; known: {', '.join(available_sources())}") from None
    if isinstance(factory, str):
        module, attr = factory.split(":")
        factory = getattr(importlib.import_module(module), attr)
    return factory(**kwargs)


# ---------------------------------------------------------------------------------------- panel
@dataclass
class SymbolReport:
    """Outcome of fetching one symbol.

    ``status`` is ``"ok"``, ``"partial"`` (rows do not cover the requested range) or ``"failed"``.
    """

    symbol: str
    status: str
    rows: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        span = f" {self.first.date()}..{self.last.date()}" if self.first is not None else ""
        msg = f"{self.symbol}: {self.status} ({self.rows} rows{span})"
        if self.error:
            msg += f": {self.error}"
        if self.notes:
            msg += " [" + "; ".join(self.notes) + "]"
        return msg


def coverage_notes(frame: pd.DataFrame, start, end, tolerance_days: int = PARTIAL_TOLERANCE_DAYS) -> list[str]:
    """Notes when the rows start later / end earlier than asked by more than ``tolerance_days``."""
    lo, hi = to_timestamp(start, "start"), to_timestamp(end, "end")
    first, last = frame["date"].min(), frame["date"].max()
    notes = []
    if (first - lo).days > tolerance_days:
        notes.append(f"history starts {first.date()}, {(first - lo).days} days after the requested {lo.date()}")
    if (hi - last).days > tolerance_days:
        notes.append(f"history ends {last.date()}, {(hi - last).days} days before the requested {hi.date()}")
    return notes


def fetch_panel(
    symbols: Iterable[str],
    start,
    end,
    source: str | Source = "akshare",
    *,
    adjust: str = "qfq",
    cache=None,
    fx: pd.DataFrame | None = None,
    dates: Iterable | None = None,
    tolerance_days: int = PARTIAL_TOLERANCE_DAYS,
) -> tuple[Panel, dict[str, SymbolReport]]:
    """Fetch several symbols into one :class:`~aibt.data.panel.Panel`, keeping the ones that work.

    Parameters
    ----------
    symbols : iterable of str
    start, end : date-like, inclusive.
    source : registry name or a :class:`Source` instance.
    adjust : ``"qfq"``, ``"hfq"`` or ``""``.
    cache : :class:`aibt.data.cache.Cache` or None
        When given, each symbol is read from / written to the cache.
    fx : DataFrame or None
        Dates x currency CNY-per-unit; when None and a symbol is not in CNY, the source's
        ``fetch_fx(currency, start, end)`` is used.
    dates : optional row axis for the panel (e.g. XSHG sessions).
    tolerance_days : calendar days of slack before a history is reported ``"partial"``.

    Returns
    -------
    (Panel, dict[str, SymbolReport])
        The panel of the symbols that returned data (in the order given) and one report per symbol.

    Raises
    ------
    SourceError
        When no symbol at all returned data (the message lists each failure).
    """
    src = get_source(source)
    adjust = check_adjust(adjust)
    lo, hi = to_timestamp(start, "start"), to_timestamp(end, "end")
    if lo > hi:
        raise DataError(f"start {lo.date()} is after end {hi.date()}")
    syms = list(dict.fromkeys(str(s) for s in symbols))
    if not syms:
        raise DataError("no symbols to fetch")
    frames: list[pd.DataFrame] = []
    report: dict[str, SymbolReport] = {}
    for sym in syms:
        def _fetch(sym=sym):
            return src.fetch(sym, lo, hi, adjust)
        try:
            if cache is not None:
                key = (src.name, sym, lo.strftime("%Y-%m-%d"), hi.strftime("%Y-%m-%d"), adjust)
                got = cache.get_or_fetch(key, _fetch)
            else:
                got = _fetch()
            got = validate_long(got, source=src.name, symbol=sym)
        except AibtError as exc:
            report[sym] = SymbolReport(sym, "failed", error=str(exc))
            continue
        notes = list(got.attrs.get("notes", [])) + coverage_notes(got, lo, hi, tolerance_days)
        status = "partial" if any(n.startswith("history ") for n in notes) else "ok"
        report[sym] = SymbolReport(sym, status, len(got), got["date"].iloc[0], got["date"].iloc[-1], None, notes)
        frames.append(got)
    if not frames:
        shown = [str(r) for r in list(report.values())[:3]]
        more = len(report) - len(shown)
        raise SourceError(f"{src.name}: no symbol returned data: " + " | ".join(shown)
                          + (f" | and {more} more" if more else ""))
    long = pd.concat(frames, ignore_index=True)
    currency = {s: c for s, c in zip(long["symbol"], long["currency"])}
    foreign = sorted({c for c in currency.values() if c != "CNY"})
    if foreign and (fx is None or any(c not in fx.columns for c in foreign)):
        fetch_fx = getattr(src, "fetch_fx", None)
        if fetch_fx is None:
            raise SourceError(f"{src.name}: symbols in {', '.join(foreign)} need an fx frame (CNY per unit)")
        fx = pd.concat([fetch_fx(c, lo - pd.Timedelta(days=14), hi) for c in foreign], axis=1)
    panel = Panel.from_long(long.drop(columns=["currency"]), currency=currency, fx=fx, dates=dates)
    return panel, report
