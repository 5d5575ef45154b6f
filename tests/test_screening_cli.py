"""`aibt screen`: JSON and table output, errors as one line with exit code 2 (CliRunner)."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import aibt.commands.screen as cmd
import aibt.screens as loader
from aibt.cli import cli

from test_screening_pipeline import etf_panel, stock_panel

STOCKS = ("300308", "300502", "300394", "002463", "300476", "600183")
ETFS = ("588790", "588760", "588930", "589010", "588730")


@pytest.fixture(autouse=True)
def raw_data(monkeypatch):
    """Stand in for the snapshot: the same raw files the pipeline tests use, cut at the date."""
    stocks, etfs = stock_panel(STOCKS), etf_panel(ETFS)
    loaded = {}

    def load_panel(codes, as_of=None):
        src = etfs if codes[0] in ETFS else stocks
        loaded["codes"] = list(codes)
        return src.select(codes, end=as_of)

    monkeypatch.setattr(loader, "load_panel", load_panel)
    if cli.get_command(None, "screen") is None:  # the lead registers it; make the test independent of that
        cli.add_command(cmd.screen)
    return loaded


def invoke(*args):
    return CliRunner().invoke(cli, ["screen", *args], catch_exceptions=False)


def test_etf_json_ranks_by_tracking_against_the_tracked_index_and_fees(raw_data):
    res = invoke("588760,588930,589010,588730", "--date", "2025-11-30", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["as_of"] == "2025-11-28"  # Sunday 30th -> last session
    assert out["reference"] == "950180"  # the rebuilt index they track, not a peer fund
    assert raw_data["codes"] == ["588760", "588930", "589010", "588730"]  # no peer loaded as a benchmark
    rows = {r["symbol"]: r for r in out["rows"]}
    assert set(rows) == {"588760", "588930", "589010", "588730"}
    assert {r["tracks"] for r in out["rows"]} == {"950180"}
    assert rows["588760"]["fee"] == pytest.approx(0.006)  # fractions, not percents
    assert rows["588760"]["fee_status"] == "reported" and rows["589010"]["fee_status"] == "assumed"
    assert 0 < rows["588760"]["tracking_error_60"] < 0.2
    assert [r["score"] for r in out["rows"]] == sorted((r["score"] for r in out["rows"]), reverse=True)
    assert any("assumed" in c and "589010" in c for c in out["caveats"])


def test_a_peer_etf_as_reference_is_refused_in_one_line():
    res = CliRunner().invoke(cli, ["screen", "star-ai-etfs", "--reference", "588790"])
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: --reference 588790 is an ETF")
    assert len(res.output.strip().splitlines()) == 1


def test_stock_top_k_table_and_json(raw_data):
    res = invoke(",".join(STOCKS), "--date", "2025-06-30", "--top", "2", "--json")
    out = json.loads(res.output)
    passing = [r["symbol"] for r in out["rows"] if r["pass"]]
    assert len(passing) == 2
    assert out["rows"][2]["failed"] == "not in top 2"
    assert out["steps"][-1] == "top 2"
    text = invoke(",".join(STOCKS), "--date", "2025-06-30", "--top", "2").output
    assert "stock screen of" in text and "as of 2025-06-30" in text
    assert passing[0] in text and passing[1] in text
    shown = [r["symbol"] for r in out["rows"] if r["symbol"] not in passing]
    assert not any(f"│ {sym} " in text for sym in shown)  # --top 2 prints two rows
    assert "4 more not shown" in text


def test_config_file_replaces_builtin(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[[steps]]\nrank = "volatility"\nwindow = 20\nascending = true\n[[steps]]\ntop = 1\n')
    out = json.loads(invoke(",".join(STOCKS), "--date", "2025-06-30", "--config", str(f), "--json").output)
    vols = {r["symbol"]: r["volatility_20"] for r in out["rows"]}
    assert out["rows"][0]["symbol"] == min(vols, key=vols.get)
    assert [r["pass"] for r in out["rows"]].count(True) == 1


@pytest.mark.parametrize("args, message", [
    (["--config", "CFG", "--json"], "error: step 1: unknown factor 'sharp'; valid factors: avg_amount"),
    (["--date", "yesterday-ish"], "error: --date 'yesterday-ish' is not a date"),
    (["--top", "0"], "error: top must be a positive integer, got 0"),
])
def test_user_errors_are_one_line_exit_2(tmp_path, args, message):
    f = tmp_path / "bad.toml"
    f.write_text('[[steps]]\nrank = "sharp"\n')
    args = [str(f) if a == "CFG" else a for a in args]
    res = CliRunner().invoke(cli, ["screen", ",".join(STOCKS), *args])
    assert res.exit_code == 2
    assert res.output.strip() == message or res.output.strip().startswith(message)
    assert "Traceback" not in res.output


def test_unknown_universe_is_named():
    res = CliRunner().invoke(cli, ["screen", "star-aii"])
    assert res.exit_code == 2
    assert "unknown universe 'star-aii'" in res.output
