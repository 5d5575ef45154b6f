"""CSV / parquet adapter: one symbol per file, or a long frame with a symbol column.

Reads what people actually have on disk: English or Chinese (akshare/Eastmoney, Tushare-style)
column names, UTF-8 with or without BOM or GBK encodings, ``1,234,567`` thousands separators,
``"3.5%"`` percent strings, ``YYYY-MM-DD``/``YYYYMMDD``/``YYYY/MM/DD`` dates. Every problem is a
:class:`~aibt.errors.DataError` naming the file, the column (with the closest known name for a
misspelling) or the symbol and date of a bad bar.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from aibt.data.sources import SCHEMA, add_note, check_adjust, closest, clip_dates, to_timestamp, validate_long
from aibt.errors import DataError, SourceError

#: Accepted spellings (case-insensitive, spaces/underscores ignored) -> schema field.
ALIASES: dict[str, str] = {}
for _field, _names in {
    "date": ["date", "datetime", "trade_date", "tradedate", "time", "日期", "交易日期", "时间"],
    "symbol": ["symbol", "code", "ticker", "ts_code", "股票代码", "代码", "证券代码"],
    "open": ["open", "开盘", "开盘价", "今开"],
    "high": ["high", "最高", "最高价"],
    "low": ["low", "最低", "最低价"],
    "close": ["close", "收盘", "收盘价"],
    "volume": ["volume", "vol", "成交量"],
    "amount": ["amount", "turnover_value", "value", "成交额", "成交金额"],
    "adj_factor": ["adj_factor", "adjfactor", "factor", "复权因子"],
    "currency": ["currency", "币种"],
}.items():
    for _n in _names:
        ALIASES[_n.lower().replace(" ", "").replace("_", "")] = _field
#: Columns that real exports carry and that are derived or irrelevant here: dropped silently.
IGNORED = {c.lower().replace(" ", "").replace("_", "") for c in (
    "振幅", "涨跌幅", "涨跌额", "换手率", "名称", "股票名称", "pct_chg", "change", "pre_close", "昨收",
    "amplitude", "turnover", "turnover_rate", "dividends", "stock splits", "capital gains", "unnamed: 0",
    "index", "adj close", "adjclose", "outstanding_share")}
ENCODINGS = ("utf-8-sig", "gbk", "gb18030")
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _key(name: str) -> str:
    return str(name).strip().lower().replace(" ", "").replace("_", "")


def normalise_columns(frame: pd.DataFrame, *, where: str) -> pd.DataFrame:
    """Rename known spellings to schema names; drop known extras; reject the rest.

    Raises
    ------
    DataError
        Listing unknown columns with the closest known name, or a field given twice.
    """
    rename, drop, unknown = {}, [], []
    for c in frame.columns:
        k = _key(c)
        if k in ALIASES:
            field = ALIASES[k]
            if field in rename.values():
                first = next(o for o, f in rename.items() if f == field)
                raise DataError(f"{where}: columns {first!r} and {c!r} both mean {field!r}")
            rename[c] = field
        elif k in IGNORED:
            drop.append(c)
        else:
            unknown.append(c)
    if unknown:
        present = set(rename.values())
        wanted = [f for f in SCHEMA if f not in present]
        parts = []
        for u in unknown:
            hint = closest(_key(u), wanted + [a for a, f in ALIASES.items() if f not in present])
            hint = ALIASES.get(hint, hint) if hint else None
            parts.append(f"{u!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        raise DataError(f"{where}: unknown column(s) {', '.join(parts)}; known: date, open, high, low, close, "
                        f"volume, amount, adj_factor, symbol (or their akshare names 日期, 开盘 ...)")
    out = frame.drop(columns=drop).rename(columns=rename)
    for req in ("date", "open", "high", "low", "close"):
        if req not in out.columns:
            raise DataError(f"{where}: missing column {req!r}; columns are {list(frame.columns)}")
    return out


def parse_numbers(values: pd.Series, *, column: str, where: str, percent: bool = True) -> np.ndarray:
    """Float64 array from numbers or strings with thousands separators and ``%`` (-> fraction).

    Empty cells, ``-``, ``--``, ``nan`` and ``None`` become NaN; anything else unreadable raises.
    ``percent=False`` (prices, volumes) rejects ``"3.5%"``: a percentage there means the wrong column.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[i] = np.nan
            continue
        s = str(v).strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
        if s.lower() in ("", "-", "--", "nan", "none", "null"):
            out[i] = np.nan
            continue
        scale = 1.0
        if s.endswith("%"):
            if not percent:
                raise DataError(f"{where}: column {column!r} row {i + 1} has {v!r}, a percentage; "
                                f"{column} must be a plain number (is this the change-% column?)")
            s, scale = s[:-1], 0.01
        if not _NUM_RE.match(s):
            raise DataError(f"{where}: column {column!r} row {i + 1} has {v!r}, not a number")
        out[i] = float(s) * scale
    return out


