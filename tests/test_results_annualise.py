"""One annualisation: the calendar is inferred from the dates (XSHG, XHKG, both, calendar days,
weekly, monthly), hand-worked CAGRs, the engine summary equals `aibt stats`, GIPS short periods."""
from __future__ import annotations

import json

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from aibt.cli import main
from aibt.data.annualise import cagr, infer_annualisation
from aibt.errors import ConfigError
from aibt.results.stats_report import stats_report


def _sessions(name, start, end):
    s = pd.DatetimeIndex(xcals.get_calendar(name).sessions_in_range(start, end))
    return s.tz_localize(None) if s.tz is not None else s


def test_calendar_day_series_hand_worked():
    idx = pd.date_range("2024-01-01", "2024-12-31")  # 366 prices, 365 returns, every calendar day
    p = pd.Series(100 * 1.07 ** (np.arange(len(idx)) / 365), index=idx)
    rep = stats_report(p)
    assert rep["annualisation"] == {"calendar": "calendar-days", "periods_per_year": 365.25}
    # growth 1.07 over 365 returns at 365.25 a year: 1.07 ** (365.25 / 365) - 1
    assert rep["cagr"] == pytest.approx(1.07 ** (365.25 / 365) - 1, rel=1e-11)
    assert rep["cagr"] == pytest.approx(0.0700496, abs=1e-7)


def test_weekly_csv_hand_worked(tmp_path):
    idx = pd.date_range("2024-01-05", periods=105, freq="W-FRI")  # 104 weekly returns = 2 years
    close = 10 * 1.21 ** (np.arange(105) / 104)
    f = tmp_path / "weekly.csv"
    pd.DataFrame({"date": idx.strftime("%Y-%m-%d"), "close": close}).to_csv(f, index=False)
    out = _run(["stats", "--csv", str(f), "--json"])
    assert out["annualisation"] == {"calendar": "weekly", "periods_per_year": 52.0}
    assert out["cagr"] == pytest.approx(0.10, rel=1e-10)  # 1.21 over two years
    over = _run(["stats", "--csv", str(f), "--json", "--periods-per-year", "26"])
    assert over["annualisation"]["calendar"] == "given" and over["cagr"] == pytest.approx(1.21 ** 0.25 - 1)


def test_hk_name_in_the_snapshot_uses_the_sessions_both_markets_share():
    out = _run(["stats", "6088.HK", "--json"])
    both = _sessions("XSHG", "2019-01-01", "2025-12-31").intersection(_sessions("XHKG", "2019-01-01", "2025-12-31"))
    counts = pd.Series(1, index=both.year).groupby(level=0).sum()
    assert out["annualisation"]["calendar"] == "XSHG&XHKG"
    assert out["periods_per_year"] == pytest.approx(counts.loc[2019:2025].mean(), rel=1e-11)
    # a Hong Kong price file (XHKG sessions) gets Hong Kong's own count
    hk = _sessions("XHKG", "2021-01-04", "2023-12-29")
    ann = infer_annualisation(hk)
    hk_counts = pd.Series(1, index=_sessions("XHKG", "2021-01-01", "2023-12-31").year).groupby(level=0).sum()
    assert ann.calendar == "XHKG" and ann.periods_per_year == pytest.approx(hk_counts.mean())


def test_monthly_and_errors():
    assert infer_annualisation(pd.date_range("2020-01-31", periods=30, freq="ME")).periods_per_year == 12
    with pytest.raises(ConfigError, match="periods_per_year"):
        infer_annualisation(pd.date_range("2020-01-01", periods=10, freq="45D"))
    with pytest.raises(ConfigError, match="periods_per_year"):
        infer_annualisation(None)
    assert cagr(1.21, 2, 1) == pytest.approx(0.1) and cagr(0.0, 5, 12) == -1.0 and np.isnan(cagr(1.1, 0, 12))


def test_short_period_is_not_annualised():
    out = _run(["stats", "588790", "--start", "2025-07-23", "--end", "2025-07-24", "--json"])
    assert out["cagr"] is None and out["calmar"] is None and out["cagr_note"] == "n/a (< 1 year)"
    forced = _run(["stats", "588790", "--start", "2025-07-23", "--end", "2025-07-24", "--json", "--annualise-short"])
    assert forced["cagr"] is not None


def test_engine_summary_equals_stats():
    from aibt.data.snapshot import load_snapshot
    from aibt.engine import simulate
    from aibt.universes import BASKETS, compile_rules

    codes = list(BASKETS["pcb"])
    panel = load_snapshot(codes, start="2024-01-02", end="2025-12-31")
    w = pd.DataFrame(1.0 / len(codes), index=panel.dates, columns=codes)
    res = simulate(panel, w, rules=compile_rules(panel.dates, panel.symbols), schedule="monthly", price="open",
                   init_cash=1_000_000, commission=0.00025, min_commission=5.0)
    rep = stats_report(res.equity)
    for k in ("total_return", "cagr", "volatility_annual", "sharpe", "max_drawdown"):
        assert res.summary[k] == pytest.approx(rep[k], rel=1e-11), k
    assert res.summary["years"] == pytest.approx(rep["years"], rel=1e-11)


def test_benchmark_block_and_rf():
    out = _run(["stats", "588790", "--benchmark", "000688", "--rf", "0.015", "--json"])
    b = out["benchmark"]
    for k in ("alpha", "beta", "correlation", "r_squared", "information_ratio", "tracking_error",
              "tracking_difference", "up_capture", "down_capture", "tracking_windows"):
        assert k in b
    assert set(b["tracking_windows"]) == {"1M", "3M", "1Y", "all"}
    base = _run(["stats", "588790", "--json"])
    assert out["sharpe"] < base["sharpe"] and out["risk_free"] == 0.015


def test_bad_periods_per_year_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        main(["stats", "588790", "--periods-per-year", "-3"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "periods-per-year" in err[0]


def _run(args):
    from click.testing import CliRunner

    from aibt.cli import cli

    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_compare_with_benchmark_and_factor():
    out = _run(["compare", "588790", "000688", "--benchmark", "000300", "--periods-per-year", "250", "--json"])
    rows = out["series"]
    assert [r["periods_per_year"] for r in rows] == [250.0, 250.0]
    assert all(r["benchmark"] == "000300" and r["beta"] is not None for r in rows)
