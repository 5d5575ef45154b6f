"""Point-in-time cross-sectional factors on a :class:`~aibt.data.panel.Panel` as of a date.

Every factor has the signature ``factor(panel, as_of, **params) -> pd.Series`` (index: the panel's
symbols, name: the factor name) and reads only panel rows dated on or before ``as_of``; data after
``as_of`` can never change the value. ``as_of`` may fall on a non-session day: the last panel date
on or before it is used (``None`` = the panel's last date).

"Not enough history" is a NaN, never a guess. Why a value is NaN, or how it was estimated, is stated
per symbol in ``series.attrs["notes"]`` (a ``{symbol: message}`` dict), which :mod:`screening` shows
in its ``notes`` column; a statement about the whole column is in ``series.attrs["caveat"]``.

History rule. A symbol's history starts at its first bar (first non-NaN close) in the panel. A
window of ``N`` sessions is the last ``N`` panel sessions up to ``as_of``; a factor needs the whole
window to lie on or after the first bar (return-based factors need one more session for the first
return). Sessions without a bar inside the window (suspensions) are allowed and treated as stated
by each factor.

Annualisation uses ``periods_per_year`` (default :data:`PERIODS_PER_YEAR` = 243, the mean number
of XSHG sessions per calendar year; pass 252 to reproduce a US-convention number).
"""
from __future__ import annotations

import math
import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from aibt.data.panel import Panel
from aibt.errors import ConfigError, DataError

#: Mean XSHG sessions per calendar year (242-245 in most years).
PERIODS_PER_YEAR = 243.0

#: Fees above this (as a fraction per year) are taken to be percents by mistake.
_MAX_FEE_FRACTION = 0.05


# ----------------------------------------------------------------------------------- helpers
def as_of_row(panel: Panel, as_of=None) -> int:
    """Row of the last panel date on or before ``as_of`` (``None``: the last row).

    Raises
    ------
    DataError
        If ``as_of`` precedes the panel's first date.
    """
    if as_of is None:
        return len(panel.dates) - 1
    ts = pd.Timestamp(as_of)
    row = int(panel.dates.searchsorted(ts, side="right")) - 1
    if row < 0:
        raise DataError(f"as-of date {ts.date()} is before the panel's first date {panel.dates[0].date()}")
    return row


def as_of_date(panel: Panel, as_of=None) -> pd.Timestamp:
    """The panel session a factor computed ``as_of`` actually uses."""
    return panel.dates[as_of_row(panel, as_of)]


def _first_bar_rows(close: np.ndarray) -> np.ndarray:
    """Row of each column's first non-NaN value; -1 where a column has none."""
    has = ~np.isnan(close)
    first = np.argmax(has, axis=0)
    return np.where(has.any(axis=0), first, -1)


def _check_window(name: str, window, minimum: int = 1) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {window!r}")
    return int(window)


def _ffill(a: np.ndarray) -> np.ndarray:
    """Forward-fill NaNs down each column (uses past rows only)."""
    return pd.DataFrame(a).ffill().to_numpy()


def _history_notes(symbols, first, row, needed, label) -> dict[str, str]:
    """Notes for symbols whose history (sessions since first bar, up to row) is shorter than needed."""
    notes: dict[str, str] = {}
    for j, s in enumerate(symbols):
        if first[j] < 0:
            notes[s] = f"{label}: no data on or before the as-of date"
        elif row - first[j] + 1 < needed:
            notes[s] = f"{label}: needs {needed} sessions of history, has {row - first[j] + 1}"
    return notes


def _series(values, symbols, name: str, notes: Mapping[str, str], caveat: str = "") -> pd.Series:
    out = pd.Series(np.asarray(values, dtype=np.float64), index=pd.Index(list(symbols), dtype=object), name=name)
    out.attrs["notes"] = dict(notes)
    if caveat:
        out.attrs["caveat"] = caveat
    return out


def _history(panel: Panel, as_of):
    row = as_of_row(panel, as_of)
    close = panel.fields["close"][: row + 1]
    return row, close, _first_bar_rows(close)


def _bar_returns(close: np.ndarray) -> np.ndarray:
    """Simple returns from one bar to the next bar of the same column; NaN on days without a bar.

    A return after a suspension spans the whole suspension (last close before it -> first after).
    """
    prev = np.full_like(close, np.nan)
    prev[1:] = _ffill(close)[:-1]
    return close / prev - 1.0


