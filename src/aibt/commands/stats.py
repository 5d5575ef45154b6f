"""``aibt stats`` and ``aibt compare``: statistics of one series, or several side by side.

Thin: parse options -> load prices (embedded snapshot or a CSV) -> call
:func:`aibt.results.stats_report.stats_report` / :func:`~aibt.results.stats_report.compare_reports`
-> print a table (percent for reading) or JSON (fractions, ``--json``). User errors raise
:class:`~aibt.errors.AibtError`; the ``aibt`` group prints them on one line with exit code 2.

A snapshot symbol is read as a pair of arrays (:func:`aibt.data.snapshot.load_closes`) and the report
is computed on arrays, so ``aibt stats SYMBOL`` never imports pandas (about 0.6 s of a 1 s command);
a CSV, ``--start``/``--end`` (the shared date parser) and the reconstructed 950180 index still use it.
"""
from __future__ import annotations

import io
import json
import os

import click

from aibt.errors import ConfigError, DataError
from aibt.results.stats_report import compare_reports, stats_report

__all__ = ["stats", "compare", "load_symbol_prices", "COMMANDS"]


def load_symbol_prices(symbol: str):
    """Adjusted closes of ``symbol`` from the embedded snapshot (or the data folder in use), in its own
    currency (HKD for .HK), as ``(dates, closes)`` arrays (:func:`aibt.data.snapshot.load_closes`).

    Sessions without a bar (before listing, suspensions) are dropped, so returns run close to close
    over the sessions that traded.
    """
    try:
        from aibt.data.snapshot import load_closes
    except ImportError:
        raise DataError(f"cannot look up symbol {symbol!r}: the embedded snapshot is not available in this "
                        "installation; pass the prices as a file with --csv FILE") from None
    dates, closes = load_closes(str(symbol))
    if len(closes) == 0:
        raise DataError(f"symbol {symbol!r} has no prices in the snapshot")
    return dates, closes


#: Names that stand for the reconstructed STAR AI index (no 950180 levels exist offline).
INDEX_ALIASES = ("950180", "star-ai")


def load_index_levels(name: str):
    """The reconstructed STAR AI index (:func:`aibt.loaders.star_ai_index`)."""
    from aibt.loaders import star_ai_index

    s = star_ai_index()
    s.name = "950180 (reconstructed)"
    return s


def _load(item: str) -> tuple[str, object]:
    """A CLI argument -> (display name, prices): a path to an existing or ``.csv`` file, the
    reconstructed STAR AI index for ``950180``/``star-ai``, else a snapshot symbol."""
    if item.lower().endswith(".csv") or os.path.isfile(item):
        from aibt.data.source_files import read_price_series

        return item, read_price_series(item)
    if item.lower() in INDEX_ALIASES:
        s = load_index_levels(item)
        return str(s.name), s
    return item, load_symbol_prices(item)


# --------------------------------------------------------------------------- formatting
def _pct(x, digits: int = 2) -> str:
    return "-" if x is None else f"{x * 100:.{digits}f}%"


