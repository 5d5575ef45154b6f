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
