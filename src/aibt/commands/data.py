"""``aibt data info|bars|actions``: what the embedded snapshot holds (symbols, ranges, sources, repairs),
its bars as CSV (adjusted or traded) and its corporate-action table.

Thin: :func:`aibt.data.snapshot.snapshot_info` -> a rich table, or JSON with ``--json``.
`aibt data update` fetches fresh data into a local store (:mod:`aibt.data.update`).
"""
from __future__ import annotations

import json

import click

__all__ = ["actions", "bars", "data", "info", "update"]


def info_records() -> dict:
    """The snapshot summary as plain JSON-ready data."""
    from aibt.data.snapshot import data_source, data_window, provenance, snapshot_info

    df = snapshot_info()
    prov = provenance()
    rows = []
    for r in df.itertuples(index=False):
        rows.append({"symbol": r.symbol, "name": r.name, "kind": r.kind, "currency": r.currency,
                     "first": r.first.strftime("%Y-%m-%d"), "last": r.last.strftime("%Y-%m-%d"),
                     "rows": int(r.rows), "sources": [x for x in r.sources.split(",") if x], "repairs": int(r.repairs),
                     "source_flags": int(r.source_flags)})
    return {"data": data_source(), "snapshot_sha256": prov["snapshot_sha256"], "window": data_window(),
            "assumptions": prov["assumptions"], "symbols": rows, "tables": extra_tables()}


def extra_tables() -> dict:
    """The tables ``aibt data update`` added to the data in use: rows, keys and last date of each."""
    from aibt.data.snapshot import EXTRA_TABLES, load_table

    out = {}
    for name in EXTRA_TABLES:
        df = load_table(name)
        if df is None:
            continue
        key = "currency" if name == "fx" else ("index" if name == "index_weights" else "symbol")
        out[name] = {"rows": int(len(df)), key: sorted(set(df[key].astype(str))),
                     "last": df["date"].max().strftime("%Y-%m-%d") if len(df) else None}
    return out


@click.group("data")
@click.pass_context
def data(ctx: click.Context) -> None:
    """The embedded real-data snapshot."""
    obj = ctx.find_root().obj or {}
    if obj.get("data_dir_error") is not None and ctx.invoked_subcommand != "update":
        raise obj["data_dir_error"]


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

    table = Table(title=f"{rec['data']} {rec['snapshot_sha256'][:12]} "
                        f"({rec['window']['start']} .. {rec['window']['end']})")
    for col, just in (("symbol", "left"), ("name", "left"), ("kind", "left"), ("first", "left"),
                      ("last", "left"), ("rows", "right"), ("sources", "left"), ("repairs", "right"),
                      ("flags", "right")):
        table.add_column(col, justify=just)
    for r in rec["symbols"]:
        table.add_row(r["symbol"], r["name"], r["kind"], r["first"], r["last"], str(r["rows"]),
                      ",".join(r["sources"]) or "-", str(r["repairs"]), str(r["source_flags"]))
    console = Console(width=160)
    console.print(table)
    console.print(f"data in use: {rec['data']}")
    fx = rec["assumptions"]["fx"]
    tables = rec["tables"]
    for name, v in tables.items():
        keys = next(val for k, val in v.items() if k not in ("rows", "last"))
        console.print(f"table {name}: {v['rows']} rows, {', '.join(keys)}, to {v['last']}")
    for cur, v in sorted(fx.items()):
        if "fx" in tables and cur in tables["fx"]["currency"]:
            console.print(f"{cur}->CNY: daily history (table fx, yfinance {cur}CNY=X) to {tables['fx']['last']}; "
                          f"the constant {v['cny_per_unit']} only before it starts")
        else:
            console.print(f"assumption: {cur}->CNY = {v['cny_per_unit']} constant ({v['note']})")


def _frame_csv(df) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format=None)


@data.command("bars")
@click.argument("symbol")
@click.option("--start", default=None, help="First date (YYYY-MM-DD), inclusive.")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD), inclusive.")
@click.option("--traded", is_flag=True, help="Traded (unadjusted, on the tick) prices instead of adjusted.")
def bars(symbol: str, start: str | None, end: str | None, traded: bool) -> None:
    """Daily bars of SYMBOL as CSV (adjusted prices; --traded for the exchange's printed prices)."""
    from aibt.files import user_date

    start, end = (None if v is None else user_date(v, what).strftime("%Y-%m-%d")
                  for v, what in ((start, "--start"), (end, "--end")))
    click.echo(_frame_csv(bars_frame(symbol, start, end, traded)), nl=False)


