"""ETFs on the STAR AI index (950180) and the STAR 50 ETFs: what they track and what they cost.

Fees are annual fractions of NAV. ``fee_status`` says where the numbers come from: ``reported`` (secondary
source, ``INDEX_950180.md``) or ``assumed`` (the project default of 0.50% management + 0.10% custody, the
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
    """

    code: str
    manager: str
    tracks: str
    index_status: str
    mgmt_fee: float = DEFAULT_MGMT_FEE
    custody_fee: float = DEFAULT_CUSTODY_FEE
    fee_status: str = "assumed"
    note: str = ""

    @property
    def total_fee(self) -> float:
        """Management + custody, per year."""
        return self.mgmt_fee + self.custody_fee


ETFS: tuple[ETFInfo, ...] = (
    ETFInfo("588790", "博时", "950180", "confirmed", 0.0050, 0.0010, "reported",
            "contract effective 2024-12-31, full replication (confirmed); share split 1:2 on 2025-03-18, "
            "NAV 1.3010 -> 0.6505, trading on the new basis from 2025-03-19 (confirmed)"),
    ETFInfo("588930", "银华", "950180", "not confirmed",
            note="in the data as 科创人工智能ETF银华; which index it tracks is not confirmed"),
    ETFInfo("588760", "广发", "950180", "reported", 0.0050, 0.0010, "reported", "offered from 2025-01-02"),
    ETFInfo("588730", "易方达", "950180", "reported", note="manager from the fund's short name"),
    ETFInfo("589010", "华夏", "950180", "reported"),
    ETFInfo("589520", "华宝", "950180", "reported", note="tracked index inferred from the fund's short name"),
    ETFInfo("589380", "富国", "950180", "reported", note="listed 2025-07-01 (reported)"),
    ETFInfo("589110", "国泰", "950180", "reported"),
    ETFInfo("589090", "鹏华", "950180", "reported", note="tracked index inferred from the fund's short name"),
    ETFInfo("589560", "汇添富", "950180", "reported", 0.0050, 0.0010, "reported", "founded 2025-08-25"),
    ETFInfo("589230", "南方", "950180", "reported", note="tracked index inferred from the fund's short name"),
    ETFInfo("588000", "华夏", "000688", "reported", note="STAR 50 ETF"),
    ETFInfo("588080", "易方达", "000688", "reported", note="STAR 50 ETF"),
    ETFInfo("588050", "工银", "000688", "reported", note="STAR 50 ETF"),
)
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
