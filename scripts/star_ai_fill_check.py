#!/usr/bin/env python
"""The seat-filling rule (``Methodology.fill_seats``) priced from the raw dumps: why it is off.

Usage::

    python scripts/star_ai_fill_check.py [--raw ../shared/data/raw]

The snapshot has daily bars for none of the 46 ``fill`` names, so the rule cannot be priced from it.
This script (like ``scripts/build_snapshot.py``, code that reads the raw dumps) takes their closes from the
Nolan (Yahoo) dump, builds the reviews with the rule on, and prints: the facts that agree, the top-10 shares at
the reported dates, the correlation of the level with 588790's daily returns, and for every review since
588790 trades the ETF-implied weights (:func:`aibt.strategies.star_ai_index.etf_implied_weights` over the
sessions the review is in force) of the names the rule adds, beside their rule weights.

Result (2026-12, with the locked-share table): 30 members at every review; 41 of 45 facts agree (688327 and
688088 leave the 2024 top 10s, the 2025-04-30 and 2025-07-24 shares fall 2.0 and 3.1 points short); the
correlation with 588790 falls to 0.9939. The added names are the largest liquid 软件服务 / IT设备 names
(688318 财富趋势, 688208 道通科技, 688083 中望软件, ...). ETF-implied weights over each review's sessions:
688208 0%, 1.6%, 6.3%, 8.4% at the four reviews from 2024-12 it fills (rule 2.7-3.0%); 688318 0% at five of
six (2.4% at 2025-03; rule 3.3-5.9%); 688775 2.8% at 2026-03 (rule 0.9%). A regression on 30 names over 40-64
sessions is noisy: a check on membership, not evidence enough to classify.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    a = ap.parse_args(argv)
    from aibt import loaders
    from aibt.data import snapshot
    from aibt.strategies.index_reconstruction import drifted_weights, reconstruct_index
    from aibt.strategies.star_ai_index import check_facts, etf_implied_weights
    from aibt.universes.star_ai import DEFAULT, constituents_as_of, membership_facts, select_reviews

    inputs = loaders.star_ai_inputs()
    theme = inputs["theme"]
    fill = sorted(theme.loc[theme["in_theme"] == "fill", "code"])
    own = inputs["weight_close"]
    extra = {}
    for code in fill:
        p = a.raw / "Nolan180940_a_share_downloader" / "data" / f"{code}.parquet"
        d = pd.read_parquet(p, columns=["date", "close", "volume"])
        d = d[d["volume"] > 0]
        extra[code] = pd.Series(d["close"].to_numpy(np.float64), index=pd.to_datetime(d["date"].astype(str)))
    close = pd.concat([own, pd.DataFrame(extra).reindex(own.index)], axis=1)
    close = close.loc[:, ~close.columns.duplicated()]
    m = replace(DEFAULT, fill_seats=True)
    table = select_reviews(methodology=m, **{**inputs, "weight_close": close})
    sizes = table.groupby("effective_date").size()
    facts = check_facts(table, close, membership_facts())
    print(f"members per review: {sizes.min()}-{sizes.max()}; facts agreeing: {int(facts['agrees'].sum())} of "
          f"{len(facts)}")
    print(facts.loc[~facts["agrees"], ["date", "kind", "code", "reported", "rebuilt"]].to_string(index=False))
    for d in ("2025-04-30", "2025-06-30", "2025-07-24"):
        w = drifted_weights(constituents_as_of(table, d), close, d)
        print(f"top-10 share {d}: {w.sort_values(ascending=False).head(10).sum():.2%}")
    level = reconstruct_index(close[sorted(set(table["code"]))], table[["effective_date", "code", "weight"]],
                              DEFAULT.base_date, DEFAULT.base_value)
    etf = snapshot.load_snapshot(["588790"], require_bars=False).frame("close")["588790"].dropna()
    r = pd.concat([level.pct_change(), etf.pct_change()], axis=1).dropna()
    print(f"correlation with 588790: {r.corr().iloc[0, 1]:.4f} ({len(r)} sessions)")
    effs = sorted(e for e in set(table["effective_date"]) if e >= etf.index[0] - pd.DateOffset(months=3))
    for k, eff in enumerate(effs):
        end = effs[k + 1] - pd.Timedelta(days=1) if k + 1 < len(effs) else etf.index[-1]
        rows = constituents_as_of(table, eff)
        px = close.loc[eff - pd.Timedelta(days=7):end, list(rows["code"])]
        implied = etf_implied_weights(etf.loc[px.index[0]:end], px, window=len(px), cap=DEFAULT.weight_cap)
        implied = implied.set_index("code")["implied_weight"]
        rule = rows.set_index("code")["weight"]
        added = [c for c in rows["code"] if c in fill]
        print(f"{eff.date()}: " + "; ".join(f"{c} rule {rule[c]:.1%} implied {implied.get(c, 0.0):.1%}"
                                           for c in added))
    return 0


if __name__ == "__main__":
    sys.exit(main())
