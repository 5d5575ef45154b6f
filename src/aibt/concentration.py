"""How concentrated the rebuilt STAR AI index (950180) is on a date: the data side of ``aibt concentration``
and of the default study's drifted-weights table (the command prints it; the study writes it).
"""
from __future__ import annotations

import pandas as pd

from aibt.errors import ConfigError

__all__ = ["concentration_report"]


def concentration_report(date=None, top: int = 10) -> dict:
    """JSON-ready concentration of 950180 on ``date`` (default: the snapshot's last session)."""
    from aibt.data.snapshot import load_snapshot
    from aibt.results.tables import drifted_weights, top_weight
    from aibt.loaders import star_ai_members
    from aibt.universes.master import security_master

    if isinstance(top, bool) or top < 1:
        raise ConfigError(f"--top must be a positive integer, got {top!r}")
    d, rows = star_ai_members(date)
    eff = pd.Timestamp(rows["effective_date"].iloc[0])
    w = pd.Series(rows["weight"].to_numpy(dtype=float), index=[str(c) for c in rows["code"]])
    w = w[w > 0]
    panel = load_snapshot(list(w.index))
    closes = pd.DataFrame({c: panel.series(c, "close") for c in w.index}).reindex(panel.dates)
    table = drifted_weights(w, closes, eff, d)
    master = security_master()
    members = [{"rank": int(r["rank"]), "code": code, "name": master.get(code).name if code in master else "",
                "weight": float(r["weight"]), "review_weight": float(r["review_weight"]),
                "price_change": float(r["price_change"])} for code, r in table.iterrows()]
    return {
        "index": "950180 (reconstructed)",
        "date": str(pd.Timestamp(d).date()),
        "as_of_close": str(table.attrs["as_of"].date()),
        "review_effective": str(eff.date()),
        "rebalance_close": str(table.attrs["rebalance_close"].date()),
        "top": int(top),
        "top_weight": top_weight(table, top),
        "top_weight_at_review": top_weight(w, top),
        "n_constituents": len(members),
        "members": members,
    }
