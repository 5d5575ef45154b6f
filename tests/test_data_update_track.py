"""`aibt track` on a data folder with official 950180 levels, weights and 588790's NAV.

The fixture folder is the embedded snapshot plus tables in the layout `aibt data update` writes:
official levels = the ETF's real split-adjusted closes x a known deterministic wobble (so the ETF's
tracking error against them is known in advance), NAV = the real traded close / (1 + a known
premium). No 950180 level or 588790 NAV exists offline; these fixtures only fix the arithmetic.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.data.store import read_tables, write_store
from aibt.strategies.nav_tracking import nav_tracking


def test_nav_split_hand_worked():
    d = pd.to_datetime(["2026-06-01", "2026-06-02", "2026-06-03"])
    price = pd.Series([1.00, 1.02, 1.01], index=d)
    nav = pd.Series([1.00, 1.01, 1.00], index=d)
    index = pd.Series([100.0, 101.0, 100.0], index=d)
    daily, s = nav_tracking(price, nav, index, periods_per_year=252)
    # premiums by hand: 0, 1.02/1.01 - 1, 1.01/1.00 - 1
    np.testing.assert_allclose(daily["premium"], [0.0, 0.01 / 1.01, 0.01], rtol=1e-12, atol=1e-15)
    # log gaps by hand
    g_m = np.log([1.02 / 1.00, 1.01 / 1.02]) - np.log([1.01, 100 / 101])
    g_n = np.log([1.01, 1.00 / 1.01]) - np.log([1.01, 100 / 101])
    g_p = np.log([1.02 / 1.01, 1.01 / (1.02 / 1.01)])
    assert s["market"]["log_gap_annual"] == pytest.approx(g_m.mean() * 252, rel=1e-12)
    assert s["nav"]["log_gap_annual"] == pytest.approx(g_n.mean() * 252, rel=1e-12)
    assert s["premium_change"]["log_gap_annual"] == pytest.approx(g_p.mean() * 252, rel=1e-12)
    assert s["market"]["tracking_error_annual"] == pytest.approx(np.std(g_m, ddof=1) * np.sqrt(252), rel=1e-12)
    # the split is exact: gaps add, variances add with the covariance term
    assert s["identity_error"] < 1e-15
    assert s["market"]["tracking_error_annual"] ** 2 == pytest.approx(
        s["nav"]["tracking_error_annual"] ** 2 + s["premium_change"]["tracking_error_annual"] ** 2
        + s["covariance_annual"], rel=1e-9)
    assert s["premium"]["days_at_premium"] == 2 and s["premium"]["max"] == pytest.approx(0.01)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("track") / "store"
    tables, prov = read_tables(None)
    b = tables["bars"]
    etf = b[b["symbol"] == "588790"].set_index("date")
    n = np.arange(len(etf))
    wobble = 0.002 * np.sin(n / 3.0)  # official level = ETF close x exp(wobble): known tracking gap
    level = 1500.0 * etf["close"] / etf["close"].iloc[0] * np.exp(wobble)
    tables["index_levels"] = pd.DataFrame({"symbol": "950180", "date": etf.index, "open": level, "high": level,
                                           "low": level, "close": level, "volume": np.nan, "amount": np.nan,
                                           "source": "fixture"})
    prem = 0.003 * np.sin(n / 5.0)
    tables["nav"] = pd.DataFrame({"symbol": "588790", "date": etf.index,
                                  "nav": etf["traded_close"].to_numpy() / (1 + prem), "acc_nav": np.nan,
                                  "source": "fixture"})
    tables["index_weights"] = pd.DataFrame({"index": "950180", "date": pd.Timestamp("2026-05-07"),
                                            "symbol": ["688256", "688041", "688008"], "name": ["寒武纪", "海光信息", "澜起科技"],
                                            "exchange": "上海证券交易所", "weight": [0.4, 0.35, 0.25], "source": "fixture"})
    write_store(d, tables, prov)
    return d, etf, wobble, prem


def test_track_uses_official_levels_and_nav_from_the_data_folder(store, tmp_path):
    d, etf, wobble, prem = store
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["track", "star-ai", "--etf", "588790", "--data-dir", str(d), "--out", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "588790 vs official 950180" in res.output
    assert "index levels: official (950180, table index_levels of data folder" in res.output
    assert "reconstruction vs official: correlation" in res.output
    assert "official weights 2026-05-07: " in res.output
    assert "on NAV (table nav of data folder" in res.output and "premium/discount: mean" in res.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["index_levels"].startswith("official")
    # tracking error against the official levels: the wobble's, computed independently
    c = etf["close"].to_numpy()
    lvl = c / c[0] * np.exp(wobble)
    diff = (c[1:] / c[:-1] - 1) - (lvl[1:] / lvl[:-1] - 1)
    assert s["tracking_error_annual"] == pytest.approx(np.std(diff, ddof=1) * np.sqrt(s["periods_per_year"]), rel=1e-9)
    nt = s["nav_tracking"]
    assert nt["premium"]["mean"] == pytest.approx(prem.mean(), abs=1e-12)
    assert nt["premium"]["max"] == pytest.approx(prem.max(), abs=1e-12)
    g_p = np.diff(np.log1p(prem))
    assert nt["premium_change"]["tracking_error_annual"] == pytest.approx(
        np.std(g_p, ddof=1) * np.sqrt(nt["periods_per_year"]), rel=1e-9)
    # NAV tracking = the wobble alone (the NAV is the close without the premium)
    g_n = np.diff(np.log(c) - np.log1p(prem)) - np.diff(np.log(lvl))
    assert nt["nav"]["tracking_error_annual"] == pytest.approx(np.std(g_n, ddof=1) * np.sqrt(nt["periods_per_year"]),
                                                               rel=1e-9)
    assert nt["identity_error"] < 1e-12
    # the reconstruction is kept as the comparison
    rec = s["reconstruction"]
    assert rec["etf_vs_rebuilt"]["n_days"] > 250 and -1 <= rec["rebuilt_vs_official"]["correlation"] <= 1
    w = rec["weights_vs_official"]
    assert w["official_members"] == 3 and 0 <= w["one_way_difference"] <= 1
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily.columns) == ["date", "index", "etf", "index_rebuilt", "nav", "premium"]
