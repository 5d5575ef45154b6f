"""The corporate-action table and the traded prices, checked against the exchange's raw prices.

The raw dumps live outside the repository (``../shared/data/raw``); tests that read them are skipped when
they are absent. Two small fixtures cut from them keep the checks running in CI:
``tests/fixtures/raw_closes.csv`` (every suiwenfeng unadjusted close on its window) and
``tests/fixtures/volume_ratio_steps.csv`` (every persistent step of the Yahoo/raw volume ratio, i.e. every
bonus/transfer/split the volumes show). ``test_fixtures_are_cut_from_the_raw_dumps`` re-cuts both from
the dumps and compares.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import cli
from aibt.data.snapshot import load_events, load_snapshot, provenance

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
needs_raw = pytest.mark.skipif(not RAW.is_dir(), reason="raw dumps not available")


# ------------------------------------------------------------------------------------------ raw cuts
def cut_raw_closes(raw: Path) -> pd.DataFrame:
    """symbol, date, close of every suiwenfeng (unadjusted) bar."""
    rows = []
    for p in sorted((raw / "suiwenfeng_stock_unadjusted").glob("*.csv")):
        df = pd.read_csv(p, dtype={"日期": str})
        rows.append(pd.DataFrame({"symbol": p.stem, "date": pd.to_datetime(df["日期"]).dt.strftime("%Y-%m-%d"),
                                  "close": df["收盘价"].astype(float).round(2)}))
    return pd.concat(rows, ignore_index=True).sort_values(["symbol", "date"], kind="mergesort").reset_index(drop=True)


def _raw_volumes(raw: Path, symbol: str) -> dict[str, pd.Series]:
    out = {}
    for key, p, col, date in (
            ("tushare", raw / "R11happy_StockTradebyZ" / "data_day" / f"{symbol}.csv", "volume", "date"),
            ("tushare_lyh", raw / "LYH-RAIN_StockTradebyZ_5b936a3" / "data" / f"{symbol}.csv", "volume", "date"),
            ("suiwenfeng", raw / "suiwenfeng_stock_unadjusted" / f"{symbol}.csv", "成交量", "日期"),
            ("qb", raw / "931191456_quant-backtest" / "data" / f"{symbol}.parquet", "volume", "date"),
            ("baostock", raw / "tuisemo_baostock-master" / "data" / f"{'sh' if symbol.startswith('6') else 'sz'}.{symbol}.csv",
             "volume", "date")):
        if p.exists():
            df = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype={date: str}, encoding="utf-8-sig")
            s = pd.Series(pd.to_numeric(df[col], errors="coerce").to_numpy(float),
                          index=pd.to_datetime(df[date].astype(str), format="mixed"))
            out[key] = s[~s.index.duplicated(keep="last")].sort_index()
    return out


def cut_volume_ratio_steps(raw: Path, symbols) -> pd.DataFrame:
    """Every persistent fall (> 8 %) of log(Yahoo volume / raw volume): Yahoo split-adjusts volume, so the
    ratio falls by 1 + shares on the ex-date of a bonus/transfer/split. Median of the 5 sessions before
    vs the 5 after; the day is the one with the largest one-day fall inside the run."""
    rows = []
    for s in symbols:
        p = raw / "Nolan180940_a_share_downloader" / "data" / f"{s}.parquet"
        if not p.exists():
            continue
        n = pd.read_parquet(p)
        ny = pd.Series(n["volume"].to_numpy(float), index=pd.to_datetime(n["date"].astype(str)))
        for key, rv in _raw_volumes(raw, s).items():
            c = ny.index.intersection(rv.index)
            a, b = ny.loc[c].to_numpy(), rv.loc[c].to_numpy()
            ok = (a > 0) & (b > 0)
            lr = pd.Series(np.log(a[ok] / b[ok]), index=c[ok])
            before = lr.rolling(5).median().shift(1)
            after = lr[::-1].rolling(5).median()[::-1]
            step = (before - after).to_numpy()
            fall = -lr.diff().to_numpy()
            hit = step > math.log(1.08)
            i = 0
            while i < len(lr):
                if not hit[i]:
                    i += 1
                    continue
                j = i
                while j + 1 < len(lr) and hit[j + 1]:
                    j += 1
                k = i + int(np.nanargmax(fall[i:j + 1]))
                rows.append({"symbol": s, "date": lr.index[k].strftime("%Y-%m-%d"), "source": key,
                             "ratio": round(float(np.exp(step[k])), 3)})
                i = j + 1
    return pd.DataFrame(rows, columns=["symbol", "date", "source", "ratio"])


def _stocks():
    from aibt.data.snapshot import load_securities

    sec = load_securities()
    return sorted(sec.loc[sec["kind"] == "stock", "symbol"])


@needs_raw
def test_fixtures_are_cut_from_the_raw_dumps():
    closes = pd.read_csv(FIXTURES / "raw_closes.csv", dtype={"symbol": str, "date": str})
    pd.testing.assert_frame_equal(closes, cut_raw_closes(RAW), check_dtype=False)
    steps = pd.read_csv(FIXTURES / "volume_ratio_steps.csv", dtype={"symbol": str, "date": str})
    pd.testing.assert_frame_equal(steps, cut_volume_ratio_steps(RAW, _stocks()), check_dtype=False)


# ------------------------------------------------------------------------------------------ dated events
def events(symbol):
    return load_events(symbol).set_index("ex_date")


def test_300308_ten_for_four_is_on_2024_06_06_not_on_yahoos_2024_05_06():
    ev = events("300308")
    assert ev.loc["2024-06-06", "shares"] == pytest.approx(0.4)
    assert pd.Timestamp("2024-05-06") not in ev.index
    assert ev.loc["2024-06-06", "confidence"] == "two_sources"
    assert "VWAP 169.9 -> 126.7" in ev.loc["2024-06-06", "evidence"]
    assert "801.6M -> 1,115.7M" in ev.loc["2024-06-06", "evidence"]


def test_300502_ten_for_four_on_2023_06_08():
    ev = events("300502")
    assert ev.loc["2023-06-08", "shares"] == pytest.approx(0.4)
    assert ev.loc["2023-06-08", "confidence"] == "two_sources"


@pytest.mark.parametrize("symbol,day,shares", [
    ("688615", "2025-05-26", 0.4), ("688615", "2026-04-27", 0.4), ("688498", "2023-06-09", 0.4),
    ("688169", "2024-08-08", 0.4), ("688568", "2025-05-21", 0.49), ("688589", "2024-05-23", 0.2),
    ("688207", "2023-06-16", 0.4)])
def test_share_events_placed_where_the_volumes_and_raw_prices_put_them(symbol, day, shares):
    ev = events(symbol)
    assert ev.loc[day, "shares"] == pytest.approx(shares)
    assert ev.loc[day, "confidence"] == "two_sources"


def test_688256_share_event_without_a_locatable_date_is_inferred_and_listed():
    ev = events("688256")
    big = ev[ev["factor"] > 1.3]
    assert len(big) == 1 and big["confidence"].iloc[0] == "inferred"
    assert big["shares"].iloc[0] == pytest.approx(0.49)
    assert pd.Timestamp("2025-11-21") < big.index[0] < pd.Timestamp("2026-05-07")
    unknown = provenance()["symbols"]["688256"]["adj_factor"]["unknown"]
    assert any(u["kind"] == "unknown-dated share event" and u["between"] == ["2025-11-21", "2026-05-07"]
               for u in unknown)


def test_etf_splits_are_events():
    for symbol, day in (("588790", "2025-03-19"), ("588760", "2025-02-21")):
        ev = events(symbol)
        assert list(ev.index.strftime("%Y-%m-%d")) == [day]
        assert ev.loc[day, "split"] == 2.0 and ev.loc[day, "factor"] == 2.0 and ev.loc[day, "cash"] == 0.0


def test_every_share_change_the_volume_ratios_show_is_an_event():
    steps = pd.read_csv(FIXTURES / "volume_ratio_steps.csv", dtype={"symbol": str, "date": str})
    table = load_events()
    missing = []
    for r in steps.itertuples():
        ev = table[table["symbol"] == r.symbol]
        p = load_snapshot(r.symbol)
        d = p.dates
        t = pd.Timestamp(r.date)
        pos = d.searchsorted(t)
        near = ev[(ev["ex_date"] >= d[max(pos - 3, 0)]) & (ev["ex_date"] <= d[min(pos + 3, len(d) - 1)])]
        mult = (1 + near["shares"]) * near["split"]
        if not (np.abs(mult / r.ratio - 1) < 0.02).any():
            missing.append((r.symbol, r.date, r.source, r.ratio))
    assert missing == []
    # and no share event without a volume step, except the inferred ones (no raw volume spans them)
    share_ev = table[(table["shares"] > 0) & (table["confidence"] != "inferred")]
    for r in share_ev.itertuples():
        s = steps[steps["symbol"] == r.symbol]
        days = (pd.to_datetime(s["date"]) - r.ex_date).dt.days.abs()
        assert (days <= 7).any(), (r.symbol, r.ex_date)


def test_event_table_schema_sorted_and_reference_price_on_the_tick():
    ev = load_events()
    assert list(ev.columns) == ["symbol", "ex_date", "cash", "shares", "split", "factor", "ref_price",
                                "confidence", "evidence"]
    assert ev["ex_date"].dtype == "datetime64[ns]"
    assert ev.equals(ev.sort_values(["symbol", "ex_date"], kind="mergesort").reset_index(drop=True))
    assert set(ev["confidence"]) <= {"two_sources", "one_source", "inferred"}
    assert (ev["cash"] >= 0).all() and (ev["shares"] >= 0).all() and (ev["split"] >= 1).all()
    assert (ev["factor"] > 1).all()
    for r in ev.itertuples():
        p = load_snapshot(r.symbol)
        tc = pd.Series(p.fields["traded_close"][:, 0], index=p.dates).dropna()
        prev = tc[tc.index < r.ex_date].iloc[-1]
        tick = 0.001 if r.symbol.startswith("58") else 0.01
        half_up = lambda x: round(math.floor(x / tick + 0.5 + 1e-9) * tick, 3)  # noqa: E731
        assert r.ref_price == pytest.approx(half_up(prev / r.factor), abs=1e-9)
        mult = (1 + r.shares) * r.split
        if r.cash > 0:   # the exchange's formula: (prev close - cash) / ((1 + shares) x split)
            assert (prev - r.cash) / mult == pytest.approx(r.ref_price, abs=tick / 2 + 1e-4)
    assert load_events("600183", start="2022-01-01", end="2022-12-31")["ex_date"].dt.year.eq(2022).all()


# ------------------------------------------------------------------------------------------ adj_factor / traded
def test_adj_factor_changes_only_on_event_dates_and_is_the_product_of_later_factors():
    p = load_snapshot()
    ev = load_events()
    for j, s in enumerate(p.symbols):
        f = pd.Series(p.fields["adj_factor"][:, j], index=p.dates).dropna()
        e = ev[ev["symbol"] == s]
        changes = set(f.index[1:][f.to_numpy()[1:] != f.to_numpy()[:-1]])
        assert changes <= set(e["ex_date"]), (s, sorted(changes - set(e["ex_date"]))[:3])
        assert f.iloc[-1] == 1.0
        expect = np.ones(len(f))
        for r in e.itertuples():
            expect[f.index < r.ex_date] *= r.factor
        np.testing.assert_allclose(f.to_numpy(), expect, rtol=1e-12)


def test_traded_prices_are_on_the_tick_and_adjusted_is_traded_over_factor():
    p = load_snapshot()
    for name in ("open", "high", "low", "close"):
        tr, adj = p.fields["traded_" + name], p.fields[name]
        ok = np.isfinite(tr)
        np.testing.assert_allclose(adj[ok], tr[ok] / p.fields["adj_factor"][ok], rtol=1e-12)
        for j, s in enumerate(p.symbols):
            x = tr[:, j][np.isfinite(tr[:, j])]
            tick = {"stock": 0.01, "etf": 0.001}.get(_kind(s))
            if tick:
                np.testing.assert_allclose(x / tick, np.round(x / tick), atol=1e-6)
    hi, lo = p.fields["traded_high"], p.fields["traded_low"]
    ok = np.isfinite(hi)
    assert (hi[ok] >= np.maximum(p.fields["traded_open"][ok], p.fields["traded_close"][ok])).all()
    assert (lo[ok] <= np.minimum(p.fields["traded_open"][ok], p.fields["traded_close"][ok])).all()


def _kind(symbol):
    from aibt.data.snapshot import load_securities

    return load_securities().set_index("symbol").loc[symbol, "kind"]


def test_traded_closes_equal_the_unadjusted_dump_to_the_tick():
    raw = pd.read_csv(FIXTURES / "raw_closes.csv", dtype={"symbol": str, "date": str})
    p = load_snapshot(sorted(raw["symbol"].unique()))
    tc = pd.DataFrame(p.fields["traded_close"], index=p.dates.strftime("%Y-%m-%d"), columns=p.symbols)
    long = tc.stack().rename("traded").reset_index()
    long.columns = ["date", "symbol", "traded"]
    m = raw.merge(long, on=["symbol", "date"], how="inner")
    assert len(m) >= 0.99 * len(raw) and m["symbol"].nunique() == 40
    off = m[np.abs(m["traded"] - m["close"]) > 0.005]
    assert off.empty, off.head()


def test_volumes_are_shares_as_traded():
    p = load_snapshot()
    est = None
    from aibt.data.snapshot import _bars

    b = _bars()
    b = b[(~b["amount_estimated"]) & (b["volume"] > 0) & ~b["symbol"].str.match(r"^(000|399)")]
    vwap = b["amount"] / b["volume"]
    rel = vwap / ((b["traded_high"] + b["traded_low"] + b["traded_close"]) / 3)
    assert rel.between(0.8, 1.25).all(), b.loc[~rel.between(0.8, 1.25), ["symbol", "date"]].head()
    assert est is None and p is not None


@needs_raw
@pytest.mark.parametrize("symbol", ["688589", "688207", "300308", "688615"])
def test_volumes_equal_a_raw_volume_source(symbol):
    vols = _raw_volumes(RAW, symbol)
    p = load_snapshot(symbol)
    v = pd.Series(p.fields["volume"][:, 0], index=p.dates).dropna()
    for key in ("tushare", "tushare_lyh", "suiwenfeng"):
        if key not in vols:
            continue
        unit = 1.0 if key == "suiwenfeng" else 100.0
        rv = (vols[key] * unit).reindex(v.index).dropna()
        rv = rv[rv > 0]
        ratio = v.loc[rv.index] / rv
        assert (np.abs(ratio - 1) < 0.005).mean() > 0.98, (key, ratio.describe())


# ------------------------------------------------------------------------------------------ cli
def test_cli_bars_adjusted_and_traded():
    r = CliRunner().invoke(cli, ["data", "bars", "300308", "--start", "2024-06-05", "--end", "2024-06-06"])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0] == "date,open,high,low,close,volume,amount,adj_factor" and len(lines) == 3
    t = CliRunner().invoke(cli, ["data", "bars", "300308", "--start", "2024-06-05", "--end", "2024-06-06", "--traded"])
    rows = [x.split(",") for x in t.output.strip().splitlines()[1:]]
    assert [float(x[4]) for x in rows] == [167.5, 125.42]


def test_cli_actions():
    r = CliRunner().invoke(cli, ["data", "actions", "588790"])
    assert r.exit_code == 0
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("symbol,ex_date,cash,shares,split,factor,ref_price,confidence,evidence")
    assert lines[1].startswith("588790,2025-03-19,0.0,0.0,2.0,2.0,")


@pytest.mark.parametrize("args", [["data", "bars", "XYZ"], ["data", "bars", "300308", "--start", "2024-13-40"],
                                  ["data", "actions", "NOPE"]])
def test_cli_bad_input_is_one_line_exit_2(args):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
    assert len(r.output.strip().splitlines()) == 1 and "error" in r.output.lower()


def test_load_snapshot_passes_the_events_of_the_selection_to_the_panel():
    p = load_snapshot(["300308", "588790"], "2024-01-02", "2025-12-31")
    ev = p.events
    assert set(ev["symbol"]) == {"300308", "588790"}
    assert ev["ex_date"].between(p.dates[0], p.dates[-1]).all()
    assert pd.Timestamp("2024-06-06") in set(ev["ex_date"]) and pd.Timestamp("2019-06-04") not in set(ev["ex_date"])
    np.testing.assert_allclose(p.traded("close"), p.fields["traded_close"])
