"""Screens: hand-worked Filter/Rank/Top, config form and its errors, point-in-time on real data."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from aibt.data.panel import Panel
from aibt.data.snapshot import load_snapshot
from aibt.errors import ConfigError
from aibt.strategies.screening import (Filter, Rank, Screen, Top, etf_screen, factor, load_screen, run_screen,
                                       screen_from_config, stock_screen)

from test_screening_factors import make_panel

NAN = float("nan")


@pytest.fixture
def small():
    return make_panel(
        {"A": [10, 10, 10, 12], "B": [10, 10, 10, 15], "C": [10, 10, 10, 9], "D": [10, 10, 10, 11]},
        amount={"A": [0, 0, 100, 100], "B": [0, 0, 50, 50], "C": [0, 0, 300, 300], "D": [0, 0, 200, 200]})


def hand_screen(top=None):
    steps = [Filter(factor("avg_amount", window=2), ">=", 80),
             Rank(factor("momentum", window=3), ascending=False, weight=2.0),
             Rank(factor("avg_amount", window=2), ascending=False, weight=1.0)]
    return Screen(tuple(steps + ([Top(top)] if top else [])))


def test_hand_worked_filter_rank_score_and_order(small):
    t = run_screen(small, hand_screen(), None)
    # B fails the filter (50 < 80). Among A, C, D: momentum 0.2, -0.1, 0.1 -> ranks 1, 1/3, 2/3;
    # amount 100, 300, 200 -> ranks 1/3, 1, 2/3; score = (2 q_mom + q_amt) / 3.
    assert list(t.index) == ["A", "D", "C", "B"]
    assert t.loc["A", "momentum_3"] == pytest.approx(0.2)
    assert t.loc["B", "avg_amount_2"] == pytest.approx(50.0)  # failing symbols keep their factor values
    assert t["rank_momentum_3"].tolist()[:3] == pytest.approx([1.0, 2 / 3, 1 / 3])
    assert t["score"].tolist()[:3] == pytest.approx([7 / 9, 2 / 3, 5 / 9])
    assert math.isnan(t.loc["B", "score"]) and math.isnan(t.loc["B", "rank_momentum_3"])
    assert t["pass"].tolist() == [True, True, True, False]
    assert t.loc["B", "failed"] == "avg_amount_2 >= 80"
    assert t.loc["A", "failed"] == ""
    assert t.attrs["as_of"] == small.dates[-1]
    assert t.attrs["steps"] == ["avg_amount_2 >= 80", "rank momentum_3 (highest best, weight 2)",
                                "rank avg_amount_2 (highest best, weight 1)", ]


def test_top_k_drops_the_rest_and_names_it(small):
    t = run_screen(small, hand_screen(top=2), None)
    assert t.index[t["pass"]].tolist() == ["A", "D"]
    assert t.loc["C", "failed"] == "not in top 2"
    assert t.loc["C", "score"] == pytest.approx(5 / 9)  # a Top-dropped symbol keeps its score


def test_lowest_best_rank_and_first_failing_filter_is_named(small):
    steps = [Filter("listed_sessions", ">=", 4), Filter(factor("momentum", window=3), ">", 0),
             Filter(factor("avg_amount", window=2), "<", 250), Rank(factor("momentum", window=3), ascending=True)]
    t = run_screen(small, steps, None)
    assert t.loc["C", "failed"] == "momentum_3 > 0"  # C fails momentum and would fail nothing else
    assert t.index[t["pass"]].tolist() == ["D", "A", "B"]  # lowest momentum best: 0.1, 0.2, 0.5
    assert t["rank_momentum_3"].tolist()[:3] == pytest.approx([1.0, 2 / 3, 1 / 3])


def test_nan_fails_a_filter_and_counts_as_worst_in_a_rank():
    p = make_panel({"A": [10, 11, 12, 13], "B": [NAN, NAN, 12, 14], "C": [10, 10, 10, 10]})
    t = run_screen(p, [Filter(factor("momentum", window=3), ">", -1)], None)
    assert t.loc["B", "failed"] == "momentum_3 > -1 (no value)"
    assert "momentum: needs 4 sessions of history, has 2" in t.loc["B", "notes"]
    t2 = run_screen(p, [Rank(factor("momentum", window=3)), Rank(factor("momentum", window=1), weight=1.0)], None)
    # B: no 3-session momentum -> 0 there; 1-session momenta 13/12-1, 14/12-1, 0 -> ranks 2/3, 1, 1/3
    assert t2.loc["B", "score"] == pytest.approx((0 + 1) / 2)
    assert "no momentum_3 value: counted as worst in the score" in t2.loc["B", "notes"]


def test_steps_are_checked():
    with pytest.raises(ConfigError, match="unknown operator '=>'; valid: >=, >, <=, <, ==, !="):
        Filter("momentum", "=>", 0)
    with pytest.raises(ConfigError, match="unknown factor 'momentun'; valid factors: avg_amount, correlation"):
        Rank("momentun")
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) 'windw' for factor 'momentum'; "
                                          r"valid: window, skip"):
        factor("momentum", windw=3)
    with pytest.raises(ConfigError, match="comes before any rank step"):
        Screen((Top(3), Rank("momentum")))
    with pytest.raises(ConfigError, match="ranked twice"):
        Screen((Rank("momentum"), Rank("momentum", ascending=True)))
    with pytest.raises(ConfigError, match="must be a positive number"):
        Rank("momentum", weight=0)
    with pytest.raises(ConfigError, match="top must be a positive integer"):
        Top(0)


def test_two_factors_with_one_label_are_refused(small):
    steps = [Rank(factor("momentum", window=3, label="m")), Filter(factor("momentum", window=1, label="m"), ">", 0)]
    with pytest.raises(ConfigError, match="share the column label 'm'"):
        run_screen(small, steps, None)


CONFIG = """
name = "hand"
[[steps]]
filter = "avg_amount"
window = 2
op = ">="
value = 80
[[steps]]
rank = "momentum"
window = 3
weight = 2.0
[[steps]]
rank = "avg_amount"
window = 2
ascending = false
[[steps]]
top = 2
"""


def test_toml_config_equals_the_python_screen(small, tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(CONFIG)
    a = run_screen(small, load_screen(f), None)
    b = run_screen(small, hand_screen(top=2), None)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["screen"] == "hand"


@pytest.mark.parametrize("cfg, message", [
    ({"steps": [{"rank": "sharpe"}]}, "step 1: unknown factor 'sharpe'; valid factors: avg_amount, correlation, fee"),
    ({"steps": [{"filter": "fee", "op": "~", "value": 1}]}, "step 1: unknown operator '~'; valid: >="),
    ({"steps": [{"rank": "fee"}, {"filter": "momentum", "op": ">"}]}, "step 2: filter on 'momentum' lacks value"),
    ({"steps": [{"rank": "fee", "top": 3}]}, "step 1 must have exactly one of filter, rank, top"),
    ({"steps": [{"rank": "volatility", "span": 3}]}, "step 1: unknown parameter(s) 'span' for factor 'volatility'"),
    ({"stepz": []}, "unknown config key(s) ['stepz']; valid: fees, list_dates, name, reference, steps"),
    ({"steps": []}, "config needs a non-empty 'steps' list"),
    ({"steps": [{"rank": "fee", "ascending": "yes"}]}, "ascending for 'fee' must be true or false"),
])
def test_config_errors_name_the_bad_thing(cfg, message):
    with pytest.raises(ConfigError) as exc:
        screen_from_config(cfg)
    assert message in str(exc.value)


def test_bad_toml_file_is_a_config_error(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[[steps]\nrank=")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_screen(f)
    with pytest.raises(ConfigError, match="not found"):
        load_screen(tmp_path / "missing.toml")


@settings(max_examples=30, deadline=None)
@given(vals=st.lists(st.integers(-50, 50), min_size=2, max_size=8), w=st.floats(0.1, 10.0))
def test_score_of_one_rank_is_its_percentile_and_bounded(vals, w):
    p = make_panel({f"S{i}": [100.0, 100.0 + v] for i, v in enumerate(vals)})
    t = run_screen(p, [Rank(factor("momentum", window=1), weight=w)], None)
    expected = pd.Series(vals, index=[f"S{i}" for i in range(len(vals))]).rank(pct=True)
    np.testing.assert_allclose(t["score"].reindex(expected.index), expected, rtol=1e-9)
    assert ((t["score"] > 0) & (t["score"] <= 1)).all()
    assert t["score"].is_monotonic_decreasing


# ----------------------------------------------------------------------------- real data
def stock_panel(codes=("300308", "300502", "300394", "002463", "300476", "600183")) -> Panel:
    return load_snapshot(codes)  # volume in shares, amount in CNY


def etf_panel(codes=("588790", "588760", "588930", "589010", "588730")) -> Panel:
    return load_snapshot(codes)


def _perturb_after(p: Panel, day) -> Panel:
    rows = p.dates > pd.Timestamp(day)
    rng = np.random.default_rng(7)
    fields = {k: v.copy() for k, v in p.fields.items()}
    for k in ("open", "high", "low", "close", "volume", "amount"):
        fields[k][rows] *= rng.uniform(0.3, 3.0, size=fields[k][rows].shape)
    fields["close"][rows, 0] = np.nan  # even a suspension after the date changes nothing
    return Panel(p.dates, p.symbols, fields, ~np.isnan(fields["close"]), p.currency, p.fx_to_cny)


def test_stock_screen_is_point_in_time_on_real_data():
    p = stock_panel()
    day = "2025-03-14"
    a = run_screen(p, stock_screen(top=3), day)
    b = run_screen(_perturb_after(p, day), stock_screen(top=3), day)
    pd.testing.assert_frame_equal(a, b)
    assert a["pass"].sum() == 3
    # independent check of two factor values straight from the snapshot's bars (sessions up to the day)
    close = p.series("300308", "close", dropna=False).loc[:day]
    amount = p.series("300308", "amount", dropna=False).loc[:day]
    assert close.iloc[-126:].notna().all() and amount.iloc[-20:].notna().all()  # traded every session
    assert a.loc["300308", "avg_amount_20"] == pytest.approx(amount.iloc[-20:].mean())
    assert a.loc["300308", "momentum_120_5"] == pytest.approx(close.iloc[-6] / close.iloc[-126] - 1)
    assert a.attrs["as_of"] == pd.Timestamp("2025-03-14")


def test_etf_screen_is_point_in_time_and_tracks_reference_series():
    p = etf_panel()
    day = "2025-11-28"
    fees = {"588790": (0.005, 0.001), "588760": (0.005, 0.001), "588930": (0.0015, 0.0005)}
    ref = p.series("588790", dropna=False)
    a = run_screen(p, etf_screen(fees, ref), day)
    ref2 = ref.copy()
    ref2[ref2.index > day] *= 1.5
    b = run_screen(_perturb_after(p, day), etf_screen(fees, ref2), day)
    pd.testing.assert_frame_equal(a, b)
    # 588790's own closes are never its benchmark: no value, and the note says why
    assert math.isnan(a.loc["588790", "tracking_error_60"]) and math.isnan(a.loc["588790", "correlation_60"])
    assert "this is the reference itself" in a.loc["588790", "notes"]
    assert (a.drop(index="588790")["correlation_60"] > 0.95).all()  # same index, all close trackers
    assert a.loc["588930", "fee"] == pytest.approx(0.002)
    assert a.loc["588930", "rank_fee"] == pytest.approx(1.0)  # the cheapest of those with fees
    assert "no fee value: counted as worst in the score" in a.loc["589010", "notes"]
