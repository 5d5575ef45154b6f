"""ETF mode: a fund that holds its index basket, accrues fees daily and reports NAV and tracking.

The fund launches on ``start`` with ``fund_size`` CNY in cash and NAV 1.0 per unit. At each close where
the index basket changes (point-in-time index weights; or on a schedule / drift band) it decides to
trade to ``(1 - cash_buffer) x index weights``; trades fill on the next session at the chosen price under
the trading rules and broker costs. Management and custody fees accrue every calendar day on the
previous close's net assets, each day at ``annual rate / days of its year`` (366 in a leap year, as fund
contracts state: 每日应计提的管理费 = 前一日基金资产净值 x 年费率 / 当年天数), and are charged at each
session's open: Friday -> Monday charges three days. For 588790 (Bosera STAR AI ETF) the rates are 0.50 % + 0.10 % a year. Fees are paid from cash; when
they exceed the cash buffer the fund's cash goes negative, which stands for fees payable (a liability in
the NAV) until the next rebalance, which re-weights on net assets and so raises the cash.

Reports: NAV per unit, the index normalised to 1.0 at ``start``, tracking difference (annualised fund
return minus annualised index return) and tracking error (annualised standard deviation of the daily
return difference).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from aibt.data.panel import Panel
from aibt.engine.result import SimResult, sessions_per_year
from aibt.engine.simulate import simulate
from aibt.engine.targets import align_weights
from aibt.errors import ConfigError, DataError
from aibt.universes.trading_rules import TradingRules

def accrual_fractions(dates, annual_rate: float, start: int = 0) -> np.ndarray:
    """Fee fraction of the previous close value charged at each session's open.

    Each calendar day in ``(date[t-1], date[t]]`` accrues ``annual_rate / days in that day's year`` (365,
    or 366 in a leap year); ``a[t]`` is their sum, for ``t > start``, and 0 up to ``start`` (the launch
    session).
    """
    d = pd.DatetimeIndex(dates)
    days_in_year = np.where(d.is_leap_year, 366.0, 365.0)
    # the year fraction elapsed at the end of day d, year + day_of_year / days_in_year, grows by exactly
    # 1 / days-in-year per calendar day; the whole years and the fractions are differenced apart
    whole = np.diff(d.year.to_numpy(np.float64))
    part = np.diff(d.day_of_year.to_numpy(np.float64) / days_in_year)
    out = np.zeros(len(d), dtype=np.float64)
    if len(d) > start + 1:
        out[start + 1:] = float(annual_rate) * (whole + part)[start:]
    return out


@njit(cache=True)
def tracking_stats_nb(nav, index):
    """Daily return difference statistics of ``nav`` vs ``index`` (both [T], positive).

    Returns ``(mean, std)`` of ``r_fund - r_index`` over the days where both returns exist (std with
    ddof=1; NaN when fewer than 2 days).
    """
    n = 0
    mean = 0.0
    m2 = 0.0
    for t in range(1, nav.shape[0]):
        if nav[t - 1] > 0 and index[t - 1] > 0 and not np.isnan(nav[t]) and not np.isnan(index[t]):
            d = (nav[t] / nav[t - 1] - 1.0) - (index[t] / index[t - 1] - 1.0)
            n += 1
            delta = d - mean
            mean += delta / n
            m2 += delta * (d - mean)
    if n < 2:
        return (mean if n == 1 else np.nan), np.nan
    return mean, np.sqrt(m2 / (n - 1))


@dataclass(frozen=True, eq=False)
class EtfResult:
    """ETF simulation: ``nav`` per unit and ``index`` (both 1.0 at launch), the underlying ``sim``
    (:class:`SimResult`, values in CNY), ``tracking_difference`` (daily cumulative ``nav - index``) and
    ``summary`` (tracking_difference_annual, tracking_error_annual, fees, total returns, ...)."""

    nav: pd.Series
    index: pd.Series
    tracking_difference: pd.Series
    sim: SimResult
    summary: dict


def _index_level(panel: Panel, weights: np.ndarray, index_level) -> np.ndarray:
    if index_level is None:
        # frictionless, fully invested basket, rebalanced on the same days: the index's total return
        ref = simulate(panel, weights, rules="frictionless", schedule=None, init_cash=1.0, price="close",
                       dividends="reinvest")
        return ref.equity.to_numpy()
    s = pd.Series(index_level).copy()
    s.index = pd.DatetimeIndex(pd.to_datetime(s.index))
    missing = panel.dates.difference(s.dropna().index)
    if len(missing):
        raise DataError(f"index level has no value on session {missing[0].date()}")
    lv = s.reindex(panel.dates).to_numpy(dtype=np.float64)
    if not (lv > 0).all():
        raise DataError("index level must be positive")
    return lv


def simulate_etf(
    panel: Panel,
    index_weights: pd.DataFrame,
    *,
    start=None,
    end=None,
    index_level: pd.Series | None = None,
    rules: TradingRules | None = None,
    price: str = "close",
    management_fee: float = 0.005,
    custody_fee: float = 0.001,
    cash_buffer: float = 0.005,
    fund_size: float = 1e8,
    commission: float = 0.0,
    min_commission: float = 0.0,
    slippage_bps: float = 0.0,
    schedule=None,
    drift_band: float | None = None,
    periods_per_year: float | None = None,
    dividends: str = "reinvest",
) -> EtfResult:
    """Simulate an index ETF.

    Parameters
    ----------
    panel : Panel with the basket's symbols.
    index_weights : DataFrame dates x symbols, the point-in-time index weights (each row sums to 1;
        rows may be given only on review dates, they are carried forward).
    start, end : launch and last date (default: the panel's first and last session).
    index_level : Series, optional. The index level to track (e.g. 950180); default: the total return
        of the basket rebalanced frictionlessly on the same days.
    rules : TradingRules for the panel's axes (None: frictionless trading).
    price : fill price ('close' by default, the fund trades at the close like index changes).
    management_fee, custody_fee : annual rates (fractions).
    cash_buffer : fraction of net assets kept in cash.
    fund_size : CNY at launch (units = fund_size, NAV 1.0).
    schedule : None = rebalance when the index weights change; or any schedule of :func:`simulate`.
    drift_band : also rebalance when a weight drifts this far from target.
    dividends : 'reinvest' (default: the fund puts each cash dividend back into the stock that paid it
        at the next session, as index funds do to limit cash drag) or 'cash' (held until the next
        rebalance). Bonus shares are credited as shares either way.

    Returns
    -------
    EtfResult
    """
    for name, v in (("management_fee", management_fee), ("custody_fee", custody_fee)):
        if not (0 <= v < 0.1):
            raise ConfigError(f"{name} must be an annual fraction in [0, 0.1), got {v!r}")
    if not (0 <= cash_buffer < 1):
        raise ConfigError(f"cash_buffer must be in [0, 1), got {cash_buffer!r}")
    sub = panel.select(start=start, end=end)
    if rules is not None:
        keep = panel.dates.get_indexer(sub.dates)
        rules = TradingRules(
            dates=sub.dates, symbols=rules.symbols, lot_min=rules.lot_min, lot_step=rules.lot_step,
            limit_pct=rules.limit_pct[keep], stamp_duty_buy=rules.stamp_duty_buy[keep],
            stamp_duty_sell=rules.stamp_duty_sell[keep], transfer_fee=rules.transfer_fee[keep],
            exchange_fee=rules.exchange_fee[keep], is_etf=rules.is_etf)
    iw = index_weights.loc[[d for d in index_weights.index if pd.Timestamp(d) <= sub.dates[-1]]]
    w_all, _ = align_weights(panel, iw)  # full axis: carries a review before ``start`` forward
    rows = panel.dates.get_indexer(sub.dates)
    w = w_all[rows]
    sums = w.sum(axis=1)
    if not (sums[0] > 0):
        raise ConfigError(f"no index weights on or before the launch date {sub.dates[0].date()}")
    changed = np.ones(len(w), dtype=bool)
    changed[1:] = np.abs(np.diff(w, axis=0)).max(axis=1) > 0
    target = np.where(changed[:, None], w * (1.0 - cash_buffer), np.nan)
    accrual = accrual_fractions(sub.dates, float(management_fee + custody_fee), 0)
    sim = simulate(sub, target, rules=rules, price=price, schedule=schedule, drift_band=drift_band,
                   init_cash=fund_size, commission=commission, min_commission=min_commission,
                   slippage_bps=slippage_bps, fee_accrual=accrual, periods_per_year=periods_per_year,
                   dividends=dividends)
    nav = sim.equity / fund_size
    nav.name = "nav"
    level = _index_level(sub, np.where(changed[:, None], w, np.nan), index_level)
    idx = pd.Series(level / level[0], index=sub.dates, name="index")
    mean_d, std_d = tracking_stats_nb(nav.to_numpy(), idx.to_numpy())
    ppy = sessions_per_year(sub.dates) if periods_per_year is None else float(periods_per_year)
    years = (sub.dates[-1] - sub.dates[0]).days / 365.25
    fund_tr = nav.iloc[-1] - 1.0
    idx_tr = idx.iloc[-1] - 1.0
    ann = (lambda r: (1.0 + r) ** (1.0 / years) - 1.0) if years > 0 else (lambda r: np.nan)
    summary = {
        "start": sub.dates[0],
        "end": sub.dates[-1],
        "fund_total_return": float(fund_tr),
        "index_total_return": float(idx_tr),
        "tracking_difference_total": float(fund_tr - idx_tr),
        "tracking_difference_annual": float(ann(fund_tr) - ann(idx_tr)),
        "tracking_error_annual": float(std_d * np.sqrt(ppy)),
        "mean_daily_difference": float(mean_d),
        "fees_accrued": float(sim.costs["fund_fees"].sum()),
        "trading_costs": float(sim.costs.drop(columns="fund_fees").sum().sum()),
        "annual_fee_rate": float(management_fee + custody_fee),
        "cash_buffer": float(cash_buffer),
    }
    return EtfResult(nav=nav, index=idx, tracking_difference=(nav - idx).rename("tracking_difference"),
                     sim=sim, summary=summary)
