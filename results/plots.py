"""Result plots as deterministic PNG files: same data in, same bytes out.

Figures are built with :class:`matplotlib.figure.Figure` on an Agg canvas (no pyplot, no global
backend switch, nothing left open), under one fixed style (:data:`STYLE`: bundled DejaVu Sans font,
fixed DPI, ``svg.hashsalt``; a CJK font from :data:`CJK_FONTS` when installed), and saved without the ``Software`` PNG tag or any timestamp. Each
``plot_*`` function takes pandas Series/DataFrames and returns the :class:`~matplotlib.figure.Figure`
(shown inline in a notebook); :func:`save_figure` writes it. Given a ``path``, the function saves at
once and returns the path (the same bytes).
"""
from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Callable, Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from aibt.errors import ConfigError, DataError
from aibt.results.io import write_bytes
from aibt.results.periods import annualization_factor

__all__ = [
    "STYLE",
    "plot_equity",
    "plot_underwater",
    "plot_monthly_heatmap",
    "rolling_tracking_error",
    "plot_rolling_tracking_error",
    "sweep_grid",
    "plot_sweep_heatmap",
    "plot_rolling_metrics",
    "plot_yearly_returns",
    "plot_return_distribution",
    "plot_weights",
    "cjk_font",
    "save_figure",
    "figure_png",
]

PathLike = str | os.PathLike[str]

#: The rcParams every figure is drawn with (fixed so output does not depend on the user's matplotlibrc).
STYLE: dict[str, object] = {
    "svg.hashsalt": "aibt",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 9.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(
        color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    ),
    "legend.frameon": False,
    "figure.dpi": 100.0,
    "savefig.dpi": 100.0,
    "savefig.facecolor": "white",
    "path.simplify": True,
    "agg.path.chunksize": 0,
    "text.usetex": False,
    "axes.formatter.use_locale": False,
}

#: CJK-capable fonts used for Chinese names when installed (first found wins); DejaVu Sans stays first
#: for Latin text, matplotlib falls back glyph by glyph (Debian: ``fonts-wqy-zenhei``, see .ci/).
CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei", "Microsoft YaHei",
             "PingFang SC")


def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None (then Chinese text falls back to boxes,
    cleanly: no warning per glyph)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def _font_family() -> list[str]:
    cjk = cjk_font()
    return ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]


_BENCH_COLOR = "#555555"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def _save(fig: Figure, path: PathLike) -> Path:
    """Render ``fig`` to PNG bytes with no Software/time metadata and write them atomically."""
    return write_bytes(_png(fig), path)


def figure_png(fig: Figure) -> bytes:
    """The PNG bytes :func:`save_figure` would write (for embedding a figure in a report)."""
    with _Styled():
        return _png(fig)


class _Styled:
    """The fixed style as a context: matplotlib's defaults (not the process's rcParams: libraries such
    as quantstats or seaborn change global styles on import, which would make the bytes depend on what
    was imported), then :data:`STYLE`, with font-manager warnings quietened (WenQuanYi ships weight 500
    only: matplotlib would warn per figure). Drawing and saving both run inside it, so a figure saved
    later renders exactly as one saved at once."""

    def __enter__(self):
        import logging

        self._log = logging.getLogger("matplotlib.font_manager")
        self._level = self._log.level
        self._log.setLevel(logging.ERROR)
        self._rc = matplotlib.rc_context()
        self._rc.__enter__()
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(STYLE)
        matplotlib.rcParams["font.family"] = _font_family()
        return self

    def __exit__(self, *exc):
        try:
            self._rc.__exit__(*exc)
        finally:
            self._log.setLevel(self._level)
        return False


def save_figure(fig: Figure, path: PathLike) -> Path:
    """Write a figure returned by a ``plot_*`` function as a deterministic PNG (atomically; no
    Software/time metadata): the same bytes as passing ``path`` to the plot function."""
    with _Styled():
        return _save(fig, path)


def _draw(path: PathLike | None, width: float, height: float, draw: Callable[[Figure], None]) -> Figure | Path:
    """The figure drawn in the fixed style; saved to ``path`` (returned) when one is given."""
    with _Styled():
        fig = _new_figure(width, height)
        draw(fig)
        fig.tight_layout()
        return fig if path is None else _save(fig, path)


