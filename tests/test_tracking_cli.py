"""``aibt track star-ai`` through click's CliRunner, on the embedded snapshot."""
from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.commands.track import track
from aibt.errors import ConfigError, UniverseError
from aibt.results.tracking import tracking_report

KEYS = {"correlation", "tracking_error_annual", "tracking_difference_annual", "beta", "start", "end", "n_days"}


def run(*args):
    return CliRunner().invoke(track, list(args))


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("track")
    r = run("star-ai", "--etf", "588790", "--out", str(out))
    assert r.exit_code == 0, r.output
    return out, r


def test_daily_csv_and_summary_json(default_run):
    out, r = default_run
    with open(out / "daily.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["date", "index", "etf"]
    daily = pd.read_csv(out / "daily.csv", parse_dates=["date"], index_col="date")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert KEYS <= set(summary)
    assert summary["etf"] == "588790" and summary["index"] == "950180" and summary["constituents"] == "rebuilt"
    assert (summary["start"], summary["n_days"]) == ("2025-01-09", len(daily) - 1)
    assert str(daily.index[0].date()) == summary["start"] and str(daily.index[-1].date()) == summary["end"]
    assert daily.notna().all().all()
    # the statistics are those of the written series (10 significant digits in the files)
    again = tracking_report(daily["etf"], daily["index"])
    for k in ("correlation", "tracking_error_annual", "tracking_difference_annual", "beta"):
        assert summary[k] == pytest.approx(again[k], rel=1e-7)
    # measured: correlation 0.981, TE 7.4 %/yr, TD -6.4 %/yr, beta 0.976
    assert summary["correlation"] > 0.95 and 0.9 < summary["beta"] < 1.05
    dec = {row["component"]: row for row in summary["simulation"]["decomposition"]}
    assert list(dec) == ["index", "replication", "fees", "cash_drag", "trading_costs", "simulated_nav",
                         "residual", "etf"]
    assert dec["fees"]["log_annual"] == pytest.approx(-0.006, abs=0.0005)
    assert any("free-float" in line.lower() for line in summary["departures"])
    assert r.output.splitlines()[0] == ("588790 vs rebuilt 950180 (rebuilt constituents), "
                                        f"{summary['start']} to {summary['end']}, {summary['n_days']} days")


def test_index_is_1000_on_the_base_date(tmp_path):
    r = run("star-ai", "--etf", "588790", "--start", "2022-12-30", "--end", "2025-03-31", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    daily = pd.read_csv(tmp_path / "daily.csv", parse_dates=["date"], index_col="date")
    # daily.csv holds the dates where both exist (from the ETF's first date); the level keeps its base
    assert daily.index[0] == pd.Timestamp("2025-01-09") and daily.index[-1] == pd.Timestamp("2025-03-31")
    from aibt.loaders import star_ai_index

    level = star_ai_index(end="2025-03-31")
    assert level.loc["2022-12-30"] == 1000.0
    np.testing.assert_allclose(daily["index"].to_numpy(), level.loc[daily.index].to_numpy(), rtol=1e-9)


def test_output_is_deterministic(default_run, tmp_path):
    out, _ = default_run
    r = run("star-ai", "--etf", "588790", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    for name in ("daily.csv", "summary.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_user_constituent_file(tmp_path):
    p = tmp_path / "official.csv"
    p.write_text("effective_date,code,weight\n2025-03-17,688256,0.5\n2025-03-17,688111,0.5\n", encoding="utf-8")
    r = run("star-ai", "--etf", "588790", "--end", "2025-06-30", "--constituents", str(p), "--out",
            str(tmp_path / "o"))
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["constituents"] == "official.csv" and summary["end"] == "2025-06-30"
    assert "(official.csv constituents)" in r.output.splitlines()[0]


def test_bad_etf_exits_2_with_one_line_naming_it(tmp_path):
    r = CliRunner().invoke(cli, ["track", "star-ai", "--etf", "588999", "--out", str(tmp_path)])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "588999" in lines[0] and lines[0].startswith("error: ")
    assert not (tmp_path / "daily.csv").exists()
    direct = run("star-ai", "--etf", "588999", "--out", str(tmp_path))
    assert isinstance(direct.exception, UniverseError) and "'588999'" in str(direct.exception)


def test_other_user_errors():
    r = run("star50", "--etf", "588790", "--out", "x")
    assert isinstance(r.exception, UniverseError) and "unknown index 'star50'; known: star-ai" in str(r.exception)
    r = run("star-ai", "--etf", "588000", "--out", "x")
    assert isinstance(r.exception, UniverseError) and "588000 tracks 000688" in str(r.exception)
    r = run("star-ai", "--etf", "588790", "--start", "2025-02-30", "--out", "x")
    assert isinstance(r.exception, ConfigError) and "--start '2025-02-30'" in str(r.exception)
    r = run("star-ai", "--etf", "588790", "--start", "2025-06-01", "--end", "2025-05-01", "--out", "x")
    assert isinstance(r.exception, ConfigError) and "after --end" in str(r.exception)
    r = run("star-ai", "--out", "x")
    assert r.exit_code == 2 and "--etf" in r.output
