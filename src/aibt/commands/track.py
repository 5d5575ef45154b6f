"""``aibt track INDEX --etf CODE [--start D] [--end D] --out DIR [--constituents FILE]``.

Rebuilds the index (only ``star-ai``, the STAR AI index 950180), measures how the ETF follows it
(:func:`aibt.strategies.tracking.track_star_ai`) and writes, atomically:

- ``DIR/daily.csv``: ``date,index,etf``, the rebuilt level (base 1000 on 2022-12-30) and the ETF's split-adjusted
  close on the dates used;
- ``DIR/summary.json``: ``correlation``, ``tracking_error_annual``, ``tracking_difference_annual``, ``beta``
  (fractions), ``start``/``end``/``n_days`` (the dates used), the ETF-mode simulation with the gap
  decomposition, and the plain list of departures from the official index.
"""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from aibt.errors import ConfigError, UniverseError

#: INDEX argument -> index code
KNOWN_INDEXES = {"star-ai": "950180"}


def _date(value: str | None, option: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date (use YYYY-MM-DD)") from None


def _pct(x: float) -> str:
    return "n/a" if x is None or x != x else f"{100 * x:+.2f}%"


@click.command("track")
@click.argument("index_name", metavar="INDEX")
@click.option("--etf", required=True, help="ETF code tracking the index, e.g. 588790.")
@click.option("--start", default=None, help="First date (YYYY-MM-DD); default: the ETF's first bar.")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD); default: the ETF's last bar.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option("--constituents", "constituents_file", default=None, type=click.Path(dir_okay=False),
              help="Your own constituent file (CSV effective_date,code,weight), e.g. the official lists.")
def track(index_name: str, etf: str, start: str | None, end: str | None, out: str,
          constituents_file: str | None) -> None:
    """Rebuild INDEX (star-ai) and measure how an ETF tracks it: DIR/daily.csv and DIR/summary.json."""
    from aibt.results.io import write_csv, write_json
    from aibt.strategies.tracking import check_tracking_etf, track_star_ai

    if index_name not in KNOWN_INDEXES:
        raise UniverseError(f"unknown index {index_name!r}; known: {', '.join(sorted(KNOWN_INDEXES))}")
    lo, hi = _date(start, "--start"), _date(end, "--end")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"--start {lo.date()} is after --end {hi.date()}")
    check_tracking_etf(etf)
    daily, summary = track_star_ai(etf, lo, hi, constituents_file)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {out} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(daily, folder / "daily.csv", index=True)
    write_json(summary, folder / "summary.json")

    s = summary
    click.echo(f"{s['etf']} vs rebuilt {s['index']} ({s['constituents']} constituents), {s['start']} to {s['end']}, "
               f"{s['n_days']} days")
    click.echo(f"  correlation {s['correlation']:.4f}   beta {s['beta']:.4f}   tracking error "
               f"{_pct(s['tracking_error_annual'])}/yr   tracking difference {_pct(s['tracking_difference_annual'])}/yr")
    click.echo("  gap by component (log return per year):")
    for row in s["simulation"]["decomposition"]:
        click.echo(f"    {row['component']:<14}{_pct(row['log_annual']):>9}")
    click.echo(f"  wrote {folder / 'daily.csv'} and {folder / 'summary.json'}")
    click.echo(summary["departures"][0])
    for line in summary["departures"][1:]:
        click.echo(f"  {line}")
