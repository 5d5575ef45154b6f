"""The STAR AI index (950180) rebuilt from given inputs, checked against the reported facts, and where it departs.

Pure functions (no file or snapshot access: the loading lives in :mod:`aibt.loaders`):

- :func:`rebuild_constituents`: the point-in-time constituent table of every review from the monthly STAR
  market table (:func:`aibt.universes.star_ai.select_reviews`), or a user's table spliced onto it;
- :func:`index_level`: the daily level, base 1000 on 2022-12-30
  (:func:`aibt.strategies.index_reconstruction.reconstruct_index`: fixed holdings between reviews);
- :func:`check_facts`: every reported membership fact (:func:`aibt.universes.star_ai.membership_facts`) against
  the rebuilt constituents, one row per fact with ``agrees``;
- :func:`review_concentration`: top-1/5/10 shares and the total free-float cap at every review;
- :func:`etf_implied_weights`: the ETF-implied weights (a diagnostic, never the index).

No 950180 level history exists offline, so the rebuilt level is validated against the ETFs that track it
(:mod:`aibt.strategies.tracking`). :data:`DEPARTURES` states plainly where and why it differs from the official
index.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.errors import DataError, UniverseError
from aibt.strategies.index_reconstruction import capped_simplex_regression, drifted_weights, reconstruct_index
from aibt.universes.star_ai import DEFAULT, Methodology, constituents_as_of, select_reviews

INDEX_CODE = "950180"

#: Where the reconstruction departs from the official 950180, and why (printed by ``aibt track``).
DEPARTURES = """\
Where the rebuilt STAR AI index (950180) departs from the official one, and why:
1. Free float: CSI's banding table is applied to circulating / total shares of the 2026-05 share snapshot
   (for 688475, 688220 and 688018 the highest band the 2024 top-10 lists allow), capped at review dates by the
   shares then locked after an IPO (company notices for 688615, 688031, 688400, 688322, 688343); CSI also
   removes large holders' stakes, which the dumps do not list, so free-float ratios are too high for names
   with controlling holders (the total free-float cap is overstated; the rebuilt top 10 weighs 72.6% on
   2025-04-30 against 70.68% reported, and the bands the 2024 top-10 weights imply for 688608 and 688568
   would fix that date but put 2025-07-24 just over 1 point low). Past caps are today's share counts x
   split-consistent prices (issuance and buybacks since then ignored).
2. The AI-theme classification is CSI's and not public. Here it is a table (universes/tables/star_ai_theme.csv)
   built from the reported members, with evidence-based exclusions (688041 and 688047 would head the 2024
   top-10 lists that do not name them) and the 2025-06-16 changes read as a reclassification (the added
   names outranked the removed ones by cap at every earlier review). Fewer than 30 theme names are known
   (21 to 28 per review), so the rebuild holds fewer than 30 members; unreported members are missing.
   A seat-filling rule (Methodology.fill_seats: the largest liquid unreported 软件服务 / IT设备 names take the
   empty seats) is off: the snapshot has no daily bars for them, and priced from the raw dumps it holds 30
   at every review but contradicts the reported 2024 top 10s and the 2025 top-10 shares (41 of 45 facts,
   correlation with 588790 0.9939): the missing members weigh less than the largest candidates would.
3. Rules marked 'reported', 'not found' or 'fitted' (10% single cap, quarterly reviews after the 2nd Friday,
   data cutoff, buffer, fast entry of new large caps) are parameters; the official PDF was not available.
4. Prices are the snapshot's ratio-adjusted closes, so dividends are reinvested: the rebuilt level is a
   total-return proxy of what is officially a price index (about 0.3% a year).
5. Between reviews the holdings are fixed (weights drift with prices); share changes and corporate-action
   adjustments the index provider applies between reviews are not modelled.
