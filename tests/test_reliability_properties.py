"""Issue 7, properties: hypothesis over random panels and weights.

- the engine never makes cash negative or positions below zero (real A-share rules compiled for real
  codes: STAR 200-share lots, 20 %/10 % limits, stamp duty, minimum commission; suspensions, ex-dates);
- metrics are invariant to how the returns are passed (ndarray, list, Series, DataFrame column alone or
  next to other columns), and never modify their input;
- rerunning anything (simulate, stats_report, read_file, the CLI in-process and in a fresh process)
  gives identical output.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from aibt.cli import cli
from aibt.data.calendar import xshg_sessions
from aibt.data.panel import Panel
from aibt.engine import simulate
from aibt.results import metrics as M
from aibt.results.stats_report import stats_report
from aibt.universes.trading_rules import compile_rules

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# STAR (200-share lots, 20 % limit), ChiNext, Main board, ETF: the lot and limit rules all differ
CODES = ("688256", "300308", "600183", "588790")
SESSIONS = xshg_sessions("2024-01-02", "2024-12-31")


# ----------------------------------------------------------------------------------- random panels
@st.composite
def market_case(draw):
    t = draw(st.integers(2, 24) | st.integers(8, 24))
    n = draw(st.integers(1, len(CODES)))
    offset = draw(st.integers(0, len(SESSIONS) - t))
    dates = SESSIONS[offset: offset + t]
    moves = draw(hnp.arrays(np.float64, (t, n), elements=st.floats(-0.25, 0.25, allow_nan=False),
                              fill=st.nothing()))
    start = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.5, 400.0)))
    close = np.round(start * np.exp(np.cumsum(moves, axis=0)), 2).clip(0.01)
    gap = draw(hnp.arrays(np.float64, (t, n), elements=st.floats(-0.05, 0.05)))
    open_ = np.round(close * np.exp(gap), 2).clip(0.01)
    suspend = draw(hnp.arrays(np.bool_, (t, n), elements=st.sampled_from([False, False, False, True])))
    tradable = ~suspend
    factor = np.ones((t, n))
    if draw(st.booleans()):  # an ex-date: adjusted history before it is scaled
        ex = draw(st.integers(1, t - 1))
        factor[:ex, 0] = draw(st.sampled_from([1.1, 1.5, 2.0]))
    close = np.where(tradable, close, np.nan)
    open_ = np.where(tradable, open_, np.nan)
    fields = {"open": open_, "high": np.fmax(open_, close), "low": np.fmin(open_, close), "close": close,
              "volume": np.where(tradable, 1e6, 0.0), "adj_factor": factor}
    panel = Panel(dates, CODES[:n], fields, tradable, ("CNY",) * n, np.ones((t, n)))
    raw = draw(hnp.arrays(np.float64, (t, n), elements=st.floats(0.0, 1.0), fill=st.nothing()))
    scale = draw(hnp.arrays(np.float64, (t,), elements=st.sampled_from([1.0, 0.3, 1.0, 0.0])))
    sums = raw.sum(axis=1, keepdims=True)
    w = np.where(sums > 0, raw / np.where(sums > 0, sums, 1.0), 0.0) * scale[:, None]
    w = np.minimum(w, 1.0)
    skip = draw(hnp.arrays(np.bool_, (t,), elements=st.sampled_from([False, False, True])))
    w[skip] = np.nan  # no new target on these rows
    opts = dict(
        rules=compile_rules(dates, CODES[:n]) if draw(st.sampled_from([True, True, False])) else None,
        price=draw(st.sampled_from(["open", "close"])),
        init_cash=draw(st.sampled_from([60_000.0, 5_000.0, 1e6])),
        commission=draw(st.sampled_from([0.0, 0.00025, 0.003])),
        min_commission=draw(st.sampled_from([0.0, 5.0, 300.0])),
        slippage_bps=draw(st.sampled_from([0.0, 10.0])),
        carry_unfilled=draw(st.booleans()),
    )
    return panel, w, opts


@SETTINGS
@given(market_case())
def test_engine_never_negative_cash_or_positions(case):
    panel, w, opts = case
    r = simulate(panel, w, **opts)
    cash, pos, eq = r.cash.to_numpy(), r.positions.to_numpy(), r.equity.to_numpy()
    assert np.isfinite(cash).all() and np.isfinite(eq).all() and np.isfinite(pos).all()
    assert (cash >= 0).all(), f"cash {cash.min()!r} on {r.cash.idxmin().date()}"
    assert (pos >= 0).all(), f"position {pos.min()!r}"
    # the books balance: equity = cash + value of the positions
    np.testing.assert_allclose(eq, cash + r.holdings.sum(axis=1).to_numpy(), rtol=1e-9, atol=1e-6)
    assert (eq >= 0).all()
    # no cost is negative; filled buys never exceed what the cash allowed
    assert (r.costs.to_numpy() >= 0).all()


@SETTINGS
@given(market_case())
def test_engine_rerun_identical(case):
    panel, w, opts = case
    a = simulate(panel, w.copy(), **opts)
    b = simulate(panel, w.copy(), **opts)
    for name in ("equity", "cash", "positions", "costs", "traded"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.to_numpy().tobytes() == y.to_numpy().tobytes(), name
    assert a.fill_records.tobytes() == b.fill_records.tobytes()
    assert json.dumps(a.summary, sort_keys=True, default=str) == json.dumps(b.summary, sort_keys=True, default=str)


# ----------------------------------------------------------------------------------- metrics
ONE_SERIES = [
    ("total_return", lambda r: M.total_return(r)),
    ("cagr", lambda r: M.cagr(r, 252)),
    ("annual_volatility", lambda r: M.annual_volatility(r, 252)),
    ("sharpe", lambda r: M.sharpe(r, 0.0, 252)),
    ("sortino", lambda r: M.sortino(r, 0.0, 252)),
    ("max_drawdown", lambda r: M.max_drawdown(r)),
    ("calmar", lambda r: M.calmar(r, 252)),
    ("best_day", lambda r: M.best_day(r)),
    ("worst_day", lambda r: M.worst_day(r)),
    ("win_rate", lambda r: M.win_rate(r)),
]
PAIRED = [
    ("tracking_error", lambda r, b: M.tracking_error(r, b, 252)),
    ("information_ratio", lambda r, b: M.information_ratio(r, b, 252)),
    ("beta", lambda r, b: M.beta(r, b)),
    ("alpha", lambda r, b: M.alpha(r, b, 0.0, 252)),
]

returns_st = st.integers(2, 80).flatmap(lambda n: hnp.arrays(
    np.float64, (n,), elements=st.one_of(st.floats(-0.3, 0.3, allow_nan=False), st.just(np.nan), st.just(0.0))))


def same(a, b) -> bool:
    a, b = float(a), float(b)
    return (np.isnan(a) and np.isnan(b)) or a == b


@SETTINGS
@given(returns_st, st.integers(0, 10_000))
def test_metrics_invariant_to_container(r, seed):
    idx = pd.bdate_range("2024-01-02", periods=len(r))
    other = np.random.default_rng(seed).normal(0, 0.02, len(r))
    keep = r.copy()
    forms = {
        "list": list(r),
        "series": pd.Series(r, index=idx),
        "frame-alone": pd.DataFrame({"x": r}, index=idx),
        "frame-with-others": pd.DataFrame({"y": other, "x": r, "z": -other}, index=idx),
    }
    for name, f in ONE_SERIES:
        ref = f(r)
        assert isinstance(ref, float), name
        for form, value in forms.items():
            got = f(value)
            got = got["x"] if isinstance(value, pd.DataFrame) else got
            assert same(got, ref), f"{name} via {form}: {got!r} != {ref!r}"
    np.testing.assert_array_equal(r, keep)  # input not modified
    assert forms["series"].to_numpy().tobytes() == keep.tobytes()
    bench = np.where(np.isnan(r), np.nan, other)
    for name, f in PAIRED:
        ref = f(r, bench)
        via_series = f(pd.Series(r, index=idx), pd.Series(bench, index=idx))
        assert same(via_series, ref), f"{name}: {via_series!r} != {ref!r}"
    # monthly metrics need dates: a Series and a DataFrame column agree
    s = pd.Series(r, index=idx)
    assert same(M.best_month(s), M.best_month(forms["frame-with-others"])["x"])
    assert same(M.worst_month(s), M.worst_month(forms["frame-alone"])["x"])


@SETTINGS
@given(st.integers(3, 300).flatmap(lambda n: hnp.arrays(np.float64, (n,), elements=st.floats(-0.09, 0.09))))
def test_stats_report_rerun_identical_and_consistent(moves):
    dates = SESSIONS[: len(moves)] if len(moves) <= len(SESSIONS) else pd.bdate_range("2023-01-02", periods=len(moves))
    prices = pd.Series(10.0 * np.exp(np.cumsum(moves)), index=dates, name="p")
    before = prices.copy()
    a = json.dumps(stats_report(prices), sort_keys=True)
    b = json.dumps(stats_report(prices.copy()), sort_keys=True)
    assert a == b
    pd.testing.assert_series_equal(prices, before)
    rep = json.loads(a)
    assert rep["total_return"] == pytest.approx(prices.iloc[-1] / prices.iloc[0] - 1, rel=1e-10, abs=1e-12)
    assert -1.0 <= rep["max_drawdown"] <= 0.0


# ----------------------------------------------------------------------------------- reruns end to end
def test_read_file_and_from_long_rerun_identical(tmp_path):
    from aibt.data.source_files import read_file

    p = tmp_path / "300308.csv"
    p.write_bytes("日期,开盘,最高,最低,收盘,成交量\n2024-01-02,10,10.5,9.8,10.2,\"1,000\"\n"
                  "2024-01-03,10.2,10.9,10.1,10.8,1200\n".encode("gbk"))
    a, b = read_file(p), read_file(p)
    pd.testing.assert_frame_equal(a, b)
    assert a["volume"].tolist() == [1000.0, 1200.0] and a["close"].tolist() == [10.2, 10.8]
    pa, pb = Panel.from_long(a.drop(columns=["currency"])), Panel.from_long(b.drop(columns=["currency"]))
    assert all(pa.fields[k].tobytes() == pb.fields[k].tobytes() for k in pa.fields)


@pytest.mark.parametrize("argv", [
    ["stats", "588790", "--json", "--start", "2025-02-03"],
    ["universe", "show", "optical", "--date", "2025-06-30", "--json"],
    ["screen", "optical", "--date", "2025-06-30", "--json"],
    ["data", "info", "--json"],
])
def test_cli_rerun_identical_in_process(argv):
    first = CliRunner().invoke(cli, argv)
    second = CliRunner().invoke(cli, argv)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    json.loads(first.stdout)  # and it is JSON


def test_cli_rerun_identical_across_processes(tmp_path):
    """A fresh interpreter (cold caches, numba cache or not) prints byte-identical JSON."""
    argv = [sys.executable, "-m", "aibt.cli", "stats", "300308", "--json", "--start", "2024-01-02", "--end",
            "2025-12-31"]
    outs = [subprocess.run(argv, cwd=tmp_path, capture_output=True, timeout=120) for _ in range(2)]
    assert all(o.returncode == 0 for o in outs), outs[0].stderr.decode()
    assert outs[0].stdout == outs[1].stdout
    rep = json.loads(outs[0].stdout)
    assert rep["start"] == "2024-01-02" and rep["end"] <= "2025-12-31"
