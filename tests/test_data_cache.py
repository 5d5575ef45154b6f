"""Parquet cache: round trips, corruption and truncation detected and refetched, a writer killed with
SIGKILL mid-write, concurrent writers and fetchers in real processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aibt.data.cache as cache_mod
from aibt.data.cache import Cache, CacheWarning, default_root
from aibt.errors import DataError

KEY = ("akshare", "300308", "2024-07-22", "2024-08-30", "qfq")


def frame(version: float, n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(int(version))
    return pd.DataFrame({
        "date": pd.date_range("2000-01-03", periods=n, freq="D"),
        "symbol": "300308",
        "v": np.full(n, float(version)),
        "close": rng.random(n) + 1.0,
    })


def run_child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def files(cache: Cache) -> list[str]:
    return sorted(p.name for p in cache.manifest_path(KEY).parent.iterdir())


def test_round_trip_keeps_values_dtypes_and_notes(tmp_path):
    c = Cache(tmp_path)
    f = frame(1)
    f.attrs["notes"] = ["adj_factor unknown; set to 1.0"]
    path = c.put(KEY, f)
    got = c.get(KEY)
    pd.testing.assert_frame_equal(got, f)
    assert got.attrs["notes"] == ["adj_factor unknown; set to 1.0"]
    m = json.loads(c.manifest_path(KEY).read_text())
    assert m["key"] == list(KEY) and m["rows"] == 1000 and m["file"] == path.name
    assert m["sha256"] == cache_mod.sha256_file(path) and m["bytes"] == path.stat().st_size
    assert c.get(("akshare", "300308", "2024-07-22", "2024-08-30", "")) is None  # adjust is part of the key


def test_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AIBT_CACHE_DIR", str(tmp_path / "c"))
    assert default_root() == tmp_path / "c" and Cache().root == tmp_path / "c"
    monkeypatch.delenv("AIBT_CACHE_DIR")
    assert default_root() == Path.home() / ".cache" / "aibt"


def test_bad_key_and_bad_value(tmp_path):
    with pytest.raises(DataError, match="cache key must be \\(source, symbol, start, end, adjust\\)"):
        Cache(tmp_path).put(("akshare", "300308"), frame(1))
    with pytest.raises(DataError, match="can only store a DataFrame, got list"):
        Cache(tmp_path).put(KEY, [1, 2])


def test_truncated_file_is_detected_and_refetched(tmp_path):
    c = Cache(tmp_path)
    c.put(KEY, frame(1))
    path = c.data_path(KEY)
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    with pytest.warns(CacheWarning, match=r"cache entry \('akshare', '300308'.*truncated"):
        assert c.get(KEY) is None
    calls = []
    with pytest.warns(CacheWarning, match="truncated"):
        got = c.get_or_fetch(KEY, lambda: calls.append(1) or frame(2))
    assert calls == [1] and got["v"].eq(2.0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(c.get(KEY), frame(2))
    assert [n for n in files(c) if n.endswith(".parquet")] == [c.data_path(KEY).name]  # bad file swept


def test_flipped_byte_same_size_fails_the_hash(tmp_path):
    c = Cache(tmp_path)
    c.put(KEY, frame(1))
    path = c.data_path(KEY)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.warns(CacheWarning, match="fails its sha256 check"):
        assert c.get(KEY) is None


def test_garbage_manifest_is_a_miss(tmp_path):
    c = Cache(tmp_path)
    c.put(KEY, frame(1))
    c.manifest_path(KEY).write_text("{not json")
    with pytest.warns(CacheWarning, match="unreadable manifest"):
        got = c.get_or_fetch(KEY, lambda: frame(3))
    assert got["v"].eq(3.0).all()


def test_crash_between_data_and_manifest_keeps_old_entry(tmp_path, monkeypatch):
    c = Cache(tmp_path)
    c.put(KEY, frame(1))

    def disk_full(path, write):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_mod, "atomic_write_bytes", disk_full)
    with pytest.raises(OSError, match="No space left"):
        c.put(KEY, frame(2))
    assert len([n for n in files(c) if n.endswith(".parquet")]) == 2  # new data landed, manifest did not
    pd.testing.assert_frame_equal(c.get(KEY), frame(1))
    monkeypatch.undo()
    c.put(KEY, frame(3))
    assert [n for n in files(c) if n.endswith(".parquet")] == [c.data_path(KEY).name]
    pd.testing.assert_frame_equal(c.get(KEY), frame(3))


def test_sigkill_in_the_middle_of_a_big_write_loses_nothing(tmp_path):
    c = Cache(tmp_path)
    c.put(KEY, frame(1))
    child = run_child(f"""
        import sys, numpy as np, pandas as pd
        from aibt.data.cache import Cache
        n = 3_000_000
        rng = np.random.default_rng(5)
        big = pd.DataFrame({{"v": np.full(n, 2.0), "a": rng.random(n), "b": rng.random(n), "c": rng.random(n)}})
        print("ready", flush=True)
        Cache(sys.argv[1], row_group_size=20_000).put({KEY!r}, big)
        print("done", flush=True)
    """, str(tmp_path))
    assert child.stdout.readline().strip() == "ready"
    d = c.manifest_path(KEY).parent
    deadline = time.monotonic() + 30
    tmp = []
    while time.monotonic() < deadline and child.poll() is None:
        tmp = [p for p in d.glob(".*.tmp") if p.stat().st_size > 0]
        if tmp:
            os.kill(child.pid, signal.SIGKILL)
            break
        time.sleep(0.0005)
    child.wait(30)
    child.stdout.close()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL, "the writer finished before it could be killed"
    assert tmp and tmp[0].exists()  # killed mid-write: the half-written temp file is still there
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the old entry is intact: no corruption warning
        pd.testing.assert_frame_equal(c.get(KEY), frame(1))
        assert c.get_or_fetch(KEY, lambda: pytest.fail("must not refetch"))["v"].eq(1.0).all()
    c.put(KEY, frame(3))
    assert not list(d.glob(".*.tmp"))  # the orphan was swept by the next write
    pd.testing.assert_frame_equal(c.get(KEY), frame(3))


WRITER = """
    import sys, numpy as np, pandas as pd
    from aibt.data.cache import Cache
    root, version = sys.argv[1], float(sys.argv[2])
    n = 50_000
    f = pd.DataFrame({{"v": np.full(n, version), "x": np.arange(n, dtype=float) * version}})
    c = Cache(root, row_group_size=5_000)
    for _ in range(15):
        c.put({key!r}, f)
    print("ok", flush=True)
