"""yfinance adapter: both yfinance 1.7 frame shapes, adjustment, FX, rate limits, empty answers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError
from yfinance.utils import empty_df

from aibt.data.retry import RetryPolicy
from aibt.data.source_yfinance import YFinanceSource, currency_of, flatten, history
from aibt.data.sources import fetch_panel
from aibt.errors import SourceError

FIX = Path(__file__).parent / "fixtures" / "sources"
DOWNLOAD = pd.read_csv(FIX / "yf_download_6088.HK.csv", header=[0, 1], index_col=0, parse_dates=True)
INTERIM = pd.read_csv(FIX / "yf_interim_6088.HK.csv", index_col="Date", parse_dates=True)


def history_shape(frame: pd.DataFrame, adj_ratio: float) -> pd.DataFrame:
    """``Ticker.history(auto_adjust=False, actions=True)`` shape: tz-aware index, Adj Close, actions."""
    out = frame[["Open", "High", "Low", "Close", "Volume"]].copy()
    out.insert(4, "Adj Close", out["Close"] * adj_ratio)
    out["Dividends"] = 0.0
    out["Stock Splits"] = 0.0
    out.index = out.index.tz_localize("Asia/Hong_Kong")
    out.index.name = "Date"
    return out


class Fake:
    def __init__(self, frames: dict[str, pd.DataFrame], failures=()):
        self.frames, self.failures, self.calls = frames, list(failures), []

    def __call__(self, symbol, start, end):
        self.calls.append((symbol, start, end))
        if self.failures:
            raise self.failures.pop(0)
        return self.frames[symbol]


def policy(sleeps, attempts=4):
    return RetryPolicy(attempts=attempts, base_delay=0.5, jitter=0.0, sleep=sleeps.append)


def test_fixture_is_a_real_download_frame():
    assert isinstance(DOWNLOAD.columns, pd.MultiIndex)
    assert DOWNLOAD.columns.names == ["Price", "Ticker"]
    assert set(DOWNLOAD.columns.get_level_values("Ticker")) == {"6088.HK"}
    assert DOWNLOAD.index.name == "Date" and len(DOWNLOAD) == 40


def test_download_shape_is_auto_adjusted_so_factor_is_one_with_note():
    fake = Fake({"6088.HK": DOWNLOAD})
    out = YFinanceSource(fetcher=fake).fetch("6088.HK", "2017-07-17", "2017-08-31")
    assert fake.calls == [("6088.HK", pd.Timestamp("2017-07-17"), pd.Timestamp("2017-08-31"))]
    assert len(out) == 34 and out["date"].iloc[-1] == pd.Timestamp("2017-08-31")  # end inclusive
    assert out["close"].iloc[0] == pytest.approx(3.2799739837646484, rel=1e-15)
    assert out["high"].iloc[1] == pytest.approx(3.785318814590909, rel=1e-15)
    assert out["volume"].iloc[0] == 64727616
    assert out["currency"].eq("HKD").all() and out["amount"].isna().all()
    assert out["adj_factor"].eq(1.0).all()
    assert "no 'Adj Close'" in out.attrs["notes"][0]


def test_flat_interim_file_shape_gives_the_same_bars():
    a = YFinanceSource(fetcher=Fake({"6088.HK": DOWNLOAD})).fetch("6088.HK", "2017-07-17", "2017-09-30")
    b = YFinanceSource(fetcher=Fake({"6088.HK": INTERIM})).fetch("6088.HK", "2017-07-17", "2017-09-30")
    pd.testing.assert_frame_equal(a, b)


def test_history_shape_is_adjusted_with_factor_from_adj_close():
    frame = history_shape(INTERIM, adj_ratio=0.8)
    out = YFinanceSource(fetcher=Fake({"6088.HK": frame})).fetch("6088.HK", "2017-07-17", "2017-09-30", "qfq")
    assert out["date"].iloc[0] == pd.Timestamp("2017-07-17")  # tz dropped, session date kept
    np.testing.assert_allclose(out["close"], INTERIM["Close"] * 0.8, rtol=1e-12)
    np.testing.assert_allclose(out["open"], INTERIM["Open"] * 0.8, rtol=1e-12)
    np.testing.assert_allclose(out["adj_factor"], 1.25, rtol=1e-12)
    np.testing.assert_allclose(out["close"] * out["adj_factor"], INTERIM["Close"], rtol=1e-12)
    assert out.attrs.get("notes", []) == []
    raw = YFinanceSource(fetcher=Fake({"6088.HK": frame})).fetch("6088.HK", "2017-07-17", "2017-09-30", "")
    np.testing.assert_allclose(raw["close"], INTERIM["Close"], rtol=1e-12)
    assert raw["adj_factor"].eq(1.0).all()


def test_rate_limit_is_retried_then_succeeds():
    sleeps: list[float] = []
    fake = Fake({"6088.HK": DOWNLOAD}, failures=[YFRateLimitError(), YFRateLimitError()])
    out = YFinanceSource(fetcher=fake, retry=policy(sleeps)).fetch("6088.HK", "2017-07-17", "2017-08-31")
    assert len(out) == 34 and len(fake.calls) == 3
    assert sleeps == [0.5, 1.0]


def test_rate_limit_for_good_fails_naming_symbol():
    sleeps: list[float] = []
    fake = Fake({}, failures=[YFRateLimitError()] * 9)
    with pytest.raises(SourceError, match=r"yfinance failed for 6088.HK after 3 attempt\(s\): transient error "
                                          r"YFRateLimitError: Too Many Requests"):
        YFinanceSource(fetcher=fake, retry=policy(sleeps, attempts=3)).fetch("6088.HK", "2017-07-17", "2017-08-31")
    assert sleeps == [0.5, 1.0]


def test_swallowed_download_error_empty_frame_is_reported():
    # yf.download catches errors and returns utils.empty_df() reindexed under (Price, Ticker)
    empty = pd.concat({"6088.HK": empty_df()}, axis=1, names=["Ticker", "Price"]).swaplevel(0, 1, axis=1)
    with pytest.raises(SourceError, match="yfinance returned no rows for 6088.HK between 2017-07-17 and 2017-08-31"):
        YFinanceSource(fetcher=Fake({"6088.HK": empty})).fetch("6088.HK", "2017-07-17", "2017-08-31")


def test_wrong_ticker_in_multiindex_and_renamed_columns():
    with pytest.raises(SourceError, match=r"no ticker '0700.HK' \(tickers: \['6088.HK'\]\)"):
        YFinanceSource(fetcher=Fake({"0700.HK": DOWNLOAD})).fetch("0700.HK", "2017-07-17", "2017-08-31")
    renamed = INTERIM.rename(columns={"Close": "Last"})
    with pytest.raises(SourceError, match="missing column"):
        YFinanceSource(fetcher=Fake({"6088.HK": renamed})).fetch("6088.HK", "2017-07-17", "2017-08-31")


def test_currency_of_suffix():
    assert [currency_of(s) for s in ("6088.HK", "0700.hk", "NVDA", "600183.SS")] == ["HKD", "HKD", "USD", "CNY"]


def test_fx_and_fetch_panel_convert_hkd():
    dates = INTERIM.index[:40]
    rate = np.linspace(0.90, 0.94, len(dates))  # CNY per HKD, the shape of an HKDCNY=X download
    fx_frame = pd.concat({"HKDCNY=X": pd.DataFrame({"Close": rate, "High": rate, "Low": rate, "Open": rate,
                                                    "Volume": 0}, index=dates)},
                         axis=1, names=["Ticker", "Price"]).swaplevel(0, 1, axis=1)
    src = YFinanceSource(fetcher=Fake({"6088.HK": DOWNLOAD, "HKDCNY=X": fx_frame}))
    fx = src.fetch_fx("HKD", dates[0], dates[-1])
    assert list(fx.columns) == ["HKD"] and fx["HKD"].iloc[-1] == pytest.approx(0.94)
    panel, report = fetch_panel(["6088.HK"], "2017-07-17", "2017-09-08", source=src)
    assert report["6088.HK"].status == "ok"
    assert panel.currency == ("HKD",)
    np.testing.assert_allclose(panel.fx_to_cny[:, 0], rate[: panel.shape[0]], rtol=1e-12)
    with pytest.raises(SourceError, match="CNY needs no FX"):
        src.fetch_fx("CNY", "2017-07-17", "2017-08-31")


def test_default_fetcher_is_the_real_yfinance_call():
    assert YFinanceSource().fetcher is history
    assert flatten(INTERIM, "6088.HK").columns.tolist() == ["Close", "High", "Low", "Open", "Volume"]
