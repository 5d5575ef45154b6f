"""Deterministic, atomic writers for result files (CSV, Markdown, JSON, raw bytes).

Every writer renders the whole file in memory first, then writes it to a temporary file next to the
target and moves it into place with :func:`os.replace`: a failure while formatting or writing leaves
the target untouched and no temporary file behind. Output is a pure function of the input: one
float format (:func:`format_float`), ``"\\n"`` line endings, UTF-8, JSON keys sorted, no timestamps;
running twice on the same inputs writes byte-identical files.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import re
import os
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from aibt.errors import AibtError, fault_hint
from aibt.files import fsync_dir

__all__ = [
    "FLOAT_DIGITS",
    "format_float",
    "format_cell",
    "to_jsonable",
    "table_rows",
    "write_bytes",
    "write_text",
    "write_csv",
    "write_markdown",
    "write_json",
    "csv_text",
    "markdown_text",
    "json_text",
]

#: Significant digits kept in JSON (enough for returns and prices, stable across BLAS/SIMD noise).
FLOAT_DIGITS = 10
#: Significant digits of floats in CSV files: full double precision (DBL_DIG), so 0.1 + 0.2 is 0.3.
CSV_DIGITS = 15


def format_float(value: float, digits: int = CSV_DIGITS) -> str:
    """Format a float with ``digits`` significant digits, the one float format of all result files.

    Parameters
    ----------
    value : float
        Any real number; NaN gives ``""``, infinities ``"inf"`` / ``"-inf"``.
    digits : int, default :data:`CSV_DIGITS`
        Significant digits (``"%.{digits}g"``), so ``0.1 + 0.2`` is written ``0.3``.

    Returns
    -------
    str
        The shortest text of the rounded value; ``-0`` is written ``0``.
    """
    x = float(value)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{digits}g}"
    return "0" if text == "-0" else text


def _round_float(value: float) -> float | None:
    """Round ``value`` to :data:`FLOAT_DIGITS` significant digits; None for NaN/inf (JSON has neither)."""
    x = float(value)
    if not math.isfinite(x):
        return None
    r = float(f"{x:.{FLOAT_DIGITS}g}")
    return 0.0 if r == 0 else r


def _format_timestamp(ts: pd.Timestamp | _dt.datetime) -> str:
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None and ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.isoformat()


def format_cell(value: Any) -> str:
    """Text of one table cell, the same in CSV, Markdown and the HTML report.

    Parameters
    ----------
    value : scalar
        None/NaN/NaT/NA give ``""``; bools ``True``/``False``; integers as digits; floats via
        :func:`format_float`; timestamps as ``YYYY-MM-DD`` at midnight, ISO 8601 otherwise; dates ISO;
        str, Path and Decimal as their text.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        For any other type: its text would not be reproducible (e.g. an object's memory address).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp, _dt.datetime, np.datetime64)):
        ts = pd.Timestamp(value)
        return "" if ts is pd.NaT else _format_timestamp(ts)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, np.timedelta64, _dt.timedelta)):
        td = pd.Timedelta(value)
        return "" if td is pd.NaT else td.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(
        f"cannot write a table cell of type {type(value).__name__} ({value!r:.60}); "
        "convert the column to str, number or date first"
    )


