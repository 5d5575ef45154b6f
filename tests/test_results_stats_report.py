"""stats_report: values, JSON stability, validation; the price CSV reader (data layer): encodings and errors."""
from __future__ import annotations

import json
import math

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from aibt.errors import DataError
from aibt.results.periods import annualization_factor
from aibt.data.source_files import read_price_series
from aibt.results.stats_report import compare_reports, stats_report, validate_prices


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(11)
    from aibt.data.calendar import xshg_sessions

    idx = xshg_sessions("2023-01-03", "2024-12-31")
    return pd.Series(1.2 * np.cumprod(1 + rng.normal(0.0008, 0.02, len(idx))), index=idx, name="588790")


def _walk(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)
    else:
        yield obj


def test_report_values(prices):
    rep = stats_report(prices)
    p = prices.to_numpy()
    r = p[1:] / p[:-1] - 1
    ppy = annualization_factor(prices.index)
    assert ppy == 242.0 and rep["periods_per_year"] == 242.0
    assert rep["start"] == "2023-01-03" and rep["end"] == "2024-12-31" and rep["sessions"] == len(prices)
    assert rep["total_return"] == pytest.approx(p[-1] / p[0] - 1, rel=1e-11)
    assert rep["cagr"] == pytest.approx(ep.cagr(r, annualization=ppy), rel=1e-11)
    assert rep["volatility_annual"] == pytest.approx(ep.annual_volatility(r, annualization=ppy), rel=1e-11)
    assert rep["sharpe"] == pytest.approx(ep.sharpe_ratio(r, annualization=ppy), rel=1e-11)
    assert rep["max_drawdown"] == pytest.approx(ep.max_drawdown(r), rel=1e-11)
    # months compound to the total; first month from the first close
    months = rep["monthly_returns"]
    assert list(months)[0] == "2023-01" and list(months)[-1] == "2024-12" and len(months) == 24
    assert np.prod([1 + v for v in months.values()]) - 1 == pytest.approx(rep["total_return"], rel=1e-10)
    jan = prices["2023-01"]
    assert months["2023-01"] == pytest.approx(jan.iloc[-1] / jan.iloc[0] - 1, rel=1e-11)
    best = max(months, key=months.get)
    assert rep["best_month"] == {"month": best, "return": months[best]}
    assert set(rep["profit_probability"]) == {"1M", "3M", "6M", "12M"}
    pp12 = rep["profit_probability"]["12M"]
    assert pp12["first_window"] == {"start": "2023-01-03", "end": "2024-01-03"}
    # last start whose target (start + 12M) is inside the data: 2023-12-29 -> 2024-12-29 (a Sunday),
    # which ends at the session before it; 2024-01-01 + 12M = 2025-01-01 is past the data
    assert pp12["last_window"] == {"start": "2023-12-29", "end": "2024-12-27"}
    dds = rep["drawdowns"]
    assert 1 <= len(dds) <= 5 and dds[0]["depth"] == rep["max_drawdown"]
    assert [d["depth"] for d in dds] == sorted(d["depth"] for d in dds)
    for d in dds:
        assert d["recovery"] == "not recovered" or pd.Timestamp(d["recovery"]) > pd.Timestamp(d["peak"])


def test_report_is_stable_json(prices):
    rep = stats_report(prices, start="2023-06-01", end="2024-03-29")
    text = json.dumps(rep, allow_nan=False)
    assert json.dumps(stats_report(prices, start="2023-06-01", end="2024-03-29"), allow_nan=False) == text
    for v in _walk(rep):
        assert v is None or isinstance(v, (str, int, float, bool))
        if isinstance(v, float):
            assert math.isfinite(v) and float(f"{v:.12g}") == v
    assert rep["start"] == "2023-06-01" and rep["end"] == "2024-03-29"
    # ten months of data: no 12-month window fits, so that key is left out
    assert set(rep["profit_probability"]) == {"1M", "3M", "6M"}


def test_flat_series_gives_none_not_nan():
    s = pd.Series(1.0, index=pd.bdate_range("2024-01-02", periods=30))
    rep = stats_report(s)
    assert rep["sharpe"] is None and rep["volatility_annual"] == 0.0 and rep["drawdowns"] == []
    assert rep["profit_probability"]["1M"]["probability"] == 0.0
    json.dumps(rep, allow_nan=False)


