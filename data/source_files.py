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
from aibt.errors import DataError, SourceError, one_line, short

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


#: A number with thousands separators must group by three: ``1,234,567.5``; anything else with a
#: comma (``10,5``, ``1.234,56``, ``12,34``) is a decimal comma or a typo, never guessed.
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?$")
#: Prices outside this range are a unit or format error (and overflow the return arithmetic).
PRICE_RANGE = (1e-6, 1e12)


def parse_numbers(values: pd.Series, *, column: str, where: str, percent: bool = True) -> np.ndarray:
    """Float64 array from numbers or strings with thousands separators and ``%`` (-> fraction).

    Empty cells, ``-``, ``--``, ``nan`` and ``None`` become NaN; anything else unreadable raises:
    a decimal comma (``10,5``: European format), separators not grouping by three, a value that
    overflows float64 (``1e400``), infinities.
    ``percent=False`` (prices, volumes) rejects ``"3.5%"``: a percentage there means the wrong column.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        out = values.to_numpy(dtype=np.float64, na_value=np.nan)
        inf = np.flatnonzero(np.isinf(out))
        if inf.size:
            i = int(inf[0])
            raise DataError(f"{where}: column {column!r} row {i + 1} is infinite; give a finite number")
        return out
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[i] = np.nan
            continue
        s = str(v).strip().replace("\u00a0", "").replace(" ", "")
        if s.lower() in ("", "-", "--", "nan", "none", "null"):
            out[i] = np.nan
            continue
        scale = 1.0
        if s.endswith("%"):
            if not percent:
                raise DataError(f"{where}: column {column!r} row {i + 1} has {short(v)}, a percentage; "
                                f"{column} must be a plain number (is this the change-% column?)")
            s, scale = s[:-1], 0.01
        if "," in s:
            if not _THOUSANDS_RE.match(s):
                raise DataError(f"{where}: column {column!r} row {i + 1} has {short(v)}: a comma that is not a "
                                "thousands separator (a European decimal comma?); write numbers with '.' as "
                                "the decimal point, e.g. 10.5")
            s = s.replace(",", "")
        if not _NUM_RE.match(s):
            raise DataError(f"{where}: column {column!r} row {i + 1} has {short(v)}, not a number")
        x = float(s) * scale
        if not np.isfinite(x):
            raise DataError(f"{where}: column {column!r} row {i + 1} has {short(v)}, which is too large for a "
                            "64-bit float (overflow); check the unit or the format")
        out[i] = x
    return out


def check_price_range(values: np.ndarray, dates, *, column: str, where: str, line_offset: int = 2) -> None:
    """Finite positive prices must lie within :data:`PRICE_RANGE`; outside it is a unit/format error."""
    lo, hi = PRICE_RANGE
    v = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(np.isfinite(v) & (v > 0) & ((v < lo) | (v > hi)))
    if bad.size:
        i = int(bad[0])
        day = pd.Timestamp(dates[i]).date() if dates is not None else "?"
        raise DataError(f"{where}: {column} {v[i]:.6g} on {day} (line {i + line_offset}) is outside the "
                        f"plausible range {lo:g}..{hi:g}; check the unit or the number format")


_TZ_SUFFIX = r"(?<=\d)(Z|[+-]\d{2}:?\d{2})$"


def parse_dates(values: pd.Series, *, where: str) -> pd.Series:
    """Dates from ``YYYY-MM-DD``, ``YYYYMMDD`` (str or int), ``YYYY/MM/DD`` or datetimes.

    A timestamp with a UTC offset (``2024-01-02T00:00:00+08:00``) counts for its local calendar day
    (the offset is dropped, mixed offsets included). Years outside 1990..2100 are errors: they are
    typos or numbers read as dates.
    """
    from aibt.files import FIRST_DATE, LAST_DATE

    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        d = pd.to_datetime(values)
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_localize(None)
    else:
        s = values.astype(str).str.strip().str.replace(_TZ_SUFFIX, "", regex=True)
        eight = s.str.fullmatch(r"\d{8}")
        shaped = eight | s.str.fullmatch(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?")
        year = pd.to_numeric(s.str.slice(0, 4).where(shaped), errors="coerce")
        off = np.flatnonzero(((year < int(FIRST_DATE[:4])) | (year > int(LAST_DATE[:4]))).to_numpy())
        if off.size:  # before parsing: pandas cannot even hold years such as 9999 or 1677
            i = int(off[0])
            raise DataError(f"{where}: date {short(values.iloc[i])} on row {i + 1} is outside "
                            f"{FIRST_DATE}..{LAST_DATE}")
        d = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        if eight.any():
            d[eight] = pd.to_datetime(s[eight], format="%Y%m%d", errors="coerce")
        rest = shaped & ~eight
        if rest.any():
            d[rest] = pd.to_datetime(s[rest].str.replace("/", "-"), format="ISO8601", errors="coerce")
        bad = d.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{where}: unreadable date {short(values.iloc[i])} on row {i + 1} (use YYYY-MM-DD)")
    lo, hi = pd.Timestamp(FIRST_DATE), pd.Timestamp(LAST_DATE)
    out = d.dt.normalize().astype("datetime64[ns]")
    off = np.flatnonzero(((out < lo) | (out > hi)).to_numpy())
    if off.size:
        i = int(off[0])
        raise DataError(f"{where}: date {short(values.iloc[i])} on row {i + 1} is outside {FIRST_DATE}..{LAST_DATE}")
    return out


def read_raw(path: str | os.PathLike, *, encoding: str | None = None) -> pd.DataFrame:
    """The file as a DataFrame of strings (CSV) or typed columns (parquet), encoding detected."""
    p = Path(path)
    from aibt.files import check_input

    check_input(p, "input file", kind="data")
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(p)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds
            raise DataError(f"{p}: not a readable parquet file ({one_line(str(exc), 200)})") from None
        if df.index.name is not None or not isinstance(df.index, pd.RangeIndex):
            df = df.reset_index()
        return df
    if suffix not in (".csv", ".txt"):
        raise DataError(f"{p}: unsupported file type {suffix!r}; use .csv or .parquet")
    from aibt.files import read_input_bytes

    data = read_input_bytes(p, "input file", kind="data")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{p}: cannot decode the text as {', '.join([encoding] if encoding else ENCODINGS)} "
                        "(it is UTF-16); save it as UTF-8")
    for enc in ([encoding] if encoding else ENCODINGS):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        _check_separator(text, p)
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except pd.errors.ParserError as exc:
            raise DataError(f"{p}: not a readable CSV ({one_line(str(exc), 200)})") from None
        except pd.errors.EmptyDataError:
            raise DataError(f"{p}: the file is empty") from None
    raise DataError(f"{p}: cannot decode the text as {', '.join([encoding] if encoding else ENCODINGS)}")


def _check_separator(text: str, p: Path) -> None:
    """Refuse a file whose header is separated by ``;``, tab or ``|`` (aibt reads comma-separated)."""
    head = text.lstrip("\ufeff").split("\n", 1)[0]
    if "," in head:
        return
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if sep in head:
            raise DataError(f"{p}: the header {short(head.strip(), 60)} is separated by {name}; aibt reads "
                            "comma-separated files with '.' as the decimal point: save it as CSV with commas")


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
    for c in ("open", "high", "low", "close"):
        check_price_range(out[c].to_numpy(), out["date"].to_numpy(), column=c, where=where)
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


#: Column names of a price/NAV series (``aibt stats --csv``, ``aibt compare FILE.csv``).
SERIES_DATE_NAMES = ("date", "日期", "交易日期", "净值日期")
SERIES_CLOSE_NAMES = ("close", "收盘", "收盘价")
SERIES_NAV_NAMES = ("nav", "单位净值", "净值")


def read_price_series(path: str | os.PathLike, *, sessions: bool = True) -> pd.Series:
    """A user's price or NAV series: a ``date`` column plus ``close`` (preferred) or ``nav``.

    The same reader as :func:`read_file` (encodings, thousands separators, decimal commas refused,
    dates with offsets, overflow, plausible price range, XSHG sessions only), for a single series.
    Other columns are ignored.

    Returns
    -------
    Series named after the file stem, float64, on a DatetimeIndex, sorted with unique dates.

    Raises
    ------
    DataError
        Naming the file, and the line and date of a bad value.
    """
    import difflib

    src = os.fspath(path)
    frame = read_raw(src)
    if frame.empty:
        raise DataError(f"{src}: no data rows")
    keys = {str(c).strip().lower(): c for c in frame.columns}

    def find(names):
        return next((keys[n] for n in names if n in keys), None)

    date_col = find(SERIES_DATE_NAMES)
    value_col = find(SERIES_CLOSE_NAMES) or find(SERIES_NAV_NAMES)
    missing = [w for w, c in (("date", date_col), ("close", value_col)) if c is None]
    if missing:
        hints = []
        for want in missing:
            match = difflib.get_close_matches(want, list(keys), n=1, cutoff=0.5)
            if not match and want == "close":
                match = difflib.get_close_matches("nav", list(keys), n=1, cutoff=0.5)
            if match:
                hints.append(f"did you mean {keys[match[0]]!r} for {want!r}?")
        need = " and ".join("'date'" if m == "date" else "'close' (or 'nav')" for m in missing)
        cols = [str(c)[:40] for c in list(frame.columns)[:20]]
        raise DataError(f"{src}: missing column {need}; the file has {cols}" + (f"; {' '.join(hints)}" if hints else ""))
    dates = parse_dates(frame[date_col], where=src)
    raw = frame[value_col]
    if not pd.api.types.is_numeric_dtype(raw.dtype):
        pct = np.flatnonzero(raw.astype(str).str.strip().str.endswith("%").to_numpy())
        if pct.size:
            i = int(pct[0])
            raise DataError(f"{src}: column {str(value_col)!r} on {dates.iloc[i].date()} (line {i + 2}) has "
                            f"{short(raw.iloc[i])}, a percentage, not a price; give the close or NAV itself "
                            "(is this a change-% column?)")
    values = parse_numbers(raw, column=str(value_col), where=src, percent=False)
    if len(values) < 2:
        raise DataError(f"{src}: need at least 2 prices, got {len(values)}")
    d = dates.to_numpy()
    for i in range(len(values)):
        v = values[i]
        if not np.isfinite(v) or v <= 0:
            kind = "missing (NaN)" if np.isnan(v) else ("zero" if v == 0 else f"negative ({v:g})")
            raise DataError(f"{src}: price is {kind} on {pd.Timestamp(d[i]).date()} (line {i + 2})")
    check_price_range(values, d, column="price", where=src)
    back = np.flatnonzero(np.diff(d) < np.timedelta64(0))
    if back.size:
        i = int(back[0]) + 1
        raise DataError(f"{src}: dates are not sorted: {pd.Timestamp(d[i]).date()} comes after "
                        f"{pd.Timestamp(d[i - 1]).date()} (line {i + 2})")
    dup = np.flatnonzero(pd.Index(d).duplicated())
    if dup.size:
        i = int(dup[0])
        raise DataError(f"{src}: duplicate date {pd.Timestamp(d[i]).date()} (line {i + 2})")
    stem = os.path.splitext(os.path.basename(src))[0]
    series = pd.Series(values, index=pd.DatetimeIndex(d), name=stem)
    if sessions:
        check_stray_dates(series.index, where=src)
    return series


#: A daily exchange series with weekend dates has at most this share of them (a calendar-day series has 2/7).
STRAY_SHARE = 0.2


def check_stray_dates(dates: pd.DatetimeIndex, *, where: str) -> None:
    """A few weekend or exchange-holiday rows in a daily exchange series are an error.

    A price series may be daily on the XSHG or XHKG calendar, on every calendar day (NAVs, crypto),
    weekly or monthly (the annualisation infers which from the dates). What is refused is the
    mix that silently skews every statistic: a daily series whose dates are exchange sessions but for
    a few weekend days, or weekdays on which neither Shanghai nor Hong Kong traded. ``read_file``
    refuses the same rows for A-share bars.
    """
    if len(dates) < 3:
        return
    gaps = np.diff(dates.asi8) / 86_400e9
    if np.median(gaps) > 4:  # weekly, monthly, quarterly ...: not a daily series
        return
    weekend = dates.day_of_week >= 5
    if weekend.any():
        if weekend.mean() <= STRAY_SHARE:
            i = int(np.flatnonzero(weekend)[0])
            raise DataError(f"{where}: {dates[i].date()} ({dates[i].day_name()}, line {i + 2}) is a weekend day in a "
                            "series of trading days; remove the row (or give a value for every calendar day)")
        return  # a calendar-day series
    from aibt.data.calendar import calendar_bounds, xshg_sessions

    lo, hi = calendar_bounds()
    inside = (dates >= lo) & (dates <= hi)
    if not inside.any():
        return
    off = inside & ~dates.isin(xshg_sessions(dates[inside].min(), dates[inside].max()))
    if not off.any():
        return
    try:
        import exchange_calendars as xcals

        hk = pd.DatetimeIndex(xcals.get_calendar("XHKG").sessions_in_range(dates[inside].min(), dates[inside].max()))
        hk = hk.tz_localize(None) if hk.tz is not None else hk
        off &= ~dates.isin(hk)
    except Exception:  # noqa: BLE001 - no Hong Kong calendar for these dates: judge by Shanghai alone
        pass
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise DataError(f"{where}: {dates[i].date()} ({dates[i].day_name()}, line {i + 2}) is not an XSHG trading "
                        "session (an exchange holiday); remove the row")
