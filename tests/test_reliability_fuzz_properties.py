"""Issue 11, properties: malformed CSV, TOML and YAML never escape as anything but a one-line user error.

Hypothesis writes files from pieces real files are made of (headers in English and Chinese, numbers
with thousands separators, decimal commas, percents, exponents, dates in many shapes and with
offsets, separators, quotes, BOMs and encodings) and mutates valid configs. For each file the readers
either accept it or raise :class:`~aibt.errors.AibtError`; a number they accept is the number
written (no guessing: thousands separators group by three, and nothing else with a comma passes).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aibt.data.source_files import parse_numbers, read_file, read_price_series
from aibt.errors import AibtError
from aibt.strategies.sweep_config import load_config
from aibt.universes.registry import load_universe_file

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])

numbers = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.4f}"),
    st.integers(0, 10**9).map(lambda n: f"{n:,}"),                       # 1,234,567
    st.integers(0, 999).map(lambda n: f"{n},{np.random.default_rng(n).integers(0, 99)}"),  # 10,5
    st.sampled_from(["1.234,56", "12,34", "1,2345", "10,5", "1e400", "-1e400", "inf", "-", "--", "nan", "",
                     "0x1A", "1_000", "３.５", "1.5%", "12.", ".5", "+3", "1e-300", "1e300", " 7 ", "\u00a08"]),
    st.text(alphabet="0123456789.,-+eE% ", min_size=1, max_size=8),
)
dates = st.one_of(
    st.sampled_from(["2024-01-02", "2024-01-03", "20240104", "2024/01/05", "2024-01-08T00:00:00+08:00",
                     "2024-01-09 00:00:00Z", "2024-01-06", "9999-01-01", "1677-01-01", "-5", "2024-13-01",
                     "2024-02-30", "1704153600", "", "Jan 2 2024", "2024-1-2"]),
    st.text(alphabet="0123456789-/:TZ+ ", min_size=0, max_size=12),
)
headers = st.sampled_from(["date,close", "日期,收盘", "date,nav", "Date,Close", "date,clsoe", "date;close",
                           "date\tclose", "date,close,volume", "trade_date,close", "date,close,close", ""])
encodings = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"])


@st.composite
def csv_files(draw):
    head = draw(headers)
    rows = draw(st.lists(st.tuples(dates, numbers), min_size=0, max_size=8))
    quote = draw(st.booleans())
    lines = [head] + [f'{d},"{v}"' if quote else f"{d},{v}" for d, v in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    enc = draw(encodings)
    try:
        return text.encode(enc)
    except UnicodeEncodeError:
        return text.encode("utf-8")


@SETTINGS
@given(data=csv_files())
def test_price_files_are_read_or_refused_with_a_user_error(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("csv") / "prices.csv"
    p.write_bytes(data)
    try:
        s = read_price_series(p)
    except AibtError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 2000
        return
    assert len(s) >= 2 and s.index.is_monotonic_increasing and not s.index.has_duplicates
    assert np.isfinite(s.to_numpy()).all() and (s.to_numpy() > 0).all()


@SETTINGS
@given(data=csv_files())
def test_bar_files_are_read_or_refused_with_a_user_error(tmp_path_factory, data):
    text = data.replace(b"close", b"open,high,low,close") if b"close" in data else data
    p = tmp_path_factory.mktemp("bars") / "300308.csv"
    p.write_bytes(text)
    try:
        read_file(p)
    except AibtError as exc:
        assert "\n" not in str(exc)


_STRICT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?([eE][+-]?\d+)?%?$")


@settings(max_examples=400, deadline=None)
@given(cell=numbers)
def test_an_accepted_number_is_the_number_written(cell):
    import pandas as pd

    try:
        (x,) = parse_numbers(pd.Series([cell], dtype=object), column="close", where="f", percent=True)
    except AibtError:
        return
    s = cell.strip().replace("\u00a0", "").replace(" ", "")
    if math.isnan(x):
        assert s.lower() in ("", "-", "--", "nan", "none", "null")
        return
    assert _STRICT.match(s), f"{cell!r} accepted as {x}"
    plain = s.replace(",", "")
    want = float(plain[:-1]) / 100 if plain.endswith("%") else float(plain)
    assert x == pytest.approx(want, rel=1e-12) and math.isfinite(x)


# ------------------------------------------------------------------------------------------- TOML/YAML
toml_values = st.recursive(
    st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True), st.booleans(),
              st.text(max_size=12).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
              st.sampled_from(['"300308"', '"002463"', "002463", "1979-05-27", "nan", "inf", "[]", "{}"])),
    lambda inner: st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(map(str, xs)) + "]"),
    max_leaves=12,
).map(lambda v: str(v).replace("True", "true").replace("False", "false"))
toml_keys = st.sampled_from(["name", "members", "weights", "description", "memebers", "002463", "[weights]",
                             "[universe]", "[grid]", "[run]", "[dates]", "[costs]", "symbols", "lookbacks",
                             "start", "end", "chunk_size", "max_combinations", "out", "top_k", "x"])


@st.composite
def toml_docs(draw):
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        key = draw(toml_keys)
        lines.append(key if key.startswith("[") else f"{key} = {draw(toml_values)}")
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = "\ufeff" + text
    raw = text.encode(draw(st.sampled_from(["utf-8", "gbk", "utf-16"])), errors="replace")
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=6)) + raw[cut:]
    return raw


@SETTINGS
@given(raw=toml_docs())
def test_universe_and_sweep_tomls_load_or_fail_as_user_errors(tmp_path_factory, raw):
    d = tmp_path_factory.mktemp("toml")
    for name, load in (("u.toml", load_universe_file), ("s.toml", load_config)):
        p = d / name
        p.write_bytes(raw)
        try:
            load(p)
        except AibtError as exc:
            assert "\n" not in str(exc), str(exc)


yaml_scalars = st.sampled_from(['"300308"', "'300502'", "002463", "300308", "0x1F", "1e3", "~", "null", "yes",
                                "2024-01-02", ".inf", "&a [1, 2]", "*a", "!!python/object:os.system ls",
                                "[[[[", "{a: 1}", "? x"])


@st.composite
def yaml_docs(draw):
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.sampled_from(["name", "members", "weights", "description", "extra", "- x", "002463"]))
        if draw(st.booleans()):
            items = draw(st.lists(yaml_scalars, max_size=4))
            lines.append(f"{key}: [{', '.join(items)}]")
        else:
            lines.append(f"{key}: {draw(yaml_scalars)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


@SETTINGS
@given(raw=yaml_docs())
def test_yaml_universes_load_or_fail_as_user_errors(tmp_path_factory, raw):
    p = tmp_path_factory.mktemp("yaml") / "u.yaml"
    p.write_bytes(raw)
    try:
        load_universe_file(p)
    except AibtError as exc:
        assert "\n" not in str(exc)
