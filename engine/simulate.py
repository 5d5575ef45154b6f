"""Pandas-facing wrappers: check inputs, align panel and rules, call the kernels, label the results.

Timing: target weights of row ``t`` (decided with information up to the close of ``t``) fill at the
chosen price of session ``t + 1``; a rebalance on the last row never fills. See :mod:`aibt.engine.nb`
for the order rules and :mod:`aibt.engine.market` for the price model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from aibt.data.panel import Panel
from aibt.engine import nb
from aibt.engine.market import build_market
from aibt.engine.records import events_frame, fills_frame
from aibt.engine.result import COST_KINDS, SimResult, summary_dict, summary_frame
from aibt.engine.schedule import schedule_mask
from aibt.engine.targets import align_weights, validate_and_fill
from aibt.errors import AibtError, ConfigError
from aibt.universes.trading_rules import TradingRules


def cost_params(commission: float, min_commission: float, slippage_bps: float) -> nb.CostParams:
    """Validated :class:`~aibt.engine.nb.CostParams` (commission as a fraction, e.g. 0.00025)."""
    for name, v in (("commission", commission), ("min_commission", min_commission),
                    ("slippage_bps", slippage_bps)):
        if not np.isfinite(v) or v < 0:
            raise ConfigError(f"{name} must be a finite number >= 0, got {v!r}")
    if commission >= 0.1:
        raise ConfigError(f"commission {commission!r} looks like a percent; give a fraction (0.00025 = 0.025%)")
    return nb.CostParams(float(commission), float(min_commission), float(slippage_bps) * 1e-4)


def _check_cash(init_cash: float) -> float:
    if not np.isfinite(init_cash) or init_cash <= 0:
        raise ConfigError(f"init_cash must be a positive number, got {init_cash!r}")
    return float(init_cash)


def _band(drift_band) -> float:
    if drift_band is None:
        return np.nan
    b = float(drift_band)
    if not np.isfinite(b) or b <= 0 or b >= 1:
        raise ConfigError(f"drift_band must be in (0, 1), got {drift_band!r}")
    return b


DIVIDEND_CHOICES = ("cash", "reinvest")
TAX_LOTS = 16  # FIFO buy lots kept per symbol for the dividend tax (more merge into the newest)


def policy(carry_unfilled: bool, dividends: str) -> nb.Policy:
    """Validated :class:`~aibt.engine.nb.Policy`."""
    if dividends not in DIVIDEND_CHOICES:
        raise ConfigError(f"dividends must be one of {DIVIDEND_CHOICES}, got {dividends!r}")
    return nb.Policy(bool(carry_unfilled), dividends == "reinvest")


#: Values of ``rules`` besides a :class:`TradingRules`: ``"auto"`` (the default: the A-share rules when
#: every symbol of the panel is in the security master, else frictionless, said in ``meta["rules"]``),
#: ``"a-share"`` (the A-share rules; an unknown symbol is an error), ``"frictionless"`` (fractional
#: shares, no lots, limits or taxes; ``None`` means the same).
RULE_CHOICES = ("auto", "a-share", "frictionless")


def resolve_rules(panel: Panel, rules) -> tuple[TradingRules | None, str]:
    """The :class:`TradingRules` (or None for frictionless) that ``rules`` asks for, and its label."""
    if isinstance(rules, TradingRules):
        return rules, "given"
    if rules is None or rules == "frictionless":
        return None, "frictionless"
    if not isinstance(rules, str) or rules not in RULE_CHOICES:
        raise ConfigError(f"rules must be one of {RULE_CHOICES} or a TradingRules, got {rules!r}")
    from aibt.universes.master import security_master
    from aibt.universes.trading_rules import compile_rules

    master = security_master()
    unknown = [s for s in panel.symbols if s not in master]
    if not unknown:
        return compile_rules(panel.dates, panel.symbols), "a-share"
    if rules == "a-share":
        raise ConfigError(f"rules='a-share' needs every symbol in the security master; unknown: "
                          f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''} (pass "
                          "rules='frictionless' or compiled TradingRules)")
    return None, f"frictionless (not in the security master: {', '.join(unknown[:3])}{' ...' if len(unknown) > 3 else ''})"


def market_for(panel: Panel, rules: TradingRules | None, price: str, volume_limit, dividend_tax: bool,
               hk_withholding: float, hk_pay_lag: int) -> tuple[nb.Market, int]:
    """The kernels' market arrays and the number of tax lots per symbol they need (0 without tax)."""
    mkt = build_market(panel, rules, price, volume_limit=volume_limit, dividend_tax=dividend_tax,
                       hk_withholding=hk_withholding, hk_pay_lag=hk_pay_lag)
    return mkt, (TAX_LOTS if bool(mkt.taxable.any()) else 0)


