"""XSHG sessions for the data layer: the exchange calendar lives with the other exchange facts in
:mod:`aibt.universes.calendar` (the universes layer is below data), re-exported here."""
from aibt.universes.calendar import CALENDAR_NAME, calendar_bounds, xshg_sessions  # noqa: F401

__all__ = ["CALENDAR_NAME", "calendar_bounds", "xshg_sessions"]