def parse_dates(values: pd.Series, *, where: str) -> pd.Series:
    """Dates from ``YYYY-MM-DD``, ``YYYYMMDD`` (str or int), ``YYYY/MM/DD`` or datetimes."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        d = pd.to_datetime(values)
    else:
        s = values.astype(str).str.strip()
        eight = s.str.fullmatch(r"\d{8}")
        d = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        if eight.any():
            d[eight] = pd.to_datetime(s[eight], format="%Y%m%d", errors="coerce")
        if (~eight).any():
            d[~eight] = pd.to_datetime(s[~eight].str.replace("/", "-"), format="ISO8601", errors="coerce")
        bad = d.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{where}: unreadable date {values.iloc[i]!r} on row {i + 1}")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    return d.dt.normalize().astype("datetime64[ns]")


def read_raw(path: str | os.PathLike, *, encoding: str | None = None) -> pd.DataFrame:
    """The file as a DataFrame of strings (CSV) or typed columns (parquet), encoding detected."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"no such file {str(p)!r}")
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds
            raise DataError(f"{p}: not a readable parquet file ({exc})") from None
        if df.index.name is not None or not isinstance(df.index, pd.RangeIndex):
            df = df.reset_index()
        return df
    if suffix not in (".csv", ".txt"):
        raise DataError(f"{p}: unsupported file type {suffix!r}; use .csv or .parquet")
    data = p.read_bytes()
    for enc in ([encoding] if encoding else ENCODINGS):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except pd.errors.ParserError as exc:
            raise DataError(f"{p}: not a readable CSV ({exc})") from None
        except pd.errors.EmptyDataError:
            raise DataError(f"{p}: the file is empty") from None
    raise DataError(f"{p}: cannot decode the text as {', '.join([encoding] if encoding else ENCODINGS)}")


def read_file(path: str | os.PathLike, symbol: str | None = None, *, currency: str | None = None,
              volume_unit: str = "shares", encoding: str | None = None) -> pd.DataFrame:
    """Read one file into a validated long frame (schema of :mod:`aibt.data.sources`).

    Parameters
    ----------
    path : CSV or parquet file.
    symbol : str or None
        The symbol of a one-symbol file (default: the file name's stem). Ignored when the file has
        a symbol column.
    currency : str or None
        Local currency (default: a ``currency`` column, else HKD for ``.HK`` symbols, else CNY).
    volume_unit : ``"shares"`` or ``"lots"``
        ``"lots"`` multiplies volume by 100 (akshare/Eastmoney exports count 手).
    encoding : force one text encoding instead of trying UTF-8 (BOM or not), GBK, GB18030.
    """
    if volume_unit not in ("shares", "lots"):
        raise DataError(f"volume_unit must be 'shares' or 'lots', got {volume_unit!r}")
    p = Path(path)
    where = str(p)
    df = normalise_columns(read_raw(p, encoding=encoding), where=where)
    if df.empty:
        raise DataError(f"{where}: no rows")
    out = pd.DataFrame({"date": parse_dates(df["date"], where=where).to_numpy()})
    if "symbol" in df.columns:
        out["symbol"] = df["symbol"].astype(str).str.strip().to_numpy()
    else:
        out["symbol"] = str(symbol) if symbol else p.stem
    for c in ("open", "high", "low", "close", "volume", "amount", "adj_factor"):
        out[c] = parse_numbers(df[c], column=c, where=where, percent=(c == "adj_factor")) \
            if c in df.columns else np.nan
    if volume_unit == "lots":
        out["volume"] = out["volume"] * 100.0
    notes = []
    if "adj_factor" not in df.columns:
        out["adj_factor"] = 1.0
        notes.append(f"{p.name}: no adj_factor column; prices taken as given, adj_factor 1.0")
    if "currency" in df.columns:
        out["currency"] = df["currency"].astype(str).to_numpy()
    else:
        out["currency"] = out["symbol"].map(lambda s: currency or ("HKD" if s.upper().endswith(".HK") else "CNY"))
    try:
        valid = validate_long(out, source=f"file {p.name}")
    except SourceError as exc:
        raise DataError(str(exc)) from None
    check_sessions(valid, where=where)
    for n in notes:
        add_note(valid, n)
    return valid