def _ratio(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _annual(rep: dict, key: str) -> str:
    """An annualised return, or the GIPS note for a period under a year."""
    if rep.get(key) is None and rep.get("cagr_note"):
        return rep["cagr_note"]
    return _pct(rep.get(key)) if key != "calmar" else _ratio(rep.get(key))


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
    rf = rep.get("risk_free") or 0.0
    by, wy = rep["best_year"], rep["worst_year"]
    ann = rep["annualisation"]
    for label, value in [
        ("total return", _pct(rep["total_return"])),
        ("CAGR", _annual(rep, "cagr")),
        ("volatility (annual)", _pct(rep["volatility_annual"])),
        (f"Sharpe (rf {rf * 100:g}%)", _ratio(rep["sharpe"])),
        ("Sortino", _ratio(rep["sortino"])),
        ("max drawdown", _pct(rep["max_drawdown"])),
        ("Calmar", _annual(rep, "calmar")),
        ("longest drawdown (sessions)", str(rep["longest_drawdown_sessions"])),
        ("average drawdown", _pct(rep["average_drawdown"])),
        ("Ulcer index", _pct(rep["ulcer_index"])),
        ("recovery factor", _ratio(rep["recovery_factor"])),
        ("best month", f"{bm['month']}  {_pct(bm['return'])}"),
        ("worst month", f"{wm['month']}  {_pct(wm['return'])}"),
        ("best year", f"{by['year']}  {_pct(by['return'])}"),
        ("worst year", f"{wy['year']}  {_pct(wy['return'])}"),
        ("win rate (days / months / quarters / years)",
         " / ".join(_pct(rep[k], 1) for k in ("win_rate", "win_rate_month", "win_rate_quarter", "win_rate_year"))),
        ("skew / excess kurtosis", f"{_ratio(rep['skew'])} / {_ratio(rep['kurtosis'])}"),
        ("daily VaR 95% / CVaR 95% (historical)", f"{_pct(rep['var_95'])} / {_pct(rep['cvar_95'])}"),
        ("tail ratio / Omega", f"{_ratio(rep['tail_ratio'])} / {_ratio(rep['omega'])}"),
        ("time in market", _pct(rep["time_in_market"], 1)),
        ("annualisation", f"{ann['periods_per_year']:g} periods/year ({ann['calendar']})"),
    ]:
        head.add_row(label, value)

    trailing = Table(title="trailing returns (to the last date)")
    for k in rep["trailing_returns"]:
        trailing.add_column(k, justify="right")
    trailing.add_row(*[_pct(v) for v in rep["trailing_returns"].values()])

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
    parts = [title, head, trailing]
    if rep.get("benchmark"):
        parts.append(format_benchmark(rep["benchmark"]))
    parts.append(months)
    if rep["profit_probability"]:
        parts.append(prob)
    if rep["drawdowns"]:
        parts.append(dd)
    return _render(*parts)


def format_benchmark(bm: dict) -> str:
    """The benchmark block: relative statistics and the tracking figures over trailing windows."""
    from rich.table import Table

    t = Table(title=f"against {bm['name']}  {bm['start']} .. {bm['end']}  ({bm['periods']} paired returns)",
              show_header=False)
    t.add_column("metric")
    t.add_column("value", justify="right")
    for label, value in [
        ("benchmark total return", _pct(bm["total_return"])),
        ("benchmark CAGR", _pct(bm["cagr"]) if bm["cagr"] is not None else "n/a (< 1 year)"),
        ("alpha (annual)", _pct(bm["alpha"])),
        ("beta", _ratio(bm["beta"])),
        ("correlation / R²", f"{_ratio(bm['correlation'])} / {_ratio(bm['r_squared'])}"),
        ("tracking error (annual)", _pct(bm["tracking_error"])),
        (f"tracking difference ({bm['tracking_difference_basis']})", _pct(bm["tracking_difference"])),
        ("information ratio", _ratio(bm["information_ratio"])),
        ("up / down capture", f"{_ratio(bm['up_capture'])} / {_ratio(bm['down_capture'])}"),
    ]:
        t.add_row(label, value)
    w = Table(title="tracking over trailing windows (daily deviation d = fund return - index return)")
    for c in ("window", "from", "to", "days", "mean |d|", "sd(d) daily", "TE annual", "TD (total)"):
        w.add_column(c, justify="left" if c in ("window", "from", "to") else "right")
    for k, v in bm["tracking_windows"].items():
        w.add_row(k, v["start"], v["end"], str(v["periods"]), _pct(v["mean_abs_daily_deviation"], 3),
                  _pct(v["daily_tracking_error"], 3), _pct(v["annual_tracking_error"]), _pct(v["tracking_difference"]))
    return _render(t, w)


def format_compare(rows: list[dict]) -> str:
    """One column per series, one row per headline statistic."""
    from rich.table import Table

    against = f", against {rows[0]['benchmark']}" if rows and rows[0].get("benchmark") else ""
    t = Table(title=f"comparison over common dates{against}")
    t.add_column("")
    for r in rows:
        t.add_column(r["name"], justify="right")
    spec = [
        ("start", lambda r: r["start"]),
        ("end", lambda r: r["end"]),
        ("total return", lambda r: _pct(r["total_return"])),
        ("CAGR", lambda r: _pct(r["cagr"]) if r["cagr"] is not None else "n/a (< 1 year)"),
        ("volatility (annual)", lambda r: _pct(r["volatility_annual"])),
        ("Sharpe", lambda r: _ratio(r["sharpe"])),
        ("max drawdown", lambda r: _pct(r["max_drawdown"])),
        ("best month", lambda r: f"{r['best_month']['month']} {_pct(r['best_month']['return'])}"),
        ("P(profit), 6M hold", lambda r: _pct(r["profit_probability_6m"], 1)),
        ("periods per year", lambda r: f"{r['periods_per_year']:g}"),
    ]
    if rows and "beta" in rows[0]:
        spec += [("beta", lambda r: _ratio(r["beta"])), ("alpha (annual)", lambda r: _pct(r["alpha"])),
                 ("correlation", lambda r: _ratio(r["correlation"])),
                 ("tracking error", lambda r: _pct(r["tracking_error"])),
                 ("information ratio", lambda r: _ratio(r["information_ratio"]))]
    for label, f in spec:
        t.add_row(label, *[f(r) for r in rows])
    return _render(t)


def _dates(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """--start/--end checked by the shared date parser (offsets dropped, 1990..2100, no numbers)."""
    from aibt.files import user_date

    return tuple(None if v is None else user_date(v, what).strftime("%Y-%m-%d")
                 for v, what in ((start, "--start"), (end, "--end")))


def _dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


# --------------------------------------------------------------------------- commands
def _common_options(f):
    f = click.option("--annualise-short", is_flag=True,
                     help="Annualise returns of a period shorter than a year (GIPS says not to; default off).")(f)
    f = click.option("--benchmark", default=None, metavar="SYMBOL|CSV",
                     help="Benchmark: a snapshot symbol, 950180 (the reconstructed STAR AI index) or a price CSV.")(f)
    f = click.option("--rf", "risk_free", type=float, default=0.0, show_default=True,
                     help="Annual risk-free rate as a fraction (0.015 = 1.5%) for Sharpe, Sortino and alpha.")(f)
    f = click.option("--periods-per-year", type=float, default=None,
                     help="Annualisation factor; default: inferred from the dates' calendar (shown in the output).")(f)
    return f


def _check_ppy(value):
    if value is not None and not (value > 0 and value == value and value != float("inf")):
        raise ConfigError(f"--periods-per-year must be a positive number, got {value:g}")


@click.command("stats")
@click.argument("symbol", required=False)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Price file: columns date and close (or nav).")
@click.option("--start", default=None, help="First date (YYYY-MM-DD), inclusive.")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD), inclusive.")
@_common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fractions, not percents).")
def stats(symbol: str | None, csv_path: str | None, start: str | None, end: str | None,
          periods_per_year: float | None, risk_free: float, benchmark: str | None, annualise_short: bool,
          as_json: bool) -> None:
    """Statistics of SYMBOL (from the embedded snapshot) or of a price CSV (--csv FILE)."""
    if (symbol is None) == (csv_path is None):
        raise ConfigError("give either a SYMBOL or --csv FILE (exactly one)")
    _check_ppy(periods_per_year)
    start, end = _dates(start, end)
    if csv_path:
        from aibt.data.source_files import read_price_series

        name, prices = csv_path, read_price_series(csv_path)
    else:
        name, prices = _load(symbol)
    bname, bprices = _load(benchmark) if benchmark else (None, None)
    rep = stats_report(prices, start=start, end=end, source=name, periods_per_year=periods_per_year,
                       risk_free=risk_free, benchmark=bprices, benchmark_name=bname,
                       annualise_short=annualise_short)
    click.echo(_dump(rep) if as_json else format_stats(rep))


