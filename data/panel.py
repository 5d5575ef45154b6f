"""The one market-data container: session dates x symbols, one float64 2-D array per field.

Prices are in each symbol's local currency (``currency``); ``fx_to_cny`` converts them to CNY
(1.0 for CNY names). ``open/high/low/close`` are *adjusted* prices (ratio adjustment, so returns are
exact); ``adj_factor`` is the factor that turns them back into the traded price:
``raw_close = close * adj_factor`` (1.0 where unknown). ``volume`` is in shares (ETF: units),
``amount`` in local currency (NaN where no source has it). ``tradable`` is False on days without a
real bar (no row, suspension, zero volume); prices there are NaN.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from aibt.errors import DataError

PRICE_FIELDS = ("open", "high", "low", "close")
FIELDS = ("open", "high", "low", "close", "volume", "amount", "adj_factor")


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
    """

    dates: pd.DatetimeIndex
    symbols: tuple[str, ...]
    fields: Mapping[str, np.ndarray]
    tradable: np.ndarray
    currency: tuple[str, ...]
    fx_to_cny: np.ndarray
    meta: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
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
    ) -> "Panel":
        """Build a panel from a long frame with columns ``date, symbol`` and any of :data:`FIELDS`.

        ``dates`` fixes the row axis (e.g. XSHG sessions); otherwise the union of the frame's dates.
        ``fx`` is a dates x currency frame of CNY per unit (e.g. column ``HKD``), forward-filled.
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
        return cls(idx, symbols, arrays, tradable, cur, fxa)

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
        return Panel(
            self.dates[rows],
            tuple(self.symbols[j] for j in cols),
            sub,
            np.ascontiguousarray(self.tradable[np.ix_(rows, cols)]),
            tuple(self.currency[j] for j in cols),
            np.ascontiguousarray(self.fx_to_cny[np.ix_(rows, cols)]),
            dict(self.meta),
        )

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
        if f in PRICE_FIELDS or f == "adj_factor":
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
