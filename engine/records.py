"""Fill records: reason codes to text and the labelled fills table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.engine import nb

#: Reason code -> text. 'filled' means the order was filled in full, or cut only by rounding to whole lots
#: (then ``filled < requested``; :func:`fills_frame` records it as a fill, not as a refusal).
REASONS: dict[int, str] = {
    nb.REASON_NONE: "filled",
    nb.REASON_LOT_ROUNDING: "lot_rounding",
    nb.REASON_LIMIT_UP: "limit_up",
    nb.REASON_LIMIT_DOWN: "limit_down",
    nb.REASON_SUSPENDED: "suspended",
    nb.REASON_INSUFFICIENT_CASH: "insufficient_cash",
    nb.REASON_T_PLUS_1: "t_plus_1",
    nb.REASON_ODD_LOT_BUY: "odd_lot_buy",
    nb.REASON_NO_PRICE: "no_price",
    nb.REASON_VOLUME_LIMIT: "volume_limit",
}

#: Corporate-action record kind -> text.
EVENT_KINDS: dict[int, str] = {nb.EVENT_DIVIDEND: "ex_date", nb.EVENT_TAX: "dividend_tax", nb.EVENT_PAID: "paid"}
EVENT_RECORD_COLUMNS = ("date", "symbol", "kind", "shares", "cash", "tax")

FILL_COLUMNS = ("date", "symbol", "side", "requested", "filled", "price", "value", "commission", "stamp",
                "transfer", "other", "slippage", "reason")


def reason_text(codes) -> np.ndarray:
    """Map reason codes to their names (object array)."""
    codes = np.asarray(codes)
    return np.array([REASONS.get(int(c), f"unknown_{int(c)}") for c in codes.ravel()], dtype=object).reshape(
        codes.shape)


def fill_reasons(codes, filled) -> np.ndarray:
    """Reason texts of fill records: an order cut only by lot rounding that still filled is ``'filled'``
    (the shares asked for were never a whole number of lots); ``'lot_rounding'`` remains only where the
    rounding left nothing to trade. Every other code keeps its name (:data:`REASONS`)."""
    codes = np.asarray(codes)
    text = reason_text(codes)
    text[(codes == nb.REASON_LOT_ROUNDING) & (np.asarray(filled) > 0)] = REASONS[nb.REASON_NONE]
    return text


def fills_frame(records: np.ndarray, dates: pd.DatetimeIndex, symbols: tuple[str, ...]) -> pd.DataFrame:
    """Labelled fills table: one row per order (filled, cut or refused), in execution order.

    Columns: date, symbol, side ('buy'/'sell'), requested and filled shares, price (CNY, incl.
    slippage), value (filled x price), commission, stamp, transfer, other, slippage (CNY) and reason
    (:func:`fill_reasons`: ``'filled'`` for a fill cut only to whole lots, so that the refusals that
    matter, limits, suspensions, cash, stand out).
    """
    if len(records) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object if c in ("symbol", "side", "reason") else float)
                             for c in FILL_COLUMNS}).assign(date=pd.to_datetime([]))
    sym = np.array(symbols, dtype=object)
    filled = records["filled"].astype(np.float64)
    price = records["price"].astype(np.float64)
    return pd.DataFrame({
        "date": dates[records["date"]],
        "symbol": sym[records["symbol"]],
        "side": np.where(records["side"] > 0, "buy", "sell").astype(object),
        "requested": records["requested"].astype(np.float64),
        "filled": filled,
        "price": price,
        "value": np.where(filled > 0, filled * price, 0.0),
        "commission": records["commission"].astype(np.float64),
        "stamp": records["stamp"].astype(np.float64),
        "transfer": records["transfer"].astype(np.float64),
        "other": records["other"].astype(np.float64),
        "slippage": records["slippage"].astype(np.float64),
        "reason": fill_reasons(records["reason"], filled),
    })


def events_frame(records: np.ndarray, dates: pd.DatetimeIndex, symbols: tuple[str, ...]) -> pd.DataFrame:
    """Labelled corporate-action record: one row per ex-date of a held symbol (``kind='ex_date'``:
    shares credited, gross cash dividend plus the cash paid for a share fraction, tax withheld at
    payment), per sale that withheld dividend tax (``'dividend_tax'``) and per receivable paid
    (``'paid'``). CNY."""
    if len(records) == 0:
        return pd.DataFrame({"date": pd.to_datetime([]), "symbol": pd.Series([], dtype=object),
                             "kind": pd.Series([], dtype=object), "shares": pd.Series([], dtype=float),
                             "cash": pd.Series([], dtype=float), "tax": pd.Series([], dtype=float)})
    sym = np.array(symbols, dtype=object)
    return pd.DataFrame({
        "date": dates[records["date"]],
        "symbol": sym[records["symbol"]],
        "kind": np.array([EVENT_KINDS.get(int(k), f"unknown_{int(k)}") for k in records["kind"]], dtype=object),
        "shares": records["shares"].astype(np.float64),
        "cash": records["cash"].astype(np.float64),
        "tax": records["tax"].astype(np.float64),
    })
