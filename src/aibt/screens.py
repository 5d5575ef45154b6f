"""Load what a screen needs and run it: the data side of ``aibt screen`` and of the default study's screens.

The ranking itself is :func:`aibt.strategies.universe_screens.screen_universe`, which takes the data as
arguments; this module reads the members' bars and, for ETF universes, the levels of the indexes the funds
track (the rebuilt 950180 from :mod:`aibt.strategies.star_ai_index`, 000688 from the bars).
"""
from __future__ import annotations

import pandas as pd

from aibt.errors import ConfigError


def load_panel(codes: list[str], as_of=None):
    """Panel of ``codes`` up to ``as_of`` (nothing later is kept), from the data in use.

    Raises
    ------
    ConfigError
        ``as_of`` before the first or after the last bar of the codes in the data.
    """
    from aibt.data.snapshot import load_snapshot

    panel = load_snapshot(symbols=codes)  # first to last bar of these codes
    if as_of is None:
        return panel
    d = pd.Timestamp(as_of)
    first, last = panel.dates[0], panel.dates[-1]
    if d < first:
        raise ConfigError(f"--date {d.date()} is before the data starts ({first.date()} for these symbols)")
    if d > last:
        raise ConfigError(f"--date {d.date()} is after the last date in the data ({last.date()})")
    return panel.select(end=d)


def index_levels(index_codes, as_of=None) -> dict[str, pd.Series]:
    """Level series of each index code up to ``as_of``: 950180 rebuilt from its constituents, others from bars."""
    from aibt.data.snapshot import load_snapshot
    from aibt.loaders import star_ai_index
    from aibt.strategies.star_ai_index import INDEX_CODE

    out: dict[str, pd.Series] = {}
    for code in sorted(set(index_codes)):
        if code == INDEX_CODE:
            out[code] = star_ai_index(end=as_of).rename(code)
        else:
            s = load_snapshot([code], end=as_of, require_bars=False).series(code)
            out[code] = s.rename(code)
    return out


def screen_table(target: str, as_of=None, top: int | None = None, config: str | None = None,
                 reference: str | None = None) -> pd.DataFrame:
    """Load the data and run :func:`~aibt.strategies.universe_screens.screen_universe` for ``target``.

    ``config`` (a TOML file, :func:`aibt.strategies.screening.load_screen`) replaces the built-in screen;
    ``reference`` measures every ETF against that index instead of the one it tracks.
    """
    from aibt.strategies.screening import load_screen
    from aibt.strategies.universe_screens import resolve_members, screen_universe, tracked_indexes

    codes, kind, _ = resolve_members(target)
    screen = load_screen(config) if config else None
    what = "--reference"
    if screen is not None and reference is None and isinstance(screen.context.get("reference"), str):
        reference = screen.context["reference"]  # a config's `reference = "000688"`: the index for every ETF
        what = f"reference in {config}"
    references = fund_shares = None
    if kind == "etfs":
        from aibt.data.snapshot import load_table

        tracks = tracked_indexes(codes, reference, what)
        references = index_levels(tracks.values(), as_of)
        fund_shares = load_table("fund_shares")  # units outstanding, when the data have them (None offline)
    panel = load_panel(codes, as_of)
    return screen_universe(panel, target, as_of, top, screen, references, reference, fund_shares)
