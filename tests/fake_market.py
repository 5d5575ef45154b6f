"""A fake network behind akshare's and yfinance's functions, for ``aibt data update`` tests.

``FakeMarket.install(monkeypatch)`` replaces ``akshare.<function>`` (and ``yfinance.Ticker``) with
closures that answer from in-memory payloads through :mod:`tests.akshare_shapes`, i.e. frames shaped as
the installed libraries return them. ``fail`` injects errors per (function, symbol): a requests
Timeout, an HTTP 429, anything. ``calls`` records every call with its arguments.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

import akshare_shapes as S

SESSIONS = ["2026-05-28", "2026-05-29", "2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05",
            "2026-06-08", "2026-06-09"]
# 300308: 2026-05-28 is the snapshot's last bar (traded close 1197.99); cash dividend 0.50 per share
# (10派5) with ex-date 2026-06-03
STOCK = {"2026-05-28": (1100.00, 1197.99, 1199.79, 1085.56),
         "2026-05-29": (1195.00, 1210.50, 1220.00, 1190.10),
         "2026-06-01": (1208.00, 1189.00, 1215.00, 1180.00),
         "2026-06-02": (1190.00, 1225.30, 1230.00, 1188.00),
         "2026-06-03": (1222.00, 1220.00, 1231.00, 1210.00),
         "2026-06-04": (1221.00, 1230.10, 1236.00, 1215.00),
         "2026-06-05": (1230.00, 1241.00, 1245.00, 1228.00),
         "2026-06-08": (1241.00, 1250.20, 1256.00, 1238.00),
         "2026-06-09": (1250.00, 1248.00, 1258.00, 1240.00)}
STOCK_EX = "2026-06-03"
STOCK_CASH = 0.5
# 588790: the snapshot ends 2026-05-07 (close 0.963)
ETF_SESSIONS = ["2026-05-07", "2026-05-08", "2026-05-11", "2026-05-12", "2026-05-13", "2026-05-14", "2026-05-15",
                "2026-05-18", "2026-05-19", "2026-05-20", "2026-05-21", "2026-05-22", "2026-05-25", "2026-05-26",
                "2026-05-27", "2026-05-28", "2026-05-29", "2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04",
                "2026-06-05", "2026-06-08", "2026-06-09"]


def _etf_close(i: int) -> float:
    return round(0.963 * (1 + 0.004 * np.sin(i)) * (1 + 0.001 * i), 3)


class FakeMarket:
    def __init__(self, last: str = "2026-06-05") -> None:
        self.last = pd.Timestamp(last)
        self.calls: list[tuple] = []
        self.fail: dict[tuple[str, str], BaseException] = {}
        self.renamed: dict[str, dict[str, str]] = {}
        self.empty: set[tuple[str, str]] = set()
        self.etf_split: tuple[str, int] | None = None  # (effective date, k): a 1:k fund split

    # ---------------------------------------------------------------- payloads
    def _days(self, days, start, end):
        lo, hi = pd.Timestamp(start), min(pd.Timestamp(end), self.last)
        return [d for d in days if lo <= pd.Timestamp(d) <= hi]

    def stock_klines(self, start, end, adjust):
        out = []
        h = 1.0
        base = 7.3  # hfq factor before the ex-date (arbitrary: Eastmoney's cumulative factor)
        for d in self._days(list(STOCK), start, end):
            o, c, hi, lo = STOCK[d]
            if adjust == "hfq":
                h = base * (STOCK["2026-06-02"][1] / (STOCK["2026-06-02"][1] - STOCK_CASH) if d >= STOCK_EX else 1.0)
            elif adjust == "qfq":
                h = (STOCK["2026-06-02"][1] - STOCK_CASH) / STOCK["2026-06-02"][1] if d < STOCK_EX else 1.0
            vol = 250000 + 1000 * SESSIONS.index(d)
            out.append(S.kline(d, o * h, c * h, hi * h, lo * h, vol, vol * 100 * (hi + lo + c) / 3))
        return out

    def etf_klines(self, start, end):
        out = []
        for i, d in enumerate(ETF_SESSIONS):
            if d not in self._days(ETF_SESSIONS, start, end):
                continue
            c = _etf_close(i)
            vol = 5_000_000 + 10_000 * i
            if self.etf_split and d >= self.etf_split[0]:
                c, vol = round(c / self.etf_split[1], 3), vol * self.etf_split[1]
            out.append(f"{d},{c:.3f},{c:.3f},{c * 1.01:.3f},{c * 0.99:.3f},{vol},{vol * 100 * c:.2f},2.00,0.10,0.001,3.00")
        return out

    def nav(self, d: str) -> float:
        i = ETF_SESSIONS.index(d)
        k = self.etf_split[1] if self.etf_split and d >= self.etf_split[0] else 1
        return round(_etf_close(i) * (1 - 0.002 * np.cos(i)) / k, 4)  # premium/discount within +-0.2 %

    # ---------------------------------------------------------------- fakes
    def _check(self, fn: str, symbol: str):
        self.calls.append((fn, symbol))
        exc = self.fail.get((fn, symbol)) or self.fail.get((fn, "*"))
        if exc is not None:
            raise exc

    def _rename(self, fn, df):
        if fn in self.renamed:
            df = df.rename(columns=self.renamed[fn])
        return df

    def install(self, monkeypatch) -> "FakeMarket":
        import akshare
        import yfinance

        def stock_zh_a_hist(symbol="000001", period="daily", start_date="19700101", end_date="20500101", adjust="",
                            timeout=None):
            self._check("stock_zh_a_hist", symbol)
            self.calls[-1] = ("stock_zh_a_hist", symbol, start_date, end_date, adjust)
            if ("stock_zh_a_hist", symbol) in self.empty:
                return pd.DataFrame()
            return self._rename("stock_zh_a_hist", S.stock_zh_a_hist(self.stock_klines(start_date, end_date, adjust),
                                                                     symbol))

        def fund_etf_hist_em(symbol="159707", period="daily", start_date="19700101", end_date="20500101", adjust=""):
            self._check("fund_etf_hist_em", symbol)
            self.calls[-1] = ("fund_etf_hist_em", symbol, start_date, end_date, adjust)
            return S.fund_etf_hist_em(self.etf_klines(start_date, end_date))

        def fund_etf_fund_info_em(fund="511280", start_date="20000101", end_date="20500101"):
            self._check("fund_etf_fund_info_em", fund)
            days = self._days(ETF_SESSIONS, start_date, end_date)
            recs = [S.nav_record(d, self.nav(d), self.nav(d) + 0.05) for d in reversed(days)]  # newest first
            return S.fund_etf_fund_info_em(recs)

        def fund_etf_scale_sse(date="20250115"):
            self._check("fund_etf_scale_sse", date)
            d = f"{date[:4]}-{date[4:6]}-{date[6:]}"
            i = ETF_SESSIONS.index(d) if d in ETF_SESSIONS else 0
            return S.fund_etf_scale_sse([
                {"NUM": "1", "SEC_CODE": "510300", "SEC_NAME": "沪深300ETF", "ETF_TYPE": "单市场", "STAT_DATE": d,
                 "TOT_VOL": "9000000.00"},
                {"NUM": "2", "SEC_CODE": "588790", "SEC_NAME": "科创AIETF", "ETF_TYPE": "单市场", "STAT_DATE": d,
                 "TOT_VOL": f"{800000 + 2000 * i:.2f}"}])

        def stock_fhps_detail_em(symbol="300073"):
            self._check("stock_fhps_detail_em", symbol)
            return S.stock_fhps_detail_em([
                {"report": "2025-12-31 00:00:00", "cash": STOCK_CASH * 10, "bonus_transfer": None,
                 "record_date": "2026-06-02 00:00:00", "ex_date": f"{STOCK_EX} 00:00:00", "desc": "10派5.00元(含税)"},
                {"report": "2025-06-30 00:00:00", "cash": 2.0, "bonus_transfer": None, "record_date": None,
                 "ex_date": None, "progress": "股东大会预案", "desc": "10派2.00元(含税)"}])

        def stock_zh_index_hist_csindex(symbol="000928", start_date="20180526", end_date="20240604"):
            self._check("stock_zh_index_hist_csindex", symbol)
            lo, hi = pd.Timestamp(start_date), min(pd.Timestamp(end_date), self.last)
            days = pd.bdate_range("2025-01-02", "2026-06-09")
            recs = []
            lvl = 1500.0
            for i, d in enumerate(days):
                lvl = round(lvl * (1 + 0.01 * np.sin(i / 3.0)), 2)
                if lo <= d <= hi:
                    recs.append(S.csindex_record(d.strftime("%Y-%m-%d"), symbol, lvl, lvl * 1.01, lvl * 0.99, lvl,
                                                 0.0, 0.0, 123.4, 567.8))
            return S.stock_zh_index_hist_csindex(recs)

        def index_stock_cons_weight_csindex(symbol="000300"):
            self._check("index_stock_cons_weight_csindex", symbol)
            return S.index_stock_cons_weight_csindex([
                ("2026-05-29", symbol, "688256", "寒武纪", "上海证券交易所", 10.123),
                ("2026-05-29", symbol, "688041", "海光信息", "上海证券交易所", 9.877),
                ("2026-05-29", symbol, "688008", "澜起科技", "上海证券交易所", 80.0)])

        for name, fn in list(locals().items()):
            if name in ("stock_zh_a_hist", "fund_etf_hist_em", "fund_etf_fund_info_em", "fund_etf_scale_sse",
                        "stock_fhps_detail_em", "stock_zh_index_hist_csindex", "index_stock_cons_weight_csindex"):
                monkeypatch.setattr(akshare, name, fn)

        market = self

        class Ticker:
            def __init__(self, ticker):
                self.ticker = ticker

            def history(self, period=None, interval="1d", start=None, end=None, auto_adjust=True, actions=True,
                        **kw):
                market._check("Ticker.history", self.ticker)
                days = pd.bdate_range(start, pd.Timestamp(end) - pd.Timedelta(days=1))
                days = days[days <= market.last]
                if self.ticker == "HKDCNY=X":
                    close = 0.915 + 0.0001 * np.arange(len(days))
                    idx = pd.DatetimeIndex(days).tz_localize("Europe/London").rename("Date")
                    return pd.DataFrame({"Open": close, "High": close, "Low": close, "Close": close, "Adj Close": close,
                                         "Volume": 0}, index=idx)
                close = 6.16 + 0.01 * np.arange(len(days))
                idx = pd.DatetimeIndex(days).tz_localize("Asia/Hong_Kong").rename("Date")
                return pd.DataFrame({"Open": close, "High": close + 0.05, "Low": close - 0.05, "Close": close,
                                     "Adj Close": close, "Volume": 1_000_000}, index=idx)

        monkeypatch.setattr(yfinance, "Ticker", Ticker)
        return self