def to_jsonable(obj: Any, _where: str = "$") -> Any:
    """Convert ``obj`` to plain JSON types (dict with str keys, list, str, int, float, bool, None).

    Floats are rounded to :data:`FLOAT_DIGITS` significant digits and NaN/inf become None; numpy
    scalars and arrays, pandas Series (-> dict by index text), DataFrames (-> list of records),
    timestamps, dates and paths are converted; tuples and sets become lists (sets sorted).

    Parameters
    ----------
    obj : object
        The value to convert; it is not modified.

    Returns
    -------
    object
        A new structure of plain JSON types.

    Raises
    ------
    TypeError
        Naming the location (``$['config']['fees'][2]``) of a value that has no JSON form, or of
        two keys that collide once turned into text.
    """
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _round_float(obj)
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for key, val in obj.items():
            skey = key if isinstance(key, str) else format_cell(key) if _is_scalar(key) else None
            if skey is None:
                raise TypeError(f"JSON key at {_where} has type {type(key).__name__}; use str keys")
            if skey in out:
                raise TypeError(f"two keys at {_where} both become {skey!r} in JSON")
            out[skey] = to_jsonable(val, f"{_where}[{skey!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, f"{_where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        items = [to_jsonable(v, f"{_where}{{}}") for v in obj]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v, f"{_where}[{i}]") for i, v in enumerate(obj.tolist())]
    if isinstance(obj, pd.Series):
        return to_jsonable({format_cell(k): v for k, v in obj.items()}, _where)
    if isinstance(obj, pd.DataFrame):
        return to_jsonable(obj.reset_index().to_dict(orient="records"), _where)
    if obj is pd.NA or obj is pd.NaT:
        return None
    if _is_scalar(obj):
        try:
            return format_cell(obj)
        except TypeError:
            pass
    raise TypeError(f"value at {_where} of type {type(obj).__name__} has no JSON form")


