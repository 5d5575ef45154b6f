"""Statistics of a simulated portfolio (:class:`aibt.engine.result.SimResult`): costs split into fees
and taxes, dividends (when the engine records them), time in market, and trade statistics from the
fills (round trips matched first in, first out).

Pure functions of the result's frames; nothing is modified. Money in CNY.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aibt.errors import DataError

__all__ = ["round_trips", "trade_stats", "portfolio_stats", "ROUND_TRIP_COLUMNS"]

ROUND_TRIP_COLUMNS = ["symbol", "entry_date", "exit_date", "shares", "entry_price", "exit_price", "costs", "pnl",
                      "return", "holding_days"]
_COST_COLS = ("commission", "stamp", "transfer", "other")


def round_trips(fills: pd.DataFrame, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Closed trades from a fills table (:func:`aibt.engine.records.fills_frame`), first in, first out.

    Each sell closes the oldest open buys of its symbol; every (buy lot, sell) pair it touches is one
    round trip of the matched shares with

    .. math:: \\mathrm{pnl} = q\\,(p_{exit} - p_{entry}) - c, \\qquad
              \\mathrm{return} = \\mathrm{pnl} / (q\\,p_{entry})

    where prices include slippage and :math:`c` is the commission, stamp duty, transfer and other fees
    of both fills pro rata to the matched shares. ``holding_days`` are calendar days. Refused and cut
    orders count only for what was filled. Shares credited on an ex-date (bonus issues, splits: rows
    of ``events`` with ``kind == "ex_date"`` and ``shares > 0``, :func:`aibt.engine.records.events_frame`)
    scale the open lots of that symbol (more shares at a proportionally lower entry price). Shares sold
    beyond the open lots are not matched and are counted in ``attrs["unmatched_shares"]``.
    """
    need = {"date", "symbol", "side", "filled", "price"} | set(_COST_COLS)
    missing = sorted(need - set(fills.columns))
    if missing:
        raise DataError(f"fills lack column(s) {missing}")
    f = fills[fills["filled"] > 0][["date", "symbol", "side", "filled", "price", *_COST_COLS]].copy()
    f["_order"] = 1
    if events is not None and len(events) and {"kind", "shares"} <= set(events.columns):
        ex = events[(events["kind"] == "ex_date") & (events["shares"] > 0)]
        credit = pd.DataFrame({"date": ex["date"], "symbol": ex["symbol"], "side": "credit",
                               "filled": ex["shares"].astype(float), "price": 0.0,
                               **{c: 0.0 for c in _COST_COLS}, "_order": 0})
        # credits apply at the start of the ex-date, before that day's fills
        f = pd.concat([credit, f], ignore_index=True).sort_values(["date", "_order"], kind="mergesort")
    rows: list[dict[str, Any]] = []
    unmatched = 0.0
    for sym, g in f.groupby("symbol", sort=True):
        lots: list[list[Any]] = []  # [date, shares left, price, cost per share]
        for rec in g.itertuples(index=False):
            q = float(rec.filled)
            if rec.side == "credit":
                held = sum(lot[1] for lot in lots)
                if held > 0:
                    k = (held + q) / held
                    for lot in lots:
                        lot[1] *= k
                        lot[2] /= k
                        lot[3] /= k
                continue
            cost_ps = sum(float(getattr(rec, c)) for c in _COST_COLS) / q
            if rec.side == "buy":
                lots.append([rec.date, q, float(rec.price), cost_ps])
                continue
            left = q
            while left > 1e-9 and lots:
                lot = lots[0]
                m = min(left, lot[1])
                costs = m * (lot[3] + cost_ps)
                pnl = m * (float(rec.price) - lot[2]) - costs
                rows.append({"symbol": sym, "entry_date": lot[0], "exit_date": rec.date, "shares": m,
                             "entry_price": lot[2], "exit_price": float(rec.price), "costs": costs, "pnl": pnl,
                             "return": pnl / (m * lot[2]),
                             "holding_days": int((pd.Timestamp(rec.date) - pd.Timestamp(lot[0])).days)})
                lot[1] -= m
                left -= m
                if lot[1] <= 1e-9:
                    lots.pop(0)
            unmatched += max(left, 0.0) if left > 1e-9 else 0.0
    out = pd.DataFrame(rows, columns=ROUND_TRIP_COLUMNS)
    out = out.sort_values(["exit_date", "symbol", "entry_date"], kind="mergesort").reset_index(drop=True)
    out.attrs["unmatched_shares"] = unmatched
    return out


