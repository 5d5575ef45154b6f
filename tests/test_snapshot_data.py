"""The committed snapshot holds the real bars, with the known defects of the dumps repaired."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aibt.data.snapshot import load_snapshot, provenance, snapshot_info
from aibt.data.calendar import xshg_sessions

RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
needs_raw = pytest.mark.skipif(not RAW.is_dir(), reason="raw dumps not available")


def close(symbol):
    return load_snapshot(symbol).series(symbol, "close")


def returns(symbol):
    c = close(symbol)
    return c / c.shift(1) - 1


def test_ranges_of_588790_300308_and_6088hk():
    info = snapshot_info().set_index("symbol")
    assert (str(info.loc["588790", "first"].date()), str(info.loc["588790", "last"].date())) == ("2025-01-09", "2026-05-07")
    assert (str(info.loc["300308", "first"].date()), str(info.loc["300308", "last"].date())) == ("2019-01-02", "2026-05-28")
    assert (str(info.loc["6088.HK", "first"].date()), str(info.loc["6088.HK", "last"].date())) == ("2019-01-02", "2025-10-30")
    assert info.loc["6088.HK", "currency"] == "HKD"


def test_300308_yahoo_misdated_split_is_not_a_crash_and_traded_prices_step_on_the_real_ex_date():
    p = load_snapshot("300308", "2024-04-25", "2024-06-12")
    c = p.series("300308")
    r = c.loc["2024-05-06"] / c.loc["2024-04-30"] - 1
    assert -0.05 < r < 0.0              # Tushare: -1.65 %; Yahoo showed -29.8 % (its misdated 10-for-4)
    traded = pd.Series(p.fields["traded_close"][:, 0], index=p.dates).dropna()
    assert traded.loc["2024-04-30"] / traded.loc["2024-05-06"] == pytest.approx(1 + 0.0165, rel=0.003)
    # the 10-for-4 went ex on 2024-06-06 (baostock VWAP 169.9 -> 126.7): the traded price steps there
    assert traded.loc["2024-06-05"] / traded.loc["2024-06-06"] == pytest.approx(167.5 / 125.42)
    flags = provenance()["symbols"]["300308"]["source_flags"]
    assert {"date": "2024-05-06", "kind": "unadjusted_split", "source": "nolan"} in [
        {k: f[k] for k in ("date", "kind", "source")} for f in flags]


@needs_raw
@pytest.mark.parametrize("symbol,day", [("688041", "2024-01-15"), ("688041", "2024-07-05"), ("688256", "2024-07-05")])
def test_nolan_stale_days_carry_the_real_return(symbol, day):
    lyh = pd.read_csv(RAW / "LYH-RAIN_StockTradebyZ_5b936a3" / "data" / f"{symbol}.csv", index_col="date",
                      parse_dates=True)["close"]
    ref = lyh / lyh.shift(1) - 1
    r = returns(symbol)
    assert r.loc[day] == pytest.approx(ref.loc[day], abs=2e-4)
    assert abs(r.loc[day]) > 1e-3     # not a repeated close
    flagged = [f for f in provenance()["symbols"][symbol]["source_flags"] if f["kind"] == "stale_bar"]
    assert day in {f["date"] for f in flagged}


def test_no_move_beyond_the_board_limit_outside_listing_sessions():
    prov = provenance()["symbols"]
    p = load_snapshot()
    for j, s in enumerate(p.symbols):
        board = prov[s]["board"]
        if board in ("index", "hk"):
            continue
        c = pd.Series(p.fields["close"][:, j], index=p.dates).dropna()
        r = (c / c.shift(1) - 1).iloc[1:]
        lim = pd.Series(0.20 if board in ("star", "etf", "chinext") else 0.10, index=r.index)
        if board == "chinext":
            lim[r.index < "2020-08-24"] = 0.10
        listing = prov[s]["list_date"]
        if listing and pd.Timestamp(listing) >= c.index[0]:
            r = r.iloc[5:]                    # first 5 sessions after listing have no limit
            lim = lim.iloc[5:]
        over = r[r.abs() > lim + 0.006]
        kept = {x["date"] for x in prov[s]["limit_breaches_kept"]}
        assert set(over.index.strftime("%Y-%m-%d")) <= kept, (s, over)
        assert kept == set(), (s, kept)


def test_588790_split_is_adjusted_and_raw_price_doubles_before():
    p = load_snapshot("588790")
    c = p.series("588790")
    assert (str(c.index[0].date()), str(c.index[-1].date())) == ("2025-01-09", "2026-05-07")
    r = c / c.shift(1) - 1
    assert abs(r.loc["2025-03-19"]) < 0.02
    assert r.abs().max() < 0.20 + 0.006
    af = pd.Series(p.fields["adj_factor"][:, 0], index=p.dates).dropna()
    assert (af[af.index < "2025-03-19"] == 2.0).all() and (af[af.index >= "2025-03-19"] == 1.0).all()
    assert c.loc["2025-03-19"] == pytest.approx(0.641)   # exchange-style close seen in raw ETF dumps
    assert c.loc["2025-08-29"] == pytest.approx(0.856)
    assert p.raw("close")[p.dates.get_loc(pd.Timestamp("2025-01-09")), 0] == pytest.approx(1.028)


@needs_raw
def test_last_close_is_the_real_price_and_raw_matches_the_unadjusted_dump():
    p = load_snapshot("300308", "2024-07-19", "2026-05-28")
    raw = pd.Series(p.raw("close")[:, 0], index=p.dates)
    assert raw.loc["2026-05-07"] == pytest.approx(877.47, abs=0.005)     # qb, qfq as of its last day
    assert p.series("300308").iloc[-1] == pytest.approx(1197.99, abs=0.005)
    sw = pd.read_csv(RAW / "suiwenfeng_stock_unadjusted" / "300308.csv", dtype={"日期": str})
    sw = pd.Series(sw["收盘价"].to_numpy(float), index=pd.to_datetime(sw["日期"]))
    common = sw.index.intersection(raw.dropna().index)
    assert len(common) > 150
    np.testing.assert_allclose(raw.loc[common], sw.loc[common], rtol=1e-9)


def test_suspended_days_are_missing_and_not_tradable():
    p = load_snapshot("688521", "2025-08-25", "2025-09-16")
    t = pd.Series(p.tradable[:, 0], index=p.dates)
    assert not t.loc["2025-08-29":"2025-09-11"].any()
    assert t.loc["2025-08-25":"2025-08-28"].all() and t.loc["2025-09-12":].all()
    assert np.isnan(p.fields["close"][~p.tradable]).all()


def test_volume_in_shares_and_amount_flags():
    p = load_snapshot("300308", "2025-05-20", "2025-05-23")
    # suiwenfeng (shares, CNY) on 2025-05-23 for 300308: volume ~ amount / price
    v = p.fields["volume"][:, 0]
    a = p.fields["amount"][:, 0]
    px = p.raw("close")[:, 0]
    assert np.all((a / (v * px) > 0.95) & (a / (v * px) < 1.05))
    amt = provenance()["symbols"]["588790"]["amount"]
    assert amt["estimated_rows"] == 317 and amt["real_rows"] == {}


def test_sessions_axis_and_cross_check_stats():
    p = load_snapshot(["000688", "6088.HK"], "2024-01-01", "2024-12-31")
    assert p.dates.equals(xshg_sessions("2024-01-01", "2024-12-31"))
    cc = provenance()["symbols"]["300308"]["cross_check"]
    assert cc["tushare_lyh"]["days_over_0.5pct"] == 0 and cc["tushare_lyh"]["days"] > 400
    assert cc["nolan"]["days"] > 1500
