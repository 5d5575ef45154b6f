"""``aibt screen UNIVERSE_OR_ETFS``: rank a universe's stocks or the STAR AI ETFs as of a date.

Thin: :func:`aibt.screens.screen_table` loads the data and runs
:func:`aibt.strategies.universe_screens.screen_universe`; this prints a table or JSON.
"""
from __future__ import annotations

import json
import math
from typing import Any

import click
import numpy as np
import pandas as pd

from aibt.screens import screen_table


# ----------------------------------------------------------------------------------- output
def _jsonable(v):
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    if v is pd.NA:
        return None
    return v


def table_to_json(table: pd.DataFrame) -> dict[str, Any]:
    """JSON-ready dict: ``as_of``, ``screen``, ``steps``, ``caveats``, ``rows`` (fractions, NaN -> null)."""
    rows = []
    for sym, r in table.iterrows():
        rows.append({"symbol": str(sym), **{str(k): _jsonable(v) for k, v in r.items()}})
    meta = {k: table.attrs.get(k) for k in ("universe", "screen", "steps", "caveats", "reference", "top")
            if table.attrs.get(k) is not None}
    return {"as_of": str(pd.Timestamp(table.attrs["as_of"]).date()), **meta, "rows": rows}


def _fmt(col: str, v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if not isinstance(v, (int, float, np.number)):
        return str(v)
    if col.startswith(("avg_amount", "net_flow")):
        return f"{v / 1e6:,.1f}M"
    if col.startswith(("listed_sessions", "stale_sessions", "risk_warning")):
        return f"{v:.0f}"
    if col.startswith(("rank_", "score", "correlation")):
        return f"{v:.3f}"
    return f"{100 * v:.2f}%"


def print_table(table: pd.DataFrame) -> None:
    """Rich table of the screen, then its steps and notes."""
    from rich.console import Console
    from rich.table import Table

    title = f"{table.attrs.get('screen', 'screen')} screen of {table.attrs.get('universe', '')} as of " \
            f"{pd.Timestamp(table.attrs['as_of']).date()}"
    t = Table(title=title)
    top = table.attrs.get("top")
    shown = table[table["pass"]].head(top) if top is not None else table  # --top K: the K best rows only
    cols = [c for c in table.columns if c != "notes" and not c.startswith("rank_")]  # ranks: in --json
    t.add_column("symbol", no_wrap=True)
    for c in cols:
        t.add_column(c, justify="left" if c in ("failed", "name", "tracks", "fee_status") else "right")
    for sym, r in shown.iterrows():
        t.add_row(str(sym), *[_fmt(c, r[c]) for c in cols])
    console = Console()
    if not console.is_terminal:  # piped / captured: do not squeeze the table into 80 columns
        console = Console(width=200)
    console.print(t)
    console.print("steps: " + "; ".join(table.attrs.get("steps", [])))
    if top is not None and len(shown) < len(table):
        console.print(f"{len(table) - len(shown)} more not shown (not in the top {top} or filtered out; all rows in --json)")
    if table.attrs.get("reference"):
        why = "--reference" if table.attrs.get("reference_chosen") else "the index each fund tracks; 950180 is rebuilt"
        console.print(f"measured against: {table.attrs['reference']} ({why})")
    for c in table.attrs.get("caveats", []):
        console.print(f"note: {c}")
    for sym, n in shown["notes"].items():
        if isinstance(n, str) and n:
            console.print(f"{sym}: {n}")


@click.command("screen")
@click.argument("universe_or_etfs")
@click.option("--date", "as_of", default=None, help="As-of date (YYYY-MM-DD); default: last snapshot date.")
@click.option("--top", type=int, default=None, help="Keep the K best by composite score.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fractions, not percents).")
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML screen config ([[steps]] with filter/rank/top), replaces the built-in screen.")
@click.option("--reference", default=None,
              help="ETF screens: measure every fund against this index (e.g. 000688) instead of the index it "
                   "tracks (950180 rebuilt, or 000688); never an ETF.")
def screen(universe_or_etfs: str, as_of: str | None, top: int | None, as_json: bool, config: str | None,
           reference: str | None) -> None:
    """Rank UNIVERSE_OR_ETFS (a universe name such as star-ai, optical, star-ai-etfs, or codes
    588790,588760) by liquidity, momentum, volatility, drawdown; ETFs by tracking quality and fees."""
    if as_of is not None:
        from aibt.files import user_date

        as_of = user_date(as_of, "--date").strftime("%Y-%m-%d")
    table = screen_table(universe_or_etfs, as_of, top, config, reference)
    if as_json:
        click.echo(json.dumps(table_to_json(table), ensure_ascii=False, indent=2))
    else:
        print_table(table)
