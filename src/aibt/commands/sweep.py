"""``aibt sweep CONFIG [--scheduler local|dask|ADDRESS]``: a resumable, chunked rotation sweep.

Thin: read the TOML config (:func:`aibt.strategies.sweep_config.load_config`), load its symbols
(:func:`load_sweep_panel`: the embedded snapshot or ``--data-dir``), call
:func:`aibt.strategies.sweep_runner.run_chunked_sweep`, print what ran and the best combinations
(or JSON with ``--json``). Rerunning the same command resumes: finished chunks are skipped.
"""
from __future__ import annotations

import json
import math

import click

from aibt.errors import ConfigError

SHOW_COLUMNS = ("lookback", "top_k", "period", "weighting", "trend_window", "total_return", "cagr", "sharpe",
                "max_drawdown", "turnover_annual")


def load_sweep_panel(cfg):
    """The Panel a rotation sweep runs on: its universe's symbols from the data in use (the embedded
    snapshot or ``--data-dir``) up to ``[dates] end``, checked against the data's dates first."""
    from aibt.data.snapshot import load_snapshot
    from aibt.strategies.sweep_runner import sweep_symbols

    codes, _ = sweep_symbols(cfg)
    check_dates_against_data(cfg, codes)
    return load_snapshot(codes, end=cfg.end)


def check_dates_against_data(cfg, codes: list[str]) -> None:
    """Name the real problem when ``[dates]`` miss the data: an end before every listing, a start
    after the last bar (instead of "start after end" about a date the user never wrote)."""
    import pandas as pd

    from aibt.data.snapshot import snapshot_info

    info = snapshot_info().set_index("symbol")
    known = [c for c in codes if c in info.index]
    if not known:
        return  # unknown codes: load_snapshot names them
    first = info.loc[known, "first"]
    last = info.loc[known, "last"]
    if cfg.end is not None and pd.Timestamp(cfg.end) < first.min():
        code = first.idxmin()
        raise ConfigError(f"[dates] end {cfg.end} is before the first bar of every symbol (the earliest, "
                          f"{code}, starts {first.min().date()}, at its listing or the snapshot's start); "
                          "choose a later end")
    if cfg.start is not None and pd.Timestamp(cfg.start) > last.max():
        raise ConfigError(f"[dates] start {cfg.start} is after the last bar of the data ({last.max().date()}); "
                          "choose an earlier start")


def _num(x):
    return None if isinstance(x, float) and not math.isfinite(x) else x


@click.command("sweep")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--scheduler", default="local", show_default=True,
              help="'local' (in-process), 'dask' (a LocalCluster on this machine) or a Dask scheduler "
                   "address such as tcp://10.0.0.5:8786.")
@click.option("--workers", type=int, default=2, show_default=True, help="Worker processes for --scheduler dask.")
@click.option("--out", "out", default=None, help="Output folder (default: [run] out of the config).")
@click.option("--chunk-size", type=int, default=None, help="Combinations per chunk (default: [run] chunk_size).")
@click.option("--max-combinations", type=int, default=None,
              help="Allow grids up to this many combinations (default: [run] max_combinations, 1000000).")
@click.option("--top", type=int, default=10, show_default=True, help="Best combinations to show, by Sharpe.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (fractions, not percents).")
def sweep(config: str, scheduler: str, workers: int, out: str | None, chunk_size: int | None,
          max_combinations: int | None, top: int, as_json: bool) -> None:
    """Run or resume the rotation sweep described by the TOML file CONFIG."""
    from dataclasses import replace

    from aibt.strategies.sweep_config import load_config
    from aibt.strategies.sweep_runner import run_chunked_sweep

    cfg = load_config(config)
    if chunk_size is not None:
        if chunk_size < 1:
            raise ConfigError(f"--chunk-size must be >= 1, got {chunk_size}")
        cfg = replace(cfg, chunk_size=chunk_size)
    if max_combinations is not None:
        if max_combinations < 1:
            raise ConfigError(f"--max-combinations must be >= 1, got {max_combinations}")
        cfg = replace(cfg, max_combinations=max_combinations)
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aibt.strategies.sweep_runner import plan_for

    from aibt.files import check_out_dir

    total = plan_for(cfg).n_chunks  # refuses an oversized grid before anything is loaded
    check_out_dir(out if out is not None else cfg.out, "--out" if out is not None else "[run] out")
    with Progress(TextColumn("sweep chunks"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  disable=as_json, transient=True) as bar:
        task = bar.add_task("chunks", total=total)
        res = run_chunked_sweep(cfg, out, panel=load_sweep_panel(cfg), scheduler=scheduler, n_workers=workers,
                                on_chunk=lambda k: bar.advance(task, k))
    table = res.table
    best = table.sort_values("sharpe", ascending=False, kind="mergesort", na_position="last").head(max(top, 0))
    cols = [c for c in SHOW_COLUMNS if c in table.columns]
    if as_json:
        doc = {"out": str(res.out), "work_hash": res.plan.work_hash, "n_combinations": res.plan.n_combinations,
               "n_chunks": res.plan.n_chunks, "chunks_run": len(res.ran), "chunks_skipped": len(res.skipped),
               "seconds": round(res.seconds, 3),
               "best": [{"combo": int(i), **{c: _num(v.item() if hasattr(v, "item") else v) for c, v in row.items()}}
                        for i, row in best[cols].iterrows()]}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    click.echo(f"sweep {res.plan.work_hash}: {res.plan.n_combinations} combinations in {res.plan.n_chunks} chunks "
               f"({len(res.ran)} run, {len(res.skipped)} already done) in {res.seconds:.1f} s")
    click.echo(f"summary: {res.out / 'summary.parquet'}")
    if len(best):
        click.echo(f"best {len(best)} by Sharpe:")
        click.echo(best[cols].to_string(float_format=lambda x: f"{x:.4f}"))
