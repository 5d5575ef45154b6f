"""``aibt screen UNIVERSE_OR_ETFS``: rank a universe's stocks or the STAR AI ETFs as of a date.

Thin: resolve the members, load the snapshot up to the date, pick the built-in screen (stocks or
ETFs) or a TOML config, call :func:`aibt.strategies.screening.run_screen`, print a table or JSON.
"""
from __future__ import annotations

import json
import math
from typing import Any

import click
import numpy as np
import pandas as pd

from aibt.errors import ConfigError
from aibt.strategies.screening import Screen, Top, etf_screen, load_screen, run_screen, stock_screen

#: Default reference for ETF tracking quality: the first and largest ETF on the STAR AI index
#: (950180 levels are not available offline; pass --reference to use another symbol).
DEFAULT_REFERENCE = "588790"


# ----------------------------------------------------------------------------------- data hooks
def _is_code_list(target: str) -> bool:
    tokens = [t.strip() for t in target.split(",") if t.strip()]
    return bool(tokens) and all(t[0].isdigit() for t in tokens)


def resolve_members(target: str) -> tuple[list[str], str, str]:
    """Codes to screen, the universe kind and a caveat about the member list.

    ``target`` is a comma-separated code list (``588790,588760``), a built-in universe name
    (``star-ai``, ``optical``, ``copper``, ``pcb``, ``interconnect``, ``star-ai-etfs`` ...) or a universe file.
    """
    if _is_code_list(target):
        codes = list(dict.fromkeys(t.strip() for t in target.split(",") if t.strip()))
        return codes, ("etfs" if all(c.startswith(("5", "15")) for c in codes) else "basket"), ""
    from aibt.universes import get_universe

    uni = get_universe(target)
    caveat = ""
    if uni.kind == "index":
        caveat = (f"{target}: screening the index's candidate pool ({len(uni.members)} codes), "
                  "not its point-in-time constituents")
    return list(uni.members), uni.kind, caveat


def listing_dates(codes: list[str]) -> dict[str, pd.Timestamp]:
    """Listing dates from the security master for the codes it knows."""
    from aibt.universes import security_master

    master = security_master()
    return {c: master.get(c).listing_date for c in codes if c in master}


def etf_fees(codes: list[str]) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """(management, custody) per ETF from the universes' ETF table, and the codes whose fee is assumed."""
    from aibt.universes.etfs import ETFS

    table = {e.code: e for e in ETFS}
    fees = {c: (table[c].mgmt_fee, table[c].custody_fee) for c in codes if c in table}
    assumed = [c for c in codes if c in table and table[c].fee_status != "reported"]
    return fees, assumed


def load_panel(codes: list[str], as_of=None):
    """Snapshot panel of ``codes`` up to ``as_of`` (nothing later is kept).

    Raises
    ------
    ConfigError
        ``as_of`` before the first or after the last bar of the codes in the snapshot.
    """
    from aibt.data.snapshot import load_snapshot

    panel = load_snapshot(symbols=codes)  # first to last bar of these codes
    if as_of is None:
        return panel
    d = pd.Timestamp(as_of)
    first, last = panel.dates[0], panel.dates[-1]
    if d < first:
        raise ConfigError(f"--date {d.date()} is before the data starts ({first.date()} for these symbols)")
    if d > last:
        raise ConfigError(f"--date {d.date()} is after the last date in the data ({last.date()})")
    return panel.select(end=d)


# ----------------------------------------------------------------------------------- core
def screen_table(target: str, as_of=None, top: int | None = None, config: str | None = None,
                 reference: str = DEFAULT_REFERENCE) -> pd.DataFrame:
    """Build and run the screen the command describes; returns :func:`run_screen`'s table.

    ETF universes get :func:`etf_screen` (fees from the ETF table, ``reference``'s daily returns as
    the tracking benchmark, loaded even when it is not screened); others get :func:`stock_screen`.
    ``config`` (TOML) replaces the built-in screen; ``top`` appends a ``Top(top)`` step.
    """
    codes, kind, caveat = resolve_members(target)
    etfs = kind == "etfs"
    context: dict[str, Any] = {"list_dates": listing_dates(codes)}
    load = list(codes)
    if etfs and reference not in load:
        load.append(reference)
    panel = load_panel(load, as_of)
    caveats = [caveat] if caveat else []
    if etfs:
        context["reference"] = panel.series(reference, dropna=False).rename(reference)
        context["fees"], assumed = etf_fees(codes)
        from aibt.data.snapshot import load_table

        context["fund_shares"] = load_table("fund_shares")  # share_change / scale_change; None offline
        if assumed:
            caveats.append("fee: project default 0.50 % + 0.10 % assumed (not verified) for " + ", ".join(assumed))
    if load != codes:
        panel = panel.select(codes)
    if config:
        screen = load_screen(config)
    elif etfs:
        screen = etf_screen(context["fees"], context["reference"])
    else:
        screen = stock_screen()
    if top is not None:
        screen = Screen((*screen.steps, Top(top)), context=screen.context, name=screen.name)
    table = run_screen(panel, screen, as_of, context)
    table.attrs["universe"] = target
    table.attrs["caveats"] = caveats + list(table.attrs.get("caveats", []))
    if etfs:
        table.attrs["reference"] = reference
    return table


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
    meta = {k: table.attrs.get(k) for k in ("universe", "screen", "steps", "caveats", "reference")
            if table.attrs.get(k) is not None}
    return {"as_of": str(pd.Timestamp(table.attrs["as_of"]).date()), **meta, "rows": rows}


def _fmt(col: str, v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if not isinstance(v, (int, float, np.number)):
        return str(v)
    if col.startswith("avg_amount"):
        return f"{v / 1e6:,.1f}M"
    if col.startswith("listed_sessions"):
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
    cols = [c for c in table.columns if c != "notes" and not c.startswith("rank_")]  # ranks: in --json
    t.add_column("symbol", no_wrap=True)
    for c in cols:
        t.add_column(c, justify="left" if c == "failed" else "right")
    for sym, r in table.iterrows():
        t.add_row(str(sym), *[_fmt(c, r[c]) for c in cols])
    console = Console()
    if not console.is_terminal:  # piped / captured: do not squeeze the table into 80 columns
        console = Console(width=200)
    console.print(t)
    console.print("steps: " + "; ".join(table.attrs.get("steps", [])))
    if table.attrs.get("reference"):
        console.print(f"reference for tracking: {table.attrs['reference']}")
    for c in table.attrs.get("caveats", []):
        console.print(f"note: {c}")
    for sym, n in table["notes"].items():
        if isinstance(n, str) and n:
            console.print(f"{sym}: {n}")


@click.command("screen")
@click.argument("universe_or_etfs")
@click.option("--date", "as_of", default=None, help="As-of date (YYYY-MM-DD); default: last snapshot date.")
@click.option("--top", type=int, default=None, help="Keep the K best by composite score.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fractions, not percents).")
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML screen config ([[steps]] with filter/rank/top), replaces the built-in screen.")
@click.option("--reference", default=DEFAULT_REFERENCE, show_default=True,
              help="ETF screens: symbol whose daily returns define tracking error and correlation.")
def screen(universe_or_etfs: str, as_of: str | None, top: int | None, as_json: bool, config: str | None,
           reference: str) -> None:
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
