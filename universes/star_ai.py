"""SSE STAR Market AI index (上证科创板人工智能指数, 950180): methodology as data and a point-in-time builder.

The official methodology PDF was not available offline. Every rule below carries the status given in the
project's ``INDEX_950180.md``: *confirmed* (fund prospectus / SSE-CSI notice), *reported* (secondary source),
*not found* (a project assumption, exposed as a parameter).

Sample space and theme
----------------------
The sample space is the whole STAR market of the dumps: the snapshot's monthly ``star_market`` table (610
codes, every STAR stock in stock_basic; no delisted STAR name is in any dump). Listing age, the fast-entry
rank and the liquidity screen (top 90% by average daily amount) are taken over all of it; the AI theme is then
CSI's classification, which is not public: ``tables/star_ai_theme.csv`` (:func:`theme_table`) classifies every
code, each row with its source: reported members in, names the reported facts rule out excluded (with the
numbers), the 2025-06-16 changes read as a reclassification (``theme_from`` / ``theme_to``), project-added
candidates marked as such. Reported facts (:func:`membership_facts`, ``tables/star_ai_facts.csv``) are checked
against the rebuild by :func:`aibt.strategies.star_ai_index.check_facts`.

Market caps and free float
--------------------------
Historical share counts are not in the data. The builder approximates the total market cap on day t as
``total_shares (as of the 2026-05 snapshot) x close_t`` where ``close`` is forward-adjusted as of the snapshot
end; forward adjustment makes the price split-consistent with today's share count, so the product is today's
share count times a split-consistent price. It ignores new issuance and buybacks between t and 2026-05
(an APPROXIMATION). Weights use the free-float cap ``banded_ratio x total_shares x close``: CSI's banding table
(:data:`FREE_FLOAT_BANDS`) applied to ``float_shares / total_shares`` (circulating shares, 2026-05) or, where
the evidence bounds it, to ``tables/star_ai_free_float.csv``; at a review effective while shares are locked
after an IPO, the ratio is at most the unlocked fraction (``tables/star_ai_restricted.csv``, company notices,
:func:`restricted_table`). CSI also removes large holders' stakes, which the dumps do not list: ratios stay
too high for names with controlling holders (APPROXIMATION).

Seats
-----
Fewer than 30 theme names are known at every review. ``Methodology.fill_seats`` (off) gives the empty seats to
the largest liquid unreported names of :data:`FILL_INDUSTRIES` (theme rows ``in_theme=fill``). It is off
because the snapshot has no daily bars for them, and because, priced from the raw dumps, it contradicts the
reported facts (41 of 45 agree; the 2024 top 10s and the 2025 top-10 shares say the missing members weigh less
than the largest candidates would).
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
        when its average daily total cap since listing ranks in the top ``fast_entry_rank`` (5; 0 = no fast
        entry). The rank is taken over the market table (the whole STAR market in the snapshot).
    lookback_years : window for average amount and average total cap (1 year up to the cutoff).
    liquidity_keep : fraction of the sample space kept by average daily amount (top 90%; bottom 10% dropped,
        rounded down: ``keep = n - floor(0.1 n)``).
    weight_cap : single-stock weight cap with iterative redistribution (10%).
    review_months : review months (Mar, Jun, Sep, Dec).
    effective_friday : the review takes effect on the first session after this Friday of the month (2nd).
    cutoff_lag_months : data cutoff = last session of the month this many months before the review month.
    exclude_risk_warning : drop stocks under delisting-risk warning at the cutoff.
    buffer_in, buffer_keep : buffer rule: theme names ranked within ``buffer_in`` (24) enter first, members
        of the previous review ranked within ``buffer_keep`` (36) stay first; then the rest by rank (0 = n).
    free_float_banding : weight by CSI's banded free-float ratio (:func:`banded_free_float`).
    fill_seats : when fewer than ``n_constituents`` theme names pass the screens, fill the empty seats with the
        largest liquid names the theme table marks ``fill`` (unreported STAR names whose stock_basic industry
        maps onto a segment of the published theme definition); they never displace a theme name. Off by
        default: the snapshot has no daily bars for most of them, so the level cannot price them yet.
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
    buffer_in: int = 24
    buffer_keep: int = 36
    free_float_banding: bool = True
    fill_seats: bool = False
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
    "fast_entry_rank": (CONFIRMED, _PROSPECTUS + "; ranked over the whole STAR market of the snapshot's "
                                                 "star_market table; fit (star_ai_fit.csv): on and off tie"),
    "lookback_years": (CONFIRMED, _PROSPECTUS + " (liquidity over the past year); cap window reported"),
    "liquidity_keep": (CONFIRMED, _PROSPECTUS),
    "weight_cap": (REPORTED, "two secondary sources; weighting itself (free-float cap) reported"),
    "review_months": (REPORTED, "secondary sources: quarterly reviews"),
    "effective_friday": (REPORTED, "secondary sources: trading day after the 2nd Friday of Mar/Jun/Sep/Dec"),
    "cutoff_lag_months": (NOT_FOUND, "fitted on the membership facts (scripts/fit_star_ai.py -> "
                                     "tables/star_ai_fit.csv): lags 1, 2 and 3 tie (44 of 45 facts); 2 (data up "
                                     "to the end of April for June, the usual SSE/CSI practice) is kept"),
    "buffer_in": (NOT_FOUND, "fitted (tables/star_ai_fit.csv): no buffer and 24/36 tie on the facts (fewer than "
                             "30 theme names are known at any review, so every one of them is selected); CSI's "
                             "usual 80%/120% buffer (24 in / 36 stay of 30) is kept"),
    "buffer_keep": (NOT_FOUND, "see buffer_in"),
    "free_float_banding": (CONFIRMED, "CSI banding table (FREE_FLOAT_BANDS); applied to circulating / total "
                                      "shares of 2026-05 and tables/star_ai_free_float.csv, capped by the shares "
                                      "locked at the review (tables/star_ai_restricted.csv, company notices) "
                                      "(APPROXIMATION: CSI also removes large holders' stakes)"),
    "fill_seats": (NOT_FOUND, "project rule for the seats CSI's unpublished classification gives to names no "
                              "report names (tables/star_ai_theme.csv rows in_theme=fill, status rule); off until "
                              "the snapshot carries their daily bars"),
    "exclude_risk_warning": (CONFIRMED, _PROSPECTUS),
    "base_date": (CONFIRMED, _PROSPECTUS),
    "base_value": (CONFIRMED, _PROSPECTUS),
}
#: rules known to exist but with no value found: not modelled
NOT_MODELLED = {
    "top-5 cap": (NOT_FOUND, "no aggregate top-5 cap (top 5 were 45.8% on 2025-02-26)"),
    "selection by average total cap": (REPORTED, "implemented as top-N by average daily total cap"),
}

DEFAULT = Methodology()

#: stock_basic industries whose unreported STAR names the seat-filling rule may add (theme table rows
#: ``in_theme=fill``, status ``rule``), each mapped onto a segment of the published theme definition
#: (INDEX_950180.md: resources = dedicated compute chips, high-performance computers and equipment;
#: technology = cloud, big data, machine vision, speech and semantics; applications = smart security, transport,
#: home, medical, wearables). 半导体, 元器件, 通信设备 and 专用机械 are not fill industries: at stock_basic's
#: granularity they mix AI chips and vision with foundries, equipment, materials and handsets, and their
#: largest names (中芯国际 688981, 中微公司 688012, 传音控股 688036) would head the reported 2024 top-10
#: lists, which name none of them.
FILL_INDUSTRIES = {
    "软件服务": "technology segment (cloud, big data, speech and semantics) and security software",
    "IT设备": "resources segment (high-performance computers and equipment) and smart devices",
}


# ------------------------------------------------------------------------------------------- data tables
def _table(name: str) -> Path:
    return Path(str(resources.files("aibt.universes") / "tables" / name))


@lru_cache(maxsize=1)
def candidate_table() -> pd.DataFrame:
    """The sample-space proxy: ``code, name, status ("reported"/"project-added"), source``."""
    return pd.read_csv(_table("star_ai_candidates.csv"), dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def theme_table() -> pd.DataFrame:
    """AI-theme classification of every STAR code in the dumps: ``code, name, industry, in_theme (yes/no/fill:
    fill = a name the seat-filling rule may add, ``Methodology.fill_seats``),
    theme_from, theme_to`` (effective dates bounding the membership of the theme, empty = open), ``status``
    (``reported`` / ``evidence`` / ``project``) and ``source`` (why, per row)."""
    return pd.read_csv(_table("star_ai_theme.csv"), dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def free_float_table() -> pd.DataFrame:
    """Free-float ratio estimates where the evidence says more than circulating / total shares:
    ``code, name, free_float_ratio, status, source`` (banded like every ratio)."""
    return pd.read_csv(_table("star_ai_free_float.csv"), dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def restricted_table() -> pd.DataFrame:
    """Point-in-time restricted (locked) shares from company notices: ``code, name, restricted_from,
    restricted_to`` (the shares are locked on sessions from ``restricted_from`` up to, not including,
    ``restricted_to``), ``restricted_fraction`` (of all shares), ``status`` (``confirmed``: the fraction is
    stated in the notice; ``derived``: computed from the notices' share counts) and ``source``. CSI counts
    restricted shares out of the free float, so a review effective in a row's period weights the name by at
    most ``1 - restricted_fraction`` (banded).

    Coverage: the theme names listed less than 36 months (the controlling holders' lock) before a review from
    2024-12 to 2025-09 whose ratio no evidence row bounds, where a notice was found: 688615, 688031, 688400,
    688322, 688343 (688475's controlling stake is in ``star_ai_free_float.csv``). Not found: 688327 (listed
    2022-05, locked until profitable; its 2026-05 circulating ratio 0.80 says about 20% is still locked) and
    688207 (listed 2022-03); earlier reviews' locks (e.g. 688256 to 2023-07) are not covered."""
    df = pd.read_csv(_table("star_ai_restricted.csv"), dtype=str, keep_default_na=False)
    df["restricted_from"] = pd.to_datetime(df["restricted_from"])
    df["restricted_to"] = pd.to_datetime(df["restricted_to"])
    df["restricted_fraction"] = df["restricted_fraction"].astype(float)
    return df


def restricted_periods(table: pd.DataFrame | None = None) -> dict[str, list[tuple]]:
    """:func:`restricted_table` as ``code -> [(from, to, fraction), ...]`` for :func:`select_reviews`."""
    t = restricted_table() if table is None else table
    out: dict[str, list[tuple]] = {}
    for r in t.itertuples(index=False):
        out.setdefault(str(r.code), []).append((pd.Timestamp(r.restricted_from), pd.Timestamp(r.restricted_to),
                                                float(r.restricted_fraction)))
    return out


@lru_cache(maxsize=1)
def membership_facts() -> pd.DataFrame:
    """Reported membership facts: ``date, kind, code, value, status, source``; kinds ``top10`` (a name of a
    reported top-10 list and its weight in percent), ``top10_share`` (percent), ``member`` (named a
    constituent on that date), ``largest`` (named the largest weight), ``in`` / ``out`` (review changes)."""
    df = pd.read_csv(_table("star_ai_facts.csv"), dtype=str, keep_default_na=False)
    df["date"] = pd.to_datetime(df["date"])
    df["value"] = pd.to_numeric(df["value"].replace("", None), errors="coerce")
    return df


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


# ------------------------------------------------------------------------------------------- free float
#: CSI's free-float banding (分级靠档): free-float ratio (free-float shares / total A shares) -> weighting
#: ratio. Source: 中证指数有限公司《中证系列指数计算与维护细则》(CSI Index Calculation and Maintenance
#: Methodology), section on adjusted shares (加权股本): ratios up to 15% are rounded up to the next whole
#: percent, (15,20] -> 20%, (20,30] -> 30%, ... (70,80] -> 80%, above 80% -> 100%. CSI's English FAQ
#: "Why is Classification Adopted in Compiling CSI 300 Index?" (csindex.com.cn, 2010-11-24) gives the same
#: bands with the older first threshold of 10% (ratios up to 10% used as they are).
FREE_FLOAT_BANDS = ((0.20, 0.20), (0.30, 0.30), (0.40, 0.40), (0.50, 0.50), (0.60, 0.60), (0.70, 0.70),
                    (0.80, 0.80), (1.00, 1.00))
FREE_FLOAT_SMALL = 0.15  # at or below: rounded up to the next whole percent


def banded_free_float(ratio) -> np.ndarray:
    """CSI weighting ratio for free-float ratios in [0, 1] (:data:`FREE_FLOAT_BANDS`)."""
    r = np.clip(np.asarray(ratio, dtype=np.float64), 0.0, 1.0)
    out = np.where(r <= FREE_FLOAT_SMALL, np.ceil(np.round(r * 100.0, 9)) / 100.0, 1.0)
    for upper, weight in reversed(FREE_FLOAT_BANDS):
        out = np.where((r > FREE_FLOAT_SMALL) & (r <= upper + 1e-12), weight, out)
    return out


# ------------------------------------------------------------------------------------------- market table
#: columns of the monthly market table the builder selects from (``star_market.parquet`` has these and more)
MARKET_COLUMNS = ("date", "symbol", "close", "close_sum", "amount_sum", "sessions", "total_shares",
                  "float_shares", "list_date")


def monthly_market(close: pd.DataFrame, amount: pd.DataFrame, total_shares: pd.Series, float_shares: pd.Series,
                   listing_dates: Mapping) -> pd.DataFrame:
    """Daily frames (dates x codes) -> the builder's monthly market table (:data:`MARKET_COLUMNS`).

    One row per code and month with a bar: ``date`` the month's last bar, ``close`` its close, ``close_sum``
    / ``amount_sum`` / ``sessions`` the sums and count over the month's bars (days with a close).
    """
    close = close.sort_index()
    amount = amount.reindex(index=close.index, columns=close.columns)
    rows = []
    months = close.index.to_period("M")
    for c in close.columns:
        px = close[c]
        has = px.notna().to_numpy()
        if not has.any():
            continue
        f = pd.DataFrame({"close": px[has], "amount": amount[c][has].fillna(0.0)})
        g = f.groupby(months[has], sort=True)
        rows.append(pd.DataFrame({
            "date": g["close"].apply(lambda x: x.index.max()).to_numpy(), "symbol": str(c),
            "close": g["close"].last().to_numpy(), "close_sum": g["close"].sum().to_numpy(),
            "amount_sum": g["amount"].sum().to_numpy(), "sessions": g["close"].size().to_numpy(np.float64),
            "total_shares": float(total_shares.get(c, np.nan)), "float_shares": float(float_shares.get(c, np.nan)),
            "list_date": pd.Timestamp(listing_dates[c]) if c in listing_dates else pd.NaT}))
    if not rows:
        return pd.DataFrame(columns=list(MARKET_COLUMNS))
    return pd.concat(rows, ignore_index=True)


class _Wide:
    """The market table as month x code arrays (built once per :func:`select_reviews` call)."""

    def __init__(self, market: pd.DataFrame):
        missing = [c for c in MARKET_COLUMNS if c not in market.columns]
        if missing:
            raise UniverseError(f"market table lacks column(s) {missing}")
        m = market.assign(symbol=market["symbol"].astype(str), month=pd.DatetimeIndex(market["date"]).to_period("M"))
        self.codes = sorted(m["symbol"].unique())
        self.months = pd.period_range(m["month"].min(), m["month"].max(), freq="M")
        piv = {f: m.pivot_table(index="month", columns="symbol", values=f, aggfunc="last")
                   .reindex(index=self.months, columns=self.codes) for f in ("close", "close_sum", "amount_sum", "sessions")}
        self.close = piv["close"].to_numpy(np.float64)
        self.csum = np.nan_to_num(piv["close_sum"].to_numpy(np.float64))
        self.asum = np.nan_to_num(piv["amount_sum"].to_numpy(np.float64))
        self.n = np.nan_to_num(piv["sessions"].to_numpy(np.float64))
        first = m.groupby("symbol").first()
        self.total = first["total_shares"].reindex(self.codes).to_numpy(np.float64)
        self.flt = first["float_shares"].reindex(self.codes).to_numpy(np.float64)
        self.listing = pd.DatetimeIndex(pd.to_datetime(first["list_date"]).reindex(self.codes))


# ------------------------------------------------------------------------------------------- themes
def theme_codes(theme: pd.DataFrame | None, date, kind: str = "yes") -> set[str] | None:
    """Codes of the AI theme on ``date``: rows with ``theme_from`` empty or <= date and ``theme_to`` empty
    or > date (``None`` when there is no theme table: every code counts).

    ``kind``: ``"yes"`` the theme names (reported members, evidence, project candidates); ``"fill"`` the names
    the seat-filling rule may add (``Methodology.fill_seats``; empty when the table has no ``in_theme``)."""
    if theme is None:
        return None if kind == "yes" else set()
    d = pd.Timestamp(date)
    lo = pd.to_datetime(theme["theme_from"].replace("", None))
    hi = pd.to_datetime(theme["theme_to"].replace("", None))
    ok = (lo.isna() | (lo <= d)) & (hi.isna() | (hi > d))
    if "in_theme" in theme.columns:
        ok &= theme["in_theme"].astype(str).str.lower().eq(kind)
    elif kind != "yes":
        return set()
    return set(theme.loc[ok.to_numpy(), "code"].astype(str))


# ------------------------------------------------------------------------------------------- builder
def _months_before(date: pd.Timestamp, months: int) -> pd.Timestamp:
    return date - pd.DateOffset(months=months)


def _select_one(cutoff: pd.Timestamp, eff: pd.Timestamp, w: _Wide, m: Methodology, theme: set | None,
                incumbents: set, risk_warning: Mapping, free_float: Mapping, weight_close,
                fill: set | None = None, restricted: Mapping | None = None) -> pd.DataFrame:
    """Constituents chosen with market data up to ``cutoff``'s month only."""
    p = cutoff.to_period("M")
    k = int(np.searchsorted(w.months.asi8, p.ordinal, side="right"))  # months <= cutoff's month
    lo = max(0, k - 12 * m.lookback_years)
    n_win = w.n[lo:k].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_cap = w.total * w.csum[lo:k].sum(axis=0) / n_win
        avg_amt = w.asum[lo:k].sum(axis=0) / n_win
    listed = (w.listing <= cutoff) & (n_win > 0) & np.isfinite(avg_cap)
    cap_rank = pd.Series(np.where(listed, avg_cap, np.nan)).rank(ascending=False, method="first").to_numpy()
    aged = w.listing <= _months_before(cutoff, m.min_listing_months)
    fast = (m.fast_entry_rank > 0) & (w.listing <= _months_before(cutoff, m.fast_entry_months)) \
        & (cap_rank <= m.fast_entry_rank)
    ok = listed & (aged | fast)
    if m.exclude_risk_warning:
        for j, c in enumerate(w.codes):
            if ok[j] and any(s <= cutoff and (e is None or cutoff <= e) for s, e in risk_warning.get(c, ())):
                ok[j] = False
    eligible = [j for j in range(len(w.codes)) if ok[j]]
    if not eligible:
        return pd.DataFrame()
    n = len(eligible)
    keep = n - int(math.floor(n * (1.0 - m.liquidity_keep) + 1e-9))
    liquid = sorted(eligible, key=lambda j: (-np.nan_to_num(avg_amt[j], nan=-np.inf), w.codes[j]))[:keep]
    themed = [j for j in liquid if theme is None or w.codes[j] in theme]
    ranked = sorted(themed, key=lambda j: (-avg_cap[j], w.codes[j]))
    rank = {j: r + 1 for r, j in enumerate(ranked)}
    b_in = m.buffer_in or m.n_constituents
    b_keep = m.buffer_keep or m.n_constituents
    prio = sorted(ranked, key=lambda j: (0 if rank[j] <= b_in or (w.codes[j] in incumbents and rank[j] <= b_keep)
                                         else 1, rank[j]))
    chosen = prio[:m.n_constituents]
    if m.fill_seats and fill and len(chosen) < m.n_constituents:
        # seats the theme names leave empty: the largest liquid names the rule classifies (never a displacement)
        extra = sorted((j for j in liquid if w.codes[j] in fill and j not in rank),
                       key=lambda j: (-avg_cap[j], w.codes[j]))[:m.n_constituents - len(chosen)]
        for j in extra:
            rank[j] = len(rank) + 1
        chosen = chosen + extra
    chosen = sorted(chosen, key=lambda j: rank[j])
    codes = [w.codes[j] for j in chosen]
    px = np.array([w.close[k - 1, j] if k > 0 else np.nan for j in chosen])
    if weight_close is not None:  # the session before the effective date, where the bars have it
        before = weight_close.loc[weight_close.index < eff]
        for i, c in enumerate(codes):
            if c in before.columns:
                s = before[c].dropna()
                if len(s):
                    px[i] = float(s.iloc[-1])
    ratio = np.array([free_float.get(c, w.flt[j] / w.total[j]) for c, j in zip(codes, chosen)], dtype=np.float64)
    for i, c in enumerate(codes):  # shares locked on the effective date are not free float (company notices)
        for lo_d, hi_d, frac in (restricted or {}).get(c, ()):
            if lo_d <= eff < hi_d:
                ratio[i] = min(ratio[i], 1.0 - frac)
    ratio = banded_free_float(ratio) if m.free_float_banding else ratio
    ff_cap = ratio * w.total[chosen] * px
    if not np.all(np.isfinite(ff_cap)):
        bad = codes[int(np.flatnonzero(~np.isfinite(ff_cap))[0])]
        raise UniverseError(f"no free-float cap for {bad} at the {cutoff.date()} cutoff (float shares or close "
                            "missing)")
    wts = capped_weights(ff_cap, m.weight_cap)
    return pd.DataFrame({
        "code": codes, "weight": wts, "avg_total_cap": avg_cap[chosen], "avg_amount": avg_amt[chosen],
        "free_float_ratio": ratio, "free_float_cap": ff_cap, "cap_rank": [rank[j] for j in chosen],
        "sample_size": n, "liquid_size": len(liquid), "theme_size": len(themed),
    })


def select_reviews(market: pd.DataFrame, sessions, methodology: Methodology = DEFAULT,
                   theme: pd.DataFrame | None = None, start=None, end=None,
                   risk_warning: Mapping[str, Sequence[tuple]] | None = None,
                   free_float: Mapping[str, float] | None = None,
                   weight_close: pd.DataFrame | None = None,
                   restricted: Mapping[str, Sequence[tuple]] | None = None) -> pd.DataFrame:
    """Point-in-time constituents and weights of 950180 at every review, from a monthly market table.

    Parameters
    ----------
    market : the monthly table (:data:`MARKET_COLUMNS`; ``star_market.parquet`` or :func:`monthly_market`).
        Its codes are the sample space (the whole STAR market for the snapshot's table): listing age, the
        fast-entry rank and the liquidity screen are taken over all of them.
    sessions : DatetimeIndex of trading sessions for the review schedule.
    methodology : :class:`Methodology`.
    theme : AI-theme classification (:func:`theme_table`: ``code, theme_from, theme_to``); ``None``: every
        code of ``market`` is in the theme.
    start, end : bounds on effective dates (default from the last review effective on or before the base
        date).
    risk_warning : code -> ((start, end or None), ...) periods under risk warning.
    free_float : code -> free-float ratio estimate (default ``float_shares / total_shares``), banded with
        :func:`banded_free_float` when ``methodology.free_float_banding``.
    weight_close : optional daily closes (dates x codes): weights use each name's close on the last session
        before the effective date (CSI sets the weight factors then), else the cutoff month's close.
    restricted : code -> ((from, to, fraction), ...) shares locked from ``from`` up to ``to``
        (:func:`restricted_periods`); at a review effective in a period the ratio is at most ``1 - fraction``.

    Returns
    -------
    DataFrame, one row per (review, constituent): ``review_date`` (data cutoff), ``effective_date``, ``code``,
    ``weight`` (sums to 1 per review, none above the cap), ``avg_total_cap``, ``avg_amount``,
    ``free_float_ratio`` (the banded weighting ratio), ``free_float_cap``, ``cap_rank`` (rank among the liquid
    theme names), ``sample_size``, ``liquid_size``, ``theme_size``. Selection uses market data of months up
    to the cutoff's only; the buffer (``buffer_in`` / ``buffer_keep``) keeps the previous review's members.
    """
    w = _Wide(market)
    if not w.codes:
        raise UniverseError("the market table is empty")
    sched = review_dates(sessions, None, end, methodology)
    if start is None:
        before = sched[sched["effective_date"] <= pd.Timestamp(methodology.base_date)]
        first = before["effective_date"].max() if len(before) else sched["effective_date"].min()
    else:
        first = pd.Timestamp(start)
    sched = sched[sched["effective_date"] >= first]
    out, incumbents = [], set()
    for cutoff, eff in sched.itertuples(index=False):
        sel = _select_one(cutoff, eff, w, methodology, theme_codes(theme, eff), incumbents, risk_warning or {},
                          free_float or {}, weight_close, theme_codes(theme, eff, "fill"), restricted)
        if sel.empty:
            continue
        incumbents = set(sel["code"])
        sel.insert(0, "effective_date", eff)
        sel.insert(0, "review_date", cutoff)
        out.append(sel)
    if not out:
        raise UniverseError("no review between the given dates has an eligible constituent")
    return pd.concat(out, ignore_index=True)


def build_constituents(close: pd.DataFrame, amount: pd.DataFrame, total_shares: pd.Series,
                       float_shares: pd.Series, listing_dates: Mapping | pd.Series, sessions,
                       methodology: Methodology = DEFAULT, candidates: Sequence[str] | None = None,
                       start=None, end=None,
                       risk_warning: Mapping[str, Sequence[tuple]] | None = None,
                       theme: pd.DataFrame | None = None, free_float: Mapping[str, float] | None = None
                       ) -> pd.DataFrame:
    """:func:`select_reviews` on daily frames (dates x codes) restricted to ``candidates``.

    ``close`` (forward-adjusted), ``amount`` (CNY), ``total_shares`` / ``float_shares`` (code -> shares) and
    ``listing_dates`` become the monthly market table (:func:`monthly_market`); the candidates are the
    sample space and, without a ``theme`` table, the theme too. Codes without a close column are skipped.
    Returns :func:`select_reviews`' table.
    """
    pool = [str(c) for c in (candidates if candidates is not None else candidate_table()["code"])]
    pool = [c for c in dict.fromkeys(pool) if c in close.columns]
    if not pool:
        raise UniverseError("none of the candidate codes has a close column")
    missing = [c for c in pool if c not in total_shares.index or c not in float_shares.index]
    if missing:
        raise UniverseError(f"no share counts for {missing[0]} (and {len(missing) - 1} more)")
    market = monthly_market(close[pool], amount.reindex(columns=pool), total_shares, float_shares,
                            {c: listing_dates[c] for c in pool if c in listing_dates})
    return select_reviews(market, sessions, methodology, theme=theme, start=start, end=end,
                          risk_warning=risk_warning, free_float=free_float)


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
