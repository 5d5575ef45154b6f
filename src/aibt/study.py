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
    passive_schedule: str = "monthly"  # the rotation's sleeves held passively, rebalanced on this schedule


# ----------------------------------------------------------------------------- steps
def tracking_step(cfg: StudyConfig) -> dict:
    """Reconstructed STAR AI index, the ETF peer table and the ETF-mode simulation of ``cfg.etf``."""
    from aibt import loaders, tracking

    constituents = loaders.star_ai_constituents()
    index_level = loaders.star_ai_index(constituents=constituents)
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
    from aibt.strategies.study_file import passive_sleeves

    passive = passive_sleeves(panel, sleeves, rules, start=oos.index[0], end=oos.index[-1],
                              schedule=cfg.passive_schedule, price=cfg.fill_price, init_cash=cfg.init_cash,
                              commission=cfg.commission, min_commission=cfg.min_commission,
                              slippage_bps=cfg.slippage_bps)
    return {"sweep": sweep, "ranked": ranked, "best": best, "best_equity": best_eq[best].rename("rotation_best_in_sample"),
            "walk_forward": folds, "oos": oos, "sleeves": sleeves.prices, "passive": passive}


def passive_comparison(rot: dict, cfg: "StudyConfig", benchmarks: dict[str, pd.Series]) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """The rotation (walk-forward, out of sample) against each of its sleeves held passively under the
    same rules and costs, and the benchmarks, over the sessions all share: the table, the sentence
    saying which won and by how much, and the sleeve levels' own returns (daily rebalanced at the
    close, no costs) over the same sessions."""
    from aibt.strategies.study_file import winner_sentence

    oos = rot["oos"]
    series = {"rotation walk-forward (out-of-sample)": oos}
    for name, sim in rot["passive"].items():
        series[f"{name} held passively ({cfg.passive_schedule})"] = sim.equity
    series.update(benchmarks)
    perf = performance_table(series)
    tab = perf.rename(columns={"name": "strategy"})
    tab["kind"] = ["benchmark" if n in benchmarks else "strategy" for n in tab["strategy"]]
    passive_rows = tab.iloc[1:len(rot["passive"]) + 1]
    best = passive_rows.loc[passive_rows["total_return"].idxmax(), "strategy"]
    sentence = winner_sentence(tab, "rotation walk-forward (out-of-sample)", best)
    levels = rot["sleeves"].loc[perf["start"].iloc[0]:perf["end"].iloc[0]]
    lv = pd.DataFrame([{"sleeve": c, "start": str(levels[c].dropna().index[0].date()),
                        "end": str(levels[c].dropna().index[-1].date()),
                        "total_return": float(levels[c].dropna().iloc[-1] / levels[c].dropna().iloc[0] - 1.0)}
                       for c in levels.columns if levels[c].notna().sum() > 1])
    return perf, sentence, lv


def screens_step() -> dict:
    """Stock screen of the STAR AI candidates and baskets, ETF screen of the STAR AI ETFs, last date."""
    from aibt.screens import screen_table

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


def with_names(df: pd.DataFrame, code_col: str) -> pd.DataFrame:
    """``df`` with a ``name`` column (security master) right after ``code_col``."""
    from aibt.universes.master import security_master

    master = security_master()
    out = df.copy()
    names = [master.get(str(c)).name if str(c) in master else "" for c in out[code_col]]
    if "name" in out.columns:
        out = out.drop(columns="name")
    out.insert(list(out.columns).index(code_col) + 1, "name", names)
    return out


def constituents_table(constituents: pd.DataFrame) -> pd.DataFrame:
    """The latest review, names beside codes, largest weight first (ties by code)."""
    latest = constituents[constituents["effective_date"] == constituents["effective_date"].max()]
    latest = latest.assign(_w=-latest["weight"].astype(float)).sort_values(["_w", "code"], kind="mergesort")
    return with_names(latest.drop(columns="_w").reset_index(drop=True), "code")


def yearly_returns_table(series: dict[str, pd.Series]) -> pd.DataFrame:
    """Calendar-year returns (first year from the first close), one column per series."""
    from aibt.results.tables import monthly_returns_table

    cols = {name: monthly_returns_table(s.dropna())["total"] for name, s in series.items()}
    out = pd.DataFrame(cols)
    out.index.name = "year"
    out.attrs["formats"] = {name: "pct" for name in cols}
    return out


