"""``aibt stats`` and ``aibt compare``: statistics of one series, or several side by side.

Thin: parse options -> load prices (embedded snapshot or a CSV) -> call
:func:`aibt.results.stats_report.stats_report` / :func:`~aibt.results.stats_report.compare_reports`
-> print a table (percent for reading) or JSON (fractions, ``--json``). User errors raise
:class:`~aibt.errors.AibtError`; the ``aibt`` group prints them on one line with exit code 2.
"""
from __future__ import annotations

import io
import json
import os

import click
import pandas as pd

from aibt.errors import ConfigError, DataError
from aibt.results.stats_report import compare_reports, read_price_csv, stats_report

__all__ = ["stats", "compare", "load_symbol_prices", "COMMANDS"]


def load_symbol_prices(symbol: str) -> pd.Series:
    """Adjusted closes of ``symbol`` from the embedded snapshot, in its own currency (HKD for .HK).

    Sessions without a bar (before listing, suspensions) are dropped, so returns run close to close
    over the sessions that traded.
    """
    try:
        from aibt.data.snapshot import load_snapshot
    except ImportError:
        raise DataError(f"cannot look up symbol {symbol!r}: the embedded snapshot is not available in this "
                        "installation; pass the prices as a file with --csv FILE") from None
    panel = load_snapshot(str(symbol))
    s = panel.series(str(symbol), "close")
    if s.empty:
        raise DataError(f"symbol {symbol!r} has no prices in the snapshot")
    s.name = str(symbol)
    return s


def _load(item: str) -> tuple[str, pd.Series]:
    """A CLI argument -> (display name, prices): a path to an existing or ``.csv`` file, else a symbol."""
    if item.lower().endswith(".csv") or os.path.isfile(item):
        return item, read_price_csv(item)
    return item, load_symbol_prices(item)


# --------------------------------------------------------------------------- formatting
def _pct(x, digits: int = 2) -> str:
    return "-" if x is None else f"{x * 100:.{digits}f}%"


def _ratio(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _render(*renderables) -> str:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=132, color_system=None, highlight=False)
    for r in renderables:
        console.print(r)
    return buf.getvalue()


def format_stats(rep: dict) -> str:
    """Human-readable tables of a :func:`stats_report` dict (percentages, 2 decimals)."""
    from rich.table import Table

    title = f"{rep['source']}  {rep['start']} .. {rep['end']}  ({rep['sessions']} sessions)"
    head = Table(show_header=False)
    head.add_column("metric")
    head.add_column("value", justify="right")
    bm, wm = rep["best_month"], rep["worst_month"]
    for label, value in [
        ("total return", _pct(rep["total_return"])),
        ("CAGR", _pct(rep["cagr"])),
        ("volatility (annual)", _pct(rep["volatility_annual"])),
        ("Sharpe (rf 0)", _ratio(rep["sharpe"])),
        ("Sortino", _ratio(rep["sortino"])),
        ("max drawdown", _pct(rep["max_drawdown"])),
        ("Calmar", _ratio(rep["calmar"])),
        ("best month", f"{bm['month']}  {_pct(bm['return'])}"),
        ("worst month", f"{wm['month']}  {_pct(wm['return'])}"),
        ("win rate (days)", _pct(rep["win_rate"], 1)),
        ("sessions per year", f"{rep['periods_per_year']:g}"),
    ]:
        head.add_row(label, value)

    months = Table(title="monthly returns")
    months.add_column("year")
    for m in range(1, 13):
        months.add_column(f"{m:02d}", justify="right")
    months.add_column("total", justify="right")
    years = sorted({k[:4] for k in rep["monthly_returns"]})
    for y in years:
        cells = [_pct(rep["monthly_returns"].get(f"{y}-{m:02d}"), 1) if f"{y}-{m:02d}" in rep["monthly_returns"]
                 else "" for m in range(1, 13)]
        months.add_row(y, *cells, _pct(rep["yearly_returns"].get(y), 1))

    prob = Table(title="profit probability (buy any session, hold N calendar months)")
    for c in ("hold", "P(profit)", "windows", "min", "median", "max", "first window", "last window"):
        prob.add_column(c, justify="right" if c not in ("hold", "first window", "last window") else "left")
    for k, v in rep["profit_probability"].items():
        fw, lw = v["first_window"], v["last_window"]
        prob.add_row(k, _pct(v["probability"], 1), str(v["windows"]), _pct(v["min"], 1), _pct(v["median"], 1),
                     _pct(v["max"], 1), f"{fw['start']} -> {fw['end']}", f"{lw['start']} -> {lw['end']}")

    dd = Table(title="deepest drawdowns")
    for c in ("peak", "trough", "recovery", "depth", "peak->trough", "peak->recovery"):
        dd.add_column(c, justify="right" if c in ("depth", "peak->trough", "peak->recovery") else "left")
    for d in rep["drawdowns"]:
        rec = d["sessions_peak_to_recovery"]
        dd.add_row(d["peak"], d["trough"], d["recovery"], _pct(d["depth"]), str(d["sessions_peak_to_trough"]),
                   "-" if rec is None else str(rec))
    parts = [title, head, months]
    if rep["profit_probability"]:
        parts.append(prob)
    if rep["drawdowns"]:
        parts.append(dd)
    return _render(*parts)


