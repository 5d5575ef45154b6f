"""The snapshot builder: detectors on hand-worked sources, and a rebuild that is byte-identical."""
from __future__ import annotations

import filecmp
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "data" / "snapshot"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_snapshot", ROOT / "scripts" / "build_snapshot.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_snapshot"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


B = _load_builder()


def src(dates, close, volume=1000.0, amount=np.nan):
    close = np.asarray(close, dtype=float)
    idx = pd.DatetimeIndex(pd.to_datetime(dates)).astype("datetime64[ns]")
    return pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
                         "volume": np.broadcast_to(np.asarray(volume, dtype=float), close.shape).copy(),
                         "amount": amount}, index=idx)


DATES = pd.bdate_range("2025-09-01", periods=6)
UNITS = {"tushare_r11": {"unit": 100.0}, "nolan": {"unit": 1.0}, "qb": {"unit": 100.0}}


def test_stale_close_and_catch_up_are_replaced_by_the_moving_source():
    tushare = src(DATES, [10, 10.5, 10.5, 11.2, 11.0, 11.1])          # day 3 repeats day 2, day 4 catches up
    nolan = src(DATES, [20, 21, 21.6, 22.4, 22.0, 22.2], volume=100000.0)
    log = B.SymbolLog()
    st, _ = B.stitch("300999", {"tushare_r11": tushare, "nolan": nolan}, UNITS, None, log)
    assert list(st.source) == ["tushare_r11", "tushare_r11", "nolan", "nolan", "tushare_r11", "tushare_r11"]
    ratio = st.bars["close"] / np.array([20, 21, 21.6, 22.4, 22.0, 22.2])
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # the returns are Nolan's on the bad days
    kinds = [(r["date"], r["kind"]) for r in log.repairs]
    assert kinds == [("2025-09-03", "stale_close"), ("2025-09-04", "stale_catch_up")]
    np.testing.assert_allclose(st.bars["volume"], [1e5] * 2 + [1e5] * 2 + [1e5] * 2)


def test_a_flat_close_two_sources_share_is_real():
    tushare = src(DATES, [10, 10.5, 10.5, 11.2, 11.0, 11.1])
    qb = src(DATES, [10, 10.5, 10.5, 11.2, 11.0, 11.1])
    nolan = src(DATES, [20, 21, 21.6, 22.4, 22.0, 22.2])
    log = B.SymbolLog()
    st, _ = B.stitch("300999", {"tushare_r11": tushare, "nolan": nolan, "qb": qb}, UNITS, None, log)
    assert set(st.source) == {"tushare_r11"}
    assert log.repairs == []


def test_move_beyond_limit_contradicted_by_others_is_repaired():
    tushare = src(DATES, [10, 10.2, 12.75, 12.8, 12.9, 13.0])          # +25% on a 10% board
    nolan = src(DATES, [10, 10.2, 10.4, 10.44, 10.52, 10.6])
    qb = src(DATES, [10, 10.2, 10.4, 10.44, 10.52, 10.6])
    log = B.SymbolLog()
    st, _ = B.stitch("600999", {"tushare_r11": tushare, "nolan": nolan, "qb": qb}, UNITS, None, log)
    r = st.bars["close"][1:] / st.bars["close"][:-1] - 1
    assert r[1] == pytest.approx(10.4 / 10.2 - 1, abs=1e-12)
    assert r[2] == pytest.approx(12.8 / 12.75 - 1, abs=1e-12)  # back on tushare from day 4
    assert [(x["date"], x["kind"]) for x in log.repairs] == [("2025-09-03", "limit_violation")]


def test_uncontradicted_big_move_is_kept_and_flagged():
    only = src(DATES, [10, 10.2, 12.75, 12.8, 12.9, 13.0])
    log = B.SymbolLog()
    st, _ = B.stitch("600999", {"tushare_r11": only}, UNITS, None, log)
    assert st.bars["close"][2] / st.bars["close"][1] == pytest.approx(1.25)
    assert [f["kind"] for f in log.source_flags] == ["unconfirmed_limit_move"]


def test_first_sessions_after_listing_have_no_limit():
    only = src(DATES, [10, 14, 12, 12.1, 12.2, 12.3])
    log = B.SymbolLog()
    B.stitch("688999", {"tushare_r11": only}, UNITS, pd.Timestamp(DATES[0]), log)
    assert log.source_flags == []


def test_unadjusted_split_is_detected_as_a_persistent_level_shift():
    dates = pd.bdate_range("2024-04-22", periods=16)
    base = 100 * np.cumprod(np.r_[1, np.full(15, 1.01)])
    tushare = src(dates, base)
    yahoo = base.copy()
    yahoo[8:] /= 1.4                       # 10-for-4 bonus not adjusted from day 9 on
    nolan = src(dates, yahoo)
    log = B.SymbolLog()
    srcs = {"tushare_r11": tushare, "nolan": nolan}
    st, _ = B.stitch("300999", srcs, UNITS, None, log)
    ev = B.detect_split_events("300999", srcs, st, log)
    assert ev == [{"date": str(dates[8].date()), "ratio": 1.4, "source": "nolan"}]
    one_day = src(dates, base)
    one_day.iloc[8, :4] /= 1.4             # a single bad bar that reverts the next day: no split
    assert B.detect_split_events("300999", {"tushare_r11": tushare, "nolan": one_day}, st, B.SymbolLog()) == []


def test_volume_units_from_amount_and_from_a_second_source():
    dates = pd.bdate_range("2024-01-01", periods=30)
    close = np.linspace(10, 12, 30)
    shares = np.linspace(1e6, 2e6, 30)
    sw = src(dates, close, volume=shares, amount=shares * close * 1.003)
    lots = src(dates, close, volume=shares / 100)
    u = B.resolve_volume_units("300999", {"suiwenfeng": sw, "tushare_r11": lots})
    assert u["suiwenfeng"]["unit"] == 1.0 and u["tushare_r11"]["unit"] == 100.0


def test_limits_by_board_and_date():
    d = pd.DatetimeIndex(["2020-08-21", "2020-08-24"])
    np.testing.assert_array_equal(B.limit_pct("300308", d), [0.10, 0.20])
    np.testing.assert_array_equal(B.limit_pct("688256", d), [0.20, 0.20])
    np.testing.assert_array_equal(B.limit_pct("600183", d), [0.10, 0.10])
    np.testing.assert_array_equal(B.limit_pct("588790", d), [0.20, 0.20])
    assert np.isnan(B.limit_pct("000688", d)).all() and np.isnan(B.limit_pct("6088.HK", d)).all()


@pytest.mark.skipif(not B.DEFAULT_RAW.is_dir(), reason="raw dumps not available")
def test_rebuild_is_byte_identical(tmp_path):
    B.build(B.DEFAULT_RAW, tmp_path)
    names = sorted(p.name for p in SNAPSHOT.iterdir() if p.suffix in (".parquet", ".json"))
    assert names == ["bars.parquet", "events.parquet", "provenance.json", "securities.parquet", "shares.parquet",
                     "star_market.parquet"]
    match, mismatch, errors = filecmp.cmpfiles(SNAPSHOT, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == [], f"rebuild differs: {mismatch} {errors}"
    assert sum((SNAPSHOT / n).stat().st_size for n in names) < 6_000_000
