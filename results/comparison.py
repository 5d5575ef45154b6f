"""A strategy comparison tabulated (:func:`run_comparison`, which runs the study's strategies of
:mod:`aibt.strategies.study_file` and measures them with :func:`aibt.results.stats_report.compare_reports`)
and its outputs (:class:`aibt.strategies.study_file.Comparison`): one table, the equity and drawdown plots and
a report section. Takes the data and the comparison object; loads nothing."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

__all__ = ["run_comparison", "comparison_figures", "comparison_section", "write_comparison", "PERCENT_COLUMNS"]

#: Table columns that are fractions (shown as percents in the report).
PERCENT_COLUMNS = ("total_return", "cagr", "volatility_annual", "max_drawdown", "best_month_return", "alpha",
                   "tracking_error", "turnover_annual")


def run_comparison(study, panel, *, index_level: pd.Series | None = None,
                   constituents: pd.DataFrame | None = None, shares: Mapping[str, float] | None = None,
                   tracked: Mapping[str, Any] | None = None) -> Comparison:
    """Run every strategy of ``study`` on ``panel`` (same rules, costs, sessions) and tabulate them.

    ``index_level``/``constituents``: the rebuilt STAR AI index and its reviews (rotation's star-ai
    sleeve, ``index``); ``shares``: share counts for cap weights; ``tracked``: strategy name -> the
    ETF-mode simulation (:func:`aibt.strategies.tracking.simulate_tracking_etf`) of each ``etf_tracking``
    strategy. The table's statistics are :func:`aibt.results.stats_report.compare_reports` over the
    sessions every curve shares, so they are comparable row by row.
    """
    from aibt.results.stats_report import compare_reports
    from aibt.strategies.study_file import TABLE_COLUMNS, Comparison, _engine_figures, benchmark_levels, run_strategy

    curves, results = {}, {}
    for spec in study.strategies:
        eq, res = run_strategy(study, spec, panel, index_level=index_level, constituents=constituents,
                               shares=shares, tracked=tracked)
        curves[spec.name] = eq
        results[spec.name] = res
    bname, blevel = benchmark_levels(study, panel, index_level)
    series = dict(curves)
    if blevel is not None and bname not in series:
        series[f"benchmark: {bname}"] = blevel
    rows = compare_reports(series, benchmark=blevel, benchmark_name=bname)
    kinds = {s.name: s.kind for s in study.strategies}
    out = []
    for r in rows:
        flat = {"strategy": r["name"], "kind": kinds.get(r["name"], "benchmark")}
        for k, v in r.items():
            if k == "name":
                continue
            if isinstance(v, dict):
                flat[k] = v.get("month")
                flat.update({f"{k}_{kk}": vv for kk, vv in v.items() if kk != "month"})
            else:
                flat[k] = v
        flat.update(_engine_figures(results.get(r["name"]), study.init_cash))
        out.append(flat)
    table = pd.DataFrame(out)
    table = table[[c for c in TABLE_COLUMNS if c in table.columns]]
    for c in ("n_filled", "n_refused"):  # counts, blank where a strategy has no engine run
        if c in table.columns:
            table[c] = pd.array([None if v is None or v != v else int(v) for v in table[c]], dtype="Int64")
    equity = pd.concat(curves, axis=1, sort=True)
    return Comparison(study, table, equity, blevel, results)


def comparison_figures(comp, *, title: str | None = None) -> dict:
    """``{"equity": Figure, "drawdown": Figure}`` of the comparison's curves (nothing written)."""
    from aibt.results import plots

    eq = comp.equity.dropna()
    title = title or comp.study.title
    bench = comp.benchmark
    bname = comp.table.loc[comp.table["kind"] == "benchmark", "strategy"]
    label = str(bname.iloc[0]) if len(bname) else None
    return {
        "equity": plots.plot_equity(eq, benchmark=bench.reindex(eq.index).dropna() if bench is not None else None,
                                    benchmark_label=label, title=f"{title}: growth of 1", log_scale=True),
        "drawdown": plots.plot_underwater(eq, title=f"{title}: drawdown"),
    }


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table for reading: fractions as percents with two decimals."""
    out = table.copy()
    for c in PERCENT_COLUMNS:
        if c in out.columns:
            out[c] = out[c].map(lambda v: "" if v is None or pd.isna(v) else f"{v * 100:,.2f}%")
    return out


def comparison_section(comp, images=None, *, section_id: str = "comparison", paragraphs=()) -> "object":
    """The report section of a comparison: what was compared, the table, the plots."""
    from aibt.results.report import Section

    st = comp.study
    costs = ", ".join(f"{k} {v:g}" for k, v in st.costs.items())
    intro = (f"{len(st.strategies)} strategies on the same data, sessions {comp.table['start'].iloc[0]} to "
             f"{comp.table['end'].iloc[0]}, under {st.rules} rules, fills at the next session's {st.price}, "
             f"costs: {costs}; each starts with {st.init_cash:,.0f} CNY. Every row is measured over the sessions "
             "all curves share" + (f"; beta, alpha, tracking error and information ratio against {st.benchmark}."
                                   if st.benchmark else "."),)
    figs = images if images is not None else comparison_figures(comp)
    return Section(section_id, st.title, paragraphs=tuple(paragraphs) + intro,
                   tables=(("Strategies compared", display_table(comp.table)),),
                   images=(("Growth of 1 (log scale)", figs["equity"]), ("Drawdown", figs["drawdown"])))


def write_comparison(comp, out: str | os.PathLike, name: str = "compare") -> dict[str, Path]:
    """Write ``tables/<name>.csv`` and ``.md``, ``plots/<name>_equity.png`` and ``_drawdown.png``
    into ``out`` (atomically, byte-identical on a rerun); returns the paths by kind."""
    from aibt.results import io, plots

    out = Path(out)
    figs = comparison_figures(comp)
    return {
        "table_csv": io.write_csv(comp.table, out / "tables" / f"{name}.csv", index=False),
        "table_md": io.write_markdown(comp.table, out / "tables" / f"{name}.md", index=False),
        "equity": plots.save_figure(figs["equity"], out / "plots" / f"{name}_equity.png"),
        "drawdown": plots.save_figure(figs["drawdown"], out / "plots" / f"{name}_drawdown.png"),
    }
