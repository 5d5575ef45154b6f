"""The STAR AI index (950180) rebuilt daily from the embedded snapshot, and where it departs from the official one.

Three steps, one function each:

- :func:`star_ai_inputs` / :func:`star_ai_members`: the builder inputs from the snapshot and the review in force
  on a date (moved here from ``aibt universe``, which imports them);
- :func:`star_ai_constituents`: the point-in-time constituent table of every review
  (:func:`aibt.universes.star_ai.build_constituents`), or a user's file
  (:func:`aibt.universes.star_ai.weights_from_user_file`) spliced onto it;
- :func:`star_ai_index`: the daily level, base 1000 on 2022-12-30
  (:func:`aibt.strategies.index_reconstruction.reconstruct_index`: fixed holdings between reviews).

No 950180 level history exists offline, so the rebuilt level is validated against the ETFs that track it
(:mod:`aibt.strategies.tracking`). :data:`DEPARTURES` states plainly where and why it differs from the official
index.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.errors import DataError, UniverseError
from aibt.strategies.index_reconstruction import reconstruct_index
from aibt.universes.master import security_master
from aibt.universes.registry import get_universe
from aibt.universes.star_ai import DEFAULT, Methodology, build_constituents, constituents_as_of, weights_from_user_file

INDEX_CODE = "950180"

#: Where the reconstruction departs from the official 950180, and why (printed by ``aibt track``).
DEPARTURES = """\
Where the rebuilt STAR AI index (950180) departs from the official one, and why:
1. Free-float factors are unknown. Weights are circulating shares x price as of the 2026-05 share snapshot,
   not CSI's banded adjusted free float, and historical share counts are not in the data (today's share
   count x split-consistent price stands in for past caps; issuance and buybacks since then are ignored).
2. Constituent lists are known only at some dates (a 2024-09-18 top 10, the 2025-06-16 changes, top-10
   shares). Every other review is rebuilt from the reported rules on a candidate list that proxies the AI-theme
   sample space (the classification itself is not public data), with an assumed data cutoff and no buffer
   rule; so some members differ from the official ones (2 of the 7 reported 2025-06-16 additions are
   reproduced).
3. Rules marked 'reported' or 'not found' (10% single cap, quarterly reviews effective after the 2nd Friday,
   no top-5 cap) are parameters with their reported values; the official PDF was not available offline.
4. Prices are the snapshot's ratio-adjusted closes, so dividends are reinvested: the rebuilt level is a
   total-return proxy of what is officially a price index (the gap is the members' dividend yield, estimated
   at about 0.3% a year).
5. Between reviews the holdings are fixed (weights drift with prices) and only the reviews change them; share
   changes and corporate-action adjustments that the index provider applies between reviews are not modelled.
