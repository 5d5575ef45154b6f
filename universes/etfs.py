"""ETFs on the STAR AI index (950180) and the STAR 50 ETFs: what they track and what they cost.

The table is ``universes/tables/etfs.csv``. Fees are annual fractions of NAV. ``fee_status`` says where the
numbers come from: ``reported`` (secondary source, ``INDEX_950180.md``, named in ``fee_source``) or ``assumed`` (the project default of 0.50% management + 0.10% custody, the
level of the reported peers; not verified for that fund). ``index_status`` likewise for the tracked index.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aibt.errors import UniverseError
from aibt.universes.master import unknown_code_message

DEFAULT_MGMT_FEE = 0.0050
DEFAULT_CUSTODY_FEE = 0.0010


@dataclass(frozen=True)
class ETFInfo:
    """One exchange-traded fund.

    Attributes
    ----------
    code, manager : exchange code and fund manager (from the fund's short name when not reported).
    tracks : index code (``"950180"`` STAR AI, ``"000688"`` STAR 50).
    index_status : confirmed / reported / not confirmed.
    mgmt_fee, custody_fee : annual fractions of NAV.
    fee_status : reported / assumed.
    note : splits and other facts with their status.
    fee_source : where the fee comes from (a source for a reported fee; the assumption for an assumed one).
    """

    code: str
    manager: str
    tracks: str
    index_status: str
    mgmt_fee: float = DEFAULT_MGMT_FEE
    custody_fee: float = DEFAULT_CUSTODY_FEE
    fee_status: str = "assumed"
    note: str = ""
    fee_source: str = "project default 0.50% + 0.10% (the level of the reported peers); not verified"

    @property
    def total_fee(self) -> float:
        """Management + custody, per year."""
        return self.mgmt_fee + self.custody_fee


def _read_table() -> tuple[ETFInfo, ...]:
    """The committed ETF table (``universes/tables/etfs.csv``), one row per fund with its fee source."""
    import csv
    from importlib import resources

    path = resources.files("aibt.universes") / "tables" / "etfs.csv"
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["fee_status"] not in ("reported", "assumed"):
                raise UniverseError(f"etfs.csv: fee_status of {r['code']} must be reported or assumed, "
                                    f"got {r['fee_status']!r}")
            rows.append(ETFInfo(r["code"], r["manager"], r["tracks"], r["index_status"], float(r["mgmt_fee"]),
                                float(r["custody_fee"]), r["fee_status"], r["note"], r["fee_source"]))
    return tuple(rows)


ETFS: tuple[ETFInfo, ...] = _read_table()
_BY_CODE = {e.code: e for e in ETFS}


def etf_info(code: str) -> ETFInfo:
    """The :class:`ETFInfo` for ``code``; an unknown code is named with close matches."""
    try:
        return _BY_CODE[str(code)]
    except KeyError:
        raise UniverseError(unknown_code_message(str(code), _BY_CODE).replace("security master",
                                                                              "ETF table")) from None


def etfs_tracking(index_code: str) -> tuple[str, ...]:
    """Codes of the ETFs recorded as tracking ``index_code`` (any status), table order."""
    return tuple(e.code for e in ETFS if e.tracks == index_code)


def etf_table() -> pd.DataFrame:
    """All ETFs as a DataFrame (one row each, fees as fractions)."""
    return pd.DataFrame([{**e.__dict__, "total_fee": e.total_fee} for e in ETFS])
