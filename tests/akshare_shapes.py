"""Frames shaped exactly as the installed akshare 1.19.5 returns them, built the way akshare builds them.

Each maker takes the payload the endpoint sends (kline strings, JSON records) and applies the same
steps as the akshare function (file and function named), so columns, their order, dtypes and date
types match: ``stock_zh_a_hist`` turns 日期 into ``datetime.date`` objects, ``fund_etf_hist_em`` keeps
``YYYY-MM-DD`` strings, CSI functions ``datetime.date``; empty answers are what akshare does with them.
Only the network is faked: tests monkeypatch ``akshare.<function>`` with closures over these.
"""
from __future__ import annotations

import pandas as pd

KLINE = ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "振幅", "涨跌幅", "涨跌额", "换手率"]


def kline(date, open_, close, high, low, volume_lots, amount) -> str:
    """One Eastmoney kline string as the push2his endpoint sends it."""
    prev = close  # 振幅/涨跌幅/涨跌额/换手率 are not read by aibt; plausible values only
    return f"{date},{open_:.2f},{close:.2f},{high:.2f},{low:.2f},{int(volume_lots)},{amount:.2f}," \
           f"{100 * (high - low) / prev:.2f},0.00,0.00,1.00"


def stock_zh_a_hist(klines: list[str], symbol: str) -> pd.DataFrame:
    """akshare/stock_feature/stock_hist_em.py ``stock_zh_a_hist``."""
    if not klines:
        return pd.DataFrame()
    temp_df = pd.DataFrame([item.split(",") for item in klines])
    temp_df["股票代码"] = symbol
    temp_df.columns = KLINE + ["股票代码"]
    temp_df["日期"] = pd.to_datetime(temp_df["日期"], errors="coerce").dt.date
    for c in KLINE[1:]:
        temp_df[c] = pd.to_numeric(temp_df[c], errors="coerce")
    return temp_df[["日期", "股票代码"] + KLINE[1:]]


def fund_etf_hist_em(klines: list[str]) -> pd.DataFrame:
    """akshare/fund/fund_etf_em.py ``fund_etf_hist_em`` (日期 stays a string)."""
    if not klines:
        return pd.DataFrame()
    temp_df = pd.DataFrame([item.split(",") for item in klines])
    temp_df.columns = KLINE
    temp_df.index = pd.to_datetime(temp_df["日期"], errors="coerce")
    temp_df.reset_index(inplace=True, drop=True)
    for c in KLINE[1:]:
        temp_df[c] = pd.to_numeric(temp_df[c], errors="coerce")
    return temp_df


CSI_HIST = ["日期", "指数代码", "指数中文全称", "指数中文简称", "指数英文全称", "指数英文简称", "开盘", "最高", "最低", "收盘",
            "涨跌", "涨跌幅", "成交量", "成交金额", "样本数量", "滚动市盈率"]


def stock_zh_index_hist_csindex(records: list[dict]) -> pd.DataFrame:
    """akshare/index/index_stock_zh_csindex.py ``stock_zh_index_hist_csindex``: ``data_json["data"]`` records
    (tradeDate YYYYMMDD, ...) -> 16 renamed columns; an empty list raises ValueError (length mismatch)."""
    temp_df = pd.DataFrame(records)
    temp_df.columns = CSI_HIST  # raises ValueError on an empty answer, as akshare does
    temp_df["日期"] = pd.to_datetime(temp_df["日期"], errors="coerce").dt.date
    for c in ("开盘", "最高", "最低", "收盘", "涨跌", "涨跌幅", "成交量", "成交金额", "样本数量", "滚动市盈率"):
        temp_df[c] = pd.to_numeric(temp_df[c], errors="coerce")
    return temp_df


def csindex_record(date: str, code: str, o, h, l, c, chg, pct, vol, amt, n=50, pe=80.0) -> dict:
    return {"tradeDate": date.replace("-", ""), "indexCode": code, "indexNameCnAll": "上证科创板人工智能指数",
            "indexNameCn": "科创AI", "indexNameEnAll": "SSE STAR Market Artificial Intelligence Index",
            "indexNameEn": "STAR AI", "open": o, "high": h, "low": l, "close": c, "change": chg,
            "changePct": pct, "tradingVol": vol, "tradingValue": amt, "consNumber": n, "peg": pe}


def index_stock_cons_weight_csindex(rows: list[tuple]) -> pd.DataFrame:
    """akshare/index/index_cons.py ``index_stock_cons_weight_csindex``: the closeweight.xls sheet read by
    pandas (日期 an int YYYYMMDD, codes ints that lost leading zeros) -> renamed, dated, zero-filled."""
    temp_df = pd.DataFrame([{"Date": int(d.replace("-", "")), "Index Code": int(ic), "Index Name": "科创AI",
                             "Index Name(Eng)": "STAR AI", "Constituent Code": int(code), "Constituent Name": name,
                             "Constituent Name(Eng)": "", "Exchange": ex, "Exchange(Eng)": "", "weight": w}
                            for d, ic, code, name, ex, w in rows])
    temp_df.columns = ["日期", "指数代码", "指数名称", "指数英文名称", "成分券代码", "成分券名称", "成分券英文名称", "交易所",
                       "交易所英文名称", "权重"]
    temp_df["日期"] = pd.to_datetime(temp_df["日期"], format="%Y%m%d", errors="coerce").dt.date
    temp_df["指数代码"] = temp_df["指数代码"].astype(str).str.zfill(6)
    temp_df["成分券代码"] = temp_df["成分券代码"].astype(str).str.zfill(6)
    temp_df["权重"] = pd.to_numeric(temp_df["权重"], errors="coerce")
    return temp_df


