"""``aibt concentration``: how concentrated the STAR AI index (950180) is on a date.

``aibt concentration [--date D] [--top N] [--json]`` takes the review in force on D (built point in
time from the snapshot, :func:`aibt.strategies.star_ai_index.star_ai_members`), drifts its weights by
the constituents' adjusted closes from the rebalancing close to D
(:func:`aibt.results.tables.drifted_weights`) and prints the top-N weight with every constituent,
names beside codes, largest first.
"""
from __future__ import annotations

import json

import click

from aibt.concentration import concentration_report

__all__ = ["concentration", "concentration_report"]


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
