"""Result types of the simulation: :class:`SimResult` (one portfolio, per day) and the per-portfolio
summary table of :func:`aibt.engine.simulate.simulate_many`.

``aibt.backtest`` returns :class:`aibt.results.backtest.Result`, a SimResult with ``.stats()``,
``.plot()`` and ``.report(path)``: it lives in the results layer because the engine never imports
``results`` (the layers point one way)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aibt.data import annualise
from aibt.engine import nb

COST_KINDS = ("commission", "stamp", "transfer", "other", "slippage", "fund_fees")

SUMMARY_COLUMNS = ("init_value", "final_value", "total_return", "cagr", "max_drawdown", "volatility_annual",
                   "sharpe", "mean_daily_return", "turnover", "turnover_annual", "commission", "stamp",
                   "transfer", "other", "slippage", "fund_fees", "total_costs", "n_filled", "n_refused",
                   "years", "dividends", "dividend_tax")


def sessions_per_year(dates: pd.DatetimeIndex) -> float:
    """Periods per year of the date axis, from its own calendar (:func:`aibt.data.annualise.periods_per_year`,
    the one annualisation the results layer uses too)."""
    return annualise.periods_per_year(pd.DatetimeIndex(dates))


def summary_dict(row: np.ndarray, dates: pd.DatetimeIndex, periods_per_year: float | None = None) -> dict:
    """Metrics from one kernel summary row (``nb.SUM_*`` slots).

    ``cagr = (final / init) ** (P / n) - 1`` over the ``n`` daily returns and ``years = n / P``
    (:func:`aibt.data.annualise.cagr`, the same CAGR as ``aibt stats``);
    ``volatility_annual = std(daily returns, ddof=1) * sqrt(P)``, ``sharpe = mean / std * sqrt(P)`` (zero
    risk-free rate), ``turnover`` the sum of one-way daily turnover, ``turnover_annual = turnover / years``.
    ``P`` defaults to the periods per year of the calendar of ``dates`` (:func:`sessions_per_year`).
    """
    ppy = sessions_per_year(dates) if periods_per_year is None else float(periods_per_year)
    init, final = row[nb.SUM_INIT_VALUE], row[nb.SUM_FINAL_VALUE]
    n = row[nb.SUM_N_RETURNS]
    years = annualise.years(n, ppy)
    std = np.sqrt(row[nb.SUM_RET_M2] / (n - 1)) if n > 1 else np.nan
    mean = row[nb.SUM_RET_MEAN] if n > 0 else np.nan
    total_return = final / init - 1.0
    cagr = annualise.cagr(final / init, n, ppy)
    costs = {k: float(row[s]) for k, s in (("commission", nb.SUM_COMMISSION), ("stamp", nb.SUM_STAMP),
                                            ("transfer", nb.SUM_TRANSFER), ("other", nb.SUM_OTHER),
                                            ("slippage", nb.SUM_SLIPPAGE), ("fund_fees", nb.SUM_FEES_ACCRUED))}
    return {
        "init_value": float(init),
        "final_value": float(final),
        "total_return": float(total_return),
        "cagr": float(cagr),
        "max_drawdown": float(row[nb.SUM_MAX_DRAWDOWN]),
        "volatility_annual": float(std * np.sqrt(ppy)),
        "sharpe": float(mean / std * np.sqrt(ppy)) if std and std > 0 else np.nan,
        "mean_daily_return": float(mean),
        "turnover": float(row[nb.SUM_TURNOVER]),
        "turnover_annual": float(row[nb.SUM_TURNOVER] / years) if years > 0 else np.nan,
        **costs,
        "total_costs": float(sum(costs.values())),
        "n_filled": int(row[nb.SUM_N_FILLED]),
        "n_refused": int(row[nb.SUM_N_REFUSED]),
        "years": float(years),
        "dividends": float(row[nb.SUM_DIVIDENDS]),
        "dividend_tax": float(row[nb.SUM_DIV_TAX]),
    }


def summary_frame(rows: np.ndarray, dates: pd.DatetimeIndex, index=None,
                  periods_per_year: float | None = None) -> pd.DataFrame:
    """One row of :func:`summary_dict` metrics per portfolio, computed column-wise (no Python loop
    over portfolios, so 10^5 rows cost milliseconds); equal to :func:`summary_dict` row by row."""
    return pd.DataFrame(summary_columns(rows, dates, periods_per_year), index=index, columns=list(SUMMARY_COLUMNS))


def summary_columns(rows: np.ndarray, dates: pd.DatetimeIndex, periods_per_year: float | None = None) -> dict:
    """The columns of :func:`summary_frame` as arrays, in :data:`SUMMARY_COLUMNS` order (for a caller
    that puts them into one frame with columns of its own)."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, nb.SUM_SIZE)
    ppy = sessions_per_year(dates) if periods_per_year is None else float(periods_per_year)
    init, final = rows[:, nb.SUM_INIT_VALUE], rows[:, nb.SUM_FINAL_VALUE]
    n = rows[:, nb.SUM_N_RETURNS]
    years = annualise.years(n, ppy)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.where(n > 1, np.sqrt(rows[:, nb.SUM_RET_M2] / (n - 1)), np.nan)
        mean = np.where(n > 0, rows[:, nb.SUM_RET_MEAN], np.nan)
        ratio = final / init
        cagr = annualise.cagr(ratio, n, ppy)
        sharpe = np.where(std > 0, mean / std * np.sqrt(ppy), np.nan)
    costs = {k: rows[:, slot] for k, slot in (("commission", nb.SUM_COMMISSION), ("stamp", nb.SUM_STAMP),
                                                ("transfer", nb.SUM_TRANSFER), ("other", nb.SUM_OTHER),
                                                ("slippage", nb.SUM_SLIPPAGE), ("fund_fees", nb.SUM_FEES_ACCRUED))}
    total_costs = np.zeros(len(rows))
    for v in costs.values():  # same summation order as summary_dict's sum()
        total_costs = total_costs + v
    data = {
        "init_value": init,
        "final_value": final,
        "total_return": ratio - 1.0,
        "cagr": cagr,
        "max_drawdown": rows[:, nb.SUM_MAX_DRAWDOWN],
        "volatility_annual": std * np.sqrt(ppy),
        "sharpe": sharpe,
        "mean_daily_return": mean,
        "turnover": rows[:, nb.SUM_TURNOVER],
        "turnover_annual": np.where(years > 0, rows[:, nb.SUM_TURNOVER] / np.where(years > 0, years, 1.0), np.nan),
        **costs,
        "total_costs": total_costs,
        "n_filled": rows[:, nb.SUM_N_FILLED].astype(np.int64),
        "n_refused": rows[:, nb.SUM_N_REFUSED].astype(np.int64),
        "years": years,
        "dividends": rows[:, nb.SUM_DIVIDENDS],
        "dividend_tax": rows[:, nb.SUM_DIV_TAX],
    }
    return {c: data[c] for c in SUMMARY_COLUMNS}


