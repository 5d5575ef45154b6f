"""Files adapter: real fixture files, column names, encodings, separators, and every bad-data error."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aibt.data.source_files import FilesSource, parse_numbers, read_file
from aibt.data.sources import SCHEMA, fetch_panel
from aibt.errors import DataError

FIX = Path(__file__).parent / "fixtures" / "sources"
RAW_CSV = FIX / "akshare_stock_300308_raw.csv"
EN = ("date,open,high,low,close,volume\n"
      "2024-07-22,134.0,136.5,132.14,134.6,20627100\n"
      "2024-07-23,137.0,137.08,130.9,130.92,20271800\n"
      "2024-07-24,129.51,135.5,129.19,130.34,22128900\n")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_akshare_export_with_chinese_columns_and_lots():
    out = read_file(RAW_CSV, volume_unit="lots")
    assert list(out.columns) == list(SCHEMA)
    assert len(out) == 30
    assert out["symbol"].eq("300308").all()  # from the 股票代码 column
    first = out.iloc[0]
    assert (first["date"], first["open"], first["high"], first["low"], first["close"]) == (
        pd.Timestamp("2024-07-22"), 134.0, 136.5, 132.14, 134.6)
    assert first["volume"] == 20627100 and first["amount"] == 2777150119
    assert out["adj_factor"].eq(1.0).all() and "no adj_factor column" in out.attrs["notes"][0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_encodings_give_identical_frames(tmp_path, encoding):
    text = RAW_CSV.read_text(encoding="utf-8")
    out = read_file(write(tmp_path, "x.csv", text, encoding), volume_unit="lots")
    pd.testing.assert_frame_equal(out, read_file(RAW_CSV, volume_unit="lots"))


def test_english_one_symbol_file_takes_symbol_from_name_or_argument(tmp_path):
    p = write(tmp_path, "300308.csv", EN)
    assert read_file(p)["symbol"].eq("300308").all()
    out = read_file(p, "OTHER")
    assert out["symbol"].eq("OTHER").all() and out["volume"].tolist() == [20627100, 20271800, 22128900]
    hk = read_file(write(tmp_path, "6088.HK.csv", EN))
    assert hk["currency"].eq("HKD").all()


def test_thousands_separators_percent_and_compact_dates(tmp_path):
    text = ('日期,开盘价,最高价,最低价,收盘价,成交量,成交额,涨跌幅,复权因子\n'
            '20240722,134.0,136.5,132.14,134.6,"20,627,100","2,777,150,119",-0.28%,100.5%\n'
            '20240723,137.0,137.08,130.9,130.92,"20,271,800","2,707,670,560",-2.73%,100.5%\n')
    out = read_file(write(tmp_path, "300308.csv", text, "gbk"))
    assert out["date"].tolist() == [pd.Timestamp("2024-07-22"), pd.Timestamp("2024-07-23")]
    assert out["volume"].tolist() == [20627100.0, 20271800.0]
    assert out["amount"].tolist() == [2777150119.0, 2707670560.0]
    assert out["adj_factor"].tolist() == pytest.approx([1.005, 1.005])


def test_parse_numbers_rules():
    got = parse_numbers(pd.Series(["1,234.5", "3.5%", "", "--", " 7 ", "-2e3"]), column="x", where="f")
    np.testing.assert_array_equal(got, [1234.5, 0.035, np.nan, np.nan, 7.0, -2000.0])
    with pytest.raises(DataError, match="f: column 'x' row 2 has '12abc', not a number"):
        parse_numbers(pd.Series(["1", "12abc"]), column="x", where="f")


def test_parquet_long_frame_with_two_symbols(tmp_path):
    a = read_file(RAW_CSV, volume_unit="lots")
    b = a.assign(symbol="300309", close=a["close"] * 2, high=a["high"] * 2)
    long = pd.concat([a, b]).drop(columns=["currency"])
    path = tmp_path / "long.parquet"
    long.to_parquet(path)
    src = FilesSource(paths={"300308": path, "300309": path})
    panel, report = fetch_panel(["300308", "300309"], "2024-07-22", "2024-08-30", source=src)
    assert report["300309"].status == "ok" and report["300309"].rows == 30
    np.testing.assert_allclose(panel.frame("close")["300309"], 2 * panel.frame("close")["300308"])


def test_files_source_root_lookup_and_closest_name(tmp_path):
    write(tmp_path, "300308.csv", EN)
    src = FilesSource(tmp_path)
    assert len(src.fetch("300308", "2024-07-23", "2024-07-31")) == 2
    with pytest.raises(DataError, match="no file for '300380' in .* \\(closest: '300308'\\)"):
        src.fetch("300380", "2024-07-22", "2024-07-31")
    with pytest.raises(DataError, match="no rows between 2025-01-01 and 2025-02-01"):
        src.fetch("300308", "2025-01-01", "2025-02-01")


# ----------------------------------------------------------------------------- bad columns
def test_misspelt_column_names_closest(tmp_path):
    p = write(tmp_path, "a.csv", EN.replace("close", "clsoe", 1))
    with pytest.raises(DataError, match=r"unknown column\(s\) 'clsoe' \(did you mean 'close'\?\)"):
        read_file(p)


def test_extra_column_is_named(tmp_path):
    lines = EN.strip().split("\n")
    p = write(tmp_path, "a.csv", "\n".join([lines[0] + ",note"] + [l + ",checked" for l in lines[1:]]) + "\n")
    with pytest.raises(DataError, match="unknown column\\(s\\) 'note'; known: date"):
        read_file(p)


def test_missing_column_is_named(tmp_path):
    lines = [",".join(x for i, x in enumerate(l.split(",")) if i != 3) for l in EN.strip().split("\n")]
    p = write(tmp_path, "a.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="missing column 'low'"):
        read_file(p)


def test_same_field_twice(tmp_path):
    p = write(tmp_path, "a.csv", "date,收盘,close,open,high,low\n2024-07-22,1,1,1,1,1\n")
    with pytest.raises(DataError, match="columns '收盘' and 'close' both mean 'close'"):
        read_file(p)


# ----------------------------------------------------------------------------- bad values
@pytest.mark.parametrize("bad,message", [
    ("", "missing close price on 2024-07-23"),
    ("0", "zero close price on 2024-07-23"),
    ("-1.5", "negative/invalid \\(-1.5\\) close price on 2024-07-23"),
])
def test_bad_prices_name_symbol_and_date(tmp_path, bad, message):
    p = write(tmp_path, "300308.csv", EN.replace("130.92", bad))
    with pytest.raises(DataError, match="file 300308.csv data for 300308: " + message):
        read_file(p)


def test_high_below_low(tmp_path):
    p = write(tmp_path, "300308.csv", EN.replace("137.08,130.9", "130.0,130.9"))
    with pytest.raises(DataError, match="high 130.0 < low 130.9 on 2024-07-23"):
        read_file(p)


def test_duplicate_and_unsorted_dates(tmp_path):
    dup = write(tmp_path, "d.csv", EN.replace("2024-07-24", "2024-07-23"))
    with pytest.raises(DataError, match="duplicate date 2024-07-23"):
        read_file(dup)
    lines = EN.strip().split("\n")
    unsorted = write(tmp_path, "u.csv", "\n".join([lines[0], lines[2], lines[1], lines[3]]) + "\n")
    with pytest.raises(DataError, match="dates not sorted \\(2024-07-23 comes before 2024-07-22\\)"):
        read_file(unsorted)


def test_unreadable_inputs(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_file(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        read_file(write(tmp_path, "a.xlsx", "x"))
    with pytest.raises(DataError, match="unreadable date '2024-13-45' on row 2"):
        read_file(write(tmp_path, "a.csv", EN.replace("2024-07-23", "2024-13-45")))
    with pytest.raises(DataError, match="not a readable parquet"):
        read_file(write(tmp_path, "a.parquet", "not parquet"))
