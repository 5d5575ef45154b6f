"""``aibt data info``: what the embedded snapshot holds (symbols, ranges, sources, repairs).

Thin: :func:`aibt.data.snapshot.snapshot_info` -> a rich table, or JSON with ``--json``.
"""
from __future__ import annotations

import json

import click

__all__ = ["data", "info"]


def info_records() -> dict:
    """The snapshot summary as plain JSON-ready data."""
    from aibt.data.snapshot import provenance, snapshot_info

    df = snapshot_info()
    prov = provenance()
    rows = []
    for r in df.itertuples(index=False):
        rows.append({"symbol": r.symbol, "name": r.name, "kind": r.kind, "currency": r.currency,
                     "first": r.first.strftime("%Y-%m-%d"), "last": r.last.strftime("%Y-%m-%d"),
                     "rows": int(r.rows), "sources": r.sources.split(","), "repairs": int(r.repairs),
                     "source_flags": int(r.source_flags)})
    return {"snapshot_sha256": prov["snapshot_sha256"], "window": prov["window"],
            "assumptions": prov["assumptions"], "symbols": rows}


@click.group("data")
def data() -> None:
    """The embedded real-data snapshot."""


@data.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--kind", type=click.Choice(["stock", "etf", "index", "hk"]), default=None,
              help="Only symbols of this kind.")
def info(as_json: bool, kind: str | None) -> None:
    """Symbols, date ranges, sources and repair counts of the snapshot."""
    rec = info_records()
    if kind is not None:
        rec["symbols"] = [r for r in rec["symbols"] if r["kind"] == kind]
    if as_json:
        click.echo(json.dumps(rec, ensure_ascii=False, indent=1, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"aibt snapshot {rec['snapshot_sha256'][:12]} "
                        f"({rec['window']['start']} .. {rec['window']['end']})")
    for col, just in (("symbol", "left"), ("name", "left"), ("kind", "left"), ("first", "left"),
                      ("last", "left"), ("rows", "right"), ("sources", "left"), ("repairs", "right"),
                      ("flags", "right")):
        table.add_column(col, justify=just)
    for r in rec["symbols"]:
        table.add_row(r["symbol"], r["name"], r["kind"], r["first"], r["last"], str(r["rows"]),
                      ",".join(r["sources"]), str(r["repairs"]), str(r["source_flags"]))
    console = Console(width=160)
    console.print(table)
    fx = rec["assumptions"]["fx"]
    for cur, v in sorted(fx.items()):
        console.print(f"assumption: {cur}->CNY = {v['cny_per_unit']} constant ({v['note']})")