#: Rows of the key-metrics block: label, report key, display kind.
KEY_ROWS = (
    ("period", None, None), ("total return", "total_return", "pct"), ("CAGR", "cagr", "pct"),
    ("volatility (annual)", "volatility_annual", "pct"), ("Sharpe", "sharpe", "ratio"),
    ("Sortino", "sortino", "ratio"), ("max drawdown", "max_drawdown", "pct"), ("Calmar", "calmar", "ratio"),
    ("longest drawdown (sessions)", "longest_drawdown_sessions", "int"),
    ("best year", "best_year", "year"), ("worst year", "worst_year", "year"),
    ("monthly win rate", "win_rate_month", "pct"), ("skew", "skew", "ratio"),
    ("excess kurtosis", "kurtosis", "ratio"), ("daily VaR 95%", "var_95", "pct"),
    ("daily CVaR 95%", "cvar_95", "pct"),
)
KEY_RELATIVE = (("alpha (annual)", "alpha", "pct"), ("beta", "beta", "ratio3"),
                ("correlation", "correlation", "ratio3"), ("R²", "r_squared", "ratio3"),
                ("tracking error", "tracking_error", "pct"), ("information ratio", "information_ratio", "ratio"),
                ("up capture", "up_capture", "ratio"), ("down capture", "down_capture", "ratio"))


def _key_cell(rep: dict, key: str | None, kind: str | None) -> str:
    from aibt.results.io import format_display

    if key is None:
        return f"{rep['start']} .. {rep['end']}"
    v = rep.get(key)
    if kind == "year":
        return f"{v['year']}: {format_display(v['return'], 'pct')}"
    if v is None:
        return rep.get("cagr_note") or "" if key in ("cagr", "calmar") else ""
    if kind == "int":
        return str(int(v))
    return format_display(float(v), kind)


def key_metrics_table(strategy: pd.Series, benchmark: pd.Series, names: tuple[str, str]) -> pd.DataFrame:
    """Strategy against benchmark over their common dates: the headline numbers an analyst reads
    first (text cells, formatted for people; the same numbers as ``aibt stats --benchmark``)."""
    from aibt.results.stats_report import stats_report

    both = pd.concat({"s": strategy, "b": benchmark}, axis=1, sort=True).dropna()
    rep = stats_report(both["s"], benchmark=both["b"], source=names[0], benchmark_name=names[1])
    brep = stats_report(both["b"], source=names[1])
    rows = [(label, _key_cell(rep, key, kind), _key_cell(brep, key, kind)) for label, key, kind in KEY_ROWS]
    rows += [(label, _key_cell(rep["benchmark"], key, kind), "") for label, key, kind in KEY_RELATIVE]
    out = pd.DataFrame(rows, columns=["metric", names[0], names[1]])
    return out


def tracking_windows_table(etf: pd.Series, index_level: pd.Series) -> pd.DataFrame:
    """Daily tracking deviation and annualised tracking error over trailing windows (fund-report units)."""
    from aibt.results.stats_report import stats_report

    rep = stats_report(etf, benchmark=index_level, source=str(etf.name))
    rows = [{"window": k, **v} for k, v in rep["benchmark"]["tracking_windows"].items()]
    return pd.DataFrame(rows)


