"""Security master: the committed table covers every project symbol with consistent attributes."""
from __future__ import annotations

import pandas as pd
import pytest

from aibt.errors import UniverseError
from aibt.universes.master import Security, SecurityMaster, parse_st_periods, security_master

BASKETS = "300308 300502 300394 688498 688048 300548 688313 301486 300570 300913 6088.HK 300476 603228 002463 600183"
STAR_AI = ("688256 688041 688008 688111 688521 688099 688169 688608 688385 688327 688568 688088 688561 688615 "
           "688232 688225 688095 688031 688066 688159 688787 688023 688648 688589 688039 688152 "
           "688018 688047 688343 688220 688158 688207 688475 688400 688003")
ETFS = "588790 588930 588760 588730 589010 589520 589380 589110 589090 589560 589230 588000 588080 588050"
INDICES = "000688 000680 000300 950180"


def test_master_covers_all_project_symbols():
    m = security_master()
    for code in f"{BASKETS} {STAR_AI} {ETFS} {INDICES}".split():
        assert code in m, code
    assert len(m.codes) == len(set(m.codes))


@pytest.mark.parametrize("code,exchange,board,currency,kind", [
    ("300308", "SZSE", "ChiNext", "CNY", "stock"),
    ("688256", "SSE", "STAR", "CNY", "stock"),
    ("600183", "SSE", "Main", "CNY", "stock"),
    ("002463", "SZSE", "Main", "CNY", "stock"),
    ("588790", "SSE", "ETF", "CNY", "etf"),
    ("000688", "SSE", "Index", "CNY", "index"),
    ("6088.HK", "HKEX", "HK", "HKD", "stock"),
])
def test_attributes(code, exchange, board, currency, kind):
    s = security_master().get(code)
    assert (s.exchange, s.board, s.currency, s.kind) == (exchange, board, currency, kind)


def test_known_names_and_dates():
    m = security_master()
    assert m.get("300308").name == "中际旭创"
    assert m.get("300308").listing_date == pd.Timestamp("2012-04-10")
    assert m.get("688615").listing_date == pd.Timestamp("2024-09-26")
    assert m.get("588790").listing_date == pd.Timestamp("2025-01-09")  # first bar of the ETF's data
    assert m.get("000688").name == "科创50"
    assert m.get("6088.HK").hk_board_lot == 1000
    assert "ASSUMED" in m.get("6088.HK").source
    assert all(m.get(c).hk_board_lot is None for c in ("300308", "588790"))


def test_board_follows_code_prefix():
    t = security_master().table()
    stocks = t[(t["kind"] == "stock") & (t["currency"] == "CNY")]
    for code, board in zip(stocks["code"], stocks["board"]):
        expected = "STAR" if code.startswith("688") else "ChiNext" if code.startswith("30") else "Main"
        assert board == expected, code


def test_unknown_code_suggests_close_match():
    with pytest.raises(UniverseError, match=r"'300309'.*300308"):
        security_master().get("300309")


def test_st_periods_and_is_st():
    s = security_master().get("688066")  # *ST航图 in the 2026-05 snapshot
    dates = pd.DatetimeIndex(["2025-06-16", "2026-05-26", "2026-05-27"])
    assert s.is_st(dates).tolist() == [False, True, True]
    assert parse_st_periods("2020-01-02:2020-06-30;2021-01-04:") == (
        (pd.Timestamp("2020-01-02"), pd.Timestamp("2020-06-30")), (pd.Timestamp("2021-01-04"), None))
    with pytest.raises(UniverseError, match="START:END"):
        parse_st_periods("2020-01-02")


def test_validation_and_roundtrip(tmp_path):
    with pytest.raises(UniverseError, match="board 'Star'"):
        Security("688001", "x", "SSE", "Star", "CNY", "stock", "2020-01-01")
    with pytest.raises(UniverseError, match="hk_board_lot"):
        Security("0700.HK", "x", "HKEX", "HK", "HKD", "stock", "2004-06-16")
    with pytest.raises(UniverseError, match="duplicate"):
        a = Security("688001", "x", "SSE", "STAR", "CNY", "stock", "2020-01-01")
        SecurityMaster([a, a])
    path = tmp_path / "s.csv"
    security_master().table().assign(listing_date=lambda d: d["listing_date"].dt.date).to_csv(path, index=False)
    again = SecurityMaster.from_csv(path)
    assert again.codes == security_master().codes
    assert again.get("688066") == security_master().get("688066")