@dataclass(frozen=True, eq=False)
class SimResult:
    """One simulated portfolio.

    Attributes
    ----------
    equity, cash : Series (CNY at each close).
    positions : DataFrame, shares held at each close.
    holdings : DataFrame, CNY value of each position at each close.
    weights : DataFrame, ``holdings / equity``.
    fills : DataFrame, every order (filled, cut or refused) with its costs and reason
        (see :func:`aibt.engine.records.fills_frame`); ``fill_records`` the raw structured array.
    costs : DataFrame, per day and kind (commission, stamp, transfer, other, slippage, fund_fees).
    traded : DataFrame, buy and sell value per day.
    turnover : Series, one-way daily turnover ``(buy + sell) / (2 x previous close equity)``.
    decisions : Series of bool, closes at which a rebalance was decided (filled next session).
    summary : dict, see :func:`summary_dict` (``dividends``: gross cash dividends credited;
        ``dividend_tax``: tax withheld).
    events : DataFrame, the corporate actions the portfolio lived through (see
        :func:`aibt.engine.records.events_frame`): dividends and share credits on ex-dates, dividend
        tax withheld at sales; ``event_records`` the raw structured array.
    """

    equity: pd.Series
    cash: pd.Series
    positions: pd.DataFrame
    holdings: pd.DataFrame
    weights: pd.DataFrame
    fills: pd.DataFrame
    fill_records: np.ndarray
    costs: pd.DataFrame
    traded: pd.DataFrame
    turnover: pd.Series
    decisions: pd.Series
    summary: dict
    meta: dict = field(default_factory=dict)
    events: pd.DataFrame | None = None
    event_records: np.ndarray | None = None

    @property
    def returns(self) -> pd.Series:
        """Daily simple returns of equity (first day NaN)."""
        return self.equity.pct_change()

    @property
    def costs_total(self) -> pd.Series:
        """Total cost by kind over the whole run."""
        return self.costs.sum()
