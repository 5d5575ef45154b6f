"""akshare adapter for A-share stocks, exchange-traded funds and indices (Eastmoney endpoints).

The shapes handled here are those of akshare 1.19.5 (read from its source):

* ``ak.stock_zh_a_hist(symbol, period, start_date, end_date, adjust)`` -> columns
  ``日期 股票代码 开盘 收盘 最高 最低 成交量 成交额 振幅 涨跌幅 涨跌额 换手率``; ``日期`` holds
  ``datetime.date`` objects, the rest numeric, ``成交量`` in lots (手, 100 shares), ``成交额`` in CNY.
* ``ak.fund_etf_hist_em(symbol, period, start_date, end_date, adjust)`` -> the same without
  ``股票代码``; ``日期`` is a ``YYYY-MM-DD`` string; ``成交量`` in lots.
* ``ak.index_zh_a_hist(symbol, period, start_date, end_date)`` -> as the ETF call, never adjusted;
  ``成交量`` in lots as on every Eastmoney kline.

Volumes are converted to shares (x100). With ``adjust="qfq"``/``"hfq"`` the adapter also fetches the
unadjusted history and sets ``adj_factor = raw close / adjusted close`` per date (so
``raw = price * adj_factor``); when the unadjusted fetch fails, ``adj_factor`` is 1.0 and a note
says so. Each call is injected (default: the real akshare function) so tests can replace it.
"""
from __future__ import annotations

import re
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from aibt.data.retry import RetryPolicy, call_with_retry
from aibt.data.sources import add_note, check_adjust, closest, clip_dates, to_timestamp, validate_long
from aibt.errors import AibtError, SourceError

LOT = 100.0
#: Eastmoney kline columns -> schema fields.
COLUMNS = {"日期": "date", "开盘": "open", "收盘": "close", "最高": "high", "最低": "low",
           "成交量": "volume", "成交额": "amount"}
KINDS = ("stock", "etf", "index")
#: The akshare function behind each kind (named in error messages).
FUNCTIONS = {"stock": "stock_zh_a_hist", "etf": "fund_etf_hist_em", "index": "index_zh_a_hist"}


def classify(symbol: str) -> tuple[str, str]:
    """``(kind, six-digit code)`` of an A-share symbol.

    ``sh000688``/``sz399006``/``csi950180`` prefixes and codes 399xxx, 93xxxx, 95xxxx mean an index;
    51/52/56/58xxxx (Shanghai) and 15/16xxxx (Shenzhen) mean an ETF/LOF; other 6-digit codes a stock.
    A bare ``000xxx`` is a Shenzhen stock: write ``sh000688`` for the Shanghai index.
    """
    s = str(symbol).strip().lower()
    m = re.fullmatch(r"(sh|sz|csi|bj)?(\d{6})(\.(sh|sz|ss|bj))?", s)
    if not m:
        raise SourceError(f"akshare: {symbol!r} is not an A-share code (six digits, e.g. '300308')")
    prefix, code = m.group(1), m.group(2)
    if prefix in ("sh", "csi") and code.startswith(("000", "93", "95")) or prefix == "sz" and code.startswith("399"):
        return "index", code
    if code.startswith(("399", "93", "95")):
        return "index", code
    if code.startswith(("51", "52", "56", "58", "15", "16")):
        return "etf", code
    return "stock", code


def _default(name: str) -> Callable:
    def call(*args, **kwargs):
        import akshare as ak

        return getattr(ak, name)(*args, **kwargs)

    call.__name__ = name
    return call


