"""Independent cross-check of the aibt engine against rqalpha (an optional extra: ``pip install 'aibt[crosscheck]'``).

What it does
------------
1. Writes a minimal rqalpha data bundle (a temporary folder) from the aibt snapshot, for the symbols the
   strategies use only: ``stocks.h5`` (traded prices, volume, total_turnover, and ``limit_up`` /
   ``limit_down`` computed here from the exchange rule, independently of aibt's ``build_market``),
   ``indexes.h5`` (000001.XSHG, which rqalpha reads for its data range), ``dividends.h5`` /
   ``split_factor.h5`` / ``ex_cum_factor.h5`` from the panel's event table, ``suspended_days.h5``,
   ``trading_dates.npy`` (XSHG sessions), ``instruments.pk`` and the few files rqalpha opens at start-up
   whatever the strategy (see :func:`write_bundle`).
2. Runs the same strategies in both engines (same target weights, same decision dates, same sizing
   formula; execution, lots, limits, suspensions, volume cap, costs and corporate actions are each
   engine's own):
   (a) ``dividend_hold``: buy-and-hold of three dividend payers (600183, 603228, 002463), 2021-03 to 2025-12,
       cash dividends to cash; again with reinvestment (``+reinvest``);
   (a2) ``bonus_hold``: buy-and-hold of 300308/300502/300394 over their 10转4 bonus issues, 2023-2025;
   (b) ``pcb_monthly``: equal weight PCB basket rebalanced after each month end, fills at the close;
   (c) ``optical_daily``: a daily rotation into the two names (optical + 688041/688158) with the highest
       return of the decision day, fills at the next open, 25 % volume cap: it meets limit-up opens,
       limit-down closes and a suspension; again with the differential dividend tax on in both
       (``+dividend_tax``) and with 300 M CNY so that the volume cap binds (``optical_daily_300m``).
3. Compares fills (date, symbol, side, shares, price, commission, stamp duty), orders refused for a
   limit or a suspension, corporate actions credited (date, symbol, cash, shares), dividend tax and
   final values, gives each differing row its cause, prints a table, writes ``benchmarks/results/crosscheck_rqalpha.json`` and ``.md``,
   and times both engines (one run each, same machine).

The expected values come from rqalpha; nothing of aibt's engine (its limits, lots, dividend handling)
is used to produce them. The bundle's *data* (bars, events, calendar) is the aibt snapshot's, since the
point is to check the engine, not the data.

Run: ``python benchmarks/crosscheck_rqalpha.py [--json PATH] [--md PATH] [--only NAME ...]``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import pickle
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from aibt.data.calendar import xshg_sessions
from aibt.data.panel import Panel
from aibt.data.snapshot import load_securities, load_snapshot, snapshot_hash
from aibt.engine import simulate
from aibt.engine.schedule import schedule_mask
from aibt.universes import compile_rules

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")

# rqalpha's stock commission is 0.0008 x ``stock_commission_multiplier``; 0.00025 = multiplier 0.3125
COMMISSION = 0.00025
MIN_COMMISSION = 5.0
INIT_CASH = 1_000_000.0


# ============================================================================= strategies
@dataclass
class Plan:
    """One strategy: its symbols, dates, target weights (rows = decision closes), fill price, caps."""

    name: str
    description: str
    symbols: list
    start: str
    end: str
    price: str  # 'open' or 'close' of the session after the decision
    volume_limit: float | None
    init_cash: float = INIT_CASH
    panel: Panel | None = None
    weights: pd.DataFrame | None = None  # panel.dates x symbols, NaN rows = no decision
    decisions: np.ndarray | None = None  # bool [T]
    notes: list = field(default_factory=list)
    meta_reinvest: bool = False

    @property
    def kind(self) -> str:
        """'hold', 'monthly' or 'rotation' (from the name: dividend_hold*, pcb_monthly*, optical_daily*)."""
        return "hold" if "hold" in self.name else "monthly" if "monthly" in self.name else "rotation"


def _ensure_events(panel: Panel, plan_notes: list) -> Panel:
    """The panel's event table. A snapshot without one (format < 3) gets a development fallback from
    the adj_factor steps larger than 0.5 %: a step of x1.1 or more is a bonus/transfer issue of the
    nearest tenth per share (10转4 = 0.4) plus the rest as cash, a smaller one a cash dividend; said so
    in the notes."""
    if len(panel.events):
        plan_notes.append(f"event table: the snapshot's ({len(panel.events)} events in range)")
        return panel
    fac = panel.fields["adj_factor"]
    close = panel.traded("close", 0.01)
    rows = []
    for j, sym in enumerate(panel.symbols):
        ok = np.flatnonzero(np.isfinite(fac[:, j]) & np.isfinite(close[:, j]))
        for a, b in zip(ok[:-1], ok[1:]):
            step = fac[a, j] / fac[b, j]  # previous close / ex-rights reference
            if abs(step - 1.0) <= 5e-3:
                continue
            prev = close[a, j]
            ref = prev / step
            shares = round(step, 1) - 1.0 if step >= 1.1 else 0.0
            cash = max(prev - (1.0 + shares) * ref, 0.0)
            rows.append({"symbol": sym, "ex_date": panel.dates[b], "cash": round(cash, 4), "shares": shares,
                         "split": 1.0, "confidence": "inferred", "evidence": f"adj_factor step x{step:.4f}"})
    ev = pd.DataFrame(rows)
    plan_notes.append(f"event table: snapshot has none; {len(ev)} events inferred from adj_factor steps > 0.5 % "
                      "(development fallback)")
    return Panel(panel.dates, panel.symbols, panel.fields, panel.tradable, panel.currency, panel.fx_to_cny,
                 dict(panel.meta), ev)


def make_plans() -> list[Plan]:
    plans = []

    # (a) buy-and-hold of dividend payers: one decision on the first session, never rebalanced
    p = Plan("dividend_hold", "buy-and-hold 600183/603228/002463 equal weight, fill at the open, "
             "cash dividends to cash", ["600183", "603228", "002463"], "2021-03-01", "2025-12-31", "open", None)
    plans.append(p)

    # (a2) buy-and-hold of optical names with bonus / transfer issues (10转4: 300502 2023-06-08 and
    # 2025-05-28, 300308 2024-06-06, 300394 2025-06-09) and cash dividends
    p = Plan("bonus_hold", "buy-and-hold 300308/300502/300394 equal weight, fill at the open: bonus and transfer "
             "shares credited as whole shares, cash dividends to cash", ["300308", "300502", "300394"],
             "2023-01-03", "2025-12-31", "open", None)
    plans.append(p)

    # (b) PCB basket, equal weight, monthly (last session of each month), fill at the next close
    p = Plan("pcb_monthly", "PCB basket equal weight, rebalanced after each month end, fill at the close",
             ["300476", "603228", "002463", "600183"], "2024-01-02", "2025-12-31", "close", None)
    plans.append(p)

    # (c) daily rotation among the optical names (plus two STAR AI names with limit-up opens and a
    # suspension): the 2 with the highest return of the decision day, 0.49 each, fill at the next open.
    # The window holds 2024-10-08 (limit-up opens after the holiday), 688158's three limit-up opens of
    # 2025-02-05..07, 301486's suspension 2025-04-08..21 and limit-up open on 04-22, 688041's
    # suspension from 2025-05-26 and 688313's from 2025-06-30.
    rot = ["300308", "300502", "300394", "300548", "300570", "688048", "688498", "688313", "301486",
           "688041", "688158"]
    p = Plan("optical_daily", "optical + 688041/688158, daily: the 2 with the highest return of the decision "
             "day, 0.49 each, fill at the next open, 25 % volume cap", rot, "2024-09-02", "2025-07-31", "open", 0.25)
    plans.append(p)
    # (d) the same rotation with 300 M CNY, so the 25 % volume cap binds
    p = Plan("optical_daily_300m", "as optical_daily with 300 M CNY: the 25 % volume cap binds", rot,
             "2024-09-02", "2025-07-31", "open", 0.25, init_cash=3e8)
    plans.append(p)
    return plans


def prepare(plan: Plan) -> Plan:
    panel = load_snapshot(plan.symbols, start=plan.start, end=plan.end)
    panel = _ensure_events(panel, plan.notes)
    t, n = panel.shape
    w = pd.DataFrame(np.nan, index=panel.dates, columns=list(panel.symbols))
    if plan.kind == "hold":
        w.iloc[0] = 1.0 / n * 0.99
        dec = np.zeros(t, dtype=bool)
        dec[0] = True
    elif plan.kind == "monthly":
        dec = schedule_mask(panel.dates, "monthly")
        dec[-1] = False
        w.loc[dec] = 0.99 / n
    else:  # rotation
        ok = panel.tradable
        # return of the decision day on adjusted closes (corporate actions do not move it)
        adj = panel.fields["close"]
        ret = np.full_like(adj, np.nan)
        ret[1:] = adj[1:] / adj[:-1] - 1.0
        ret[~ok] = np.nan
        dec = np.ones(t, dtype=bool)
        dec[-1] = False
        vals = np.zeros((t, n))
        for i in range(t):
            r = ret[i]
            if np.isfinite(r).sum() < 2:
                continue
            top = np.argsort(-np.nan_to_num(r, nan=-np.inf), kind="mergesort")[:2]
            vals[i, top] = 0.49
        w.iloc[:, :] = vals
        w.loc[~dec] = np.nan
    plan.panel = panel
    plan.weights = w
    plan.decisions = dec
    return plan


# ============================================================================= the exchange's limit prices
def _half_up(x: Decimal, q: str = "0.01") -> Decimal:
    return x.quantize(Decimal(q), rounding=ROUND_HALF_UP)


def limit_pct_exchange(code: str, board: str, list_date: pd.Timestamp | None, dates: pd.DatetimeIndex,
                       sessions: pd.DatetimeIndex) -> np.ndarray:
    """Daily limit fraction per session from the board rules (written out here, not taken from aibt):
    Main board 10 %; ChiNext 20 % from 2020-08-24 (10 % before); STAR 20 %; no limit in the first 5
    sessions after a registration-based listing (STAR; ChiNext from 2020-08-24; Main board from
    2023-04-10). NaN = no limit. ST (5 %) does not occur among the symbols used."""
    pct = np.full(len(dates), 0.10)
    if board == "chinext":
        pct[dates >= pd.Timestamp("2020-08-24")] = 0.20
    elif board == "star":
        pct[:] = 0.20
    if list_date is not None and not pd.isna(list_date):
        registration = (board == "star" or (board == "chinext" and list_date >= pd.Timestamp("2020-08-24"))
                        or (board == "main" and list_date >= pd.Timestamp("2023-04-10")))
        if registration:
            first5 = sessions[sessions >= list_date][:5]
            pct[np.isin(dates, first5)] = np.nan
    return pct


def exchange_limits(close: np.ndarray, traded_ok: np.ndarray, cash: np.ndarray, ratio: np.ndarray,
                    pct: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """limit_up, limit_down and the base of each day's limits (one column), in Decimal arithmetic:
    base = previous traded close (the last one before a suspension); on an ex-date the ex-rights
    reference price round((prev - cash) / ratio, 0.01) (SSE/SZSE Trading Rules 4.3.x); limit =
    round(base x (1 +- pct), 0.01), half up (SSE/SZSE Trading Rules 3.4.13)."""
    t = len(close)
    up = np.full(t, np.nan)
    dn = np.full(t, np.nan)
    base_out = np.full(t, np.nan)
    last: Decimal | None = None
    for i in range(t):
        if last is not None and (cash[i] != 0.0 or ratio[i] != 1.0):
            last = _half_up((last - Decimal(repr(float(cash[i])))) / Decimal(repr(float(ratio[i]))))
        if last is not None:
            base_out[i] = float(last)
            if np.isfinite(pct[i]):
                p = Decimal(repr(float(pct[i])))
                up[i] = float(_half_up(last * (1 + p)))
                dn[i] = float(_half_up(last * (1 - p)))
        if traded_ok[i] and np.isfinite(close[i]):
            last = Decimal(repr(round(float(close[i]), 2)))
    return up, dn, base_out


# ============================================================================= the bundle
def order_book_id(code: str) -> str:
    return f"{code}.XSHG" if code.startswith(("6", "5", "9")) or code in ("000001", "000016", "000300",
                                                                       "000688", "000680") else f"{code}.XSHE"


def _int_date(d) -> int:
    d = pd.Timestamp(d)
    return d.year * 10000 + d.month * 100 + d.day


def _int_dt(d) -> int:
    return _int_date(d) * 1000000


# rqalpha's own hard-coded futures parameters (rqalpha/data/bundle/__init__.py, gen_future_info): the
# FutureInfoStore refuses a bundle whose future_info.json lacks them, whatever the strategy trades.
_RQ_FUTURE_INFO = [{"underlying_symbol": "TC", "close_commission_ratio": 4.0, "close_commission_today_ratio": 0.0,
                    "commission_type": "by_volume", "open_commission_ratio": 4.0, "margin_rate": 0.05,
                    "tick_size": 0.2}]


def write_bundle(path: str, plans: list[Plan]) -> dict:
    """Write the bundle for every symbol the plans use; returns what was written (counts, limits)."""
    import h5py

    os.makedirs(path, exist_ok=True)
    sec = load_securities().set_index("symbol")
    first = min(pd.Timestamp(p.start) for p in plans)
    last = max(pd.Timestamp(p.end) for p in plans)
    sessions = xshg_sessions("2005-01-04", "2026-12-31")
    np.save(os.path.join(path, "trading_dates.npy"), np.array([_int_date(d) for d in sessions]), allow_pickle=False)

    # one panel over the union of dates for each symbol, events from the plans' panels
    syms: list[str] = []
    for p in plans:
        for s in p.symbols:
            if s not in syms:
                syms.append(s)
    panel = _ensure_events(load_snapshot(syms, start=first, end=last), [])
    ev_all = panel.events  # every event of the bundle's symbols and dates, not only the plans' windows
    info = {"symbols": syms, "sessions": int(len(panel.dates)), "limit_days": 0, "no_limit_days": 0,
            "dividends": 0, "splits": 0, "suspended_days": 0}

    bar_dtype = np.dtype([("datetime", np.int64), ("open", np.float64), ("close", np.float64),
                          ("high", np.float64), ("low", np.float64), ("volume", np.float64),
                          ("total_turnover", np.float64), ("limit_up", np.float64), ("limit_down", np.float64)])
    div_dtype = np.dtype([("book_closure_date", np.int64), ("dividend_cash_before_tax", np.float64),
                          ("ex_dividend_date", np.int64), ("payable_date", np.int64), ("round_lot", np.float64)])
    split_dtype = np.dtype([("ex_date", np.int64), ("split_factor", np.float64),
                            ("split_coefficient_to", np.float64), ("split_coefficient_from", np.float64)])
    fac_dtype = np.dtype([("start_date", np.int64), ("ex_cum_factor", np.float64)])
    limits = {}
    instruments = []
    with h5py.File(os.path.join(path, "stocks.h5"), "w") as h5s, \
            h5py.File(os.path.join(path, "dividends.h5"), "w") as h5d, \
            h5py.File(os.path.join(path, "split_factor.h5"), "w") as h5p, \
            h5py.File(os.path.join(path, "ex_cum_factor.h5"), "w") as h5f, \
            h5py.File(os.path.join(path, "suspended_days.h5"), "w") as h5u:
        tick = np.full(len(syms), 0.01)
        opn, cls = panel.traded("open", tick), panel.traded("close", tick)
        hi, lo = panel.traded("high", tick), panel.traded("low", tick)
        vol = panel.fields["volume"]
        amt = panel.fields.get("amount", np.full(panel.shape, np.nan))
        for j, code in enumerate(syms):
            oid = order_book_id(code)
            row = sec.loc[code]
            ld = pd.Timestamp(row["list_date"]) if row["list_date"] else None
            ev = ev_all[ev_all["symbol"] == code]
            cash = np.zeros(len(panel.dates))
            ratio = np.ones(len(panel.dates))
            for _, e in ev.iterrows():
                i = panel.dates.searchsorted(e["ex_date"])
                if i < len(panel.dates):
                    cash[i] += e["cash"]
                    ratio[i] *= (1.0 + e["shares"]) * e["split"]
            ok = panel.tradable[:, j]
            pct = limit_pct_exchange(code, row["board"], ld, panel.dates, sessions)
            up, dn, base = exchange_limits(cls[:, j], ok, cash, ratio, pct)
            limits[code] = (up, dn)
            have = np.flatnonzero(ok)
            rows = have  # bars only where the stock traded; suspended sessions are listed in suspended_days
            bars = np.empty(len(rows), dtype=bar_dtype)
            bars["datetime"] = [_int_dt(panel.dates[i]) for i in rows]
            for f, a in (("open", opn), ("close", cls), ("high", hi), ("low", lo)):
                bars[f] = a[rows, j]
            bars["volume"] = vol[rows, j]
            bars["total_turnover"] = amt[rows, j]
            bars["limit_up"] = up[rows]
            bars["limit_down"] = dn[rows]
            h5s.create_dataset(oid, data=bars)
            info["limit_days"] += int(np.isfinite(up[rows]).sum())
            info["no_limit_days"] += int((~np.isfinite(up[rows])).sum())
            if len(have):
                span = np.arange(have[0], have[-1] + 1)
                susp = [_int_date(panel.dates[i]) for i in span if not ok[i]]
                h5u.create_dataset(oid, data=np.array(susp, dtype=np.int64))
                info["suspended_days"] += len(susp)
            # corporate actions
            cash_ev = ev[ev["cash"] > 0]
            if len(cash_ev):
                d = np.empty(len(cash_ev), dtype=div_dtype)
                for k, (_, e) in enumerate(cash_ev.iterrows()):
                    ex = pd.Timestamp(e["ex_date"])
                    prev_session = sessions[sessions.searchsorted(ex) - 1]
                    d[k] = (_int_date(prev_session), float(e["cash"]), _int_date(ex), _int_date(ex), 1.0)
                h5d.create_dataset(oid, data=d)
                info["dividends"] += len(cash_ev)
            sh_ev = ev[((1.0 + ev["shares"]) * ev["split"]) != 1.0]
            if len(sh_ev):
                d = np.empty(len(sh_ev), dtype=split_dtype)
                for k, (_, e) in enumerate(sh_ev.iterrows()):
                    r = (1.0 + e["shares"]) * e["split"]
                    fr = Fraction(r).limit_denominator(1000)
                    d[k] = (_int_dt(e["ex_date"]), r, float(fr.numerator), float(fr.denominator))
                h5p.create_dataset(oid, data=d)
                info["splits"] += len(sh_ev)
            # cumulative ex factor (only for rqalpha's adjusted history, which the strategies never read)
            steps = []
            cum = 1.0
            for i in np.flatnonzero((cash != 0) | (ratio != 1)):
                if np.isfinite(base[i]) and base[i] > 0:
                    prev_close = (base[i] * ratio[i]) + cash[i]
                    cum *= prev_close / base[i]
                    steps.append((_int_dt(panel.dates[i]), cum))
            f = np.empty(len(steps) + 1, dtype=fac_dtype)
            f[0] = (0, 1.0)
            for k, s in enumerate(steps):
                f[k + 1] = s
            h5f.create_dataset(oid, data=f)
            board = {"main": "MainBoard", "chinext": "GEM", "star": "KSH"}[row["board"]]
            instruments.append({
                "order_book_id": oid, "symbol": str(row["name"]), "abbrev_symbol": code, "type": "CS",
                "exchange": oid.split(".")[1], "board_type": board, "status": "Active",
                "round_lot": 200.0 if board == "KSH" else 100.0, "market_tplus": 1, "special_type": "Normal",
                "listed_date": (ld or pd.Timestamp("2000-01-01")).strftime("%Y-%m-%d"),
                "de_listed_date": "0000-00-00", "sector_code": "", "sector_code_name": "", "industry_code": "",
                "industry_name": "", "concept_names": "", "trading_hours": "09:31-11:30,13:01-15:00",
                "round_lot_source": "SSE/SZSE trading rules", "contract_multiplier": 1.0,
            })
    # 000001.XSHG (SSE Composite): rqalpha reads its first and last bar as the bundle's data range
    idx = load_snapshot(["000001"], start=first, end=last)
    okx = idx.tradable[:, 0]
    ib = np.empty(int(okx.sum()), dtype=np.dtype(bar_dtype.descr[:7]))
    ib["datetime"] = [_int_dt(d) for d in idx.dates[okx]]
    for f in ("open", "close", "high", "low"):
        ib[f] = idx.traded(f)[okx, 0]
    ib["volume"] = idx.fields["volume"][okx, 0]
    ib["total_turnover"] = idx.fields.get("amount", np.full(idx.shape, np.nan))[okx, 0]
    with h5py.File(os.path.join(path, "indexes.h5"), "w") as h5:
        h5.create_dataset("000001.XSHG", data=ib)
    instruments.append({"order_book_id": "000001.XSHG", "symbol": "上证指数", "abbrev_symbol": "SZZS", "type": "INDX",
                        "exchange": "XSHG", "status": "Active", "round_lot": 1.0, "listed_date": "1991-07-15",
                        "de_listed_date": "0000-00-00", "market_tplus": 0})
    with open(os.path.join(path, "instruments.pk"), "wb") as fh:
        pickle.dump(instruments, fh, protocol=2)
    # files rqalpha opens at start-up whatever the strategy: empty where the symbols have nothing
    for name in ("futures.h5", "funds.h5", "st_stock_days.h5"):
        with h5py.File(os.path.join(path, name), "w"):
            pass
    with open(os.path.join(path, "share_transformation.json"), "w") as fh:
        fh.write("{}")
    with open(os.path.join(path, "future_info.json"), "w") as fh:
        json.dump(_RQ_FUTURE_INFO, fh)
    yc = np.zeros(1, dtype=np.dtype([("date", np.int64), ("0S", np.float64)]))
    yc["date"] = _int_date(first)
    with h5py.File(os.path.join(path, "yield_curve.h5"), "w") as h5:  # read only by the analyser (off)
        h5.create_dataset("data", data=yc)
    info["limits"] = limits
    info["panel"] = panel
    return info


# ============================================================================= aibt side
def zero_transfer(rules):
    """rqalpha charges no transfer fee (过户费) and no other exchange fee: zero them in aibt's rules."""
    return replace(rules, transfer_fee=np.zeros_like(rules.transfer_fee), exchange_fee=np.zeros_like(rules.exchange_fee))