#: Columns of the best sweep combinations shown in the report (the CSV has all of them).
SWEEP_REPORT_COLUMNS = ["lookback", "top_k", "period", "weighting", "trend_window", "total_return", "cagr",
                        "sharpe", "max_drawdown", "volatility_annual", "turnover_annual", "total_costs", "n_filled"]


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
        invalidate_study(out)
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
        vs_passive, passive_sentence, sleeve_levels = passive_comparison(
            rot, cfg, {b: bench.series(b) for b in cfg.benchmarks})
        table(vs_passive, "rotation_vs_passive_sleeves")
        table(sleeve_levels, "sleeve_levels_no_costs")
        peers = table(with_names(trk["peers"], "code"), "tracking_etfs")
        sim = trk["etf_sim"]
        table(sim.decomposition.rename_axis("component").reset_index(), f"tracking_{cfg.etf}_decomposition")
        latest = table(constituents_table(trk["constituents"]), "star_ai_constituents_latest")
        from aibt.loaders import star_ai_diagnostics

        diag = star_ai_diagnostics(trk["constituents"], etf_close)
        for key in ("facts", "reviews", "implied"):  # fact checks, concentration by review, ETF-implied check
            table(diag[key], f"star_ai_{key}")
        from aibt.concentration import concentration_report

        conc = concentration_report(etf_close.index[-1], 10)
        conc_table = table(pd.DataFrame(conc["members"]), "star_ai_weights_drifted")
        windows = table(tracking_windows_table(etf_close.rename(f"{cfg.etf} ETF"), trk["index"]),
                        f"tracking_{cfg.etf}_windows")
        yearly = table(yearly_returns_table({f"{cfg.etf} ETF": etf_close, "STAR AI (reconstructed)": trk["index"],
                                             "rotation walk-forward": rot["oos"],
                                             **{b: bench.series(b) for b in cfg.benchmarks}}).reset_index(),
                       "yearly_returns")
        table(monthly_returns_table(etf_close).reset_index(), f"monthly_{cfg.etf}")
        table(profit_probability_table(etf_close), f"profit_probability_{cfg.etf}")
        table(drawdown_table(etf_close, top=5), f"drawdowns_{cfg.etf}")
        dd_rot = table(drawdown_table(rot["oos"], top=5), "drawdowns_rotation_walk_forward")
        monthly_rot = table(monthly_returns_table(rot["oos"]).reset_index(), "monthly_rotation_walk_forward")
        table(rot["ranked"].head(cfg.top_sweep_rows).reset_index(), "rotation_sweep_top")
        table(sweep_overview(rot["sweep"]), "rotation_sweep_distribution")
        table(rot["walk_forward"], "rotation_walk_forward")
        for key, name in (("stocks", "screen_star_ai_stocks"), ("baskets", "screen_interconnect_stocks"),
                          ("etfs", "screen_star_ai_etfs")):
            scr[key] = with_names(scr[key].reset_index(), "symbol")
            table(scr[key], name)

        common = pd.concat({f"{cfg.etf} ETF": etf_close, "STAR AI (reconstructed)": trk["index"]}, axis=1, sort=True).dropna()
        p_equity = plot(plots.plot_equity, "etf_vs_index", common, benchmark=bench.series("000688").loc[common.index[0]:],
                        benchmark_label="STAR 50 (000688)", title=f"{cfg.etf} vs reconstructed STAR AI index")
        p_under = plot(plots.plot_underwater, "underwater_etf", etf_close.to_frame(f"{cfg.etf} ETF"))
        p_month = plot(plots.plot_monthly_heatmap, "monthly_etf", monthly_returns_table(etf_close))
        rets = common.pct_change().dropna()
        p_te = plot(plots.plot_rolling_tracking_error, "rolling_tracking_error", rets.iloc[:, 0], rets.iloc[:, 1])
        x, y, metric = cfg.sweep_heatmap
        p_sweep = plot(plots.plot_sweep_heatmap, "sweep_heatmap", rot["sweep"], x, y, metric, aggfunc="median")
        p_passive = plot(plots.plot_equity, "rotation_vs_passive_sleeves",
                         pd.concat({"rotation walk-forward": rot["oos"],
                                    **{f"{n} held passively": sim.equity for n, sim in rot["passive"].items()}},
                                   axis=1, sort=True).dropna(),
                         title="Rotation (out of sample) against its sleeves held passively", log_scale=True)
        p_rot = plot(plots.plot_equity, "rotation_equity",
                     pd.concat({"best in-sample": rot["best_equity"], "walk-forward OOS": rot["oos"]}, axis=1, sort=True),
                     benchmark=bench.series("000300"), benchmark_label="CSI 300 (000300)",
                     title="Basket rotation", log_scale=True)
        etf_r = common.iloc[:, 0].pct_change().dropna().rename(f"{cfg.etf} ETF")
        idx_r = common.iloc[:, 1].pct_change().dropna().rename("STAR AI (reconstructed)")
        p_roll = plot(plots.plot_rolling_metrics, "rolling_metrics_etf", etf_r, idx_r, window=60,
                      title=f"{cfg.etf} vs reconstructed STAR AI index: rolling 60-session metrics")
        csi = bench.series("000300")
        oos_r = rot["oos"].pct_change().dropna().rename("rotation walk-forward")
        csi_r = csi.pct_change().dropna().rename("CSI 300 (000300)")
        p_roll_rot = plot(plots.plot_rolling_metrics, "rolling_metrics_rotation", oos_r, csi_r, window=120,
                          title="Rotation (walk-forward) vs CSI 300: rolling 120-session metrics")
        p_weights = plot(plots.plot_weights, "star_ai_top10", conc_table, top=10,
                         title=f"STAR AI (reconstructed) on {conc['as_of_close']}: top 10 weigh {conc['top_weight'] * 100:.2f}%")
        p_year = plot(plots.plot_yearly_returns, "yearly_returns", yearly.set_index("year"))
        p_dist = plot(plots.plot_return_distribution, "return_distribution",
                      pd.concat([etf_r, idx_r], axis=1, sort=True))
        bar.advance(task)

        bar.update(task, description="report and manifest")
        from aibt.strategies.star_ai_index import DEPARTURES

        hashes = hash_outputs(written, out)
        manifest = build_manifest(_config_dict(cfg), snapshot_hash(), list(command or sys.argv), hashes)
        write_manifest(out, manifest)
        wf = rot["walk_forward"]
        key_etf = key_metrics_table(etf_close, trk["index"], (f"{cfg.etf} ETF", "STAR AI (reconstructed)"))
        key_rot = key_metrics_table(rot["oos"], csi, ("rotation walk-forward", "CSI 300"))
        charts = []
        from aibt.results import interactive

        if interactive.available():
            eq = pd.concat({f"{cfg.etf} ETF": etf_close, "STAR AI (reconstructed)": trk["index"],
                            "STAR 50 (000688)": bench.series("000688")}, axis=1, sort=True).dropna()
            charts.append(interactive.line_chart(eq / eq.iloc[0], "chart-etf", title=f"{cfg.etf} vs the index: growth of 1"))
            rq = pd.concat({"rotation walk-forward": rot["oos"], "rotation best in-sample": rot["best_equity"],
                            "CSI 300": csi}, axis=1, sort=True).dropna()
            charts.append(interactive.line_chart(rq / rq.iloc[0], "chart-rotation", title="Basket rotation: growth of 1",
                                                 log_y=True))
            under = pd.concat({f"{cfg.etf} ETF": etf_close / etf_close.cummax() - 1.0,
                               "rotation walk-forward": rot["oos"] / rot["oos"].cummax() - 1.0}, axis=1, sort=True)
            charts.append(interactive.line_chart(under, "chart-drawdown", title="Drawdown (below the previous high)",
                                                 percent=True, height=320))
        sections = [
            Section("key-metrics", "Key metrics",
                    paragraphs=("Each strategy against its benchmark over the dates both have; periods under a "
                                "year are not annualised. Alpha is annualised and compounded (empyrical), "
                                "tracking error annualised, the risk-free rate 0. Drag on a chart to zoom, "
                                "double-click to reset.",),
                    tables=((f"{cfg.etf} against the reconstructed STAR AI index", key_etf),
                            ("Rotation (walk-forward, out of sample) against CSI 300", key_rot)),
                    charts=tuple(charts), key_table=True),
            Section("summary", "Performance summary",
                    paragraphs=("In each table every series is measured over the dates all of them share. "
                                "The in-sample best rotation is chosen with hindsight; the walk-forward curve "
                                "is what the rule would have earned choosing its parameters as it went.",),
                    tables=((f"{cfg.etf}, the reconstructed index and benchmarks", perf),
                            ("Rotation (walk-forward period) and benchmarks", perf_rot),
                            ("Calendar-year returns (first year from the first close)", yearly))),
            Section("tracking", "STAR AI index (950180) and its ETFs",
                    paragraphs=departure_paragraphs(DEPARTURES) + (
                        "Tracking windows: d = the ETF's daily return minus the index's; mean |d| is the "
                        "average daily tracking deviation, sd(d) the daily tracking error, annualised by "
                        "the square root of the sessions per year (`aibt stats 588790 --benchmark 950180`).",
                        f"Concentration on {conc['as_of_close']}: the ten largest constituents weigh "
                        f"{conc['top_weight'] * 100:.2f}% ({conc['top_weight_at_review'] * 100:.2f}% at the review "
                        f"effective {conc['review_effective']}; weights drifted by prices since; "
                        "`aibt concentration --date D`)."),
                    tables=(("ETFs against the reconstructed index", peers),
                            (f"{cfg.etf}: tracking over trailing windows", windows),
                            (f"{cfg.etf}: index vs simulated fund vs real ETF", sim.decomposition),
                            (f"Constituents on {conc['as_of_close']}, weights drifted since the review", conc_table),
                            ("Constituents of the latest review", latest)),
                    images=(("ETF vs reconstructed index", p_equity), ("Rolling tracking error", p_te),
                            ("Top-10 weights", p_weights))),
            Section("rolling", "Rolling metrics and the return distribution",
                    paragraphs=("Each rolling value is the plain metric on the window ending that day "
                                "(Sharpe and volatility annualised by the series' calendar).",),
                    images=((f"{cfg.etf} vs index, 60 sessions", p_roll), ("Rotation vs CSI 300, 120 sessions", p_roll_rot),
                            ("Calendar-year returns", p_year), ("Daily returns", p_dist))),
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
                            ("Best combinations (in-sample; all columns in rotation_sweep_top.csv)",
                             rot["ranked"].head(cfg.top_sweep_rows)[SWEEP_REPORT_COLUMNS]),
                            ("Walk-forward folds", wf),
                            ("Walk-forward: deepest drawdowns", dd_rot),
                            ("Walk-forward: monthly returns", monthly_rot.set_index("year"))),
                    images=(("Sweep heatmap", p_sweep), ("Rotation equity", p_rot))),
            Section("rotation-vs-passive", "Rotation against its sleeves held passively",
                    paragraphs=(passive_sentence,
                                f"Each sleeve is bought on the first out-of-sample session and rebalanced "
                                f"{cfg.passive_schedule} to its member weights (equal weight over the names "
                                "listed by then for a basket; the review weights for STAR AI, in cash before "
                                "its first review), under the rotation's rules, costs and fill price. The "
                                "sleeve levels the rotation ranks (equal weight rebalanced daily at the close, "
                                "no costs) returned "
                                + ", ".join(f"{r.sleeve} {r.total_return * 100:,.2f}%"
                                            + ("" if r.start == vs_passive["start"].iloc[0] else f" (from {r.start})")
                                            for r in sleeve_levels.itertuples())
                                + f" from {vs_passive['start'].iloc[0]} to {vs_passive['end'].iloc[0]}. Costs "
                                f"paid by the passive sleeves to {rot['oos'].index[-1].date()}: "
                                + ", ".join(f"{n} {sim.summary['total_costs']:,.0f} CNY"
                                            for n, sim in rot["passive"].items()) + ".",
                                "`aibt compare --study FILE` runs such comparisons for any strategies "
                                "(examples/supplier_baskets.toml)."),
                    tables=(("Rotation and the passive sleeves (out-of-sample sessions)", vs_passive),
                            ("Sleeve levels without costs", sleeve_levels)),
                    images=(("Growth of 1 (log scale)", p_passive),)),
            Section("screens", "Screens as of the last date",
                    paragraphs=("The per-factor ranks behind each score are in the CSV tables "
                                "(screen_*.csv, columns rank_*).",),
                    tables=(("STAR AI candidates", _no_ranks(scr["stocks"])),
                            ("Interconnect baskets", _no_ranks(scr["baskets"])),
                            ("STAR AI ETFs", _no_ranks(scr["etfs"])))),
        ]
        report = render_report(sections, manifest, out / "report.html", title="aibt default study")
        bar.advance(task)
    if echo:
        echo(f"wrote {len(written)} tables and plots, report {report} and manifest {out / 'manifest.json'}")
    return report


