"""Point-in-time rule tables: a value that changes on effective dates, looked up for a whole date axis at once."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aibt.errors import UniverseError


@dataclass(frozen=True)
class Change:
    """One row of a dated table: ``value`` applies from ``effective`` (inclusive) until the next row.

    ``status`` is ``"confirmed"`` (primary document), ``"reported"`` (secondary source or widely published
    rule recalled without an offline copy) or ``"assumed"`` (project assumption); ``source`` says which.
    """

    effective: str
    value: float
    source: str
    status: str = "reported"


@dataclass(frozen=True)
class DatedTable:
    """A named step function of time. ``rows`` must be in increasing ``effective`` order."""

    name: str
    rows: tuple[Change, ...]

    def __post_init__(self) -> None:
        eff = [pd.Timestamp(r.effective) for r in self.rows]
        if not eff or any(b <= a for a, b in zip(eff, eff[1:])):
            raise UniverseError(f"rule table {self.name!r} needs rows in strictly increasing date order")

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.rows[0].effective)

    def lookup(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Float64 array [T]: the value in force on each date. A date before the first row is an error."""
        d = pd.DatetimeIndex(dates)
        eff = pd.DatetimeIndex([pd.Timestamp(r.effective) for r in self.rows]).values
        pos = np.searchsorted(eff, d.values, side="right") - 1
        if len(d) and pos.min() < 0:
            raise UniverseError(f"rule table {self.name!r} starts {self.start.date()}; "
                                f"no rule known for {d[pos < 0][0].date()}")
        vals = np.array([r.value for r in self.rows], dtype=np.float64)
        return vals[pos] if len(d) else np.empty(0, dtype=np.float64)

    def lookup_from(self, dates: pd.DatetimeIndex, first: pd.Timestamp, fill: float) -> np.ndarray:
        """Like :meth:`lookup` for dates on or after ``first`` (e.g. a listing date); ``fill`` before it, so a
        date axis that starts before a security existed needs no rule for those dates."""
        d = pd.DatetimeIndex(dates)
        out = np.full(len(d), fill, dtype=np.float64)
        on = np.asarray(d >= first)
        if on.any():
            out[on] = self.lookup(d[on])
        return out

    def value_on(self, date) -> float:
        """The value in force on one date."""
        return float(self.lookup(pd.DatetimeIndex([pd.Timestamp(date)]))[0])
