"""The screens ``aibt screen`` and the default study run, on data passed in (nothing here loads data).

- :func:`resolve_members`: the codes of a target (a code list, a universe name or file) and its kind;
- :func:`screen_universe`: the built-in stock or ETF screen (or a user's :class:`~aibt.strategies.screening.Screen`)
  on a :class:`~aibt.data.panel.Panel`, with names beside codes.

What every screen here does before ranking:

- names whose data ended before the screen date (no bar in the last :data:`MAX_STALE_SESSIONS` sessions, e.g.
  6088.HK whose bars stop on 2025-10-30) are flagged ("data ended ...") and excluded: a price frozen at the last
  bar would otherwise give momentum 0 and a volatility of nothing;
- stocks under a risk warning (ST / *ST) on the screen date are excluded (security master's ``st_periods`` and
  the name prefix);
- ETFs are measured against the index they track (:func:`aibt.universes.etfs.etf_info` ``tracks``): the
  rebuilt 950180 for the STAR AI ETFs, 000688 for the STAR 50 ETFs. Never against a peer ETF, so no fund is
  ranked against itself. The caller passes the index levels in ``references``.
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from aibt.data.panel import Panel
from aibt.errors import ConfigError, DataError
from aibt.strategies.screening import Filter, Screen, Top, etf_screen, run_screen, stock_screen

#: A name without a bar in this many of the last sessions has "data ended" and is excluded.
MAX_STALE_SESSIONS = 10


# ----------------------------------------------------------------------------------- members
def _is_code_list(target: str) -> bool:
    tokens = [t.strip() for t in target.split(",") if t.strip()]
    return bool(tokens) and all(t[0].isdigit() for t in tokens)


def resolve_members(target: str) -> tuple[list[str], str, str]:
    """Codes to screen, the universe kind (``etfs``, ``basket``, ``index``) and a caveat about the member list.

    ``target`` is a comma-separated code list (``588790,588760``), a built-in universe name
    (``star-ai``, ``optical``, ``copper``, ``pcb``, ``interconnect``, ``star-ai-etfs`` ...) or a universe file.
    A code list is an ETF list when every code is in the ETF table.
    """
    from aibt.universes import get_universe
    from aibt.universes.etfs import ETFS

    if _is_code_list(target):
        codes = list(dict.fromkeys(t.strip() for t in target.split(",") if t.strip()))
        etf_codes = {e.code for e in ETFS}
        return codes, ("etfs" if all(c in etf_codes for c in codes) else "basket"), ""
    uni = get_universe(target)
    caveat = ""
    if uni.kind == "index":
        caveat = (f"{target}: screening the index's candidate pool ({len(uni.members)} codes), "
                  "not its point-in-time constituents")
    return list(uni.members), uni.kind, caveat


def master_facts(codes: list[str]) -> dict[str, dict]:
    """From the security master, for the codes it knows: ``list_dates``, ``names`` and ``risk_warnings``."""
    from aibt.universes import security_master

    master = security_master()
    known = [master.get(c) for c in codes if c in master]
    return {"list_dates": {s.code: s.listing_date for s in known},
            "names": {s.code: s.name for s in known},
            "risk_warnings": {s.code: s.st_periods for s in known if s.st_periods}}


def etf_fees(codes: list[str]) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """(management, custody) per ETF from the ETF table, and the codes whose fee is assumed."""
    from aibt.universes.etfs import ETFS

    table = {e.code: e for e in ETFS}
    fees = {c: (table[c].mgmt_fee, table[c].custody_fee) for c in codes if c in table}
    assumed = [c for c in codes if c in table and table[c].fee_status != "reported"]
    return fees, assumed


def tracked_indexes(codes: list[str], reference: str | None = None, what: str = "--reference") -> dict[str, str]:
    """The index each ETF is measured against: the one it tracks, or ``reference`` for all of them.

    Raises
    ------
    ConfigError
        ``reference`` is an ETF (a fund is measured against an index, never a peer), or one of ``codes``.
    UniverseError
        A code that is not in the ETF table (named, with close matches).
    """
    from aibt.universes.etfs import ETFS, etf_info

    if reference is not None:
        reference = str(reference)
        if reference in {e.code for e in ETFS} or reference in codes:
            raise ConfigError(f"{what} {reference} is an ETF; ETFs are measured against an index "
                              "(default: the one each fund tracks, 950180 or 000688), never against a peer fund")
        return {c: reference for c in codes}
    return {c: etf_info(c).tracks for c in codes}


# ----------------------------------------------------------------------------------- screens
_STALE_STEP = f"stale_sessions <= {MAX_STALE_SESSIONS}"


def _data_ended_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The data-ended filter said in words: ``failed`` = ``data ended <last bar>``, no ``stale_sessions`` column."""
    import re

    out = table.drop(columns="stale_sessions")
    for sym in out.index[out["failed"] == _STALE_STEP]:
        m = re.search(r"data ended (\d{4}-\d{2}-\d{2})", str(out.at[sym, "notes"]))
        out.at[sym, "failed"] = f"data ended {m.group(1)}" if m else "no data"
    out.attrs = dict(table.attrs)
    out.attrs["steps"] = [f"data ended: no bar in the last {MAX_STALE_SESSIONS} sessions" if st == _STALE_STEP else st
                          for st in table.attrs.get("steps", [])]
    return out


