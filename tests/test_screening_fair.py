"""Screens that rank fairly: each ETF against the index it tracks (never a peer, never itself), ST/*ST names
and names whose data ended are excluded, --top K prints K rows with names, risk factors rank low-first by
default, the ETF quantities of the seed (one-year turnover, six-month return, shares, scale, flows)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import aibt.strategies.factors as F
from aibt.cli import cli
from aibt.data.panel import Panel
from aibt.errors import ConfigError
from aibt.screens import load_panel, screen_table
from aibt.strategies.screening import Rank, factor, load_screen, run_screen
from aibt.universes.etfs import ETFS, etf_info

from test_screening_factors import make_panel

NAN = float("nan")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "screen_star_ai_etfs.toml"


def assert_no_fund_against_itself_or_a_peer(table: pd.DataFrame) -> None:
    """Every screened ETF is measured against an index (not an ETF) other than itself, with a real spread."""
    etf_codes = {e.code for e in ETFS}
    for sym, row in table.iterrows():
        assert row["tracks"] != sym, f"{sym} is measured against itself"
        assert row["tracks"] not in etf_codes, f"{sym} is measured against the peer fund {row['tracks']}"
        assert row["tracks"] == etf_info(sym).tracks
        te = row["tracking_error_60"]
        assert math.isnan(te) or te > 0.002, f"{sym}: tracking error {te} is what a fund against itself shows"
        corr = row.get("correlation_60", NAN)
        assert math.isnan(corr) or corr < 0.99999, f"{sym}: correlation {corr}"


@pytest.mark.parametrize("universe, index", [("star-ai-etfs", "950180"), ("star50-etfs", "000688")])
def test_etf_screens_measure_each_fund_against_the_index_it_tracks(universe, index):
    t = screen_table(universe)
    assert set(t["tracks"]) == {index} and t.attrs["reference"] == index
    assert_no_fund_against_itself_or_a_peer(t)
    assert t["pass"].sum() >= 2


def test_the_self_check_catches_a_fund_ranked_against_itself():
    """The check above fails on the screen this issue replaced (588790 as everybody's reference)."""
    t = screen_table("star-ai-etfs")
    bad = t.copy()
    bad.loc["588790", ["tracks", "tracking_error_60", "correlation_60"]] = ["588790", 0.0, 1.0]
    with pytest.raises(AssertionError, match="588790 is measured against itself"):
        assert_no_fund_against_itself_or_a_peer(bad)


def test_tracking_error_against_the_rebuilt_index_matches_an_independent_computation():
    from aibt.screens import index_levels, load_panel

    t = screen_table("star-ai-etfs")
    day = t.attrs["as_of"]
    close = load_panel(["588790"]).series("588790").loc[:day]
    level = index_levels(["950180"], day)["950180"]
    both = pd.concat([close, level], axis=1, join="inner").dropna()
    r = both.pct_change().iloc[-60:]
    expected = np.std(r.iloc[:, 0] - r.iloc[:, 1], ddof=1) * math.sqrt(243.0)
    assert t.loc["588790", "tracking_error_60"] == pytest.approx(expected, rel=1e-12)


def test_a_peer_reference_is_refused_and_an_index_reference_is_used_for_all():
    with pytest.raises(ConfigError, match="--reference 588760 is an ETF"):
        screen_table("star-ai-etfs", reference="588760")
    t = screen_table("star-ai-etfs", reference="000688")
    assert set(t["tracks"]) == {"000688"}


def test_st_names_are_excluded_from_the_stock_screen():
    t = screen_table("star-ai")
    assert t.loc["688066", "name"].startswith("*ST")
    assert t.loc["688066", "risk_warning"] == 1.0
    assert not t.loc["688066", "pass"] and t.loc["688066", "failed"] == "risk_warning == 0"


def test_risk_warning_factor_periods_and_name_prefix():
    p = make_panel({"A": [1, 1, 1], "B": [1, 1, 1], "C": [1, 1, 1]})
    s = F.risk_warning(p, p.dates[1], risk_warnings={"A": ((p.dates[2], None),)}, names={"B": "ST某某", "C": "中际旭创"})
    assert s.tolist() == [0.0, 1.0, 0.0]  # A's warning starts after the date: not yet
    assert F.risk_warning(p, p.dates[2], risk_warnings={"A": ((p.dates[2], None),)})["A"] == 1.0


def test_names_whose_data_ended_are_flagged_and_excluded():
    t = screen_table("copper", "2026-05-28")
    assert not t.loc["6088.HK", "pass"] and t.loc["6088.HK", "failed"] == "data ended 2025-10-30"
    assert "data ended 2025-10-30 (last bar), 138 session(s) before the as-of date" in t.loc["6088.HK", "notes"]
    assert t.loc["6088.HK", "name"] == "鸿腾精密"
    assert t.attrs["steps"][0] == "data ended: no bar in the last 10 sessions"
    assert t["pass"].sum() == 2  # the other two are ranked among themselves
    before = screen_table("copper", "2025-10-30")  # on its last bar it is screened as usual
    assert before.loc["6088.HK", "failed"] == "" and before.loc["6088.HK", "pass"]
    assert F.stale_sessions(load_panel(["6088.HK", "300308"], "2026-05-28"))["6088.HK"] == 138


def test_top_k_prints_k_rows_with_a_name_column():
    res = CliRunner().invoke(cli, ["screen", "star-ai", "--top", "5"])
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("│")]
    assert len(rows) == 5
    assert "name" in res.output.splitlines()[1] + res.output.splitlines()[2]
    out = json.loads(CliRunner().invoke(cli, ["screen", "star-ai", "--top", "5", "--json"]).output)
    names = {r["symbol"]: r["name"] for r in out["rows"]}
    top = [r["symbol"] for r in out["rows"] if r["pass"]]
    assert len(top) == 5 and all(names[s] and names[s] in res.output for s in top)


