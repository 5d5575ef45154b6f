"""The default study (`aibt run`): tracking of the STAR AI ETFs, the basket rotation sweep with
walk-forward, the screens as of the last date, and the report with its manifest.

Each step is a function returning labelled tables and series; :func:`run_study` writes them all
(CSV + Markdown tables, PNG plots, one HTML report, a manifest) into one folder, atomically per file
and byte-identically on a rerun with the same inputs.
"""
from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from aibt.errors import ConfigError


@dataclass(frozen=True)
class StudyConfig:
    """Everything the default study depends on (recorded in the manifest)."""

    etf: str = "588790"
    rotation_start: str = "2020-01-02"
    grid: dict = field(default_factory=lambda: {
        "lookbacks": [20, 40, 60, 120, 250],
        "top_k": [1, 2, 3],
        "periods": [5, 10, 21, 63],
        "weightings": ["equal", "inv_vol"],
        "trend_windows": [0, 60, 120],
    })
    init_cash: float = 10_000_000.0
    commission: float = 0.00025
    min_commission: float = 5.0
    slippage_bps: float = 5.0
    fill_price: str = "open"
    walk_forward_train: int = 500
    walk_forward_test: int = 125
    walk_forward_metric: str = "sharpe"
    sweep_heatmap: tuple = ("lookback", "period", "sharpe")
    benchmarks: tuple = ("000688", "000300")
    top_sweep_rows: int = 20


# ----------------------------------------------------------------------------- steps
def tracking_step(cfg: StudyConfig) -> dict:
    """Reconstructed STAR AI index, the ETF peer table and the ETF-mode simulation of ``cfg.etf``."""
    from aibt.strategies import star_ai_index, tracking

    constituents = star_ai_index.star_ai_constituents()
    index_level = star_ai_index.star_ai_index(constituents=constituents)
    peers = tracking.etf_peer_table(None, index_level)
    sim = tracking.simulate_tracking_etf(cfg.etf, constituents=constituents, index_level=index_level)
    return {"constituents": constituents, "index": index_level, "peers": peers, "etf_sim": sim}


def rotation_step(cfg: StudyConfig, index_level: pd.Series, constituents: pd.DataFrame) -> dict:
    """The sleeves (optical, copper, PCB, STAR AI), the full sweep and the walk-forward."""
    from aibt.data.snapshot import load_snapshot
    from aibt.strategies.index_reconstruction import weights_matrix
    from aibt.strategies.rotation import ParamGrid, build_sleeves, prepare, run_sweep, walk_forward
    from aibt.universes import BASKETS, compile_rules

    baskets = {k: list(v) for k, v in BASKETS.items()}
    codes = sorted({c for m in baskets.values() for c in m} | set(constituents["code"]))
    panel = load_snapshot(codes, start=cfg.rotation_start)
    star_w = weights_matrix(constituents, panel.dates, list(panel.symbols))
    star_level = index_level.reindex(panel.dates)
    sleeves = build_sleeves(panel, baskets, {"star-ai": (star_level, star_w)})
    grid = ParamGrid.from_dict(cfg.grid)
    rules = compile_rules(panel.dates, panel.symbols)
    setup = prepare(panel, sleeves, grid, rules, price=cfg.fill_price, commission=cfg.commission,
                    min_commission=cfg.min_commission, slippage_bps=cfg.slippage_bps, init_cash=cfg.init_cash)
    sweep, _ = run_sweep(setup)
    ranked = sweep.sort_values([cfg.walk_forward_metric, "total_return"], ascending=False, kind="mergesort")
    best = int(ranked.index[0])
    _, best_eq = run_sweep(setup, combos=(best, best + 1), keep_equity=True)
    folds, oos = walk_forward(setup, cfg.walk_forward_train, cfg.walk_forward_test, metric=cfg.walk_forward_metric)
    return {"sweep": sweep, "ranked": ranked, "best": best, "best_equity": best_eq[best].rename("rotation_best_in_sample"),
            "walk_forward": folds, "oos": oos, "sleeves": sleeves.prices}


def screens_step() -> dict:
    """Stock screen of the STAR AI candidates and baskets, ETF screen of the STAR AI ETFs, last date."""
    from aibt.commands.screen import screen_table

    return {"stocks": screen_table("star-ai"), "baskets": screen_table("interconnect"),
            "etfs": screen_table("star-ai-etfs")}


# ----------------------------------------------------------------------------- tables
def sweep_overview(sweep: pd.DataFrame) -> pd.DataFrame:
    """Distribution of the sweep's headline metrics over all combinations."""
    cols = ["total_return", "cagr", "sharpe", "max_drawdown", "turnover_annual", "total_costs"]
    q = sweep[cols].quantile([0.0, 0.1, 0.5, 0.9, 1.0])
    q.index = ["min", "p10", "median", "p90", "max"]
    return q.rename_axis("statistic").reset_index()


