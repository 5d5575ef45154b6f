"""fetch_panel through the cache: hits skip the source, notes survive, a damaged entry is refetched."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aibt.data.cache import Cache, CacheWarning
from aibt.data.source_yfinance import YFinanceSource
from aibt.data.sources import fetch_panel

FIX = Path(__file__).parent / "fixtures" / "sources"
DOWNLOAD = pd.read_csv(FIX / "yf_download_6088.HK.csv", header=[0, 1], index_col=0, parse_dates=True)
FX = pd.DataFrame({"HKD": 0.91}, index=pd.date_range("2017-07-01", "2017-09-30"))


class Counting:
    def __init__(self):
        self.calls = 0

    def __call__(self, symbol, start, end):
        self.calls += 1
        return DOWNLOAD


def test_second_fetch_is_served_from_cache_with_the_same_panel(tmp_path):
    fake = Counting()
    src = YFinanceSource(fetcher=fake)
    cache = Cache(tmp_path)
    p1, r1 = fetch_panel(["6088.HK"], "2017-07-17", "2017-08-31", source=src, cache=cache, fx=FX)
    p2, r2 = fetch_panel(["6088.HK"], "2017-07-17", "2017-08-31", source=src, cache=cache, fx=FX)
    assert fake.calls == 1
    np.testing.assert_array_equal(p1.fields["close"], p2.fields["close"])
    assert p1.dates.equals(p2.dates) and p2.currency == ("HKD",)
    assert r2["6088.HK"].notes == r1["6088.HK"].notes and "no 'Adj Close'" in r2["6088.HK"].notes[0]
    np.testing.assert_allclose(p2.fx_to_cny, 0.91)
    assert cache.get(("yfinance", "6088.HK", "2017-07-17", "2017-08-31", "qfq")) is not None


def test_damaged_entry_is_refetched_not_used(tmp_path):
    fake = Counting()
    src = YFinanceSource(fetcher=fake)
    cache = Cache(tmp_path)
    key = ("yfinance", "6088.HK", "2017-07-17", "2017-08-31", "")
    fetch_panel(["6088.HK"], "2017-07-17", "2017-08-31", source=src, cache=cache, fx=FX, adjust="")
    path = cache.data_path(key)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(CacheWarning, match="6088.HK"):
        panel, report = fetch_panel(["6088.HK"], "2017-07-17", "2017-08-31", source=src, cache=cache, fx=FX,
                                    adjust="")
    assert fake.calls == 2 and report["6088.HK"].rows == 34
    assert panel.fields["close"][0, 0] == pytest.approx(3.2799739837646484)
