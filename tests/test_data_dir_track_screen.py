"""``aibt track`` and ``aibt screen`` on a ``--data-dir`` folder written here from the snapshot's own bars.

The folder holds the STAR AI candidates, 588790, 588760 and 000688 cut at 2026-03-31 (the embedded snapshot
runs to 2026-05), in the snapshot's parquet layout (bars, securities, shares; no events). Both commands must
end on the folder's last date, so a read of the embedded data instead would show.
"""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.data import snapshot
from aibt.universes import get_universe

CUT = pd.Timestamp("2026-03-31")


def _read(name: str) -> pd.DataFrame:
    return pd.read_parquet(snapshot.resources.files("aibt.data").joinpath("snapshot", name))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    keep = set(get_universe("star-ai").members) | {"588790", "588760", "000688"}
    bars = _read("bars.parquet")
    bars = bars[bars["symbol"].isin(keep) & (pd.to_datetime(bars["date"]) <= CUT)].reset_index(drop=True)
    bars.to_parquet(root / "bars.parquet", index=False)
    sec = _read("securities.parquet")
    sec[sec["symbol"].isin(keep)].to_parquet(root / "securities.parquet", index=False)
    shares = _read("shares.parquet")
    col = "symbol" if "symbol" in shares.columns else shares.index.name
    shares = shares.reset_index() if col not in shares.columns else shares
    shares[shares["symbol"].isin(keep)].to_parquet(root / "shares.parquet", index=False)
    return root


def test_screen_runs_on_the_data_folder(store):
    r = CliRunner().invoke(cli, ["screen", "588790,588760", "--json", "--data-dir", str(store)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["as_of"] == "2026-03-31" and out["reference"] == "950180"
    assert {row["symbol"] for row in out["rows"]} == {"588790", "588760"}
    assert all(row["tracking_error_60"] > 0 for row in out["rows"])
    r = CliRunner().invoke(cli, ["screen", "optical", "--json", "--data-dir", str(store)])
    assert r.exit_code == 2 and "300308" in r.output  # optical's members are not in the folder: one line
    r = CliRunner().invoke(cli, ["screen", "star-ai", "--top", "3", "--data-dir", str(store)])
    assert r.exit_code == 0, r.output
    assert "as of 2026-03-31" in r.output


def test_track_runs_on_the_data_folder(store, tmp_path):
    out = tmp_path / "track"
    r = CliRunner().invoke(cli, ["track", "star-ai", "--etf", "588790", "--out", str(out), "--data-dir", str(store)])
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["end"] == "2026-03-31"
    daily = pd.read_csv(out / "daily.csv", index_col=0, parse_dates=True)
    assert daily.index[-1] == CUT
    assert 0.9 < summary["correlation"] <= 1.0


def test_share_factors_use_a_share_history_when_the_folder_has_one(store, tmp_path):
    """A folder whose shares.parquet has a history (here: one count per month for two ETFs) feeds
    shares_change and net_flow; the embedded snapshot (one date) leaves them blank."""
    import shutil

    import numpy as np

    from aibt.data.snapshot import use_data_dir
    from aibt.screens import load_panel

    root = tmp_path / "with_shares"
    shutil.copytree(store, root)
    dates = pd.bdate_range("2025-06-02", "2026-03-31", freq="BMS")
    hist = pd.DataFrame([{"symbol": s, "date": d, "raw_close": np.nan, "total_mv": np.nan, "circ_mv": np.nan,
                          "total_shares": base * (1 + 0.1 * i), "float_shares": np.nan}
                         for s, base in (("588790", 1e9), ("588760", 2e9)) for i, d in enumerate(dates)])
    stocks = pd.read_parquet(store / "shares.parquet")  # the candidates' counts stay (the index rebuild needs them)
    pd.concat([stocks, hist], ignore_index=True).to_parquet(root / "shares.parquet", index=False)
    with use_data_dir(root):
        p = load_panel(["588790", "588760"], "2026-03-31")
    assert "shares" in p.fields
    from aibt.strategies import factors as F

    got = F.shares_change(p, None, window=20)
    # 20 sessions before 2026-03-31 is already in March: the same monthly count (2026-03-02), change 0;
    # over 60 sessions: from the count in force 60 sessions back to March's
    assert got.tolist() == pytest.approx([0.0, 0.0])
    day60 = p.dates[-61]
    k0 = int((dates <= day60).sum()) - 1
    want = (1 + 0.1 * 9) / (1 + 0.1 * k0) - 1
    assert F.shares_change(p, None, window=60).tolist() == pytest.approx([want, want])
    # the screen on that panel, against the rebuilt index (of the embedded snapshot: the index rebuild itself
    # reads one share count per stock), with the documented example config
    from pathlib import Path

    from aibt.screens import index_levels
    from aibt.strategies.screening import load_screen
    from aibt.strategies.universe_screens import screen_universe

    example = load_screen(Path(__file__).resolve().parents[1] / "examples" / "screen_star_ai_etfs.toml")
    t = screen_universe(p, "588790,588760", None, None, example, index_levels(["950180"], "2026-03-31"))
    assert t["shares_change_20"].tolist() == pytest.approx([0.0, 0.0])
    assert not any("no history of fund shares" in c for c in t.attrs["caveats"])
