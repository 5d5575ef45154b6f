"""Write the exchange sessions aibt ships (``universes/tables/sessions_XSHG.csv``, ``sessions_XHKG.csv``)
from ``exchange_calendars``: the one calendar of :mod:`aibt.universes.calendar`, stored so that a command
reads 5,000 dates instead of building the calendar (about 0.5 s and pandas) in every process.

    python scripts/build_sessions.py

Both files cover 2005-01-04 to the last XSHG session exchange_calendars knows (its XSHG holidays are
hand-listed to the end of 2026 in version 4.13; XHKG's range moves with today's date, so it is cut at the
same end). ``tests/test_universes_calendar.py`` checks the stored sessions against the installed
exchange_calendars over the whole range: rerun this script when that test fails after an upgrade.
"""
from __future__ import annotations

from pathlib import Path

import exchange_calendars as xcals
import numpy as np

START = "2005-01-04"
OUT = Path(__file__).resolve().parents[1] / "universes" / "tables"


def sessions(name: str, end=None) -> np.ndarray:
    cal = xcals.get_calendar(name, start=START)
    s = cal.sessions if end is None else cal.sessions_in_range(START, min(end, cal.last_session))
    return s.tz_localize(None).to_numpy(dtype="datetime64[D]") if s.tz is not None else s.to_numpy(dtype="datetime64[D]")


def write(name: str, days: np.ndarray) -> None:
    head = (f"# {name} sessions from exchange_calendars {xcals.__version__} ({START} .. {days[-1]}); "
            "written by scripts/build_sessions.py\nsession\n")
    (OUT / f"sessions_{name}.csv").write_text(head + "\n".join(str(d) for d in days) + "\n", encoding="utf-8")
    print(f"{name}: {len(days)} sessions {days[0]} .. {days[-1]}")


def main() -> None:
    xshg = sessions("XSHG")
    write("XSHG", xshg)
    write("XHKG", sessions("XHKG", end=xshg[-1]))


if __name__ == "__main__":
    main()
