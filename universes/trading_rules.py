"""Market rules as the engine's kernels need them: arrays compiled from the dated rule tables.

``compile_rules`` (below) turns the security master and the point-in-time board/fee tables into a
:class:`TradingRules` for a given date axis and symbol list. The engine never looks a rule up by
itself; it only reads these arrays, so every rule that applied on a date is the one used on that date.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class TradingRules:
    """Per-date, per-symbol market rules (float64 arrays; rates are fractions of traded value).

    Attributes
    ----------
    dates, symbols : the axes, identical to the panel's.
    lot_min : [N] smallest buy order in shares (Main/ChiNext/ETF 100, STAR 200, HK board lot).
    lot_step : [N] increment above the minimum (Main/ChiNext/ETF 100, STAR 1, HK board lot).
    limit_pct : [T, N] daily price limit vs previous close (0.10, 0.20, 0.05); NaN = no limit
        (HK; STAR/ChiNext-registration first 5 sessions after listing).
    stamp_duty_buy, stamp_duty_sell : [T, N] stamp duty rates (A-share: sell side only, 0.1% before
        2023-08-28, 0.05% from then; ETFs 0; HK 0.1% both sides since 2023-11-17, 0.13% before).
    transfer_fee : [T, N] transfer fee rate, both sides (A-shares; 0 for HK and ETFs).
    exchange_fee : [T, N] other statutory fees, both sides (HK trading fee, SFC and AFRC levies).
    is_etf : [N] bool.
    """

    dates: pd.DatetimeIndex
    symbols: tuple[str, ...]
    lot_min: np.ndarray
    lot_step: np.ndarray
    limit_pct: np.ndarray
    stamp_duty_buy: np.ndarray
    stamp_duty_sell: np.ndarray
    transfer_fee: np.ndarray
    exchange_fee: np.ndarray
    is_etf: np.ndarray
