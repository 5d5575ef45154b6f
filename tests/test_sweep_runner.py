"""Chunked, resumable sweeps: same results whatever the chunking, resume skips finished chunks,
config errors name the key, and the table agrees with a plain-numpy reference of the strategy."""
from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.errors import ConfigError
from aibt.strategies.rotation import ParamGrid, run_sweep
from aibt.strategies.sweep_config import config_from_dict, config_from_json, load_config
from aibt.commands.sweep import load_sweep_panel
from aibt.strategies.sweep_runner import build_setup, plan_for, run_chunk, run_chunked_sweep

SYMBOLS = ["002463", "300308", "300394", "300476", "300502", "300570", "600183", "603228"]
RAW = {
    "universe": {"symbols": SYMBOLS},
    "dates": {"start": "2023-01-03", "end": "2025-12-31"},
    "grid": {"lookbacks": [20, 60], "top_k": [1, 2, 3], "periods": [5, 21], "weightings": ["equal", "inv_vol"],
             "trend_windows": [0, 60]},
    "costs": {"commission": 0.001, "min_commission": 0.0},
    "run": {"chunk_size": 7},
}


@pytest.fixture(scope="module")
def cfg():
    return config_from_dict(RAW)


@pytest.fixture(scope="module")
def panel(cfg):
    return load_sweep_panel(cfg)  # the command loads; the runner takes the Panel


@pytest.fixture(scope="module")
def direct(cfg, panel):
    table, _ = run_sweep(build_setup(cfg, panel), cfg.start, cfg.end)
    return table


