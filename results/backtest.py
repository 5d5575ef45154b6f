"""The result of :func:`aibt.backtest`: a :class:`~aibt.engine.result.SimResult` that can describe itself.

``Result`` lives in the results layer (the engine never imports ``results``): it adds ``.stats()``
(the dict ``aibt stats --json`` prints for the same equity curve), ``.plot()`` (matplotlib figures,
nothing written), ``.report(path)`` (one self-contained HTML file) and ``.refused`` (orders the
market refused, without the fills only cut by lot rounding).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from aibt.engine.result import SimResult

__all__ = ["Result", "as_result", "PLOT_KINDS"]

#: The figures :meth:`Result.plot` draws, in order.
PLOT_KINDS = ("equity", "drawdown", "monthly")


@dataclass(frozen=True, eq=False)
class Result(SimResult):
    """One backtest. All of :class:`~aibt.engine.result.SimResult` (``equity``, ``fills``,
    ``positions``, ``holdings``, ``weights``, ``costs``, ``summary`` ...) plus the methods below.
    ``name`` labels it in tables, plots and reports."""

    name: str = "strategy"

    def stats(self, benchmark: pd.Series | None = None, *, benchmark_name: str | None = None,
              risk_free: float = 0.0, start=None, end=None, periods_per_year: float | None = None,
              annualise_short: bool = False) -> dict:
        """Statistics of the equity curve: the same dict as ``aibt stats --json`` on it (returns as
        fractions; see :func:`aibt.results.stats_report.stats_report`)."""
        from aibt.results.stats_report import stats_report

        return stats_report(self.equity, start=start, end=end, periods_per_year=periods_per_year, source=self.name,
                            risk_free=risk_free, benchmark=benchmark, benchmark_name=benchmark_name,
                            annualise_short=annualise_short)

    @property
    def refused(self) -> pd.DataFrame:
        """Orders not filled in full for a reason the market gave (suspension, price limit, T+1, no
        price, cash, volume): ``fills`` without the rows filled in full or cut only by lot rounding."""
        f = self.fills
        if "reason" not in f.columns:
            return f
        return f[~f["reason"].isin(("filled", "lot_rounding"))]

    def plot(self, kind: str | None = None, *, benchmark: pd.Series | None = None,
             benchmark_label: str | None = None):
        """Figures of the run (matplotlib, nothing written; save one with
        :func:`aibt.results.plots.save_figure`): a dict ``{"equity", "drawdown", "monthly"}``, or
        the one figure named by ``kind``."""
        from aibt.errors import ConfigError
        from aibt.results import plots
        from aibt.results.tables import monthly_returns_table

        kinds = PLOT_KINDS if kind is None else (kind,)
        bad = [k for k in kinds if k not in PLOT_KINDS]
        if bad:
            raise ConfigError(f"plot kind {bad[0]!r} is not one of {PLOT_KINDS}")
        eq = self.equity.rename(self.name)
        out = {}
        for k in kinds:
            if k == "equity":
                out[k] = plots.plot_equity(eq, benchmark=benchmark, benchmark_label=benchmark_label,
                                           title=f"{self.name}: growth of 1")
            elif k == "drawdown":
                out[k] = plots.plot_underwater(eq, title=f"{self.name}: drawdown")
            else:
                out[k] = plots.plot_monthly_heatmap(monthly_returns_table(eq), title=f"{self.name}: monthly returns")
        return out[kind] if kind is not None else out

    def sections(self, benchmark: pd.Series | None = None, benchmark_name: str | None = None) -> list:
        """The report sections of this run (:class:`aibt.results.report.Section`)."""
        from aibt.results.report import Section
        from aibt.results.tables import drawdown_table, monthly_returns_table

        st = self.summary
        key = pd.DataFrame({"value": {
            "start": str(self.equity.index[0].date()), "end": str(self.equity.index[-1].date()),
            "total return": f"{st['total_return'] * 100:.2f}%",
            "CAGR": f"{st['cagr'] * 100:.2f}%" if st["years"] >= 1 else "n/a (< 1 year)",
            "max drawdown": f"{st['max_drawdown'] * 100:.2f}%",
            "volatility (annual)": f"{st['volatility_annual'] * 100:.2f}%",
            "Sharpe": f"{st['sharpe']:.2f}",
            "turnover (annual)": f"{st['turnover_annual'] * 100:.1f}%",
            "costs (CNY)": f"{st['total_costs']:,.2f}",
            "orders filled / refused": f"{st['n_filled']} / {st['n_refused']}",
            "rules": str(self.meta.get("rules", "")),
        }}).rename_axis("metric")
        figs = self.plot(benchmark=benchmark, benchmark_label=benchmark_name)
        refused = self.refused
        reasons = refused["reason"].value_counts().rename_axis("reason").rename("orders").to_frame() \
            if len(refused) else pd.DataFrame({"orders": []})
        return [
            Section("summary", f"{self.name}: summary", tables=(("Key figures", key),
                                                                ("Costs by kind (CNY)", self.costs.sum().rename("CNY")))),
            Section("curves", f"{self.name}: equity and drawdown",
                    images=(("Growth of 1", figs["equity"]), ("Drawdown", figs["drawdown"]),
                            ("Monthly returns", figs["monthly"]))),
            Section("orders", f"{self.name}: drawdowns and refused orders",
                    paragraphs=("Orders cut only by lot rounding count as fills; the table lists the orders "
                                "the market refused or cut, by reason.",),
                    tables=(("Deepest drawdowns", drawdown_table(self.equity, top=5)),
                            ("Monthly returns", monthly_returns_table(self.equity)),
                            ("Refused or cut orders by reason", reasons))),
        ]

    def report(self, path: str | os.PathLike, *, benchmark: pd.Series | None = None,
               benchmark_name: str | None = None, title: str | None = None) -> Path:
        """Write a self-contained HTML report (key figures, equity, drawdown, monthly returns, costs,
        refused orders) to ``path`` atomically; returns the path."""
        from aibt.results.manifest import build_manifest
        from aibt.results.report import render_report

        manifest = build_manifest({"name": self.name, **{k: v for k, v in self.meta.items()}},
                                  str(self.meta.get("data_hash", "")), ["python", "aibt.backtest"], {})
        return render_report(self.sections(benchmark, benchmark_name), manifest, path,
                             title=title or f"aibt backtest: {self.name}")


def as_result(sim: SimResult, name: str = "strategy", **meta) -> Result:
    """``sim`` as a :class:`Result` (the same arrays, not copied)."""
    values = {f.name: getattr(sim, f.name) for f in fields(SimResult)}
    values["meta"] = {**(sim.meta or {}), **meta}
    return Result(**values, name=str(name))
