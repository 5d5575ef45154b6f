"""Who: security master, dated board and fee rules, the STAR AI index methodology, ETFs and supplier baskets.

The names below are imported from their modules on first use (PEP 562), so that importing one module of
the package (e.g. :mod:`aibt.universes.calendar` for ``aibt stats``) does not load them all, nor pandas.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "baskets": ("BASKETS",),
    "board_rules": ("limit_pct", "lot_size"),
    "etfs": ("ETFInfo", "etf_info", "etf_table", "etfs_tracking"),
    "fees": ("exchange_fee", "stamp_duty", "transfer_fee"),
    "master": ("Security", "SecurityMaster", "security_master"),
    "registry": ("Universe", "get_universe", "known_universes", "load_universe_file"),
    "star_ai": ("Methodology", "banded_free_float", "build_constituents", "candidate_table", "capped_weights",
                "constituents_as_of", "free_float_table", "known_changes", "membership_facts", "review_dates",
                "select_reviews", "theme_table", "weights_from_user_file"),
    "trading_rules": ("TradingRules", "compile_rules"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "Security", "SecurityMaster", "security_master",
    "lot_size", "limit_pct", "stamp_duty", "transfer_fee", "exchange_fee",
    "TradingRules", "compile_rules",
    "Methodology", "candidate_table", "known_changes", "review_dates", "build_constituents", "select_reviews",
    "theme_table", "membership_facts", "free_float_table", "banded_free_float",
    "constituents_as_of", "capped_weights", "weights_from_user_file",
    "ETFInfo", "etf_info", "etf_table", "etfs_tracking", "BASKETS",
    "Universe", "get_universe", "known_universes", "load_universe_file",
]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'aibt.universes' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"aibt.universes.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
