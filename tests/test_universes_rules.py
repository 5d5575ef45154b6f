"""Dated board rules, fees and compile_rules: hand-worked values at the rule changes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from aibt.errors import UniverseError
from aibt.universes import board_rules, fees
from aibt.universes.dated import Change, DatedTable
from aibt.universes.master import Security, SecurityMaster, security_master
from aibt.universes.trading_rules import TradingRules, compile_rules


def sec(code, board, listing, exchange="SSE", kind="stock", st=(), lot=None, currency="CNY"):
    return Security(code, code, exchange, board, currency, kind, pd.Timestamp(listing), lot, st)


def days(start, end):
    return pd.bdate_range(start, end)


def test_dated_table_lookup_and_start():
    t = DatedTable("t", (Change("2020-01-01", 1.0, "a"), Change("2020-01-03", 2.0, "b")))
    d = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-03", "2021-01-01"])
    assert t.lookup(d).tolist() == [1.0, 1.0, 2.0, 2.0]
    with pytest.raises(UniverseError, match="no rule known for 2019-12-31"):
        t.lookup(pd.DatetimeIndex(["2019-12-31"]))
    with pytest.raises(UniverseError, match="increasing"):
        DatedTable("bad", (Change("2020-01-03", 1.0, "a"), Change("2020-01-01", 2.0, "b")))


def test_star_first_five_sessions_unlimited():
    d = days("2024-09-20", "2024-10-11")  # axis with the 2024 National Day holiday days present as bdays
    s = sec("688615", "STAR", "2024-09-26")
    lim = board_rules.limit_pct(s, d)
    listed = d >= "2024-09-26"
    # the first five XSHG sessions from the listing (counted on the exchange calendar, not the axis)
    first5 = d.isin(pd.DatetimeIndex(["2024-09-26", "2024-09-27", "2024-09-30", "2024-10-08", "2024-10-09"]))
    assert np.isnan(lim[first5]).all()
    assert (lim[~np.isnan(lim)] == 0.20).all()
    assert np.isnan(lim[listed]).sum() == 5
    assert np.isnan(lim[~listed]).all()  # not listed yet: no limit applies
    assert board_rules.lot_size(s) == (200, 1)


def test_listing_before_axis_is_past_first_sessions():
    s = sec("688256", "STAR", "2020-07-20")
    assert (board_rules.limit_pct(s, days("2024-01-02", "2024-01-31")) == 0.20).all()


def test_chinext_reform_and_first_day():
    old = sec("300308", "ChiNext", "2012-04-10", exchange="SZSE")
    d = days("2020-08-20", "2020-08-26")
    assert board_rules.limit_pct(old, d).tolist() == [0.10, 0.10, 0.20, 0.20, 0.20]
    # listed 2020-08-24 (first registration batch): no limit for its first five sessions
    new = sec("300999", "ChiNext", "2020-08-24", exchange="SZSE")
    lim = board_rules.limit_pct(new, days("2020-08-24", "2020-09-01"))
    assert np.isnan(lim[:5]).all() and lim[5] == 0.20
    # listed before the reform (2019): 44% cap on the first day only
    pre = sec("300788", "ChiNext", "2019-07-01", exchange="SZSE")
    lim = board_rules.limit_pct(pre, days("2019-07-01", "2019-07-03"))
    assert lim.tolist() == [0.44, 0.10, 0.10]
    st_pre = sec("300001", "ChiNext", "2009-10-30", exchange="SZSE",
                 st=((pd.Timestamp("2020-01-01"), None),))
    assert board_rules.limit_pct(st_pre, days("2020-08-21", "2020-08-24")).tolist() == [0.05, 0.20]


def test_main_board_st_and_registration():
    st_sec = sec("600001", "Main", "2000-01-04", st=((pd.Timestamp("2024-01-02"), pd.Timestamp("2025-12-31")),))
    d = pd.DatetimeIndex(["2023-12-29", "2024-01-02", "2025-07-04", "2025-07-07", "2026-01-05"])
    assert board_rules.limit_pct(st_sec, d).tolist() == [0.10, 0.05, 0.05, 0.10, 0.10]
    reg = sec("603001", "Main", "2023-04-10")
    lim = board_rules.limit_pct(reg, days("2023-04-10", "2023-04-17"))
    assert np.isnan(lim[:5]).all() and lim[5] == 0.10
    legacy = sec("603002", "Main", "2023-03-01")
    assert board_rules.limit_pct(legacy, days("2023-03-01", "2023-03-02")).tolist() == [0.44, 0.10]
    assert board_rules.lot_size(reg) == (100, 100)


def test_etf_hk_index_limits():
    d = days("2025-03-03", "2025-03-05")
    assert (board_rules.limit_pct(sec("588790", "ETF", "2025-01-09", kind="etf"), d) == 0.20).all()
    assert (board_rules.limit_pct(sec("510300", "ETF", "2012-05-28", kind="etf"), d) == 0.10).all()
    hk = sec("6088.HK", "HK", "2017-07-13", exchange="HKEX", lot=1000, currency="HKD")
    assert np.isnan(board_rules.limit_pct(hk, d)).all()
    assert board_rules.lot_size(hk) == (1000, 1000)


def test_stamp_duty_changes():
    d = pd.DatetimeIndex(["2023-08-25", "2023-08-28", "2021-07-30", "2021-08-02", "2023-11-16", "2023-11-17"])
    buy, sell = fees.stamp_duty(sec("600183", "Main", "1998-10-28"), d)
    assert buy.tolist() == [0.0] * 6
    assert sell.tolist() == [0.001, 0.0005, 0.001, 0.001, 0.0005, 0.0005]
    hk = sec("6088.HK", "HK", "2017-07-13", exchange="HKEX", lot=1000, currency="HKD")
    hb, hs = fees.stamp_duty(hk, d)
    assert hs.tolist() == [0.0013, 0.0013, 0.001, 0.0013, 0.0013, 0.001]
    assert np.array_equal(hb, hs)
    eb, es = fees.stamp_duty(sec("588790", "ETF", "2025-01-09", kind="etf"), d)
    assert not eb.any() and not es.any()


def test_transfer_and_exchange_fees():
    d = pd.DatetimeIndex(["2015-07-31", "2015-08-03", "2022-04-28", "2022-04-29"])
    assert fees.transfer_fee(sec("600183", "Main", "1998-10-28"), d).tolist() == [2e-5, 2e-5, 2e-5, 1e-5]
    assert fees.transfer_fee(sec("688256", "STAR", "2020-07-20"), d).tolist() == [0, 0, 2e-5, 1e-5]
    assert fees.transfer_fee(sec("300308", "ChiNext", "2012-04-10", exchange="SZSE"), d).tolist() == [
        2.55e-5, 2e-5, 2e-5, 1e-5]
    assert not fees.transfer_fee(sec("588790", "ETF", "2025-01-09", kind="etf"), d).any()
    hk = sec("6088.HK", "HK", "2017-07-13", exchange="HKEX", lot=1000, currency="HKD")
    got = fees.exchange_fee(hk, pd.DatetimeIndex(["2021-12-31", "2022-01-03", "2023-01-03"]))
    np.testing.assert_allclose(got, [5e-5 + 2.7e-5, 5e-5 + 2.7e-5 + 1.5e-6, 5.65e-5 + 2.7e-5 + 1.5e-6], rtol=1e-12)
    assert not fees.exchange_fee(sec("600183", "Main", "1998-10-28"), d).any()


def test_compile_rules_shapes_and_values():
    d = pd.bdate_range("2023-08-24", "2023-08-29")
    syms = ["300308", "688256", "6088.HK", "588790", "000688", "600183"]
    r = compile_rules(d, syms)
    assert isinstance(r, TradingRules) and r.symbols == tuple(syms)
    assert r.lot_min.tolist() == [100, 200, 1000, 100, 1, 100]
    assert r.lot_step.tolist() == [100, 1, 1000, 100, 1, 100]
    assert r.is_etf.tolist() == [False, False, False, True, False, False]
    for a in (r.limit_pct, r.stamp_duty_buy, r.stamp_duty_sell, r.transfer_fee, r.exchange_fee):
        assert a.shape == (len(d), len(syms)) and a.dtype == np.float64
    assert r.limit_pct[0].tolist()[:2] == [0.20, 0.20] and np.isnan(r.limit_pct[0, 2])
    assert r.stamp_duty_sell[:, 0].tolist() == [0.001, 0.001, 0.0005, 0.0005]
    assert r.stamp_duty_buy[:, 2].tolist() == [0.0013] * 4
    assert (r.transfer_fee[:, 1] == 1e-5).all() and (r.transfer_fee[:, 3] == 0).all()


def test_compile_rules_errors():
    with pytest.raises(UniverseError, match="'688257'.*688256"):
        compile_rules(pd.bdate_range("2024-01-02", "2024-01-05"), ["688257"])
    with pytest.raises(UniverseError, match="increasing"):
        compile_rules(pd.DatetimeIndex(["2024-01-03", "2024-01-02"]), ["688256"])


@settings(max_examples=40, deadline=None)
@given(offset=st.integers(min_value=-30, max_value=60), n_days=st.integers(min_value=1, max_value=40))
def test_exactly_five_unlimited_sessions_when_listing_on_axis(offset, n_days):
    import exchange_calendars as xcals

    d = pd.bdate_range("2024-03-01", periods=40)
    listing = d[0] + pd.Timedelta(days=offset)
    master = SecurityMaster([sec("688999", "STAR", listing)])
    axis = d[:n_days]
    lim = compile_rules(axis, ["688999"], master).limit_pct[:, 0]
    # the first five sessions from the listing on the exchange calendar itself (independent of aibt)
    cal = xcals.get_calendar("XSHG")
    first5 = cal.sessions_in_range(listing, listing + pd.Timedelta(days=30))[:5].tz_localize(None)
    pre_listing = int((axis < listing).sum())
    expected = pre_listing + int(axis.isin(first5).sum())
    assert int(np.isnan(lim).sum()) == expected
    assert (lim[~np.isnan(lim)] == 0.20).all()


def test_axis_starting_before_listing_and_board():
    # STAR opened 2019-07-22: an axis from 2019-01-02 must still compile for a STAR name
    d = pd.bdate_range("2019-01-02", "2019-08-30")
    r = compile_rules(d, ["688008", "600183"])  # 澜起科技 listed 2019-07-22
    lim = r.limit_pct[:, 0]
    listed = np.asarray(d >= "2019-07-22")
    assert np.isnan(lim[~listed]).all() and np.isnan(lim[listed][:5]).all() and (lim[listed][5:] == 0.2).all()
    assert (r.stamp_duty_sell[~listed, 0] == 0).all() and (r.stamp_duty_sell[listed, 0] == 0.001).all()
    assert (r.limit_pct[:, 1] == 0.10).all()


def test_first_sessions_counted_on_the_calendar_from_listing_not_the_axis():
    # 688615 listed 2024-09-26; its first five sessions are 09-26, 09-27, 09-30, 10-08, 10-09 (National Day
    # holiday 10-01..10-07). A panel that starts on 2024-09-30 still has no limit on 09-30, 10-08, 10-09.
    s = sec("688615", "STAR", "2024-09-26")
    from aibt.universes.calendar import xshg_sessions

    d = xshg_sessions("2024-09-30", "2024-10-11")
    lim = board_rules.limit_pct(s, d)
    assert [x.strftime("%m-%d") for x in d] == ["09-30", "10-08", "10-09", "10-10", "10-11"]
    assert np.isnan(lim[:3]).all() and (lim[3:] == 0.20).all()
