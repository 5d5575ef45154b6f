"""Index reconstruction on hand-worked cases."""
import numpy as np
import pandas as pd
import pytest

from aibt.errors import DataError
from aibt.strategies.index_reconstruction import reconstruct_index, validate_constituents

DATES = pd.to_datetime(["2022-12-29", "2022-12-30", "2023-01-03", "2023-01-04", "2023-01-05"])


def _close():
    return pd.DataFrame({"A": [9.0, 10.0, 11.0, 12.0, 12.0],
                         "B": [20.0, 20.0, 18.0, 18.0, 27.0],
                         "C": [5.0, 5.0, 5.0, 6.0, 6.0]}, index=DATES)


def test_levels_drift_with_prices_between_reviews():
    cons = pd.DataFrame({"effective_date": ["2022-12-12"] * 2, "code": ["A", "B"], "weight": [0.5, 0.5]})
    lvl = reconstruct_index(_close(), cons, "2022-12-30", 1000.0)
    # holdings: A 50 shares (500/10), B 25 shares (500/20)
    # 01-03: 50*11 + 25*18 = 1000; 01-04: 600+450 = 1050; 01-05: 600+675 = 1275
    assert lvl.index[0] == pd.Timestamp("2022-12-30")
    np.testing.assert_allclose(lvl.to_numpy(), [1000.0, 1000.0, 1050.0, 1275.0], rtol=0, atol=1e-12)


def test_review_rebalances_at_previous_close():
    cons = pd.DataFrame({"effective_date": ["2022-12-12", "2022-12-12", "2023-01-04", "2023-01-04"],
                         "code": ["A", "B", "A", "C"], "weight": [0.5, 0.5, 0.25, 0.75]})
    lvl = reconstruct_index(_close(), cons, "2022-12-30", 1000.0)
    # 01-03 level 1000 (as above). New review effective 01-04: at the 01-03 close,
    # A: 250/11 shares, C: 750/5 = 150 shares. 01-04: 250/11*12 + 150*6 = 272.7272.. + 900
    l4 = 250 / 11 * 12 + 900
    np.testing.assert_allclose(lvl.loc["2023-01-04"], l4, rtol=1e-14)
    np.testing.assert_allclose(lvl.loc["2023-01-05"], l4, rtol=1e-14)  # A and C flat on 01-05


def test_suspended_constituent_keeps_last_price():
    close = _close()
    close.loc["2023-01-04", "B"] = np.nan
    cons = pd.DataFrame({"effective_date": ["2022-12-12"] * 2, "code": ["A", "B"], "weight": [0.5, 0.5]})
    lvl = reconstruct_index(close, cons, "2022-12-30")
    assert lvl.loc["2023-01-04"] == pytest.approx(50 * 12 + 25 * 18)


@pytest.mark.parametrize("table, message", [
    (pd.DataFrame({"effective_date": ["2022-12-12"] * 2, "code": ["A", "B"], "weight": [0.5, 0.6]}), "sum to 1.1"),
    (pd.DataFrame({"effective_date": ["2022-12-12"] * 2, "code": ["A", "B"], "weight": [1.5, -0.5]}), "negative"),
    (pd.DataFrame({"effective_date": ["2022-12-12"] * 2, "code": ["A", "A"], "weight": [0.5, 0.5]}), "listed twice"),
    (pd.DataFrame({"date": ["2022-12-12"], "code": ["A"], "weight": [1.0]}), "effective_date"),
])
def test_bad_constituent_tables_are_named(table, message):
    with pytest.raises(DataError, match=message):
        validate_constituents(table)


def test_unknown_constituent_and_late_first_review():
    cons = pd.DataFrame({"effective_date": ["2022-12-12"], "code": ["ZZZ"], "weight": [1.0]})
    with pytest.raises(DataError, match="ZZZ"):
        reconstruct_index(_close(), cons, "2022-12-30")
    late = pd.DataFrame({"effective_date": ["2023-01-04"], "code": ["A"], "weight": [1.0]})
    with pytest.raises(DataError, match="no constituent review effective on or before"):
        reconstruct_index(_close(), late, "2022-12-30")


def test_input_frames_are_not_modified():
    close = _close()
    before = close.copy()
    cons = pd.DataFrame({"effective_date": ["2022-12-12"] * 2, "code": ["A", "B"], "weight": [0.5, 0.5]})
    cons_before = cons.copy()
    reconstruct_index(close, cons, "2022-12-30")
    pd.testing.assert_frame_equal(close, before)
    pd.testing.assert_frame_equal(cons, cons_before)


# ---------------------------------------------------------------- drift and the ETF-implied regression
def test_drifted_weights_hand_worked():
    from aibt.strategies.index_reconstruction import drifted_weights

    d = pd.bdate_range("2025-01-06", periods=4)
    close = pd.DataFrame({"A": [10.0, 10.0, 20.0, 20.0], "B": [5.0, 5.0, 5.0, 10.0]}, index=d)
    rows = pd.DataFrame({"effective_date": d[1], "code": ["A", "B"], "weight": [0.5, 0.5]})
    w = drifted_weights(rows, close, d[3])  # A doubled, B doubled: back to 50/50
    np.testing.assert_allclose(w.to_numpy(), [0.5, 0.5])
    w2 = drifted_weights(rows, close, d[2])  # A doubled only: 1.0 : 0.5
    np.testing.assert_allclose(w2.to_numpy(), [2 / 3, 1 / 3])