def run_aibt(plan: Plan, dividend_tax: bool = False, dividends: str = "cash"):
    panel = plan.panel
    rules = zero_transfer(compile_rules(panel.dates, panel.symbols))
    kw = dict(rules=rules, price=plan.price, schedule=list(panel.dates[plan.decisions]), init_cash=plan.init_cash,
              commission=COMMISSION, min_commission=MIN_COMMISSION, slippage_bps=0.0, carry_unfilled=False,
              dividends=dividends, dividend_tax=dividend_tax, volume_limit=plan.volume_limit)
    w = plan.weights.fillna(0.0)
    t0 = time.perf_counter()
    simulate(panel, w, **kw)  # first call: Numba kernels loaded from the cache (compiled if absent)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = simulate(panel, w, **kw)
    dt = time.perf_counter() - t0
    fills = res.fills[res.fills["filled"] > 0]
    fills = pd.DataFrame({"date": fills["date"].values, "symbol": fills["symbol"].values,
                          "side": fills["side"].values, "shares": fills["filled"].values,
                          "price": fills["price"].values, "commission": fills["commission"].values,
                          "tax": fills["stamp"].values})
    refused = res.fills[res.fills["reason"] != "filled"][["date", "symbol", "side", "requested", "filled", "reason"]]
    ev = res.events[res.events["kind"] == "ex_date"]
    divs = pd.DataFrame({"date": ev["date"].values, "symbol": ev["symbol"].values, "amount": ev["cash"].values,
                         "shares": ev["shares"].values})
    divs = divs[(divs["amount"] != 0) | (divs["shares"] != 0)]
    tx = res.events[res.events["kind"] == "dividend_tax"]
    taxes = pd.DataFrame({"date": tx["date"].values, "symbol": tx["symbol"].values, "tax": tx["tax"].values})
    return {"final_value": float(res.equity.iloc[-1]), "fills": fills, "dividends": divs, "refused": refused,
            "taxes": taxes,
            "seconds": dt, "first_call_seconds": first, "equity": res.equity, "summary": res.summary}