# ----------------------------------------------------------------------------------- factors
def avg_amount(panel: Panel, as_of=None, window: int = 20) -> pd.Series:
    """Average daily traded amount (local currency) over the last ``window`` sessions up to ``as_of``.

    .. math:: \\bar A = \\frac{1}{N} \\sum_{t=D-N+1}^{D} A_t

    ``A_t`` is the panel's ``amount``; where it is NaN on a day with a bar it is estimated as
    ``volume x raw close`` (raw close = adjusted close x adj_factor): the note says on how many
    sessions, or, when every session of a symbol is estimated, ``attrs["caveat"]`` lists it. Sessions without a bar (suspension) count as 0 traded. NaN if the symbol has fewer
    than ``window`` sessions of history.
    """
    window = _check_window("window", window)
    row, close, first = _history(panel, as_of)
    lo = row - window + 1
    notes = _history_notes(panel.symbols, first, row, window, "avg_amount")
    out = np.full(len(panel.symbols), np.nan)
    if lo < 0:
        return _series(out, panel.symbols, "avg_amount", notes)
    sl = slice(lo, row + 1)
    c = close[sl]
    has_bar = ~np.isnan(c)
    amount = panel.fields["amount"][sl] if "amount" in panel.fields else np.full_like(c, np.nan)
    if "volume" in panel.fields:
        estimate = panel.fields["volume"][sl] * c * panel.fields["adj_factor"][sl]
    else:
        estimate = np.full_like(c, np.nan)
    use_est = has_bar & np.isnan(amount)
    daily = np.where(has_bar, np.where(use_est, estimate, amount), 0.0)
    ok = np.array([f >= 0 and row - f + 1 >= window for f in first])
    vals = daily.mean(axis=0)
    out = np.where(ok, vals, np.nan)
    all_estimated: list[str] = []
    for j, s in enumerate(panel.symbols):
        if not ok[j]:
            continue
        k = int(use_est[:, j].sum())
        if k and np.isnan(vals[j]):
            notes[s] = "avg_amount: no amount and no volume to estimate it from"
        elif k and k == int(has_bar[:, j].sum()):
            all_estimated.append(s)
        elif k:
            notes[s] = f"avg_amount: amount estimated as volume x raw close on {k} of {window} sessions"
        gaps = int((~has_bar[:, j]).sum())
        if gaps:
            extra = f"avg_amount: {gaps} session(s) without a bar counted as 0 traded"
            notes[s] = f"{notes[s]}; {extra}" if s in notes else extra
    caveat = ""
    if all_estimated:
        who = "all symbols" if len(all_estimated) == len(panel.symbols) else ", ".join(all_estimated)
        caveat = f"avg_amount: no amount in the data, estimated as volume x raw close for {who}"
    return _series(out, panel.symbols, "avg_amount", notes, caveat)


def momentum(panel: Panel, as_of=None, window: int = 120, skip: int = 0) -> pd.Series:
    """Total return of the adjusted close over ``window`` sessions, ending ``skip`` sessions before D.

    .. math:: M = \\frac{P_{D-k}}{P_{D-k-N}} - 1

    ``P`` is the last adjusted close on or before each session (a suspended symbol keeps its last
    price). NaN if the symbol's first bar is after session ``D-k-N`` (fewer than ``N+k+1`` sessions).
    """
    window = _check_window("window", window)
    skip = _check_window("skip", skip, minimum=0)
    row, close, first = _history(panel, as_of)
    needed = window + skip + 1
    notes = _history_notes(panel.symbols, first, row, needed, "momentum")
    out = np.full(len(panel.symbols), np.nan)
    start = row - skip - window
    if start >= 0:
        filled = _ffill(close)
        vals = filled[row - skip] / filled[start] - 1.0
        ok = (first >= 0) & (first <= start)
        out = np.where(ok, vals, np.nan)
    return _series(out, panel.symbols, "momentum", notes)


