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
