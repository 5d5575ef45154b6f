"""Rolling kernels equal pandas' rolling(window, min_periods=window) on NaN-holed data."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from aibt.strategies.rolling_nb import rolling_mean, rolling_std


def _series(seed, t_len, holes):
    rng = np.random.default_rng(seed)
    x = 100 * np.cumprod(1 + rng.normal(0, 0.03, (t_len, 3)), axis=0)
    x[rng.random((t_len, 3)) < holes] = np.nan
    x[:5, 1] = np.nan  # a column that starts late
    return x


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.sampled_from([0.0, 0.05, 0.3]))
def test_equal_to_pandas(seed, window, holes):
    x = _series(seed, 300, holes)
    frame = pd.DataFrame(x)
    np.testing.assert_allclose(rolling_mean(x, window), frame.rolling(window, min_periods=window).mean(),
                               rtol=1e-12, atol=0, equal_nan=True)
    r = frame.pct_change(fill_method=None).to_numpy()
    got = rolling_std(r, window, 1)
    # reference: numpy's two-pass std of every full window (pandas' running updates lose digits when
    # the deviations are tiny, so it is checked to a looser 1e-6 below)
    expected = np.full_like(r, np.nan)
    if window > 1:
        views = np.lib.stride_tricks.sliding_window_view(r, window, axis=0)
        full = ~np.isnan(views).any(axis=-1)
        expected[window - 1:][full] = views[full].std(axis=-1, ddof=1)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-17, equal_nan=True)
    np.testing.assert_allclose(got, pd.DataFrame(r).rolling(window, min_periods=window).std(ddof=1), rtol=1e-6,
                               atol=1e-15, equal_nan=True)


def test_hand_worked_window_of_three():
    x = np.array([[1.0], [2.0], [np.nan], [4.0], [5.0], [6.0]])
    np.testing.assert_array_equal(rolling_mean(x, 2)[:, 0], [np.nan, 1.5, np.nan, np.nan, 4.5, 5.5])
    assert rolling_std(x, 3, 1)[5, 0] == pytest.approx(1.0)  # std of 4, 5, 6
    assert np.isnan(rolling_std(x, 3, 1)[4, 0])  # the window 2..4 holds a NaN