# ============================================================================= rqalpha side
def run_rqalpha(plan: Plan, bundle: str, dividend_tax: bool = False, reinvest: bool = False):
    from rqalpha import run_func
    from rqalpha.api import history_bars, order_shares
    from rqalpha.core.events import EVENT
    from rqalpha.environment import Environment

    panel = plan.panel
    syms = list(panel.symbols)
    oids = [order_book_id(s) for s in syms]
    code_of = dict(zip(oids, syms))
    dates = panel.dates
    dec_next = {}  # session -> weights decided at the previous session's close
    for i in np.flatnonzero(plan.decisions):
        if i + 1 < len(dates):
            dec_next[dates[i + 1].date()] = np.nan_to_num(plan.weights.iloc[i].to_numpy(dtype=float))
    trades, divs, values, rejects = [], [], {}, []
    state = {"cur": None}

    since_close: dict = {}  # shares bought since the last close (before_trading: dividend reinvestment)

    def on_trade(event):
        tr = event.trade
        if tr.side.name == "BUY":
            since_close[tr.order_book_id] = since_close.get(tr.order_book_id, 0) + tr.last_quantity
        trades.append({"date": pd.Timestamp(tr.trading_datetime.date()), "symbol": code_of[tr.order_book_id],
                       "side": "buy" if tr.side.name == "BUY" else "sell", "shares": float(tr.last_quantity),
                       "price": float(tr.last_price), "commission": float(tr.commission), "tax": float(tr.tax)})

    def on_reject(event):  # a validator refused the order (suspension, cash, closable shares, ...)
        if state["cur"] is not None:
            d, code, side = state["cur"]
            rejects.append({"date": d, "symbol": code, "side": side, "reason": _rq_reason(str(event.reason)),
                            "message": str(event.reason)})

    def on_update(event):  # the matcher rejected or cancelled (limits, volume, cash)
        o = event.order
        if o.status.name in ("REJECTED", "CANCELLED"):
            rejects.append({"date": pd.Timestamp(o.trading_datetime.date()), "symbol": code_of[o.order_book_id],
                            "side": "buy" if o.side.name == "BUY" else "sell", "reason": _rq_reason(str(o.message)),
                            "message": str(o.message)})

    taxes = []

    def on_tax(event):
        if getattr(event, "tax_type", None) is not None and event.tax_type.name == "DIVIDEND":
            taxes.append({"date": pd.Timestamp(event.trading_dt.date()), "symbol": code_of[event.order_book_id],
                          "tax": float(event.delta_amount)})

    def init(context):
        env = Environment.get_instance()
        env.event_bus.add_listener(EVENT.TRADE, on_trade)
        env.event_bus.add_listener(EVENT.PAY_TAXES, on_tax)
        env.event_bus.add_listener(EVENT.ORDER_CREATION_REJECT, on_reject)
        env.event_bus.add_listener(EVENT.ORDER_UNSOLICITED_UPDATE, on_update)
        context.env = env

    qty_close: dict = {}

    def before_trading(context):
        # after rqalpha's own start of day (PRE_BEFORE_TRADING: dividends and splits applied to positions)
        acct = context.portfolio.stock_account
        today = pd.Timestamp(context.now.date())
        for pos in acct.get_positions():
            q_prev = qty_close.get(pos.order_book_id, 0)
            if q_prev <= 0:
                continue
            d = float(getattr(pos, "_daily_dividend", 0.0) or 0.0)  # quantity x dividend per share of the day
            # bonus / transfer shares and splits (not the shares a dividend reinvestment just bought)
            credited = float(pos.quantity - q_prev - since_close.get(pos.order_book_id, 0))
            if d != 0.0 or credited != 0.0:
                divs.append({"date": today, "symbol": code_of[pos.order_book_id], "amount": d, "shares": credited})

    def rebalance(context, bar_dict, field_name):
        today = context.now.date()
        w = dec_next.get(today)
        if w is None:
            return
        acct = context.portfolio.stock_account
        px = np.full(len(oids), np.nan)
        qty = np.zeros(len(oids))
        for j, oid in enumerate(oids):
            bar = bar_dict[oid]
            v = getattr(bar, field_name)
            susp = bar.suspended if hasattr(bar, "suspended") else False
            if v == v and v > 0 and not susp:
                px[j] = v
            qty[j] = acct.get_position(oid).quantity
        mark = px.copy()
        for j, oid in enumerate(oids):
            if not np.isfinite(mark[j]):
                lp = acct.get_position(oid).last_price if qty[j] > 0 else np.nan
                if not (lp == lp and lp > 0):  # never held: the last traded close in rqalpha's bars
                    h = history_bars(oid, 1, "1d", "close", adjust_type="none")
                    lp = float(h[-1]) if h is not None and len(h) else np.nan
                mark[j] = lp
        value = acct.cash + float(np.nansum(qty * mark))
        delta = np.zeros(len(oids))
        dq = np.zeros(len(oids))
        for j in range(len(oids)):
            ref = px[j] if np.isfinite(px[j]) else mark[j]
            if not (ref == ref) or ref <= 0:
                continue
            tgt = w[j] * value
            delta[j] = tgt - qty[j] * ref
            dq[j] = -qty[j] if w[j] == 0 else tgt / ref - qty[j]
        for j in np.argsort(delta, kind="stable"):
            if dq[j] == 0:
                continue
            q = dq[j]
            state["cur"] = (pd.Timestamp(today), syms[j], "buy" if q > 0 else "sell")
            # fractional target shares: rqalpha floors them to lots itself; 1e-9 absorbs float noise
            # (299.9999999 -> 300) as aibt's lot rounding does
            if q < 0:
                order_shares(oids[j], -min(round(-q + 1e-9, 9), qty[j]) if w[j] != 0 else -qty[j])
            else:
                order_shares(oids[j], round(q + 1e-9, 9))
        state["cur"] = None

    def open_auction(context, bar_dict):
        if plan.price == "open":
            rebalance(context, bar_dict, "open")

    def handle_bar(context, bar_dict):
        if plan.price == "close":
            rebalance(context, bar_dict, "close")

    def after_trading(context):
        values[pd.Timestamp(context.now.date())] = float(context.portfolio.total_value)
        qty_close.clear()
        since_close.clear()
        for pos in context.portfolio.stock_account.get_positions():
            qty_close[pos.order_book_id] = pos.quantity

    config = {
        "base": {"data_bundle_path": bundle, "start_date": str(dates[0].date()), "end_date": str(dates[-1].date()),
                 "frequency": "1d", "accounts": {"stock": plan.init_cash}, "partial_fill_on_insufficient_cash": True},
        "extra": {"log_level": "error", "locale": "en_US"},
        "mod": {
            "sys_analyser": {"enabled": False},
            "sys_progress": {"enabled": False},
            "sys_simulation": {"matching_type": "current_bar", "price_limit": True, "slippage": 0,
                               "volume_limit": plan.volume_limit is not None,
                               "volume_percent": plan.volume_limit or 0.25, "inactive_limit": True},
            "sys_transaction_cost": {"stock_commission_multiplier": COMMISSION / 0.0008,
                                     "stock_min_commission": MIN_COMMISSION, "pit_tax": True},
            "sys_accounts": {"dividend_reinvestment": reinvest, "dividend_tax_enabled": dividend_tax},
        },
    }
    t0 = time.perf_counter()
    run_func(init=init, before_trading=before_trading, open_auction=open_auction, handle_bar=handle_bar,
             after_trading=after_trading, config=config)
    dt = time.perf_counter() - t0
    eq = pd.Series(values).sort_index()
    return {"final_value": float(eq.iloc[-1]), "fills": pd.DataFrame(trades), "dividends": pd.DataFrame(divs),
            "seconds": dt, "equity": eq, "taxes": pd.DataFrame(taxes, columns=["date", "symbol", "tax"]),
            "refused": pd.DataFrame(rejects, columns=["date", "symbol", "side", "reason",
                                                                                   "message"])}


