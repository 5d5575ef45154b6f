"""`aibt data update` end to end against fakes of akshare's / yfinance's functions (never the network).

The fakes (tests/fake_market.py) answer with frames built the way the installed akshare 1.19.5 builds
them (tests/akshare_shapes.py). Expected values are worked by hand from the fixture prices and the
exchange's ex-rights rule: reference price = (previous close - cash) / (1 + bonus/transfer shares).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from click.testing import CliRunner

from aibt.cli import cli
from aibt.data.store import content_hash, read_tables
from fake_market import STOCK, STOCK_CASH, STOCK_EX, FakeMarket


def files(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(d).iterdir())}


@pytest.fixture
def market(monkeypatch, tmp_path):
    monkeypatch.setenv("AIBT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("aibt.data.retry.time.sleep", lambda s: None)
    return FakeMarket().install(monkeypatch)


def run(*args):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def test_update_300308_and_588790_end_to_end(market, tmp_path):
    d = tmp_path / "store"
    code, out = run("data", "update", "300308", "588790", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 0, out
    assert "300308: updated (+6 sessions)" in out and "588790: updated (+21 sessions)" in out
    tables, prov = read_tables(d)
    b = tables["bars"].set_index(["symbol", "date"])
    s = b.loc["300308"]
    # traded prices are the exchange's (the fixture's), on the tick
    assert s.loc["2026-06-05", "traded_close"] == 1241.00 and s.loc["2026-05-29", "traded_close"] == 1210.50
    assert s.index.max() == pd.Timestamp("2026-06-05") and (s["source"].loc["2026-05-29":] == "eastmoney").all()
    # volume in shares: akshare's 成交量 is in lots, the shared unit check found 100
    assert s.loc["2026-05-29", "volume"] == (250000 + 1000) * 100
    # the dividend: hand-worked factor and reference price
    ev = tables["events"]
    e = ev[(ev["symbol"] == "300308") & (ev["ex_date"] == pd.Timestamp(STOCK_EX))].iloc[0]
    prev = STOCK["2026-06-02"][1]
    assert e["cash"] == STOCK_CASH and e["shares"] == 0.0
    assert e["ref_price"] == pytest.approx(round(prev - STOCK_CASH, 2))  # 1224.80
    assert e["factor"] == pytest.approx(prev / (prev - STOCK_CASH), rel=1e-12)
    assert e["confidence"] == "two_sources"  # Eastmoney's hfq ratio steps by the same factor
    # adj_factor: 1.0 from the ex-date on, the factor on every earlier row (old rows rescaled, traded kept)
    assert s.loc["2026-06-03":, "adj_factor"].eq(1.0).all()
    assert s.loc[:"2026-06-02", "adj_factor"].to_numpy() == pytest.approx(e["factor"] * np.ones(len(s.loc[:"2026-06-02"])) *
                                                                          _old_adj("300308"), rel=1e-12)
    assert s.loc["2026-05-28", "traded_close"] == 1197.99
    np.testing.assert_allclose(s["close"], s["traded_close"] / s["adj_factor"], rtol=1e-14)
    # the ETF: bars, NAV, units outstanding (Shanghai)
    assert b.loc["588790"].index.max() == pd.Timestamp("2026-06-05")
    nav = tables["nav"]
    assert set(nav["symbol"]) == {"588790"} and nav["date"].max() == pd.Timestamp("2026-06-05")
    fs = tables["fund_shares"]
    assert (fs["symbol"] == "588790").all() and fs["date"].iloc[0] == pd.Timestamp("2026-05-07")
    assert fs["shares"].iloc[1] == pytest.approx((800000 + 2000 * 1) * 1e4)  # SSE 万份 x 10000 (akshare) = units
    # provenance: hashes of what is on disk, per-symbol record of the update
    for name, df in tables.items():
        assert prov["content_sha256"][name] == content_hash(df), name
    up = prov["symbols"]["300308"]["updates"][-1]
    assert up["rows_added"] == 6 and up["anchor"]["traded_close"] == up["anchor"]["source_close"] == 1241.0
    assert prov["window"]["end"] == "2026-06-05"


def _old_adj(symbol):
    """The snapshot's adj_factor on its rows of ``symbol`` up to 2026-06-02 (the new rows: 1.0)."""
    tables, _ = read_tables(None)
    b = tables["bars"]
    old = b.loc[b["symbol"] == symbol, "adj_factor"].to_numpy()
    return np.concatenate([old, np.ones(3)])


