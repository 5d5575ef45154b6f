"""SSE STAR Market AI index (上证科创板人工智能指数, 950180): methodology as data and a point-in-time builder.

The official methodology PDF was not available offline. Every rule below carries the status given in the
project's ``INDEX_950180.md``: *confirmed* (fund prospectus / SSE-CSI notice), *reported* (secondary source),
*not found* (a project assumption, exposed as a parameter).

The AI-theme classification that defines the sample space is not available as data, so the sample space is
proxied by a candidate list (``tables/star_ai_candidates.csv``, :func:`candidate_table`): the names seen in the index in public reports
plus project-added AI-theme STAR names, each row stating its source.

Market caps
-----------
Historical share counts are not in the data. The builder approximates the total market cap on day t as
``total_shares (as of the 2026-05 snapshot) x close_t`` where ``close`` is forward-adjusted as of the snapshot
end; forward adjustment makes the price split-consistent with today's share count, so the product is today's
share count times a split-consistent price. It ignores new issuance and buybacks between t and 2026-05
(an APPROXIMATION). The free-float cap used for weights is ``float_shares x close`` on the same terms.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from aibt.errors import UniverseError

CONFIRMED, REPORTED, NOT_FOUND = "confirmed", "reported", "not found"
_PROSPECTUS = "博时 588790 prospectus (2024-12-19); 鑫元 024409 prospectus update (2026-02-13)"

#: 2024-09-18 top-10 weights (reported; INDEX_950180.md), in percent
KNOWN_TOP10_2024_09_18 = {
    "688111": 10.81, "688169": 10.64, "688256": 9.94, "688008": 9.58, "688099": 8.55,
    "688608": 5.32, "688521": 4.46, "688385": 3.96, "688568": 3.87, "688088": 3.40,
}


@dataclass(frozen=True)
class Methodology:
    """Index rules as parameters; :data:`RULE_SOURCES` gives each one's status and source.

    Attributes
    ----------
    n_constituents : number of constituents (30).
    min_listing_months : a stock must be listed longer than this at the data cutoff (6).
    fast_entry_months, fast_entry_rank : a stock listed longer than ``fast_entry_months`` (3) also qualifies
        when its average daily total cap since listing ranks in the top ``fast_entry_rank`` (5). The rank is
        taken within the candidate pool (the whole STAR board is not in the data).
    lookback_years : window for average amount and average total cap (1 year up to the cutoff).
    liquidity_keep : fraction of the sample space kept by average daily amount (top 90%; bottom 10% dropped,
        rounded down: ``keep = n - floor(0.1 n)``).
    weight_cap : single-stock weight cap with iterative redistribution (10%).
    review_months : review months (Mar, Jun, Sep, Dec).
    effective_friday : the review takes effect on the first session after this Friday of the month (2nd).
    cutoff_lag_months : data cutoff = last session of the month this many months before the review month.
    exclude_risk_warning : drop stocks under delisting-risk warning at the cutoff.
    base_date, base_value : 1000 points on 2022-12-30.
    """

    n_constituents: int = 30
    min_listing_months: int = 6
    fast_entry_months: int = 3
    fast_entry_rank: int = 5
    lookback_years: int = 1
    liquidity_keep: float = 0.90
    weight_cap: float = 0.10
    review_months: tuple[int, ...] = (3, 6, 9, 12)
    effective_friday: int = 2
    cutoff_lag_months: int = 2
    exclude_risk_warning: bool = True
    base_date: str = "2022-12-30"
    base_value: float = 1000.0

    def __post_init__(self) -> None:
        if self.n_constituents < 1:
            raise UniverseError(f"methodology n_constituents must be >= 1, got {self.n_constituents}")
        if not 0 < self.liquidity_keep <= 1:
            raise UniverseError(f"methodology liquidity_keep must be in (0, 1], got {self.liquidity_keep}")
        if not 0 < self.weight_cap <= 1:
            raise UniverseError(f"methodology weight_cap must be in (0, 1], got {self.weight_cap}")
        if not self.review_months or any(m not in range(1, 13) for m in self.review_months):
            raise UniverseError(f"methodology review_months must be months 1..12, got {self.review_months}")
        if self.cutoff_lag_months < 1:
            raise UniverseError("methodology cutoff_lag_months must be >= 1 (the cutoff precedes the review month)")

    def describe(self) -> pd.DataFrame:
        """One row per rule: ``rule, value, status, source``."""
        return pd.DataFrame([
            {"rule": f.name, "value": getattr(self, f.name), "status": RULE_SOURCES[f.name][0],
             "source": RULE_SOURCES[f.name][1]} for f in fields(self)
        ])


#: field -> (status, source), exactly as INDEX_950180.md states them
RULE_SOURCES: dict[str, tuple[str, str]] = {
    "n_constituents": (CONFIRMED, "SSE/CSI launch notice 2024-07-19 (reposted by Xinhua)"),
    "min_listing_months": (CONFIRMED, _PROSPECTUS),
    "fast_entry_months": (CONFIRMED, _PROSPECTUS),
    "fast_entry_rank": (CONFIRMED, _PROSPECTUS + "; ranked here within the candidate pool (approximation)"),
    "lookback_years": (CONFIRMED, _PROSPECTUS + " (liquidity over the past year); cap window reported"),
    "liquidity_keep": (CONFIRMED, _PROSPECTUS),
    "weight_cap": (REPORTED, "two secondary sources; weighting itself (free-float cap) reported"),
    "review_months": (REPORTED, "secondary sources: quarterly reviews"),
    "effective_friday": (REPORTED, "secondary sources: trading day after the 2nd Friday of Mar/Jun/Sep/Dec"),
    "cutoff_lag_months": (NOT_FOUND, "project assumption following the usual SSE/CSI practice: data up to the "
                                     "last session of the month two months before the review month (e.g. April "
                                     "for June); on the snapshot, lag 2 reproduces 2 of the 7 reported 2025-06-16 "
                                     "additions, lag 1 only 1"),
    "exclude_risk_warning": (CONFIRMED, _PROSPECTUS),
    "base_date": (CONFIRMED, _PROSPECTUS),
    "base_value": (CONFIRMED, _PROSPECTUS),
}
#: rules known to exist but with no value found: not modelled
NOT_MODELLED = {
    "buffer rule": (NOT_FOUND, "no buffer for incumbents is applied"),
    "top-5 cap": (NOT_FOUND, "no aggregate top-5 cap (top 5 were 45.8% on 2025-02-26)"),
    "selection by average total cap": (REPORTED, "implemented as top-N by average daily total cap"),
}

DEFAULT = Methodology()


# ------------------------------------------------------------------------------------------- data tables
def _table(name: str) -> Path:
    return Path(str(resources.files("aibt.universes") / "tables" / name))


@lru_cache(maxsize=1)
def candidate_table() -> pd.DataFrame:
    """The sample-space proxy: ``code, name, status ("reported"/"project-added"), source``."""
    return pd.read_csv(_table("star_ai_candidates.csv"), dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def known_changes() -> pd.DataFrame:
    """Reported constituent changes: ``effective_date, code, action ("in"/"out"), status, source``."""
    df = pd.read_csv(_table("star_ai_changes.csv"), dtype=str, keep_default_na=False)
    df["effective_date"] = pd.to_datetime(df["effective_date"])
    return df


# ------------------------------------------------------------------------------------------- schedule
def second_friday(year: int, month: int, nth: int = 2) -> pd.Timestamp:
    """The ``nth`` Friday of a month."""
    first = pd.Timestamp(year=year, month=month, day=1)
    return first + pd.Timedelta(days=(4 - first.day_of_week) % 7 + 7 * (nth - 1))


def review_dates(sessions, start=None, end=None, methodology: Methodology = DEFAULT) -> pd.DataFrame:
    """Review schedule on a session calendar.

    Parameters
    ----------
    sessions : DatetimeIndex of trading sessions (sorted).
    start, end : optional bounds on the effective date (inclusive).
    methodology : gives the review months, the Friday rule and the cutoff lag.

    Returns
    -------
    DataFrame with ``review_date`` (data cutoff: last session of the month ``cutoff_lag_months`` before the
    review month) and ``effective_date`` (first session after the review month's 2nd Friday). Reviews whose
    cutoff or effective date falls outside ``sessions`` are left out.
    """
    s = pd.DatetimeIndex(sessions)
    if len(s) == 0:
        return pd.DataFrame({"review_date": pd.DatetimeIndex([]), "effective_date": pd.DatetimeIndex([])})
    lo = pd.Timestamp(start) if start is not None else s[0]
    hi = pd.Timestamp(end) if end is not None else s[-1]
    rows = []
    for year in range(s[0].year, s[-1].year + 1):
        for month in methodology.review_months:
            fri = second_friday(year, month, methodology.effective_friday)
            k = int(np.searchsorted(s.values, np.datetime64(fri), side="right"))
            if k >= len(s):
                continue
            eff = s[k]
            month_start = pd.Timestamp(year=year, month=month, day=1)
            cutoff_edge = month_start - pd.DateOffset(months=methodology.cutoff_lag_months - 1)
            c = int(np.searchsorted(s.values, np.datetime64(cutoff_edge), side="left")) - 1
            if c < 0 or not (lo <= eff <= hi):
                continue
            rows.append((s[c], eff))
    return pd.DataFrame(rows, columns=["review_date", "effective_date"])


# ------------------------------------------------------------------------------------------- weighting
def capped_weights(values: np.ndarray, cap: float) -> np.ndarray:
    """Weights proportional to ``values`` with no weight above ``cap``; the excess is redistributed
    proportionally among the uncapped names until none exceeds the cap.

    If ``len(values) * cap < 1`` no weighting can respect the cap; equal weights (the smallest possible
    maximum) are returned.
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    if n == 0:
        return v.copy()
    if not np.all(np.isfinite(v)) or np.any(v < 0) or v.sum() <= 0:
        raise UniverseError("capped_weights needs finite, non-negative values with a positive sum")
    if n * cap < 1 + 1e-12:
        return np.full(n, 1.0 / n)
    w = v / v.sum()
    capped = np.zeros(n, dtype=bool)
    for _ in range(n):
        over = (w > cap + 1e-15) & ~capped
        if not over.any():
            break
        capped |= over
        free = ~capped
        remaining = 1.0 - cap * capped.sum()
        w = np.where(capped, cap, v * remaining / v[free].sum() if v[free].sum() > 0 else 0.0)
    return w


# ------------------------------------------------------------------------------------------- builder
def _months_before(date: pd.Timestamp, months: int) -> pd.Timestamp:
    return date - pd.DateOffset(months=months)


def _select_one(cutoff: pd.Timestamp, close: pd.DataFrame, amount: pd.DataFrame, total_shares: pd.Series,
                float_shares: pd.Series, listing: pd.Series, pool: Sequence[str], m: Methodology,
                risk_warning: Mapping[str, Sequence[tuple]]) -> pd.DataFrame:
    """Constituents chosen with data up to ``cutoff`` only (all slicing below is ``<= cutoff``)."""
    known = close.loc[:cutoff, list(pool)]
    amt = amount.loc[:cutoff, list(pool)]
    win_start = _months_before(cutoff, 12 * m.lookback_years)
    in_win = known.index > win_start
    cap_all = known * total_shares.reindex(known.columns).to_numpy()
    avg_cap = cap_all.loc[in_win].mean(skipna=True)
    avg_amt = amt.loc[in_win].mean(skipna=True)
    since_listing_cap = pd.Series({c: cap_all[c].loc[cap_all.index >= listing[c]].mean() for c in known.columns})
    fast_rank = since_listing_cap.rank(ascending=False, method="first")

    eligible = []
    for c in known.columns:
        lst = listing[c]
        if pd.isna(lst) or lst > cutoff or not np.isfinite(avg_cap[c]):
            continue
        aged = lst <= _months_before(cutoff, m.min_listing_months)
        fast = lst <= _months_before(cutoff, m.fast_entry_months) and fast_rank[c] <= m.fast_entry_rank
        if not (aged or fast):
            continue
        if m.exclude_risk_warning and any(s <= cutoff and (e is None or cutoff <= e)
                                          for s, e in risk_warning.get(c, ())):
            continue
        eligible.append(c)
    if not eligible:
        return pd.DataFrame()
    n = len(eligible)
    keep = n - int(math.floor(n * (1.0 - m.liquidity_keep) + 1e-9))
    liq = avg_amt[eligible].fillna(-np.inf)
    liquid = sorted(eligible, key=lambda c: (-liq[c], c))[:keep]
    chosen = sorted(liquid, key=lambda c: (-avg_cap[c], c))[:m.n_constituents]
    last_close = known[chosen].ffill().iloc[-1]
    ff_cap = last_close * float_shares.reindex(chosen)
    if ff_cap.isna().any():
        bad = ff_cap[ff_cap.isna()].index[0]
        raise UniverseError(f"no free-float cap for {bad} at the {cutoff.date()} cutoff (float shares or close "
                            "missing)")
    w = capped_weights(ff_cap.to_numpy(), m.weight_cap)
    return pd.DataFrame({
        "code": chosen, "weight": w, "avg_total_cap": avg_cap[chosen].to_numpy(),
        "avg_amount": avg_amt[chosen].to_numpy(), "free_float_cap": ff_cap.to_numpy(),
        "cap_rank": np.arange(1, len(chosen) + 1), "sample_size": n, "liquid_size": len(liquid),
    })


def build_constituents(close: pd.DataFrame, amount: pd.DataFrame, total_shares: pd.Series,
                       float_shares: pd.Series, listing_dates: Mapping | pd.Series, sessions,
                       methodology: Methodology = DEFAULT, candidates: Sequence[str] | None = None,
                       start=None, end=None,
                       risk_warning: Mapping[str, Sequence[tuple]] | None = None) -> pd.DataFrame:
    """Point-in-time constituents and weights of 950180 at every review.

    Parameters
    ----------
    close : DataFrame dates x codes, forward-adjusted closes (see the module note on market caps).
    amount : DataFrame dates x codes, daily traded amount (CNY); aligned to ``close``'s axes.
    total_shares, float_shares : Series code -> shares (snapshot counts).
    listing_dates : mapping code -> listing date.
    sessions : DatetimeIndex of trading sessions for the review schedule.
    methodology : :class:`Methodology` (defaults as documented).
    candidates : codes of the sample-space proxy; defaults to :func:`candidate_table`. Codes without a close
        column are skipped.
    start, end : bounds on effective dates; by default from the last review effective on or before the
        index base date (2022-12-30) to the last session.
    risk_warning : optional code -> ((start, end or None), ...) periods under risk warning.

    Returns
    -------
    DataFrame with one row per (review, constituent): ``review_date`` (data cutoff), ``effective_date``,
    ``code``, ``weight`` (sums to 1 per review, none above the cap), ``avg_total_cap``, ``avg_amount``,
    ``free_float_cap``, ``cap_rank``, ``sample_size``, ``liquid_size``. Each review uses only data dated on or
    before its ``review_date``.
    """
    close = close.sort_index()
    amount = amount.reindex(index=close.index, columns=close.columns)
    pool = [str(c) for c in (candidates if candidates is not None else candidate_table()["code"])]
    pool = [c for c in dict.fromkeys(pool) if c in close.columns]
    if not pool:
        raise UniverseError("none of the candidate codes has a close column")
    missing = [c for c in pool if c not in total_shares.index or c not in float_shares.index]
    if missing:
        raise UniverseError(f"no share counts for {missing[0]} (and {len(missing) - 1} more)")
    listing = pd.Series({c: pd.Timestamp(listing_dates[c]) if c in listing_dates else pd.NaT for c in pool})
    sched = review_dates(sessions, None, end, methodology)
    if start is None:
        before = sched[sched["effective_date"] <= pd.Timestamp(methodology.base_date)]
        first = before["effective_date"].max() if len(before) else sched["effective_date"].min()
    else:
        first = pd.Timestamp(start)
    sched = sched[sched["effective_date"] >= first]
    out = []
    for cutoff, eff in sched.itertuples(index=False):
        sel = _select_one(cutoff, close, amount, total_shares, float_shares, listing, pool, methodology,
                          risk_warning or {})
        if sel.empty:
            continue
        sel.insert(0, "effective_date", eff)
        sel.insert(0, "review_date", cutoff)
        out.append(sel)
    if not out:
        raise UniverseError("no review between the given dates has an eligible constituent")
    return pd.concat(out, ignore_index=True)


def constituents_as_of(table: pd.DataFrame, date) -> pd.DataFrame:
    """Rows of the latest review effective on or before ``date`` (a table from :func:`build_constituents`
    or :func:`weights_from_user_file`)."""
    d = pd.Timestamp(date)
    eff = pd.DatetimeIndex(table["effective_date"])
    valid = eff[eff <= d]
    if len(valid) == 0:
        raise UniverseError(f"no constituents effective on {d.date()}: the first review takes effect "
                            f"{eff.min().date()}")
    return table[eff == valid.max()].reset_index(drop=True)


# ------------------------------------------------------------------------------------------- user file
USER_COLUMNS = ("effective_date", "code", "weight")


def weights_from_user_file(path, master=None, tol: float = 1e-6) -> pd.DataFrame:
    """Read a user's constituent file (CSV ``effective_date,code,weight``) and validate it.

    Codes are read as text (keep leading zeros); each effective date's weights must be finite,
    non-negative and sum to 1 within ``tol``; a code may appear once per date. With ``master`` every code
    must be in it (an unknown one is named with close matches).

    Returns
    -------
    DataFrame ``effective_date, code, weight`` sorted by date then code.
    """
    import difflib

    import io

    from aibt.files import decode_text, read_input_bytes

    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise UniverseError(f"constituent file {p} does not exist")
    text = decode_text(read_input_bytes(p, "constituent file", error=UniverseError), f"constituent file {p}",
                       UniverseError)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise UniverseError(f"constituent file {p} is empty") from None
    except pd.errors.ParserError as exc:
        raise UniverseError(f"constituent file {p} is not a readable CSV ({str(exc)[:150]})") from None
    cols = [c.strip() for c in df.columns]
    df.columns = cols
    for c in cols:
        if c not in USER_COLUMNS:
            close = difflib.get_close_matches(c, USER_COLUMNS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UniverseError(f"{p}: unknown column {c!r} (expected {', '.join(USER_COLUMNS)}){hint}")
    missing = [c for c in USER_COLUMNS if c not in cols]
    if missing:
        raise UniverseError(f"{p}: missing column(s) {missing}")
    if df.empty:
        raise UniverseError(f"{p}: no rows")
    from aibt.errors import short
    from aibt.files import user_date

    parsed = []
    for i, v in enumerate(df["effective_date"].tolist()):
        try:
            parsed.append(user_date(v, "effective_date", error=UniverseError))
        except UniverseError:
            raise UniverseError(f"{p} line {i + 2}: effective_date {short(v)} is not a date (use YYYY-MM-DD, "
                                "1990..2100)") from None
    dates = pd.Series(pd.DatetimeIndex(parsed, dtype="datetime64[ns]"), index=df.index)
    weights = pd.to_numeric(df["weight"].str.strip(), errors="coerce")
    bad = ~np.isfinite(weights.to_numpy(dtype=np.float64)) | (weights.to_numpy(dtype=np.float64) < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2
        raise UniverseError(f"{p} line {row}: weight {df['weight'].iloc[row - 2]!r} is not a non-negative number")
    out = pd.DataFrame({"effective_date": dates, "code": df["code"].str.strip(), "weight": weights.astype(float)})
    dup = out.duplicated(["effective_date", "code"])
    if dup.any():
        r = out[dup].iloc[0]
        raise UniverseError(f"{p}: code {r['code']} appears twice on {r['effective_date'].date()}")
    if master is not None:
        from aibt.universes.master import unknown_code_message
        for code in out["code"]:
            if code not in master:
                raise UniverseError(f"{p}: {unknown_code_message(code, master.codes)}")
    sums = out.groupby("effective_date")["weight"].sum()
    off = sums[(sums - 1.0).abs() > tol]
    if len(off):
        raise UniverseError(f"{p}: weights on {off.index[0].date()} sum to {off.iloc[0]:.6g}, not 1")
    return out.sort_values(["effective_date", "code"]).reset_index(drop=True)
