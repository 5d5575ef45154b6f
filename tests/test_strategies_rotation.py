"""Rotation sweep: hand-worked sleeve picks, kernel == explicit engine run, no look-ahead, grid."""
import numpy as np
import pandas as pd
import pytest

from aibt.data.snapshot import load_snapshot
from aibt.engine.simulate import simulate
from aibt.errors import ConfigError
from aibt.strategies import rotation_nb as rnb
from aibt.strategies.rotation import (ParamGrid, asset_sleeves, basket_level, build_sleeves, compute_signals,
                                      prepare, run_sweep, walk_forward)
from aibt.universes import BASKETS, compile_rules
from rotation_reference import reference_targets

BASKET_CODES = {k: list(v) for k, v in BASKETS.items()}


@pytest.fixture(scope="module")
def panel():
    codes = sorted({c for m in BASKET_CODES.values() for c in m})
    return load_snapshot(codes, start="2023-01-01", end="2024-12-31")


def test_sleeve_weights_top_k_equal_and_filter():
    out = np.zeros(4)
    mom = np.array([0.1, np.nan, 0.3, -0.2])
    ok = np.array([True, True, True, True])
    rnb.sleeve_weights_nb(mom, np.ones(4), ok, 2, rnb.WEIGHT_EQUAL, out)
    np.testing.assert_array_equal(out, [0.5, 0.0, 0.5, 0.0])
    # the second-best fails its trend filter: its half stays in cash
    rnb.sleeve_weights_nb(mom, np.ones(4), np.array([False, True, True, True]), 2, rnb.WEIGHT_EQUAL, out)
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.5, 0.0])
    # K larger than the sleeves with a signal: all three valid sleeves, 1/3 each
    rnb.sleeve_weights_nb(mom, np.ones(4), ok, 4, rnb.WEIGHT_EQUAL, out)
    np.testing.assert_allclose(out, [1 / 3, 0.0, 1 / 3, 1 / 3])


def test_sleeve_weights_inverse_volatility():
    out = np.zeros(3)
    rnb.sleeve_weights_nb(np.array([0.2, 0.1, 0.0]), np.array([10.0, 30.0, 5.0]), np.ones(3, dtype=bool),
                          2, rnb.WEIGHT_INV_VOL, out)
    np.testing.assert_allclose(out, [0.25, 0.75, 0.0])  # 10/(10+30), 30/(10+30)


def test_ties_keep_lower_sleeve_first():
    out = np.zeros(3)
    rnb.sleeve_weights_nb(np.array([0.1, 0.1, 0.1]), np.ones(3), np.ones(3, dtype=bool), 1,
                          rnb.WEIGHT_EQUAL, out)
    np.testing.assert_array_equal(out, [1.0, 0.0, 0.0])


def test_security_targets_spread_sleeves():
    from aibt.strategies.rotation import sparse_members

    member = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    member_j, member_v = sparse_members(member[None])
    np.testing.assert_array_equal(member_j[0], [[0, 1], [2, -1]])
    np.testing.assert_array_equal(member_v[0], [[0.5, 0.5], [1.0, 0.0]])
    out = np.zeros(3)
    rnb.security_targets_nb(np.array([0.6, 0.4]), member_j[0], member_v[0], out)
    np.testing.assert_allclose(out, [0.3, 0.3, 0.4])


def test_sparse_members_hold_every_nonzero_weight():
    from aibt.strategies.rotation import sparse_members

    rng = np.random.default_rng(3)
    dense = np.where(rng.random((40, 4, 7)) < 0.3, rng.random((40, 4, 7)), 0.0)
    dense[5] = 0.0  # a date without members
    member_j, member_v = sparse_members(dense)
    assert member_j.shape[2] == (dense != 0).sum(axis=2).max()
    back = np.zeros_like(dense)
    for t in range(40):
        for s in range(4):
            js = member_j[t, s][member_j[t, s] >= 0]
            assert list(js) == sorted(js)
            back[t, s, js] = member_v[t, s, :len(js)]
    np.testing.assert_array_equal(back, dense)
    assert sparse_members(np.zeros((3, 2, 5)))[0].shape == (3, 2, 1)


