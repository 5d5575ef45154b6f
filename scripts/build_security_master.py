"""Build ``universes/tables/securities.csv``, the committed security master, from the raw data copies.

Usage::

    python scripts/build_security_master.py [--raw /work/shared/data/raw] [--out universes/tables/securities.csv]

Provenance of every column (also written per row into the ``source`` column):

* stocks: name and listing date from ``Nolan180940_a_share_downloader/fundamentals/stock_basic.parquet``
  (Tushare ``stock_basic`` fields ``name``, ``list_date``; snapshot of 2026-05). A name beginning with
  ``*ST``/``ST`` marks a risk-warning stock; the true start date of the warning is not in the data, so the
  period starts at the snapshot's first trade date in ``daily_basic.parquet`` (2026-05-26), flagged in ``source``.
* ETFs: name from ``931191456_quant-backtest/all_stocks.json``; listing date = first bar in
  ``931191456_quant-backtest/data/<code>.parquet`` (the exchange listing notice was not available offline).
* indices: first bar in ``chenzt2020_quant/data/index/<sh|sz><code>.csv``; names are the indices' official short
  names. 950180 has no data file; its publication date 2024-07-25 is confirmed (see shared INDEX_950180.md).
* 6088.HK FIT Hon Teng: listing date = first bar of ``luciusneo1017_.../data/interim/6088.HK.csv``; the HKEX board
  lot of 1,000 shares is an ASSUMPTION taken from the project brief (no offline source found).

The write is atomic (temporary file + ``os.replace``).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

STOCKS = (
    # optical / copper / PCB baskets (Soochow Securities interconnect note)
    "300308 300502 300394 688498 688048 300548 688313 301486 300570 300913 300476 603228 002463 600183 "
    # STAR AI candidates from public reports (INDEX_950180.md, SOURCES.md section 4)
    "688256 688041 688008 688111 688521 688099 688169 688608 688385 688327 688568 688088 688561 688615 "
    "688232 688225 688095 688031 688066 688159 688787 688023 688648 688589 688039 688152 688595 688322 "
    # project-added AI-theme candidates
    "688018 688047 688343 688220 688158 688207 688475 688400 688003"
).split()

ETFS = "588790 588930 588760 588730 589010 589520 589380 589110 589090 589560 589230 588000 588080 588050".split()

# code -> (file stem in chenzt2020_quant/data/index, official short name)
INDICES = {
    "000001": ("sh000001", "上证指数"),
    "000016": ("sh000016", "上证50"),
    "000300": ("sh000300", "沪深300"),
    "000680": ("sh000680", "科创综指"),
    "000688": ("sh000688", "科创50"),
    "000852": ("sh000852", "中证1000"),
    "000905": ("sh000905", "中证500"),
    "000906": ("sh000906", "中证800"),
    "399006": ("sz399006", "创业板指"),
    "399303": ("sz399303", "国证2000"),
    "399673": ("sz399673", "创业板50"),
}

COLUMNS = ["code", "name", "exchange", "board", "currency", "kind", "listing_date", "hk_board_lot",
           "st_periods", "source"]


def stock_board(code: str) -> tuple[str, str]:
    """Exchange and board of an A-share stock code (688/689 STAR, 300/301 ChiNext, else Main)."""
    exchange = "SSE" if code.startswith("6") else "SZSE"
    if code.startswith(("688", "689")):
        return exchange, "STAR"
    if code.startswith(("300", "301")):
        return exchange, "ChiNext"
    return exchange, "Main"


def build(raw: Path) -> pd.DataFrame:
    """The security master rows, built from the raw copies under ``raw``."""
    rows: list[dict] = []
    nolan = raw / "Nolan180940_a_share_downloader" / "fundamentals"
    basic = pd.read_parquet(nolan / "stock_basic.parquet").set_index("symbol")
    snap_date = pd.Timestamp(str(pd.read_parquet(nolan / "daily_basic.parquet")["trade_date"].min())).date()
    for code in STOCKS:
        if code not in basic.index:
            raise SystemExit(f"stock {code} missing from stock_basic.parquet")
        rec = basic.loc[code]
        name = str(rec["name"])
        exchange, board = stock_board(code)
        src = "name,list_date: Nolan180940 stock_basic.parquet (Tushare, 2026-05)"
        st = ""
        if name.lstrip("*").startswith("ST"):
            st = f"{snap_date}:"
            src += f"; risk warning observed in the {snap_date} snapshot (true start date unknown)"
        rows.append(dict(code=code, name=name, exchange=exchange, board=board, currency="CNY", kind="stock",
                         listing_date=str(pd.Timestamp(str(rec["list_date"])).date()), hk_board_lot="",
                         st_periods=st, source=src))

    qb = raw / "931191456_quant-backtest"
    names = json.loads((qb / "all_stocks.json").read_text(encoding="utf-8"))
    for code in ETFS:
        first = pd.read_parquet(qb / "data" / f"{code}.parquet", columns=["date"])["date"].min()
        rows.append(dict(code=code, name=names[code]["name"], exchange="SSE", board="ETF", currency="CNY",
                         kind="etf", listing_date=str(pd.Timestamp(first).date()), hk_board_lot="", st_periods="",
                         source="name: 931191456 all_stocks.json; listing_date: first bar in its parquet"))

    idx_dir = raw / "chenzt2020_quant" / "data" / "index"
    for code, (stem, name) in INDICES.items():
        first = pd.read_csv(idx_dir / f"{stem}.csv", usecols=["date"], nrows=1)["date"].iloc[0]
        rows.append(dict(code=code, name=name, exchange="SSE" if stem.startswith("sh") else "SZSE", board="Index",
                         currency="CNY", kind="index", listing_date=str(pd.Timestamp(first).date()),
                         hk_board_lot="", st_periods="",
                         source=f"listing_date: first row of chenzt2020 {stem}.csv; name: official short name"))
    rows.append(dict(code="950180", name="科创AI", exchange="SSE", board="Index", currency="CNY", kind="index",
                     listing_date="2024-07-25", hk_board_lot="", st_periods="",
                     source="上证科创板人工智能指数; published 2024-07-25, base 1000 on 2022-12-30 (confirmed, "
                            "INDEX_950180.md); no level data offline"))

    hk = pd.read_csv(raw / "luciusneo1017_momentum-portfolio_optimization" / "data" / "interim" / "6088.HK.csv",
                     usecols=["Date"], nrows=1)
    rows.append(dict(code="6088.HK", name="鸿腾精密", exchange="HKEX", board="HK", currency="HKD", kind="stock",
                     listing_date=str(pd.Timestamp(hk["Date"].iloc[0]).date()), hk_board_lot="1000", st_periods="",
                     source="FIT Hon Teng; listing_date: first bar of luciusneo1017 6088.HK.csv (yfinance); "
                            "board lot 1000: ASSUMED (project brief, not verified offline)"))
    out = pd.DataFrame(rows, columns=COLUMNS)
    if out["code"].duplicated().any():
        raise SystemExit(f"duplicate codes: {sorted(out.loc[out['code'].duplicated(), 'code'])}")
    return out


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8 CSV to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=Path("/work/shared/data/raw"))
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "universes" / "tables" / "securities.csv")
    args = parser.parse_args(argv)
    table = build(args.raw)
    write_atomic(table, args.out)
    print(f"wrote {len(table)} securities to {args.out}")


if __name__ == "__main__":
    main()