def test_a_risk_factor_ranked_without_ascending_ranks_low_first():
    p = make_panel({"A": [10, 11, 10, 11, 10], "B": [10, 10.1, 10, 10.1, 10]})
    assert Rank(factor("volatility", window=3)).ascending is True
    assert Rank(factor("tracking_error", window=3)).ascending is True
    assert Rank("fee").ascending is True
    assert Rank(factor("momentum", window=2)).ascending is False
    from aibt.strategies.screening import screen_from_config

    t = run_screen(p, screen_from_config({"steps": [{"rank": "volatility", "window": 3}]}))
    assert t.index[0] == "B"  # the calmer one is best


def test_period_return_over_calendar_months():
    dates = pd.bdate_range("2025-01-01", "2025-08-01")
    close = np.linspace(10, 20, len(dates))
    p = make_panel({"A": list(close)}, start="2025-01-01")
    day = p.dates[-1]
    start = p.dates[p.dates.searchsorted(day - pd.DateOffset(months=6), side="right") - 1]
    s = F.period_return(p, None, months=6)
    assert s["A"] == pytest.approx(close[-1] / close[list(p.dates).index(start)] - 1)
    assert start == pd.Timestamp("2025-01-31")  # 2025-02-01 is a Saturday: the Friday before
    short = F.period_return(p, None, months=12)
    assert math.isnan(short["A"])


def test_net_flow_and_share_change_hand_worked_from_units_outstanding():
    p = make_panel({"A": [1.0, 1.1, 1.2, 1.0], "B": [2.0, 2.0, 2.0, 2.0]})
    p = Panel(p.dates, p.symbols, {**p.fields, "traded_close": p.fields["close"].copy()}, p.tradable, p.currency,
              p.fx_to_cny)
    units = pd.DataFrame([{"symbol": s, "date": d, "shares": v} for s, vals in
                          (("A", [100, 120, 120, 150]), ("B", [50, 50, 40, 40])) for d, v in zip(p.dates, vals)])
    assert F.share_change(p, None, window=3, fund_shares=units).tolist() == pytest.approx([0.5, -0.2])
    # flows: 20 x 1.1 + 0 x 1.2 + 30 x 1.0 = 52 for A; -10 x 2 = -20 for B
    assert F.net_flow(p, None, window=3, fund_shares=units).tolist() == pytest.approx([52.0, -20.0])
    none = F.net_flow(p, None, window=3, fund_shares=None)
    assert none.isna().all() and "none in the data" in none.attrs["notes"]["A"]


def test_the_documented_example_config_runs_on_the_star_ai_etfs():
    screen = load_screen(EXAMPLE)
    labels = [st.factor.label for st in screen.steps if hasattr(st, "factor")]
    assert {"avg_amount_243", "period_return_6", "tracking_error_60", "fee", "share_change_20"} <= set(labels)
    t = screen_table("star-ai-etfs", config=str(EXAMPLE))
    assert t["pass"].sum() >= 3
    assert_no_fund_against_itself_or_a_peer(t)
    ranked = [st for st in screen.steps if isinstance(st, Rank)]
    assert {r.factor.name: r.ascending for r in ranked}["tracking_error"] is True  # default: low is better


def test_etf_fees_carry_their_source_and_the_assumed_ones_are_flagged():
    star_ai = [e for e in ETFS if e.tracks == "950180"]
    assert len(star_ai) == 11
    assumed = sorted(e.code for e in star_ai if e.fee_status == "assumed")
    assert assumed == sorted(["588930", "588730", "589010", "589520", "589380", "589110", "589090", "589230"])
    for e in ETFS:
        assert e.fee_source, e.code
        if e.fee_status == "reported":
            assert "INDEX_950180.md" in e.fee_source and "(reported)" in e.fee_source
        else:
            assert e.fee_source.startswith("project default")
    t = screen_table("star-ai-etfs")
    assert sorted(t.index[t["fee_status"] == "assumed"]) == assumed


def test_a_config_reference_is_the_index_for_every_fund_and_never_a_peer(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text('reference = "000688"\n[[steps]]\nrank = "tracking_error"\nwindow = 60\n')
    t = screen_table("star-ai-etfs", config=str(cfg))
    assert set(t["tracks"]) == {"000688"}
    cfg.write_text('reference = "588790"\n[[steps]]\nrank = "tracking_error"\nwindow = 60\n')
    with pytest.raises(ConfigError, match="reference in .*s.toml 588790 is an ETF"):
        screen_table("star-ai-etfs", config=str(cfg))