def volatility(panel: Panel, as_of=None, window: int = 60,
               periods_per_year: float = PERIODS_PER_YEAR) -> pd.Series:
    """Annualised standard deviation (ddof=1) of daily adjusted-close returns over ``window`` sessions.

    .. math:: \\sigma = \\sqrt{P}\\, \\operatorname{std}(r_{D-N+1}, \\dots, r_D)

    Returns are bar to bar (a suspension's return is taken on the day trading resumes; days without a
    bar have none). NaN with fewer than ``window + 1`` sessions of history or fewer than 2 returns.
    """
    window = _check_window("window", window, minimum=2)
    row, close, first = _history(panel, as_of)
    notes = _history_notes(panel.symbols, first, row, window + 1, "volatility")
    out = np.full(len(panel.symbols), np.nan)
    if row - window >= 0:
        r = _bar_returns(close)[row - window + 1: row + 1]
        n = (~np.isnan(r)).sum(axis=0)
        ok = (first >= 0) & (first <= row - window) & (n >= 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN / single-return columns -> NaN
            sd = np.nanstd(r, axis=0, ddof=1)
        out = np.where(ok, sd * math.sqrt(float(periods_per_year)), np.nan)
        for j, s in enumerate(panel.symbols):
            if first[j] >= 0 and first[j] <= row - window and n[j] < 2:
                notes[s] = f"volatility: only {n[j]} return(s) in the window"
    return _series(out, panel.symbols, "volatility", notes)


def max_drawdown(panel: Panel, as_of=None, window: int = 120) -> pd.Series:
    """Largest peak-to-trough fall of the adjusted close within the last ``window`` sessions.

    .. math:: \\mathrm{MDD} = \\min_{t} \\left( \\frac{P_t}{\\max_{s \\le t} P_s} - 1 \\right) \\le 0

    over sessions ``D-N+1 .. D`` (peak and trough both inside the window); ``P`` is the last close on
    or before each session. A fraction: -0.25 is a 25 % drawdown. NaN with fewer than ``window`` sessions.
    """
    window = _check_window("window", window, minimum=2)
    row, close, first = _history(panel, as_of)
    notes = _history_notes(panel.symbols, first, row, window, "max_drawdown")
    out = np.full(len(panel.symbols), np.nan)
    lo = row - window + 1
    if lo >= 0:
        p = _ffill(close)[lo: row + 1]
        peak = np.fmax.accumulate(p, axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # columns without data -> NaN
            dd = np.nanmin(p / peak - 1.0, axis=0)
        ok = (first >= 0) & (first <= lo)
        out = np.where(ok, dd, np.nan)
    return _series(out, panel.symbols, "max_drawdown", notes)


def listed_sessions(panel: Panel, as_of=None, list_dates: Mapping[str, object] | None = None) -> pd.Series:
    """Panel sessions from the listing date (or, lacking one, the first bar) to ``as_of`` inclusive.

    Without ``list_dates`` this is *data availability*: a symbol whose data start later than its
    listing looks younger than it is, and the note says so. With ``list_dates`` ({symbol: date}),
    sessions are counted on the panel's date axis from the listing date; a listing before the panel
    starts gives a lower bound. Both cases are stated in ``attrs["caveat"]``. A listing after ``as_of`` gives 0.
    """
    row, close, first = _history(panel, as_of)
    out = np.full(len(panel.symbols), np.nan)
    notes: dict[str, str] = {}
    from_data: list[str] = []
    before_panel: list[str] = []
    dates = panel.dates[: row + 1]
    for j, s in enumerate(panel.symbols):
        listed = None if list_dates is None else list_dates.get(s)
        if listed is not None and not pd.isna(listed):
            ts = pd.Timestamp(listed)
            out[j] = float(row + 1 - dates.searchsorted(ts, side="left"))
            if ts < panel.dates[0]:
                before_panel.append(s)
        elif first[j] >= 0:
            out[j] = float(row - first[j] + 1)
            from_data.append(s)
        else:
            notes[s] = "listed_sessions: no data on or before the as-of date"
    def who(codes):
        return "all symbols" if len(codes) == len(panel.symbols) else ", ".join(codes)

    parts = []
    if from_data:
        parts.append(f"counted from the first bar in the data, not the listing date, for {who(from_data)}")
    if before_panel:
        parts.append(f"listed before the panel starts {panel.dates[0].date()}, counted from the panel start "
                     f"(a lower bound) for {who(before_panel)}")
    caveat = "listed_sessions: " + "; ".join(parts) if parts else ""
    return _series(out, panel.symbols, "listed_sessions", notes, caveat)


def _reference_prices(panel: Panel, row: int, reference) -> tuple[np.ndarray, str]:
    """Reference levels on the panel's dates up to ``row`` (NaN where missing), and its label."""
    if isinstance(reference, str):
        j = panel.column(reference)
        return panel.fields["close"][: row + 1, j].copy(), reference
    if isinstance(reference, pd.Series):
        ref = reference.copy()
        ref.index = pd.to_datetime(ref.index)
        if ref.index.has_duplicates:
            raise DataError(f"reference series {ref.name!r} has duplicate dates")
        ref = ref[ref.index <= panel.dates[row]]  # point in time: nothing after D
        vals = ref.reindex(panel.dates[: row + 1]).to_numpy(dtype=np.float64)
        return vals, str(ref.name) if ref.name is not None else "reference"
    raise ConfigError("reference must be a panel symbol (str), a pd.Series of levels indexed by date, or a "
                      f"mapping {{symbol: either}}, got {type(reference).__name__}")


def _references(panel: Panel, row: int, reference) -> list[tuple[np.ndarray | None, str]]:
    """Per symbol, (reference levels up to ``row``, label); ``None`` where the symbol has no reference.

    ``reference`` is one reference for every symbol (a panel symbol or a level series) or a mapping
    ``{symbol: reference}`` (each ETF against the index it tracks). A symbol is never its own reference.
    """
    if isinstance(reference, Mapping):
        cache: dict[int, tuple[np.ndarray, str]] = {}
        out: list[tuple[np.ndarray | None, str]] = []
        for s in panel.symbols:
            ref = reference.get(s)
            if ref is None:
                out.append((None, ""))
                continue
            if id(ref) not in cache:
                cache[id(ref)] = _reference_prices(panel, row, ref)
            out.append(cache[id(ref)])
        return out
    one = _reference_prices(panel, row, reference)
    return [one] * len(panel.symbols)


def _paired_returns(panel: Panel, as_of, reference, window: int, label: str, min_obs: int | None):
    """Per symbol, (symbol returns, reference returns) over the same intervals, ending in the window.

    Both series are sampled on the sessions where *both* have a value; a return runs from one such
    session to the next (so a gap on either side gives one multi-day return on both sides). A symbol
    without a reference, or whose reference is itself (a panel symbol), gets no value (noted).
    """
    window = _check_window("window", window, minimum=2)
    min_obs = window if min_obs is None else _check_window("min_obs", min_obs, minimum=2)
    row, close, first = _history(panel, as_of)
    notes = _history_notes(panel.symbols, first, row, window + 1, label)
    refs = _references(panel, row, reference)
    lo = row - window + 1
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    ok = np.zeros(len(panel.symbols), dtype=bool)
    empty = np.array([], dtype=np.float64)
    for j, s in enumerate(panel.symbols):
        ref, ref_name = refs[j]
        if ref is None:
            pairs.append((empty, empty))
            notes[s] = f"{label}: no reference index for this symbol"
            continue
        if ref_name == s:
            pairs.append((empty, empty))
            notes[s] = f"{label}: this is the reference itself, not measured"
            continue
        both = np.flatnonzero(~np.isnan(close[:, j]) & ~np.isnan(ref))
        ends = np.flatnonzero(both[1:] >= lo) + 1 if len(both) > 1 else np.array([], dtype=int)
        r = close[both[ends], j] / close[both[ends - 1], j] - 1.0
        r_ref = ref[both[ends]] / ref[both[ends - 1]] - 1.0
        pairs.append((r, r_ref))
        ok[j] = first[j] >= 0 and first[j] <= row - window and len(r) >= min_obs
        if s not in notes and len(r) < min_obs:
            notes[s] = (f"{label}: only {len(r)} daily returns paired with {ref_name} in the last "
                        f"{window} sessions (min_obs={min_obs})")
    return pairs, ok, notes


def tracking_error(panel: Panel, as_of=None, reference=None, window: int = 60, min_obs: int | None = None,
                   periods_per_year: float = PERIODS_PER_YEAR) -> pd.Series:
    """Annualised tracking error of daily returns against a reference over ``window`` sessions.

    .. math:: \\mathrm{TE} = \\sqrt{P}\\, \\operatorname{std}(r_t - r^{\\mathrm{ref}}_t)

    with ddof=1, over returns taken between the sessions where both the symbol and the reference
    have a value (a gap on either side makes one multi-day return on both sides, so the intervals
    always match), for returns ending inside the last ``window`` sessions.

    Parameters
    ----------
    reference : str, pd.Series or mapping
        Levels indexed by date (e.g. the rebuilt 950180 index), a panel symbol (e.g. ``"000688"``),
        or a mapping ``{symbol: either}`` giving each symbol its own reference (each ETF against
        the index it tracks); only values dated on or before ``as_of`` are read. A symbol that is its
        own reference, or has none in the mapping, gets NaN (noted): a fund is never measured
        against itself.
    min_obs : int, optional
        Paired returns required (default: ``window``, every session); fewer gives NaN (noted).
    """
    if reference is None:
        raise ConfigError("tracking_error needs a reference: a panel symbol or a level series")
    pairs, ok, notes = _paired_returns(panel, as_of, reference, window, "tracking_error", min_obs)
    out = np.full(len(panel.symbols), np.nan)
    for j in np.flatnonzero(ok):
        r, r_ref = pairs[j]
        out[j] = np.std(r - r_ref, ddof=1) * math.sqrt(float(periods_per_year))
    return _series(out, panel.symbols, "tracking_error", notes)


def correlation(panel: Panel, as_of=None, reference=None, window: int = 60,
                min_obs: int | None = None) -> pd.Series:
    """Pearson correlation of daily returns with a reference over ``window`` sessions.

    Same pairing, history rule and ``reference`` forms as :func:`tracking_error`. NaN where either
    side has zero variance in the window (noted).
    """
    if reference is None:
        raise ConfigError("correlation needs a reference: a panel symbol or a level series")
    pairs, ok, notes = _paired_returns(panel, as_of, reference, window, "correlation", min_obs)
    out = np.full(len(panel.symbols), np.nan)
    for j in np.flatnonzero(ok):
        x, y = pairs[j]
        if np.std(x) == 0 or np.std(y) == 0:
            notes[panel.symbols[j]] = "correlation: constant returns in the window"
            continue
        out[j] = float(np.corrcoef(x, y)[0, 1])
    return _series(out, panel.symbols, "correlation", notes)


def _fee_value(symbol: str, spec) -> float:
    """management + custody from a float, a (management, custody) pair, a mapping or an object."""
    if isinstance(spec, Mapping):
        parts = [spec.get("management", spec.get("management_fee")), spec.get("custody", spec.get("custody_fee"))]
    elif isinstance(spec, (tuple, list)):
        parts = list(spec)
    elif hasattr(spec, "management") or hasattr(spec, "management_fee"):
        parts = [getattr(spec, "management", getattr(spec, "management_fee", None)),
                 getattr(spec, "custody", getattr(spec, "custody_fee", None))]
    else:
        parts = [spec]
    try:
        vals = [float(p) for p in parts]
    except (TypeError, ValueError):
        raise ConfigError(f"fee for {symbol} must be a number or management + custody numbers, got {spec!r}") from None
    if len(vals) not in (1, 2):
        raise ConfigError(f"fee for {symbol}: give total or (management, custody), got {spec!r}")
    if any(not np.isfinite(v) or v < 0 for v in vals):
        raise ConfigError(f"fee for {symbol} must be a non-negative fraction, got {spec!r}")
    if any(v > _MAX_FEE_FRACTION for v in vals):
        raise ConfigError(f"fee {spec!r} for {symbol} looks like a percent; give fractions per year "
                          "(0.5 % -> 0.005)")
    return float(sum(vals))


def fee(panel: Panel, as_of=None, fees: Mapping[str, object] | None = None) -> pd.Series:
    """Annual fund fee (management + custody, fractions) per symbol from a mapping passed in.

    ``fees`` maps symbol -> total fee, a ``(management, custody)`` pair, a mapping with keys
    ``management``/``custody`` (or ``management_fee``/``custody_fee``) or an object with such
    attributes. The mapping is taken as valid at ``as_of`` (fee history is not modelled). A symbol
    absent from ``fees`` is NaN (noted).
    """
    if fees is None:
        raise ConfigError("fee needs a fee mapping {symbol: management + custody}")
    as_of_row(panel, as_of)
    out = np.full(len(panel.symbols), np.nan)
    notes: dict[str, str] = {}
    for j, s in enumerate(panel.symbols):
        if s in fees and fees[s] is not None:
            out[j] = _fee_value(s, fees[s])
        else:
            notes[s] = "fee: no fee data for this symbol"
    return _series(out, panel.symbols, "fee", notes)


def _fund_shares_matrix(panel: Panel, row: int, fund_shares) -> tuple[np.ndarray, dict[str, str]]:
    """Units outstanding [row + 1, N] as published on or before each session (last value carried)."""
    out = np.full((row + 1, len(panel.symbols)), np.nan)
    notes: dict[str, str] = {}
    dates = pd.DatetimeIndex(panel.dates[: row + 1])
    fs = None if fund_shares is None else pd.DataFrame(fund_shares)
    for j, s in enumerate(panel.symbols):
        g = None if fs is None else fs[fs["symbol"].astype(str) == s]
        if g is None or not len(g):
            notes[s] = "units outstanding: none in the data (aibt data update fetches them for Shanghai ETFs)"
            continue
        ser = pd.Series(g["shares"].to_numpy(np.float64), index=pd.DatetimeIndex(g["date"])).sort_index()
        ser = ser[~ser.index.duplicated(keep="last")]
        out[:, j] = ser.reindex(dates.union(ser.index)).ffill().reindex(dates).to_numpy()
    return out, notes


def _relative_change(panel: Panel, as_of, window: int, values: np.ndarray, row: int, label: str,
                     notes: dict[str, str]) -> pd.Series:
    window = _check_window(label, window)
    out = np.full(len(panel.symbols), np.nan)
    if row - window >= 0:
        a, b = values[row - window], values[row]
        ok = np.isfinite(a) & np.isfinite(b) & (a > 0)
        out[ok] = b[ok] / a[ok] - 1.0
    for j, s in enumerate(panel.symbols):
        if not np.isfinite(out[j]) and s not in notes:
            notes[s] = f"{label}: no value {window} sessions before the date"
    return _series(out, panel.symbols, label, notes)


def share_change(panel: Panel, as_of=None, window: int = 20, fund_shares=None) -> pd.Series:
    """Relative change of an ETF's units outstanding over the last ``window`` sessions up to ``as_of``
    (creations minus redemptions: the flows), from ``fund_shares`` (``symbol, date, shares``: the data
    folder's table ``fund_shares``), each session using the last figure published on or before it."""
    row = as_of_row(panel, as_of)
    units, notes = _fund_shares_matrix(panel, row, fund_shares)
    return _relative_change(panel, as_of, window, units, row, "share_change", notes)


def scale_change(panel: Panel, as_of=None, window: int = 20, fund_shares=None) -> pd.Series:
    """Relative change of an ETF's scale (units outstanding x traded close, CNY) over ``window`` sessions:
    flows and price together (see :func:`share_change`)."""
    row = as_of_row(panel, as_of)
    units, notes = _fund_shares_matrix(panel, row, fund_shares)
    close = _ffill(np.asarray(panel.fields["traded_close"][: row + 1], dtype=np.float64))
    return _relative_change(panel, as_of, window, units * close, row, "scale_change", notes)


def net_flow(panel: Panel, as_of=None, window: int = 20, fund_shares=None) -> pd.Series:
    """Net creations minus redemptions over the last ``window`` sessions, in CNY:
    :math:`\\sum_t (U_t - U_{t-1})\\,P_t` with ``U`` the units outstanding of ``fund_shares`` (as
    :func:`share_change`, the last figure published on or before each session) and ``P`` the traded close."""
    window = _check_window("window", window)
    row = as_of_row(panel, as_of)
    units, notes = _fund_shares_matrix(panel, row, fund_shares)
    close = _ffill(np.asarray(panel.fields["traded_close"][: row + 1], dtype=np.float64)) \
        if "traded_close" in panel.fields else _ffill(panel.fields["close"][: row + 1] * panel.fields["adj_factor"][: row + 1])
    out = np.full(len(panel.symbols), np.nan)
    if row - window >= 0:
        d = np.diff(units[row - window: row + 1], axis=0)
        flows = d * close[row - window + 1: row + 1]
        ok = np.isfinite(units[row - window]) & np.isfinite(units[row])
        out[ok] = np.nansum(flows[:, ok], axis=0)
    for j, s in enumerate(panel.symbols):
        if not np.isfinite(out[j]) and s not in notes:
            notes[s] = f"net_flow: no units outstanding {window} sessions before the date"
    return _series(out, panel.symbols, "net_flow", notes)


def risk_warning(panel: Panel, as_of=None, risk_warnings: Mapping[str, object] | None = None,
                 names: Mapping[str, str] | None = None) -> pd.Series:
    """1.0 if the symbol is under a risk warning (ST / *ST) on the as-of session, else 0.0.

    ``risk_warnings`` maps symbol -> periods ``((start, end or None), ...)`` (the security master's
    ``st_periods``); ``names`` maps symbol -> short name, and a name starting with ``ST`` or ``*ST`` on
    the as-of date counts too (the exchange prefixes the name while the warning is in force). Only the
    periods' start dates on or before ``as_of`` are read. Symbols without either are 0.0 (none known).
    """
    day = as_of_date(panel, as_of)
    out = np.zeros(len(panel.symbols))
    notes: dict[str, str] = {}
    for j, s in enumerate(panel.symbols):
        for start, end in (risk_warnings or {}).get(s, ()) or ():
            if pd.Timestamp(start) <= day and (end is None or pd.isna(end) or day <= pd.Timestamp(end)):
                out[j] = 1.0
                notes[s] = f"risk_warning: under ST/*ST from {pd.Timestamp(start).date()}"
        name = (names or {}).get(s) or ""
        if name.upper().lstrip("*").startswith("ST") and s not in notes:
            out[j] = 1.0
            notes[s] = f"risk_warning: name {name} carries the ST prefix"
    return _series(out, panel.symbols, "risk_warning", notes)


def stale_sessions(panel: Panel, as_of=None) -> pd.Series:
    """Panel sessions from the symbol's last bar on or before ``as_of`` to ``as_of`` (0 = a bar on D).

    A name whose data ended (6088.HK's bars stop on 2025-10-30) or that has been suspended for long
    shows here: its momentum and risk would otherwise be computed on a price frozen at its last bar.
    The note gives the date of the last bar. NaN without any bar up to ``as_of``.
    """
    row, close, first = _history(panel, as_of)
    has = ~np.isnan(close)
    out = np.full(len(panel.symbols), np.nan)
    notes: dict[str, str] = {}
    for j, s in enumerate(panel.symbols):
        idx = np.flatnonzero(has[:, j])
        if len(idx) == 0:
            notes[s] = "stale_sessions: no data on or before the as-of date"
            continue
        out[j] = float(row - idx[-1])
        if out[j] > 0:
            notes[s] = f"data ended {panel.dates[idx[-1]].date()} (last bar), {int(out[j])} session(s) before the as-of date"
    return _series(out, panel.symbols, "stale_sessions", notes)


def period_return(panel: Panel, as_of=None, months: int = 6) -> pd.Series:
    """Total return of the adjusted close over the last ``months`` calendar months up to ``as_of``.

    .. math:: R = P_D / P_{D_0} - 1

    with :math:`D_0` the last session on or before ``D - months`` (calendar months, as fund
    factsheets quote "6-month return"; ``P`` = the last close on or before each session). NaN when the
    symbol's first bar is after :math:`D_0`.
    """
    months = _check_window("months", months)
    row, close, first = _history(panel, as_of)
    day = panel.dates[row]
    start_day = day - pd.DateOffset(months=months)
    start = int(panel.dates.searchsorted(start_day, side="right")) - 1
    label = f"period_return_{months}m"
    notes: dict[str, str] = {}
    out = np.full(len(panel.symbols), np.nan)
    if start < 0:
        for s in panel.symbols:
            notes[s] = f"{label}: the data start after {start_day.date()}"
        return _series(out, panel.symbols, "period_return", notes)
    filled = _ffill(close)
    vals = filled[row] / filled[start] - 1.0
    for j, s in enumerate(panel.symbols):
        if first[j] < 0 or first[j] > start:
            notes[s] = f"{label}: first bar after {panel.dates[start].date()}"
        else:
            out[j] = vals[j]
    return _series(out, panel.symbols, "period_return", notes)




#: Factor name -> function; the names users write in screens and config files.
FACTORS = {
    "avg_amount": avg_amount,
    "momentum": momentum,
    "volatility": volatility,
    "max_drawdown": max_drawdown,
    "listed_sessions": listed_sessions,
    "tracking_error": tracking_error,
    "correlation": correlation,
    "fee": fee,
    "share_change": share_change,
    "scale_change": scale_change,
    "net_flow": net_flow,
    "risk_warning": risk_warning,
    "stale_sessions": stale_sessions,
    "period_return": period_return,
}

#: Factors where the lowest value is best: a Rank on one of them without ``ascending`` ranks low first,
#: as the built-in screens do. Every other factor ranks highest first by default.
LOW_IS_BETTER = frozenset({"volatility", "tracking_error", "fee", "risk_warning", "stale_sessions"})
