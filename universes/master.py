"""Security master: who each code is (exchange, board, currency, kind, listing date, board lot, risk warnings).

The table is committed as ``universes/tables/securities.csv`` and rebuilt from the raw data copies by
``scripts/build_security_master.py`` (which states the provenance of every column; each row also carries a
``source`` note).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from aibt.errors import UniverseError

EXCHANGES = ("SSE", "SZSE", "HKEX")
BOARDS = ("STAR", "ChiNext", "Main", "HK", "ETF", "Index")
CURRENCIES = ("CNY", "HKD")
KINDS = ("stock", "etf", "index")
TABLE_COLUMNS = ("code", "name", "exchange", "board", "currency", "kind", "listing_date", "hk_board_lot",
                 "st_periods", "source")


@dataclass(frozen=True)
class Security:
    """One listed security.

    Parameters
    ----------
    code : str
        Exchange code as used by the panels: ``"300308"``, ``"588790"``, ``"000688"`` (index), ``"6088.HK"``.
    name : str
        Short name (Chinese, as of the 2026-05 source snapshot).
    exchange : {"SSE", "SZSE", "HKEX"}
    board : {"STAR", "ChiNext", "Main", "HK", "ETF", "Index"}
    currency : {"CNY", "HKD"}
    kind : {"stock", "etf", "index"}
    listing_date : pandas.Timestamp
        First trading day (stocks: exchange listing date; ETFs, indices, HK: first bar in the data, see ``source``).
    hk_board_lot : int or None
        HKEX board lot in shares; None outside Hong Kong.
    st_periods : tuple of (Timestamp, Timestamp or None)
        Inclusive periods under risk warning (ST / *ST); ``None`` end = still in force. Empty when none is known.
    source : str
        Where the row's values come from.
    """

    code: str
    name: str
    exchange: str
    board: str
    currency: str
    kind: str
    listing_date: pd.Timestamp
    hk_board_lot: int | None = None
    st_periods: tuple[tuple[pd.Timestamp, pd.Timestamp | None], ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        for attr, allowed in (("exchange", EXCHANGES), ("board", BOARDS), ("currency", CURRENCIES),
                              ("kind", KINDS)):
            value = getattr(self, attr)
            if value not in allowed:
                raise UniverseError(f"security {self.code!r}: {attr} {value!r} is not one of {list(allowed)}")
        object.__setattr__(self, "listing_date", pd.Timestamp(self.listing_date))
        if self.board == "HK" and not self.hk_board_lot:
            raise UniverseError(f"security {self.code!r}: a Hong Kong stock needs hk_board_lot")

    def is_st(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Boolean array [T]: True on the dates that fall inside one of :attr:`st_periods`."""
        d = pd.DatetimeIndex(dates)
        out = np.zeros(len(d), dtype=bool)
        for start, end in self.st_periods:
            m = d >= start
            if end is not None:
                m &= d <= end
            out |= np.asarray(m)
        return out


def parse_st_periods(text: str) -> tuple[tuple[pd.Timestamp, pd.Timestamp | None], ...]:
    """Parse ``"2020-01-02:2020-06-30;2026-05-26:"`` into ((start, end), (start, None))."""
    periods = []
    for part in filter(None, (p.strip() for p in str(text).split(";"))):
        start, sep, end = part.partition(":")
        if not sep:
            raise UniverseError(f"st_periods entry {part!r} must be 'START:END' or 'START:'")
        periods.append((pd.Timestamp(start), pd.Timestamp(end) if end else None))
    return tuple(periods)


def format_st_periods(periods) -> str:
    """Inverse of :func:`parse_st_periods`."""
    return ";".join(f"{s.date()}:{'' if e is None else e.date()}" for s, e in periods)


class SecurityMaster:
    """Lookup of :class:`Security` by code.

    Parameters
    ----------
    securities : iterable of Security, unique codes.
    """

    def __init__(self, securities) -> None:
        self._by_code: dict[str, Security] = {}
        for sec in securities:
            if sec.code in self._by_code:
                raise UniverseError(f"duplicate security code {sec.code!r} in the security master")
            self._by_code[sec.code] = sec

    @property
    def codes(self) -> tuple[str, ...]:
        """All codes, in table order."""
        return tuple(self._by_code)

    def __contains__(self, code: object) -> bool:
        return str(code) in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Security:
        """The security for ``code``; an unknown code raises UniverseError with close matches."""
        code = str(code)
        try:
            return self._by_code[code]
        except KeyError:
            raise UniverseError(unknown_code_message(code, self.codes)) from None

    def table(self) -> pd.DataFrame:
        """One row per security with the columns of ``securities.csv`` (st_periods as text)."""
        rows = [{
            "code": s.code, "name": s.name, "exchange": s.exchange, "board": s.board, "currency": s.currency,
            "kind": s.kind, "listing_date": s.listing_date, "hk_board_lot": s.hk_board_lot,
            "st_periods": format_st_periods(s.st_periods), "source": s.source,
        } for s in self._by_code.values()]
        out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
        out["hk_board_lot"] = out["hk_board_lot"].astype("Int64")
        return out

    @classmethod
    def from_csv(cls, path) -> "SecurityMaster":
        """Read a table in the ``securities.csv`` layout."""
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = set(TABLE_COLUMNS) - set(df.columns)
        if missing:
            raise UniverseError(f"security table {path} lacks column(s) {sorted(missing)}")
        secs = []
        for r in df.itertuples(index=False):
            secs.append(Security(
                code=r.code, name=r.name, exchange=r.exchange, board=r.board, currency=r.currency, kind=r.kind,
                listing_date=pd.Timestamp(r.listing_date),
                hk_board_lot=int(r.hk_board_lot) if r.hk_board_lot else None,
                st_periods=parse_st_periods(r.st_periods), source=r.source,
            ))
        return cls(secs)


def unknown_code_message(code: str, known) -> str:
    """``unknown security code 'X'`` plus up to three close matches among ``known``."""
    close = difflib.get_close_matches(str(code), list(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown security code {code!r} (not in the security master){hint}"


def _table_path() -> Path:
    return Path(str(resources.files("aibt.universes") / "tables" / "securities.csv"))


@lru_cache(maxsize=1)
def security_master() -> SecurityMaster:
    """The committed security master (``universes/tables/securities.csv``), cached."""
    return SecurityMaster.from_csv(_table_path())