def test_a_rerun_changes_nothing_and_the_merge_rebuilds_byte_identically(market, tmp_path, monkeypatch):
    d1, d2 = tmp_path / "a", tmp_path / "b"
    assert run("data", "update", "300308", "588790", "--data-dir", str(d1), "--end", "2026-06-05")[0] == 0
    first = files(d1)
    code, out = run("data", "update", "300308", "588790", "--data-dir", str(d1), "--end", "2026-06-05")
    assert code == 0 and "unchanged: " in out, out
    assert files(d1) == first
    # the same inputs into a new folder, through a new cache: the same bytes
    monkeypatch.setenv("AIBT_CACHE_DIR", str(tmp_path / "cache2"))
    assert run("data", "update", "300308", "588790", "--data-dir", str(d2), "--end", "2026-06-05")[0] == 0
    assert files(d2) == first


def test_incremental_only_new_sessions_are_fetched(market, tmp_path):
    d = tmp_path / "store"
    assert run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")[0] == 0
    market.last = pd.Timestamp("2026-06-09")
    market.calls.clear()
    code, out = run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-09")
    assert code == 0 and "300308: updated (+2 sessions)" in out, out
    starts = {c[2] for c in market.calls if c[0] == "stock_zh_a_hist"}
    assert starts == {"20260605"}  # from the store's last session (the overlap check) on
    tables, _ = read_tables(d)
    s = tables["bars"][tables["bars"]["symbol"] == "300308"].set_index("date")
    assert s.loc["2026-06-09", "traded_close"] == 1248.00 and not s.index.duplicated().any()


def test_a_partial_history_then_the_rest(market, tmp_path):
    d = tmp_path / "store"
    market.last = pd.Timestamp("2026-06-01")  # the vendor has not published the later sessions yet
    assert run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")[0] == 0
    tables, _ = read_tables(d)
    assert tables["bars"].loc[tables["bars"]["symbol"] == "300308", "date"].max() == pd.Timestamp("2026-06-01")
    market.last = pd.Timestamp("2026-06-05")
    assert run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")[0] == 0
    tables, _ = read_tables(d)
    ev = tables["events"]
    assert ((ev["symbol"] == "300308") & (ev["ex_date"] == pd.Timestamp(STOCK_EX))).sum() == 1


