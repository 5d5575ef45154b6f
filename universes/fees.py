"""Statutory trading costs in time: stamp duty, transfer fee and Hong Kong exchange fees and levies.

Rates are fractions of traded value; before a security's listing date they are 0 (nothing trades). Broker commission (which in China already includes the exchanges'
handling fee 经手费 and the CSRC fee 证管费) is not a statutory rate and is set by the engine's cost model.
Each row names its source and status; "reported" = widely published rule recalled without an offline copy
of the notice, "assumed" = project assumption.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from aibt.universes.dated import Change, DatedTable
from aibt.universes.master import Security

# --- A-shares -------------------------------------------------------------------------------------------
A_STAMP_SELL = DatedTable("A-share stamp duty (sell side)", (
    Change("2008-09-19", 0.001, "MoF: stamp duty 0.1% levied on the seller only from 2008-09-19"),
    Change("2023-08-28", 0.0005, "MoF/STA announcement 2023 No.39: halved to 0.05% from 2023-08-28"),
))
SSE_TRANSFER = DatedTable("SSE transfer fee", (
    Change("1990-12-19", 0.00002, "before 2015-08-01 SSE charged 0.3 permille of FACE value; not expressible "
                                  "as a rate of traded value, so 0.002% of value is used", "assumed"),
    Change("2015-08-01", 0.00002, "CSDC: A-share transfer fee 0.02 permille of value, both sides, SSE and "
                                  "SZSE alike, from 2015-08-01"),
    Change("2022-04-29", 0.00001, "CSDC: transfer fee halved to 0.01 permille (0.001%) from 2022-04-29"),
))
SZSE_TRANSFER = DatedTable("SZSE transfer fee", (
    Change("1991-07-03", 0.0000255, "before 2015-08-01 SZSE charged 0.0255 permille of value"),
    Change("2015-08-01", 0.00002, "CSDC: unified 0.02 permille of value, both sides, from 2015-08-01 (the "
                                  "0.00341% sometimes quoted for SZSE is the exchange handling fee 经手费, "
                                  "part of the broker commission, not a transfer fee)"),
    Change("2022-04-29", 0.00001, "CSDC: halved to 0.001% from 2022-04-29"),
))

# --- Hong Kong ------------------------------------------------------------------------------------------
HK_STAMP = DatedTable("HK stamp duty (each side)", (
    Change("2001-09-01", 0.001, "HK stamp duty 0.1% per side (0.2% per round trip)"),
    Change("2021-08-01", 0.0013, "HK Budget 2021: raised to 0.13% per side from 2021-08-01"),
    Change("2023-11-17", 0.001, "HK Policy Address 2023: cut back to 0.1% per side from 2023-11-17"),
))
HK_TRADING_FEE = DatedTable("HKEX trading fee", (
    Change("2001-09-01", 0.00005, "HKEX trading fee 0.005%"),
    Change("2023-01-01", 0.0000565, "HKEX trading fee 0.00565% from 2023-01-01"),
))
HK_SFC_LEVY = DatedTable("SFC transaction levy", (
    Change("2001-09-01", 0.00003, "SFC levy 0.003%"),
    Change("2014-12-01", 0.000027, "SFC levy cut to 0.0027% from 2014-12-01"),
))
HK_AFRC_LEVY = DatedTable("AFRC transaction levy", (
    Change("2001-09-01", 0.0, "no FRC levy before 2022"),
    Change("2022-01-01", 0.0000015, "FRC (now AFRC) transaction levy 0.00015% from 2022-01-01"),
))


def stamp_duty(sec: Security, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """(buy, sell) stamp duty rates [T]. A-share stocks: sell side only; HK: both sides; ETFs, indices: 0."""
    d = pd.DatetimeIndex(dates)
    zero = np.zeros(len(d))
    if sec.kind != "stock":
        return zero, zero.copy()
    if sec.exchange == "HKEX":
        rate = HK_STAMP.lookup_from(d, sec.listing_date, 0.0)
        return rate, rate.copy()
    return zero, A_STAMP_SELL.lookup_from(d, sec.listing_date, 0.0)


def transfer_fee(sec: Security, dates: pd.DatetimeIndex) -> np.ndarray:
    """Transfer fee rate [T], both sides: A-share stocks only (ETFs, HK, indices: 0)."""
    d = pd.DatetimeIndex(dates)
    if sec.kind != "stock" or sec.exchange == "HKEX":
        return np.zeros(len(d))
    return (SSE_TRANSFER if sec.exchange == "SSE" else SZSE_TRANSFER).lookup_from(d, sec.listing_date, 0.0)


def exchange_fee(sec: Security, dates: pd.DatetimeIndex) -> np.ndarray:
    """Other statutory fees [T], both sides: HK trading fee + SFC levy + AFRC levy; 0 for A-shares."""
    d = pd.DatetimeIndex(dates)
    if sec.exchange != "HKEX":
        return np.zeros(len(d))
    return sum(t.lookup_from(d, sec.listing_date, 0.0) for t in (HK_TRADING_FEE, HK_SFC_LEVY, HK_AFRC_LEVY))
