"""Index concentration: weights drifted by prices since the review (hand-worked), top-N, the command."""
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.errors import DataError
from aibt.results.tables import drifted_weights, top_weight


def test_drifted_weights_hand_worked():
    idx = pd.DatetimeIndex(["2026-03-13", "2026-03-16", "2026-03-17", "2026-03-18"])
    px = pd.DataFrame({"A": [10.0, 11.0, 12.0, 15.0], "B": [20.0, 20.0, np.nan, 10.0], "C": [5.0, 5.0, 5.0, 5.0]},
                      index=idx)
    w = pd.Series({"A": 0.5, "B": 0.3, "C": 0.2})
    # effective 2026-03-16: rebalanced at the close of 03-13; on 03-18: A x1.5, B x0.5, C x1
    t = drifted_weights(w, px, "2026-03-16", "2026-03-18")
    tot = 0.5 * 1.5 + 0.3 * 0.5 + 0.2
    assert list(t.index) == ["A", "C", "B"]
    assert t.loc["A", "weight"] == pytest.approx(0.75 / tot) and t.loc["B", "weight"] == pytest.approx(0.15 / tot)
    assert top_weight(t, 2) == pytest.approx(0.95 / tot)
    # 03-17: B suspended keeps its last close
    t2 = drifted_weights(w, px, "2026-03-16", "2026-03-17")
    assert t2.loc["B", "price_change"] == 0.0
    assert top_weight(w, 1) == 0.5
    with pytest.raises(DataError):
        drifted_weights(w, px, "2026-03-16", "2026-03-15")


def test_concentration_command():
    from aibt.cli import cli

    res = CliRunner().invoke(cli, ["concentration", "--date", "2026-05-07", "--top", "10", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    ws = [m["weight"] for m in rep["members"]]
    assert ws == sorted(ws, reverse=True) and sum(ws) == pytest.approx(1.0)
    assert rep["top_weight"] == pytest.approx(sum(ws[:10]))
    assert all(m["name"] for m in rep["members"])
    bad = CliRunner().invoke(cli, ["concentration", "--top", "0"])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1
