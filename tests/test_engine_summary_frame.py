"""The vectorised summary table equals the per-row summary_dict exactly, edge cases included."""
import numpy as np
import pandas as pd

from aibt.engine import nb
from aibt.engine.result import SUMMARY_COLUMNS, summary_dict, summary_frame


def test_summary_frame_equals_summary_dict_row_by_row():
    rng = np.random.default_rng(0)
    rows = np.abs(rng.normal(1, 0.5, (60, nb.SUM_SIZE))) * 1e6
    rows[:, nb.SUM_N_RETURNS] = rng.integers(0, 300, 60)
    rows[:2, nb.SUM_N_RETURNS] = [0, 1]  # no return / a single return: NaN volatility and Sharpe
    rows[:, nb.SUM_RET_MEAN] = rng.normal(0, 0.01, 60)
    rows[:, nb.SUM_RET_M2] = np.abs(rng.normal(0, 0.1, 60))
    rows[5, nb.SUM_RET_M2] = 0.0  # zero deviation: NaN Sharpe
    rows[3, nb.SUM_FINAL_VALUE] = 0.0  # ruined: CAGR -1 (the one CAGR, aibt.data.annualise.cagr)
    rows[:, nb.SUM_N_FILLED] = rng.integers(0, 100, 60)
    dates = pd.bdate_range("2024-01-01", periods=200)
    table = summary_frame(rows, dates, index=pd.RangeIndex(10, 70))
    expected = pd.DataFrame([summary_dict(r, dates) for r in rows], columns=list(SUMMARY_COLUMNS),
                            index=pd.RangeIndex(10, 70))
    # equal to the last bits: numpy's vectorised and scalar pow may differ by one ulp
    pd.testing.assert_frame_equal(table, expected, check_exact=False, rtol=1e-14, atol=0.0)
    assert table.loc[13, "cagr"] == -1.0 and np.isnan(table.loc[10, "sharpe"]) and np.isnan(table.loc[15, "sharpe"])
