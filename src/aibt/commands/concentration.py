"""``aibt concentration``: how concentrated the STAR AI index (950180) is on a date.

``aibt concentration [--date D] [--top N] [--json]`` takes the review in force on D (built point in
time from the snapshot, :func:`aibt.loaders.star_ai_members`), drifts its weights by
the constituents' adjusted closes from the rebalancing close to D
(:func:`aibt.results.tables.drifted_weights`) and prints the top-N weight with every constituent,
names beside codes, largest first.
"""
from __future__ import annotations

import json

import click
import pandas as pd

from aibt.errors import ConfigError

__all__ = ["concentration", "concentration_report"]


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


@click.command("concentration")
@click.option("--date", default=None, help="As-of date (YYYY-MM-DD); default: the snapshot's last session.")
@click.option("--top", type=int, default=10, show_default=True, help="N of the top-N weight.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fractions, not percents).")
def concentration(date: str | None, top: int, as_json: bool) -> None:
    """Top-N weight of the STAR AI index (950180) on --date, weights drifted by prices since the review."""
    if date is not None:
        from aibt.files import user_date

        date = user_date(date, "--date")  # offsets dropped, 1990..2100, numbers refused
    rep = concentration_report(date, top)
    if as_json:
        click.echo(json.dumps(rep, indent=2, ensure_ascii=False))
        return
    click.echo(f"{rep['index']} on {rep['as_of_close']}: top-{rep['top']} weight {rep['top_weight'] * 100:.2f}% "
               f"({rep['top_weight_at_review'] * 100:.2f}% at the review effective {rep['review_effective']}, "
               f"weights drifted by prices since the close of {rep['rebalance_close']}; {rep['n_constituents']} names)")
    for m in rep["members"]:
        click.echo(f"{m['rank']:>3}  {m['code']}  {m['name']:<8}\t{m['weight'] * 100:6.2f}%  "
                   f"(review {m['review_weight'] * 100:5.2f}%, price {m['price_change'] * 100:+.1f}%)")