def _as_frame(data: pd.Series | pd.DataFrame, what: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        frame = data.to_frame(name=data.name if data.name is not None else what)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise DataError(f"{what}: expected a pandas Series or DataFrame, got {type(data).__name__}")
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise DataError(f"{what}: nothing to plot (empty input)")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{what}: index must be dates (DatetimeIndex), got {type(frame.index).__name__}")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise DataError(f"{what}: duplicate date {dup.date()}; keep one row per date")
    if not frame.index.is_monotonic_increasing:
        raise DataError(f"{what}: dates are not sorted in increasing order")
    frame = frame.astype("float64")
    if frame.isna().all(axis=None):
        raise DataError(f"{what}: all values are NaN")
    return frame


def _label(name: object) -> str:
    return str(name)


def _normalised(curves: pd.DataFrame, benchmark: pd.Series | None) -> tuple[pd.DataFrame, pd.Series | None]:
    """Rebase every curve (and the benchmark) to 1 on the first date where all of them have a value."""
    joined = curves.copy()
    bench_col = None
    if benchmark is not None:
        bench_col = "\x00benchmark"
        joined[bench_col] = benchmark.astype("float64")
    for col in joined.columns:
        bad = joined[col] <= 0
        if bad.any():
            raise DataError(
                f"{_label(col).strip(chr(0))}: equity/price must be positive to normalise, "
                f"got {joined[col][bad].iloc[0]} on {joined.index[bad][0].date()}"
            )
    complete = joined.notna().all(axis=1)
    if not complete.any():
        raise DataError("equity curves and benchmark have no date in common")
    start = complete.idxmax()
    joined = joined.loc[start:]
    joined = joined / joined.iloc[0]
    bench = joined.pop(bench_col) if bench_col is not None else None
    return joined, bench


def plot_equity(
    equity: pd.Series | pd.DataFrame,
    path: PathLike | None = None,
    *,
    benchmark: pd.Series | None = None,
    benchmark_label: str | None = None,
    title: str = "Equity (normalised to 1)",
    log_scale: bool = False,
) -> Figure | Path:
    """Plot equity curves against a benchmark, all rebased to 1 on their first common date.

    Parameters
    ----------
    equity : Series or DataFrame
        Equity or price levels (positive), dates as index; one line per column.
    path : path-like, optional
        Target PNG; without one the figure is returned (save it with :func:`save_figure`).
    benchmark : Series, optional
        Benchmark level (e.g. the 950180 index), drawn dashed in grey.
    benchmark_label : str, optional
        Legend text for the benchmark; default its name or ``"benchmark"``.
    title : str
    log_scale : bool, default False
        Logarithmic y axis.

    Returns
    -------
    Figure, or pathlib.Path
        The figure; ``path`` when one was given (the figure saved there).

    Raises
    ------
    DataError
        Empty input, non-date index, non-positive levels, or no date common to all series.
    """
    curves = _as_frame(equity, "equity")
    bench = None
    if benchmark is not None:
        bench = _as_frame(benchmark, "benchmark").iloc[:, 0]
    norm, bench_norm = _normalised(curves, bench)
    if bench is not None and benchmark_label is None:
        benchmark_label = _label(benchmark.name) if benchmark.name is not None else "benchmark"

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for col in norm.columns:
            ax.plot(norm.index, norm[col].to_numpy(), linewidth=1.3, label=_label(col))
        if bench_norm is not None:
            ax.plot(bench_norm.index, bench_norm.to_numpy(), linewidth=1.2, linestyle="--",
                    color=_BENCH_COLOR, label=benchmark_label)
        ax.axhline(1.0, color="black", linewidth=0.6, alpha=0.5)
        if log_scale:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_ylabel("growth of 1")
        ax.legend(loc="best")

    return _draw(path, 10.0, 4.5, draw)


def _drawdown(levels: pd.DataFrame) -> pd.DataFrame:
    running_max = levels.cummax()
    return levels / running_max - 1.0


def plot_underwater(
    equity: pd.Series | pd.DataFrame,
    path: PathLike | None = None,
    *,
    title: str = "Drawdown",
) -> Figure | Path:
    """Plot the underwater curve ``equity / running maximum - 1`` (0 at new highs, negative below).

    Parameters
    ----------
    equity : Series or DataFrame
        Equity or price levels (positive), dates as index; one line per column, the first filled.
    path : path-like, optional
        Target PNG; without one the figure is returned (save it with :func:`save_figure`).
    title : str

    Returns
    -------
    Figure, or pathlib.Path
        The figure; ``path`` when one was given (the figure saved there).
    """
    levels = _as_frame(equity, "equity")
    if (levels <= 0).any(axis=None):
        raise DataError("equity: levels must be positive to compute drawdowns")
    dd = _drawdown(levels)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for i, col in enumerate(dd.columns):
            values = dd[col].to_numpy()
            line = ax.plot(dd.index, values, linewidth=0.9, label=_label(col))[0]
            if i == 0:  # fill only the first (main) curve; more fills would overlap into mud
                ax.fill_between(dd.index, values, 0.0, where=~np.isnan(values), color=line.get_color(),
                                alpha=0.25, linewidth=0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(top=0.0)
        ax.set_title(title)
        ax.set_ylabel("below previous high")
        if dd.shape[1] > 1:
            ax.legend(loc="lower left")

    return _draw(path, 10.0, 3.2, draw)


def _year_month_table(monthly: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Year x month (1..12) float table, plus a ``total`` column when the input has one."""
    if isinstance(monthly, pd.DataFrame):
        table = monthly.copy()
        total = table.pop("total") if "total" in table.columns else None
        try:
            months = [int(c) for c in table.columns]
        except (TypeError, ValueError):
            raise DataError("monthly table: columns must be month numbers 1..12 (and optionally 'total')") from None
        if any(m < 1 or m > 12 for m in months):
            raise DataError("monthly table: columns must be month numbers 1..12 (and optionally 'total')")
        table.columns = months
        table = table.reindex(columns=range(1, 13)).astype("float64")
        if total is not None:
            table["total"] = total.astype("float64")
        return table
    if isinstance(monthly, pd.Series) and isinstance(monthly.index, (pd.DatetimeIndex, pd.PeriodIndex)):
        m = monthly.astype("float64")
        periods = m.index if isinstance(m.index, pd.PeriodIndex) else m.index.to_period("M")
        if periods.freqstr[0] != "M" or periods.has_duplicates:
            raise DataError("monthly returns: need one value per month; compound daily returns "
                            "into monthly ones first (aibt.results.tables.monthly_returns)")
        frame = pd.DataFrame({"year": periods.year, "month": periods.month, "r": m.to_numpy()})
        return frame.pivot(index="year", columns="month", values="r").reindex(columns=range(1, 13))
    raise DataError("monthly returns: pass a year x month DataFrame or a Series with one value per month")


def plot_monthly_heatmap(
    monthly: pd.Series | pd.DataFrame,
    path: PathLike | None = None,
    *,
    title: str = "Monthly returns",
) -> Figure | Path:
    """Plot monthly returns as a year x month heatmap, each cell annotated in percent.

    Parameters
    ----------
    monthly : DataFrame or Series
        Either a year x month table (index years, columns 1..12 and optionally ``total``, as
        :func:`aibt.results.tables.monthly_returns_table` builds it) or a Series of monthly returns
        with one date or monthly period per month. Values are fractions (0.05 = 5 %). A ``total``
        column is drawn as a 13th column "Year", on the same colour scale.
    path : path-like, optional
        Target PNG; without one the figure is returned (save it with :func:`save_figure`).
    title : str

    Returns
    -------
    Figure, or pathlib.Path
        The figure; ``path`` when one was given (the figure saved there).

    Notes
    -----
    Colours diverge at 0 (red losses, green gains), scaled symmetrically to the largest absolute
    month so the same colour means the same return within a figure.
    """
    table = _year_month_table(monthly)
    table = table.dropna(how="all")
    if table.empty:
        raise DataError("monthly returns: no values to plot")
    values = table.to_numpy(dtype="float64")
    months_only = values[:, :12]
    vmax = float(np.nanmax(np.abs(months_only))) if not np.isnan(months_only).all() else 0.0
    vmax = vmax if vmax > 0 else 0.01  # year totals beyond the monthly range are clipped in colour
    years = [str(y) for y in table.index]
    height = 1.2 + 0.42 * len(years)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.grid(False)
        cmap = matplotlib.colormaps["RdYlGn"]
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap,
                          norm=TwoSlopeNorm(vcenter=0.0, vmin=-vmax, vmax=vmax), aspect="auto")
        ax.set_xticks(range(values.shape[1]), list(_MONTHS) + (["Year"] if values.shape[1] == 13 else []))
        ax.set_yticks(range(len(years)), years)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                if math.isnan(v):
                    continue
                strong = abs(v) > 0.6 * vmax
                ax.text(j, i, f"{v * 100:.1f}", ha="center", va="center", fontsize=8,
                        color="white" if strong else "black")
        if values.shape[1] == 13:
            ax.axvline(11.5, color="white", linewidth=3)
        cbar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
        cbar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_title(f"{title} (%)")

    return _draw(path, 10.0, height, draw)


def rolling_tracking_error(
    returns: pd.Series | pd.DataFrame,
    benchmark_returns: pd.Series,
    *,
    window: int = 60,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Rolling annualised tracking error of one or more return series against a benchmark.

    .. math:: \\mathrm{TE}_t = \\sqrt{P}\\,\\mathrm{sd}_{ddof=1}\\left(r_s - b_s,\\ s = t-w+1 \\dots t\\right)

    on the dates where both returns exist; NaN until ``window`` active returns are available and
    wherever the window holds a missing return.

    Parameters
    ----------
    returns : Series or DataFrame
        Simple returns of the tracker(s) (e.g. ETF 588790), dates as index.
    benchmark_returns : Series
        Simple returns of the benchmark (e.g. index 950180).
    window : int, default 60
        Rolling window in periods (>= 2).
    periods_per_year : float, optional
        Annualisation factor :math:`P`; default the XSHG sessions per year over the common dates
        (:func:`aibt.results.periods.annualization_factor`).

    Returns
    -------
    DataFrame
        One column per tracker, indexed by the common dates.

    Raises
    ------
    ConfigError
        ``window`` < 2 or ``periods_per_year`` not positive.
    DataError
        Fewer common dates than ``window``, or no complete window.
    """
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 2:
        raise ConfigError(f"window must be an integer >= 2, got {window!r}")
    tracker = _as_frame(returns, "returns")
    bench = _as_frame(benchmark_returns, "benchmark_returns").iloc[:, 0]
    common = tracker.index.intersection(bench.index)
    if len(common) < window:
        raise DataError(f"only {len(common)} dates common to returns and benchmark, fewer than window={window}")
    ppy = annualization_factor(common, periods_per_year)
    # the plain metric on every window (aibt.results.metrics.rolling), not a second implementation
    from aibt.results.metrics import roll_tracking_error

    b = bench.loc[common]
    te = pd.DataFrame({col: roll_tracking_error(tracker.loc[common, col], b, window, periods_per_year=ppy)
                       .reindex(common) for col in tracker.columns}, index=common)
    te.columns = tracker.columns
    if te.isna().all(axis=None):
        raise DataError(f"no {window}-date window without missing returns")
    return te


def plot_rolling_tracking_error(
    returns: pd.Series | pd.DataFrame,
    benchmark_returns: pd.Series,
    path: PathLike | None = None,
    *,
    window: int = 60,
    periods_per_year: float | None = None,
    title: str | None = None,
) -> Figure | Path:
    """Plot the rolling annualised tracking error (:func:`rolling_tracking_error`) against a benchmark.

    Parameters
    ----------
    returns : Series or DataFrame
        Simple returns of the tracker(s), dates as index; one line per column.
    benchmark_returns : Series
        Simple returns of the benchmark.
    path : path-like, optional
        Target PNG; without one the figure is returned (save it with :func:`save_figure`).
    window : int, default 60
        Rolling window in periods (>= 2).
    periods_per_year : float, optional
        Annualisation factor; default the XSHG sessions per year over the plotted dates.
    title : str, optional
        Default ``"Rolling tracking error (<window>-day, annualised)"``.

    Returns
    -------
    Figure, or pathlib.Path
        The figure; ``path`` when one was given (the figure saved there).
    """
    te = rolling_tracking_error(returns, benchmark_returns, window=window, periods_per_year=periods_per_year)
    heading = title if title is not None else f"Rolling tracking error ({window}-day, annualised)"

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for col in te.columns:
            ax.plot(te.index, te[col].to_numpy(), linewidth=1.1, label=_label(col))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        ax.set_ylim(bottom=0.0)
        ax.set_title(heading)
        ax.set_ylabel("tracking error")
        if te.shape[1] > 1:
            ax.legend(loc="upper left")

    return _draw(path, 10.0, 3.2, draw)


def sweep_grid(
    results: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    *,
    aggfunc: Literal["mean", "median", "max", "min"] | None = None,
) -> pd.DataFrame:
    """Pivot a sweep's metric into a grid: rows ``y`` values, columns ``x`` values, both ascending.

    Parameters
    ----------
    results : DataFrame
        One row per parameter combination, with columns ``x``, ``y`` and ``metric``.
    x, y : str
        Parameter columns.
    metric : str
        Value column.
    aggfunc : {"mean", "median", "max", "min"}, optional
        How to combine rows sharing an (x, y) pair because other parameters vary; required then.

    Returns
    -------
    DataFrame
        float64 grid, NaN for pairs that were not run.

    Raises
    ------
    ConfigError
        A named column is missing, or (x, y) pairs repeat and no ``aggfunc`` was given.
    """
    if not isinstance(results, pd.DataFrame):
        raise DataError(f"sweep results: expected a DataFrame, got {type(results).__name__}")
    for name, role in ((x, "x"), (y, "y"), (metric, "metric")):
        if name not in results.columns:
            raise ConfigError(f"sweep {role} column {name!r} not in results; columns are {list(map(str, results.columns))}")
    if results.empty:
        raise DataError("sweep results: no rows")
    if aggfunc is None:
        if results.duplicated(subset=[x, y]).any():
            raise ConfigError(
                f"sweep results repeat ({x}, {y}) pairs because other parameters vary; "
                "pass aggfunc='max' (best), 'mean' or 'median'"
            )
        grid = results.pivot(index=y, columns=x, values=metric)
    else:
        if aggfunc not in ("mean", "median", "max", "min"):
            raise ConfigError(f"aggfunc must be one of mean, median, max, min; got {aggfunc!r}")
        grid = results.pivot_table(index=y, columns=x, values=metric, aggfunc=aggfunc, dropna=False)
    return grid.sort_index(axis=0).sort_index(axis=1).astype("float64")


def plot_sweep_heatmap(
    results: pd.DataFrame,
    x: str,
    y: str,
    metric: str,
    path: PathLike | None = None,
    *,
    aggfunc: Literal["mean", "median", "max", "min"] | None = None,
    title: str | None = None,
    higher_is_better: bool = True,
    annotate: bool | None = None,
) -> Figure | Path:
    """Plot one metric of a parameter sweep as a heatmap over a pair of parameters.

    Parameters
    ----------
    results : DataFrame
        One row per parameter combination, with columns ``x``, ``y`` and ``metric``.
    x, y : str
        Parameter columns for the horizontal and vertical axes (sorted ascending).
    metric : str
        Column to colour by (e.g. ``"sharpe"``).
    path : path-like, optional
        Target PNG; without one the figure is returned (save it with :func:`save_figure`).
    aggfunc : {"mean", "median", "max", "min"}, optional
        How to combine rows that share an (x, y) pair because other parameters vary. Required then;
        without it duplicated pairs raise.
    title : str, optional
        Default ``"<metric> by <y> and <x>"``.
    higher_is_better : bool, default True
        Green for high values; False flips the colours (e.g. for max drawdown magnitude or costs).
    annotate : bool, optional
        Write each value in its cell; default when the grid has at most 20 x 20 cells.

    Returns
    -------
    Figure, or pathlib.Path
        The figure; ``path`` when one was given (the figure saved there).

    Raises
    ------
    ConfigError
        A named column is missing, or (x, y) pairs repeat and no ``aggfunc`` was given.
    """
    grid = sweep_grid(results, x, y, metric, aggfunc=aggfunc)
    values = grid.to_numpy()
    if not np.isfinite(values).any():
        raise DataError(f"sweep metric {metric!r} has no finite value")
    show_text = annotate if annotate is not None else (values.shape[0] <= 20 and values.shape[1] <= 20)
    finite = values[np.isfinite(values)]
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo
    largest = max(abs(lo), abs(hi))
    # three significant digits for the largest value, 0..4 decimals
    digits = max(0, min(4, 2 - math.floor(math.log10(largest)))) if largest > 0 else 2
    heading = title if title is not None else f"{metric} by {y} and {x}"
    width = min(12.0, 2.5 + 0.65 * values.shape[1])
    height = min(10.0, 1.6 + 0.45 * values.shape[0])

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.grid(False)
        cmap = matplotlib.colormaps["RdYlGn" if higher_is_better else "RdYlGn_r"]
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=lo, vmax=hi if span > 0 else lo + 1,
                          aspect="auto", origin="lower")
        ax.set_xticks(range(values.shape[1]), [_tick(v) for v in grid.columns], rotation=0)
        ax.set_yticks(range(values.shape[0]), [_tick(v) for v in grid.index])
        ax.set_xlabel(str(x))
        ax.set_ylabel(str(y))
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if show_text:
            for i in range(values.shape[0]):
                for j in range(values.shape[1]):
                    v = values[i, j]
                    if not math.isfinite(v):
                        continue
                    rel = (v - lo) / span if span > 0 else 0.5
                    ax.text(j, i, f"{v:.{digits}f}", ha="center", va="center", fontsize=8,
                            color="white" if rel < 0.15 or rel > 0.85 else "black")
        fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02).set_label(str(metric))
        ax.set_title(heading)

    return _draw(path, width, height, draw)


def _tick(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


# --------------------------------------------------------------------------- tear-sheet figures
def plot_rolling_metrics(
    returns: pd.Series,
    benchmark_returns: pd.Series,
    path: PathLike | None = None,
    *,
    window: int = 60,
    periods_per_year: float | None = None,
    title: str | None = None,
) -> Figure | Path:
    """Three panels over a rolling window: Sharpe ratio, annualised volatility (of both series) and
    beta to the benchmark, each the plain metric on every window
    (:func:`aibt.results.metrics.rolling`)."""
    from aibt.results import metrics as M

    common = returns.dropna().index.intersection(benchmark_returns.dropna().index)
    if len(common) < window:
        raise DataError(f"only {len(common)} common dates, fewer than window={window}")
    r, b = returns.loc[common], benchmark_returns.loc[common]
    ppy = annualization_factor(common, periods_per_year)
    panels = {
        "Sharpe": (M.roll_sharpe(r, window, periods_per_year=ppy), M.roll_sharpe(b, window, periods_per_year=ppy)),
        "volatility": (M.roll_volatility(r, window, periods_per_year=ppy),
                       M.roll_volatility(b, window, periods_per_year=ppy)),
        "beta": (M.roll_beta(r, b, window), None),
    }
    heading = title if title is not None else f"Rolling {window}-session metrics"

    def draw(fig: Figure) -> None:
        axes = fig.subplots(3, 1, sharex=True)
        for ax, (name, (mine, theirs)) in zip(axes, panels.items()):
            ax.plot(mine.index, mine.to_numpy(), linewidth=1.1, label=_label(returns.name or "returns"))
            if theirs is not None:
                ax.plot(theirs.index, theirs.to_numpy(), linewidth=1.0, linestyle="--", color=_BENCH_COLOR,
                        label=_label(benchmark_returns.name or "benchmark"))
            if name == "volatility":
                ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            if name == "beta":
                ax.axhline(1.0, color="black", linewidth=0.6, alpha=0.5)
            if name == "Sharpe":
                ax.axhline(0.0, color="black", linewidth=0.6, alpha=0.5)
                ax.legend(loc="upper left", fontsize=8)
            ax.set_ylabel(name)
        axes[0].set_title(heading)

    return _draw(path, 10.0, 6.0, draw)


def plot_yearly_returns(yearly: pd.DataFrame, path: PathLike | None = None, *, title: str = "Calendar-year returns") -> Figure | Path:
    """Grouped bars of calendar-year returns: one group per year (index), one bar per column."""
    if not isinstance(yearly, pd.DataFrame):
        raise DataError("yearly returns: need a DataFrame, years as index, one column per series")
    table = yearly.astype("float64")
    if table.empty:
        raise DataError("yearly returns: nothing to plot")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        k = table.shape[1]
        width = 0.8 / k
        x = np.arange(len(table))
        for j, col in enumerate(table.columns):
            vals = table[col].to_numpy()
            ax.bar(x + (j - (k - 1) / 2) * width, np.nan_to_num(vals), width, label=_label(col))
        ax.set_xticks(x, [str(i) for i in table.index])
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_title(title)
        ax.legend(loc="best", fontsize=8)

    return _draw(path, 10.0, 3.6, draw)


def plot_return_distribution(returns: pd.Series | pd.DataFrame, path: PathLike | None = None, *, bins: int = 60,
                             title: str = "Distribution of daily returns") -> Figure | Path:
    """Histogram (density) of daily returns, one outline per column, with the 5 % historical VaR of
    the first column marked."""
    frame = _as_frame(returns, "returns").astype("float64")
    values = frame.to_numpy()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise DataError("returns: nothing to plot")
    edges = np.linspace(float(finite.min()), float(finite.max()), bins + 1)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for i, col in enumerate(frame.columns):
            x = frame[col].dropna().to_numpy()
            ax.hist(x, bins=edges, density=True, histtype="stepfilled" if i == 0 else "step",
                    alpha=0.45 if i == 0 else 1.0, linewidth=1.1, label=_label(col))
        first = frame.iloc[:, 0].dropna().to_numpy()
        var = float(np.percentile(first, 5))
        ax.axvline(var, color="#d62728", linewidth=1.0, linestyle=":", label=f"VaR 95% {var * 100:.2f}%")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_title(title)
        ax.set_ylabel("density")
        ax.legend(loc="upper left", fontsize=8)

    return _draw(path, 10.0, 3.4, draw)


def plot_weights(weights: pd.DataFrame, path: PathLike | None = None, *, top: int = 10, title: str | None = None) -> Figure | Path:
    """Horizontal bars of the ``top`` largest index weights, labelled ``code name`` (Chinese names
    need a CJK font, :func:`cjk_font`), with the review weight as a tick.

    ``weights`` has columns ``code``, ``name``, ``weight`` and optionally ``review_weight``
    (:func:`aibt.commands.concentration.concentration_report`'s members).
    """
    if not isinstance(weights, pd.DataFrame) or not {"code", "name", "weight"} <= set(weights.columns):
        raise DataError("weights: need a DataFrame with columns code, name, weight")
    t = weights.sort_values("weight", ascending=False, kind="mergesort").head(int(top)).iloc[::-1]
    heading = title if title is not None else f"Top {len(t)} weights: {t['weight'].sum() * 100:.2f}%"

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        y = np.arange(len(t))
        ax.barh(y, t["weight"].to_numpy(), color="#1f77b4", label="weight (drifted)")
        if "review_weight" in t.columns:
            ax.scatter(t["review_weight"].to_numpy(), y, marker="|", s=160, color="#d62728", label="at the review")
        ax.set_yticks(y, [f"{c} {n}" for c, n in zip(t["code"], t["name"])])
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_title(heading)
        ax.legend(loc="lower right", fontsize=8)

    return _draw(path, 10.0, 0.32 * len(t) + 1.2, draw)