def _no_ranks(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in df.columns if str(c).startswith("rank_")])


#: The files that mark a folder as a complete study; removed before the first new output is written.
COMPLETION_MARKERS = ("manifest.json", "report.html")


def invalidate_study(out: Path) -> None:
    """Make an older study in ``out`` visibly incomplete before anything new is written into it.

    The manifest (hashes of every output) and the report are removed first and written again only
    after every table and plot: a run killed, or out of disk, half-way leaves no manifest or report
    that could pass the mix of old and new tables off as one complete study.
    """
    import os

    from aibt.errors import os_error_message

    try:
        for name in COMPLETION_MARKERS:
            try:
                os.unlink(out / name)
            except FileNotFoundError:
                pass
        (out / "tables").mkdir(parents=True, exist_ok=True)
        (out / "plots").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: {os_error_message(exc)}") from None


def departure_paragraphs(text: str) -> tuple[str, ...]:
    """The departures text as paragraphs: the heading, one per numbered item, the closing note."""
    parts = re.split(r"\n(?=\d+\. |A user)", text.strip())
    return tuple(" ".join(line.strip() for line in p.splitlines()) for p in parts)


def _config_dict(cfg: StudyConfig) -> dict:
    d = asdict(cfg)
    d["sweep_heatmap"] = list(cfg.sweep_heatmap)
    d["benchmarks"] = list(cfg.benchmarks)
    return d