def _rq_reason(msg: str) -> str:
    """rqalpha's rejection / cancellation message -> aibt's reason names (where one corresponds)."""
    m = msg.lower()
    if "limit_up" in m:
        return "limit_up"
    if "limit_down" in m:
        return "limit_down"
    if "suspended" in m or "no volume" in m or "missing market data" in m or "no market data" in m:
        return "suspended"
    if "volume" in m and "percent" in m:
        return "volume_limit"
    if "money" in m or "cash" in m:
        return "insufficient_cash"
    return "other: " + msg[:80]


MARKET_REASONS = ("limit_up", "limit_down", "suspended")


def compare_refusals(a: pd.DataFrame, r: pd.DataFrame) -> dict:
    """Orders refused in full for a market reason (limit up/down, suspension): the same (date, symbol, side)?"""
    a = a[(a["filled"] == 0) & a["reason"].isin(MARKET_REASONS)][["date", "symbol", "side", "reason"]].copy()
    r = r[r["reason"].isin(MARKET_REASONS)][["date", "symbol", "side", "reason"]].copy()
    for f in (a, r):
        f["date"] = pd.to_datetime(f["date"]).astype("datetime64[ns]")
        f["symbol"] = f["symbol"].astype(object)
        f["side"] = f["side"].astype(object)
    m = a.merge(r, on=["date", "symbol", "side"], how="outer", suffixes=("_aibt", "_rq"), indicator=True)
    same = m[(m["_merge"] == "both") & (m["reason_aibt"] == m["reason_rq"])]
    return {"aibt": int(len(a)), "rqalpha": int(len(r)), "matched": int(len(same)),
            "by_reason": {k: int(v) for k, v in a["reason"].value_counts().items()},
            "differ": m[~m.index.isin(same.index)]}


