"""engine: how a portfolio lives.

Numba kernels (:mod:`aibt.engine.nb`, day-step building blocks reusable by strategy kernels) and thin
pandas-facing wrappers:

- :func:`simulate` - one target-weight portfolio -> :class:`SimResult`
- :func:`simulate_many` - many portfolios in parallel, optionally summary-only -> :class:`ManyResult`
- :func:`simulate_etf` - an index ETF with fee accrual, NAV and tracking -> :class:`EtfResult`
- :func:`build_market` - the kernels' market arrays from a Panel and TradingRules
"""
from aibt.engine.etf import EtfResult, simulate_etf
from aibt.engine.market import build_market
from aibt.engine.records import REASONS, fills_frame
from aibt.engine.result import SimResult, summary_frame
from aibt.engine.schedule import schedule_mask
from aibt.engine.simulate import ManyResult, cost_params, simulate, simulate_many

__all__ = [
    "EtfResult",
    "ManyResult",
    "REASONS",
    "SimResult",
    "build_market",
    "cost_params",
    "fills_frame",
    "schedule_mask",
    "simulate",
    "simulate_etf",
    "simulate_many",
    "summary_frame",
]