def test_grid_codes_match_table():
    grid = ParamGrid(lookbacks=(20, 60), top_k=(1, 2), periods=(5,), weightings=("equal", "inv_vol"),
                     trend_windows=(0, 60))
    table = grid.table()
    codes = grid.codes()
    assert grid.size == len(table) == len(codes) == 16
    assert list(table.iloc[5]) == [20, 2, 5, "equal", 60]
    np.testing.assert_array_equal(codes[5], [0, 2, 5, rnb.WEIGHT_EQUAL, 1])
    np.testing.assert_array_equal(grid.codes(5, 7), codes[5:7])


@pytest.mark.parametrize("cfg, message", [
    ({"lookback": [20]}, "did you mean 'lookbacks'"),
    ({"weightings": ["equal", "invvol"]}, "unknown weighting 'invvol'"),
    ({"top_k": [0]}, "top_k values must be >= 1, got 0"),
    ({"lookbacks": 20}, "lookbacks must be a list, got 20"),
    ({"top_k": ["a"]}, "top_k must hold whole numbers of sessions, got 'a'"),
    ({"trend_windows": [-5]}, "trend_windows values must be >= 0, got -5"),
    ({"periods": []}, "periods is empty"),
])
def test_grid_config_errors_name_the_key(cfg, message):
    with pytest.raises(ConfigError, match=message):
        ParamGrid.from_dict(cfg)


def test_basket_level_is_mean_of_member_returns(panel):
    lvl = basket_level(panel, ["300308", "300502"])
    c = panel.frame("close")[["300308", "300502"]]
    expected = (1 + c.pct_change().mean(axis=1).iloc[1:]).cumprod()
    np.testing.assert_allclose(lvl.iloc[1:].to_numpy(), expected.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("combo", [0, 5, 13])
def test_kernel_equals_explicit_engine_run(panel, combo):
    sleeves = build_sleeves(panel, BASKET_CODES)
    grid = ParamGrid(lookbacks=(20, 60), top_k=(1, 2), periods=(5, 21), weightings=("equal", "inv_vol"),
                     trend_windows=(0,))
    rules = compile_rules(panel.dates, panel.symbols)
    setup = prepare(panel, sleeves, grid, rules, commission=0.00025, min_commission=5.0)
    table, eq = run_sweep(setup, keep_equity=True)
    w = reference_targets(setup, combo, 0, len(panel.dates))
    sim = simulate(panel, w, rules=rules, price="open", init_cash=setup.init_cash, commission=0.00025,
                   min_commission=5.0, carry_unfilled=False)
    np.testing.assert_allclose(eq[combo].to_numpy(), sim.equity.to_numpy(), rtol=1e-12)
    assert table.loc[combo, "final_value"] == pytest.approx(sim.equity.iloc[-1], rel=1e-12)
    assert table.loc[combo, "n_filled"] == int((sim.fills["filled"] > 0).sum())


def test_no_look_ahead_perturbing_the_future(panel):
    cut = pd.Timestamp("2024-06-28")
    grid = ParamGrid(lookbacks=(20,), top_k=(1, 2), periods=(5,), weightings=("equal",), trend_windows=(0, 20))
    base = prepare(panel, build_sleeves(panel, BASKET_CODES), grid, compile_rules(panel.dates, panel.symbols))
    _, eq = run_sweep(base, keep_equity=True)
    fields = {k: v.copy() for k, v in panel.fields.items()}
    later = panel.dates > cut
    rng = np.random.default_rng(0)
    for k in ("open", "high", "low", "close"):
        shake = rng.uniform(0.5, 1.5, size=fields[k][later].shape)
        fields[k][later] *= shake
        fields[f"traded_{k}"][later] = np.round(fields[f"traded_{k}"][later] * shake, 2)
    shaken = type(panel)(panel.dates, panel.symbols, fields, panel.tradable, panel.currency, panel.fx_to_cny, {},
                         panel.events)
    alt = prepare(shaken, build_sleeves(shaken, BASKET_CODES), grid, compile_rules(shaken.dates, shaken.symbols))
    _, eq2 = run_sweep(alt, keep_equity=True)
    pd.testing.assert_frame_equal(eq.loc[:cut], eq2.loc[:cut])
    assert not eq.loc[cut:].iloc[1:].equals(eq2.loc[cut:].iloc[1:])


def test_summary_mode_matches_equity_mode(panel):
    grid = ParamGrid(lookbacks=(20, 60), top_k=(1, 2), periods=(5,), weightings=("equal", "inv_vol"),
                     trend_windows=(0,))
    setup = prepare(panel, asset_sleeves(panel), grid)
    summ, none = run_sweep(setup)
    assert none is None
    full, eq = run_sweep(setup, keep_equity=True)
    pd.testing.assert_frame_equal(summ, full)
    np.testing.assert_allclose(full["final_value"].to_numpy(), eq.iloc[-1].to_numpy(), rtol=0)
    # chunks give the same rows as the whole grid
    part, _ = run_sweep(setup, combos=(3, 7))
    pd.testing.assert_frame_equal(part, full.loc[3:6])


def test_walk_forward_folds_and_chained_curve(panel):
    grid = ParamGrid(lookbacks=(20, 60), top_k=(1, 2), periods=(5,), weightings=("equal",), trend_windows=(0,))
    setup = prepare(panel, build_sleeves(panel, BASKET_CODES), grid)
    folds, curve = walk_forward(setup, train_sessions=100, test_sessions=60)
    full, rest = divmod(len(panel.dates) - 100, 60)  # 484 sessions: 6 full folds + 24
    assert len(folds) == full + (rest >= 15)  # a last, shorter test window needs a quarter of 60 sessions
    if rest >= 15:
        assert folds["test_end"].iloc[-1] == panel.dates[-1].date().isoformat()
    assert len(curve) == len(panel.dates) - 100 - (0 if rest >= 15 else rest)
    assert folds["test_start"].iloc[1] > folds["test_end"].iloc[0]
    assert curve.iloc[0] == 1.0
    # the chained curve compounds the folds' out-of-sample total returns
    assert curve.iloc[-1] == pytest.approx(np.prod(1 + folds["oos_total_return"].to_numpy()), rel=1e-12)


def test_signals_are_point_in_time():
    prices = pd.DataFrame({"a": [1.0, 2.0, 4.0, 8.0], "b": [1.0, 1.0, 1.0, 0.5]},
                          index=pd.date_range("2024-01-01", periods=4))
    sig = compute_signals(prices, [2], [0, 2], vol_window=2)
    np.testing.assert_allclose(sig.momentum[0, 2:], [[3.0, 0.0], [3.0, -0.5]])
    assert np.isnan(sig.momentum[0, :2]).all()
    assert sig.trend_ok[0].all()
    np.testing.assert_array_equal(sig.trend_ok[1], [[False, False], [True, True], [True, True], [True, False]])


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from([-0.2, -0.1, 0.0, 0.05, 0.1, 0.3])), min_size=1, max_size=12))
def test_momentum_order_is_a_stable_descending_sort(values):
    mom = np.array([np.nan if v is None else v for v in values])
    order = np.empty(len(mom), dtype=np.int64)
    valid = rnb.momentum_order_nb(mom, order)
    expected = [int(s) for s in np.argsort(np.where(np.isnan(mom), np.inf, -mom), kind="stable")
                if not np.isnan(mom[s])]
    assert valid == len(expected)
    assert list(order[:valid]) == expected
    assert (order[valid:] == -1).all()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(1, 40))