def test_capped_simplex_regression_hand_worked():
    from aibt.strategies.index_reconstruction import capped_simplex_regression

    # orthogonal unit columns, y = 3 e1: min (w1 - 3)^2 + w2^2 + w3^2 on the simplex with w <= 0.5
    # -> w1 = 0.5 at the cap, the remaining 0.5 split evenly (equal marginal cost): (0.5, 0.25, 0.25)
    np.testing.assert_allclose(capped_simplex_regression(np.eye(3), np.array([3.0, 0, 0]), 0.5),
                               [0.5, 0.25, 0.25], atol=1e-9)
    # y = e1 on two orthogonal columns, cap 0.6: (1 - w1)^2 + w2^2 with w2 = 1 - w1 -> w1 as large as allowed
    np.testing.assert_allclose(capped_simplex_regression(np.eye(2), np.array([1.0, 0.0]), 0.6), [0.6, 0.4],
                               atol=1e-9)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(250, 6))
    w0 = np.array([0.1, 0.1, 0.3, 0.25, 0.25, 0.0])
    np.testing.assert_allclose(capped_simplex_regression(x, x @ w0, 0.3), w0, atol=1e-7)
    # against a brute-force grid on three names (step 0.01)
    y = x[:, :3] @ np.array([0.7, 0.2, 0.1]) + rng.normal(0, 0.5, 250)
    best, arg = np.inf, None
    for a in np.arange(0, 0.41, 0.01):
        for b in np.arange(0, 0.41, 0.01):
            c = 1 - a - b
            if 0 <= c <= 0.4 + 1e-12:
                r = x[:, :3] @ np.array([a, b, c]) - y
                if r @ r < best:
                    best, arg = r @ r, (a, b, c)
    got = capped_simplex_regression(x[:, :3], y, 0.4)
    np.testing.assert_allclose(got, arg, atol=0.011)
    with pytest.raises(DataError, match="cannot sum to 1"):
        capped_simplex_regression(np.eye(3), np.ones(3), 0.2)


def test_capped_simplex_projection_hand_worked_and_kkt():
    """The projection onto {0 <= w <= cap, sum w = 1}: hand-worked cases, then the optimality conditions (a
    single shift tau with w = clip(v - tau, 0, cap)) on random vectors with ties."""
    from aibt.strategies.index_reconstruction import _project_capped_simplex as project

    np.testing.assert_allclose(project(np.array([0.5, 0.3, 0.2]), 1.0), [0.5, 0.3, 0.2], atol=1e-15)
    # v = (1, 0, 0), cap 0.5: the first name capped, the rest share 0.5 equally
    np.testing.assert_allclose(project(np.array([1.0, 0.0, 0.0]), 0.5), [0.5, 0.25, 0.25], atol=1e-15)
    # v = (2, 1, 0), cap 1: tau = 1 gives (1, 0, 0)
    np.testing.assert_allclose(project(np.array([2.0, 1.0, 0.0]), 1.0), [1.0, 0.0, 0.0], atol=1e-15)
    # ten equal names under a 10% cap: all at the cap
    np.testing.assert_allclose(project(np.full(10, 3.0), 0.1), np.full(10, 0.1), atol=1e-15)
    rng = np.random.default_rng(7)
    for _ in range(500):
        n = int(rng.integers(2, 50))
        cap = float(rng.choice([0.1, 0.25, 1.0]))
        if n * cap < 1:
            continue
        v = rng.normal(size=n) * float(rng.choice([1e-3, 1.0, 10.0]))
        v[: n // 3] = v[0]
        w = project(v, cap)
        assert abs(w.sum() - 1.0) < 1e-12 and w.min() >= 0.0 and w.max() <= cap
        inside = (w > 1e-12) & (w < cap - 1e-12)
        if inside.any():
            tau = (v - w)[inside]
            assert np.ptp(tau) < 1e-9
            tau = tau.mean()
            assert np.all(v[w <= 1e-12] <= tau + 1e-9) and np.all(v[w >= cap - 1e-12] >= tau + cap - 1e-9)


def test_capped_simplex_regression_exact_against_scipy():
    """The regression's weights are the exact optimum: the same from 300 or 20,000 iterations (the active-set
    polish), and equal to scipy's SLSQP solution of the same quadratic program (an independent solver)."""
    optimize = pytest.importorskip("scipy.optimize")
    from aibt.strategies.index_reconstruction import capped_simplex_regression

    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 30)) * 0.02
    y = x @ rng.dirichlet(np.ones(30)) + rng.normal(size=120) * 0.002
    w = capped_simplex_regression(x, y, 0.1, iterations=300)
    np.testing.assert_array_equal(w, capped_simplex_regression(x, y, 0.1, iterations=20_000))
    ref = optimize.minimize(lambda v: float(((x @ v - y) ** 2).sum()), np.full(30, 1 / 30),
                            jac=lambda v: 2 * x.T @ (x @ v - y), method="SLSQP", bounds=[(0.0, 0.1)] * 30,
                            constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1.0}],
                            options={"ftol": 1e-15, "maxiter": 1000})
    assert ref.success
    np.testing.assert_allclose(w, ref.x, atol=1e-6)
    assert ((x @ w - y) ** 2).sum() <= ((x @ ref.x - y) ** 2).sum() + 1e-15
