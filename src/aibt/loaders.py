"""Loading for the STAR AI index (950180): the snapshot's tables in, the pure builders of
:mod:`aibt.strategies.star_ai_index` called on them. Commands and :mod:`aibt.study` call these.
"""
from __future__ import annotations

import pandas as pd

from aibt.errors import UniverseError
from aibt.universes.star_ai import DEFAULT, Methodology


def star_ai_inputs(end=None) -> dict:
    """Keyword arguments of :func:`aibt.universes.star_ai.select_reviews` from the embedded snapshot.

    ``market``: the STAR-market monthly table (:func:`aibt.data.snapshot.load_star_market`, months up to
    ``end``); ``theme``: :func:`aibt.universes.star_ai.theme_table`; ``sessions``: XSHG sessions to ``end``
    (default the snapshot's last bar); ``risk_warning``: the security master's periods; ``weight_close``: daily
    closes of the theme names that have bars (weights use the session before each effective date);
    ``restricted``: locked shares from company notices (:func:`aibt.universes.star_ai.restricted_periods`).
    """
    from aibt.data import snapshot
    from aibt.data.calendar import xshg_sessions
    from aibt.universes.master import security_master
    from aibt.universes.star_ai import free_float_table, restricted_periods, theme_table

    market = snapshot.load_star_market(end)
    if market.empty:
        raise UniverseError("the snapshot's STAR market table has no month up to the given end")
    theme = theme_table()
    have = set(snapshot.symbols())
    codes = sorted(set(theme.loc[theme["in_theme"] == "yes", "code"]) & have)
    close = snapshot.load_snapshot(codes, end=end, require_bars=False).frame("close")
    # reviews only where there is data: the XSHG calendar runs past the snapshot's last bar
    last = close.index[-1] if end is None else min(pd.Timestamp(end), close.index[-1])
    master = security_master()
    risk = {c: master.get(c).st_periods for c in market["symbol"].unique()
            if c in master and master.get(c).st_periods}
    ff = free_float_table()
    return dict(market=market, theme=theme, sessions=xshg_sessions(market["date"].min(), last),
                free_float=dict(zip(ff["code"], ff["free_float_ratio"].astype(float))),
                risk_warning=risk, weight_close=close, restricted=restricted_periods(), end=end)


def star_ai_constituents(end=None, user_file=None, methodology: Methodology = DEFAULT) -> pd.DataFrame:
    """Point-in-time constituents of every review (:func:`aibt.strategies.star_ai_index.rebuild_constituents`)
    from the snapshot; ``user_file`` (CSV ``effective_date,code,weight``) replaces reviews from its first date."""
    from aibt.strategies.star_ai_index import rebuild_constituents
    from aibt.universes.master import security_master
    from aibt.universes.star_ai import weights_from_user_file

    if user_file is not None:
        user = weights_from_user_file(user_file, master=security_master())
        return rebuild_constituents(star_ai_inputs(end), user, methodology)
    from aibt.data import snapshot

    key = (snapshot._root_key(), snapshot.generation(), methodology)
    if key not in _REBUILT:
        if len(_REBUILT) >= 4:
            _REBUILT.pop(next(iter(_REBUILT)))
        _REBUILT[key] = rebuild_constituents(star_ai_inputs(None), None, methodology)
    full = _REBUILT[key]
    if end is None:
        return full.copy()
    # The builder is point-in-time (each review reads only data before its cutoff; tested), so the reviews
    # built from data up to ``end`` are the full build's reviews effective on or before ``end``.
    part = full.loc[pd.DatetimeIndex(full["effective_date"]) <= pd.Timestamp(end)].reset_index(drop=True)
    return part if len(part) else rebuild_constituents(star_ai_inputs(end), None, methodology)


#: The rebuilt reviews of one data root, data generation and methodology (the study, a screen and the
#: concentration command ask for them; each caller gets its own copy).
_REBUILT: dict = {}


