"""Offline, `aibt data update` fails in seconds with one line naming the source and the network.

A real subprocess of the real CLI and the real akshare code path; the proxies point at a local port
where nothing listens (as tests/test_reliability_network.py does), so no packet leaves the machine.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def test_offline_update_fails_fast_with_one_line(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy",)}
    env.update({k: f"http://127.0.0.1:{port}" for k in PROXY_VARS})
    env["AIBT_CACHE_DIR"] = str(tmp_path / "cache")
    store = tmp_path / "store"
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "aibt.cli", "data", "update", "300308", "588790", "6088.HK",
                          "--data-dir", str(store)], env=env, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert took < 30, took
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and res.stdout == "", (res.stdout, res.stderr)
    assert "akshare stock_zh_a_hist cannot be reached: the network is unreachable" in lines[0]
    assert f"nothing was changed in {store}" in lines[0]
    assert not store.exists()
