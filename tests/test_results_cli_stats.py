"""`aibt stats` / `aibt compare` through click's CliRunner (commands mounted on the aibt error group)."""
from __future__ import annotations

import json

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import aibt.commands.stats as cmd
from aibt.cli import _Group
from aibt.data.calendar import xshg_sessions
from aibt.results.stats_report import stats_report


@click.group(cls=_Group)
def app() -> None:
    """Test group with the same error handling as ``aibt``."""


for _c in cmd.COMMANDS:
    app.add_command(_c)


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(5)
    idx = xshg_sessions("2023-01-03", "2024-09-30")  # price files must hold XSHG sessions only
    a = pd.Series(2.0 * np.cumprod(1 + rng.normal(0.001, 0.02, len(idx))), index=idx, name="000688")
    b = pd.Series(1.0 * np.cumprod(1 + rng.normal(0.0005, 0.015, len(idx))), index=idx, name="588790")
    return a, b


@pytest.fixture
def csv_file(tmp_path, series):
    a, _ = series
    f = tmp_path / "idx.csv"
    pd.DataFrame({"date": a.index.strftime("%Y-%m-%d"), "close": a.to_numpy()}).to_csv(f, index=False)
    return f


@pytest.fixture
def snapshot(monkeypatch, series):
    a, b = series
    table = {"000688": a, "588790": b}

    def load(symbol):
        if symbol not in table:
            raise cmd.DataError(f"unknown symbol {symbol!r}")
        return table[symbol].copy()

    monkeypatch.setattr(cmd, "load_symbol_prices", load)
    return table


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_stats_csv_json(csv_file, series):
    res = run("stats", "--csv", str(csv_file), "--start", "2023-02-01", "--end", "2024-06-28", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    a, _ = series
    expected = stats_report(a.round(12), start="2023-02-01", end="2024-06-28", source=str(csv_file))
    assert out["start"] == "2023-02-01" and out["end"] == "2024-06-28"
    for k in ("total_return", "cagr", "volatility_annual", "sharpe", "max_drawdown"):
        assert out[k] == pytest.approx(expected[k], rel=1e-9)
    assert set(out["profit_probability"]) == {"1M", "3M", "6M", "12M"}
    assert out["best_month"]["month"] == max(out["monthly_returns"], key=out["monthly_returns"].get)


def test_stats_csv_table(csv_file):
    res = run("stats", "--csv", str(csv_file))
    assert res.exit_code == 0, res.output
    assert "max drawdown" in res.output and "monthly returns" in res.output
    assert "profit probability" in res.output and "deepest drawdowns" in res.output


def test_stats_symbol(snapshot):
    res = run("stats", "588790", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["source"] == "588790"


def test_user_errors_exit_2_with_one_line(csv_file, tmp_path, snapshot):
    cases = [
        (("stats",), "either a SYMBOL or --csv"),
        (("stats", "588790", "--csv", str(csv_file)), "either a SYMBOL or --csv"),
        (("stats", "--csv", str(csv_file), "--start", "2020-01-01"), "before the first date"),
        (("stats", "--csv", str(tmp_path / "none.csv")), "no such file"),
        (("stats", "XYZ"), "unknown symbol 'XYZ'"),
        (("compare", "588790", "588790"), "given twice"),
    ]
    for args, msg in cases:
        res = run(*args)
        assert res.exit_code == 2, (args, res.output)
        assert msg in res.output and "Traceback" not in res.output
        assert len(res.output.strip().splitlines()) == 1


def test_compare_symbols_and_csv(snapshot, csv_file):
    res = run("compare", "000688", "588790", str(csv_file), "--start", "2023-03-01", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["series"]
    assert [r["name"] for r in rows] == ["000688", "588790", str(csv_file)]
    assert all(r["start"] == "2023-03-01" for r in rows)
    # the CSV holds the same prices as 000688 (to 12 significant digits in the file's text)
    assert rows[2]["cagr"] == pytest.approx(rows[0]["cagr"], rel=1e-9)
    text = run("compare", "000688", "588790")
    assert text.exit_code == 0 and "P(profit), 6M hold" in text.output and "588790" in text.output


def test_stats_from_embedded_snapshot():
    from aibt.data.snapshot import load_snapshot

    res = CliRunner().invoke(app, ["stats", "588790", "--json", "--start", "2025-03-03"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    closes = load_snapshot("588790").series("588790", "close")
    closes = closes[closes.index >= "2025-03-03"]
    assert out["start"] == closes.index[0].date().isoformat()
    assert out["total_return"] == pytest.approx(closes.iloc[-1] / closes.iloc[0] - 1, rel=1e-10)
    bad = CliRunner().invoke(app, ["stats", "NOPE"])
    assert bad.exit_code == 2 and "unknown symbol" in bad.output
