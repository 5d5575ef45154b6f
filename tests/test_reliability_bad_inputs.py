"""Issue 7, bad input: a corpus of bad inputs through the public API and the CLI.

Every case must give one clear message naming the bad thing and where it is (file, line/date,
symbol, key), an :class:`~aibt.errors.AibtError` from the API, exit code 2 and one ``error:`` line
without a traceback from the CLI (the traceback only with ``--debug``), and nothing written.

The files live in ``tests/fixtures/bad_inputs/`` (written by its ``make_fixtures.py``). Cases that
reveal a missing check in code owned elsewhere are ``xfail(strict=True)`` with the file to fix.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.data.panel import Panel
from aibt.data.snapshot import load_snapshot
from aibt.data.source_files import read_file, read_price_series
from aibt.engine import simulate
from aibt.errors import AibtError, ConfigError, DataError, UniverseError
from aibt.results.stats_report import compare_reports, stats_report
from aibt.strategies.rotation import ParamGrid
from aibt.strategies.screening import load_screen, screen_from_config
from aibt.universes import get_universe, load_universe_file, security_master, weights_from_user_file

FX = Path(__file__).parent / "fixtures" / "bad_inputs"


def fx(name: str) -> str:
    return str(FX / name)


def xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


# ----------------------------------------------------------------------------------- small builders
DATES = pd.bdate_range("2024-01-02", periods=5)
CLOSE = np.array([[10.0, 20.0], [10.5, 19.0], [11.0, 21.0], [10.8, 20.5], [11.2, 20.0]])


def small_panel(with_adj: bool = True) -> Panel:
    fields = {"open": CLOSE.copy(), "close": CLOSE.copy()}
    if with_adj:
        fields["adj_factor"] = np.ones_like(CLOSE)
    return Panel(DATES, ("A", "B"), fields, np.ones((5, 2), dtype=bool), ("CNY", "CNY"), np.ones((5, 2)))


def weights(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, index=DATES[: len(rows)], columns=["A", "B"])


def long_frame(**columns) -> pd.DataFrame:
    d = pd.DataFrame({"date": ["2024-01-02", "2024-01-03", "2024-01-04"], "symbol": "300308",
                      "open": [10.0, 10.2, 10.8], "high": [10.5, 10.9, 11.0], "low": [9.8, 10.1, 10.4],
                      "close": [10.2, 10.8, 10.5], "volume": [1000.0, 1200.0, 900.0]})
    for k, v in columns.items():
        d[k] = v
    return d


def series(values, dates=("2024-01-02", "2024-01-03", "2024-01-04")) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(list(dates)), name="s")


SESSIONS = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"])

# ----------------------------------------------------------------------------------- the API corpus
# (id, call, expected exception type, fragments that must all appear in the message)
API_CASES = [
    # --- prices: NaN, zero, negative; high < low
    ("csv-nan-empty-cell", lambda: read_price_series(fx("nan_price.csv")), DataError,
     ["nan_price.csv", "missing (NaN)", "2024-01-03", "line 3"]),
    ("csv-nan-literal", lambda: read_price_series(fx("nan_literal_price.csv")), DataError,
     ["nan_literal_price.csv", "NaN", "2024-01-03", "line 3"]),
    ("csv-zero-price", lambda: read_price_series(fx("zero_price.csv")), DataError,
     ["zero_price.csv", "zero", "2024-01-03", "line 3"]),
    ("csv-negative-price", lambda: read_price_series(fx("negative_price.csv")), DataError,
     ["negative_price.csv", "negative (-3.2)", "2024-01-04", "line 4"]),
    ("series-nan", lambda: stats_report(series([1.0, np.nan, 1.2])), DataError, ["s:", "NaN", "2024-01-03"]),
    ("series-zero", lambda: stats_report(series([1.0, 0.0, 1.2])), DataError, ["zero", "2024-01-03"]),
    ("series-negative", lambda: stats_report(series([1.0, 1.1, -1.2])), DataError, ["negative", "2024-01-04"]),
    ("series-strings", lambda: stats_report(series(["a", "b", "c"])), DataError, ["s:", "not numbers"]),
    ("file-high-below-low", lambda: read_file(fx("bars_high_below_low.csv"), "300308"), DataError,
     ["bars_high_below_low.csv", "300308", "high 9.9 < low 10.1", "2024-01-03"]),
    ("file-negative-volume", lambda: read_file(fx("bars_negative_volume.csv"), "300308"), DataError,
     ["bars_negative_volume.csv", "negative volume", "2024-01-02"]),
    ("long-negative-close", lambda: Panel.from_long(long_frame(close=[10.2, -1.0, 10.5])), DataError,
     ["negative close", "300308", "2024-01-03"]),
    ("long-zero-open", lambda: Panel.from_long(long_frame(open=[10.0, 0.0, 10.8])), DataError,
     ["zero open", "300308", "2024-01-03"]),
    ("long-nan-close", lambda: Panel.from_long(long_frame(close=[10.2, np.nan, 10.5])), DataError,
     ["close is missing (NaN)", "300308", "2024-01-03"]),
    ("long-high-below-low", lambda: Panel.from_long(long_frame(high=[10.5, 10.0, 11.0])), DataError,
     ["high 10 < low 10.1", "300308", "2024-01-03"]),
    ("long-text-price", lambda: Panel.from_long(long_frame(close=["10.2", "n/a", "10.5"])), DataError,
     ["'close'", "300308", "2024-01-03", "'n/a'", "not a number"]),
    ("engine-nan-price-on-tradable-bar", lambda: simulate(
        Panel(DATES, ("A", "B"), {"open": CLOSE, "close": np.where(CLOSE > 20.6, np.nan, CLOSE),
                                  "adj_factor": np.ones_like(CLOSE)},
              np.ones((5, 2), dtype=bool), ("CNY", "CNY"), np.ones((5, 2))), weights([[0.5, 0.5]]), rules="frictionless"),
     DataError, ["close price of B", "2024-01-04", "nan"]),
    # --- dates: duplicate, unsorted, holidays, unreadable
    ("csv-duplicate-dates", lambda: read_price_series(fx("duplicate_dates.csv")), DataError,
     ["duplicate_dates.csv", "duplicate date 2024-01-03", "line 4"]),
    ("csv-unsorted-dates", lambda: read_price_series(fx("unsorted_dates.csv")), DataError,
     ["unsorted_dates.csv", "not sorted", "2024-01-03", "2024-01-04", "line 4"]),
    ("csv-bad-date", lambda: read_price_series(fx("bad_date.csv")), DataError,
     ["bad_date.csv", "unreadable date '2024-13-03'", "row 2"]),
    ("file-unsorted", lambda: read_file(fx("bars_unsorted.csv"), "300308"), DataError,
     ["bars_unsorted.csv", "300308", "not sorted", "2024-01-03"]),
    ("file-holiday", lambda: read_file(fx("bars_holiday.csv"), "300308"), DataError,
     ["bars_holiday.csv", "300308", "2024-02-12", "not an XSHG trading session"]),
    ("file-weekend", lambda: read_file(fx("bars_weekend.csv"), "300308"), DataError,
     ["bars_weekend.csv", "2024-01-06", "Saturday"]),
    ("long-duplicate-row", lambda: Panel.from_long(long_frame(date=["2024-01-02", "2024-01-02", "2024-01-04"])),
     DataError, ["duplicate row", "300308", "2024-01-02"]),
    ("long-holiday-off-axis", lambda: Panel.from_long(long_frame(date=["2024-01-02", "2024-01-03", "2024-02-12"]),
                                                      dates=SESSIONS),
     DataError, ["300308", "2024-02-12", "not on the panel's date axis"]),
    ("long-bad-date", lambda: Panel.from_long(long_frame(date=["2024-01-02", "2024-13-03", "2024-01-04"])),
     DataError, ["row 1", "'2024-13-03'"]),
    ("panel-unsorted-dates", lambda: Panel(DATES[::-1], ("A", "B"), {"close": CLOSE}, np.ones((5, 2), bool),
                                           ("CNY", "CNY"), np.ones((5, 2))),
     DataError, ["not sorted"]),
    ("series-duplicate-date", lambda: stats_report(series([1.0, 1.1, 1.2], ["2024-01-02", "2024-01-03", "2024-01-03"])),
     DataError, ["duplicate date 2024-01-03", "row 2"]),
    ("series-unsorted", lambda: stats_report(series([1.0, 1.1, 1.2], ["2024-01-02", "2024-01-04", "2024-01-03"])),
     DataError, ["not sorted", "2024-01-03", "2024-01-04"]),
    # --- a series with one row or none
    ("csv-one-row", lambda: read_price_series(fx("one_row.csv")), DataError, ["one_row.csv", "at least 2", "got 1"]),
    ("csv-header-only", lambda: read_price_series(fx("header_only.csv")), DataError, ["header_only.csv", "no data rows"]),
    ("csv-empty-file", lambda: read_price_series(fx("empty.csv")), DataError, ["empty.csv", "empty"]),
    ("series-empty", lambda: stats_report(pd.Series([], index=pd.DatetimeIndex([]), dtype=float, name="e")),
     DataError, ["e:", "at least 2", "got 0"]),
    ("long-no-rows", lambda: Panel.from_long(long_frame().iloc[:0]), DataError, ["no rows"]),
    ("engine-one-session", lambda: simulate(small_panel().select(end=DATES[0]), np.zeros((1, 2)), rules="frictionless"), ConfigError,
     ["at least 2 sessions"]),
    # --- CSV columns: missing, extra, misspelt
    ("csv-missing-close", lambda: read_price_series(fx("missing_close.csv")), DataError,
     ["missing_close.csv", "missing column 'close'", "'open'"]),
    ("csv-misspelt-close", lambda: read_price_series(fx("misspelt_close.csv")), DataError,
     ["misspelt_close.csv", "did you mean 'clsoe' for 'close'"]),
    ("csv-misspelt-date", lambda: read_price_series(fx("misspelt_date.csv")), DataError,
     ["misspelt_date.csv", "did you mean 'daet' for 'date'"]),
    ("file-extra-column", lambda: read_file(fx("bars_extra_column.csv"), "300308"), DataError,
     ["bars_extra_column.csv", "unknown column(s) 'foo'"]),
    ("file-misspelt-column", lambda: read_file(fx("bars_misspelt_column.csv"), "300308"), DataError,
     ["bars_misspelt_column.csv", "'hihg'", "did you mean 'high'"]),
    ("file-missing-column", lambda: read_file(fx("bars_missing_column.csv"), "300308"), DataError,
     ["bars_missing_column.csv", "missing column 'close'"]),
    ("long-missing-close", lambda: Panel.from_long(long_frame().drop(columns=["close"])), DataError,
     ["lacks column", "'close'"]),
    ("file-unsupported-type", lambda: read_file(fx("bars.xlsx"), "300308"), DataError,
     ["bars.xlsx", "unsupported file type '.xlsx'"]),
    ("file-does-not-exist", lambda: read_file(fx("nope.csv")), DataError, ["no such file", "nope.csv"]),
    # --- encodings, thousands separators, percent strings
    ("csv-gbk-misspelt", lambda: read_price_series(fx("gbk_misspelt.csv")), DataError,
     ["gbk_misspelt.csv", "missing column 'close'", "'收市'"]),
    ("csv-gbk-zero-price", lambda: read_price_series(fx("gbk_zero_price.csv")), DataError,
     ["gbk_zero_price.csv", "zero", "2024-01-03", "line 3"]),
    ("csv-bom-misspelt", lambda: read_price_series(fx("bom_misspelt.csv")), DataError,
     ["bom_misspelt.csv", "['date', 'cloes']", "did you mean 'cloes'"]),
    ("csv-bom-unsorted", lambda: read_price_series(fx("bom_unsorted.csv")), DataError,
     ["bom_unsorted.csv", "not sorted", "line 3"]),
    ("csv-utf16", lambda: read_price_series(fx("utf16.csv")), DataError, ["utf16.csv", "cannot decode", "gbk"]),
    ("csv-thousands-negative", lambda: read_price_series(fx("thousands_negative.csv")), DataError,
     ["thousands_negative.csv", "negative (-1240)", "2024-01-03", "line 3"]),
    ("csv-bad-number", lambda: read_price_series(fx("bad_number.csv")), DataError,
     ["bad_number.csv", "'close'", "row 2", "'10.5abc'"]),
    ("file-percent-close", lambda: read_file(fx("bars_percent_close.csv"), "300308"), DataError,
     ["bars_percent_close.csv", "'close'", "row 1", "'1.2%'", "percentage"]),
    ("csv-percent-price", lambda: read_price_series(fx("percent_price.csv")), DataError,
     ["percent_price.csv", "'close'", "'1.5%'", "percentage", "line 2"]),
    # --- unknown tickers and universe names
    ("universe-unknown-name", lambda: get_universe("star_ai"), UniverseError,
     ["unknown universe 'star_ai'", "did you mean 'star-ai'"]),
    ("universe-file-unknown-ticker", lambda: load_universe_file(fx("universe_unknown_ticker.toml")), UniverseError,
     ["universe_unknown_ticker.toml", "'999999'"]),
    ("universe-file-unquoted-codes", lambda: load_universe_file(fx("universe_unquoted.yaml")), ConfigError,
     ["universe_unquoted.yaml", "member 300308", "quoted string"]),
    ("snapshot-unknown-symbol", lambda: load_snapshot(["300308", "999999"]), DataError,
     ["unknown symbol(s) '999999'", "snapshot"]),
    ("panel-unknown-symbol", lambda: small_panel().series("C"), DataError, ["unknown symbol 'C'"]),
    ("weights-file-unknown-code", lambda: weights_from_user_file(fx("weights_unknown_code.csv"), security_master()),
     UniverseError, ["weights_unknown_code.csv", "'999999'"]),
    ("engine-weights-unknown-symbol", lambda: simulate(small_panel(), pd.DataFrame([[0.5, 0.5]], index=DATES[:1],
                                                                                  columns=["A", "C"]), rules="frictionless"),
     DataError, ["weights column 'C'"]),
    # --- weights: negative, NaN, over 1
    ("engine-negative-weight", lambda: simulate(small_panel(), weights([[0.5, -0.1]]), rules="frictionless"), ConfigError,
     ["weight of B", "2024-01-02", "-0.1", ">= 0"]),
    ("engine-infinite-weight", lambda: simulate(small_panel(), weights([[0.5, np.inf]]), rules="frictionless"), ConfigError,
     ["weight of B", "2024-01-02", "infinite"]),
    ("engine-weights-over-one", lambda: simulate(small_panel(), weights([[0.5, 0.5], [0.6, 0.5]]), rules="frictionless"), ConfigError,
     ["2024-01-03", "sum to 1.1 > 1"]),
    ("engine-weights-wrong-shape", lambda: simulate(small_panel(), np.zeros((4, 2)), rules="frictionless"), DataError,
     ["shape (4, 2)", "expected (5, 2)"]),
    ("engine-weights-series", lambda: simulate(small_panel(), pd.Series([1.0] * 5), rules="frictionless"), ConfigError, ["not a Series"]),
    ("engine-weights-text", lambda: simulate(small_panel(), weights([["0.5", "x"]]), rules="frictionless"), ConfigError,
     ["weight", "'x'", "of B", "2024-01-02"]),
    ("engine-panel-without-adj-factor", lambda: simulate(small_panel(with_adj=False), weights([[0.5, 0.5]]), rules="frictionless"),
     DataError, ["adj_factor"]),
    ("universe-file-negative-weight", lambda: load_universe_file(fx("universe_negative_weight.toml")), ConfigError,
     ["universe_negative_weight.toml", "weight of 300502", "-0.2"]),
    ("universe-file-nan-weight", lambda: load_universe_file(fx("universe_nan_weight.toml")), ConfigError,
     ["universe_nan_weight.toml", "weight of 300502", "nan"]),
    ("universe-file-weights-over-one", lambda: load_universe_file(fx("universe_weights_over_one.toml")), ConfigError,
     ["universe_weights_over_one.toml", "sum to 1.3"]),
    ("weights-file-negative", lambda: weights_from_user_file(fx("weights_negative.csv")), UniverseError,
     ["weights_negative.csv", "line 3", "'-0.2'"]),
    ("weights-file-nan", lambda: weights_from_user_file(fx("weights_nan.csv")), UniverseError,
     ["weights_nan.csv", "line 3", "'nan'"]),
    ("weights-file-over-one", lambda: weights_from_user_file(fx("weights_over_one.csv")), UniverseError,
     ["weights_over_one.csv", "2024-06-17", "sum to 1.3"]),
    ("weights-file-misspelt-column", lambda: weights_from_user_file(fx("weights_misspelt_column.csv")), UniverseError,
     ["weights_misspelt_column.csv", "'wieght'", "did you mean 'weight'"]),
    # --- start after end; dates outside the data
    ("stats-start-after-end", lambda: stats_report(series([1.0, 1.1, 1.2]), start="2024-01-04", end="2024-01-02"),
     DataError, ["start 2024-01-04 is after end 2024-01-02"]),
    ("stats-start-before-data", lambda: stats_report(series([1.0, 1.1, 1.2]), start="2023-12-01"), DataError,
     ["start 2023-12-01", "before the first date", "2024-01-02"]),
    ("stats-end-after-data", lambda: stats_report(series([1.0, 1.1, 1.2]), end="2024-02-01"), DataError,
     ["end 2024-02-01", "after the last date", "2024-01-04"]),
    ("stats-unreadable-start", lambda: stats_report(series([1.0, 1.1, 1.2]), start="2024-13-01"), DataError,
     ["start '2024-13-01' is not a date"]),
    ("compare-no-overlap", lambda: compare_reports({"a": series([1.0, 1.1, 1.2]),
                                                    "b": series([1.0, 1.1], ["2024-02-01", "2024-02-02"])}),
     DataError, ["no dates in common", "a 2024-01-02..2024-01-04", "b 2024-02-01..2024-02-02"]),
    ("snapshot-start-after-end", lambda: load_snapshot("300308", start="2025-01-01", end="2024-01-01"), DataError,
     ["start 2025-01-01 is after end 2024-01-01"]),
    ("snapshot-outside-calendar", lambda: load_snapshot("300308", start="2030-01-01", end="2031-01-01"), DataError,
     ["2030-01-01", "no bar", "cover 2019-01-02 to 2026-05-28"]),
    ("snapshot-after-the-data", lambda: load_snapshot("300308", start="2026-06-01", end="2026-12-01"),
     DataError, ["300308", "no bar", "2026-06-01", "2026-05-28"]),
    ("snapshot-before-listing", lambda: load_snapshot("688256", start="2015-01-05", end="2015-06-01"),
     DataError, ["688256", "no bar", "2020-07-20"]),
    ("snapshot-unreadable-start", lambda: load_snapshot("300308", start="2024-13-01"), DataError,
     ["start", "2024-13-01"]),
    ("engine-weights-date-outside-panel", lambda: simulate(small_panel(), pd.DataFrame(
        [[0.5, 0.5]], index=[pd.Timestamp("2023-01-03")], columns=["A", "B"]), rules="frictionless"),
     DataError, ["weights date 2023-01-03", "not a session", "2024-01-02 to 2024-01-08"]),
    ("panel-select-outside", lambda: small_panel().select(start="2025-01-01"), DataError,
     ["no dates", "2024-01-02 to 2024-01-08"]),
    # --- config files with a typo
    ("universe-file-typo-key", lambda: load_universe_file(fx("universe_typo_key.toml")), ConfigError,
     ["universe_typo_key.toml", "unknown key 'memebers'", "did you mean 'members'"]),
    ("universe-file-invalid-toml", lambda: load_universe_file(fx("universe_invalid.toml")), ConfigError,
     ["universe_invalid.toml", "not valid TOML"]),
    ("screen-config-typo-key", lambda: load_screen(fx("screen_typo_key.toml")), ConfigError,
     ["unknown config key(s) ['stpes']", "steps"]),
    ("screen-config-unknown-factor", lambda: load_screen(fx("screen_unknown_factor.toml")), ConfigError,
     ["step 1", "unknown factor 'momentun'", "momentum"]),
    ("screen-config-bad-op", lambda: load_screen(fx("screen_bad_op.toml")), ConfigError,
     ["step 1", "unknown operator '=>'"]),
    ("screen-config-invalid-toml", lambda: load_screen(fx("screen_invalid.toml")), ConfigError,
     ["screen_invalid.toml", "not valid TOML", "line 1"]),
    ("screen-config-missing-file", lambda: load_screen(fx("nope.toml")), ConfigError, ["nope.toml", "not found"]),
    ("screen-config-bad-param", lambda: screen_from_config({"steps": [{"rank": "momentum", "windw": 20}]}),
     ConfigError, ["'windw'", "momentum", "window"]),
    ("grid-typo-key", lambda: ParamGrid.from_dict({"lookback": [20]}), ConfigError,
     ["unknown grid key 'lookback'", "did you mean 'lookbacks'"]),
    ("grid-unknown-weighting", lambda: ParamGrid.from_dict({"weightings": ["equall"]}), ConfigError,
     ["unknown weighting 'equall'"]),
    ("grid-scalar-value", lambda: ParamGrid.from_dict({"lookbacks": 20}), ConfigError, ["lookbacks", "20"]),
    ("grid-text-value", lambda: ParamGrid.from_dict({"top_k": ["a"]}), ConfigError, ["top_k", "'a'"]),
    ("grid-negative-lookback", lambda: ParamGrid.from_dict({"lookbacks": [-5]}), ConfigError, ["lookbacks", "-5"]),
]


def _ids():
    return [c.values[0] if hasattr(c, "values") else c[0] for c in API_CASES]


@pytest.mark.parametrize("case_id, call, exc_type, fragments", API_CASES, ids=_ids())
def test_api_bad_input(case_id, call, exc_type, fragments):
    with pytest.raises(AibtError) as info:
        call()
    assert isinstance(info.value, exc_type), f"{case_id}: {type(info.value).__name__}: {info.value}"
    msg = str(info.value)
    assert "\n" not in msg, f"{case_id}: message is not one line: {msg!r}"
    missing = [f for f in fragments if f not in msg]
    assert not missing, f"{case_id}: message {msg!r} lacks {missing}"


def test_corpus_size_and_files():
    """At least 30 cases; every fixture the generator writes exists and is byte-identical to it."""
    assert len(API_CASES) >= 30
    import importlib.util as iu

    spec = iu.spec_from_file_location("make_bad_inputs", FX / "make_fixtures.py")
    mod = iu.module_from_spec(spec)
    spec.loader.exec_module(mod)
    expected = {**{k: v.encode("utf-8") for k, v in mod.TEXT.items()}, **mod.BYTES}
    for name, data in expected.items():
        assert (FX / name).read_bytes() == data, name
    assert (FX / "gbk_zero_price.csv").read_bytes().startswith("日期".encode("gbk"))
    assert (FX / "bom_misspelt.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_good_twins_parse(tmp_path):
    """The encodings and separators that the corpus abuses are read correctly when the data are good."""
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("日期,收盘\n2024-01-02,\"1,000.0\"\n2024-01-03,\"1,100.0\"\n".encode("gbk"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffdate,close\n2024-01-02,10\n2024-01-03,12.5\n".encode("utf-8"))
    assert read_price_series(gbk).tolist() == [1000.0, 1100.0]
    assert read_price_series(bom).tolist() == [10.0, 12.5]
    assert stats_report(series([1.0, 1.1, 1.21]))["total_return"] == pytest.approx(0.21)
    # NaN inside a row with targets is weight 0 (documented), an all-NaN row is "no target": not errors
    r = simulate(small_panel(), weights([[0.5, np.nan], [np.nan, np.nan]]), rules="frictionless", price="close")
    assert r.positions["B"].eq(0).all()
    assert r.positions["A"].iloc[-1] == pytest.approx(0.5e6 / 10.5)


# ----------------------------------------------------------------------------------- the CLI corpus
def _snapshot_path_free(args):
    return [a.replace("@", str(FX) + os.sep) for a in args]


# (id, argv with @ = fixture folder, fragments of the one stderr line)
CLI_CASES = [
    ("stats-csv-nan", ["stats", "--csv", "@nan_price.csv"], ["nan_price.csv", "NaN", "2024-01-03", "line 3"]),
    ("stats-csv-zero", ["stats", "--csv", "@zero_price.csv"], ["zero", "line 3"]),
    ("stats-csv-negative", ["stats", "--csv", "@negative_price.csv", "--json"], ["negative", "line 4"]),
    ("stats-csv-duplicate", ["stats", "--csv", "@duplicate_dates.csv"], ["duplicate date 2024-01-03"]),
    ("stats-csv-unsorted", ["stats", "--csv", "@unsorted_dates.csv"], ["not sorted"]),
    ("stats-csv-one-row", ["stats", "--csv", "@one_row.csv"], ["at least 2"]),
    ("stats-csv-empty", ["stats", "--csv", "@empty.csv"], ["empty"]),
    ("stats-csv-misspelt", ["stats", "--csv", "@misspelt_close.csv"], ["did you mean 'clsoe'"]),
    ("stats-csv-gbk", ["stats", "--csv", "@gbk_misspelt.csv"], ["'收市'"]),
    ("stats-csv-bom", ["stats", "--csv", "@bom_misspelt.csv"], ["['date', 'cloes']"]),
    ("stats-csv-utf16", ["stats", "--csv", "@utf16.csv"], ["cannot decode"]),
    ("stats-csv-missing-file", ["stats", "--csv", "@nope.csv"], ["no such file", "nope.csv"]),
    ("stats-csv-start-after-end", ["stats", "--csv", "@thousands_negative.csv", "--start", "2024-01-04",
                                   "--end", "2024-01-02"], ["negative"]),
    ("stats-symbol-unknown", ["stats", "999999"], ["unknown symbol(s) '999999'"]),
    ("stats-symbol-start-after-end", ["stats", "300308", "--start", "2025-03-01", "--end", "2025-01-01"],
     ["start 2025-03-01 is after end 2025-01-01"]),
    ("stats-symbol-before-data", ["stats", "300308", "--start", "1990-01-01"], ["300308", "before the first date"]),
    ("stats-symbol-after-data", ["stats", "300308", "--end", "2030-01-01"], ["300308", "after the last date"]),
    ("stats-symbol-holiday-week", ["stats", "300308", "--start", "2024-02-10", "--end", "2024-02-17"],
     ["only 0 price(s)", "2024-02-10", "2024-02-17"]),
    ("stats-symbol-bad-date", ["stats", "300308", "--start", "2024-13-01"], ["'2024-13-01' is not a date"]),
    ("stats-both-inputs", ["stats", "300308", "--csv", "@one_row.csv"], ["exactly one"]),
    ("compare-twice", ["compare", "300308", "300308"], ["'300308' is given twice"]),
    ("compare-unknown", ["compare", "300308", "999999"], ["'999999'"]),
    ("universe-unknown", ["universe", "show", "star_ai"], ["unknown universe 'star_ai'", "did you mean 'star-ai'"]),
    ("universe-bad-date", ["universe", "show", "optical", "--date", "notadate"], ["'notadate' is not a date"]),
    ("universe-before-snapshot", ["universe", "show", "star-ai", "--date", "1999-01-01"],
     ["1999-01-01", "before the snapshot starts"]),
    ("universe-file-typo", ["universe", "show", "@universe_typo_key.toml"], ["unknown key 'memebers'"]),
    ("universe-file-weights", ["universe", "show", "@universe_weights_over_one.toml"], ["sum to 1.3"]),
    ("universe-file-ticker", ["universe", "show", "@universe_unknown_ticker.toml"], ["'999999'"]),
    ("screen-unknown-universe", ["screen", "nosuch"], ["unknown universe 'nosuch'"]),
    ("screen-unknown-ticker", ["screen", "999999,300308"], ["'999999'"]),
    ("screen-bad-date", ["screen", "optical", "--date", "notadate"], ["'notadate' is not a date"]),
    ("screen-date-before-data", ["screen", "optical", "--date", "1999-01-01"],
     ["--date 1999-01-01", "before the data starts"]),
    ("screen-date-after-data", ["screen", "optical", "--date", "2031-01-01", "--json"],
     ["--date 2031-01-01", "after the last date in the data"]),
    ("screen-top-zero", ["screen", "optical", "--top", "0"], ["top must be a positive integer"]),
    ("screen-config-typo", ["screen", "optical", "--config", "@screen_typo_key.toml"], ["'stpes'"]),
    ("screen-config-factor", ["screen", "optical", "--config", "@screen_unknown_factor.toml"], ["'momentun'"]),
    ("screen-unknown-reference", ["screen", "star-ai-etfs", "--reference", "999999"], ["'999999'"]),
    ("stats-csv-percent", ["stats", "--csv", "@percent_price.csv"], ["'1.5%'", "percentage"]),
]


def _cli_ids():
    return [c.values[0] if hasattr(c, "values") else c[0] for c in CLI_CASES]


@pytest.mark.parametrize("case_id, argv, fragments", CLI_CASES, ids=_cli_ids())
def test_cli_bad_input(case_id, argv, fragments, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, _snapshot_path_free(argv))
    err = res.stderr
    assert res.exit_code == 2, f"{case_id}: exit {res.exit_code}, stdout {res.stdout[:300]!r}, stderr {err!r}"
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    missing = [f for f in fragments if f not in lines[0]]
    assert not missing, f"{case_id}: {lines[0]!r} lacks {missing}"
    assert res.stdout == ""  # nothing printed half way
    assert list(tmp_path.iterdir()) == []  # nothing written


SUBPROCESS_CASES = [
    (["stats", "--csv", "@nan_price.csv"], "nan_price.csv: price is missing (NaN) on 2024-01-03 (line 3)"),
    (["stats", "--csv", "@bom_unsorted.csv", "--json"], "not sorted"),
    (["universe", "show", "@universe_typo_key.toml"], "did you mean 'members'?"),
    (["screen", "optical", "--config", "@screen_typo_key.toml"], "unknown config key(s) ['stpes']"),
]


def _run(argv, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS",)}
    return subprocess.run([sys.executable, "-m", "aibt.cli", *_snapshot_path_free(argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv, fragment", SUBPROCESS_CASES, ids=[c[0][0] + "-" + c[0][-1].strip("@") for c in
                                                                   SUBPROCESS_CASES])
def test_cli_subprocess_one_line_exit_2(argv, fragment, tmp_path):
    p = _run(argv, tmp_path)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip() and "Warning" not in ln]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], p.stderr
    assert p.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_cli_debug_shows_traceback(tmp_path):
    p = subprocess.run([sys.executable, "-m", "aibt.cli", "--debug", "stats", "--csv", fx("zero_price.csv")],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert "Traceback" in p.stderr and "DataError: " in p.stderr and "zero_price.csv" in p.stderr


# ----------------------------------------------------------------------------------- nothing written half way
def _command_available(name: str) -> bool:
    from aibt.cli import COMMANDS

    module = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("argv, fragment", [
    (["track", "star-ai", "--etf", "999999"], "999999"),
    (["track", "star-ai", "--etf", "588790", "--start", "2025-06-01", "--end", "2025-01-01"], "2025-06-01"),
    (["track", "star-ai", "--etf", "588790", "--start", "2026-06-01", "--end", "2026-12-01"], "2026-06-01"),
    (["track", "star-ai", "--etf", "588790", "--start", "2024-13-01"], "2024-13-01"),
])
def test_track_bad_input_leaves_no_output_dir(argv, fragment, tmp_path, monkeypatch):
    if not _command_available("track"):
        pytest.skip("aibt track has not landed yet")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, [*argv, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], res.stderr
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))
    assert list(tmp_path.iterdir()) == []


SWEEP_BASE = '[universe]\nsymbols = ["300308", "300502"]\n[run]\nout = "sweep-out"\n'
@pytest.mark.parametrize("text, fragment", [
    pytest.param(SWEEP_BASE + "[grid]\nlookback = [20, 60]\n", "lookback", id="grid-key-typo"),
    pytest.param(SWEEP_BASE + "[grid]\nlookbacks = [20, 60\n", "TOML", id="invalid-toml"),
    pytest.param("[gird]\nlookbacks = [20, 60]\n", "gird", id="section-typo"),
    pytest.param(SWEEP_BASE + "[costs]\ncomission = 0.001\n", "comission", id="costs-key-typo"),
    pytest.param(SWEEP_BASE + "[grid]\nlookbacks = 20\n", "lookbacks", id="grid-scalar"),
    pytest.param(SWEEP_BASE + '[grid]\ntop_k = ["a"]\n', "[grid]", id="grid-text"),
    pytest.param('[universe]\nsymbols = ["300308", "999999"]\n[run]\nout = "sweep-out"\n', "999999",
                 id="unknown-ticker"),
    pytest.param('[universe]\nname = "star_ai"\n[run]\nout = "sweep-out"\n', "star_ai",
                 id="unknown-universe"),
    pytest.param(SWEEP_BASE + '[dates]\nstart = "2025-06-01"\nend = "2025-01-01"\n', "2025-06-01",
                 id="start-after-end"),
    pytest.param(SWEEP_BASE + "[costs]\ncommission = -0.1\n", "commission", id="negative-commission"),
    pytest.param(SWEEP_BASE + "[grid]\nlookbacks = [-5]\n", "lookbacks", id="negative-lookback"),
    pytest.param(SWEEP_BASE + '[dates]\nstart = "2024-13-01"\n', "2024-13-01", id="unreadable-date"),
    pytest.param(SWEEP_BASE + '[dates]\nstart = "2026-06-01"\nend = "2026-12-01"\n', "2026-05-28",
                 id="dates-after-data"),
])
def test_sweep_bad_config_leaves_nothing(text, fragment, tmp_path, monkeypatch):
    if not _command_available("sweep"):
        pytest.skip("aibt sweep has not landed yet")
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["sweep", str(cfg)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.toml"]


def test_write_json_with_unserialisable_value_leaves_no_file(tmp_path):
    from aibt.results.io import write_json

    target = tmp_path / "deep" / "out.json"
    with pytest.raises(TypeError, match=r"\$\['a'\]"):
        write_json({"a": object()}, target)
    assert not target.exists() and not target.parent.exists()