A user's own constituent file (effective_date,code,weight) replaces the rebuilt reviews from its first
effective date on; earlier reviews stay rebuilt.
"""


# ------------------------------------------------------------------------------------------- constituents
def rebuild_constituents(inputs: dict, user: pd.DataFrame | None = None,
                         methodology: Methodology = DEFAULT) -> pd.DataFrame:
    """Point-in-time 950180 constituents and weights of every review.

    Parameters
    ----------
    inputs : keyword arguments of :func:`aibt.universes.star_ai.select_reviews` (``market``, ``sessions``,
        ``theme``, ``risk_warning``, ``weight_close``, optional ``end``), e.g. from
        :func:`aibt.loaders.star_ai_inputs`.
    user : optional validated user table ``effective_date, code, weight``; its reviews replace the rebuilt
        ones from its first effective date on (earlier reviews stay rebuilt, so the base date is covered).
    methodology : rules of the rebuilt reviews.

    Returns
    -------
    DataFrame ``effective_date, code, weight, source`` (``"rules"`` or ``"user"``) plus the builder's columns
    (NaN on user rows), sorted by date then code; weights sum to 1 per effective date.
    """
    built = select_reviews(methodology=methodology, **inputs)
    built.insert(3, "source", "rules")
    if user is None:
        table = built
    else:
        user = user.copy()
        user["source"] = "user"
        first = user["effective_date"].min()
        table = pd.concat([built[built["effective_date"] < first], user], ignore_index=True)
    lead = ["effective_date", "code", "weight", "source"]
    table = table[lead + [c for c in table.columns if c not in lead]]
    return table.sort_values(["effective_date", "code"], kind="mergesort").reset_index(drop=True)


def members_on(table: pd.DataFrame, date) -> pd.DataFrame:
    """Rows of the review in force on ``date`` (:func:`aibt.universes.star_ai.constituents_as_of`)."""
    return constituents_as_of(table, date)


# ------------------------------------------------------------------------------------------- level
def index_level(close: pd.DataFrame, constituents: pd.DataFrame, start=None,
                methodology: Methodology = DEFAULT) -> pd.Series:
    """Daily level from adjusted closes (dates x codes) and a constituent table, base 1000 on 2022-12-30.

    Raises DataError when a constituent has no close column; UniverseError when ``start`` is before the base.
    """
    base = pd.Timestamp(methodology.base_date)
    lo = base if start is None else pd.Timestamp(start)
    if lo < base:
        raise UniverseError(f"start {lo.date()} is before the index base date {base.date()}")
    codes = sorted({str(c) for c in constituents["code"]})
    unknown = sorted(set(codes) - {str(c) for c in close.columns})
    if unknown:
        raise DataError(f"constituent(s) {unknown} are not in the embedded snapshot (no prices to rebuild from)")
    cols = constituents.loc[:, ["effective_date", "code", "weight"]]
    level = reconstruct_index(close[codes], cols, base, methodology.base_value)
    return level.loc[lo:].rename("index")


# ------------------------------------------------------------------------------------------- facts
TOP10_WEIGHT_TOL = 1.5   # percentage points: mean |rebuilt - reported| over a top-10 list
TOP10_MIN_OVERLAP = 9    # names of a reported top-10 list that must be in the rebuilt top 10
TOP10_SHARE_TOL = 1.0    # percentage points


#: Facts the rebuild cannot meet, and why (``(date, kind, code)`` -> reason with the numbers); the fact
#: test asserts that exactly these disagree.
KNOWN_DISAGREEMENTS = {
    ("2025-04-30", "top10_share", ""): "rebuilt 72.6% vs reported 70.68%. At the 2025-03-17 review the rebuilt top "
                                       "10 is 70.7% (70.9% at the close); it drifts to 72.6% because 688608 rose "
                                       "27.1% (6.6% to 9.0% of the index) and 688521 10.7% (7.1% to 8.5%) while the "
                                       "index fell 7.3% (588790 7.6%). Those prices agree in every dump and the "
                                       "unadjusted one (no ex-date in the window), and weight factors set at any "
                                       "close from the 2025-01-27 cutoff to 03-14 give 72.5-72.6%. Shares locked at "
                                       "the review (company notices, tables/star_ai_restricted.csv) take 688400, "
                                       "688322 and 688343 from 9.2% to 7.3% of the index, raising the rebuilt top "
                                       "10 from 71.4% to 72.6%. Large holders' stakes, which CSI removes, are not "
                                       "in the dumps: the bands the 2024 top-10 weights imply for 688608 (80%) and "
                                       "688568 (70%) give 71.4% here but 67.0% on 2025-07-24 (reported 68.03%). "
                                       "From 04-30 to 07-24 the reported top 10 falls 2.65 points and the rebuild "
                                       "4.4-4.5 with either free float (at the 2025-06-16 review the seven ins weigh "
                                       "10.1% against the outs' 5.6%, reported 5.37%). The known names fill 28 of "
                                       "the 30 seats: two unreported members with 1.3-1.5% between them would "
                                       "reconcile all three shares, but no fact names them (688595, 688003 and "
                                       "688018 are members already) and 588790's residual returns cannot identify "
                                       "them",
}


def _weights_on(table: pd.DataFrame, close: pd.DataFrame, date) -> pd.Series:
    rows = constituents_as_of(table, date)
    return drifted_weights(rows, close, date)


def check_facts(table: pd.DataFrame, close: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Every membership fact against the rebuilt constituents (weights drifted to the fact's date).

    A fact with a ``date_to`` (a month-dated report) is checked on each session from ``date`` to ``date_to``
    and agrees when one of them does. Returns one row per fact: ``date, kind, code, reported, rebuilt, agrees,
    test`` where ``test`` says what
    was checked: a top-10 name is in the rebuilt top 10 (``rebuilt`` its weight in percent); a top-10 list
    (kind ``top10_list``, one extra row per list) shares at least :data:`TOP10_MIN_OVERLAP` names and its mean
    weight error (``rebuilt``) is within :data:`TOP10_WEIGHT_TOL` points; a top-10 share within
    :data:`TOP10_SHARE_TOL`; a member is a constituent on the date; the largest weight is the largest; an
    ``in`` is a member from the review on and not on the session before, an ``out`` the reverse.
    """
    out = []
    sessions = pd.DatetimeIndex(close.index)
    for (date, kind), grp in facts.groupby(["date", "kind"], sort=True):
        d = pd.Timestamp(date)
        w = _weights_on(table, close, d) * 100.0
        top = w.sort_values(ascending=False, kind="mergesort").head(10)
        if kind == "top10":
            errs = []
            for r in grp.itertuples():
                rb = float(w.get(r.code, 0.0))
                errs.append(abs(rb - r.value))
                out.append((d, kind, r.code, r.value, rb, r.code in top.index, "in the rebuilt top 10"))
            overlap = len(set(grp["code"]) & set(top.index))
            mean_err = float(np.mean(errs))
            out.append((d, "top10_list", f"{overlap}/10", mean_err, mean_err,
                        overlap >= TOP10_MIN_OVERLAP and mean_err <= TOP10_WEIGHT_TOL,
                        f">= {TOP10_MIN_OVERLAP} of 10 names and mean weight error <= {TOP10_WEIGHT_TOL} points"))
        elif kind == "top10_share":
            for r in grp.itertuples():
                days = [d]
                if getattr(r, "date_to", "") not in ("", None) and not pd.isna(r.date_to):
                    days = list(sessions[(sessions >= d) & (sessions <= pd.Timestamp(r.date_to))]) or [d]
                shares = [float((_weights_on(table, close, x) * 100.0).sort_values(ascending=False).head(10).sum())
                          for x in days]
                share = min(shares, key=lambda v: abs(v - r.value))  # a month-dated fact: its closest session
                out.append((d, kind, "", r.value, share, abs(share - r.value) <= TOP10_SHARE_TOL,
                            f"within {TOP10_SHARE_TOL} point" + (" on some session to " + str(r.date_to)[:10]
                                                                 if len(days) > 1 else "")))
        elif kind == "member":
            for r in grp.itertuples():
                out.append((d, kind, r.code, np.nan, float(w.get(r.code, 0.0)), r.code in w.index, "a constituent"))
        elif kind == "largest":
            for r in grp.itertuples():
                out.append((d, kind, r.code, np.nan, float(w.get(r.code, 0.0)),
                            len(top) > 0 and top.index[0] == r.code, "the largest weight"))
        elif kind in ("in", "out"):
            prev = sessions[sessions < d]
            before = set(constituents_as_of(table, prev[-1])["code"]) if len(prev) else set()
            after = set(constituents_as_of(table, d)["code"])
            for r in grp.itertuples():
                ok = (r.code in after and r.code not in before) if kind == "in" else \
                    (r.code in before and r.code not in after)
                out.append((d, kind, r.code, np.nan, float(w.get(r.code, 0.0)), ok,
                            "enters at the review" if kind == "in" else "leaves at the review"))
        else:
            raise UniverseError(f"unknown membership fact kind {kind!r} on {d.date()}")
    return pd.DataFrame(out, columns=["date", "kind", "code", "reported", "rebuilt", "agrees", "test"])


