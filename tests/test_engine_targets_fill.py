"""The compiled target check-and-fill equals a pandas reference, for one portfolio and for many."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from aibt.data.panel import Panel
from aibt.engine.targets import validate_and_fill
from aibt.errors import ConfigError

DATES = pd.bdate_range("2024-01-01", periods=6)


def _panel(n):
    t = len(DATES)
    close = np.full((t, n), 10.0)
    return Panel(DATES, tuple(f"S{j}" for j in range(n)), {"close": close, "adj_factor": np.ones((t, n))},
                 np.ones((t, n), dtype=bool), ("CNY",) * n, np.ones((t, n)))


def _reference(raw2d):
    given = ~np.isnan(raw2d).all(axis=1)
    rows = np.where(given[:, None] & np.isnan(raw2d), 0.0, raw2d)  # NaN inside a given row -> 0
    filled = pd.DataFrame(rows).ffill().fillna(0.0)  # rows not given carry the last target forward
    return filled.to_numpy(), given


cell = st.one_of(st.just(np.nan), st.sampled_from([0.0, 0.1, 0.25, 0.3]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.lists(cell, min_size=3, max_size=3), min_size=6, max_size=6), min_size=1, max_size=4))
def test_fill_equals_pandas_reference(cube):
    raw = np.array(cube, dtype=float)
    panel = _panel(3)
    out, given_rows = validate_and_fill(panel, raw)
    for c in range(raw.shape[0]):
        ref, ref_given = _reference(raw[c])
        np.testing.assert_array_equal(out[c], ref)
        np.testing.assert_array_equal(given_rows[c], ref_given)
        one, one_given = validate_and_fill(panel, raw[c])
        np.testing.assert_array_equal(one, ref)
        np.testing.assert_array_equal(one_given, ref_given)


@pytest.mark.parametrize("value, message", [
    (np.inf, "portfolio 'b': weight of S1 on 2024-01-03 is infinite"),
    (-0.1, "portfolio 'b': weight of S1 on 2024-01-03 is -0.1: weights must be >= 0"),
    (0.9, "portfolio 'b': weights on 2024-01-03 sum to 1.2 > 1"),
])
def test_errors_name_portfolio_symbol_and_date(value, message):
    raw = np.full((2, 6, 3), np.nan)
    raw[:, 0] = [0.3, 0.3, 0.3]
    raw[1, 2] = [0.3, value, 0.0]
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        validate_and_fill(_panel(3), raw, labels=["a", "b"])


def test_equal_weights_only_from_listing_and_until_the_data_end():
    from aibt.data.panel import Panel
    from aibt.engine.targets import equal_weights, listed_mask

    nan = np.nan
    close = np.array([[10, nan, 5], [10, nan, 5], [10, 20, nan], [10, 20, nan]], dtype=float)  # C ends on row 1
    close[1, 0] = nan  # A suspended on row 1: still listed
    dates = pd.bdate_range("2024-01-02", periods=4)
    p = Panel(dates, ("A", "B", "C"), {"close": close}, ~np.isnan(close), ("CNY",) * 3, np.ones_like(close))
    assert listed_mask(p).tolist() == [[True, False, True], [True, False, True], [True, True, False],
                                       [True, True, False]]
    w = equal_weights(p)
    np.testing.assert_allclose(w, [[0.5, 0, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0], [0.5, 0.5, 0]])
    np.testing.assert_allclose(equal_weights(p, ["B"]), [[0, 0, 0], [0, 0, 0], [0, 1, 0], [0, 1, 0]])


def test_copper_basket_stops_weighting_6088_hk_after_its_data_end():
    from aibt.data.snapshot import load_snapshot
    from aibt.strategies.rotation import equal_member_weights

    p = load_snapshot(["300913", "300308", "6088.HK"], start="2025-10-01", end="2025-11-10")
    w = pd.DataFrame(equal_member_weights(p, p.symbols), index=p.dates, columns=p.symbols)
    assert w.loc["2025-10-30"].tolist() == pytest.approx([1 / 3] * 3)
    assert w.loc["2025-10-31":, "6088.HK"].eq(0).all()
    assert w.loc["2025-10-31":, ["300913", "300308"]].to_numpy() == pytest.approx(0.5)
