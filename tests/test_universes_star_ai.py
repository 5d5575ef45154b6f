"""STAR AI index (950180) methodology and point-in-time builder on hand-made frames."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from aibt.errors import UniverseError
from aibt.universes import star_ai
from aibt.universes.master import security_master
from aibt.universes.star_ai import (Methodology, build_constituents, candidate_table, capped_weights,
                                    constituents_as_of, known_changes, review_dates, weights_from_user_file)

SESSIONS = pd.bdate_range("2021-01-04", "2023-12-29")


def test_review_schedule_hand_worked():
    r = review_dates(SESSIONS, "2022-12-01", "2023-12-31", Methodology(cutoff_lag_months=1))
    assert [d.strftime("%Y-%m-%d") for d in r["effective_date"]] == [
        "2022-12-12", "2023-03-13", "2023-06-12", "2023-09-11", "2023-12-11"]
    assert [d.strftime("%Y-%m-%d") for d in r["review_date"]] == [
        "2022-11-30", "2023-02-28", "2023-05-31", "2023-08-31", "2023-11-30"]
    lag2 = review_dates(SESSIONS, "2022-12-01", "2023-12-31")  # default: two months before the review month
    assert [d.strftime("%Y-%m-%d") for d in lag2["review_date"]] == [
        "2022-10-31", "2023-01-31", "2023-04-28", "2023-07-31", "2023-10-31"]
    assert lag2["effective_date"].equals(r["effective_date"])
    # 2025-06-13 is the 2nd Friday of June 2025: effective the next session, 2025-06-16 (as reported)
    s25 = pd.bdate_range("2025-01-02", "2025-12-31")
    assert pd.Timestamp("2025-06-16") in set(review_dates(s25)["effective_date"])


def test_methodology_rules_carry_status():
    d = Methodology().describe()
    assert set(d["rule"]) == set(star_ai.RULE_SOURCES)
    status = dict(zip(d["rule"], d["status"]))
    assert status["n_constituents"] == "confirmed" and status["weight_cap"] == "reported"
    assert status["cutoff_lag_months"] == "not found"
    with pytest.raises(UniverseError, match="weight_cap"):
        Methodology(weight_cap=0)


def test_candidate_and_change_tables():
    c = candidate_table()
    assert len(c) == 37 and c["code"].is_unique
    assert (c["status"] == "project-added").sum() == 9 and (c["status"] == "reported").sum() == 28
    m = security_master()
    assert all(code in m for code in c["code"])
    ch = known_changes()
    assert (ch["action"] == "in").sum() == 7 and (ch["action"] == "out").sum() == 7
    assert set(ch["code"]) <= set(c["code"])
    assert set(star_ai.KNOWN_TOP10_2024_09_18) <= set(c["code"])


def test_capped_weights_hand_worked():
    np.testing.assert_allclose(capped_weights(np.array([50., 30, 10, 10]), 0.4), [0.4, 0.36, 0.12, 0.12])
    # cascade: capping the first pushes the second over the cap too
    np.testing.assert_allclose(capped_weights(np.array([100., 90, 5, 5]), 0.4), [0.4, 0.4, 0.1, 0.1])
    np.testing.assert_allclose(capped_weights(np.array([1., 2.]), 0.4), [0.5, 0.5])  # infeasible cap
    with pytest.raises(UniverseError):
        capped_weights(np.array([1.0, np.nan]), 0.5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=10, max_size=40),
       st.floats(min_value=0.1, max_value=1.0))
def test_capped_weights_properties(values, cap):
    v = np.array(values)
    w = capped_weights(v, cap)
    assert abs(w.sum() - 1) < 1e-9
    assert w.max() <= cap + 1e-9
    order = np.argsort(v, kind="stable")
    assert np.all(np.diff(w[order]) >= -1e-12)  # larger value never gets a smaller weight
    free = w < cap - 1e-9
    if free.sum() >= 2:  # uncapped names stay proportional to their values
        ratio = w[free] / v[free]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def frames():
    """Five constant-price names; 688005 listed two months before the 2023-05-31 cutoff."""
    spec = {  # code: (close, total_shares, float_shares, amount, listing)
        "688001": (10.0, 100.0, 50.0, 50.0, "2019-07-22"),
        "688002": (20.0, 100.0, 20.0, 40.0, "2019-07-22"),
        "688003": (5.0, 100.0, 100.0, 30.0, "2019-07-22"),
        "688004": (30.0, 100.0, 100.0, 1.0, "2019-07-22"),
        "688005": (99.0, 100.0, 100.0, 99.0, "2023-03-31"),
    }
    close = pd.DataFrame({c: np.full(len(SESSIONS), s[0]) for c, s in spec.items()}, index=SESSIONS)
    amount = pd.DataFrame({c: np.full(len(SESSIONS), s[3]) for c, s in spec.items()}, index=SESSIONS)
    for c, s in spec.items():
        close.loc[close.index < s[4], c] = np.nan
        amount.loc[amount.index < s[4], c] = np.nan
    total = pd.Series({c: s[1] for c, s in spec.items()})
    flt = pd.Series({c: s[2] for c, s in spec.items()})
    listing = {c: pd.Timestamp(s[4]) for c, s in spec.items()}
    return close, amount, total, flt, listing


METH = Methodology(n_constituents=2, weight_cap=0.55, liquidity_keep=0.75, cutoff_lag_months=1)


def test_builder_hand_worked_review():
    close, amount, total, flt, listing = frames()
    t = build_constituents(close, amount, total, flt, listing, SESSIONS, METH, candidates=list(close.columns),
                           start="2023-06-01", end="2023-06-30")
    # eligible: 688001-688004 (688005 listed < 6 months); liquidity keeps 4 - floor(0.4) = 4 ... see below
    assert t["review_date"].unique().tolist() == [pd.Timestamp("2023-05-31")]
    assert t["effective_date"].unique().tolist() == [pd.Timestamp("2023-06-12")]
    assert t["sample_size"].iloc[0] == 4 and t["liquid_size"].iloc[0] == 3  # 688004 (amount 1) dropped
    assert t["code"].tolist() == ["688002", "688001"]  # by average total cap 2000, 1000 (688004's 3000 illiquid)
    np.testing.assert_allclose(t["avg_total_cap"], [2000.0, 1000.0])
    np.testing.assert_allclose(t["free_float_cap"], [400.0, 500.0])
    np.testing.assert_allclose(t["weight"], [0.45, 0.55])  # 500/900 = 0.556 > 0.55 -> capped


def test_fast_entry_and_risk_warning():
    close, amount, total, flt, listing = frames()
    m = Methodology(n_constituents=2, weight_cap=1.0, liquidity_keep=1.0, fast_entry_rank=1, cutoff_lag_months=1)
    t = build_constituents(close, amount, total, flt, listing, SESSIONS, m, candidates=list(close.columns),
                           start="2023-06-01", end="2023-06-30")
    # 688005: listed 2 months before the cutoff -> not eligible even though its cap ranks first
    assert "688005" not in set(t["code"])
    t9 = build_constituents(close, amount, total, flt, listing, SESSIONS, m, candidates=list(close.columns),
                            start="2023-09-01", end="2023-09-30")
    # by the 2023-08-31 cutoff it is 5 months old and ranks 1st since listing -> fast entry
    assert t9["code"].tolist() == ["688005", "688004"]
    rw = {"688005": ((pd.Timestamp("2023-08-01"), None),)}
    t9b = build_constituents(close, amount, total, flt, listing, SESSIONS, m, candidates=list(close.columns),
                             start="2023-09-01", end="2023-09-30", risk_warning=rw)
    assert t9b["code"].tolist() == ["688004", "688002"]


def test_no_lookahead_perturbing_after_cutoff_changes_nothing():
    rng = np.random.default_rng(7)
    close, amount, total, flt, listing = frames()
    close = close * np.exp(rng.normal(0, 0.3, close.shape).cumsum(axis=0) * 0.05)
    amount = amount * rng.uniform(0.5, 1.5, amount.shape)
    m = Methodology(n_constituents=3, weight_cap=0.5, liquidity_keep=0.8)
    args = dict(candidates=list(close.columns), start="2022-01-01")
    base = build_constituents(close, amount, total, flt, listing, SESSIONS, m, **args)
    reviews = base["review_date"].unique()
    assert len(reviews) >= 6
    for cutoff in reviews[[1, len(reviews) // 2]]:
        c2, a2 = close.copy(), amount.copy()
        after = c2.index > cutoff
        c2.loc[after] = c2.loc[after] * rng.uniform(0.1, 10.0, (after.sum(), c2.shape[1]))
        a2.loc[after] = a2.loc[after] * rng.uniform(0.0, 100.0, (after.sum(), a2.shape[1]))
        pert = build_constituents(c2, a2, total, flt, listing, SESSIONS, m, **args)
        pd.testing.assert_frame_equal(base[base["review_date"] <= cutoff].reset_index(drop=True),
                                      pert[pert["review_date"] <= cutoff].reset_index(drop=True))
        later_b = base[base["review_date"] > cutoff].reset_index(drop=True)
        later_p = pert[pert["review_date"] > cutoff].reset_index(drop=True)
        assert not later_b.equals(later_p)  # the perturbation is strong enough to matter afterwards


def test_constituents_as_of():
    close, amount, total, flt, listing = frames()
    t = build_constituents(close, amount, total, flt, listing, SESSIONS, METH, candidates=list(close.columns))
    assert t["effective_date"].min() == pd.Timestamp("2022-12-12")  # covers the base date 2022-12-30
    a = constituents_as_of(t, "2023-06-11")
    assert a["effective_date"].unique().tolist() == [pd.Timestamp("2023-03-13")]
    b = constituents_as_of(t, "2023-06-12")
    assert b["effective_date"].unique().tolist() == [pd.Timestamp("2023-06-12")]
    with pytest.raises(UniverseError, match="first review takes effect 2022-12-12"):
        constituents_as_of(t, "2022-01-01")


def test_builder_errors():
    close, amount, total, flt, listing = frames()
    with pytest.raises(UniverseError, match="candidate"):
        build_constituents(close, amount, total, flt, listing, SESSIONS, METH, candidates=["600000"])
    with pytest.raises(UniverseError, match="share counts for 688003"):
        build_constituents(close, amount, total.drop("688003"), flt, listing, SESSIONS, METH,
                           candidates=list(close.columns))


def write(tmp_path, text):
    p = tmp_path / "w.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_user_weights_file(tmp_path):
    p = write(tmp_path, "effective_date,code,weight\n2025-06-16,688256,0.6\n2025-06-16,688041,0.4\n"
                        "2025-03-17,688256,1.0\n")
    t = weights_from_user_file(p, master=security_master())
    assert t["code"].tolist() == ["688256", "688041", "688256"]
    assert t["effective_date"].tolist() == [pd.Timestamp("2025-03-17")] + [pd.Timestamp("2025-06-16")] * 2
    assert constituents_as_of(t, "2025-07-01")["weight"].sum() == pytest.approx(1.0)
    lead = write(tmp_path, "effective_date,code,weight\n2025-06-16,002463,1\n")
    assert weights_from_user_file(lead)["code"].tolist() == ["002463"]  # leading zeros kept


@pytest.mark.parametrize("text,match", [
    ("effective_date,code,wieght\n2025-06-16,688256,1\n", "unknown column 'wieght'.*'weight'"),
    ("effective_date,code\n2025-06-16,688256\n", "missing column"),
    ("effective_date,code,weight\n2025-06-16,688256,0.5\n2025-06-16,688041,0.4\n", "2025-06-16 sum to 0.9"),
    ("effective_date,code,weight\n2025-06-16,688256,0.5\n2025-06-16,688256,0.5\n", "688256 appears twice"),
    ("effective_date,code,weight\n2025-13-16,688256,1\n", "line 2: effective_date '2025-13-16'"),
    ("effective_date,code,weight\n2025-06-16,688256,-1\n2025-06-16,688041,2\n", "line 2: weight '-1'"),
    ("effective_date,code,weight\n2025-06-16,688257,1\n", "'688257'.*688256"),
])
def test_user_weights_file_errors(tmp_path, text, match):
    with pytest.raises(UniverseError, match=match):
        weights_from_user_file(write(tmp_path, text), master=security_master())


# ---------------------------------------------------------------- free float, theme, buffer
def test_csi_free_float_banding_hand_worked():
    from aibt.universes.star_ai import banded_free_float

    r = [0.0, 0.09, 0.125, 0.15, 0.1501, 0.2, 0.2001, 0.35, 0.5, 0.55, 0.7, 0.8, 0.8001, 1.0]
    want = [0.0, 0.09, 0.13, 0.15, 0.20, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 1.00, 1.00]
    np.testing.assert_allclose(banded_free_float(r), want)


def _market(spec, months):
    """spec: code -> (close, total, float, amount, listing); constant over ``months`` (month-end dates)."""
    rows = []
    for c, (px, tot, flt, amt, lst) in spec.items():
        for d in months:
            if d >= pd.Timestamp(lst):
                rows.append({"date": d, "symbol": c, "close": px, "close_sum": 20 * px, "amount_sum": 20 * amt,
                             "sessions": 20.0, "total_shares": tot, "float_shares": flt,
                             "list_date": pd.Timestamp(lst)})
    return pd.DataFrame(rows)


def test_select_reviews_theme_dates_liquidity_over_the_market_and_buffer():
    from aibt.universes.star_ai import select_reviews

    months = pd.date_range("2021-01-31", "2023-12-31", freq="ME")
    spec = {"688001": (10.0, 100.0, 50.0, 50.0, "2019-07-22"), "688002": (20.0, 100.0, 20.0, 40.0, "2019-07-22"),
            "688003": (5.0, 100.0, 100.0, 30.0, "2019-07-22"), "688004": (30.0, 100.0, 100.0, 1.0, "2019-07-22"),
            "688009": (50.0, 100.0, 100.0, 90.0, "2019-07-22")}  # 688009: outside the theme, counts for liquidity
    market = _market(spec, months)
    theme = pd.DataFrame({"code": ["688001", "688002", "688003", "688004"], "in_theme": "yes",
                          "theme_from": ["", "", "2023-09-11", ""], "theme_to": ["", "2023-09-11", "", ""]})
    m = Methodology(n_constituents=2, weight_cap=0.6, liquidity_keep=0.8, cutoff_lag_months=1)
    t = select_reviews(market, SESSIONS, m, theme=theme, start="2023-06-01")
    june = t[t["effective_date"] == "2023-06-12"]
    # sample 5, keep 5 - floor(0.2 * 5) = 4 by amount (688004 dropped), theme {001, 002}: both chosen
    assert june["sample_size"].iloc[0] == 5 and june["liquid_size"].iloc[0] == 4 and june["theme_size"].iloc[0] == 2
    assert june["code"].tolist() == ["688002", "688001"]
    np.testing.assert_allclose(june["free_float_ratio"], [0.2, 0.5])
    np.testing.assert_allclose(june["weight"], [0.4 / 0.9 + 0.0, 0.5 / 0.9])  # 400 : 500, under the 60% cap
    sept = t[t["effective_date"] == "2023-09-11"]
    assert sept["code"].tolist() == ["688001", "688003"]  # 688002 leaves the theme, 688003 joins it

    # buffer (n = 2): by cap 688002 (2000) > 688010 (1500) > 688001 (1000) > 688003 (500); June's theme is
    # {688001, 688003}; from September all four. Without a buffer the two largest; with new names entering
    # only within rank 1 and members staying within rank 3: 688002 and the incumbent 688001.
    spec2 = {**spec, "688010": (15.0, 100.0, 100.0, 60.0, "2019-07-22")}
    th2 = pd.DataFrame({"code": ["688001", "688002", "688003", "688010"], "in_theme": "yes",
                        "theme_from": ["", "2023-09-11", "", "2023-09-11"], "theme_to": ""})
    m2 = Methodology(n_constituents=2, weight_cap=1.0, liquidity_keep=1.0, cutoff_lag_months=1)
    mk2 = _market(spec2, months)
    plain = select_reviews(mk2, SESSIONS, m2, theme=th2, start="2023-06-01")
    by = plain.groupby("effective_date")["code"].apply(list)
    assert by[pd.Timestamp("2023-06-12")] == ["688001", "688003"]
    assert by[pd.Timestamp("2023-09-11")] == ["688002", "688010"]
    buffered = select_reviews(mk2, SESSIONS, Methodology(**{**m2.__dict__, "buffer_in": 1, "buffer_keep": 3}),
                              theme=th2, start="2023-06-01")
    assert buffered.groupby("effective_date")["code"].apply(list)[pd.Timestamp("2023-09-11")] == ["688002", "688001"]


def test_monthly_market_matches_the_daily_averages():
    from aibt.universes.star_ai import monthly_market

    close, amount, total, flt, listing = frames()
    mk = monthly_market(close, amount, total, flt, listing)
    one = mk[(mk["symbol"] == "688005") & (mk["date"] <= "2023-05-31")]
    assert one["date"].min() == pd.Timestamp("2023-03-31")  # listed on the month's last session
    may = mk[(mk["symbol"] == "688001") & (mk["date"] == "2023-05-31")].iloc[0]
    assert may["sessions"] == 23 and may["close_sum"] == 230.0 and may["amount_sum"] == 23 * 50.0


def test_fill_seats_hand_worked():
    """Seats the theme names leave empty go to the largest liquid 'fill' names; they never displace a theme name."""
    from aibt.universes.star_ai import select_reviews

    months = pd.date_range("2021-01-31", "2023-12-31", freq="ME")
    # caps (total shares x close): 688001 1000, 688002 2000, 688003 500, 688004 3000, 688005 1500, 688009 5000
    spec = {"688001": (10.0, 100.0, 100.0, 50.0, "2019-07-22"), "688002": (20.0, 100.0, 100.0, 40.0, "2019-07-22"),
            "688003": (5.0, 100.0, 100.0, 30.0, "2019-07-22"), "688004": (30.0, 100.0, 100.0, 20.0, "2019-07-22"),
            "688005": (15.0, 100.0, 100.0, 60.0, "2019-07-22"), "688009": (50.0, 100.0, 100.0, 90.0, "2019-07-22")}
    market = _market(spec, months)
    theme = pd.DataFrame({"code": ["688001", "688003", "688002", "688004", "688005", "688009"],
                          "in_theme": ["yes", "yes", "fill", "fill", "fill", "no"], "theme_from": "", "theme_to": ""})
    base = dict(n_constituents=4, weight_cap=1.0, liquidity_keep=1.0, cutoff_lag_months=1)
    off = select_reviews(market, SESSIONS, Methodology(**base), theme=theme, start="2023-06-01")
    on = select_reviews(market, SESSIONS, Methodology(**base, fill_seats=True), theme=theme, start="2023-06-01")
    june = pd.Timestamp("2023-06-12")
    assert sorted(off.loc[off["effective_date"] == june, "code"]) == ["688001", "688003"]  # the rule off: 2 of 4
    got = on[on["effective_date"] == june]
    # two empty seats: 688004 (3000) and 688002 (2000) fill them; 688005 (1500) does not; 688009 is outside
    assert got["code"].tolist() == ["688001", "688003", "688004", "688002"]
    assert got["cap_rank"].tolist() == [1, 2, 3, 4]  # theme names first, then the fill names by cap
    np.testing.assert_allclose(got["weight"], np.array([1000, 500, 3000, 2000]) / 6500)
    # with three theme names only one seat is left; a fill name never displaces the smallest theme name
    th3 = theme.assign(in_theme=["yes", "yes", "fill", "fill", "yes", "no"])
    three = select_reviews(market, SESSIONS, Methodology(**base, fill_seats=True), theme=th3, start="2023-06-01")
    assert sorted(three.loc[three["effective_date"] == june, "code"]) == ["688001", "688003", "688004", "688005"]


def test_locked_shares_cap_the_ratio_at_reviews_in_their_period():
    """A review effective while shares are locked weights the name by at most 1 - locked fraction (banded)."""
    from aibt.universes.star_ai import select_reviews

    months = pd.date_range("2021-01-31", "2023-12-31", freq="ME")
    spec = {"688001": (10.0, 100.0, 100.0, 50.0, "2019-07-22"), "688002": (20.0, 100.0, 90.0, 40.0, "2019-07-22")}
    market = _market(spec, months)
    m = Methodology(n_constituents=2, weight_cap=1.0, liquidity_keep=1.0, cutoff_lag_months=1)
    # 688001: 75% locked from the June 2023 review up to the September one; 688002: 5% locked (0.90 stays)
    locks = {"688001": [(pd.Timestamp("2023-06-12"), pd.Timestamp("2023-09-11"), 0.75)],
             "688002": [(pd.Timestamp("2023-01-01"), pd.Timestamp("2024-01-01"), 0.05)]}
    t = select_reviews(market, SESSIONS, m, start="2023-03-01", restricted=locks)
    r = t.set_index(["effective_date", "code"])["free_float_ratio"]
    assert r[(pd.Timestamp("2023-03-13"), "688001")] == 1.0
    assert r[(pd.Timestamp("2023-06-12"), "688001")] == 0.3   # 25% free -> CSI band 30%
    assert r[(pd.Timestamp("2023-09-11"), "688001")] == 1.0   # the period ends before this review
    assert (r.xs("688002", level="code") == 1.0).all()          # min(0.90, 0.95) = 0.90 -> band 100%
    june = t[t["effective_date"] == "2023-06-12"].set_index("code")["weight"]
    np.testing.assert_allclose([june["688001"], june["688002"]], np.array([300.0, 2000.0]) / 2300.0)