# ============================================================================= comparison
def compare_fills(a: pd.DataFrame, r: pd.DataFrame) -> dict:
    key = ["date", "symbol", "side"]
    a = a.copy()
    r = r.copy() if len(r) else pd.DataFrame(columns=key + ["shares", "price", "commission", "tax"])
    m = a.merge(r, on=key, how="outer", suffixes=("_aibt", "_rq"), indicator=True)
    both = m[m["_merge"] == "both"]
    same = both[(both["shares_aibt"] == both["shares_rq"]) & (np.abs(both["price_aibt"] - both["price_rq"]) < 1e-9)]
    cost_ok = same[(np.abs(same["commission_aibt"] - same["commission_rq"]) < 1e-6)
                   & (np.abs(same["tax_aibt"] - same["tax_rq"]) < 1e-6)]
    diff = m[~m.index.isin(same.index)]
    return {"aibt": int(len(a)), "rqalpha": int(len(r)), "matched": int(len(same)), "costs_matched": int(len(cost_ok)),
            "only_aibt": int((m["_merge"] == "left_only").sum()), "only_rqalpha": int((m["_merge"] == "right_only").sum()),
            "differ": diff}


def compare_divs(a: pd.DataFrame, r: pd.DataFrame) -> dict:
    """Corporate actions credited on each ex-date: cash (aibt: the dividend plus the cash paid for a share
    fraction; rqalpha: quantity x dividend per share) and shares credited."""
    cols = ["date", "symbol", "amount", "shares"]
    a = a[cols] if len(a) else pd.DataFrame(columns=cols)
    r = r[cols] if len(r) else pd.DataFrame(columns=cols)
    for f in (a, r):
        f["date"] = pd.to_datetime(f["date"]).astype("datetime64[ns]")
    m = a.merge(r, on=["date", "symbol"], how="outer", suffixes=("_aibt", "_rq"), indicator=True)
    both = m[m["_merge"] == "both"]
    same = both[(np.abs(both["amount_aibt"] - both["amount_rq"]) < 1e-6) & (both["shares_aibt"] == both["shares_rq"])]
    diff = m[~m.index.isin(same.index)]
    return {"aibt": int(len(a)), "rqalpha": int(len(r)), "matched": int(len(same)), "differ": diff,
            "cash_aibt": float(a["amount"].sum()) if len(a) else 0.0,
            "cash_rqalpha": float(r["amount"].sum()) if len(r) else 0.0,
            "shares_aibt": float(a["shares"].sum()) if len(a) else 0.0,
            "shares_rqalpha": float(r["shares"].sum()) if len(r) else 0.0}