def bars_frame(symbol: str, start=None, end=None, traded: bool = False):
    """The bars the ``bars`` command prints: one row per session with a bar."""
    import numpy as np
    import pandas as pd

    from aibt.data.snapshot import load_snapshot

    p = load_snapshot([symbol], start, end)
    names = ("open", "high", "low", "close")
    cols = {"date": p.dates.strftime("%Y-%m-%d")}
    for n in names:
        cols[n] = p.fields[("traded_" + n) if traded else n][:, 0]
    for n in ("volume", "amount", "adj_factor"):
        cols[n] = p.fields[n][:, 0]
    df = pd.DataFrame(cols)
    return df[np.isfinite(df["close"].to_numpy())].reset_index(drop=True)


@data.command("actions")
@click.argument("symbol")
def actions(symbol: str) -> None:
    """The corporate-action table of SYMBOL as CSV (ex-date, cash, shares, split, factor, evidence)."""
    from aibt.data.snapshot import load_events

    df = load_events([symbol])
    df["ex_date"] = df["ex_date"].dt.strftime("%Y-%m-%d")
    click.echo(_frame_csv(df), nl=False)


@data.command("update")
@click.argument("symbols", nargs=-1)
@click.option("--universe", "universe", default=None, help="Update the members of a universe (e.g. star-ai).")
@click.option("--all", "all_", is_flag=True, help="Every symbol in the store, plus 950180's levels and weights.")
@click.option("--since", default=None, help="Refetch from this date (YYYY-MM-DD); default: the store's last session.")
@click.option("--end", default=None, help="Last date to fetch (YYYY-MM-DD); default today.")
@click.option("--data-dir", "data_dir", default=None, type=click.Path(file_okay=False),
              help="Store folder (default $AIBT_DATA_DIR or the user data directory).")
def update(symbols: tuple[str, ...], universe: str | None, all_: bool, since: str | None, end: str | None,
           data_dir: str | None) -> None:
    """Fetch fresh bars, events, NAVs, official index levels and FX into the local store.

    The store starts as a copy of the embedded snapshot and uses its layout. Only sessions after the
    store's last one are fetched; a rerun without new data changes nothing; an interrupted update
    leaves the store as it was, and the rerun reuses what was already fetched.
    """
    from pathlib import Path

    from aibt.data.cache import Cache
    from aibt.data.store import default_dir, is_store, read_tables
    from aibt.data.update import OFFICIAL_INDICES, Fetcher
    from aibt.data.update import update as run_update
    from aibt.errors import DataError, SourceError
    from aibt.files import user_date

    from aibt.data import snapshot

    # --data-dir here, else `aibt --data-dir DIR data update`, else AIBT_DATA_DIR, else the user data dir
    given = data_dir or (click.get_current_context().find_root().obj or {}).get("data_dir")
    root = Path(given).expanduser() if given else (snapshot._data_dir or default_dir())
    wanted = list(symbols)
    if universe:
        from aibt.universes.registry import get_universe

        wanted += list(get_universe(universe).members)
    if all_:
        tables, _ = read_tables(root if is_store(root) else None)
        wanted += sorted(tables["securities"]["symbol"].tolist()) + list(OFFICIAL_INDICES)
    if not wanted:
        raise DataError("aibt data update: name symbols (e.g. 300308 588790), --universe NAME or --all")
    since_ts = user_date(since, "--since") if since else None
    end_ts = user_date(end, "--end") if end else None
    fetcher = Fetcher(cache=Cache())
    rep = run_update(root, wanted, since=since_ts, end=end_ts, fetcher=fetcher,
                     progress=lambda line: click.echo(line))
    failed = rep.failed
    if failed and len(failed) == len(rep.results) and fetcher.retry.circuit.open_reason:
        first = failed[0].detail
        source = first.split(" failed for")[0].split(" skipped for")[0] if " for " in first else "the source"
        raise SourceError(f"aibt data update: {source} cannot be reached: {fetcher.retry.circuit.open_reason}; "
                          f"nothing was changed in {root}; retry when online")
    for r in failed:
        click.echo(f"{r.symbol}: failed: {r.detail}")
    where = f"{root} (store {rep.store_sha256[:12]})" if is_store(root) else \
        f"{root} (not created: the embedded snapshot {rep.store_sha256[:12]} is in use)"
    click.echo(("wrote " if rep.written else "unchanged: ") + where)
    if failed:
        names = ", ".join(r.symbol for r in failed[:5]) + (" ..." if len(failed) > 5 else "")
        raise SourceError(f"aibt data update: {len(failed)} of {len(rep.results)} symbol(s) failed ({names}); "
                          f"the others were updated in {root}: {failed[0].detail}")