def star_ai_members(date=None) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The review in force on ``date`` (default the snapshot's last session), built from data up to ``date``."""
    sessions = star_ai_inputs()["weight_close"].index  # the theme names' bars (to 2026-05-28)
    d = sessions[-1] if date is None else pd.Timestamp(date)
    if d < sessions[0]:
        raise UniverseError(f"--date {d.date()} is before the snapshot starts ({sessions[0].date()})")
    from aibt.strategies.star_ai_index import members_on

    return d, members_on(star_ai_constituents(end=d), d)


def star_ai_index(start=None, end=None, constituents: pd.DataFrame | None = None,
                  methodology: Methodology = DEFAULT) -> pd.Series:
    """Daily level of the rebuilt index from the snapshot's closes (:func:`aibt.strategies.star_ai_index.index_level`)."""
    from aibt.data import snapshot
    from aibt.errors import DataError
    from aibt.strategies.star_ai_index import index_level

    if start is not None and end is not None and pd.Timestamp(end) < pd.Timestamp(start):
        raise UniverseError(f"start {pd.Timestamp(start).date()} is after end {pd.Timestamp(end).date()}")
    table = star_ai_constituents(end=end, methodology=methodology) if constituents is None else constituents
    codes = sorted({str(c) for c in table["code"]})
    unknown = sorted(set(codes) - set(snapshot.symbols()))
    if unknown:
        raise DataError(f"constituent(s) {unknown} are not in the embedded snapshot (no prices to rebuild from)")
    close = snapshot.load_snapshot(codes, end=end, require_bars=False).frame("close")
    return index_level(close, table, start, methodology)


def star_ai_fact_checks(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`aibt.strategies.star_ai_index.check_facts` of the rebuilt (or given) table on the snapshot."""
    from aibt.data import snapshot
    from aibt.strategies.star_ai_index import check_facts
    from aibt.universes.star_ai import membership_facts

    table = star_ai_constituents() if table is None else table
    codes = sorted({str(c) for c in table["code"]} & set(snapshot.symbols()))
    close = snapshot.load_snapshot(codes, require_bars=False).frame("close")
    return check_facts(table, close, membership_facts())


def star_ai_diagnostics(table: pd.DataFrame, etf_close: pd.Series, window: int = 120) -> dict:
    """The rebuild's checks as tables for people (names beside codes, percents).

    ``facts``: :func:`star_ai_fact_checks` with the reason where the rebuild cannot agree
    (:data:`aibt.strategies.star_ai_index.KNOWN_DISAGREEMENTS`); ``reviews``: top-1/5/10 shares and the
    constituents' total free-float cap (100 million CNY) at every review; ``implied``: the ETF-implied weights
    (a constrained regression of ``etf_close``'s daily returns on the members of the last review over the last
    ``window`` common sessions, weights >= 0, sum 1, cap 10%) beside the rule-based weights drifted to the same
    last session: a check on membership, never the index.
    """
    from aibt.data import snapshot
    from aibt.strategies.index_reconstruction import drifted_weights
    from aibt.strategies.star_ai_index import KNOWN_DISAGREEMENTS, etf_implied_weights, review_concentration
    from aibt.universes.master import security_master
    from aibt.universes.star_ai import DEFAULT, constituents_as_of

    master = security_master()

    def name(c):
        return master.get(str(c)).name if str(c) in master else ""

    facts = star_ai_fact_checks(table)
    facts.insert(3, "name", [name(c) if str(c).startswith("68") else "" for c in facts["code"]])
    facts["why_not"] = [KNOWN_DISAGREEMENTS.get((d.strftime("%Y-%m-%d"), k, c), "") if not ok else ""
                        for d, k, c, ok in zip(facts["date"], facts["kind"], facts["code"], facts["agrees"])]
    facts["date"] = facts["date"].dt.strftime("%Y-%m-%d")
    facts.attrs["formats"] = {"reported": "num", "rebuilt": "num"}
    reviews = review_concentration(table)
    reviews["effective_date"] = pd.DatetimeIndex(reviews["effective_date"]).strftime("%Y-%m-%d")
    reviews["free_float_cap"] = (reviews["free_float_cap"] / 1e8).round(1)
    reviews = reviews.rename(columns={"top1": "top1_weight", "top5": "top5_weight", "top10": "top10_weight",
                                      "free_float_cap": "free_float_cap_100m_cny"})
    last = pd.Timestamp(etf_close.dropna().index[-1])
    rows = constituents_as_of(table, last)
    codes = [str(c) for c in rows["code"]]
    close = snapshot.load_snapshot(codes, end=last, require_bars=False).frame("close")
    implied = etf_implied_weights(etf_close.loc[:last], close, window=window, cap=DEFAULT.weight_cap)
    rule = drifted_weights(rows, close, last)
    out = pd.DataFrame({"code": codes, "name": [name(c) for c in codes], "rule_weight": rule.reindex(codes).to_numpy()})
    out = out.merge(implied, on="code", how="left").fillna({"implied_weight": 0.0})
    out["difference_weight"] = out["implied_weight"] - out["rule_weight"]
    out = out.assign(_w=-out["rule_weight"]).sort_values(["_w", "code"], kind="mergesort").drop(columns="_w")
    out = out.reset_index(drop=True)
    out.attrs["r2"] = implied.attrs["r2"]
    out.attrs["window"] = (implied.attrs["start"], implied.attrs["end"], implied.attrs["sessions"])
    return {"facts": facts, "reviews": reviews, "implied": out}