def _accrual(accrual, t: int) -> np.ndarray:
    if accrual is None:
        return np.zeros(t)
    a = np.ascontiguousarray(np.asarray(accrual, dtype=np.float64))
    if a.shape != (t,) or not np.isfinite(a).all() or (a < 0).any():
        raise ConfigError(f"fee accrual must be {t} finite fractions >= 0")
    return a


def simulate(
    panel: Panel,
    weights,
    *,
    rules: TradingRules | str | None = "auto",
    price: str = "open",
    schedule=None,
    drift_band: float | None = None,
    init_cash: float = 1_000_000.0,
    commission: float = 0.0,
    min_commission: float = 0.0,
    slippage_bps: float = 0.0,
    carry_unfilled: bool = True,
    fee_accrual=None,
    max_fills: int | None = None,
    periods_per_year: float | None = None,
    dividends: str = "cash",
    dividend_tax: bool = True,
    volume_limit: float | None = None,
    hk_withholding: float = 0.2,
    hk_pay_lag: int = 15,
) -> SimResult:
    """Simulate one target-weight portfolio.

    Parameters
    ----------
    panel : Panel
        Market data; prices adjusted, ``adj_factor`` gives the traded prices.
    weights : DataFrame (dates x symbols) or ndarray [T, N]
        Target weights decided at each close (see :func:`aibt.engine.targets.align_weights`).
    rules : 'auto', 'a-share', 'frictionless' or TradingRules
        Default 'auto': the A-share rules (:func:`aibt.universes.trading_rules.compile_rules` for the
        panel's axes) when all its securities are in the security master, else frictionless;
        ``meta["rules"]`` says which. 'frictionless' (or None) = fractional shares, no lots, limits
        or taxes: an explicit choice.
    price : {'open', 'close', 'vwap'}
        Fill price on the session after the decision.
    schedule : None, 'daily', 'weekly', 'monthly', 'quarterly', 'never' or a list of dates
        Decision days (see :mod:`aibt.engine.schedule`); None = the rows where weights were given.
    drift_band : float, optional
        Also rebalance after a close where some held weight is further than this from its target.
    init_cash : float, CNY.
    commission, min_commission, slippage_bps : broker costs: rate (fraction), minimum per order (CNY),
        slippage against the trader in basis points of the fill price.
    carry_unfilled : bool
        Orders refused for suspension, price limit or T+1 stay pending and are retried each session
        until filled or replaced by a new rebalance (True), or are dropped (False).
    fee_accrual : array [T], optional
        Fraction of the previous close value charged at each session's open (fund fees, ETF mode).
    max_fills : int, optional
        Capacity for fill records (default ``T x N``; enough for one order per symbol per day).
    periods_per_year : float, optional
        For annualising volatility/Sharpe in the summary (default: sessions per year of the panel).
    dividends : {'cash', 'reinvest'}
        Cash dividends from the panel's event table are credited to cash on the ex-date ('cash'), or
        also reinvested in whole lots of the same security at the next session's fill price through
        the normal order path ('reinvest'). Bonus shares and splits are credited as whole shares in
        lot mode, the fraction in cash.
    dividend_tax : bool
        Withhold the A-share differential dividend tax at sales (FIFO lots; see :mod:`aibt.engine.nb`).
    volume_limit : float, optional
        Most shares one order may fill as a fraction of the session's volume (e.g. 0.25); the rest
        carries (when ``carry_unfilled``) with reason ``volume_limit``.
    hk_withholding, hk_pay_lag : dividend withholding and pay lag (sessions) of foreign listings.

    Returns
    -------
    SimResult
    """
    t, n = panel.shape
    if t < 2:
        raise ConfigError("the panel needs at least 2 sessions to simulate a decision and its fill")
    w, given = align_weights(panel, weights)
    mask = schedule_mask(panel.dates, schedule, given)
    rules, rules_label = resolve_rules(panel, rules)
    pol = policy(carry_unfilled, dividends)
    mkt, lots = market_for(panel, rules, price, volume_limit, dividend_tax, hk_withholding, hk_pay_lag)
    cost = cost_params(commission, min_commission, slippage_bps)
    cap = int(max_fills) if max_fills is not None else t * n
    ev_cap = int(np.count_nonzero((mkt.cash_div != 0) | (mkt.share_mult != 1))) * 2 + cap
    eq, cash, shares, costs, traded, decided, recs, n_fills, evs, n_ev, summ = nb.simulate_arrays(
        w, mask, _band(drift_band), mkt, cost, pol, _check_cash(init_cash), _accrual(fee_accrual, t), lots, cap,
        ev_cap)
    if n_fills > cap:
        raise ConfigError(f"{n_fills} orders but max_fills={cap}; raise max_fills")
    dates, cols = panel.dates, list(panel.symbols)
    equity = pd.Series(eq, index=dates, name="equity")
    holdings = pd.DataFrame(np.nan_to_num(shares * mkt.close_price), index=dates, columns=cols)
    prev_eq = np.concatenate([[init_cash], eq[:-1]])
    turnover = (traded[:, 0] + traded[:, 1]) / (2.0 * prev_eq)
    return SimResult(
        equity=equity,
        cash=pd.Series(cash, index=dates, name="cash"),
        positions=pd.DataFrame(shares, index=dates, columns=cols),
        holdings=holdings,
        weights=holdings.div(equity, axis=0),
        fills=fills_frame(recs, dates, panel.symbols),
        fill_records=recs,
        costs=pd.DataFrame(costs, index=dates, columns=list(COST_KINDS)),
        traded=pd.DataFrame(traded, index=dates, columns=["buy", "sell"]),
        turnover=pd.Series(turnover, index=dates, name="turnover"),
        decisions=pd.Series(decided, index=dates, name="decision"),
        summary=summary_dict(summ, dates, periods_per_year),
        meta={"price": price, "frictionless": rules is None, "rules": rules_label, "carry_unfilled": bool(carry_unfilled),
              "dividends": dividends, "dividend_tax": bool(dividend_tax) and lots > 0,
              "volume_limit": volume_limit},
        events=events_frame(evs, dates, panel.symbols),
        event_records=evs,
    )


