"""``aibt compare --study FILE [--out DIR]`` and ``--sweep NAME``: strategy comparison from a study file.

Thin: read the study (:func:`aibt.strategies.study_file.load_study`), load its data
(:func:`aibt.api.study_inputs`: the embedded snapshot or ``--data-dir``), run it
(:func:`aibt.results.comparison.run_comparison`), print the table and, with ``--out``, write the
table (CSV + Markdown), the equity and drawdown plots, ``report.html`` and ``manifest.json``.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Callable

import pandas as pd

from aibt.errors import ConfigError

SHOW = ("strategy", "total_return", "cagr", "volatility_annual", "sharpe", "max_drawdown", "beta", "alpha",
        "total_costs", "n_refused")


def _num(x):
    if x is None or x is pd.NA:
        return None
    if hasattr(x, "item"):
        x = x.item()
    return None if isinstance(x, float) and not math.isfinite(x) else x


def format_table(table) -> str:
    from aibt.results.comparison import display_table

    cols = [c for c in SHOW if c in table.columns]
    shown = display_table(table[cols])
    for c in ("sharpe", "beta"):
        if c in shown.columns:
            shown[c] = shown[c].map(lambda v: "" if v is None or v != v else f"{v:.2f}")
    if "total_costs" in shown.columns:
        shown["total_costs"] = shown["total_costs"].map(lambda v: "" if v is None or v != v else f"{v:,.0f}")
    if "n_refused" in shown.columns:
        shown["n_refused"] = shown["n_refused"].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
    return shown.to_string(index=False)


def write_outputs(comp, out: Path, command: list[str]) -> Path:
    """Tables, plots, report and manifest of a comparison in ``out``; returns the report path."""
    from aibt.data.snapshot import snapshot_hash
    from aibt.results.comparison import comparison_section, write_comparison
    from aibt.results.manifest import build_manifest, hash_outputs, write_manifest
    from aibt.results.report import render_report
    from aibt.study import invalidate_study

    invalidate_study(out)
    paths = write_comparison(comp, out)
    from aibt.strategies.study_file import winner_sentence

    section = comparison_section(comp, images={"equity": paths["equity"], "drawdown": paths["drawdown"]},
                                 paragraphs=(winner_sentence(comp.table, *_leaders(comp.table)),))
    config = {"study": comp.study.title, "start": comp.study.start, "end": comp.study.end,
              "rules": comp.study.rules, "costs": dict(comp.study.costs),
              "strategies": [{"name": s.name, "kind": s.kind} for s in comp.study.strategies]}
    manifest = build_manifest(config, snapshot_hash(), command, hash_outputs(list(paths.values()), out))
    write_manifest(out, manifest)
    return render_report([section], manifest, out / "report.html", title=comp.study.title)


def _leaders(table) -> tuple[str, str | None]:
    rows = table[table["kind"] != "benchmark"].sort_values("total_return", ascending=False, kind="mergesort")
    names = list(rows["strategy"])
    return names[0], (names[1] if len(names) > 1 else None)


def run_compare_study(path: str, out: str | None, *, as_json: bool = False,
                      echo: Callable[[str], None] = print) -> None:
    from aibt.api import compare
    from aibt.files import check_out_dir

    if out is not None:
        check_out_dir(out, "--out")
    comp = compare(path)
    if as_json:
        rows = [{k: _num(v) for k, v in r.items()} for r in comp.table.to_dict(orient="records")]
        echo(json.dumps({"title": comp.study.title, "strategies": rows}, indent=2, ensure_ascii=False))
    else:
        from aibt.strategies.study_file import winner_sentence

        echo(comp.study.title)
        echo(format_table(comp.table))
        echo(winner_sentence(comp.table, *_leaders(comp.table)))
    if out is not None:
        report = write_outputs(comp, Path(out), list(sys.argv))
        if not as_json:
            echo(f"wrote {Path(out) / 'tables' / 'compare.csv'}, plots and {report}")


def run_study_sweep(path: str, name: str, out: str | None, *, scheduler: str = "local", workers: int = 2,
                    chunk_size: int | None = None, as_json: bool = False,
                    echo: Callable[[str], None] = print) -> None:
    from aibt.api import study_inputs
    from aibt.files import check_out_dir
    from aibt.strategies.study_file import load_study
    from aibt.strategies.study_sweep import user_sweep
    from aibt.strategies.sweep_runner import run_chunked_sweep

    if chunk_size is not None and chunk_size < 1:
        raise ConfigError(f"--chunk-size must be >= 1, got {chunk_size}")
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    job = user_sweep(path, name, out=out, chunk_size=chunk_size)
    job.check_size()
    check_out_dir(job.out, "--out")
    panel = study_inputs(load_study(path))["panel"]
    res = run_chunked_sweep(job, job.out, panel=panel, scheduler=scheduler, n_workers=workers)
    table = res.table
    best = table.sort_values("sharpe", ascending=False, kind="mergesort", na_position="last").head(10)
    cols = list(job.grid.names) + [c for c in ("total_return", "cagr", "sharpe", "max_drawdown", "turnover_annual")
                                   if c in table.columns]
    if as_json:
        echo(json.dumps({"out": str(res.out), "work_hash": res.plan.work_hash, "n_combinations": res.plan.n_combinations,
                         "n_chunks": res.plan.n_chunks, "chunks_run": len(res.ran), "chunks_skipped": len(res.skipped),
                         "best": [{"combo": int(i), **{c: _num(v) for c, v in row.items()}}
                                  for i, row in best[cols].iterrows()]}, indent=2, ensure_ascii=False))
        return
    echo(f"sweep of {name!r} {res.plan.work_hash}: {res.plan.n_combinations} combinations in {res.plan.n_chunks} "
         f"chunks ({len(res.ran)} run, {len(res.skipped)} already done)")
    echo(f"summary: {res.out / 'summary.parquet'}")
    echo(best[cols].to_string(float_format=lambda x: f"{x:.4f}"))
