"""The snapshot loader's contract: errors, copies, caching, hashes, FX, shares and the CLI."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.commands.data import data
from aibt.data import snapshot as snap
from aibt.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


def test_unknown_symbol_is_named():
    with pytest.raises(DataError, match=r"'NOPE'"):
        snap.load_snapshot(["300308", "NOPE"])
    with pytest.raises(DataError, match="twice"):
        snap.load_snapshot(["300308", "300308"])
    with pytest.raises(DataError, match="after end"):
        snap.load_snapshot("300308", start="2025-02-01", end="2025-01-01")
    with pytest.raises(DataError, match="no XSHG session"):
        snap.load_snapshot("300308", start="2025-10-01", end="2025-10-03")  # National Day holiday


def test_order_window_and_missing_days():
    p = snap.load_snapshot(["6088.HK", "300308"], start="2025-10-27", end="2025-11-03")
    assert p.symbols == ("6088.HK", "300308")
    assert list(p.dates.strftime("%m-%d")) == ["10-27", "10-28", "10-29", "10-30", "10-31", "11-03"]
    hk = p.fields["close"][:, 0]
    assert np.isnan(hk[-2:]).all() and not p.tradable[-2:, 0].any()  # HK data end 2025-10-30
    assert np.isfinite(hk[[0, 1, 3]]).all()
    assert np.isnan(hk[2]) and not p.tradable[2, 0]         # 2025-10-29: Chung Yeung, HK closed
    np.testing.assert_array_equal(p.fx_to_cny[:, 0], 0.92)
    np.testing.assert_array_equal(p.fx_to_cny[:, 1], 1.0)
    assert p.meta["snapshot_sha256"] == snap.snapshot_hash()


def test_hk_bars_on_non_xshg_days_are_dropped():
    bars = snap._bars()
    hk_dates = pd.DatetimeIndex(bars.loc[bars["symbol"] == "6088.HK", "date"])
    p = snap.load_snapshot("6088.HK")
    extra = hk_dates.difference(p.dates)
    assert len(extra) > 0                                  # HK trades on some mainland holidays
    assert p.series("6088.HK").index.isin(hk_dates).all()


def test_callers_cannot_corrupt_the_cache():
    a = snap.load_snapshot("300308")
    a.fields["close"][:] = -1.0
    a.tradable[:] = False
    b = snap.load_snapshot("300308")
    assert (b.series("300308") > 0).all() and b.tradable.any()
    prov = snap.provenance()
    prov["symbols"].clear()
    assert "300308" in snap.provenance()["symbols"]
    sh = snap.load_shares()
    sh.loc["300308", "total_shares"] = 0
    assert snap.load_shares().loc["300308", "total_shares"] > 0


def test_content_hashes_match_the_provenance():
    spec = importlib.util.spec_from_file_location("build_snapshot", ROOT / "scripts" / "build_snapshot.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_snapshot"] = mod
    spec.loader.exec_module(mod)
    prov = snap.provenance()
    folder = ROOT / "data" / "snapshot"
    tables = {n: pd.read_parquet(folder / f"{n}.parquet") for n in ("bars", "shares", "securities")}
    for n, t in tables.items():
        for c in t.columns:
            if c == "date":
                t[c] = pd.to_datetime(t[c]).astype("datetime64[ns]")
        assert mod.content_hash(t) == prov["content_sha256"][n]
    lines = "\n".join(f"{k}:{v}" for k, v in sorted(prov["content_sha256"].items()))
    assert snap.snapshot_hash() == hashlib.sha256(lines.encode()).hexdigest()
    b = tables["bars"]
    one = b[b["symbol"] == "588790"].drop(columns=["symbol"]).reset_index(drop=True)
    assert mod.content_hash(one) == prov["symbols"]["588790"]["sha256"]


def test_shares_are_market_cap_over_raw_close():
    sh = snap.load_shares()
    row = sh.loc["300308"]
    assert row["total_shares"] == pytest.approx(row["total_mv"] / row["raw_close"], abs=0.5)
    assert row["float_shares"] <= row["total_shares"]
    # the raw close used is the snapshot's traded close on that date
    p = snap.load_snapshot("300308", row["date"], row["date"])
    assert p.raw("close")[0, 0] == pytest.approx(row["raw_close"], abs=0.0006)
    assert 1.0e9 < row["total_shares"] < 1.3e9        # 中际旭创: about 1.1 bn shares in 2026


def test_info_and_fx():
    info = snap.snapshot_info()
    assert list(info.columns[:8]) == ["symbol", "name", "kind", "currency", "first", "last", "rows", "sources"]
    assert set(info["kind"]) == {"stock", "etf", "index", "hk"}
    assert info.set_index("symbol").loc["588790", "name"].startswith("科创")
    fx = snap.load_fx()
    assert list(fx.columns) == ["HKD"] and (fx["HKD"] == 0.92).all()
    assert snap.provenance()["assumptions"]["fx"]["HKD"]["flagged"] is True


def test_cli_info_table_and_json():
    r = CliRunner().invoke(data, ["info"])
    assert r.exit_code == 0, r.output
    assert "588790" in r.output and "2026-05-07" in r.output and "HKD->CNY" in r.output
    r = CliRunner().invoke(data, ["info", "--json", "--kind", "hk"])
    assert r.exit_code == 0
    out = json.loads(r.output)
    assert [s["symbol"] for s in out["symbols"]] == ["6088.HK"]
    assert out["symbols"][0]["first"] == "2019-01-02" and out["symbols"][0]["last"] == "2025-10-30"
    assert out["snapshot_sha256"] == snap.snapshot_hash()


def test_snapshot_files_are_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = cfg["tool"]["setuptools"]["package-data"]["aibt.data"]
    files = [p.name for p in (ROOT / "data" / "snapshot").iterdir() if not p.name.startswith(".")]
    assert files and all(any(fnmatch(f"snapshot/{f}", g) for g in globs) for f in files)
