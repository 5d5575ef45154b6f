"""The one market-data container: session dates x symbols, one float64 2-D array per field.

Prices are in each symbol's local currency (``currency``); ``fx_to_cny`` converts them to CNY
(1.0 for CNY names). ``open/high/low/close`` are *adjusted* prices (ratio adjustment, so returns are
exact); ``adj_factor`` is the factor that turns them back into the traded price:
``raw_close = close * adj_factor`` (1.0 where unknown). ``volume`` is in shares (ETF: units),
``amount`` in local currency (NaN where no source has it). ``tradable`` is False on days without a
real bar (no row, suspension, zero volume); prices there are NaN.

Traded prices: ``traded_open/high/low/close`` are the prices as the exchange printed them (on the tick),
where the data has them; :meth:`Panel.traded` returns them, or ``adjusted x adj_factor`` (rounded to a
tick when one is given) where a panel has none. ``events`` is the dated corporate-action table
(:data:`EVENT_COLUMNS`): ex-date, cash dividend per share (pre-tax, local currency), bonus + transfer
shares per share, split ratio, the factor step, the exchange's ex-rights reference price, confidence and
evidence. The engine credits dividends and share events from it; ``adj_factor`` changes only there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from aibt.errors import DataError

PRICE_FIELDS = ("open", "high", "low", "close")
TRADED_FIELDS = ("traded_open", "traded_high", "traded_low", "traded_close")
FIELDS = ("open", "high", "low", "close", "volume", "amount", "adj_factor") + TRADED_FIELDS
EVENT_COLUMNS = ("symbol", "ex_date", "cash", "shares", "split", "factor", "ref_price", "confidence", "evidence")


def empty_events() -> pd.DataFrame:
    """An event table without rows (the columns and dtypes of :data:`EVENT_COLUMNS`)."""
    return pd.DataFrame({
        "symbol": pd.Series([], dtype=object), "ex_date": pd.Series([], dtype="datetime64[ns]"),
        "cash": pd.Series([], dtype=np.float64), "shares": pd.Series([], dtype=np.float64),
        "split": pd.Series([], dtype=np.float64), "factor": pd.Series([], dtype=np.float64),
        "ref_price": pd.Series([], dtype=np.float64), "confidence": pd.Series([], dtype=object),
        "evidence": pd.Series([], dtype=object)})


def normalise_events(events: pd.DataFrame | None) -> pd.DataFrame:
    """``events`` with every column of :data:`EVENT_COLUMNS` (defaults: cash 0, shares 0, split 1,
    factor/ref_price NaN, confidence 'given'), sorted by symbol and ex-date; a DataError names a bad row."""
    if events is None or len(events) == 0:
        return empty_events()
    ev = pd.DataFrame(events).copy()
    missing = {"symbol", "ex_date"} - set(ev.columns)
    if missing:
        raise DataError(f"event table lacks column(s) {sorted(missing)}")
    ev["symbol"] = ev["symbol"].astype(str)
    dt = pd.to_datetime(ev["ex_date"], errors="coerce")
    if dt.isna().any():
        i = int(np.flatnonzero(dt.isna().to_numpy())[0])
        raise DataError(f"event table row {i}: unreadable ex_date {ev['ex_date'].iloc[i]!r}")
    ev["ex_date"] = dt.astype("datetime64[ns]")
    for col, default in (("cash", 0.0), ("shares", 0.0), ("split", 1.0), ("factor", np.nan),
                         ("ref_price", np.nan)):
        ev[col] = pd.to_numeric(ev[col], errors="coerce").astype(np.float64) if col in ev else default
    for col in ("cash", "shares"):
        bad = np.flatnonzero(~(ev[col].to_numpy() >= 0))
        if bad.size:
            r = ev.iloc[int(bad[0])]
            raise DataError(f"event {r['symbol']} {r['ex_date'].date()}: {col} must be a number >= 0, got {r[col]!r}")
    bad = np.flatnonzero(~(ev["split"].to_numpy() > 0))
    if bad.size:
        r = ev.iloc[int(bad[0])]
        raise DataError(f"event {r['symbol']} {r['ex_date'].date()}: split must be > 0, got {r['split']!r}")
    for col, default in (("confidence", "given"), ("evidence", "")):
        ev[col] = ev[col].astype(str) if col in ev else default
    if ev.duplicated(["symbol", "ex_date"]).any():
        r = ev[ev.duplicated(["symbol", "ex_date"])].iloc[0]
        raise DataError(f"two events for {r['symbol']} on {r['ex_date'].date()}: merge them into one row")
    ev = ev[list(EVENT_COLUMNS)].sort_values(["symbol", "ex_date"], kind="mergesort")
    return ev.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class Panel:
    """Dates x symbols market data.

    Parameters
    ----------
    dates : DatetimeIndex, strictly increasing, tz-naive session dates.
    symbols : tuple of str, unique codes (``"300308"``, ``"588790"``, ``"6088.HK"``, ``"000688"`` ...).
    fields : mapping of field name -> float64 array [T, N]; must contain ``close``.
    tradable : bool array [T, N].
    currency : tuple of str per symbol (``"CNY"``, ``"HKD"``).
    fx_to_cny : float64 array [T, N], price in CNY = price * fx_to_cny.
    meta : free-form metadata (source, snapshot hash).
    events : DataFrame of corporate actions (:data:`EVENT_COLUMNS`); empty = none.
    """

    dates: pd.DatetimeIndex
    symbols: tuple[str, ...]
    fields: Mapping[str, np.ndarray]
    tradable: np.ndarray
    currency: tuple[str, ...]
    fx_to_cny: np.ndarray
    meta: Mapping[str, object] = field(default_factory=dict)
    events: pd.DataFrame = field(default_factory=empty_events)

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", normalise_events(self.events))
        dates = pd.DatetimeIndex(self.dates)
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "symbols", tuple(str(s) for s in self.symbols))
        t, n = len(dates), len(self.symbols)
        if dates.has_duplicates:
            dup = dates[dates.duplicated()][0]
            raise DataError(f"duplicate date {dup.date()} in panel")
        if not dates.is_monotonic_increasing:
            raise DataError("panel dates are not sorted in increasing order")
        if len(set(self.symbols)) != n:
            seen: set[str] = set()
            dup_s = next(s for s in self.symbols if s in seen or seen.add(s))
            raise DataError(f"duplicate symbol {dup_s!r} in panel")
        if "close" not in self.fields:
            raise DataError("panel has no 'close' field")
        for name, arr in self.fields.items():
            if np.shape(arr) != (t, n):
                raise DataError(f"panel field {name!r} has shape {np.shape(arr)}, expected {(t, n)}")
        if np.shape(self.tradable) != (t, n):
            raise DataError(f"panel tradable mask has shape {np.shape(self.tradable)}, expected {(t, n)}")
        if len(self.currency) != n:
            raise DataError("panel currency must have one entry per symbol")
        if np.shape(self.fx_to_cny) != (t, n):
            raise DataError(f"panel fx_to_cny has shape {np.shape(self.fx_to_cny)}, expected {(t, n)}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_long(
        cls,
        frame: pd.DataFrame,
        *,
        currency: Mapping[str, str] | None = None,
        fx: pd.DataFrame | None = None,
        dates: Iterable | None = None,
        events: pd.DataFrame | None = None,
    ) -> "Panel":
        """Build a panel from a long frame with columns ``date, symbol`` and any of :data:`FIELDS`.

        ``dates`` fixes the row axis (e.g. XSHG sessions); otherwise the union of the frame's dates.
        ``fx`` is a dates x currency frame of CNY per unit (e.g. column ``HKD``), forward-filled.
        ``events`` is the corporate-action table (:data:`EVENT_COLUMNS`). Without one, every step of a
        given ``adj_factor`` becomes an event of confidence ``inferred``: a cash dividend worth the step
        (:func:`events_from_factor`), so a position keeps its value across the ex-date.
        """
        missing = {"date", "symbol", "close"} - set(frame.columns)
        if missing:
            raise DataError(f"long frame lacks column(s) {sorted(missing)}")
        if len(frame) == 0:
            raise DataError("long frame has no rows")
        df = frame.copy()
        dt = pd.to_datetime(df["date"], errors="coerce", format="mixed")
        if dt.isna().any():
            i = int(np.flatnonzero(dt.isna().to_numpy())[0])
            raise DataError(f"long frame row {i}: unreadable date {df['date'].iloc[i]!r}")
        df["date"] = dt
        df["symbol"] = df["symbol"].astype(str)
        dup = df.duplicated(["date", "symbol"])
        if dup.any():
            row = df[dup].iloc[0]
            raise DataError(f"duplicate row for {row['symbol']} on {row['date'].date()}")
        _check_long_values(df)
        symbols = tuple(dict.fromkeys(df["symbol"]))  # first-seen order
        idx = pd.DatetimeIndex(sorted(set(df["date"]))) if dates is None else pd.DatetimeIndex(dates)
        if dates is not None:
            # rows off the given axis would be dropped silently: an error for CNY (A-share) symbols;
            # foreign listings (HKD) legitimately trade on days that are not XSHG sessions.
            off = ~df["date"].isin(idx).to_numpy()
            cny = np.array([(currency or {}).get(s, "CNY") == "CNY" for s in df["symbol"]])
            bad = np.flatnonzero(off & cny)
            if bad.size:
                row = df.iloc[int(bad[0])]
                raise DataError(f"row for {row['symbol']} on {row['date'].date()} is not on the panel's date "
                                "axis (not an exchange session: weekend or holiday?)")
        arrays: dict[str, np.ndarray] = {}
        for f in FIELDS:
            if f in df.columns:
                wide = df.pivot(index="date", columns="symbol", values=f).reindex(index=idx, columns=list(symbols))
                arrays[f] = wide.to_numpy(dtype=np.float64, copy=True)
        if "adj_factor" not in arrays:
            arrays["adj_factor"] = np.where(np.isnan(arrays["close"]), np.nan, 1.0)
        close = arrays["close"]
        vol = arrays.get("volume")
        tradable = ~np.isnan(close)
        if vol is not None:
            tradable &= ~(vol <= 0)
        cur = tuple((currency or {}).get(s, "CNY") for s in symbols)
        fxa = fx_matrix(idx, cur, fx)
        if events is None:
            events = events_from_factor(idx, symbols, arrays)
        else:
            events = normalise_events(events)
            unknown = sorted(set(events["symbol"]) - set(symbols))
            if unknown:
                raise DataError(f"event table names symbol(s) {unknown[:5]} that the frame does not have")
        return cls(idx, symbols, arrays, tradable, cur, fxa, {}, events)

    # ------------------------------------------------------------------ views
    @property
    def shape(self) -> tuple[int, int]:
        return len(self.dates), len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.symbols

    def column(self, symbol: str) -> int:
        """Index of ``symbol``; a clear error names an unknown one."""
        try:
            return self.symbols.index(str(symbol))
        except ValueError:
            raise DataError(f"unknown symbol {symbol!r}: not in the panel ({len(self.symbols)} symbols)") from None

    def frame(self, name: str) -> pd.DataFrame:
        """DataFrame (dates x symbols) copy of one field (or ``tradable`` / ``fx_to_cny``)."""
        if name == "tradable":
            arr = self.tradable
        elif name == "fx_to_cny":
            arr = self.fx_to_cny
        elif name == "raw_close":
            arr = self.raw("close")
        elif name in self.fields:
            arr = self.fields[name]
        else:
            raise DataError(f"panel has no field {name!r}; fields: {sorted(self.fields)}")
        return pd.DataFrame(arr.copy(), index=self.dates.copy(), columns=list(self.symbols))

    def raw(self, name: str = "close") -> np.ndarray:
        """Traded (unadjusted) prices: adjusted price x adj_factor."""
        return self.fields[name] * self.fields["adj_factor"]

    def traded(self, name: str = "close", tick=None) -> np.ndarray:
        """Traded prices [T, N] of ``name`` ('open', 'high', 'low', 'close') as the exchange printed them.

        The ``traded_<name>`` field where the panel has it; else ``adjusted x adj_factor``, rounded to
        ``tick`` (a number or an [N] array; None = not rounded).
        """
        key = f"traded_{name}"
        if key in self.fields:
            return self.fields[key]
        if name not in self.fields:
            raise DataError(f"panel has no {name!r} prices")
        raw = self.fields[name] * self.fields["adj_factor"]
        if tick is None:
            return raw
        tk = np.broadcast_to(np.asarray(tick, dtype=np.float64).reshape(-1), (raw.shape[1],))[None, :]
        with np.errstate(invalid="ignore"):
            rounded = np.round(np.floor(raw / tk + 0.5 + 1e-9) * tk, 3)  # half up, then the tick's decimal
        return np.where(np.isnan(tk), raw, rounded)

    def series(self, symbol: str, name: str = "close", dropna: bool = True) -> pd.Series:
        j = self.column(symbol)
        s = pd.Series(self.fields[name][:, j].copy(), index=self.dates.copy(), name=symbol)
        return s.dropna() if dropna else s

    def first_last(self, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        s = self.series(symbol)
        if s.empty:
            raise DataError(f"symbol {symbol!r} has no prices")
        return s.index[0], s.index[-1]

    def select(self, symbols: Iterable[str] | None = None, start=None, end=None) -> "Panel":
        """Sub-panel by symbols (order kept as given) and inclusive date range."""
        cols = list(range(len(self.symbols))) if symbols is None else [self.column(s) for s in symbols]
        mask = np.ones(len(self.dates), dtype=bool)
        if start is not None:
            mask &= self.dates >= pd.Timestamp(start)
        if end is not None:
            mask &= self.dates <= pd.Timestamp(end)
        if not mask.any():
            raise DataError(f"no dates in the panel between {start} and {end} "
                            f"(panel covers {self.dates[0].date()} to {self.dates[-1].date()})")
        rows = np.flatnonzero(mask)
        sub = {k: np.ascontiguousarray(v[np.ix_(rows, cols)]) for k, v in self.fields.items()}
        ev = self.events
        keep = (ev["symbol"].isin([self.symbols[j] for j in cols]) & (ev["ex_date"] >= self.dates[rows[0]])
                & (ev["ex_date"] <= self.dates[rows[-1]])).to_numpy()
        return Panel(
            self.dates[rows],
            tuple(self.symbols[j] for j in cols),
            sub,
            np.ascontiguousarray(self.tradable[np.ix_(rows, cols)]),
            tuple(self.currency[j] for j in cols),
            np.ascontiguousarray(self.fx_to_cny[np.ix_(rows, cols)]),
            dict(self.meta),
            ev[keep],
        )

    def as_total_return(self) -> "Panel":
        """The panel with its adjusted prices as the traded ones: ``adj_factor = 1``, no ``traded_*`` fields,
        no events. Trading it reinvests every dividend in kind (a total-return price series), as
        engines without corporate actions (vectorbt, bt) do; used to compare with them on equal terms."""
        fields = {k: v for k, v in self.fields.items() if not k.startswith("traded_")}
        fields["adj_factor"] = np.where(np.isnan(self.fields["close"]), np.nan, 1.0)
        return Panel(self.dates, self.symbols, fields, self.tradable, self.currency, self.fx_to_cny, dict(self.meta))

    def event_arrays(self) -> dict[str, np.ndarray]:
        """The event table on the panel's axes: ``cash`` (per share, local currency), ``shares`` (bonus +
        transfer per share), ``split`` (ratio, 1 = none), ``ref_price`` (NaN = not given) as [T, N] arrays.

        An ex-date that is not a session of the axis counts on the next session; events after the last
        session or before the first are not on the axis and are left out.
        """
        t, n = self.shape
        out = {"cash": np.zeros((t, n)), "shares": np.zeros((t, n)), "split": np.ones((t, n)),
               "ref_price": np.full((t, n), np.nan)}
        ev = self.events
        if len(ev) == 0 or t == 0:
            return out
        col = pd.Index(self.symbols).get_indexer(ev["symbol"])
        row = np.searchsorted(self.dates.values, ev["ex_date"].to_numpy(dtype="datetime64[ns]"), side="left")
        ok = (col >= 0) & (row < t) & (ev["ex_date"].to_numpy() >= self.dates.values[0])
        for k in np.flatnonzero(ok):
            i, j = int(row[k]), int(col[k])
            out["cash"][i, j] += float(ev["cash"].iloc[k])
            out["shares"][i, j] = (1.0 + out["shares"][i, j]) * (1.0 + float(ev["shares"].iloc[k])) - 1.0
            out["split"][i, j] *= float(ev["split"].iloc[k])
            out["ref_price"][i, j] = float(ev["ref_price"].iloc[k])
        return out

    def to_long(self) -> pd.DataFrame:
        """Long frame ``date, symbol, <fields>`` of the rows that have a close."""
        t, n = self.shape
        out = pd.DataFrame({
            "date": np.repeat(self.dates.values, n),
            "symbol": np.tile(np.array(self.symbols, dtype=object), t),
        })
        for k, v in self.fields.items():
            out[k] = v.reshape(-1)
        return out[~np.isnan(out["close"].to_numpy())].reset_index(drop=True)


def events_from_factor(dates: pd.DatetimeIndex, symbols: tuple[str, ...], arrays: Mapping[str, np.ndarray],
                       rel_tol: float = 1e-6) -> pd.DataFrame:
    """Events inferred from the steps of ``adj_factor`` (``raw = adjusted x adj_factor``): at each session
    where the factor changes by more than ``rel_tol`` (relative), a cash dividend equal to the step's
    value, ``cash = prev_raw_close x (1 - factor_after / factor_before)``, confidence ``inferred``.

    A user panel that only knows an adjustment factor cannot tell a dividend from a bonus issue; a cash
    dividend keeps the position's value across the ex-date either way (as a total-return series does).
    """
    fac = arrays.get("adj_factor")
    close = arrays["close"]
    if fac is None or len(dates) < 2:
        return empty_events()
    rows = []
    for j, sym in enumerate(symbols):
        f = fac[:, j]
        ok = np.flatnonzero(np.isfinite(f) & np.isfinite(close[:, j]))
        for a, b in zip(ok[:-1], ok[1:]):
            fa, fb = f[a], f[b]
            if abs(fb / fa - 1.0) <= rel_tol:
                continue
            prev_raw = close[a, j] * fa
            cash, split = (prev_raw * (1.0 - fb / fa), 1.0) if fb < fa else (0.0, fa / fb)  # rise: reverse split
            rows.append({"symbol": sym, "ex_date": dates[b], "cash": cash, "shares": 0.0,
                         "split": split, "factor": fa / fb, "ref_price": prev_raw * fb / fa,
                         "confidence": "inferred",
                         "evidence": f"adj_factor step {fa:.6g} -> {fb:.6g} (no event table given)"})
    return normalise_events(pd.DataFrame(rows)) if rows else empty_events()


def _check_long_values(df: pd.DataFrame) -> None:
    """Numeric fields of a long frame: numbers; prices > 0 where given; high >= low; volume >= 0.

    ``close`` must be given in every row (a day without a bar has no row); a NaN open/high/low is
    kept as missing; zero, negative or infinite prices are errors.
    Converts the columns to float64 in place. Raises DataError naming the symbol, date and column.
    """
    def where(i: int) -> str:
        return f"{df['symbol'].iloc[i]} on {df['date'].iloc[i].date()}"

    for f in FIELDS:
        if f not in df.columns:
            continue
        try:
            df[f] = pd.to_numeric(df[f], errors="raise").astype(np.float64)
        except (ValueError, TypeError):
            conv = pd.to_numeric(df[f], errors="coerce")
            i = int(np.flatnonzero((conv.isna() & df[f].notna()).to_numpy())[0])
            raise DataError(f"long frame column {f!r} for {where(i)} has {df[f].iloc[i]!r}, not a number") from None
        v = df[f].to_numpy()
        if f == "close" and np.isnan(v).any():
            i = int(np.flatnonzero(np.isnan(v))[0])
            raise DataError(f"close is missing (NaN) for {where(i)}; leave out the row of a day without a bar")
        if f in PRICE_FIELDS or f in TRADED_FIELDS or f == "adj_factor":
            bad = np.flatnonzero(~np.isnan(v) & ~(np.isfinite(v) & (v > 0)))
            if bad.size:
                i = int(bad[0])
                kind = "zero" if v[i] == 0 else ("negative" if v[i] < 0 else "infinite")
                raise DataError(f"{kind} {f} ({v[i]:g}) for {where(i)}; prices must be positive")
        elif f == "volume":
            bad = np.flatnonzero(v < 0)
            if bad.size:
                i = int(bad[0])
                raise DataError(f"negative volume ({v[i]:g}) for {where(i)}")
    if "high" in df.columns and "low" in df.columns:
        hl = np.flatnonzero(df["high"].to_numpy() < df["low"].to_numpy())
        if hl.size:
            i = int(hl[0])
            raise DataError(f"high {df['high'].iloc[i]:g} < low {df['low'].iloc[i]:g} for {where(i)}")


def fx_matrix(dates: pd.DatetimeIndex, currency: tuple[str, ...], fx: pd.DataFrame | None) -> np.ndarray:
    """[T, N] CNY-per-unit matrix: 1.0 for CNY, the forward-filled ``fx[currency]`` column otherwise."""
    out = np.ones((len(dates), len(currency)), dtype=np.float64)
    for j, c in enumerate(currency):
        if c == "CNY":
            continue
        if fx is None or c not in fx.columns:
            raise DataError(f"no FX series {c}->CNY for a {c} symbol")
        s = fx[c].copy()
        s.index = pd.to_datetime(s.index)
        s = s.sort_index().reindex(dates.union(s.index)).ffill().bfill().reindex(dates)
        out[:, j] = s.to_numpy(dtype=np.float64)
    return out