def classify_fill_differences(plan: Plan, differ: pd.DataFrame, rq_divs: pd.DataFrame) -> pd.DataFrame:
    """A cause for each differing fill row, from rqalpha's and aibt's documented rules:

    - ``volume cap rounding``: both filled the volume cap; rqalpha's cap is ``round(25 % x volume)``
      (Python's round, half to even), aibt's ``floor(25 % x volume)``, then each rounds to lots;
    - ``dividend reinvestment``: rqalpha buys with the dividend in ``before_trading`` of the pay date at
      the ex-dividend previous close (not on the tick, not an order: no limit or volume check); aibt
      orders whole lots at the next session's fill price;
    - ``follows an earlier difference``: after the first differing fill the two cash and share paths
      are no longer identical (e.g. one share more), so later sizes can differ by a lot or a share;
    - ``unexplained`` otherwise.
    """
    if len(differ) == 0:
        return differ.assign(cause=pd.Series([], dtype=object))
    panel = plan.panel
    vol = panel.fields["volume"]
    lot = {s: (200, 1) if s.startswith("688") else (100, 100) for s in panel.symbols}
    pay_days = set()
    if len(rq_divs):
        pay_days = {(pd.Timestamp(d), s) for d, s in zip(rq_divs["date"], rq_divs["symbol"])}
    first_other = None
    causes = []
    for _, row in differ.sort_values("date").iterrows():
        cause = None
        d, s = pd.Timestamp(row["date"]), row["symbol"]
        if s in panel.symbols and plan.volume_limit and row["_merge"] == "both":
            i, j = panel.dates.get_loc(d), panel.symbols.index(s)
            v = vol[i, j] * plan.volume_limit
            mn, st = lot[s]

            def lots(q):
                return 0 if q < mn else mn + (q - mn) // st * st if st > 1 else q
            cap_a, cap_r = lots(int(np.floor(v + 1e-9))), lots(int(round(v)))
            if row["shares_aibt"] == cap_a and row["shares_rq"] == cap_r and cap_a != cap_r:
                cause = "volume cap rounding (rqalpha round, aibt floor of 25 % x volume)"
        if cause is None and row["side"] == "buy" and plan.meta_reinvest:
            prev = panel.dates[max(panel.dates.get_loc(d) - 1, 0)]
            if (d, s) in pay_days and row["_merge"] == "right_only":
                cause = "dividend reinvestment: rqalpha buys on the pay date at the ex-dividend previous close"
            elif (prev, s) in pay_days and row["_merge"] == "left_only":
                cause = "dividend reinvestment: aibt buys whole lots at the next session's open"
        if cause is None:
            if first_other is not None and d > first_other:
                cause = "follows an earlier difference"
            else:
                cause = "unexplained"
                first_other = d if first_other is None else first_other
        if cause.startswith("volume") and first_other is None:
            first_other = d
        causes.append(cause)
    out = differ.sort_values("date").copy()
    out["cause"] = causes
    return out


