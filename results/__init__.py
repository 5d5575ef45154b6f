"""results: what a return or price series means.

Public API (metrics, tables, reports); the writers, plots, HTML report and manifest live in their own
modules (:mod:`aibt.results.io`, :mod:`~aibt.results.plots`, :mod:`~aibt.results.report`,
:mod:`~aibt.results.manifest`) and are imported from there.

The names below are imported from their modules on first use (PEP 562), so that importing one
module of the package (``aibt stats`` needs the metrics and the report) does not load them all.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "alpha": ("aibt.results.metrics", "alpha"),
    "annual_volatility": ("aibt.results.metrics", "annual_volatility"),
    "best_day": ("aibt.results.metrics", "best_day"),
    "beta": ("aibt.results.metrics", "beta"),
    "cagr": ("aibt.results.metrics", "cagr"),
    "calmar": ("aibt.results.metrics", "calmar"),
    "cost_drag": ("aibt.results.metrics", "cost_drag"),
    "costs_paid": ("aibt.results.metrics", "costs_paid"),
    "drawdown_series": ("aibt.results.metrics", "drawdown_series"),
    "information_ratio": ("aibt.results.metrics", "information_ratio"),
    "max_drawdown": ("aibt.results.metrics", "max_drawdown"),
    "monthly_period_returns": ("aibt.results.metrics", "monthly_period_returns"),
    "sharpe": ("aibt.results.metrics", "sharpe"),
    "sortino": ("aibt.results.metrics", "sortino"),
    "total_return": ("aibt.results.metrics", "total_return"),
    "tracking_difference": ("aibt.results.metrics", "tracking_difference"),
    "tracking_error": ("aibt.results.metrics", "tracking_error"),
    "traded_value": ("aibt.results.metrics", "traded_value"),
    "turnover": ("aibt.results.metrics", "turnover"),
    "win_rate": ("aibt.results.metrics", "win_rate"),
    "worst_day": ("aibt.results.metrics", "worst_day"),
    "average_drawdown": ("aibt.results.metrics", "average_drawdown"),
    "conditional_value_at_risk": ("aibt.results.metrics", "conditional_value_at_risk"),
    "correlation": ("aibt.results.metrics", "correlation"),
    "down_capture": ("aibt.results.metrics", "down_capture"),
    "exposure": ("aibt.results.metrics", "exposure"),
    "kurtosis": ("aibt.results.metrics", "kurtosis"),
    "longest_drawdown": ("aibt.results.metrics", "longest_drawdown"),
    "omega_ratio": ("aibt.results.metrics", "omega_ratio"),
    "period_returns": ("aibt.results.metrics", "period_returns"),
    "r_squared": ("aibt.results.metrics", "r_squared"),
    "recovery_factor": ("aibt.results.metrics", "recovery_factor"),
    "roll_beta": ("aibt.results.metrics", "roll_beta"),
    "roll_sharpe": ("aibt.results.metrics", "roll_sharpe"),
    "roll_tracking_error": ("aibt.results.metrics", "roll_tracking_error"),
    "roll_volatility": ("aibt.results.metrics", "roll_volatility"),
    "rolling": ("aibt.results.metrics", "rolling"),
    "skew": ("aibt.results.metrics", "skew"),
    "tail_ratio": ("aibt.results.metrics", "tail_ratio"),
    "tracking_deviation": ("aibt.results.metrics", "tracking_deviation"),
    "trailing_returns": ("aibt.results.metrics", "trailing_returns"),
    "ulcer_index": ("aibt.results.metrics", "ulcer_index"),
    "up_capture": ("aibt.results.metrics", "up_capture"),
    "value_at_risk": ("aibt.results.metrics", "value_at_risk"),
    "best_month_return": ("aibt.results.metrics", "best_month"),
    "worst_month_return": ("aibt.results.metrics", "worst_month"),
    "annualization_factor": ("aibt.results.periods", "annualization_factor"),
    "periods_per_year_for_index": ("aibt.results.periods", "periods_per_year_for_index"),
    "sessions_per_year": ("aibt.results.periods", "sessions_per_year"),
    "compare_reports": ("aibt.results.stats_report", "compare_reports"),
    "stats_report": ("aibt.results.stats_report", "stats_report"),
    "validate_prices": ("aibt.results.stats_report", "validate_prices"),
    "best_month": ("aibt.results.tables", "best_month"),
    "drawdown_table": ("aibt.results.tables", "drawdown_table"),
    "holding_period_returns": ("aibt.results.tables", "holding_period_returns"),
    "monthly_returns": ("aibt.results.tables", "monthly_returns"),
    "monthly_returns_table": ("aibt.results.tables", "monthly_returns_table"),
    "profit_probability": ("aibt.results.tables", "profit_probability"),
}

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


def __getattr__(name: str):
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'aibt.results' has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
