"""The snapshot's STAR-market candidate space (star_market.parquet) against the full bars."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aibt.data import snapshot
from aibt.loaders import star_ai_constituents

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "snapshot"


def test_table_is_the_whole_star_market_and_compact():
    mk = snapshot.load_star_market()
    assert list(mk.columns) == ["date", "symbol", "name", "industry", "list_date", "close", "close_sum",
                                "amount_sum", "sessions", "total_shares", "float_shares"]
    assert mk["symbol"].nunique() == 610 and mk["symbol"].str.match(r"^68[89]\d{3}$").all()
    assert not mk.duplicated(["symbol", "date"]).any()
    assert mk["date"].min() >= pd.Timestamp("2021-01-01") and mk["date"].max() == pd.Timestamp("2026-05-28")
    assert ((mk["sessions"] >= 1) & (mk["sessions"] <= 23)).all() and (mk["close"] > 0).all()
    assert (SNAPSHOT / "star_market.parquet").stat().st_size < 600_000
    prov = snapshot.provenance()["star_market"]
    assert prov["symbols"] == 610 and prov["no_bars"] == []
    early = snapshot.load_star_market(end="2024-12-31")
    assert pd.DatetimeIndex(early["date"]).to_period("M").nunique() == 48


def test_every_member_of_a_rebuilt_review_has_full_bars():
    table = star_ai_constituents()
    assert set(table["code"]) <= set(snapshot.symbols())
    # an end past the data builds no review past it (688795 / 688802, GPU makers listed 2025-12, would enter
    # in June 2026 and have no bars)
    late = star_ai_constituents(end="2026-12-01")
    assert late["effective_date"].max() == table["effective_date"].max() == pd.Timestamp("2026-03-16")


def test_monthly_sums_agree_with_the_bars():
    mk = snapshot.load_star_market()
    for code in ("688256", "688111", "688595"):
        bars = snapshot.load_snapshot([code], start="2023-01-01", end="2026-04-30")
        px = bars.frame("close")[code].dropna()
        month_end = px.groupby(px.index.to_period("M")).last()
        mine = mk[(mk["symbol"] == code) & (mk["date"] >= "2023-01-01") & (mk["date"] <= "2026-04-30")]
        mine = mine.set_index(pd.DatetimeIndex(mine["date"]).to_period("M"))
        # same monthly returns (Yahoo vs the snapshot's stitched Tushare-first closes) within 1.5 %
        r_mine = np.log(mine["close"]).diff().dropna()
        r_bars = np.log(month_end.reindex(mine.index)).diff().dropna()
        assert (r_mine - r_bars).abs().max() < 0.015, code
        # traded amount: Yahoo close x volume vs the snapshot's amount, within 5 % per month, to 2025-12 (the
        # bars' 688256 amount from 2026-02 uses an inferred share event placed mid-interval, 1.49x too low)
        amt = bars.frame("amount")[code]
        amt_m = amt.groupby(amt.index.to_period("M")).sum().reindex(mine.index)
        ratio = (mine["amount_sum"] / amt_m - 1).abs().loc[:"2025-12"]
        assert (ratio < 0.05).mean() > 0.95, code


def test_a_data_folder_without_the_table_falls_back_to_the_package(tmp_path):
    import shutil

    for name in ("bars.parquet", "securities.parquet"):
        shutil.copy(SNAPSHOT / name, tmp_path / name)
    package = snapshot.load_star_market()
    with snapshot.use_data_dir(tmp_path):
        pd.testing.assert_frame_equal(snapshot.load_star_market(), package)
        shutil.copy(SNAPSHOT / "star_market.parquet", tmp_path / "star_market.parquet")
        mine = snapshot.load_star_market(end="2022-12-31")  # the folder's own copy now
    assert mine["date"].max() <= pd.Timestamp("2022-12-31") and mine["symbol"].nunique() < 610