def test_a_failing_source_is_reported_per_symbol_and_the_others_are_updated(market, tmp_path):
    d = tmp_path / "store"
    resp = requests.Response()
    resp.status_code = 429
    market.fail[("fund_etf_hist_em", "588790")] = requests.exceptions.HTTPError("429 Too Many Requests", response=resp)
    code, out = run("data", "update", "300308", "588790", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 2
    assert "300308: updated" in out and "588790: failed" in out
    last = out.strip().splitlines()[-1]
    assert "1 of 2 symbol(s) failed (588790)" in last and "fund_etf_hist_em" in last
    tries = [c for c in market.calls if c[0] == "fund_etf_hist_em"]
    assert len(tries) == 3  # transient: retried, bounded
    tables, _ = read_tables(d)
    assert tables["bars"].loc[tables["bars"]["symbol"] == "300308", "date"].max() == pd.Timestamp("2026-06-05")
    assert tables["bars"].loc[tables["bars"]["symbol"] == "588790", "date"].max() == pd.Timestamp("2026-05-07")


def test_a_timeout_mid_update_then_a_resumed_update_refetches_nothing_it_had(market, tmp_path):
    d = tmp_path / "store"
    market.fail[("fund_etf_fund_info_em", "588790")] = requests.exceptions.ReadTimeout("read timed out")
    code, out = run("data", "update", "300308", "588790", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 2 and "588790: failed" in out
    market.fail.clear()
    market.calls.clear()
    code, out = run("data", "update", "300308", "588790", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 0, out
    fetched = {c[0] for c in market.calls}
    assert "stock_zh_a_hist" not in fetched and "stock_fhps_detail_em" not in fetched  # merged already
    assert "fund_etf_fund_info_em" in fetched


def test_an_update_killed_while_fetching_resumes_from_what_it_fetched(market, tmp_path):
    d = tmp_path / "store"
    market.fail[("fund_etf_hist_em", "588790")] = KeyboardInterrupt()  # killed on the second symbol
    code, out = run("data", "update", "300308", "588790", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 130 and "300308: updated" in out
    assert not d.exists()  # nothing written
    market.fail.clear()
    market.calls.clear()
    code, out = run("data", "update", "300308", "588790", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 0 and "300308: updated (+6 sessions)" in out, out
    fetched = {c[0] for c in market.calls}
    assert "stock_zh_a_hist" not in fetched and "stock_fhps_detail_em" not in fetched  # from the fetch cache
    assert "fund_etf_hist_em" in fetched


def test_a_killed_write_leaves_the_store_as_it_was(market, tmp_path, monkeypatch):
    d = tmp_path / "store"
    assert run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-01")[0] == 0
    before = files(d)
    import aibt.data.store as store

    real = store.write_parquet
    n = {"k": 0}

    def dying(df, path):
        n["k"] += 1
        if n["k"] == 3:
            raise KeyboardInterrupt  # the process is stopped in the middle of writing the new store
        real(df, path)

    monkeypatch.setattr(store, "write_parquet", dying)
    with pytest.raises(KeyboardInterrupt):
        from aibt.data.update import update
        update(d, ["300308"], end="2026-06-05")
    assert files(d) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".store")) == []
    # a kill between the two renames: the old store is put back by the next run
    import os
    os.replace(d, tmp_path / ".store.old")
    monkeypatch.setattr(store, "write_parquet", real)
    assert run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")[0] == 0
    tables, _ = read_tables(d)
    assert tables["bars"].loc[tables["bars"]["symbol"] == "300308", "date"].max() == pd.Timestamp("2026-06-05")


def test_shapes_empty_and_renamed_columns(market, tmp_path):
    d = tmp_path / "store"
    market.empty.add(("stock_zh_a_hist", "300308"))
    code, out = run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 2 and "eastmoney returned no bars for 300308 from 2026-05-28 to 2026-06-05" in out
    market.empty.clear()
    market.renamed["stock_zh_a_hist"] = {"收盘": "收盘价"}
    code, out = run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 2 and "missing column(s) '收盘' (closest: '收盘价')" in out


def test_official_index_levels_weights_hk_and_fx(market, tmp_path):
    d = tmp_path / "store"
    code, out = run("data", "update", "950180", "6088.HK", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 0, out
    tables, prov = read_tables(d)
    lv = tables["index_levels"]
    assert set(lv["symbol"]) == {"950180"} and lv["date"].max() == pd.Timestamp("2026-06-05")
    w = tables["index_weights"]
    assert w["weight"].sum() == pytest.approx(1.0) and w["symbol"].tolist() == ["688008", "688041", "688256"]
    assert w["name"].tolist() == ["澜起科技", "海光信息", "寒武纪"]
    fx = tables["fx"]
    assert set(fx["currency"]) == {"HKD"} and fx["cny_per_unit"].iloc[0] == pytest.approx(0.915)
    hk = tables["bars"][tables["bars"]["symbol"] == "6088.HK"]
    assert hk["date"].max() == pd.Timestamp("2026-06-05") and hk["source"].iloc[-1] == "yahoo"


def test_store_layout_is_the_snapshots(market, tmp_path):
    d = tmp_path / "store"
    assert run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")[0] == 0
    snap = Path(__file__).resolve().parents[1] / "data" / "snapshot"
    for name in ("bars", "events", "shares", "securities"):
        a, b = pd.read_parquet(snap / f"{name}.parquet"), pd.read_parquet(d / f"{name}.parquet")
        assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes), name
    prov = json.loads((d / "provenance.json").read_text(encoding="utf-8"))
    assert set(prov) >= {"snapshot_sha256", "content_sha256", "window", "assumptions", "symbols"}


def test_the_default_store_is_read_by_every_command_and_info_says_so(market, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    code, out = run("data", "update", "300308", "6088.HK", "--end", "2026-06-05")
    assert code == 0 and f"wrote {tmp_path / 'xdg' / 'aibt'}" in out, out
    code, out = run("data", "info", "--json")
    rec = json.loads(out)
    assert rec["data"] == f"data store {(tmp_path / 'xdg' / 'aibt').resolve()}"
    assert rec["window"]["end"] == "2026-06-05" and rec["tables"]["fx"]["currency"] == ["HKD"]
    code, out = run("data", "bars", "300308", "--start", "2026-06-04", "--traded")
    assert code == 0 and out.splitlines()[-1].startswith("2026-06-05,1230.0,1245.0,1228.0,1241.0,"), out
    code, out = run("data", "info")
    assert "data in use: data store" in out and "HKD->CNY: daily history (table fx" in out
    # the FX history replaces the constant from its first fixing on
    from aibt.data import snapshot

    fx = snapshot.load_fx()
    hist = snapshot.load_table("fx").set_index("date")["cny_per_unit"]
    common = fx.index.intersection(hist.index)
    assert len(common) > 1500 and fx.loc["2019-01-02", "HKD"] == pytest.approx(0.915)
    np.testing.assert_array_equal(fx.loc[common, "HKD"].to_numpy(), hist.loc[common].to_numpy())
    assert fx.loc["2025-10-30", "HKD"] == hist.loc["2025-10-30"]
    # an explicit --data-dir wins over the default store
    d = tmp_path / "other"
    assert run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-01")[0] == 0
    code, out = run("data", "info", "--json", "--data-dir", str(d))
    assert json.loads(out)["data"] == f"data folder {d.resolve()}" and json.loads(out)["window"]["end"] == "2026-06-01"


def test_the_builders_checks_run_on_fresh_bars(market, tmp_path, monkeypatch):
    import fake_market

    bars = dict(fake_market.STOCK)
    o, c, h, lo = bars["2026-06-04"]
    bars["2026-06-04"] = (o, 1600.00, 1600.00, lo)  # +30 % on a ChiNext stock (limit 20 %): kept, flagged
    monkeypatch.setattr(fake_market, "STOCK", bars)
    orig = market.stock_klines

    def with_suspension(start, end, adjust):
        out = orig(start, end, adjust)
        return [k if not k.startswith("2026-06-01") else k.split(",")[0] + ",1210.50,1210.50,1210.50,1210.50,0,0.00,0,0,0,0"
                for k in out]  # a flat zero-volume bar: a suspension the vendor filled in

    market.stock_klines = with_suspension
    d = tmp_path / "store"
    code, out = run("data", "update", "300308", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 0, out
    tables, prov = read_tables(d)
    s = tables["bars"][tables["bars"]["symbol"] == "300308"].set_index("date")
    assert pd.Timestamp("2026-06-01") not in s.index  # suspension: no bar, as in the snapshot
    p = prov["symbols"]["300308"]
    assert any(r["kind"] == "suspension_bar" and r["date"] == "2026-06-01" for r in p["repairs"])
    assert any(f["kind"] == "unconfirmed_limit_move" and f["date"] == "2026-06-04" for f in p["source_flags"])


def test_fresh_bars_on_another_price_basis_are_refused(market, tmp_path):
    d = tmp_path / "store"
    code, out = run("data", "update", "300476", "300308", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 2
    assert "300308: updated" in out
    line = next(x for x in out.splitlines() if x.startswith("300476: failed"))
    assert "eastmoney close 1197.99 on 2026-05-28 differs from the store's" in line and "nothing merged" in line


def test_the_store_writer_reproduces_the_embedded_snapshot_byte_for_byte(tmp_path):
    import filecmp

    from aibt.data.store import write_store

    tables, prov = read_tables(None)
    out = write_store(tmp_path / "same", tables, prov)
    snap = Path(__file__).resolve().parents[1] / "data" / "snapshot"
    names = ["bars.parquet", "events.parquet", "shares.parquet", "securities.parquet", "provenance.json"]
    match, mismatch, errors = filecmp.cmpfiles(snap, tmp_path / "same", names, shallow=False)
    assert match == names, (mismatch, errors)
    assert out["snapshot_sha256"] == prov["snapshot_sha256"]


def test_universe_and_usage_errors(market, tmp_path):
    d = tmp_path / "store"
    code, out = run("data", "update", "--data-dir", str(d))
    assert code == 2 and "name symbols (e.g. 300308 588790), --universe NAME or --all" in out
    code, out = run("data", "update", "--universe", "copper", "--data-dir", str(d), "--end", "2026-06-05")
    # copper = 300913, 300308, 6088.HK: the fake answers 300308's prices for every stock, so 300913 is refused
    assert code == 2 and "300308: updated" in out and "6088.HK: updated" in out
    assert "1 of 3 symbol(s) failed (300913)" in out.strip().splitlines()[-1]
    code, out = run("data", "update", "--universe", "no-such", "--data-dir", str(d))
    assert code == 2 and "unknown universe 'no-such'" in out


def test_a_fund_split_in_fresh_bars_becomes_an_event_confirmed_by_the_nav(market, tmp_path):
    market.etf_split = ("2026-05-20", 2)
    d = tmp_path / "store"
    code, out = run("data", "update", "588790", "--data-dir", str(d), "--end", "2026-06-05")
    assert code == 0, out
    tables, prov = read_tables(d)
    ev = tables["events"]
    e = ev[(ev["symbol"] == "588790") & (ev["ex_date"] == pd.Timestamp("2026-05-20"))].iloc[0]
    assert e["split"] == 2.0 and e["factor"] == 2.0 and e["cash"] == 0.0 and e["confidence"] == "two_sources"
    s = tables["bars"][tables["bars"]["symbol"] == "588790"].set_index("date")
    # adjusted closes carry no jump across the split; traded closes are the exchange's
    r = s["close"].pct_change().loc["2026-05-20"]
    assert abs(r) < 0.05 and s.loc["2026-05-20", "traded_close"] < 0.6
    assert s.loc["2026-05-07", "adj_factor"] == 2.0 and s.loc["2026-05-20", "adj_factor"] == 1.0
    assert not [f for f in prov["symbols"]["588790"]["source_flags"] if f["date"] == "2026-05-20"]