def performance_table(series: dict[str, pd.Series]) -> pd.DataFrame:
    from aibt.results.stats_report import compare_reports

    rows = []
    for row in compare_reports(series):
        flat = {}
        for k, v in row.items():
            if isinstance(v, dict):  # best_month {"month", "return"} -> best_month, best_month_return
                flat[k] = v.get("month")
                flat.update({f"{k}_{kk}": vv for kk, vv in v.items() if kk != "month"})
            else:
                flat[k] = v
        rows.append(flat)
    return pd.DataFrame(rows)


def profit_probability_table(prices: pd.Series, months=(1, 3, 6, 12)) -> pd.DataFrame:
    """Holding-period profit probabilities with their windows made explicit (first and last window)."""
    from aibt.results.tables import profit_probability

    rows = []
    for m in months:
        pp = profit_probability(prices, months=m)
        if not pp.get("windows"):
            continue  # the history is shorter than the holding period
        row = {"period": f"{m}M"}
        for k, v in pp.items():
            if isinstance(v, dict):
                row.update({f"{k}_{kk}": vv for kk, vv in v.items()})
            elif k != "period":
                row[k] = v
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- run
def _progress(enabled: bool):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), disable=not enabled, transient=False)


def run_study(out_dir: str | Path, cfg: StudyConfig | None = None, *, progress: bool = True,
              command: list[str] | None = None, echo: Callable[[str], None] | None = None) -> Path:
    """Run the default study and write its outputs into ``out_dir``; returns the report path."""
    from aibt.data.snapshot import load_snapshot, snapshot_hash
    from aibt.results import io, plots
    from aibt.results.manifest import build_manifest, hash_outputs, write_manifest
    from aibt.results.report import Section, render_report
    from aibt.results.tables import drawdown_table, monthly_returns_table

    cfg = cfg or StudyConfig()
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def table(df: pd.DataFrame, name: str, index: bool = False) -> pd.DataFrame:
        written.append(io.write_csv(df, out / "tables" / f"{name}.csv", index=index))
        written.append(io.write_markdown(df, out / "tables" / f"{name}.md", index=index))
        return df

    def plot(fn, name: str, *args, **kwargs) -> Path:
        p = fn(*args, out / "plots" / f"{name}.png", **kwargs) if args else fn(out / "plots" / f"{name}.png", **kwargs)
        written.append(Path(p))
        return Path(p)

    steps = ["tracking", "rotation sweep + walk-forward", "screens", "tables and plots", "report"]
    with _progress(progress) as bar:
        task = bar.add_task("default study", total=len(steps))

        bar.update(task, description="tracking: STAR AI index and its ETFs")
        trk = tracking_step(cfg)
        bar.advance(task)

        bar.update(task, description="rotation: sweep and walk-forward")
        rot = rotation_step(cfg, trk["index"], trk["constituents"])
        bar.advance(task)

        bar.update(task, description="screens as of the last date")
        scr = screens_step()
        bar.advance(task)

        bar.update(task, description="tables and plots")
        etf_close = load_snapshot([cfg.etf]).series(cfg.etf)
        bench = load_snapshot(list(cfg.benchmarks))
        series = {f"{cfg.etf} ETF": etf_close, "STAR AI (reconstructed)": trk["index"]}
        for b in cfg.benchmarks:
            series[b] = bench.series(b)
        perf = table(performance_table(series), "performance_etf")
        rot_series = {"rotation walk-forward (out-of-sample)": rot["oos"],
                      "rotation best (in-sample)": rot["best_equity"],
                      **{b: bench.series(b) for b in cfg.benchmarks}}
        perf_rot = table(performance_table(rot_series), "performance_rotation")
        table(trk["peers"], "tracking_etfs")
        sim = trk["etf_sim"]
        table(sim.decomposition.rename_axis("component").reset_index(), f"tracking_{cfg.etf}_decomposition")
        latest = trk["constituents"][trk["constituents"]["effective_date"] == trk["constituents"]["effective_date"].max()]
        table(latest.reset_index(drop=True), "star_ai_constituents_latest")
        table(monthly_returns_table(etf_close).reset_index(), f"monthly_{cfg.etf}")
        table(profit_probability_table(etf_close), f"profit_probability_{cfg.etf}")
        table(drawdown_table(etf_close, top=5), f"drawdowns_{cfg.etf}")
        table(monthly_returns_table(rot["oos"]).reset_index(), "monthly_rotation_walk_forward")
        table(rot["ranked"].head(cfg.top_sweep_rows).reset_index(), "rotation_sweep_top")
        table(sweep_overview(rot["sweep"]), "rotation_sweep_distribution")
        table(rot["walk_forward"], "rotation_walk_forward")
        for key, name in (("stocks", "screen_star_ai_stocks"), ("baskets", "screen_interconnect_stocks"),
                          ("etfs", "screen_star_ai_etfs")):
            table(scr[key].reset_index(), name)

        common = pd.concat({f"{cfg.etf} ETF": etf_close, "STAR AI (reconstructed)": trk["index"]}, axis=1, sort=True).dropna()
        p_equity = plot(plots.plot_equity, "etf_vs_index", common, benchmark=bench.series("000688").loc[common.index[0]:],
                        benchmark_label="STAR 50 (000688)", title=f"{cfg.etf} vs reconstructed STAR AI index")
        p_under = plot(plots.plot_underwater, "underwater_etf", etf_close.to_frame(f"{cfg.etf} ETF"))
        p_month = plot(plots.plot_monthly_heatmap, "monthly_etf", monthly_returns_table(etf_close))
        rets = common.pct_change().dropna()
        p_te = plot(plots.plot_rolling_tracking_error, "rolling_tracking_error", rets.iloc[:, 0], rets.iloc[:, 1])
        x, y, metric = cfg.sweep_heatmap
        p_sweep = plot(plots.plot_sweep_heatmap, "sweep_heatmap", rot["sweep"], x, y, metric, aggfunc="median")
        p_rot = plot(plots.plot_equity, "rotation_equity",
                     pd.concat({"best in-sample": rot["best_equity"], "walk-forward OOS": rot["oos"]}, axis=1, sort=True),
                     benchmark=bench.series("000300"), benchmark_label="CSI 300 (000300)",
                     title="Basket rotation", log_scale=True)
        bar.advance(task)

        bar.update(task, description="report and manifest")
        from aibt.strategies.star_ai_index import DEPARTURES

        hashes = hash_outputs(written, out)
        manifest = build_manifest(_config_dict(cfg), snapshot_hash(), list(command or sys.argv), hashes)
        write_manifest(out, manifest)
        wf = rot["walk_forward"]
        sections = [
            Section("summary", "Performance summary",
                    paragraphs=("In each table every series is measured over the dates all of them share. "
                                "The in-sample best rotation is chosen with hindsight; the walk-forward curve "
                                "is what the rule would have earned choosing its parameters as it went.",),
                    tables=((f"{cfg.etf}, the reconstructed index and benchmarks", perf),
                            ("Rotation (walk-forward period) and benchmarks", perf_rot))),
            Section("tracking", "STAR AI index (950180) and its ETFs",
                    paragraphs=departure_paragraphs(DEPARTURES),
                    tables=(("ETFs against the reconstructed index", trk["peers"]),
                            (f"{cfg.etf}: index vs simulated fund vs real ETF", sim.decomposition),
                            ("Constituents of the latest review", latest.reset_index(drop=True))),
                    images=(("ETF vs reconstructed index", p_equity), ("Rolling tracking error", p_te))),
            Section("etf-stats", f"{cfg.etf}: drawdowns, months, holding periods",
                    tables=(("Deepest drawdowns", drawdown_table(etf_close, top=5)),
                            ("Monthly returns", monthly_returns_table(etf_close)),
                            ("Holding-period profit probability", profit_probability_table(etf_close))),
                    images=(("Underwater", p_under), ("Monthly returns", p_month))),
            Section("rotation", "Basket rotation: sweep and walk-forward",
                    paragraphs=(f"{len(rot['sweep'])} combinations of lookback x top K x rebalance period x "
                                "weighting x trend filter over optical, copper, PCB and STAR AI sleeves, "
                                "simulated under A-share rules with commission, stamp duty and slippage.",
                                f"Walk-forward: {len(wf)} folds; median in-sample {cfg.walk_forward_metric} "
                                f"{wf[f'is_{cfg.walk_forward_metric}'].median():.3f}, median out-of-sample "
                                f"{wf[f'oos_{cfg.walk_forward_metric}'].median():.3f}. The best in-sample combination is "
                                "chosen with hindsight; the walk-forward folds show what survives out of sample."),
                    tables=(("Distribution over all combinations", sweep_overview(rot["sweep"])),
                            ("Best combinations (in-sample)", rot["ranked"].head(cfg.top_sweep_rows)),
                            ("Walk-forward folds", wf)),
                    images=(("Sweep heatmap", p_sweep), ("Rotation equity", p_rot))),
            Section("screens", "Screens as of the last date",
                    tables=(("STAR AI candidates", scr["stocks"]), ("Interconnect baskets", scr["baskets"]),
                            ("STAR AI ETFs", scr["etfs"]))),
        ]
        report = render_report(sections, manifest, out / "report.html", title="aibt default study")
        bar.advance(task)
    if echo:
        echo(f"wrote {len(written)} tables and plots, report {report} and manifest {out / 'manifest.json'}")
    return report


def departure_paragraphs(text: str) -> tuple[str, ...]:
    """The departures text as paragraphs: the heading, one per numbered item, the closing note."""
    parts = re.split(r"\n(?=\d+\. |A user)", text.strip())
    return tuple(" ".join(line.strip() for line in p.splitlines()) for p in parts)


def _config_dict(cfg: StudyConfig) -> dict:
    d = asdict(cfg)
    d["sweep_heatmap"] = list(cfg.sweep_heatmap)
    d["benchmarks"] = list(cfg.benchmarks)
    return d