def trade_stats(trips: pd.DataFrame) -> dict[str, float]:
    """Summary of :func:`round_trips`: ``round_trips``, ``hit_rate`` (share with pnl > 0),
    ``average_return``, ``average_win`` / ``average_loss`` (mean return of winners / losers),
    ``profit_factor`` (gross profit over gross loss), ``average_holding_days``,
    ``median_holding_days``. NaN where undefined (no trips, no losers)."""
    n = len(trips)
    if n == 0:
        return {"round_trips": 0, "hit_rate": np.nan, "average_return": np.nan, "average_win": np.nan,
                "average_loss": np.nan, "profit_factor": np.nan, "average_holding_days": np.nan,
                "median_holding_days": np.nan}
    pnl = trips["pnl"].to_numpy(dtype=float)
    ret = trips["return"].to_numpy(dtype=float)
    days = trips["holding_days"].to_numpy(dtype=float)
    wins, losses = pnl > 0, pnl < 0
    gross_loss = -pnl[losses].sum()
    return {
        "round_trips": int(n),
        "hit_rate": float(wins.mean()),
        "average_return": float(ret.mean()),
        "average_win": float(ret[wins].mean()) if wins.any() else np.nan,
        "average_loss": float(ret[losses].mean()) if losses.any() else np.nan,
        "profit_factor": float(pnl[wins].sum() / gross_loss) if gross_loss > 0 else np.nan,
        "average_holding_days": float(days.mean()),
        "median_holding_days": float(np.median(days)),
    }


def portfolio_stats(result) -> dict[str, Any]:
    """What a simulated portfolio paid, received and did.

    Returns
    -------
    dict
        ``turnover_annual`` (the engine summary's), ``fees_paid`` (commission + transfer + other
        exchange fees + ETF management/custody fees), ``taxes_paid`` (stamp duty, plus dividend tax
        when the engine records dividend events), ``slippage_cost``, ``dividends_received`` (net cash
        of the ``events`` frame, columns ``date, symbol, shares, cash, tax``; None when the result has
        no events), ``time_in_market`` (share of sessions holding any position), the
        :func:`trade_stats` of :func:`round_trips` of the fills and ``unmatched_shares``.
    """
    costs = result.costs
    col = lambda k: float(costs[k].sum()) if k in costs.columns else 0.0  # noqa: E731
    events = getattr(result, "events", None)
    dividends = div_tax = None
    if isinstance(events, pd.DataFrame):
        if not {"cash", "tax"} <= set(events.columns):
            raise DataError("result.events needs columns cash and tax")
        if "kind" in events.columns:  # the engine's record: cash on ex-dates; tax at payment or at sale
            dividends = float(events.loc[events["kind"] == "ex_date", "cash"].sum())
            div_tax = float(events.loc[events["kind"] != "paid", "tax"].sum())
        else:
            dividends = float(events["cash"].sum())
            div_tax = float(events["tax"].sum())
    held = result.holdings.abs().sum(axis=1) > 0
    trips = round_trips(result.fills, events if isinstance(events, pd.DataFrame) else None)
    return {
        "turnover_annual": float(result.summary.get("turnover_annual", np.nan)),
        "fees_paid": col("commission") + col("transfer") + col("other") + col("fund_fees"),
        "taxes_paid": col("stamp") + (div_tax or 0.0),
        "slippage_cost": col("slippage"),
        "dividends_received": dividends,
        "time_in_market": float(held.mean()) if len(held) else np.nan,
        **trade_stats(trips),
        "unmatched_shares": float(trips.attrs.get("unmatched_shares", 0.0)),
    }