# ------------------------------------------------------------------------------------------- diagnostics
def review_concentration(table: pd.DataFrame) -> pd.DataFrame:
    """Per review: ``effective_date, n, top1, top5, top10`` (weight shares, fractions) and
    ``free_float_cap`` (the constituents' total banded free-float cap, CNY; NaN for user rows)."""
    rows = []
    for eff, g in table.groupby("effective_date", sort=True):
        w = np.sort(g["weight"].to_numpy(np.float64))[::-1]
        ff = g["free_float_cap"].sum(min_count=1) if "free_float_cap" in g else np.nan
        rows.append({"effective_date": eff, "n": len(w), "top1": w[:1].sum(), "top5": w[:5].sum(),
                     "top10": w[:10].sum(), "free_float_cap": float(ff)})
    return pd.DataFrame(rows)


def etf_implied_weights(etf_close: pd.Series, member_close: pd.DataFrame, end=None, window: int = 120,
                        cap: float = 0.10) -> pd.DataFrame:
    """ETF-implied weights: 588790-style daily returns regressed on the members' returns over a trailing window,
    with weights >= 0, summing to 1, none above ``cap`` (:func:`capped_simplex_regression`).

    A check on membership beside the rule-based weights, never the index itself (an ETF's returns include
    cash, fees and premium/discount). Returns ``code, implied_weight`` sorted by weight, with attributes
    ``r2`` and ``window`` (``start``, ``end``, sessions).
    """
    px = pd.concat({"_etf": pd.Series(etf_close, dtype=np.float64)}, axis=1).join(member_close, how="inner")
    if end is not None:
        px = px.loc[:pd.Timestamp(end)]
    rets = px.pct_change().iloc[1:].dropna(axis=1, how="all").fillna(0.0).tail(window)
    if len(rets) < 20 or rets.shape[1] < 2:
        raise DataError(f"ETF-implied weights need at least 20 common sessions, got {len(rets)}")
    y = rets.pop("_etf").to_numpy()
    x = rets.to_numpy()
    w = capped_simplex_regression(x, y, cap)
    resid = y - x @ w
    r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    out = pd.DataFrame({"code": list(rets.columns), "implied_weight": w})
    out = out.sort_values(["implied_weight", "code"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    out.attrs.update({"r2": r2, "start": rets.index[0], "end": rets.index[-1], "sessions": len(rets)})
    return out
