#!/usr/bin/env python
"""Fit the open parameters of the 950180 selection rule on the reported membership facts.

Usage::

    python scripts/fit_star_ai.py [--out universes/tables/star_ai_fit.csv]

Grid: data cutoff lag (1, 2, 3 months before the review month), buffer (none; CSI's usual 24 in / 36 stay
scaled to 30 names), fast entry of newly listed large caps (prospectus rule: listed over 3 months and top 5
by average total cap on STAR; or off). Score: facts the rebuild agrees with
(:func:`aibt.loaders.star_ai_fact_checks`), then the mean top-10 weight error of the 2024 lists, then the
correlation with 588790's daily returns; differences in the mean error under 0.01 points and in the
correlation under 1e-4 count as ties, and ties keep the usual SSE/CSI practice (lag 2, buffer 24/36, fast
entry on). Writes one row per grid point; ``chosen`` marks the methodology defaults
(:data:`aibt.universes.star_ai.DEFAULT`), which must be among the best-scoring rows (tests check it).

Result on the snapshot (2026-12, with the locked-share table): all 12 grid points tie at 44 of 45 facts, mean
top-10 error 0.61 points (0.606 with a 1-month lag: a tie), correlation 0.99433: fewer than 30 theme names are
known at every review, so every eligible theme name is selected whatever the lag or buffer; the facts cannot
identify these parameters.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "universes" / "tables" / "star_ai_fit.csv")
    a = ap.parse_args(argv)
    from dataclasses import replace

    from aibt import loaders
    from aibt.results.tracking import tracking_report
    from aibt.tracking import etf_close
    from aibt.universes.star_ai import DEFAULT

    etf = etf_close("588790")
    rows = []
    for lag, buf, fast in itertools.product((1, 2, 3), ((0, 0), (24, 36)), (5, 0)):
        m = replace(DEFAULT, cutoff_lag_months=lag, buffer_in=buf[0], buffer_keep=buf[1], fast_entry_rank=fast)
        table = loaders.star_ai_constituents(methodology=m)
        facts = loaders.star_ai_fact_checks(table)
        lists = facts[facts["kind"] == "top10_list"]
        level = loaders.star_ai_index(constituents=table, methodology=m)
        rows.append({"cutoff_lag_months": lag, "buffer_in": buf[0], "buffer_keep": buf[1], "fast_entry_rank": fast,
                     "facts_agreeing": int(facts["agrees"].sum()), "facts": len(facts),
                     "top10_mean_error_pp": round(float(lists["rebuilt"].mean()), 4),
                     "correlation_588790": round(float(tracking_report(etf, level)["correlation"]), 6),
                     "chosen": m == DEFAULT})
        print(rows[-1], file=sys.stderr)
    out = pd.DataFrame(rows)
    out.to_csv(a.out, index=False, lineterminator="\n")
    print(f"wrote {len(out)} grid points to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
