"""results.io: exact text of CSV/Markdown/JSON, byte identity across runs, atomic writes."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aibt.errors import AibtError
from aibt.results import io as rio
from aibt.results.io import (
    format_cell,
    format_float,
    json_text,
    markdown_text,
    to_jsonable,
    write_bytes,
    write_csv,
    write_json,
    write_markdown,
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ret": [0.1 + 0.2, np.nan, -0.0, 1 / 3],
            "name": ["中际旭创", "a|b", None, 'say "hi", ok'],
            "lots": np.array([100, 200, 300, 400], dtype="int64"),
            "up": [True, False, True, False],
        },
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"], name="date"),
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1 + 0.2, "0.3"),
        (1 / 3, "0.333333333333333"),  # CSV: full double precision (15 significant digits)
        (-0.0, "0"),
        (123456789012.5, "123456789012.5"),
        (1e-7, "1e-07"),
        (float("nan"), ""),
        (float("inf"), "inf"),
        (np.float32(0.5), "0.5"),
    ],
)
def test_format_float(value, text):
    assert format_float(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (pd.Timestamp("2024-03-01"), "2024-03-01"),
        (pd.Timestamp("2024-03-01 14:55"), "2024-03-01T14:55:00"),
        (np.int64(7), "7"),
        (np.bool_(True), "True"),
        (None, ""),
        (pd.NaT, ""),
        (Path("a/b.csv"), "a/b.csv"),
    ],
)
def test_format_cell(value, text):
    assert format_cell(value) == text


def test_format_cell_rejects_objects_without_reproducible_text():
    with pytest.raises(TypeError, match="object"):
        format_cell(object())


def test_csv_exact_text(tmp_path):
    path = write_csv(_frame(), tmp_path / "t.csv")
    assert path.read_bytes().decode("utf-8") == (
        "date,ret,name,lots,up\n"
        "2024-01-02,0.3,中际旭创,100,True\n"
        "2024-01-03,,a|b,200,False\n"
        "2024-01-04,0,,300,True\n"
        '2024-01-05,0.333333333333333,"say ""hi"", ok",400,False\n'
    )
    back = pd.read_csv(path, index_col="date", parse_dates=True)
    assert back["lots"].tolist() == [100, 200, 300, 400]
    assert back["ret"].iloc[0] == 0.3


def test_csv_default_range_index_is_left_out_and_series_is_a_column(tmp_path):
    text = rio.csv_text(pd.DataFrame({"a": [1.5, 2.0]}))
    assert text == "a\n1.5\n2\n"
    text = rio.csv_text(pd.Series([1.0], index=pd.Index(["x"], name="sym"), name="w"))
    assert text == "sym,w\nx,1\n"


def test_markdown_exact_text():
    assert markdown_text(_frame()) == (
        "| date       |    ret | name         | lots | up    |\n"
        "| ---------- | -----: | ------------ | ---: | ----- |\n"
        "| 2024-01-02 | 0.3000 | 中际旭创     |  100 | True  |\n"
        "| 2024-01-03 |        | a\\|b         |  200 | False |\n"
        "| 2024-01-04 |      0 |              |  300 | True  |\n"
        '| 2024-01-05 | 0.3333 | say "hi", ok |  400 | False |\n'
    )


def test_markdown_is_for_people_csv_keeps_precision():
    frame = pd.DataFrame({"code": ["688256", "688008"], "name": ["寒武纪", "澜起科技"],
                          "weight": [0.15541234, 0.1], "sharpe": [1.459490676, -0.5], "beta": [0.97626, 1.0],
                          "avg_total_cap": [1.030913081e10, 5549846093.0], "replication": [-2.220446049250313e-16, 0.0]})
    md = markdown_text(frame).splitlines()
    assert md[2] == "| 688256 | 寒武纪   | 15.54% |   1.46 | 0.976 | 10,309,130,810 |           0 |"
    assert md[3] == "| 688008 | 澜起科技 | 10.00% |  -0.50 | 1.000 |  5,549,846,093 |           0 |"
    csv = rio.csv_text(frame).splitlines()
    assert csv[1] == "688256,寒武纪,0.15541234,1.459490676,0.97626,10309130810,-2.22044604925031e-16"


def test_json_sorted_rounded_and_nan_as_null(tmp_path):
    obj = {"b": np.float64(2 / 3), "a": [np.nan, pd.Timestamp("2024-01-02"), np.int64(3)], 5: {"z": 1, "y": True}}
    path = write_json(obj, tmp_path / "o.json")
    text = path.read_text("utf-8")
    assert text == (
        '{\n  "5": {\n    "y": true,\n    "z": 1\n  },\n  "a": [\n    null,\n    "2024-01-02",\n    3\n  ],\n'
        '  "b": 0.6666666667\n}\n'
    )
    assert json.loads(text)["b"] == 0.6666666667


def test_to_jsonable_names_the_bad_location():
    with pytest.raises(TypeError, match=r"\$\['fees'\]\[1\]"):
        to_jsonable({"fees": [1, object()]})
    with pytest.raises(TypeError, match="both become '1'"):
        to_jsonable({1: "a", "1": "b"})


def test_second_run_writes_identical_bytes(tmp_path):
    frame = _frame()
    obj = {"metrics": frame["ret"], "cfg": {"w": [0.25, 0.75]}}
    first = [write_csv(frame, tmp_path / "a.csv").read_bytes(), write_markdown(frame, tmp_path / "a.md").read_bytes(),
             write_json(obj, tmp_path / "a.json").read_bytes()]
    # a fresh, equal-valued copy computed differently (float noise below 10 significant digits)
    frame2 = frame.copy()
    frame2["ret"] = frame2["ret"] * 3 / 3
    second = [write_csv(frame2, tmp_path / "b.csv").read_bytes(), write_markdown(frame2, tmp_path / "b.md").read_bytes(),
              write_json({"metrics": frame2["ret"], "cfg": {"w": [0.25, 0.75]}}, tmp_path / "b.json").read_bytes()]
    assert first == second
    assert all(b"\r\n" not in blob for blob in first)


def test_failed_formatting_leaves_target_untouched_and_no_temp(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    bad = pd.DataFrame({"x": [1.0, object()]}, dtype=object)
    with pytest.raises(TypeError, match="cannot write a table cell"):
        write_csv(bad, target)
    with pytest.raises(TypeError):
        write_markdown(bad, target)
    with pytest.raises(TypeError):
        write_json({"x": object()}, target)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_failure_during_write_removes_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "out" / "data.bin"
    write_bytes(b"first", target)

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rio.os, "fsync", broken_fsync)
    with pytest.raises(AibtError, match=r"cannot write .*data\.bin: No space left on device"):
        write_bytes(b"second, longer content", target)
    monkeypatch.undo()
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["data.bin"]


def test_written_file_is_world_readable_and_parent_created(tmp_path):
    path = write_bytes(b"x", tmp_path / "a" / "b" / "c.bin")
    assert path.read_bytes() == b"x"
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_json_text_keeps_unicode():
    assert json_text({"name": "光模块"}) == '{\n  "name": "光模块"\n}\n'