@click.command("compare")
@click.argument("items", nargs=-1, required=False)
@click.option("--study", "study_file", default=None, metavar="FILE",
              help="Compare the strategies of a TOML study file (see examples/) instead of ITEMS.")
@click.option("--out", "out", default=None, metavar="DIR",
              help="With --study: write tables/, plots/ and report.html here (default: print the table only).")
@click.option("--sweep", "sweep_name", default=None, metavar="NAME",
              help="With --study: sweep the [strategy.sweep] grid of the python strategy NAME (summary mode, "
                   "chunked, resumable) into --out.")
@click.option("--scheduler", default="local", show_default=True,
              help="With --sweep: 'local', 'dask' (a LocalCluster) or a Dask scheduler address.")
@click.option("--workers", type=int, default=2, show_default=True, help="With --sweep --scheduler dask: workers.")
@click.option("--chunk-size", type=int, default=None, help="With --sweep: combinations per chunk (default 100).")
@click.option("--start", default=None, help="First date (YYYY-MM-DD), inclusive.")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD), inclusive.")
@_common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fractions, not percents).")
def compare(items: tuple[str, ...], study_file: str | None, out: str | None, sweep_name: str | None,
            scheduler: str, workers: int, chunk_size: int | None, start: str | None, end: str | None,
            periods_per_year: float | None, risk_free: float, benchmark: str | None, annualise_short: bool,
            as_json: bool) -> None:
    """Compare symbols and/or price CSV files (ITEMS ending in .csv) side by side over common dates,
    or the strategies of a study file (--study FILE) on the same data, rules and costs."""
    if study_file is not None:
        if items:
            raise ConfigError("give either ITEMS or --study FILE, not both")
        from aibt.commands.compare_study import run_compare_study, run_study_sweep

        if sweep_name is not None:
            run_study_sweep(study_file, sweep_name, out, scheduler=scheduler, workers=workers,
                            chunk_size=chunk_size, as_json=as_json, echo=click.echo)
        else:
            run_compare_study(study_file, out, as_json=as_json, echo=click.echo)
        return
    if not items:
        raise ConfigError("give symbols or CSV files to compare, or --study FILE")
    if out is not None or sweep_name is not None:
        raise ConfigError("--out and --sweep go with --study FILE")
    if len(set(items)) != len(items):
        dup = next(i for i in items if items.count(i) > 1)
        raise ConfigError(f"{dup!r} is given twice")
    _check_ppy(periods_per_year)
    start, end = _dates(start, end)
    series = dict(_load(i) for i in items)
    bname, bprices = _load(benchmark) if benchmark else (None, None)
    rows = compare_reports(series, start=start, end=end, periods_per_year=periods_per_year, risk_free=risk_free,
                           benchmark=bprices, benchmark_name=bname, annualise_short=annualise_short)
    click.echo(_dump({"series": rows}) if as_json else format_compare(rows))


#: Commands for the lead to register on the ``aibt`` group.
COMMANDS = (stats, compare)
