"""Issue 11, sweeps: bounded work, arithmetic chunks, resume that survives damaged chunk files, Ctrl-C.

- a grid over the size limit is refused before anything is loaded, with the override named, and the
  override works; a chunk_size that would write too many files is refused the same way;
- each chunk's parameter rows are derived arithmetically (ParamGrid.table(first, stop)): equal to the
  Cartesian product's slice, at a cost that does not grow with the grid;
- a truncated or foreign chunk file on resume is computed again (never an ArrowInvalid traceback),
  and the merged table is byte-identical to an uninterrupted run's;
- Ctrl-C during a real sweep (a subprocess) stops after the current chunk with one line and exit 130;
  rerunning resumes to the byte-identical table.
"""
from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibt.errors import ConfigError
from aibt.strategies.rotation import ParamGrid
from aibt.strategies.sweep_config import config_from_dict
from aibt.strategies.sweep_runner import SweepWarning, finished_chunks, plan_for, run_chunked_sweep

SMALL = {
    "universe": {"symbols": ["002463", "300308", "300394", "600183"]},
    "dates": {"start": "2024-01-02", "end": "2025-06-30"},
    "grid": {"lookbacks": [20, 60], "top_k": [1, 2], "periods": [5, 21], "weightings": ["equal"],
             "trend_windows": [0]},
    "costs": {"commission": 0.001, "min_commission": 0.0},
    "run": {"chunk_size": 3},
}


def big_grid(n_lookbacks=1000, n_top=1000, n_periods=1000) -> dict:
    return {"lookbacks": list(range(1, n_lookbacks + 1)), "top_k": list(range(1, n_top + 1)),
            "periods": list(range(1, n_periods + 1)), "weightings": ["equal", "inv_vol"], "trend_windows": [0, 60]}


def test_a_grid_over_the_limit_is_refused_at_once_and_names_the_override():
    cfg = config_from_dict({**SMALL, "grid": big_grid()})  # 4e9 combinations
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as e:
        plan_for(cfg)
    assert time.perf_counter() - t0 < 1.0
    msg = str(e.value)
    assert "4,000,000,000 combinations" in msg and "1,000,000" in msg and "--max-combinations" in msg
    ok = replace(cfg, max_combinations=5_000_000_000, chunk_size=100_000)
    assert plan_for(ok).n_chunks == 40_000  # the override is honoured (nothing is run here)


def test_too_many_chunk_files_and_too_long_axes_are_refused():
    cfg = config_from_dict({**SMALL, "grid": big_grid(100, 100, 10), "run": {"chunk_size": 1}})
    with pytest.raises(ConfigError, match="chunk files.*chunk_size of at least 4"):
        plan_for(cfg)
    with pytest.raises(ConfigError, match=r"\[grid\] lookbacks has 1001 values"):
        config_from_dict({**SMALL, "grid": {**SMALL["grid"], "lookbacks": list(range(1, 1002))}})
    with pytest.raises(ConfigError, match="max_combinations must be >= 1"):
        config_from_dict({**SMALL, "run": {"max_combinations": 0}})


@settings(max_examples=60, deadline=None)
@given(sizes=st.tuples(*[st.integers(1, 4)] * 3), first=st.integers(0, 200), length=st.integers(0, 80))
def test_chunk_rows_equal_the_full_cartesian_product(sizes, first, length):
    grid = ParamGrid(tuple(range(1, sizes[0] + 1)), tuple(range(1, sizes[1] + 1)), tuple(range(5, 5 + sizes[2])),
                     ("equal", "inv_vol"), (0, 60))
    first = min(first, grid.size)
    stop = min(first + length, grid.size)
    rows = list(itertools.product(grid.lookbacks, grid.top_k, grid.periods, grid.weightings, grid.trend_windows))
    got = grid.table(first, stop)
    assert [tuple(r) for r in got.itertuples(index=False)] == rows[first:stop]


def test_chunk_rows_cost_does_not_grow_with_the_grid():
    small = ParamGrid(tuple(range(1, 11)), (1, 2), (5,), ("equal",), (0,))
    huge = ParamGrid(tuple(range(1, 1001)), tuple(range(1, 101)), tuple(range(1, 11)), ("equal", "inv_vol"), (0,))
    assert huge.size == 2_000_000

    def cost(grid):
        t0 = time.perf_counter()
        for _ in range(5):
            grid.table(grid.size - 20, grid.size)
        return time.perf_counter() - t0

    assert cost(huge) < 0.5 and cost(huge) < 20 * cost(small) + 0.05


def test_a_truncated_or_damaged_chunk_is_computed_again_identically(tmp_path):
    from aibt.commands.sweep import load_sweep_panel

    cfg = config_from_dict(SMALL)
    out = tmp_path / "o"
    panel = load_sweep_panel(cfg)
    first = run_chunked_sweep(cfg, out, panel=panel)
    reference = (out / "summary.parquet").read_bytes()
    plan = first.plan
    chunk = plan.path(out, 1)
    chunk.write_bytes(chunk.read_bytes()[:50])  # truncated: a full disk, a copy that stopped
    plan.path(out, 2).write_bytes(b"")          # empty
    with pytest.warns(SweepWarning, match="computing it again"):
        again = run_chunked_sweep(cfg, out, panel=panel)
    assert sorted(again.ran) == [1, 2]
    assert (out / "summary.parquet").read_bytes() == reference
    assert finished_chunks(out, plan) == set(range(plan.n_chunks))


ROOT = Path(__file__).resolve().parents[1]


def test_ctrl_c_stops_between_chunks_with_one_line_and_resumes_identically(tmp_path):
    lookbacks = list(range(10, 130))
    toml = tmp_path / "s.toml"
    toml.write_text(
        '[universe]\nname = "interconnect"\n[dates]\nstart = "2021-01-04"\n'
        f'[grid]\nlookbacks = {lookbacks}\ntop_k = [1, 2, 3]\nperiods = [5, 21]\nweightings = ["equal", "inv_vol"]\n'
        'trend_windows = [0, 60]\n[costs]\nrules = true\n[run]\nchunk_size = 20\nout = "o"\n')
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "aibt.cli", "sweep", str(toml), "--json"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    chunks = tmp_path / "o" / "chunks"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if chunks.exists() and len([p for p in os.listdir(chunks) if p.endswith(".parquet")]) >= 3:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the sweep finished before it could be interrupted (machine too fast for this grid)")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "SystemError" not in text
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "interrupted" in errors[0] and "resumes" in errors[0]
    others = [line for line in text.splitlines() if line.strip() and not line.startswith("error:")]
    assert all(line.startswith("stopping after the current chunk") for line in others), text  # a slow chunk
    assert not (tmp_path / "o" / "summary.parquet").exists()
    n_done = len(os.listdir(chunks))
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    resumed = (tmp_path / "o" / "summary.parquet").read_bytes()
    fresh = subprocess.run([*cmd, "--out", str(tmp_path / "fresh")], cwd=tmp_path, capture_output=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr.decode()
    assert (tmp_path / "fresh" / "summary.parquet").read_bytes() == resumed
    assert n_done < len(os.listdir(chunks))