def limit_agreement(plan: Plan, info: dict) -> dict:
    """Sessions where aibt's build_market upper/lower differ from the exchange-rule limits of the bundle."""
    from aibt.engine.market import build_market

    panel = plan.panel
    mkt = build_market(panel, compile_rules(panel.dates, panel.symbols), plan.price)
    full = info["panel"]
    rows = full.dates.get_indexer(panel.dates)
    n_cmp = n_diff = 0
    examples = []
    for j, s in enumerate(panel.symbols):
        up, dn = info["limits"][s]
        ok = panel.tradable[:, j]
        for i in np.flatnonzero(ok)[1:]:
            u, d = up[rows[i]], dn[rows[i]]
            au, ad = mkt.upper[i, j], mkt.lower[i, j]
            n_cmp += 1
            same = ((np.isnan(u) and np.isnan(au)) or abs(u - au) < 1e-9) and \
                   ((np.isnan(d) and np.isnan(ad)) or abs(d - ad) < 1e-9)
            if not same:
                n_diff += 1
                if len(examples) < 5:
                    examples.append({"date": str(panel.dates[i].date()), "symbol": s, "exchange_up": u,
                                     "aibt_up": float(au), "exchange_down": d, "aibt_down": float(ad)})
    return {"compared": n_cmp, "differ": n_diff, "examples": examples}


def limit_agreement_bundle(info: dict) -> dict:
    """The bundle's exchange-rule limits against aibt's build_market over every symbol and session of
    the bundle (all traded sessions after a symbol's first bar)."""
    from aibt.engine.market import build_market

    panel = info["panel"]
    mkt = build_market(panel, compile_rules(panel.dates, panel.symbols), "open")
    n_cmp = n_diff = n_none = 0
    examples = []
    for j, s in enumerate(panel.symbols):
        up, dn = info["limits"][s]
        for i in np.flatnonzero(panel.tradable[:, j])[1:]:
            u, d, au, ad = up[i], dn[i], mkt.upper[i, j], mkt.lower[i, j]
            n_cmp += 1
            n_none += int(np.isnan(u))
            same = ((np.isnan(u) and np.isnan(au)) or abs(u - au) < 1e-9) and \
                   ((np.isnan(d) and np.isnan(ad)) or abs(d - ad) < 1e-9)
            if not same:
                n_diff += 1
                if len(examples) < 10:
                    examples.append({"date": str(panel.dates[i].date()), "symbol": s, "exchange_up": u,
                                     "aibt_up": float(au), "exchange_down": d, "aibt_down": float(ad)})
    return {"compared": n_cmp, "differ": n_diff, "without_limit": n_none, "examples": examples}


