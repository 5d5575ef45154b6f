"""``aibt track INDEX --etf CODE [--start D] [--end D] --out DIR [--constituents FILE]``.

Rebuilds the index (only ``star-ai``, the STAR AI index 950180), measures how the ETF follows it
(:func:`aibt.tracking.track_star_ai`) and writes, atomically:

- ``DIR/daily.csv``: ``date,index,etf``, the rebuilt level (base 1000 on 2022-12-30) and the ETF's split-adjusted
  close on the dates used;
- ``DIR/summary.json``: ``correlation``, ``tracking_error_annual``, ``tracking_difference_annual``, ``beta``
  (fractions), ``start``/``end``/``n_days`` (the dates used), the ETF-mode simulation with the gap
  decomposition, and the plain list of departures from the official index.

The folder is checked before any work (empty name, a file, read-only, over-long name). Both files are
first written in full beside their targets; then the old ``summary.json`` is removed, ``daily.csv``
moved in, and ``summary.json`` moved in last. A run killed or out of disk at any point leaves either
the old pair, or a ``daily.csv`` without ``summary.json`` (visibly incomplete), never a new
``daily.csv`` next to an old ``summary.json``.
"""
from __future__ import annotations

import os
from pathlib import Path

import click
import pandas as pd

from aibt.errors import ConfigError, UniverseError

#: INDEX argument -> index code
KNOWN_INDEXES = {"star-ai": "950180"}


def _date(value: str | None, option: str) -> pd.Timestamp | None:
    if value is None:
        return None
    from aibt.files import user_date

    return user_date(value, option)


def write_pair(folder: Path, daily: pd.DataFrame, summary: dict, created=()) -> None:
    """Write ``daily.csv`` and ``summary.json`` so that no mix of old and new can be left behind.

    ``created``: the folders this run created (deepest first); on a failure they are emptied of what
    this run wrote and removed, so a fresh folder is left as if the run never happened.
    """
    from aibt.errors import AibtError, os_error_message
    from aibt.files import remove_if_empty
    from aibt.results.io import csv_text, json_text, write_bytes

    daily_bytes = csv_text(daily, index=True).replace("\r\n", "\n").encode("utf-8")  # as write_csv
    summary_bytes = json_text(summary).replace("\r\n", "\n").encode("utf-8")  # as write_json
    stage = {name: folder / f".{name}.new" for name in ("daily.csv", "summary.json")}
    try:
        write_bytes(daily_bytes, stage["daily.csv"])
        write_bytes(summary_bytes, stage["summary.json"])
        try:
            os.unlink(folder / "summary.json")
        except FileNotFoundError:
            pass
        os.replace(stage["daily.csv"], folder / "daily.csv")
        os.replace(stage["summary.json"], folder / "summary.json")
    except (OSError, AibtError) as exc:
        if created:  # a fresh folder: leave nothing
            for name in ("daily.csv", "summary.json"):
                try:
                    os.unlink(folder / name)
                except OSError:
                    pass
        for p in stage.values():
            try:
                p.unlink()
            except OSError:
                pass
        remove_if_empty(created)
        if isinstance(exc, AibtError):
            raise
        raise ConfigError(f"--out {folder}: {os_error_message(exc)}") from None


def _pct(x: float) -> str:
    return "n/a" if x is None or x != x else f"{100 * x:+.2f}%"


def _echo_store_data(s: dict) -> None:
    """The official-level comparison and the NAV split, when the data had them (nav_tracking)."""
    if s.get("index_levels", "rebuilt") != "rebuilt":
        click.echo(f"  index levels: {s['index_levels']}")
        r = s["reconstruction"]["rebuilt_vs_official"]
        e = s["reconstruction"]["etf_vs_rebuilt"]
        click.echo(f"  reconstruction vs official: correlation {r['correlation']:.4f}, tracking error "
                   f"{_pct(r['tracking_error_annual'])}/yr, difference {_pct(r['tracking_difference_annual'])}/yr "
                   f"(ETF vs rebuilt: tracking error {_pct(e['tracking_error_annual'])}/yr)")
        w = s["reconstruction"].get("weights_vs_official")
        if w and w.get("rebuilt_review"):
            click.echo(f"  official weights {w['date']}: {w['common_members']} of {w['official_members']} members in "
                       f"the rebuilt review of {w['rebuilt_review']}, one-way difference {100 * w['one_way_difference']:.2f}%")
    n = s.get("nav_tracking")
    if n and "error" not in n:
        click.echo(f"  on NAV ({n['nav_source']}): tracking error {_pct(n['nav']['tracking_error_annual'])}/yr, "
                   f"gap {_pct(n['nav']['log_gap_annual'])}/yr")
        click.echo(f"  premium/discount: mean {_pct(n['premium']['mean'])}, range {_pct(n['premium']['min'])} to "
                   f"{_pct(n['premium']['max'])}, last {_pct(n['premium']['last'])}; its changes add "
                   f"{_pct(n['premium_change']['tracking_error_annual'])}/yr tracking error and "
                   f"{_pct(n['premium_change']['log_gap_annual'])}/yr gap (market price: "
                   f"{_pct(n['market']['tracking_error_annual'])}/yr, {_pct(n['market']['log_gap_annual'])}/yr)")
    elif n:
        click.echo(f"  NAV present but not usable: {n['error']}")


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
    from aibt.files import check_input, check_out_dir
    from aibt.strategies.tracking import check_tracking_etf
    from aibt.tracking import track_star_ai

    if index_name not in KNOWN_INDEXES:
        raise UniverseError(f"unknown index {index_name!r}; known: {', '.join(sorted(KNOWN_INDEXES))}")
    lo, hi = _date(start, "--start"), _date(end, "--end")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"--start {lo.date()} is after --end {hi.date()}")
    folder = check_out_dir(out, "--out")
    if constituents_file is not None:
        check_input(constituents_file, "--constituents file", kind="data", error=UniverseError)
    check_tracking_etf(etf)
    daily, summary = track_star_ai(etf, lo, hi, constituents_file)
    from aibt.files import missing_dirs, remove_if_empty

    created = missing_dirs(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from aibt.errors import os_error_message

        remove_if_empty(created)
        raise ConfigError(f"--out {out}: {os_error_message(exc)}") from None
    write_pair(folder, daily, summary, created)

    s = summary
    official = s.get("index_levels", "rebuilt") != "rebuilt"
    click.echo(f"{s['etf']} vs {'official' if official else 'rebuilt'} {s['index']} ({s['constituents']} constituents), "
               f"{s['start']} to {s['end']}, {s['n_days']} days")
    click.echo(f"  correlation {s['correlation']:.4f}   beta {s['beta']:.4f}   tracking error "
               f"{_pct(s['tracking_error_annual'])}/yr   tracking difference {_pct(s['tracking_difference_annual'])}/yr")
    _echo_store_data(s)
    click.echo("  gap by component (log return per year):")
    for row in s["simulation"]["decomposition"]:
        click.echo(f"    {row['component']:<14}{_pct(row['log_annual']):>9}")
    click.echo(f"  wrote {folder / 'daily.csv'} and {folder / 'summary.json'}")
    click.echo(summary["departures"][0])
    for line in summary["departures"][1:]:
        click.echo(f"  {line}")