def format_compare(rows: list[dict]) -> str:
    """One column per series, one row per headline statistic."""
    from rich.table import Table

    t = Table(title="comparison over common dates")
    t.add_column("")
    for r in rows:
        t.add_column(r["name"], justify="right")
    spec = [
        ("start", lambda r: r["start"]),
        ("end", lambda r: r["end"]),
        ("total return", lambda r: _pct(r["total_return"])),
        ("CAGR", lambda r: _pct(r["cagr"])),
        ("volatility (annual)", lambda r: _pct(r["volatility_annual"])),
        ("Sharpe (rf 0)", lambda r: _ratio(r["sharpe"])),
        ("max drawdown", lambda r: _pct(r["max_drawdown"])),
        ("best month", lambda r: f"{r['best_month']['month']} {_pct(r['best_month']['return'])}"),
        ("P(profit), 6M hold", lambda r: _pct(r["profit_probability_6m"], 1)),
    ]
    for label, f in spec:
        t.add_row(label, *[f(r) for r in rows])
    return _render(t)


def _dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


# --------------------------------------------------------------------------- commands
@click.command("stats")
@click.argument("symbol", required=False)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Price file: columns date and close (or nav).")
@click.option("--start", default=None, help="First date (YYYY-MM-DD), inclusive.")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD), inclusive.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fractions, not percents).")
def stats(symbol: str | None, csv_path: str | None, start: str | None, end: str | None, as_json: bool) -> None:
    """Statistics of SYMBOL (from the embedded snapshot) or of a price CSV (--csv FILE)."""
    if (symbol is None) == (csv_path is None):
        raise ConfigError("give either a SYMBOL or --csv FILE (exactly one)")
    name, prices = (csv_path, read_price_csv(csv_path)) if csv_path else (symbol, load_symbol_prices(symbol))
    rep = stats_report(prices, start=start, end=end, source=name)
    click.echo(_dump(rep) if as_json else format_stats(rep))


@click.command("compare")
@click.argument("items", nargs=-1, required=True)
@click.option("--start", default=None, help="First date (YYYY-MM-DD), inclusive.")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD), inclusive.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fractions, not percents).")
def compare(items: tuple[str, ...], start: str | None, end: str | None, as_json: bool) -> None:
    """Compare symbols and/or price CSV files (ITEMS ending in .csv) side by side over common dates."""
    if len(set(items)) != len(items):
        dup = next(i for i in items if items.count(i) > 1)
        raise ConfigError(f"{dup!r} is given twice")
    series = dict(_load(i) for i in items)
    rows = compare_reports(series, start=start, end=end)
    click.echo(_dump({"series": rows}) if as_json else format_compare(rows))


#: Commands for the lead to register on the ``aibt`` group.
COMMANDS = (stats, compare)
