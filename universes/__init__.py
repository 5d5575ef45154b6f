"""Who: security master, dated board and fee rules, the STAR AI index methodology, ETFs and supplier baskets."""
from aibt.universes.board_rules import limit_pct, lot_size
from aibt.universes.fees import exchange_fee, stamp_duty, transfer_fee
from aibt.universes.master import Security, SecurityMaster, security_master
from aibt.universes.trading_rules import TradingRules, compile_rules

__all__ = [
    "Security", "SecurityMaster", "security_master",
    "lot_size", "limit_pct", "stamp_duty", "transfer_fee", "exchange_fee",
    "TradingRules", "compile_rules",
]