def check_sessions(frame: pd.DataFrame, *, where: str) -> None:
    """CNY (A-share) bars must fall on XSHG sessions; a weekend or exchange-holiday date is an error.

    Dates outside the installed calendar's range are not checked; other currencies (HKD) trade on
    their own calendars and are not checked.
    """
    cny = frame["currency"].to_numpy() == "CNY"
    if not cny.any():
        return
    from aibt.data.calendar import calendar_bounds, xshg_sessions

    lo, hi = calendar_bounds()
    d = frame["date"]
    inside = cny & (d >= lo).to_numpy() & (d <= hi).to_numpy()
    if not inside.any():
        return
    sessions = xshg_sessions(d[inside].min(), d[inside].max())
    off = np.flatnonzero(inside & ~d.isin(sessions).to_numpy())
    if off.size:
        i = int(off[0])
        day = d.iloc[i]
        raise DataError(f"{where}: {frame['symbol'].iloc[i]} has a bar on {day.date()} ({day.day_name()}), "
                        "which is not an XSHG trading session (weekend or exchange holiday)")


class FilesSource:
    """A source over local files: ``<root>/<symbol>.csv`` / ``.parquet``, or an explicit mapping.

    Parameters
    ----------
    root : directory or None
    paths : mapping symbol -> file, consulted before ``root``.
    volume_unit, currency, encoding : passed to :func:`read_file`.
    """

    name = "files"

    def __init__(self, root: str | os.PathLike | None = None, paths: Mapping[str, str | os.PathLike] | None = None,
                 *, volume_unit: str = "shares", currency: str | None = None, encoding: str | None = None) -> None:
        self.root = Path(root) if root is not None else None
        self.paths = {str(k): Path(v) for k, v in (paths or {}).items()}
        self.volume_unit, self.currency_, self.encoding = volume_unit, currency, encoding

    def path_for(self, symbol: str) -> Path:
        if symbol in self.paths:
            return self.paths[symbol]
        if self.root is not None:
            for ext in (".parquet", ".csv"):
                cand = self.root / f"{symbol}{ext}"
                if cand.exists():
                    return cand
            known = sorted({f.stem for f in self.root.glob("*") if f.suffix in (".csv", ".parquet")})
            hint = closest(symbol, known)
            raise DataError(f"no file for {symbol!r} in {self.root}" + (f" (closest: {hint!r})" if hint else ""))
        raise DataError(f"no file for {symbol!r}: give FilesSource a root directory or a paths mapping")

    def fetch(self, symbol: str, start, end, adjust: str = "qfq") -> pd.DataFrame:
        """Rows of ``symbol`` between ``start`` and ``end``; files are used as they are adjusted."""
        check_adjust(adjust)
        frame = read_file(self.path_for(symbol), symbol, currency=self.currency_,
                          volume_unit=self.volume_unit, encoding=self.encoding)
        frame = frame[frame["symbol"] == str(symbol)].reset_index(drop=True) if frame["symbol"].nunique() > 1 \
            else frame.assign(symbol=str(symbol))
        out = clip_dates(frame, to_timestamp(start, "start"), to_timestamp(end, "end"))
        if out.empty:
            raise DataError(f"file for {symbol} has no rows between {to_timestamp(start).date()} and "
                            f"{to_timestamp(end).date()}")
        return out