@dataclass(frozen=True, eq=False)
class ManyResult:
    """Result of :func:`simulate_many`: ``summary`` (one row per portfolio) and, unless
    ``summary_only``, ``equity`` (dates x portfolios)."""

    summary: pd.DataFrame
    equity: pd.DataFrame | None


def simulate_many(
    panel: Panel,
    weights,
    *,
    names: Sequence | None = None,
    rules: TradingRules | str | None = "auto",
    price: str = "open",
    schedule=None,
    schedules: Sequence | None = None,
    drift_band=None,
    init_cash: float = 1_000_000.0,
    commission: float = 0.0,
    min_commission: float = 0.0,
    slippage_bps: float = 0.0,
    carry_unfilled: bool = True,
    fee_accrual=None,
    summary_only: bool = True,
    periods_per_year: float | None = None,
    dividends: str = "cash",
    dividend_tax: bool = True,
    volume_limit: float | None = None,
    hk_withholding: float = 0.2,
    hk_pay_lag: int = 15,
) -> ManyResult:
    """Simulate many portfolios on one panel in parallel (chunks of portfolios on threads, :mod:`aibt.engine.parallel`).

    Parameters
    ----------
    weights : ndarray [C, T, N] or a list of DataFrames / [T, N] arrays, one per portfolio.
    names : labels of the portfolios (default 0..C-1).
    schedule : one schedule for all portfolios (as in :func:`simulate`).
    schedules : optional list with one schedule per portfolio (overrides ``schedule``).
    drift_band : None, a float, or a sequence with one per portfolio.
    summary_only : keep only per-portfolio metrics (memory O(C), no per-day arrays).
    Other parameters as in :func:`simulate`, shared by all portfolios.

    Returns
    -------
    ManyResult
    """
    t, n = panel.shape
    if t < 2:
        raise ConfigError("the panel needs at least 2 sessions to simulate a decision and its fill")
    items = list(weights) if not isinstance(weights, np.ndarray) else None
    if isinstance(weights, np.ndarray):
        if weights.ndim != 3 or weights.shape[1:] != (t, n):
            raise ConfigError(f"weights array has shape {weights.shape}, expected (C, {t}, {n})")
        items = [weights[c] for c in range(weights.shape[0])]
    c_len = len(items)
    if c_len == 0:
        raise ConfigError("simulate_many needs at least one portfolio")
    labels = list(names) if names is not None else list(range(c_len))
    if len(labels) != c_len:
        raise ConfigError(f"{len(labels)} names for {c_len} portfolios")
    if schedules is not None:
        scheds = list(schedules)
        if len(scheds) != c_len:
            raise ConfigError(f"schedules has {len(scheds)} entries for {c_len} portfolios")
    else:
        scheds = [schedule] * c_len
    if isinstance(drift_band, (list, tuple, np.ndarray)):
        if len(drift_band) != c_len:
            raise ConfigError(f"drift_band has {len(drift_band)} values for {c_len} portfolios")
        bands = np.array([_band(b) for b in drift_band])
    else:
        bands = np.full(c_len, _band(drift_band))
    mask_all = np.empty((c_len, t), dtype=bool)
    if isinstance(weights, np.ndarray):  # one vectorised check and fill for all portfolios
        try:
            raw = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"weights cannot be read as a [C, T, N] array of numbers ({exc})") from None
        w_all, given_all = validate_and_fill(panel, raw, labels)
        masks = {}
        for c, sc in enumerate(scheds):
            if sc is None:
                mask_all[c] = given_all[c]
            else:  # named schedules are shared: compute each once
                key = sc if isinstance(sc, str) else id(sc)
                if key not in masks:
                    masks[key] = schedule_mask(panel.dates, sc, given_all[c])
                mask_all[c] = masks[key]
    else:
        w_all = np.empty((c_len, t, n))
        for c, (wc, sc) in enumerate(zip(items, scheds)):
            try:
                w_all[c], given = align_weights(panel, wc)
            except AibtError as exc:  # name the portfolio
                raise type(exc)(f"portfolio {labels[c]!r}: {exc}") from None
            mask_all[c] = schedule_mask(panel.dates, sc, given)
    rules, _ = resolve_rules(panel, rules)
    pol = policy(carry_unfilled, dividends)
    mkt, lots = market_for(panel, rules, price, volume_limit, dividend_tax, hk_withholding, hk_pay_lag)
    cost = cost_params(commission, min_commission, slippage_bps)
    from aibt.engine.parallel import run_chunks

    eq = np.empty((c_len, 0 if summary_only else t), dtype=np.float64)
    summ = np.empty((c_len, nb.SUM_SIZE), dtype=np.float64)
    cash, accrual, lots = np.float64(_check_cash(init_cash)), _accrual(fee_accrual, t), np.int64(lots)
    keep = np.bool_(not summary_only)
    n = w_all.shape[2]

    def chunk(a, b):  # each chunk on its own state (the chunks of two threads run at once)
        nb.simulate_range_nb(np.int64(a), np.int64(b), w_all, mask_all, bands, mkt, cost, pol, cash, accrual, eq, summ,
                             keep, *nb.sweep_scratch(n, cash, lots))

    run_chunks(chunk, c_len)
    equity = None if summary_only else pd.DataFrame(eq.T, index=panel.dates, columns=labels)
    return ManyResult(summary=summary_frame(summ, panel.dates, labels, periods_per_year), equity=equity)