"""


def test_two_processes_writing_the_same_key_leave_a_valid_entry(tmp_path):
    c = Cache(tmp_path)
    kids = [run_child(WRITER.format(key=KEY), str(tmp_path), v) for v in ("7", "9")]
    seen = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a reader racing the writers never sees a bad entry
        while any(k.poll() is None for k in kids):
            got = c.get(KEY)
            if got is not None:
                v = got["v"].iloc[0]
                assert len(got) == 50_000 and got["v"].eq(v).all()
                np.testing.assert_array_equal(got["x"], np.arange(50_000) * v)
                seen.add(v)
    for k in kids:
        out, err = k.communicate(timeout=60)
        assert k.returncode == 0, err
        assert out.strip() == "ok"
    final = c.get(KEY)
    assert final["v"].iloc[0] in (7.0, 9.0) and final["v"].nunique() == 1
    np.testing.assert_array_equal(final["x"], np.arange(50_000) * final["v"].iloc[0])
    names = files(c)
    assert len([n for n in names if n.endswith(".parquet")]) == 1
    assert not [n for n in names if n.endswith(".tmp")]
    assert seen and seen <= {7.0, 9.0}


def test_concurrent_get_or_fetch_fetches_once(tmp_path):
    counter = tmp_path / "fetches.txt"
    code = f"""
        import sys, time, numpy as np, pandas as pd
        from aibt.data.cache import Cache
        def fetch():
            with open(sys.argv[2], "a") as f:
                f.write("fetch\\n")
            time.sleep(0.5)
            return pd.DataFrame({{"v": np.arange(10.0)}})
        got = Cache(sys.argv[1]).get_or_fetch({KEY!r}, fetch)
        print(got["v"].sum(), flush=True)
    """
    kids = [run_child(code, str(tmp_path / "cache"), str(counter)) for _ in range(2)]
    outs = [k.communicate(timeout=60) for k in kids]
    assert all(k.returncode == 0 for k in kids), [e for _, e in outs]
    assert [o.strip() for o, _ in outs] == ["45.0", "45.0"]
    assert counter.read_text().splitlines() == ["fetch"]