def test_chunk_sizes_7_50_and_all_give_the_same_table(cfg, panel, direct, tmp_path):
    assert cfg.grid.size == 48
    tables = {}
    for size in (7, 50, 48):
        res = run_chunked_sweep(replace(cfg, chunk_size=size), tmp_path / f"c{size}", panel=panel)
        assert res.plan.n_chunks == -(-48 // size)
        assert res.ran == tuple(range(res.plan.n_chunks)) and res.skipped == ()
        tables[size] = res.table
        stored = pd.read_parquet(tmp_path / f"c{size}" / "summary.parquet")
        pd.testing.assert_frame_equal(stored, res.table, check_exact=True)
    for size, t in tables.items():
        pd.testing.assert_frame_equal(t, direct, check_exact=True)
    assert list(direct.index) == list(range(48))
    assert direct["final_value"].nunique() > 20  # the combinations really differ
    assert direct["commission"].gt(0).all()


def test_chunk_ids_are_deterministic_and_carry_the_work_hash(cfg):
    p7 = plan_for(cfg)
    assert p7.n_chunks == 7
    assert p7.chunk_id(3) == f"chunk-000003-of-000007-{p7.work_hash}"
    assert p7.bounds(6) == (42, 48)
    assert plan_for(replace(cfg, chunk_size=50)).work_hash == p7.work_hash  # chunking is not the work
    assert plan_for(replace(cfg, commission=0.002)).work_hash != p7.work_hash
    assert config_from_json(cfg.to_json()) == cfg


def test_rerun_skips_finished_chunks_and_recomputes_only_missing_ones(cfg, panel, direct, tmp_path):
    out = tmp_path / "resume"
    first = run_chunked_sweep(cfg, out, panel=panel)
    plan = first.plan
    mtimes = {i: plan.path(out, i).stat().st_mtime_ns for i in range(plan.n_chunks)}
    for i in (2, 5):
        plan.path(out, i).unlink()
    (out / "summary.parquet").unlink()
    calls = []

    def counting(cfg_json, index, out_dir, data):
        calls.append(index)
        return run_chunk(cfg_json, index, out_dir, data)

    ticks = []
    again = run_chunked_sweep(cfg, out, panel=panel, task=counting, on_chunk=ticks.append)
    assert calls == [2, 5]
    assert ticks == [1, 1]  # the progress callback hears of each chunk run, not of the skipped ones
    assert again.ran == (2, 5) and again.skipped == (0, 1, 3, 4, 6)
    for i in (0, 1, 3, 4, 6):
        assert plan.path(out, i).stat().st_mtime_ns == mtimes[i]
    pd.testing.assert_frame_equal(again.table, direct, check_exact=True)
    calls.clear()
    third = run_chunked_sweep(cfg, out, panel=panel, task=counting)
    assert calls == [] and third.ran == ()


def test_an_output_folder_of_another_sweep_is_refused(cfg, panel, tmp_path):
    run_chunked_sweep(replace(cfg, grid=ParamGrid((20,), (1,), (21,), ("equal",), (0,))), tmp_path, panel=panel)
    with pytest.raises(ConfigError, match="holds another sweep"):
        run_chunked_sweep(cfg, tmp_path, panel=panel)


@pytest.mark.parametrize("raw, message", [
    ({**RAW, "grid": {"lookback": [20]}}, r"\[grid\] 'lookback'.*did you mean 'lookbacks'"),
    ({**RAW, "costs": {"comission": 0.001}}, r"\[costs\] 'comission'.*did you mean 'commission'"),
    ({**RAW, "runs": {}}, r"section 'runs'.*did you mean 'run'"),
    ({**RAW, "run": {"chunk_size": "10"}}, r"\[run\] chunk_size must be an integer"),
    ({**RAW, "run": {"chunk_size": 0}}, r"chunk_size must be >= 1"),
    ({**RAW, "universe": {"symbols": SYMBOLS, "name": "pcb"}}, r"exactly one of 'symbols'"),
    ({**RAW, "universe": {"symbols": SYMBOLS, "sleeves": "basket"}}, r"sleeves must be one of"),
    ({**RAW, "universe": {"sleeves": "baskets"}}, r"needs a 'baskets' list"),
    ({**RAW, "universe": {"sleeves": "baskets", "baskets": ["pcb"], "symbols": SYMBOLS}}, r"remove 'symbols'"),
])
def test_config_mistakes_name_the_key(raw, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


def _reference_equal_weights(setup, lookback_i, top_k, period, t0, t1):
    """Plain-numpy targets of an equal-weight, unfiltered combination: rows decided every ``period``
    sessions from t0 (NaN elsewhere), the top K momentum names (stable order) at 1/K each."""
    mom = setup.signals.momentum[lookback_i]
    t_len, n = mom.shape
    w = np.full((t_len, n), np.nan)
    for t in range(t0, t1 - 1, period):
        row = mom[t]
        ok = np.flatnonzero(~np.isnan(row))
        w[t] = 0.0
        if len(ok):
            picks = ok[np.argsort(-row[ok], kind="stable")][:top_k]
            w[t, picks] = 1.0 / min(top_k, len(ok))
    return w


def test_sweep_rows_equal_a_simulation_of_reference_targets(cfg, panel, direct):
    from aibt.engine import simulate

    setup = build_setup(cfg, panel)
    panel = setup.panel
    dates = panel.dates
    t0 = int(dates.searchsorted(pd.Timestamp(cfg.start)))
    t1 = int(dates.searchsorted(pd.Timestamp(cfg.end), side="right"))
    sub = panel.select(start=dates[t0], end=dates[t1 - 1])
    table = direct
    for combo in table.index[(table["weighting"] == "equal") & (table["trend_window"] == 0)][:4]:
        row = table.loc[combo]
        li = cfg.grid.lookbacks.index(int(row["lookback"]))
        w = _reference_equal_weights(setup, li, int(row["top_k"]), int(row["period"]), t0, t1)[t0:t1]
        ref = simulate(sub, pd.DataFrame(w, index=sub.dates, columns=list(sub.symbols)), rules="frictionless", schedule=None,
                       price="open", commission=0.001, init_cash=cfg.init_cash)
        assert row["final_value"] == pytest.approx(ref.equity.iloc[-1], rel=1e-9)
        assert row["max_drawdown"] == pytest.approx(ref.summary["max_drawdown"], rel=1e-9)


def test_cli_sweep_runs_resumes_and_reports_config_typos(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text(
        '[universe]\nsymbols = ["002463", "300308", "300394", "600183"]\n'
        '[dates]\nstart = 2024-01-02\nend = 2025-06-30\n'
        '[grid]\nlookbacks = [20, 60]\ntop_k = [1, 2]\nperiods = [5]\nweightings = ["equal"]\ntrend_windows = [0]\n'
        '[costs]\ncommission = 0.001\nmin_commission = 0.0\n[run]\nchunk_size = 3\nout = "o"\n')
    runner = CliRunner()
    r1 = runner.invoke(cli, ["sweep", str(toml), "--top", "2"])
    assert r1.exit_code == 0, r1.output
    assert "4 combinations in 2 chunks (2 run, 0 already done)" in r1.output
    assert load_config(toml).out == str(tmp_path / "o")
    r2 = runner.invoke(cli, ["sweep", str(toml), "--json"])
    assert r2.exit_code == 0 and '"chunks_skipped": 2' in r2.output
    assert len(pd.read_parquet(tmp_path / "o" / "summary.parquet")) == 4
    toml.write_text(toml.read_text().replace("top_k", "topk"))
    r3 = runner.invoke(cli, ["sweep", str(toml)])
    assert r3.exit_code == 2
    assert "'topk'" in r3.output and "did you mean 'top_k'" in r3.output
    assert os.listdir(tmp_path / "o" / "chunks")


def test_basket_sleeves_need_no_symbol_list_and_equal_a_direct_run(tmp_path):
    from aibt.data.snapshot import load_snapshot
    from aibt.strategies.rotation import build_sleeves, prepare
    from aibt.universes import BASKETS, compile_rules

    raw = {**RAW, "universe": {"sleeves": "baskets", "baskets": ["optical", "copper", "pcb"]},
           "costs": {"commission": 0.00025, "min_commission": 5.0, "rules": True}}
    cfg = config_from_dict(raw)
    outcome = run_chunked_sweep(cfg, tmp_path / "baskets", panel=load_sweep_panel(cfg))
    baskets = {b: list(BASKETS[b]) for b in ("optical", "copper", "pcb")}
    codes = list(dict.fromkeys(c for m in baskets.values() for c in m))
    panel = load_snapshot(codes, end=cfg.end)
    setup = prepare(panel, build_sleeves(panel, baskets), cfg.grid, compile_rules(panel.dates, list(panel.symbols)),
                    commission=0.00025, min_commission=5.0)
    direct, _ = run_sweep(setup, cfg.start, cfg.end)
    pd.testing.assert_frame_equal(outcome.table, direct, check_exact=True)
    assert outcome.table["n_filled"].min() > 0
