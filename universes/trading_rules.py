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


def compile_rules(dates, symbols, master=None) -> TradingRules:
    """Compile the dated board and fee tables into :class:`TradingRules` for a date axis and symbol list.

    Parameters
    ----------
    dates : DatetimeIndex-like
        The panel's session dates (strictly increasing). Also the axis on which the "first 5 sessions after
        listing" are counted.
    symbols : sequence of str
        Codes in panel order; each must be in ``master``.
    master : SecurityMaster, optional
        Defaults to the committed :func:`~aibt.universes.master.security_master`.

    Returns
    -------
    TradingRules
        ``lot_min``/``lot_step`` [N]; ``limit_pct``, ``stamp_duty_buy``, ``stamp_duty_sell``, ``transfer_fee``,
        ``exchange_fee`` [T, N] float64 (NaN limit = no limit); ``is_etf`` [N] bool.

    Raises
    ------
    UniverseError
        An unknown symbol (with close matches), unsorted/duplicate dates, or a date before a rule table starts.
    """
    from aibt.errors import UniverseError
    from aibt.universes import board_rules, fees
    from aibt.universes.master import security_master

    master = security_master() if master is None else master
    idx = pd.DatetimeIndex(dates)
    if idx.has_duplicates or not idx.is_monotonic_increasing:
        raise UniverseError("compile_rules needs strictly increasing dates without duplicates")
    syms = tuple(str(s) for s in symbols)
    t, n = len(idx), len(syms)
    lot_min = np.empty(n)
    lot_step = np.empty(n)
    arrays = {k: np.empty((t, n)) for k in ("limit_pct", "stamp_duty_buy", "stamp_duty_sell", "transfer_fee",
                                            "exchange_fee")}
    is_etf = np.zeros(n, dtype=bool)
    for j, code in enumerate(syms):
        sec = master.get(code)
        lot_min[j], lot_step[j] = board_rules.lot_size(sec)
        arrays["limit_pct"][:, j] = board_rules.limit_pct(sec, idx)
        arrays["stamp_duty_buy"][:, j], arrays["stamp_duty_sell"][:, j] = fees.stamp_duty(sec, idx)
        arrays["transfer_fee"][:, j] = fees.transfer_fee(sec, idx)
        arrays["exchange_fee"][:, j] = fees.exchange_fee(sec, idx)
        is_etf[j] = sec.kind == "etf"
    return TradingRules(dates=idx, symbols=syms, lot_min=lot_min, lot_step=lot_step, is_etf=is_etf, **arrays)