A user's own constituent file (effective_date,code,weight) replaces the rebuilt reviews from its first
effective date on; earlier reviews stay rebuilt.
"""


# ------------------------------------------------------------------------------------------- builder inputs
def star_ai_inputs(end=None) -> dict:
    """Builder inputs for the 950180 candidates from the embedded snapshot (``aibt.data.snapshot``).

    Parameters
    ----------
    end : date-like, optional
        Last date of the price data (default: the snapshot's last bar).

    Returns
    -------
    dict
        Keyword arguments of :func:`aibt.universes.star_ai.build_constituents`: ``close``, ``amount``,
        ``total_shares``, ``float_shares``, ``listing_dates``, ``sessions``, ``risk_warning``.

    Notes
    -----
    ``amount`` is the snapshot's traded amount where present, else volume x traded (unadjusted) close.
    Share counts are the snapshot's single-date counts (2026-05); ``float_shares`` are circulating shares,
    standing in for the index provider's adjusted free float (see the market-cap note in ``star_ai``).
    """
    from aibt.data import snapshot

    master = security_master()
    available = set(snapshot.symbols())
    pool = [c for c in get_universe("star-ai").members if c in available]
    if not pool:
        raise UniverseError("the snapshot holds none of the STAR AI candidates")
    # candidates listing after ``end`` stay in the pool as all-NaN columns (point in time)
    panel = snapshot.load_snapshot(symbols=pool, start=None, end=end, require_bars=False)
    close = panel.frame("close")
    amount = panel.frame("amount") if "amount" in panel.fields else close * np.nan
    if "volume" in panel.fields:
        proxy = panel.frame("volume") * panel.frame("raw_close")
        amount = amount.where(amount.notna(), proxy)
    shares = snapshot.load_shares()
    if "symbol" in shares.columns:
        shares = shares.set_index("symbol")
    return dict(close=close, amount=amount, total_shares=shares["total_shares"],
                float_shares=shares["float_shares"],
                listing_dates={c: master.get(c).listing_date for c in pool}, sessions=panel.dates,
                risk_warning={c: master.get(c).st_periods for c in pool if master.get(c).st_periods})


def star_ai_members(date=None) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The 950180 review in force on ``date``, built from the snapshot up to ``date``.

    Parameters
    ----------
    date : date-like, optional
        As-of date (default: the snapshot's last session).

    Returns
    -------
    (Timestamp, DataFrame)
        The date and the rows of :func:`aibt.universes.star_ai.build_constituents` in force on it.
    """
    inputs = star_ai_inputs()
    sessions = inputs["sessions"]
    d = sessions[-1] if date is None else pd.Timestamp(date)
    if d < sessions[0]:
        raise UniverseError(f"--date {d.date()} is before the snapshot starts ({sessions[0].date()})")
    inputs["sessions"] = sessions[sessions <= d]
    table = build_constituents(methodology=DEFAULT, end=d, **inputs)
    return d, constituents_as_of(table, d)


# ------------------------------------------------------------------------------------------- constituents
def star_ai_constituents(end=None, user_file=None, methodology: Methodology = DEFAULT) -> pd.DataFrame:
    """Point-in-time 950180 constituents and weights of every review.

    Parameters
    ----------
    end : date-like, optional
        Last date of the data used (default: the snapshot's last bar). Each review uses only data up to
        its own cutoff, so ``end`` only bounds which reviews exist.
    user_file : path, optional
        The user's CSV ``effective_date,code,weight`` (e.g. the official lists), validated by
        :func:`aibt.universes.star_ai.weights_from_user_file` against the security master. Its reviews replace
        the rebuilt ones from its first effective date on; earlier reviews stay rebuilt, so that the base
        date 2022-12-30 is always covered.
    methodology : Methodology
        Rules of the rebuilt reviews.

    Returns
    -------
    DataFrame
        ``effective_date, code, weight, source`` (``"rules"`` or ``"user"``) plus the builder's columns
        (``review_date``, ``free_float_cap``, ... ; NaN on user rows), sorted by date then code; weights sum
        to 1 per effective date.
    """
    inputs = star_ai_inputs(end)
    built = build_constituents(methodology=methodology, **inputs)
    built.insert(3, "source", "rules")
    if user_file is None:
        table = built
    else:
        user = weights_from_user_file(user_file, master=security_master())
        user["source"] = "user"
        first = user["effective_date"].min()
        table = pd.concat([built[built["effective_date"] < first], user], ignore_index=True)
    lead = ["effective_date", "code", "weight", "source"]
    table = table[lead + [c for c in table.columns if c not in lead]]
    return table.sort_values(["effective_date", "code"], kind="mergesort").reset_index(drop=True)


# ------------------------------------------------------------------------------------------- level
def star_ai_index(start=None, end=None, constituents: pd.DataFrame | None = None,
                  methodology: Methodology = DEFAULT) -> pd.Series:
    """Daily level of the rebuilt STAR AI index, base ``methodology.base_value`` (1000) on 2022-12-30.

    Parameters
    ----------
    start, end : date-like, optional
        Sessions to return (inclusive). The level is always computed from the base date, so it is the same
        on a date whatever ``start`` is.
    constituents : DataFrame, optional
        ``effective_date, code, weight`` (from :func:`star_ai_constituents`, or any table of that form);
        default: the rebuilt table up to ``end``.
    methodology : Methodology
        Gives the base date and value.

    Returns
    -------
    Series named ``"index"`` on XSHG sessions.

    Raises
    ------
    DataError
        A constituent without prices in the snapshot, or no review in force on the base date.
    UniverseError
        ``start`` after ``end`` or before the base date.
    """
    from aibt.data import snapshot

    base = pd.Timestamp(methodology.base_date)
    lo = base if start is None else pd.Timestamp(start)
    if lo < base:
        raise UniverseError(f"start {lo.date()} is before the index base date {base.date()}")
    if end is not None and pd.Timestamp(end) < lo:
        raise UniverseError(f"start {lo.date()} is after end {pd.Timestamp(end).date()}")
    table = star_ai_constituents(end=end, methodology=methodology) if constituents is None else constituents
    codes = sorted({str(c) for c in table["code"]})
    unknown = sorted(set(codes) - set(snapshot.symbols()))
    if unknown:
        raise DataError(f"constituent(s) {unknown} are not in the embedded snapshot (no prices to rebuild from)")
    close = snapshot.load_snapshot(codes, end=end, require_bars=False).frame("close")
    cols = table.loc[:, ["effective_date", "code", "weight"]]
    level = reconstruct_index(close, cols, base, methodology.base_value)
    return level.loc[lo:].rename("index")
