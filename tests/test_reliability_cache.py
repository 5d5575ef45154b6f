"""Issue 11, the cache under filesystem faults: read-only warm hits, full disks, manifests of wrong types.

Real faults where the machine allows them (a read-only or tiny tmpfs; CI runs as root), skipped
cleanly otherwise; the manifest cases need no mount.
"""
from __future__ import annotations

import json
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

from aibt.data.cache import Cache, CacheWarning

KEY = ("akshare", "300308", "2024-01-02", "2024-03-01", "qfq")


def frame(n: int = 20) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range("2024-01-02", periods=n), "close": np.linspace(10, 12, n)})


def mount(path, size="256k"):
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()[:80]})")


def umount(path):
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_read_only_cache_still_serves_warm_hits_and_fetches_cold_ones(tmp_path):
    root = tmp_path / "cache"
    mount(root)
    try:
        Cache(root).put(KEY, frame())
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        cache = Cache(root)
        calls = []
        got = cache.get_or_fetch(KEY, lambda: calls.append(1) or frame(5))
        assert calls == [] and got.equals(frame())  # the warm hit, without writing a lock file
        assert cache.get(KEY).equals(frame())
        other = (*KEY[:2], "2023-01-02", *KEY[3:])
        with pytest.warns(CacheWarning, match="not stored.*read-only"):
            cold = cache.get_or_fetch(other, lambda: frame(7))
        assert len(cold) == 7  # fetched data is returned, not lost
        with pytest.raises(OSError, match="Read-only"):
            cache.put(other, frame(7))
    finally:
        umount(root)


def test_a_full_disk_keeps_the_fetched_data_and_the_old_entry(tmp_path):
    root = tmp_path / "cache"
    mount(root, size="64k")
    try:
        cache = Cache(root)
        cache.put(KEY, frame())
        big = pd.DataFrame({"x": np.random.default_rng(0).random(200_000)})  # ~1.6 MB: does not fit
        with pytest.warns(CacheWarning, match="disk is full"):
            got = cache.get_or_fetch(("akshare", "300502", "a", "b", ""), lambda: big)
        assert got is big
        assert cache.get(KEY).equals(frame())  # the older entry is intact
        leftovers = [p.name for p in root.rglob("*.tmp")]
        assert leftovers == []
    finally:
        umount(root)


@pytest.mark.parametrize("mutate", [
    lambda m: m.update(bytes="123"),
    lambda m: m.update(bytes=None),
    lambda m: m.update(bytes=True),
    lambda m: m.update(sha256=42),
    lambda m: m.update(file=["x"]),
    lambda m: m.update(file="../../etc/passwd"),
    lambda m: m.update(attrs="notes"),
    lambda m: m.pop("key"),
    lambda m: m.clear(),
])
def test_a_manifest_of_wrong_types_is_a_miss_and_is_refetched(tmp_path, mutate):
    cache = Cache(tmp_path)
    cache.put(KEY, frame())
    path = cache.manifest_path(KEY)
    m = json.loads(path.read_text())
    mutate(m)
    path.write_text(json.dumps(m))
    with pytest.warns(CacheWarning, match="refetching"):
        got = cache.get_or_fetch(KEY, lambda: frame(3))
    assert len(got) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(cache.get(KEY)) == 3  # rewritten cleanly


@pytest.mark.parametrize("text", ["[1, 2]", '"x"', "null", "{", "\x00\x01", "1e999"])
def test_a_manifest_that_is_not_an_object_is_refetched(tmp_path, text):
    cache = Cache(tmp_path)
    cache.put(KEY, frame())
    cache.manifest_path(KEY).write_text(text)
    with pytest.warns(CacheWarning):
        assert len(cache.get_or_fetch(KEY, lambda: frame(4))) == 4
