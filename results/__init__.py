"""results: what a return or price series means.

Public API (metrics, tables, reports); the writers, plots, HTML report and manifest live in their own
modules (:mod:`aibt.results.io`, :mod:`~aibt.results.plots`, :mod:`~aibt.results.report`,
:mod:`~aibt.results.manifest`) and are imported from there.
"""
from aibt.results.metrics import (
    alpha,
    annual_volatility,
    best_day,
    beta,
    cagr,
    calmar,
    cost_drag,
    costs_paid,
    drawdown_series,
    information_ratio,
    max_drawdown,
    monthly_period_returns,
    sharpe,
    sortino,
    total_return,
    tracking_difference,
    tracking_error,
    traded_value,
    turnover,
    win_rate,
    worst_day,
)
from aibt.results.metrics import (
    average_drawdown,
    conditional_value_at_risk,
    correlation,
    down_capture,
    exposure,
    kurtosis,
    longest_drawdown,
    omega_ratio,
    period_returns,
    r_squared,
    recovery_factor,
    roll_beta,
    roll_sharpe,
    roll_tracking_error,
    roll_volatility,
    rolling,
    skew,
    tail_ratio,
    tracking_deviation,
    trailing_returns,
    ulcer_index,
    up_capture,
    value_at_risk,
)
from aibt.results.metrics import best_month as best_month_return
from aibt.results.metrics import worst_month as worst_month_return
from aibt.results.periods import annualization_factor, periods_per_year_for_index, sessions_per_year
from aibt.results.stats_report import compare_reports, stats_report, validate_prices
from aibt.results.tables import (
    best_month,
    drawdown_table,
    holding_period_returns,
    monthly_returns,
    monthly_returns_table,
    profit_probability,
)

__all__ = [
    "alpha", "annual_volatility", "best_day", "beta", "cagr", "calmar", "cost_drag", "costs_paid",
    "drawdown_series", "information_ratio", "max_drawdown", "monthly_period_returns", "sharpe", "sortino",
    "total_return", "tracking_difference", "tracking_error", "traded_value", "turnover", "win_rate",
    "worst_day", "best_month_return", "worst_month_return",
    "average_drawdown", "conditional_value_at_risk", "correlation", "down_capture", "exposure", "kurtosis",
    "longest_drawdown", "omega_ratio", "period_returns", "r_squared", "recovery_factor", "roll_beta",
    "roll_sharpe", "roll_tracking_error", "roll_volatility", "rolling", "skew", "tail_ratio",
    "tracking_deviation", "trailing_returns", "ulcer_index", "up_capture", "value_at_risk",
    "annualization_factor", "periods_per_year_for_index", "sessions_per_year",
    "compare_reports", "stats_report", "validate_prices",
    "best_month", "drawdown_table", "holding_period_returns", "monthly_returns", "monthly_returns_table",
    "profit_probability",
]