@pytest.mark.parametrize("values, dates, match", [
    ([1.0, np.nan, 2.0], None, r"missing \(NaN\) on 2024-01-03 \(row 1\)"),
    ([1.0, 0.0, 2.0], None, r"price is zero \(0\) on 2024-01-03"),
    ([1.0, -3.0, 2.0], None, r"price is negative \(-3\) on 2024-01-03"),
    ([1.0, 2.0, 3.0], ["2024-01-02", "2024-01-04", "2024-01-03"], r"not sorted: 2024-01-03 comes after 2024-01-04"),
    ([1.0, 2.0, 3.0], ["2024-01-02", "2024-01-03", "2024-01-03"], r"duplicate date 2024-01-03 \(row 2\)"),
    ([1.0], ["2024-01-02"], r"at least 2 prices, got 1"),
])
def test_validation_errors(values, dates, match):
    idx = pd.DatetimeIndex(dates or ["2024-01-02", "2024-01-03", "2024-01-04"])
    with pytest.raises(DataError, match=match):
        stats_report(pd.Series(values, index=idx, name="X"))


@pytest.mark.parametrize("start, end, match", [
    ("2024-03-01", "2024-02-01", "start 2024-03-01 is after end 2024-02-01"),
    ("2022-12-01", None, r"start 2022-12-01 is before the first date in the data \(2023-01-03\)"),
    (None, "2025-02-01", r"end 2025-02-01 is after the last date in the data \(2024-12-31\)"),
    ("2024-12-31", None, "only 1 price"),
    ("yesterday-ish", None, "start 'yesterday-ish' is not a date"),
])
def test_date_errors(prices, start, end, match):
    with pytest.raises(DataError, match=match):
        stats_report(prices, start=start, end=end)


def test_input_not_modified(prices):
    before = prices.copy()
    stats_report(prices, start="2023-03-01")
    pd.testing.assert_series_equal(prices, before)


def test_compare_uses_common_dates(prices):
    short = prices["2023-07-03":"2024-06-28"] * 2
    rows = compare_reports({"a": prices, "b": short})
    assert [r["name"] for r in rows] == ["a", "b"]
    assert rows[0]["start"] == rows[1]["start"] == "2023-07-03"
    assert rows[0]["end"] == rows[1]["end"] == "2024-06-28"
    # b is a scaled copy of a over the same dates: same returns
    assert rows[0]["total_return"] == rows[1]["total_return"]
    assert rows[0]["profit_probability_6m"] == rows[1]["profit_probability_6m"] is not None
    with pytest.raises(DataError, match="no dates in common"):
        compare_reports({"a": prices["2023"], "b": prices["2024"]})


# ------------------------------------------------------------------ CSV
def test_read_csv_utf8_bom_and_thousands(tmp_path):
    f = tmp_path / "fund.csv"
    f.write_bytes('\ufeffdate,close,volume\n2024-01-02,"1,234.50",10\n2024-01-03,"1,240.00",11\n'.encode("utf-8"))
    s = read_price_series(f)
    assert s.name == "fund" and s.tolist() == [1234.5, 1240.0]
    assert s.index.tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]


def test_read_csv_gbk_chinese_headers_and_nav(tmp_path):
    f = tmp_path / "nav.csv"
    f.write_bytes("净值日期,单位净值\n2024/01/02,1.0012\n2024/01/03,1.0050\n".encode("gbk"))
    s = read_price_series(f)
    assert s.tolist() == [1.0012, 1.005]
    g = tmp_path / "nav2.csv"
    g.write_text("Date , NAV\n20240102,1.5\n20240103,1.6\n", encoding="utf-8")
    assert read_price_series(g).tolist() == [1.5, 1.6]


def test_read_csv_errors(tmp_path):
    f = tmp_path / "typo.csv"
    f.write_text("Date,clsoe\n2024-01-02,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing column 'close' \(or 'nav'\).*did you mean 'clsoe'"):
        read_price_series(f)
    g = tmp_path / "nodate.csv"
    g.write_text("day,close\n2024-01-02,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column 'date'"):
        read_price_series(g)
    h = tmp_path / "unsorted.csv"
    h.write_text("date,close\n2024-01-03,1\n2024-01-02,2\n2024-01-04,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"unsorted.csv: dates are not sorted.*line 3"):
        read_price_series(h)
    k = tmp_path / "blank.csv"
    k.write_text("date,close\n2024-01-02,1\n2024-01-03,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing \(NaN\) on 2024-01-03 \(line 3\)"):
        read_price_series(k)
    with pytest.raises(DataError, match="no such file"):
        read_price_series(tmp_path / "absent.csv")


def test_validate_prices_returns_copy():
    s = pd.Series([1, 2], index=["2024-01-02", "2024-01-03"])
    out = validate_prices(s)
    assert isinstance(out.index, pd.DatetimeIndex) and out.dtype == np.float64
    assert s.index.tolist() == ["2024-01-02", "2024-01-03"]