def _guarded(screen: Screen, stocks: bool) -> Screen:
    """``screen`` behind the data-ended filter (and, for stocks, the ST/*ST filter)."""
    guard: list = [Filter("stale_sessions", "<=", MAX_STALE_SESSIONS)]
    if stocks:
        guard.append(Filter("risk_warning", "==", 0))
    return Screen((*guard, *screen.steps), context=screen.context, name=screen.name)


def screen_universe(panel: Panel, target: str, as_of=None, top: int | None = None, screen: Screen | None = None,
                    references: Mapping[str, pd.Series] | None = None, reference: str | None = None,
                    fund_shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """Run the screen ``aibt screen TARGET`` describes on ``panel`` (the members' bars, up to ``as_of`` or later).

    Parameters
    ----------
    panel : Panel holding every member of ``target`` (rows after ``as_of`` are never read).
    target : code list, universe name or file (:func:`resolve_members`).
    as_of : screen date (default: the panel's last session).
    top : keep the K best (a ``Top(K)`` step at the end).
    screen : a user's screen (e.g. :func:`aibt.strategies.screening.load_screen`) instead of the built-in one.
    references : index code -> level series, for ETF universes: every index the funds are measured against
        (:func:`tracked_indexes`), e.g. ``{"950180": rebuilt level, "000688": STAR 50 close}``.
    reference : measure every ETF against this index instead of the one it tracks (never an ETF).
    fund_shares : the data's units outstanding (``symbol, date, shares``) for the share_change, scale_change
        and net_flow factors; None when the data have none.

    Returns
    -------
    DataFrame of :func:`aibt.strategies.screening.run_screen` with a ``name`` column first; ETF screens add
    ``tracks`` (the index measured against) and ``fee_status`` (``reported`` / ``assumed``). ``attrs``:
    ``universe``, ``caveats``, and for ETFs ``reference`` (index codes used).

    Raises
    ------
    DataError
        An ETF universe without the levels of an index its funds track.
    """
    codes, kind, caveat = resolve_members(target)
    missing = [c for c in codes if c not in panel.symbols]
    if missing:
        raise DataError(f"the data hold no bars for {', '.join(missing)} (members of {target})")
    panel = panel.select(codes)
    etfs = kind == "etfs"
    facts = master_facts(codes)
    context: dict[str, Any] = dict(facts)
    caveats = [caveat] if caveat else []
    tracks: dict[str, str] = {}
    if etfs:
        from aibt.universes.etfs import etf_info

        tracks = tracked_indexes(codes, reference)
        refs = dict(references or {})
        lacking = sorted({i for i in tracks.values() if i not in refs})
        if lacking:
            raise DataError(f"no levels of index {', '.join(lacking)} to measure "
                            f"{', '.join(c for c in codes if tracks[c] in lacking)} against")
        context["reference"] = {c: pd.Series(refs[i], dtype="float64").rename(i) for c, i in tracks.items()}
        context["fees"], assumed = etf_fees(codes)
        context["fund_shares"] = fund_shares
        if assumed:
            caveats.append("fee: project default 0.50 % + 0.10 % assumed (not verified) for " + ", ".join(assumed)
                           + " (fee_status column; sources in universes/tables/etfs.csv)")
    if screen is None:
        screen = etf_screen(context["fees"], context["reference"]) if etfs else stock_screen()
    elif etfs and "reference" in screen.context:  # the per-fund references above stand for it
        if reference is None or str(screen.context["reference"]) != str(reference):
            raise ConfigError("the screen config's reference must be the index passed as the reference "
                              f"({reference or 'none'}), got {screen.context['reference']!r}")
        screen = Screen(screen.steps, context={k: v for k, v in screen.context.items() if k != "reference"},
                        name=screen.name)
    screen = _guarded(screen, stocks=not etfs)
    if top is not None:
        screen = Screen((*screen.steps, Top(top)), context=screen.context, name=screen.name)
    table = _data_ended_as_text(run_screen(panel, screen, as_of, context))
    names = facts["names"]
    table.insert(0, "name", pd.array([names.get(s, "") for s in table.index], dtype="string"))
    if etfs:
        table.insert(1, "tracks", pd.array([tracks[s] for s in table.index], dtype="string"))
        status = {c: etf_info(c).fee_status for c in codes}
        table.insert(table.columns.get_loc("score"), "fee_status",
                     pd.array([status[s] for s in table.index], dtype="string"))
        table.attrs["reference"] = ", ".join(sorted(set(tracks.values())))
        table.attrs["reference_chosen"] = reference is not None
    table.attrs["universe"] = target
    table.attrs["caveats"] = caveats + list(table.attrs.get("caveats", []))
    table.attrs["top"] = top
    return table
