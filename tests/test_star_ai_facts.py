"""Every reported 950180 membership fact (universes/tables/star_ai_facts.csv) against the rebuilt constituents."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aibt.loaders import star_ai_constituents, star_ai_fact_checks
from aibt.strategies.star_ai_index import KNOWN_DISAGREEMENTS, review_concentration
from aibt.universes.star_ai import DEFAULT, membership_facts, theme_table

FACTS = membership_facts()


@pytest.fixture(scope="module")
def table():
    return star_ai_constituents()


@pytest.fixture(scope="module")
def checks(table):
    return star_ai_fact_checks(table)


def _key(row) -> tuple:
    return (pd.Timestamp(row["date"]).strftime("%Y-%m-%d"), row["kind"], row["code"])


def test_every_fact_is_checked(checks):
    facts = {(_key(r)) for _, r in FACTS.iterrows()}
    checked = {_key(r) for _, r in checks.iterrows() if r["kind"] != "top10_list"}
    assert facts == checked and len(FACTS) == 43
    assert (FACTS["source"].str.len() > 10).all() and set(FACTS["status"]) == {"reported"}


@pytest.mark.parametrize("i", range(len(FACTS)))
def test_fact(checks, i):
    fact = FACTS.iloc[i]
    row = checks[[_key(r) == _key(fact) for _, r in checks.iterrows()]]
    assert len(row) == 1
    if _key(fact) in KNOWN_DISAGREEMENTS:
        assert not row["agrees"].iloc[0], f"{_key(fact)} now agrees: drop it from KNOWN_DISAGREEMENTS"
    else:
        assert row["agrees"].iloc[0], f"{_key(fact)}: rebuilt {row['rebuilt'].iloc[0]:.2f}"


def test_2024_top10_lists_and_2025_06_changes(checks):
    lists = checks[checks["kind"] == "top10_list"]
    lists = lists.set_index(lists["date"].dt.strftime("%Y-%m-%d"))
    # measured: 10 of 10 names each, mean weight errors 0.61 and 0.56 points
    assert lists.loc["2024-07-25", "code"] == "10/10" and lists.loc["2024-07-25", "rebuilt"] < 1.5
    assert lists.loc["2024-09-18", "code"] == "10/10" and lists.loc["2024-09-18", "rebuilt"] < 1.5
    assert lists["agrees"].all()
    ch = checks[checks["kind"].isin(["in", "out"])]
    assert len(ch) == 14 and ch["agrees"].all()  # 7 of 7 outs and 7 of 7 ins
    shares = checks[checks["kind"] == "top10_share"]
    assert (shares["reported"] - shares["rebuilt"]).abs().max() < 2.5


def test_theme_table_covers_the_star_market_with_sources(table):
    th = theme_table()
    assert th["code"].is_unique and len(th) == 610 and th["code"].str.match(r"^68[89]\d{3}$").all()
    assert set(th["in_theme"]) == {"yes", "no", "fill"} and (th["source"].str.len() > 20).all()
    assert set(th["status"]) == {"reported", "evidence", "project", "rule"}
    out = th[th["in_theme"] == "no"].set_index("code")
    assert {"688041", "688047"} <= set(out.index)  # the 2024 top-10 lists rule them out
    assert set(table["code"]) <= set(th.loc[th["in_theme"] == "yes", "code"])


def test_fill_rows_are_unreported_names_of_the_fill_industries():
    """The seat-filling rule's rows: exactly the STAR names no report names whose stock_basic industry maps onto
    the published theme definition; no code of the facts file is among them."""
    from aibt.universes.star_ai import FILL_INDUSTRIES

    th = theme_table()
    fill = th[th["in_theme"] == "fill"]
    assert (fill["status"] == "rule").all() and set(fill["industry"]) == set(FILL_INDUSTRIES)
    assert not set(fill["code"]) & set(FACTS["code"])
    unreported = th[th["status"].isin(["project", "rule"]) & (th["in_theme"] != "yes")]
    assert set(unreported.loc[unreported["industry"].isin(list(FILL_INDUSTRIES)), "code"]) == set(fill["code"])
    assert len(fill) == 46 and {"688208", "688083", "688318"} <= set(fill["code"])  # 道通, 中望, 财富趋势


def test_concentration_and_free_float_by_review(table):
    c = review_concentration(table)
    assert list(c.columns) == ["effective_date", "n", "top1", "top5", "top10", "free_float_cap"]
    assert (c["top1"] <= DEFAULT.weight_cap + 1e-12).all() and (c["top5"] <= c["top10"]).all()
    assert ((c["top10"] > 0.6) & (c["top10"] < 0.85)).all() and (c["n"] >= 21).all()
    assert (c["free_float_cap"] > 1e11).all() and np.isfinite(c["free_float_cap"]).all()


def test_fitted_parameters_are_the_defaults_and_among_the_best():
    from pathlib import Path

    fit = pd.read_csv(Path(__file__).resolve().parents[1] / "universes" / "tables" / "star_ai_fit.csv")
    chosen = fit[fit["chosen"]]
    assert len(chosen) == 1 and len(fit) == 12
    row = chosen.iloc[0]
    assert (row["cutoff_lag_months"], row["buffer_in"], row["buffer_keep"], row["fast_entry_rank"]) == (
        DEFAULT.cutoff_lag_months, DEFAULT.buffer_in, DEFAULT.buffer_keep, DEFAULT.fast_entry_rank)
    best = fit[fit["facts_agreeing"] == fit["facts_agreeing"].max()]
    assert row["facts_agreeing"] == best["facts_agreeing"].max()
    assert row["top10_mean_error_pp"] <= best["top10_mean_error_pp"].min() + 0.01
    assert row["correlation_588790"] >= best["correlation_588790"].max() - 1e-4


def test_evidence_free_floats_are_the_highest_bands_the_2024_lists_allow():
    """Each evidence-bounded ratio keeps its name out of both reported 2024 top 10s; the next band up does not."""
    from aibt.loaders import star_ai_inputs
    from aibt.strategies.index_reconstruction import drifted_weights
    from aibt.strategies.star_ai_index import rebuild_constituents
    from aibt.universes.star_ai import FREE_FLOAT_BANDS, constituents_as_of, free_float_table

    inputs = star_ai_inputs()
    close = inputs["weight_close"]
    dates = sorted(FACTS.loc[FACTS["kind"] == "top10", "date"].unique())

    def in_a_top10(code, ff):
        tab = rebuild_constituents({**inputs, "free_float": ff})
        return any(code in set(drifted_weights(constituents_as_of(tab, d), close, d)
                               .sort_values(ascending=False).index[:10]) for d in dates)

    ff = free_float_table()
    assert set(ff["status"]) == {"evidence"} and (ff["source"].str.contains("2024 top-10 lists")).all()
    base = dict(inputs["free_float"])
    bands = [b for _, b in FREE_FLOAT_BANDS]
    for code, ratio in zip(ff["code"], ff["free_float_ratio"].astype(float)):
        assert not in_a_top10(code, base), code
        up = bands[bands.index(ratio) + 1]
        assert in_a_top10(code, {**base, code: up}), (code, up)


def test_top10_shares_with_and_without_locked_shares():
    """The numbers KNOWN_DISAGREEMENTS gives, from the rebuilt tables with and without the locked-share table and
    the facts file's reported shares: locked shares close the 2025-07-24 gap (65.9% -> 68.1% vs 68.03%) and open
    one on 2025-04-30 (71.4% -> 72.6% vs 70.68%)."""
    from aibt.loaders import star_ai_inputs
    from aibt.strategies.index_reconstruction import drifted_weights
    from aibt.strategies.star_ai_index import rebuild_constituents
    from aibt.universes.star_ai import constituents_as_of

    inputs = star_ai_inputs()
    close = inputs["weight_close"]
    with_locks, without = rebuild_constituents(inputs), rebuild_constituents({**inputs, "restricted": None})

    def top10(tab, d):
        return float(drifted_weights(constituents_as_of(tab, d), close, d).sort_values(ascending=False).head(10).sum()) * 100

    shares = FACTS[FACTS["kind"] == "top10_share"]
    reported = pd.Series(shares["value"].to_numpy(), index=shares["date"].dt.strftime("%Y-%m-%d"))
    assert (round(top10(without, "2025-04-30"), 1), round(top10(with_locks, "2025-04-30"), 1)) == (71.4, 72.6)
    assert (round(top10(without, "2025-07-24"), 1), round(top10(with_locks, "2025-07-24"), 1)) == (65.9, 68.1)
    assert abs(top10(with_locks, "2025-07-24") - reported["2025-07-24"]) <= 1.0
    assert top10(with_locks, "2025-04-30") - reported["2025-04-30"] > 1.0
    rev = pd.Timestamp("2025-03-17")
    locked = ["688400", "688322", "688343"]
    before = without[without["effective_date"] == rev].set_index("code")["weight"].reindex(locked).sum() * 100
    after = with_locks[with_locks["effective_date"] == rev].set_index("code")["weight"].reindex(locked).sum() * 100
    assert (round(before, 1), round(after, 1)) == (9.2, 7.3)
    reason = KNOWN_DISAGREEMENTS[("2025-04-30", "top10_share", "")]
    for text in ("72.6%", "70.68%", "9.2% to 7.3%", "71.4% to 72.6%"):
        assert text in reason, text


def test_the_2025_04_30_gap_as_known_disagreements_states_it():
    """The numbers of the 2025-04-30 reason, recomputed: the review-day share and the drift of 688608 / 688521, the
    index against 588790, the weight-factor date, the bands the 2024 lists imply (relative to the names weighted on
    all their shares that the lists make heaviest) and what they do to both 2025 dates, the 06-16 review step, and
    the seat weight two unreported members would need."""
    from aibt.data import snapshot
    from aibt.loaders import star_ai_inputs
    from aibt.strategies.index_reconstruction import drifted_weights
    from aibt.strategies.star_ai_index import index_level, rebuild_constituents
    from aibt.universes.star_ai import banded_free_float, capped_weights, constituents_as_of

    inputs = star_ai_inputs()
    close = inputs["weight_close"]
    base = rebuild_constituents(inputs)

    def top10(tab, d):
        return float(drifted_weights(constituents_as_of(tab, d), close, d).nlargest(10).sum()) * 100

    reason = KNOWN_DISAGREEMENTS[("2025-04-30", "top10_share", "")]
    rev = constituents_as_of(base, "2025-03-17").set_index("code")
    assert round(rev["weight"].nlargest(10).sum() * 100, 1) == 70.7 and round(top10(base, "2025-03-17"), 1) == 70.9
    w0430 = drifted_weights(rev.reset_index(), close, "2025-04-30") * 100
    for code, ret, before, after, text in (("688608", 27.1, 6.6, 9.0, "688608 rose 27.1% (6.6% to 9.0%"),
                                           ("688521", 10.7, 7.1, 8.5, "688521 10.7% (7.1% to 8.5%")):
        px = close[code]
        assert round((px["2025-04-30"] / px[:"2025-03-14"].iloc[-1] - 1) * 100, 1) == ret, code
        assert (round(rev.loc[code, "weight"] * 100, 1), round(w0430[code], 1)) == (before, after), code
        assert text in reason, text
    level = index_level(close, base)
    etf = snapshot.load_snapshot(["588790"], require_bars=False).frame("close")["588790"].dropna()
    assert round((level["2025-04-30"] / level["2025-03-17"] - 1) * 100, 1) == -7.3
    assert round((etf["2025-04-30"] / etf["2025-03-17"] - 1) * 100, 1) == -7.6
    # weight factors (the cap) set at other closes between the cutoff and the effective date
    codes = list(rev.index)
    p14 = close.loc[:"2025-03-14", codes].iloc[-1]
    shares = rev["free_float_cap"] / p14
    got = []
    for x in ("2025-01-27", "2025-02-14", "2025-02-28", "2025-03-07", "2025-03-14"):
        px = close.loc[:x, codes].iloc[-1]
        w = pd.Series(capped_weights((shares * px).to_numpy(), DEFAULT.weight_cap), index=codes) / px
        w = w * close.loc["2025-04-30", codes]
        got.append(round(float((w / w.sum()).nlargest(10).sum()) * 100, 1))
    assert (min(got), max(got)) == (72.5, 72.6) and "72.5-72.6%" in reason
    # the 2024 lists: reported / rebuilt weights, relative to the largest such ratio among names weighted on all
    # their shares (688099, 688327), give 688608 and 688568 the bands 80% and 70% on both dates
    facts = FACTS[FACTS["kind"] == "top10"]
    for code, band in (("688608", 0.8), ("688568", 0.7)):
        for d, g in facts.groupby("date"):
            w = drifted_weights(constituents_as_of(base, d), close, d) * 100
            ratio = g.set_index("code")["value"] / w.reindex(g["code"]).to_numpy()
            ref = max(ratio.get(c, 0.0) for c in ("688099", "688327"))
            assert banded_free_float(ratio[code] / ref) == band, (code, d)
    bands = rebuild_constituents({**inputs, "free_float": {**inputs["free_float"], "688608": 0.8, "688568": 0.7}})
    assert (round(top10(bands, "2025-04-30"), 1), round(top10(bands, "2025-07-24"), 1)) == (71.4, 67.0)
    assert "give 71.4% here but 67.0% on 2025-07-24" in reason
    sub = FACTS[FACTS["kind"] == "top10_share"]
    shares_fact = pd.Series(sub["value"].to_numpy(), index=sub["date"].dt.strftime("%Y-%m-%d"))
    assert round(shares_fact["2025-04-30"] - shares_fact["2025-07-24"], 2) == 2.65
    drops = [round(top10(t, "2025-04-30") - top10(t, "2025-07-24"), 1) for t in (base, bands)]
    assert (min(drops), max(drops)) == (4.4, 4.5) and "4.4-4.5" in reason
    old, new = constituents_as_of(base, "2025-06-13"), constituents_as_of(base, "2025-06-16")
    outs, ins = sorted(set(old["code"]) - set(new["code"])), sorted(set(new["code"]) - set(old["code"]))
    assert len(outs) == len(ins) == 7
    assert round(float(drifted_weights(new, close, "2025-06-16")[ins].sum()) * 100, 1) == 10.1
    assert round(float(drifted_weights(old, close, "2025-06-13")[outs].sum()) * 100, 1) == 5.6
    # two more members of weight x in all would scale the rebuilt shares by (1 - x): within 1 point on 04-30 needs
    # x >= 1.3%, and 07-24 stays within 1 point while x <= 1.5%
    assert base.groupby("effective_date").size().loc[pd.to_datetime(["2025-03-17", "2025-06-16"])].eq(28).all()
    lo = 1 - (shares_fact["2025-04-30"] + 1) / top10(base, "2025-04-30")
    hi = 1 - (shares_fact["2025-07-24"] - 1) / top10(base, "2025-07-24")
    assert (round(lo * 100, 1), round(hi * 100, 1)) == (1.3, 1.5) and "1.3-1.5%" in reason
    assert {"688595", "688003", "688018"} <= set(rev.index)


def test_locked_share_table_rows_are_sourced_and_consistent():
    """Each row cites a company notice; a code's periods do not overlap and its locked fraction only falls."""
    from aibt.universes.star_ai import restricted_table

    t = restricted_table()
    assert set(t["status"]) <= {"confirmed", "derived"} and t["source"].str.contains("notice").all()
    assert ((t["restricted_fraction"] > 0) & (t["restricted_fraction"] < 1)).all()
    assert (t["restricted_from"] < t["restricted_to"]).all()
    for code, g in t.groupby("code"):
        g = g.sort_values("restricted_from")
        assert (g["restricted_from"].iloc[1:].to_numpy() >= g["restricted_to"].iloc[:-1].to_numpy()).all(), code
        assert g["restricted_fraction"].is_monotonic_decreasing, code
    # hand-checked against the notices' share counts: 奥比中光 369,057,256 - 1,613,446 - 5,843,770 - 142,106,760
    # of 400,001,000 locked from 2023-07-07; 合合信息 75,000,000 + 5,000,000 of 100,000,000 from 2025-03-26
    row = t[(t["code"] == "688322") & (t["restricted_from"] == pd.Timestamp("2023-07-07"))]
    assert abs(row["restricted_fraction"].iloc[0] - (369_057_256 - 1_613_446 - 5_843_770 - 142_106_760) / 400_001_000) < 1e-4
    row = t[(t["code"] == "688615") & (t["restricted_from"] == pd.Timestamp("2025-03-26"))]
    assert abs(row["restricted_fraction"].iloc[0] - 80_000_000 / 100_000_000) < 1e-12


def test_fill_rule_on_the_snapshot_gives_30_members_and_keeps_every_theme_member(table):
    """With Methodology.fill_seats every review holds 30 names (the STAR market has enough liquid 软件服务 / IT设备
    names) and the theme members are exactly those of the default build: fill names only take empty seats."""
    from dataclasses import replace

    from aibt.loaders import star_ai_inputs
    from aibt.strategies.star_ai_index import rebuild_constituents

    filled = rebuild_constituents(star_ai_inputs(), methodology=replace(DEFAULT, fill_seats=True))
    th = theme_table().set_index("code")["in_theme"]
    assert (filled.groupby("effective_date").size() == DEFAULT.n_constituents).all()
    for eff, g in filled.groupby("effective_date"):
        kept = set(g.loc[g["code"].map(th).eq("yes"), "code"])
        assert kept == set(table.loc[table["effective_date"] == eff, "code"]), eff
        assert g["code"].map(th).isin(["yes", "fill"]).all()
