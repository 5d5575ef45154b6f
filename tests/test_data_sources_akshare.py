"""akshare adapter against fixtures shaped exactly as akshare 1.19.5 returns them, and its failures."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from aibt.data.retry import RetryPolicy
from aibt.data.source_akshare import AkshareSource, classify
from aibt.data.sources import SCHEMA, available_sources, fetch_panel, get_source
from aibt.errors import DataError, SourceError

FIX = Path(__file__).parent / "fixtures" / "sources"


def ak_frame(name: str, date_objects: bool) -> pd.DataFrame:
    """A fixture as akshare hands it over: 日期 as datetime.date (stock) or str (ETF/index)."""
    df = pd.read_csv(FIX / name, dtype={"股票代码": str, "日期": str})
    if date_objects:
        df["日期"] = pd.to_datetime(df["日期"]).dt.date
    for c in df.columns[df.columns.get_loc("开盘"):]:
        df[c] = pd.to_numeric(df[c]).astype("float64")
    return df


QFQ = ak_frame("akshare_stock_300308_qfq.csv", True)
RAW = ak_frame("akshare_stock_300308_raw.csv", True)
ETF = ak_frame("akshare_etf_588790.csv", False)
IDX = ak_frame("akshare_index_000688.csv", False)


class FakeEastmoney:
    """Behaves like the akshare call: filters by start_date/end_date, records every call."""

    def __init__(self, by_adjust: dict[str, pd.DataFrame], failures: list[BaseException] | None = None):
        self.by_adjust = by_adjust
        self.failures = list(failures or [])
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        if self.failures:
            raise self.failures.pop(0)
        df = self.by_adjust[kwargs.get("adjust", "")]
        d = pd.to_datetime(df["日期"].astype(str))
        keep = (d >= pd.Timestamp(kwargs["start_date"])) & (d <= pd.Timestamp(kwargs["end_date"]))
        return df[keep].reset_index(drop=True)


def no_sleep_policy(sleeps: list[float], attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base_delay=1.0, jitter=0.0, sleep=sleeps.append)


def test_fixture_has_akshare_shape():
    assert list(QFQ.columns) == ["日期", "股票代码", "开盘", "收盘", "最高", "最低", "成交量", "成交额",
                                 "振幅", "涨跌幅", "涨跌额", "换手率"]
    assert isinstance(QFQ["日期"].iloc[0], dt.date)
    assert list(ETF.columns) == ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅",
                                 "涨跌幅", "涨跌额", "换手率"]


@pytest.mark.parametrize("symbol,kind,code", [
    ("300308", "stock", "300308"), ("688256", "stock", "688256"), ("000001", "stock", "000001"),
    ("588790", "etf", "588790"), ("159819", "etf", "159819"), ("sh000688", "index", "000688"),
    ("950180", "index", "950180"), ("sz399006", "index", "399006"), ("csi931071", "index", "931071"),
    ("600183.SH", "stock", "600183"),
])
def test_classify(symbol, kind, code):
    assert classify(symbol) == (kind, code)


def test_classify_rejects_non_codes():
    with pytest.raises(SourceError, match="'AAPL' is not an A-share code"):
        classify("AAPL")


def test_stock_qfq_has_adj_factor_from_unadjusted_fetch():
    fake = FakeEastmoney({"qfq": QFQ, "": RAW})
    src = AkshareSource(stock_hist=fake, retry=no_sleep_policy([]))
    out = src.fetch("300308", "2024-07-22", "2024-08-30", "qfq")
    assert list(out.columns) == list(SCHEMA)
    assert len(out) == 30
    assert [c["adjust"] for c in fake.calls] == ["qfq", ""]
    assert fake.calls[0] == dict(symbol="300308", period="daily", start_date="20240722",
                                 end_date="20240830", adjust="qfq")
    first = out.iloc[0]
    assert first["date"] == pd.Timestamp("2024-07-22")
    assert first["close"] == 133.92 and first["open"] == 133.33
    assert first["volume"] == 206271 * 100  # lots -> shares
    assert first["amount"] == 2777150119.0
    assert first["adj_factor"] == pytest.approx(134.6 / 133.92, rel=1e-12)
    # raw = adjusted * adj_factor reproduces the unadjusted closes exactly
    np.testing.assert_allclose(out["close"] * out["adj_factor"], RAW["收盘"], rtol=1e-12)
    assert out["adj_factor"].between(1.0050, 1.0051).all()
    assert out["currency"].eq("CNY").all()
    assert out.attrs.get("notes", []) == []


def test_unadjusted_request_has_factor_one_and_one_call():
    fake = FakeEastmoney({"": RAW})
    out = AkshareSource(stock_hist=fake).fetch("300308", "2024-08-01", "2024-08-09", "")
    assert len(fake.calls) == 1 and fake.calls[0]["adjust"] == ""
    assert out["adj_factor"].eq(1.0).all()
    assert out["date"].iloc[0] == pd.Timestamp("2024-08-01") and out["date"].iloc[-1] == pd.Timestamp("2024-08-09")
    assert out["close"].tolist() == RAW.loc[(RAW["日期"] >= dt.date(2024, 8, 1)) & (RAW["日期"] <= dt.date(2024, 8, 9)),
                                            "收盘"].tolist()


def test_unadjusted_fetch_failing_leaves_factor_one_and_says_so():
    sleeps: list[float] = []
    timeouts = [requests.exceptions.Timeout("read timed out")] * 2

    class QfqThenTimeouts(FakeEastmoney):
        def __call__(self, **kwargs):
            if kwargs["adjust"] == "":
                self.calls.append(kwargs)
                raise timeouts[0]
            return super().__call__(**kwargs)

    fake = QfqThenTimeouts({"qfq": QFQ})
    out = AkshareSource(stock_hist=fake, retry=no_sleep_policy(sleeps, attempts=2)).fetch(
        "300308", "2024-07-22", "2024-08-30")
    assert out["adj_factor"].eq(1.0).all()
    assert out["close"].iloc[0] == 133.92
    (note,) = out.attrs["notes"]
    assert "adj_factor unknown" in note and "Timeout" in note and "300308" in note
    assert sleeps == [1.0]


def test_etf_volume_in_shares_and_amount_nan():
    fake = FakeEastmoney({"qfq": ETF, "": ETF})
    out = AkshareSource(etf_hist=fake).fetch("588790", "2025-01-10", "2025-02-28")
    assert fake.calls[0]["symbol"] == "588790"
    assert out["volume"].iloc[0] == 903928 * 100
    assert out["close"].iloc[0] == 0.508
    assert out["amount"].isna().all()
    assert out["adj_factor"].eq(1.0).all()


def test_index_uses_index_call_without_adjust():
    fake = FakeEastmoney({"": IDX})
    out = AkshareSource(index_hist=fake).fetch("sh000688", "2024-07-22", "2024-08-30", "qfq")
    assert fake.calls == [dict(symbol="000688", period="daily", start_date="20240722", end_date="20240830")]
    assert out["symbol"].eq("sh000688").all()
    assert out["close"].iloc[0] == 752.0 and out["amount"].iloc[0] == 20925021652.0
    assert out["adj_factor"].eq(1.0).all()


def test_transient_timeouts_are_retried_with_backoff():
    sleeps: list[float] = []
    fake = FakeEastmoney({"": RAW}, failures=[requests.exceptions.Timeout("t1"),
                                              requests.exceptions.ConnectionError("reset")])
    out = AkshareSource(stock_hist=fake, retry=no_sleep_policy(sleeps)).fetch("300308", "2024-07-22", "2024-08-30", "")
    assert len(out) == 30
    assert len(fake.calls) == 3
    assert sleeps == [1.0, 2.0]


def test_persistent_connection_error_names_symbol_and_source():
    sleeps: list[float] = []
    fake = FakeEastmoney({"": RAW}, failures=[requests.exceptions.ConnectionError("Max retries exceeded")] * 10)
    with pytest.raises(SourceError, match=r"akshare stock_zh_a_hist failed for 300308 after 4 attempt\(s\)"):
        AkshareSource(stock_hist=fake, retry=no_sleep_policy(sleeps)).fetch("300308", "2024-07-22", "2024-08-30", "")
    assert len(fake.calls) == 4 and sleeps == [1.0, 2.0, 4.0]


def test_non_transient_error_is_not_retried():
    # eastmoney answers {"data": null} for an unknown secid: akshare then fails with TypeError
    fake = FakeEastmoney({"": RAW}, failures=[TypeError("'NoneType' object is not subscriptable")])
    with pytest.raises(SourceError, match="failed for 300308 after 1 attempt"):
        AkshareSource(stock_hist=fake, retry=no_sleep_policy([])).fetch("300308", "2024-07-22", "2024-08-30", "")
    assert len(fake.calls) == 1


def test_empty_frame_is_a_clear_error():
    fake = FakeEastmoney({"": pd.DataFrame()})
    fake.by_adjust[""] = RAW.iloc[0:0]
    with pytest.raises(SourceError, match="returned no rows for 300308 between 2024-07-22 and 2024-08-30"):
        AkshareSource(stock_hist=fake).fetch("300308", "2024-07-22", "2024-08-30", "")


def test_changed_column_names_name_the_closest():
    renamed = RAW.rename(columns={"收盘": "收盘价", "成交量": "volume"})
    fake = FakeEastmoney({"": renamed})
    with pytest.raises(SourceError) as err:
        AkshareSource(stock_hist=fake).fetch("300308", "2024-07-22", "2024-08-30", "")
    msg = str(err.value)
    assert "300308" in msg and "'收盘' (closest: '收盘价')" in msg and "'成交量'" in msg


def test_bad_bar_from_source_names_date():
    broken = RAW.copy()
    broken.loc[3, "最低"] = 200.0  # low above high
    with pytest.raises(SourceError, match=r"akshare data for 300308: high .* < low 200.0 on 2024-07-25"):
        AkshareSource(stock_hist=FakeEastmoney({"": broken})).fetch("300308", "2024-07-22", "2024-08-30", "")


def test_registry_builds_akshare_and_rejects_typos():
    assert {"akshare", "yfinance", "files"} <= set(available_sources())
    assert isinstance(get_source("akshare"), AkshareSource)
    with pytest.raises(SourceError, match="unknown source 'akshar' \\(did you mean 'akshare'\\?\\)"):
        get_source("akshar")


def test_default_callables_are_the_real_akshare_functions():
    src = AkshareSource()
    assert [f.__name__ for f in src._calls.values()] == ["stock_zh_a_hist", "fund_etf_hist_em", "index_zh_a_hist"]


# ------------------------------------------------------------------------------- fetch_panel
def test_fetch_panel_keeps_good_symbols_and_reports_failures_and_partials():
    stock = FakeEastmoney({"qfq": QFQ, "": RAW})
    late_start = IDX[IDX["日期"] >= "2024-08-12"].reset_index(drop=True)
    index = FakeEastmoney({"": late_start})
    etf = FakeEastmoney({"qfq": ETF}, failures=[requests.exceptions.Timeout("timed out")] * 5)
    src = AkshareSource(stock_hist=stock, etf_hist=etf, index_hist=index, retry=no_sleep_policy([], attempts=2))
    panel, report = fetch_panel(["300308", "588790", "sh000688"], "2024-07-22", "2024-08-30", source=src)
    assert panel.symbols == ("300308", "sh000688")
    assert panel.shape == (30, 2)
    assert report["300308"].status == "ok" and report["300308"].rows == 30
    assert report["588790"].status == "failed"
    assert "588790" in report["588790"].error and "Timeout" in report["588790"].error
    assert report["sh000688"].status == "partial"
    assert report["sh000688"].first == pd.Timestamp("2024-08-12")
    assert any("21 days after the requested 2024-07-22" in n for n in report["sh000688"].notes)
    j = panel.column("300308")
    np.testing.assert_allclose(panel.raw("close")[:, j], RAW["收盘"].to_numpy(), rtol=1e-12)
    assert np.isnan(panel.fields["close"][0, panel.column("sh000688")])
    assert panel.currency == ("CNY", "CNY")


def test_fetch_panel_all_failed_lists_each():
    src = AkshareSource(stock_hist=FakeEastmoney({"": RAW.iloc[0:0]}))
    with pytest.raises(SourceError, match="no symbol returned data: 300308: failed"):
        fetch_panel(["300308"], "2024-07-22", "2024-08-30", source=src, adjust="")


def test_fetch_panel_rejects_bad_arguments():
    src = AkshareSource(stock_hist=FakeEastmoney({"": RAW}))
    with pytest.raises(DataError, match="start 2024-09-01 is after end 2024-08-01"):
        fetch_panel(["300308"], "2024-09-01", "2024-08-01", source=src)
    with pytest.raises(DataError, match="unknown adjust 'forward'"):
        fetch_panel(["300308"], "2024-07-22", "2024-08-30", source=src, adjust="forward")
