"""Who: security master, dated board and fee rules, the STAR AI index methodology, ETFs and supplier baskets."""
from aibt.universes.baskets import BASKETS
from aibt.universes.board_rules import limit_pct, lot_size
from aibt.universes.etfs import ETFInfo, etf_info, etf_table, etfs_tracking
from aibt.universes.fees import exchange_fee, stamp_duty, transfer_fee
from aibt.universes.master import Security, SecurityMaster, security_master
from aibt.universes.registry import Universe, get_universe, known_universes, load_universe_file
from aibt.universes.star_ai import (Methodology, banded_free_float, build_constituents, candidate_table,
                                    capped_weights, constituents_as_of, free_float_table, known_changes,
                                    membership_facts, review_dates, select_reviews, theme_table,
                                    weights_from_user_file)
from aibt.universes.trading_rules import TradingRules, compile_rules

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