class AkshareSource:
    """A-share data through akshare.

    Parameters
    ----------
    stock_hist, etf_hist, index_hist : callable or None
        Replacements for ``ak.stock_zh_a_hist``, ``ak.fund_etf_hist_em``, ``ak.index_zh_a_hist``
        with the same keyword arguments and return shape.
    retry : RetryPolicy or None
        Backoff for transient errors (default :class:`RetryPolicy`).
    kinds : mapping symbol -> ``"stock" | "etf" | "index"``
        Overrides :func:`classify` for ambiguous codes.
    """

    name = "akshare"

    def __init__(self, stock_hist: Callable | None = None, etf_hist: Callable | None = None,
                 index_hist: Callable | None = None, retry: RetryPolicy | None = None,
                 kinds: Mapping[str, str] | None = None) -> None:
        given = {"stock": stock_hist, "etf": etf_hist, "index": index_hist}
        self._calls = {k: given[k] or _default(FUNCTIONS[k]) for k in KINDS}
        self.retry = retry or RetryPolicy()
        self.kinds = dict(kinds or {})
        for s, k in self.kinds.items():
            if k not in KINDS:
                raise SourceError(f"akshare: kind {k!r} for {s} is not one of {KINDS}")

    def currency(self, symbol: str) -> str:
        return "CNY"

    def kind(self, symbol: str) -> tuple[str, str]:
        kind, code = classify(symbol)
        return self.kinds.get(symbol, kind), code

    # ------------------------------------------------------------------ raw calls
    def _call(self, kind: str, code: str, symbol: str, start: pd.Timestamp, end: pd.Timestamp,
              adjust: str) -> pd.DataFrame:
        fn = self._calls[kind]
        kwargs = dict(symbol=code, period="daily", start_date=start.strftime("%Y%m%d"),
                      end_date=end.strftime("%Y%m%d"))
        if kind != "index":
            kwargs["adjust"] = adjust
        what = f"akshare {FUNCTIONS[kind]}"
        raw = call_with_retry(lambda: fn(**kwargs), symbol=symbol, source=what, policy=self.retry)
        if not isinstance(raw, pd.DataFrame):
            raise SourceError(f"{what} for {symbol} returned {type(raw).__name__}, not a DataFrame")
        if raw.empty:
            raise SourceError(f"{what} returned no rows for {symbol} between {start.date()} and {end.date()} "
                              f"(wrong code, not listed yet, or the source is throttling)")
        return self._normalise(raw, symbol, what)

    @staticmethod
    def _normalise(raw: pd.DataFrame, symbol: str, what: str) -> pd.DataFrame:
        cols = [str(c) for c in raw.columns]
        missing = [c for c in COLUMNS if c not in cols]
        if missing:
            hints = [f"{m!r}" + (f" (closest: {closest(m, cols)!r})" if closest(m, cols) else "") for m in missing]
            raise SourceError(f"{what} for {symbol}: missing column(s) {', '.join(hints)}; got {cols} "
                              f"(akshare changed its output?)")
        out = pd.DataFrame({dst: raw[src].to_numpy() for src, dst in COLUMNS.items()})
        out["date"] = pd.to_datetime(out["date"].astype(str), errors="coerce")
        for c in ("open", "high", "low", "close", "volume", "amount"):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(np.float64)
        out["volume"] = out["volume"] * LOT
        return out.sort_values("date", kind="stable").reset_index(drop=True)

    # ------------------------------------------------------------------ public
    def fetch(self, symbol: str, start, end, adjust: str = "qfq") -> pd.DataFrame:
        """Long frame (see :mod:`aibt.data.sources`) for one A-share stock, ETF or index."""
        adjust = check_adjust(adjust)
        lo, hi = to_timestamp(start, "start"), to_timestamp(end, "end")
        kind, code = self.kind(symbol)
        notes: list[str] = []
        if kind == "index":
            out = self._call(kind, code, symbol, lo, hi, "")
            out["adj_factor"] = 1.0
        else:
            out = self._call(kind, code, symbol, lo, hi, adjust)
            if adjust:
                try:
                    raw = self._call(kind, code, symbol, lo, hi, "")
                except AibtError as exc:
                    out["adj_factor"] = 1.0
                    notes.append(f"adj_factor unknown (unadjusted fetch failed: {exc}); set to 1.0")
                else:
                    out["adj_factor"] = factor_from(out, raw)
                    if out["adj_factor"].isna().any():
                        n = int(out["adj_factor"].isna().sum())
                        out["adj_factor"] = out["adj_factor"].ffill().bfill()
                        notes.append(f"adj_factor filled from neighbours on {n} date(s) missing in the unadjusted history")
            else:
                out["adj_factor"] = 1.0
        out["symbol"] = str(symbol)
        out["currency"] = "CNY"
        out = clip_dates(out, lo, hi)
        if out.empty:
            raise SourceError(f"akshare returned no rows for {symbol} between {lo.date()} and {hi.date()}")
        for n in notes:
            add_note(out, n)
        return validate_long(out, source="akshare", symbol=symbol)


def factor_from(adjusted: pd.DataFrame, raw: pd.DataFrame) -> pd.Series:
    """``raw close / adjusted close`` per date of ``adjusted`` (NaN where ``raw`` lacks the date)."""
    r = raw.drop_duplicates("date").set_index("date")["close"]
    return pd.Series(r.reindex(adjusted["date"]).to_numpy() / adjusted["close"].to_numpy(), index=adjusted.index)


# =============================================================================================== feeds
# The calls `aibt data update` makes. Each wraps ONE akshare function, looked up on the ``akshare``
# module at call time (tests monkeypatch ``akshare.<name>``: fakes for the network only, the adapters
# run for real). Function names, arguments and output columns below were read in akshare 1.19.5's
# installed source (file and function cited per call).