def _fmt_df(df: pd.DataFrame, limit: int = 12) -> str:
    if df is None or len(df) == 0:
        return "(none)"
    d = df.head(limit).copy()
    for c in d.columns:
        if pd.api.types.is_datetime64_any_dtype(d[c]):
            d[c] = d[c].dt.strftime("%Y-%m-%d")
    cols = [c for c in d.columns if c != "_merge"] + (["_merge"] if "_merge" in d.columns else [])
    d = d[cols]
    lines = ["| " + " | ".join(map(str, d.columns)) + " |", "|" + "---|" * len(d.columns)]
    for _, r in d.iterrows():
        lines.append("| " + " | ".join("" if (isinstance(v, float) and np.isnan(v)) else
                                      (f"{v:.6g}" if isinstance(v, float) else str(v)) for v in r) + " |")
    more = f"\n({len(df) - limit} more)" if len(df) > limit else ""
    return "\n".join(lines) + more


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=os.path.join(RESULTS, "crosscheck_rqalpha.json"))
    ap.add_argument("--md", default=os.path.join(RESULTS, "crosscheck_rqalpha.md"))
    ap.add_argument("--only", nargs="*", help="strategy names to run (default: all)")
    ap.add_argument("--keep-bundle", help="write the bundle here and keep it")
    args = ap.parse_args(argv)

    import rqalpha

    plans = [prepare(p) for p in make_plans() if not args.only or p.name in args.only]
    bundle = args.keep_bundle or tempfile.mkdtemp(prefix="aibt-rq-bundle-")
    t0 = time.perf_counter()
    info = write_bundle(bundle, plans)
    t_bundle = time.perf_counter() - t0
    out = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                       "cpus": os.cpu_count(), "rqalpha": rqalpha.__version__, "numpy": np.__version__,
                       "pandas": pd.__version__},
           "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": ("python benchmarks/crosscheck_rqalpha.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip(),
           "snapshot_sha256": snapshot_hash(),
           "settings": {"commission": COMMISSION, "min_commission": MIN_COMMISSION, "stamp_duty": "sell 0.1 % before "
                        "2023-08-28, 0.05 % from then (rqalpha pit_tax=True)", "transfer_fee": 0, "slippage": 0,
                        "carry_unfilled": False, "dividend_tax": False, "dividends": "cash, payable on the ex-date"},
           "bundle": {k: v for k, v in info.items() if k not in ("limits", "panel")} | {"seconds": t_bundle},
           "strategies": {}}
    md = [f"# aibt vs rqalpha {rqalpha.__version__} cross-check", "",
          f"{out['date']}; `{out['command']}`; snapshot {out['snapshot_sha256'][:12]}; "
          f"bundle of {len(info['symbols'])} symbols written in {t_bundle:.2f} s "
          f"({info['dividends']} cash dividends, {info['splits']} share events, {info['suspended_days']} suspended "
          f"sessions, {info['limit_days']} bars with limits, {info['no_limit_days']} without).", "",
          "| strategy | fills matched | costs matched | market refusals matched | dividends matched | final value aibt | final value rqalpha | "
          "rel. diff | aibt s | rqalpha s | speed ratio |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lab = limit_agreement_bundle(info)
    out["bundle"]["limits_vs_aibt_build_market"] = lab
    md.insert(3, f"Limits: the bundle's exchange-rule limit prices equal aibt's `build_market` upper and lower limits on "
                 f"{lab['compared'] - lab['differ']:,} of {lab['compared']:,} traded sessions of the {len(info['symbols'])} "
                 f"symbols ({lab['without_limit']} sessions without a limit: first 5 sessions of a listing).")
    md.insert(4, "")
    details = []
    runs = [(p, False, "cash") for p in plans]
    runs += [(p, True, "cash") for p in plans if p.name == "optical_daily"]
    runs += [(p, False, "reinvest") for p in plans if p.name == "dividend_hold"]
    for plan, tax, divmode in runs:
        label = plan.name + ("+dividend_tax" if tax else "") + ("+reinvest" if divmode == "reinvest" else "")
        a = run_aibt(plan, dividend_tax=tax, dividends=divmode)
        r = run_rqalpha(plan, bundle, dividend_tax=tax, reinvest=divmode == "reinvest")
        plan.meta_reinvest = divmode == "reinvest"
        fc = compare_fills(a["fills"], r["fills"])
        fc["differ"] = classify_fill_differences(plan, fc["differ"], r["dividends"])
        causes = {k: int(v) for k, v in fc["differ"]["cause"].value_counts().items()}
        rc = compare_refusals(a["refused"], r["refused"])
        dc = compare_divs(a["dividends"], r["dividends"])
        if len(dc["differ"]):
            fd = fc["differ"]
            dc["differ"]["cause"] = [
                "shares held differ after an earlier fill difference" if len(fd) and
                ((fd["symbol"] == sym) & (pd.to_datetime(fd["date"]) < d)).any() else "unexplained"
                for d, sym in zip(dc["differ"]["date"], dc["differ"]["symbol"])]
        la = limit_agreement(plan, info)
        rel = a["final_value"] / r["final_value"] - 1.0
        speed = r["seconds"] / a["seconds"] if a["seconds"] > 0 else float("nan")
        out["strategies"][label] = {
            "description": plan.description, "symbols": plan.symbols, "start": str(plan.panel.dates[0].date()),
            "end": str(plan.panel.dates[-1].date()), "price": plan.price, "volume_limit": plan.volume_limit,
            "dividend_tax_on": tax, "dividends": divmode, "notes": plan.notes,
            "fills": {k: v for k, v in fc.items() if k != "differ"},
            "fill_difference_causes": causes,
            "market_refusals": {k: v for k, v in rc.items() if k != "differ"},
            "market_refusal_differences": json.loads(rc["differ"].drop(columns="_merge").to_json(orient="records", date_format="iso")),
            "rqalpha_refused_by_reason": {str(k): int(v) for k, v in r["refused"]["reason"].value_counts().items()},
            "rqalpha_refused_market": json.loads(r["refused"][r["refused"]["reason"].isin(MARKET_REASONS)]
                                                 .to_json(orient="records", date_format="iso")),
            "fill_differences": json.loads(fc["differ"].drop(columns="_merge").to_json(orient="records", date_format="iso")),
            "dividends_credited": {k: v for k, v in dc.items() if k != "differ"},
            "dividend_differences": json.loads(dc["differ"].drop(columns="_merge").to_json(orient="records", date_format="iso")),
            "dividend_tax": {"aibt": json.loads(a["taxes"].to_json(orient="records", date_format="iso")),
                             "rqalpha": json.loads(r["taxes"].to_json(orient="records", date_format="iso"))},
            "aibt_refused_by_reason": {str(k): int(v) for k, v in a["refused"]["reason"].value_counts().items()},
            "aibt_refused_market": json.loads(a["refused"][a["refused"]["reason"].isin(MARKET_REASONS)]
                                              .to_json(orient="records", date_format="iso")),
            "limits_vs_aibt_build_market": la,
            "final_value": {"aibt": a["final_value"], "rqalpha": r["final_value"], "relative_difference": rel},
            "max_daily_value_rel_diff": float((a["equity"].reindex(r["equity"].index) / r["equity"] - 1).abs().max()),
            "seconds": {"aibt_warm": a["seconds"], "aibt_first_call_in_process": a["first_call_seconds"],
                        "rqalpha": r["seconds"], "ratio": speed},
        }
        md.append(f"| {label} | {fc['matched']} / {max(fc['aibt'], fc['rqalpha'])} | {fc['costs_matched']} | "
                  f"{rc['matched']} / {max(rc['aibt'], rc['rqalpha'])} | "
                  f"{dc['matched']} / {max(dc['aibt'], dc['rqalpha'])} | {a['final_value']:,.2f} | {r['final_value']:,.2f} | "
                  f"{rel:.2e} | {a['seconds']:.4f} | {r['seconds']:.2f} | {speed:,.0f}x |")
        details += ["", f"## {label}", "", plan.description + f"; {plan.panel.dates[0].date()} to "
                    f"{plan.panel.dates[-1].date()}; " + "; ".join(plan.notes), "",
                    f"Fills: aibt {fc['aibt']}, rqalpha {fc['rqalpha']}, equal (date, symbol, side, shares, price) "
                    f"{fc['matched']}, of which with equal commission and stamp duty {fc['costs_matched']}; only in aibt "
                    f"{fc['only_aibt']}, only in rqalpha {fc['only_rqalpha']}.", "",
                    "Causes of the differing rows: " + (", ".join(f"{k} {v}" for k, v in causes.items()) or "none") + ".",
                    "", _fmt_df(fc["differ"]), "",
                    f"Orders refused in full for a market reason (limit up / limit down / suspension): aibt {rc['aibt']} "
                    f"({', '.join(f'{k} {v}' for k, v in rc['by_reason'].items()) or 'none'}), rqalpha {rc['rqalpha']}, "
                    f"same (date, symbol, side, reason) {rc['matched']}.", "", _fmt_df(rc["differ"]), "",
                    f"Corporate actions credited on ex-dates: aibt {dc['aibt']} ({dc['cash_aibt']:,.2f} CNY, "
                    f"{dc['shares_aibt']:,.0f} shares), rqalpha {dc['rqalpha']} ({dc['cash_rqalpha']:,.2f} CNY, "
                    f"{dc['shares_rqalpha']:,.0f} shares), equal (cash and shares) {dc['matched']}.", "",
                    _fmt_df(dc["differ"]), "",
                    (f"Dividend tax withheld at sales: aibt {len(a['taxes'])} ({a['taxes']['tax'].sum():,.2f} CNY), rqalpha "
                     f"{len(r['taxes'])} ({r['taxes']['tax'].sum():,.2f} CNY)." if tax else
                     "Dividend tax: off in both (dividend_tax=False; rqalpha dividend_tax_enabled=False)."),
                    "Orders aibt refused or cut (reason): "
                    + (", ".join(f"{k} {v}" for k, v in a["refused"]["reason"].value_counts().items()) or "none") + ".",
                    f"Exchange-rule limits of the bundle vs aibt's build_market: {la['differ']} of {la['compared']} "
                    "traded sessions differ.",
                    f"Largest daily value difference: {out['strategies'][label]['max_daily_value_rel_diff']:.2e} (relative)."]
        print(f"{label:32s} fills {fc['matched']}/{max(fc['aibt'], fc['rqalpha'])}  dividends "
              f"{dc['matched']}/{max(dc['aibt'], dc['rqalpha'])}  final {a['final_value']:,.2f} vs "
              f"{r['final_value']:,.2f} ({rel:.2e})  time {a['seconds']:.4f} s vs {r['seconds']:.2f} s ({speed:,.0f}x)")
    md += details
    md += ["", f"Machine: Python {out['machine']['python']}, {out['machine']['cpus']} cores, {out['machine']['platform']}; "
           f"numpy {out['machine']['numpy']}, pandas {out['machine']['pandas']}. aibt time: `simulate` warm (Numba "
           "cache loaded by a first call); rqalpha time: `run_func` on the bundle (bundle writing not included)."]
    if args.json:
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=float)
    if args.md:
        with open(args.md, "w") as fh:
            fh.write("\n".join(md) + "\n")
    print("\n".join(md[:len(md) - len(details) - 2]))
    if not args.keep_bundle:
        shutil.rmtree(bundle, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
