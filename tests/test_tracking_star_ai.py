"""The rebuilt STAR AI index on the embedded snapshot, user constituent files, and the ETFs that track it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.data import snapshot
from aibt.errors import DataError, UniverseError
from aibt.loaders import star_ai_constituents, star_ai_index
from aibt.results.tracking import tracking_report
from aibt.strategies.star_ai_index import DEPARTURES
from aibt.tracking import etf_close, etf_peer_table
from aibt.universes.etfs import etfs_tracking


@pytest.fixture(scope="module")
def table():
    return star_ai_constituents()


@pytest.fixture(scope="module")
def level(table):
    return star_ai_index(constituents=table)


def test_constituent_table_is_point_in_time_and_capped(table):
    assert list(table.columns[:4]) == ["effective_date", "code", "weight", "source"]
    assert set(table["source"]) == {"rules"}
    g = table.groupby("effective_date")["weight"]
    assert (g.sum() - 1).abs().max() < 1e-12 and g.max().max() <= 0.10 + 1e-9
    eff = pd.DatetimeIndex(table["effective_date"].unique())
    assert eff.min() <= pd.Timestamp("2022-12-30") < eff[1]  # the base date is covered by a review
    assert pd.Timestamp("2025-06-16") in eff


def test_level_is_1000_on_the_base_date_and_independent_of_start(level):
    assert level.index[0] == pd.Timestamp("2022-12-30") and level.iloc[0] == 1000.0
    assert level.name == "index" and level.notna().all() and (level > 0).all()
    late = star_ai_index(start="2025-01-09", end="2025-03-31")
    assert late.index[0] == pd.Timestamp("2025-01-09") and late.index[-1] == pd.Timestamp("2025-03-31")
    pd.testing.assert_series_equal(late, level.loc["2025-01-09":"2025-03-31"], rtol=1e-13)
    with pytest.raises(UniverseError, match="before the index base date"):
        star_ai_index(start="2022-06-01")


def test_level_between_reviews_is_the_fixed_holdings_value(table, level):
    # review effective 2025-06-16 (Monday): rebalanced at the 2025-06-13 close, then fixed holdings to the
    # next review (2025-09-15): L(t) / L(06-13) = sum_i w_i P_i(t) / P_i(06-13)
    rows = table[table["effective_date"] == "2025-06-16"]
    close = snapshot.load_snapshot(list(rows["code"]), start="2025-06-01", end="2025-09-12").frame("close").ffill()
    for day in ("2025-06-16", "2025-07-31", "2025-09-12"):
        rel = float((rows["weight"].to_numpy() * close.loc[day, rows["code"]].to_numpy()
                     / close.loc["2025-06-13", rows["code"]].to_numpy()).sum())
        assert level.loc[day] / level.loc["2025-06-13"] == pytest.approx(rel, rel=1e-12)


def test_588790_tracks_the_rebuilt_index(level):
    rep = tracking_report(etf_close("588790"), level)
    # measured on the snapshot: correlation 0.9943, TE 4.1 %/yr, TD -1.6 %/yr, beta 0.988 (before the locked-share
    # table: 0.9942, 4.1, -2.9, 0.984; the candidate-list rebuild before the STAR-market / theme-table one: 0.981,
    # 7.4 %/yr, -6.4 %/yr, 0.976)
    assert rep["start"] == "2025-01-09" and rep["n_days"] > 300
    assert rep["correlation"] >= 0.981
    assert 0.02 < rep["tracking_error_annual"] < 0.06
    assert 0.95 < rep["beta"] < 1.03
    assert -0.05 < rep["tracking_difference_annual"] < 0.0


def test_peer_table_covers_the_snapshot_etfs_on_950180(level):
    peers = etf_peer_table(index_level=level)
    have = set(snapshot.symbols())
    assert list(peers["code"]) == [c for c in etfs_tracking("950180") if c in have]
    assert len(peers) >= 10
    # every fund on the index follows the same rebuilt level (measured 0.977-0.986)
    assert (peers["correlation"] > 0.95).all()
    assert peers["beta"].between(0.85, 1.05).all()
    row = peers.set_index("code").loc["588790"]
    assert row["correlation"] == pytest.approx(tracking_report(etf_close("588790"), level)["correlation"])
    window = etf_peer_table(["588790", "589380"], index_level=level, start="2025-07-01", end="2025-12-31")
    assert list(window["start"]) == ["2025-07-01", "2025-07-01"] and list(window["end"]) == ["2025-12-31"] * 2
    with pytest.raises(UniverseError, match="588000 tracks 000688"):
        etf_peer_table(["588000"], index_level=level)


def user_file(tmp_path, rows):
    p = tmp_path / "official.csv"
    p.write_text("effective_date,code,weight\n" + "".join(f"{d},{c},{w}\n" for d, c, w in rows), encoding="utf-8")
    return p


def test_user_constituent_file_replaces_reviews_from_its_first_date(tmp_path, table, level):
    p = user_file(tmp_path, [("2025-03-17", "688256", 0.6), ("2025-03-17", "688111", 0.4),
                             ("2025-06-16", "688041", 1.0)])
    mine = star_ai_constituents(user_file=p)
    assert set(mine.loc[mine["effective_date"] < "2025-03-17", "source"]) == {"rules"}
    assert mine.loc[mine["effective_date"] >= "2025-03-17", ["code", "weight", "source"]].values.tolist() == [
        ["688111", 0.4, "user"], ["688256", 0.6, "user"], ["688041", 1.0, "user"]]
    lv = star_ai_index(constituents=mine)
    # before the file's first review the level is the rebuilt one
    pd.testing.assert_series_equal(lv.loc[:"2025-03-14"], level.loc[:"2025-03-14"], rtol=1e-13)
    close = snapshot.load_snapshot(["688256", "688111", "688041"], start="2025-03-01", end="2025-07-31"
                                   ).frame("close").ffill()
    ref = "2025-03-14"  # rebalanced at the close before 2025-03-17
    rel = 0.6 * close.loc["2025-05-30", "688256"] / close.loc[ref, "688256"] + \
        0.4 * close.loc["2025-05-30", "688111"] / close.loc[ref, "688111"]
    assert lv.loc["2025-05-30"] / lv.loc[ref] == pytest.approx(rel, rel=1e-12)
    # from 2025-06-16 the index is 688041 alone
    r = lv.loc["2025-06-13":"2025-07-31"].pct_change().iloc[1:]
    r41 = close["688041"].loc["2025-06-13":"2025-07-31"].pct_change().iloc[1:]
    assert len(r) == len(r41) == 34
    np.testing.assert_allclose(r.to_numpy(), r41.to_numpy(), rtol=1e-10, atol=1e-13)


def test_bad_user_files_name_the_problem(tmp_path):
    with pytest.raises(UniverseError, match="sum to 0.9"):
        star_ai_constituents(user_file=user_file(tmp_path, [("2025-03-17", "688256", 0.9)]))
    with pytest.raises(UniverseError, match="688999"):
        star_ai_constituents(user_file=user_file(tmp_path, [("2025-03-17", "688999", 1.0)]))
    no_prices = star_ai_constituents(user_file=user_file(tmp_path, [("2025-03-17", "950180", 1.0)]))
    with pytest.raises(DataError, match=r"\['950180'\] are not in the embedded snapshot"):
        star_ai_index(constituents=no_prices)


def test_departures_are_stated():
    text = DEPARTURES.lower()
    for phrase in ("free float", "banding", "classification", "fewer than 30", "total-return proxy",
                   "user's own constituent file"):
        assert phrase in text