def _is_scalar(obj: Any) -> bool:
    return isinstance(
        obj,
        (str, int, float, np.generic, pd.Timestamp, pd.Timedelta, pd.Period, _dt.date,
         _dt.timedelta, PurePath, Decimal),
    )


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder + :func:`os.replace`).

    Parameters
    ----------
    data : bytes
        The complete file content.
    path : str or path-like
        Target file; missing parent folders are created.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    AibtError
        If the folder cannot be created or the file cannot be written (message names the path);
        the target is then unchanged and no temporary file is left.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"write_bytes needs bytes, got {type(data).__name__}")
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AibtError(f"cannot create folder {target.parent}: {exc.strerror or exc}; {fault_hint(exc)}") from exc
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise AibtError(f"cannot write {target}: {exc.strerror or exc}; {fault_hint(exc)}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise AibtError(f"cannot write {target}: {exc.strerror or exc}; {fault_hint(exc)}") from exc
        raise
    fsync_dir(target.parent)
    return target


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` atomically as UTF-8 with ``"\\n"`` line endings (any ``\\r\\n`` is normalised)."""
    return write_bytes(text.replace("\r\n", "\n").encode("utf-8"), path)


def _as_frame(df: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(df, pd.Series):
        return df.to_frame(name=df.name if df.name is not None else "value")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame or Series, got {type(df).__name__}")
    return df


def _label(value: Any) -> str:
    if isinstance(value, tuple):
        return "/".join(format_cell(v) for v in value)
    return format_cell(value)


def _show_index(frame: pd.DataFrame, index: bool | None) -> bool:
    if index is not None:
        return index
    idx = frame.index
    default = isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None
    return not default


def table_rows(
    df: pd.DataFrame | pd.Series,
    index: bool | None = None,
    formatter: Callable[[Any], str] = format_cell,
) -> tuple[list[str], list[list[str]], list[bool]]:
    """A table as text: header, formatted body rows and a numeric flag per column (index levels first).

    Parameters
    ----------
    df : DataFrame or Series
    index : bool, optional
        As in :func:`write_csv`.
    formatter : callable, default :func:`format_cell`
        Cell value -> text.

    Returns
    -------
    header : list of str
    body : list of list of str
    numeric : list of bool
        True for columns of a numeric (not bool) dtype, to right-align them.
    """
    frame = _as_frame(df)
    show = _show_index(frame, index)
    header: list[str] = []
    numeric: list[bool] = []
    columns: list[Iterable[Any]] = []
    if show:
        idx = frame.index
        for level in range(idx.nlevels):
            values = idx.get_level_values(level)
            name = values.name if values.name is not None else ("index" if idx.nlevels == 1 else f"level_{level}")
            header.append(_label(name))
            numeric.append(pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype))
            columns.append(values.tolist())
    for pos, col in enumerate(frame.columns):
        series = frame.iloc[:, pos]
        header.append(_label(col))
        numeric.append(pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype))
        columns.append(series.tolist())
    body = [[formatter(v) for v in row] for row in zip(*columns)] if columns else []
    if not columns:
        body = [[] for _ in range(len(frame))]
    return header, body, numeric


def csv_text(df: pd.DataFrame | pd.Series, *, index: bool | None = None) -> str:
    """The CSV text :func:`write_csv` writes (comma separated, minimal quoting, ``"\\n"`` line ends)."""
    header, body, _ = table_rows(df, index)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(body)
    return buf.getvalue()


def write_csv(df: pd.DataFrame | pd.Series, path: str | os.PathLike[str], *, index: bool | None = None) -> Path:
    """Write a table as CSV, deterministically and atomically.

    Parameters
    ----------
    df : DataFrame or Series
        The table; a Series is written as one column.
    path : str or path-like
        Target file.
    index : bool, optional
        Write the index as leading column(s). Default: yes, unless it is an unnamed 0..n-1 RangeIndex.
        An unnamed index is headed ``index``; dates at midnight are written ``YYYY-MM-DD``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If a cell has no reproducible text (see :func:`format_cell`); nothing is written.
    """
    return write_text(csv_text(df, index=index), path)


def _width(text: str) -> int:
    """Display width: East Asian wide/full-width characters count 2 (Chinese security names)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


# --------------------------------------------------------------------------- display (Markdown, HTML)
#: Display kinds of float columns: percent with 2 decimals, ratio with 2 or 3 decimals, money with
#: thousands separators and no decimals, or a plain number with 4 significant digits.
DISPLAY_KINDS = ("pct", "pct3", "ratio", "ratio3", "money", "years", "num")

_RATIO3 = re.compile(r"(^|_)(correlation|beta|r_squared|score|rank)(_|$)")
_RATIO = re.compile(r"(sharpe|sortino|calmar|information_ratio|omega|tail_ratio|recovery_factor|skew|kurtosis"
                    r"|turnover|capture)")
_MONEY = re.compile(r"(_value$|^value$|commission|stamp|^transfer$|^other$|^slippage$|fund_fees|total_costs|_cap$"
                    r"|amount|^cash$|^tax$|dividend)")
_PCT = re.compile(r"(return|cagr|volatility|drawdown|weight|tracking_error|tracking_difference|probability|win_rate"
                  r"|alpha|depth|fee|momentum|annualised|annual$|deviation|var_|cvar|ulcer|exposure|in_market|share|change"
                  r"|^[0-9]+$|^total$|^min$|^max$|^median$|^mean$|^p[0-9]+$)")


def display_kind(column: Any) -> str:
    """How a float column is shown to people, from its name (see :data:`DISPLAY_KINDS`).

    Ratios (Sharpe, Sortino, Calmar, information ratio, turnover multiples) get 2 decimals;
    correlation, beta, R², scores and ranks 3; returns, weights, volatilities, drawdowns, fees,
    probabilities and month columns (``1``..``12``, ``total``) are percents with 2 decimals; money
    (values, costs, caps, amounts) has thousands separators; anything else 4 significant digits.
    """
    name = str(column).strip().lower()
    if name == "mean_daily_return":
        return "pct3"
    if name == "years":
        return "years"
    if _RATIO3.search(name):
        return "ratio3"
    if _RATIO.search(name):
        return "ratio"
    if _MONEY.search(name):
        return "money"
    if _PCT.search(name):
        return "pct"
    return "num"


#: Below this magnitude a float is floating-point noise around an exact zero and shown as ``0``.
ZERO_NOISE = 1e-12


def format_display(value: Any, kind: str = "num") -> str:
    """Text of a table cell for people (Markdown tables and the HTML report).

    Floats by ``kind`` (:data:`DISPLAY_KINDS`): ``pct`` ``12.35%``, ``pct3`` ``0.123%``, ``ratio``
    ``1.46``, ``ratio3`` ``0.981``, ``money`` ``10,309,130,810``, ``years`` ``6.40``, ``num`` 4
    significant digits without e-notation (``0.01235``, ``1,235``; a whole number as an integer). A zero, or noise below
    :data:`ZERO_NOISE` (``-2.2e-16``), is ``0``; NaN is empty. Other values as :func:`format_cell`.
    """
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        x = float(value)
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if abs(x) < ZERO_NOISE:
            return "0"
        if kind == "pct":
            return f"{x * 100:,.2f}%"
        if kind == "pct3":
            return f"{x * 100:,.3f}%"
        if kind == "ratio":
            return f"{x:,.2f}"
        if kind == "ratio3":
            return f"{x:,.3f}"
        if kind == "money":
            return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"
        if kind == "years":
            return f"{x:.2f}"
        if x == int(x) and abs(x) < 1e15:  # a count stored as float (NaN elsewhere in its column)
            return f"{x:,.0f}"
        decimals = max(0, min(8, 4 - 1 - int(math.floor(math.log10(abs(x))))))
        text = f"{x:,.{decimals}f}"
        return "0" if text.lstrip("-").strip("0.,") == "" else text
    return format_cell(value)


def display_rows(df: pd.DataFrame | pd.Series, index: bool | None = None,
                 formats: dict[str, str] | None = None) -> tuple[list[str], list[list[str]], list[bool]]:
    """:func:`table_rows` with every float column formatted for people by its :func:`display_kind`
    (``formats``, or else the frame's ``attrs["formats"]``, overrides the kind of named columns)."""
    header, _, numeric = table_rows(df, index)
    frame = _as_frame(df)
    if formats is None:
        formats = frame.attrs.get("formats")
    show = _show_index(frame, index)
    values: list[list[Any]] = []
    if show:
        for level in range(frame.index.nlevels):
            values.append(frame.index.get_level_values(level).tolist())
    for pos in range(frame.shape[1]):
        values.append(frame.iloc[:, pos].tolist())
    kinds = [(formats or {}).get(h, display_kind(h)) for h in header]
    body = [[format_display(v, k) for v, k in zip(row, kinds)] for row in zip(*values)] if values else \
        [[] for _ in range(len(frame))]
    return header, body, numeric


def markdown_text(df: pd.DataFrame | pd.Series, *, index: bool | None = None,
                  formats: dict[str, str] | None = None) -> str:
    """The GitHub Markdown table :func:`write_markdown` writes: numeric columns right-aligned, padded,
    floats formatted for people (:func:`display_rows`: fixed-digit percents and ratios, thousands
    separators, noise as 0)."""
    header, body, numeric = display_rows(df, index, formats)
    if not header:
        raise AibtError("cannot write a Markdown table without columns")
    header = [_md_escape(h) for h in header]
    body = [[_md_escape(c) for c in row] for row in body]
    widths = [max([3, _width(h)] + [_width(row[j]) for row in body]) for j, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = [
            " " * (w - _width(c)) + c if num else c + " " * (w - _width(c))
            for c, w, num in zip(cells, widths, numeric)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join("-" * (w - 1) + ":" if num else "-" * w for w, num in zip(widths, numeric)) + " |"
    return "\n".join([line(header), rule] + [line(row) for row in body]) + "\n"


def write_markdown(df: pd.DataFrame | pd.Series, path: str | os.PathLike[str], *, index: bool | None = None,
                   formats: dict[str, str] | None = None) -> Path:
    """Write a table as a GitHub Markdown table, deterministically and atomically.

    Parameters
    ----------
    df : DataFrame or Series
        The table; cells are formatted as in :func:`write_csv`; ``|`` is escaped, newlines become ``<br>``.
    path : str or path-like
        Target file.
    index : bool, optional
        As in :func:`write_csv`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_text(markdown_text(df, index=index, formats=formats), path)


def json_text(obj: Any, *, indent: int = 2) -> str:
    """The JSON text :func:`write_json` writes: keys sorted, floats rounded, UTF-8 kept, trailing newline."""
    return json.dumps(to_jsonable(obj), sort_keys=True, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(obj: Any, path: str | os.PathLike[str], *, indent: int = 2) -> Path:
    """Write ``obj`` as JSON, deterministically and atomically.

    Parameters
    ----------
    obj : object
        Anything :func:`to_jsonable` accepts; NaN and infinities are written as ``null``.
    path : str or path-like
        Target file.
    indent : int, default 2

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        Naming the location of a value with no JSON form; nothing is written.
    """
    return write_text(json_text(obj, indent=indent), path)