#: CSI index codes whose official levels come from the index provider (stock_zh_index_hist_csindex).
CSI_INDICES = ("950180", "000688", "000300")


def _ak_function(name: str) -> Callable:
    import akshare as ak

    fn = getattr(ak, name, None)
    if fn is None:
        raise SourceError(f"akshare {ak.__version__} has no function {name}; install akshare 1.19.x")
    return fn


def _ymd(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%Y%m%d")


def _dates(col: pd.Series, what: str) -> pd.DatetimeIndex:
    """A date column as akshare returns it (``datetime.date`` objects, ``YYYY-MM-DD`` strings, or
    ``YYYYMMDD`` ints/strings) -> datetime64[ns], NaT where unreadable."""
    s = col.astype(str).str.strip()
    s = s.where(~s.str.fullmatch(r"\d{8}"), s.str.slice(0, 4) + "-" + s.str.slice(4, 6) + "-" + s.str.slice(6, 8))
    return pd.DatetimeIndex(pd.to_datetime(s, errors="coerce", format="mixed")).astype("datetime64[ns]")


def _need(raw, cols: tuple[str, ...], what: str, symbol: str) -> pd.DataFrame:
    if not isinstance(raw, pd.DataFrame):
        raise SourceError(f"{what} for {symbol} returned {type(raw).__name__}, not a DataFrame")
    have = [str(c) for c in raw.columns]
    missing = [c for c in cols if c not in have]
    if missing and len(raw):
        hints = [f"{m!r}" + (f" (closest: {closest(m, have)!r})" if closest(m, have) else "") for m in missing]
        raise SourceError(f"{what} for {symbol}: missing column(s) {', '.join(hints)} (akshare changed its output?)")
    return raw


class AkshareFeeds:
    """Fresh data for the store, one method per akshare function.

    Every method returns a frame in the data layer's vocabulary (English column names, datetime64
    dates, shares / CNY units named); an empty answer is an empty frame with those columns (the
    caller decides whether that is an error). Transient errors are retried under ``retry`` (one
    policy, one circuit: once the network proved unreachable every later call fails at once).
    """

    name = "akshare"

    def __init__(self, retry: RetryPolicy | None = None) -> None:
        self.retry = retry or RetryPolicy()

    def _call(self, fn_name: str, who: str, **kwargs) -> pd.DataFrame:
        what = f"akshare {fn_name}"

        def call():
            fn = _ak_function(fn_name)
            try:
                return fn(**kwargs)
            except TypeError as exc:
                if "argument" in str(exc):  # a changed signature is a bug to report, not an empty answer
                    raise SourceError(f"{what}: {exc} (akshare changed its arguments?)") from None
                return _EmptyAnswer(f"TypeError: {exc}")
            except (KeyError, ValueError) as exc:
                # akshare indexes the JSON without checking: an empty answer raises KeyError/TypeError
                # (``data_json["data"]["klines"]`` of None) or ValueError (columns assigned to an empty
                # frame, ``pd.concat([])``). That is "no rows", not a transient error.
                return _EmptyAnswer(f"{type(exc).__name__}: {exc}")

        out = call_with_retry(call, symbol=who, source=what, policy=self.retry)
        if isinstance(out, _EmptyAnswer):
            return pd.DataFrame()
        return out

    # ------------------------------------------------------------------ daily bars, unadjusted
    def bars(self, symbol: str, start, end, adjust: str = "") -> pd.DataFrame:
        """Daily bars of a stock or ETF as traded (``adjust=""``) or adjusted (``"qfq"``/``"hfq"``).

        akshare/stock_feature/stock_hist_em.py ``stock_zh_a_hist(symbol, period, start_date, end_date,
        adjust, timeout)``: ``日期`` (datetime.date) ``股票代码 开盘 收盘 最高 最低 成交量 成交额 振幅 涨跌幅
        涨跌额 换手率``; ``pd.DataFrame()`` (no columns) when the kline list is empty.
        akshare/fund/fund_etf_em.py ``fund_etf_hist_em(symbol, period, start_date, end_date, adjust)``:
        the same without ``股票代码``, ``日期`` a ``YYYY-MM-DD`` string; ``pd.DataFrame()`` when empty.
        ``成交量`` is in lots (手) on both; returned as is (the shared unit check,
        :func:`aibt.data.repairs.resolve_volume_units`, finds the unit from ``amount/(volume*close)``).

        Returns a date-indexed frame ``open high low close volume amount`` (float64).
        """
        kind, code = classify(symbol)
        fn = {"stock": "stock_zh_a_hist", "etf": "fund_etf_hist_em"}.get(kind)
        if fn is None:
            raise SourceError(f"akshare bars: {symbol} is an index; use index_levels")
        raw = self._call(fn, symbol, symbol=code, period="daily", start_date=_ymd(start), end_date=_ymd(end),
                         adjust=adjust)
        return _kline_frame(_need(raw, tuple(COLUMNS), f"akshare {fn}", symbol))

    # ------------------------------------------------------------------ official index levels
    def index_levels(self, symbol: str, start, end) -> pd.DataFrame:
        """Official daily levels from the index provider.

        akshare/index/index_stock_zh_csindex.py ``stock_zh_index_hist_csindex(symbol, start_date,
        end_date)``: ``日期`` (datetime.date) ``指数代码 指数中文全称 指数中文简称 指数英文全称 指数英文简称 开盘
        最高 最低 收盘 涨跌 涨跌幅 成交量 成交金额 样本数量 滚动市盈率``. An empty answer makes akshare raise
        ValueError (16 names assigned to a frame without columns): an empty frame here.
        Returns date-indexed ``open high low close volume amount``; ``成交量`` is kept as published
        (the CSI page's unit, 万手 on its site: not converted, flagged in the store's provenance).
        """
        fn = "stock_zh_index_hist_csindex"
        raw = self._call(fn, symbol, symbol=str(symbol), start_date=_ymd(start), end_date=_ymd(end))
        cols = {"日期": "date", "开盘": "open", "最高": "high", "最低": "low", "收盘": "close", "成交量": "volume",
                "成交金额": "amount"}
        return _rename_frame(_need(raw, tuple(cols), f"akshare {fn}", symbol), cols)

    def index_weights(self, symbol: str) -> pd.DataFrame:
        """The latest constituent weights published by CSI (one date).

        akshare/index/index_cons.py ``index_stock_cons_weight_csindex(symbol)``: ``日期`` (datetime.date,
        parsed ``%Y%m%d``) ``指数代码 指数名称 指数英文名称 成分券代码 成分券名称 成分券英文名称 交易所
        交易所英文名称 权重`` (percent; codes zero-filled to 6 digits).
        Returns ``index, date, symbol, name, exchange, weight`` (weight as a fraction).
        """
        fn = "index_stock_cons_weight_csindex"
        raw = _need(self._call(fn, symbol, symbol=str(symbol)), ("日期", "成分券代码", "成分券名称", "交易所", "权重"),
                    f"akshare {fn}", symbol)
        if raw.empty:
            return pd.DataFrame({"index": pd.Series([], dtype=object), "date": pd.Series([], dtype="datetime64[ns]"),
                                 "symbol": pd.Series([], dtype=object), "name": pd.Series([], dtype=object),
                                 "exchange": pd.Series([], dtype=object), "weight": pd.Series([], dtype=np.float64)})
        out = pd.DataFrame({"index": str(symbol), "date": _dates(raw["日期"], "日期"),
                            "symbol": raw["成分券代码"].astype(str).str.zfill(6).to_numpy(),
                            "name": raw["成分券名称"].astype(str).to_numpy(),
                            "exchange": raw["交易所"].astype(str).to_numpy(),
                            "weight": pd.to_numeric(raw["权重"], errors="coerce").to_numpy(np.float64) / 100.0})
        return out.dropna(subset=["date", "weight"]).sort_values(["date", "symbol"], kind="mergesort") \
            .reset_index(drop=True)

    # ------------------------------------------------------------------ ETF NAV and shares
    def nav(self, symbol: str, start, end) -> pd.DataFrame:
        """ETF net asset value per unit, as the fund reports it.

        akshare/fund/fund_em.py ``fund_etf_fund_info_em(fund, start_date, end_date)``: ``净值日期``
        (datetime.date) ``单位净值 累计净值 日增长率`` (numeric; 日增长率 in percent) ``申购状态 赎回状态``;
        sorted by date. With no NAV in the range akshare's ``pd.concat([])`` raises ValueError: an empty
        frame here. Returns date-indexed ``nav acc_nav``.
        """
        _, code = classify(symbol)
        fn = "fund_etf_fund_info_em"
        raw = self._call(fn, symbol, fund=code, start_date=_ymd(start), end_date=_ymd(end))
        cols = {"净值日期": "date", "单位净值": "nav", "累计净值": "acc_nav"}
        return _rename_frame(_need(raw, tuple(cols), f"akshare {fn}", symbol), cols)

    def etf_shares_sse(self, date) -> pd.DataFrame:
        """Units outstanding of every Shanghai-listed ETF on one date.

        akshare/fund/fund_etf_sse.py ``fund_etf_scale_sse(date)`` (``YYYYMMDD``): ``序号 基金代码 基金简称
        ETF类型 统计日期`` (datetime.date) ``基金份额`` (units: akshare multiplies the SSE's 万份 by 10000).
        Returns ``symbol, date, shares``.
        """
        fn = "fund_etf_scale_sse"
        raw = _need(self._call(fn, str(pd.Timestamp(date).date()), date=_ymd(date)), ("基金代码", "统计日期", "基金份额"),
                    f"akshare {fn}", str(pd.Timestamp(date).date()))
        if raw.empty:
            return pd.DataFrame({"symbol": pd.Series([], dtype=object), "date": pd.Series([], dtype="datetime64[ns]"),
                                 "shares": pd.Series([], dtype=np.float64)})
        out = pd.DataFrame({"symbol": raw["基金代码"].astype(str).str.zfill(6).to_numpy(),
                            "date": _dates(raw["统计日期"], "统计日期"),
                            "shares": pd.to_numeric(raw["基金份额"], errors="coerce").to_numpy(np.float64)})
        return out.dropna().reset_index(drop=True)

    # ------------------------------------------------------------------ dividends and share changes
    def dividends(self, symbol: str) -> pd.DataFrame:
        """Implemented dividends, bonus and transfer shares (per share) with their ex-dates.

        akshare/stock_feature/stock_fhps_em.py ``stock_fhps_detail_em(symbol)``: ``报告期 业绩披露日期
        送转股份-送转总比例 送转股份-送股比例 送转股份-转股比例 现金分红-现金分红比例 现金分红-现金分红比例描述
        现金分红-股息率 每股收益 每股净资产 每股公积金 每股未分配利润 净利润同比增长 总股本 预案公告日 股权登记日
        除权除息日 方案进度 最新公告日期``; dates are datetime.date (NaT before the ex-date is set), ratios
        per 10 shares (现金分红比例 in CNY before tax). Plans not yet implemented have no 除权除息日.
        Returns ``ex_date, cash, shares, plan`` (per share), one row per ex-date with a positive amount.
        """
        _, code = classify(symbol)
        fn = "stock_fhps_detail_em"
        cols = ("送转股份-送转总比例", "现金分红-现金分红比例", "除权除息日", "方案进度")
        raw = _need(self._call(fn, symbol, symbol=code), cols, f"akshare {fn}", symbol)
        if raw.empty:
            return pd.DataFrame({"ex_date": pd.Series([], dtype="datetime64[ns]"), "cash": pd.Series([], dtype=np.float64),
                                 "shares": pd.Series([], dtype=np.float64), "plan": pd.Series([], dtype=object)})
        out = pd.DataFrame({"ex_date": _dates(raw["除权除息日"], "除权除息日"),
                            "cash": pd.to_numeric(raw["现金分红-现金分红比例"], errors="coerce").fillna(0.0)
                            .to_numpy(np.float64) / 10.0,
                            "shares": pd.to_numeric(raw["送转股份-送转总比例"], errors="coerce").fillna(0.0)
                            .to_numpy(np.float64) / 10.0,
                            "plan": raw["方案进度"].astype(str).to_numpy()})
        out = out[out["ex_date"].notna() & ((out["cash"] > 0) | (out["shares"] > 0))]
        return out.sort_values("ex_date", kind="mergesort").drop_duplicates("ex_date", keep="last") \
            .reset_index(drop=True)


class _EmptyAnswer:
    def __init__(self, why: str) -> None:
        self.why = why


def _kline_frame(raw: pd.DataFrame) -> pd.DataFrame:
    return _rename_frame(raw, COLUMNS)


def _rename_frame(raw: pd.DataFrame, cols: dict[str, str]) -> pd.DataFrame:
    """Date-indexed float64 frame of ``cols`` (source -> field), sorted, one row per date."""
    fields = [v for v in cols.values() if v != "date"]
    if raw.empty:
        return pd.DataFrame({f: pd.Series([], dtype=np.float64) for f in fields},
                            index=pd.DatetimeIndex([], name="date", dtype="datetime64[ns]"))
    date_col = next(k for k, v in cols.items() if v == "date")
    out = pd.DataFrame({v: pd.to_numeric(raw[k], errors="coerce").to_numpy(np.float64)
                        for k, v in cols.items() if v != "date"},
                       index=pd.DatetimeIndex(_dates(raw[date_col], date_col), name="date"))
    out = out[out.index.notna()]
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out