def fund_etf_fund_info_em(records: list[dict]) -> pd.DataFrame:
    """akshare/fund/fund_em.py ``fund_etf_fund_info_em``: LSJZList records (FSRQ, DWJZ, LJJZ, JZZZL as
    strings) -> renamed; no records -> ``pd.concat([])`` raises ValueError, as akshare does."""
    big_df = pd.concat([pd.DataFrame(records)] if records else [], ignore_index=True)
    big_df = big_df.rename(columns={"FSRQ": "净值日期", "DWJZ": "单位净值", "LJJZ": "累计净值", "JZZZL": "日增长率",
                                    "SGZT": "申购状态", "SHZT": "赎回状态"})
    big_df = big_df[["净值日期", "单位净值", "累计净值", "日增长率", "申购状态", "赎回状态"]]
    big_df["净值日期"] = pd.to_datetime(big_df["净值日期"], errors="coerce").dt.date
    for c in ("单位净值", "累计净值", "日增长率"):
        big_df[c] = pd.to_numeric(big_df[c], errors="coerce")
    big_df.sort_values(["净值日期"], inplace=True, ignore_index=True)
    return big_df


def nav_record(date: str, nav: float, acc: float) -> dict:
    return {"FSRQ": date, "DWJZ": f"{nav:.4f}", "LJJZ": f"{acc:.4f}", "JZZZL": "0.10", "SGZT": "场内买入",
            "SHZT": "场内卖出", "FHSP": "", "DTYPE": None, "FHFCZ": "", "FHFCBZ": "", "ACTUALSYI": "", "NAVTYPE": "1"}


def fund_etf_scale_sse(records: list[dict]) -> pd.DataFrame:
    """akshare/fund/fund_etf_sse.py ``fund_etf_scale_sse``: SSE result records -> renamed, 基金份额 x 10000."""
    temp_df = pd.DataFrame(records)
    temp_df = temp_df.rename(columns={"NUM": "序号", "SEC_CODE": "基金代码", "SEC_NAME": "基金简称", "ETF_TYPE": "ETF类型",
                                      "STAT_DATE": "统计日期", "TOT_VOL": "基金份额"})
    temp_df = temp_df[["序号", "基金代码", "基金简称", "ETF类型", "统计日期", "基金份额"]]
    temp_df["序号"] = pd.to_numeric(temp_df["序号"], errors="coerce")
    temp_df["统计日期"] = pd.to_datetime(temp_df["统计日期"], errors="coerce").dt.date
    temp_df["基金份额"] = pd.to_numeric(temp_df["基金份额"], errors="coerce") * 10000
    return temp_df


FHPS_RAW = ["_", "-", "_", "_", "-", "送转股份-送转总比例", "送转股份-送股比例", "送转股份-转股比例", "现金分红-现金分红比例",
            "业绩披露日期", "股权登记日", "除权除息日", "报告期", "方案进度", "现金分红-现金分红比例描述", "最新公告日期", "-", "-",
            "-", "每股收益", "每股净资产", "每股公积金", "每股未分配利润", "净利润同比增长", "总股本", "预案公告日",
            "现金分红-股息率", "-", "-", "-"]
FHPS = ["报告期", "业绩披露日期", "送转股份-送转总比例", "送转股份-送股比例", "送转股份-转股比例", "现金分红-现金分红比例",
        "现金分红-现金分红比例描述", "现金分红-股息率", "每股收益", "每股净资产", "每股公积金", "每股未分配利润", "净利润同比增长",
        "总股本", "预案公告日", "股权登记日", "除权除息日", "方案进度", "最新公告日期"]


def stock_fhps_detail_em(plans: list[dict]) -> pd.DataFrame:
    """akshare/stock_feature/stock_fhps_em.py ``stock_fhps_detail_em``: RPT_SHAREBONUS_DET rows (30 fields,
    renamed positionally), 19 kept, dates to ``datetime.date`` (NaT where the plan has no ex-date yet)."""
    rows = []
    for p in plans:
        v = {k: None for k in range(30)}
        v[5], v[6], v[7], v[8] = p.get("bonus_transfer"), p.get("bonus"), p.get("transfer"), p.get("cash")
        v[9], v[10], v[11], v[12] = "2026-04-20 00:00:00", p.get("record_date"), p.get("ex_date"), p["report"]
        v[13], v[14], v[15] = p.get("progress", "实施分配"), p.get("desc", ""), "2026-05-20 00:00:00"
        v[19], v[24], v[25], v[26] = 5.0, 1.1e9, "2026-04-20 00:00:00", 0.001
        rows.append([v[k] for k in range(30)])
    big_df = pd.DataFrame(rows)
    big_df.columns = FHPS_RAW
    big_df = big_df[FHPS]
    for c in ("报告期", "业绩披露日期", "预案公告日", "股权登记日", "除权除息日", "最新公告日期"):
        big_df[c] = pd.to_datetime(big_df[c], errors="coerce").dt.date
    for c in ("送转股份-送转总比例", "送转股份-送股比例", "送转股份-转股比例", "现金分红-现金分红比例", "现金分红-股息率",
              "每股收益", "每股净资产", "每股公积金", "每股未分配利润", "净利润同比增长", "总股本"):
        big_df[c] = pd.to_numeric(big_df[c], errors="coerce")
    return big_df
