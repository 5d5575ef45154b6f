"""The ETF screen ranks by share and scale changes when the data hold units outstanding (`fund_shares`)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.data.store import read_tables, write_store


def test_etf_screen_ranks_by_share_and_scale_change(tmp_path):
    tables, prov = read_tables(None)
    b = tables["bars"]
    dates = b.loc[b["symbol"] == "588790", "date"].iloc[-25:].to_numpy()
    # 588790: units +10 % over the last 20 sessions; 588930: -5 %; 588760: none published
    grow = np.linspace(1.0, 1.10, 21)
    shrink = np.linspace(1.0, 0.95, 21)
    rows = [("588790", d, 8e9 * (grow[i - 4] if i >= 4 else 1.0)) for i, d in enumerate(dates)] + \
           [("588930", d, 3e9 * (shrink[i - 4] if i >= 4 else 1.0)) for i, d in enumerate(dates)]
    tables["fund_shares"] = pd.DataFrame(rows, columns=["symbol", "date", "shares"]).assign(source="fixture")
    d = tmp_path / "store"
    write_store(d, tables, prov)
    cfg = tmp_path / "flows.toml"
    cfg.write_text('[[steps]]\nrank = "share_change"\nwindow = 20\n[[steps]]\nrank = "scale_change"\nwindow = 20\n',
                   encoding="utf-8")
    res = CliRunner().invoke(cli, ["screen", "588790,588930,588760", "--date", "2026-05-07", "--config", str(cfg),
                                   "--json", "--data-dir", str(d)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    rows = {r["symbol"]: r for r in out["rows"]}
    assert rows["588790"]["share_change_20"] == pytest.approx(0.10, abs=1e-12)
    assert rows["588930"]["share_change_20"] == pytest.approx(-0.05, abs=1e-12)
    assert rows["588760"]["share_change_20"] is None
    c = b[b["symbol"] == "588790"].set_index("date")["traded_close"]
    t0, t1 = pd.Timestamp(dates[4]), pd.Timestamp(dates[-1])
    assert rows["588790"]["scale_change_20"] == pytest.approx(1.10 * c[t1] / c[t0] - 1, rel=1e-12)
    assert [r["symbol"] for r in out["rows"]][0] == "588790"