def test_momentum_orders_of_every_date_equal_a_stable_sort(seed, s_len, t_len):
    # the kernel's counting rank against numpy's stable argsort, with ties (values from a small set)
    # and sleeves gaining and losing a signal
    rng = np.random.default_rng(seed)
    mom = rng.choice(np.array([-0.1, 0.0, 0.05, 0.2, np.nan]), size=(2, t_len, s_len), p=[0.2, 0.2, 0.2, 0.2, 0.2])
    mom[1] += rng.normal(0, 0.01, size=mom[1].shape)  # mostly distinct keys that drift
    order, n_valid = rnb.momentum_orders(mom)
    for i in range(2):
        for t in range(t_len):
            row = mom[i, t]
            expected = [int(s) for s in np.argsort(np.where(np.isnan(row), np.inf, -row), kind="stable")
                        if not np.isnan(row[s])]
            assert n_valid[i, t] == len(expected)
            assert list(order[i, t]) == expected + [-1] * (s_len - len(expected))


def test_asset_sleeves_give_the_sparse_form_of_their_identity_members(panel):
    from aibt.strategies.rotation import sparse_members

    sl = asset_sleeves(panel)
    n = len(panel.symbols)
    expected = sparse_members(np.ascontiguousarray(sl.member_w))
    for got, want in zip(sl.members, expected):
        np.testing.assert_array_equal(got, want)
    assert (sl.member_w[7] == np.eye(n)).all() and not sl.member_w.flags.writeable
