"""``aibt universe``: members and weights of a universe as of a date.

``show NAME [--date D] [--json]``: baskets and ETF lists are equal-weighted (or weighted by the user file) over
the members listed on or before D; ``star-ai`` loads the embedded snapshot, builds the 950180 constituents
point-in-time (:func:`aibt.universes.star_ai.select_reviews`) and prints the review in force on D.
JSON weights are fractions.
"""
from __future__ import annotations

import json

import click
import pandas as pd

from aibt.errors import UniverseError
from aibt.loaders import star_ai_inputs, star_ai_members  # noqa: F401 (star_ai_inputs re-exported)
from aibt.universes.master import security_master
from aibt.universes.registry import Universe, get_universe


def static_members(u: Universe, date) -> tuple[pd.Timestamp, pd.DataFrame]:
    """Members listed on or before ``date`` (today if None) with their weights renormalised over them."""
    master = security_master()
    d = pd.Timestamp.today().normalize() if date is None else pd.Timestamp(date)
    listed = [c for c in u.members if master.get(c).listing_date <= d]
    if not listed:
        raise UniverseError(f"no member of {u.name!r} was listed on {d.date()}")
    w = pd.Series(u.weight_vector(), index=list(u.members))[listed]
    if w.sum() <= 0:
        raise UniverseError(f"the members of {u.name!r} listed on {d.date()} all have weight 0")
    return d, pd.DataFrame({"code": listed, "weight": (w / w.sum()).to_numpy()})


def members_as_of(name: str, date=None) -> dict:
    """JSON-ready description of universe ``name`` on ``date``."""
    u = get_universe(name)
    master = security_master()
    effective = None
    if u.kind == "index" and u.name == "star-ai":
        d, rows = star_ai_members(date)
        rows = rows.sort_values(["weight", "code"], ascending=[False, True], kind="stable")
        effective = str(pd.Timestamp(rows["effective_date"].iloc[0]).date())
        weighting = "950180 rebuilt point-in-time (free-float cap, 10% cap)"
    else:
        d, rows = static_members(u, date)
        weighting = "equal weight" if u.weights is None else "file weights"
    members = [{"code": c, "name": master.get(c).name if c in master else "", "weight": float(w)}
               for c, w in zip(rows["code"], rows["weight"])]
    return {"universe": u.name, "date": str(d.date()), "kind": u.kind, "weighting": weighting,
            "effective_date": effective, "n_members": len(members), "members": members}


@click.group("universe")
def universe() -> None:
    """Universes: supplier baskets, the STAR AI index, ETF lists, user files."""


@universe.command("show")
@click.argument("name")
@click.option("--date", "date", default=None, help="As-of date (YYYY-MM-DD); default: latest.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (weights as fractions).")
def show(name: str, date: str | None, as_json: bool) -> None:
    """Members and weights of NAME (a built-in universe or a .toml/.yaml file) as of --date."""
    if date is not None:
        from aibt.files import user_date

        date = user_date(date, "--date", error=UniverseError)
    info = members_as_of(name, date)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    head = f"{info['universe']} as of {info['date']} ({info['weighting']}, {info['n_members']} members"
    head += f", review effective {info['effective_date']})" if info["effective_date"] else ")"
    click.echo(head)
    for m in info["members"]:
        click.echo(f"{m['code']:<9}{m['name']:<12}{m['weight']:8.4f}")
