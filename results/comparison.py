"""Outputs of a strategy comparison (:class:`aibt.strategies.study_file.Comparison`): one table, the
equity and drawdown plots and a report section. Takes the comparison object; loads nothing."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

__all__ = ["comparison_figures", "comparison_section", "write_comparison", "PERCENT_COLUMNS"]

#: Table columns that are fractions (shown as percents in the report).
PERCENT_COLUMNS = ("total_return", "cagr", "volatility_annual", "max_drawdown", "best_month_return", "alpha",
                   "tracking_error", "turnover_annual")


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
