"""A real SIGKILL during `aibt data update` (while fetching, while writing) leaves the store as it was;
the next run cleans up and resumes from what was fetched. Fakes for the network only."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.data.store import read_tables
from fake_market import FakeMarket

RUNNER = Path(__file__).resolve().parent / "fake_update_runner.py"


def files(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(d).iterdir())}


def killed(tmp_path, phase, args, env):
    sig = tmp_path / f"{phase}.signal"
    p = subprocess.Popen([sys.executable, str(RUNNER), str(sig), phase, *args], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.monotonic()
    while not sig.exists():
        if p.poll() is not None or time.monotonic() - t0 > 120:
            p.kill()
            raise AssertionError(f"runner ended early: {p.communicate()}")
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(30)


def test_a_killed_update_leaves_the_store_and_the_rerun_resumes(tmp_path, monkeypatch):
    env = dict(os.environ, AIBT_CACHE_DIR=str(tmp_path / "cache"))
    monkeypatch.setenv("AIBT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("aibt.data.retry.time.sleep", lambda s: None)
    d = tmp_path / "store"
    market = FakeMarket().install(monkeypatch)
    assert CliRunner().invoke(cli, ["data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-01"]).exit_code == 0
    before = files(d)
    args = ["data", "update", "300308", "588790", "--data-dir", str(d), "--end", "2026-06-05"]
    # killed while fetching the second symbol: nothing changed
    killed(tmp_path, "fetch", args, env)
    assert files(d) == before
    # killed while writing the new store: nothing changed (a temp folder may stay beside it)
    killed(tmp_path, "write", args, env)
    assert files(d) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".store.tmp-")]
    # the rerun: temp folders swept, the first symbol's bars come from the fetch cache
    market.calls.clear()
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".store.")]
    assert not [c for c in market.calls if c[0] == "stock_zh_a_hist"]
    tables, _ = read_tables(d)
    last = tables["bars"].groupby("symbol")["date"].max()
    assert last["300308"] == last["588790"] == pd.Timestamp("2026-06-05")
