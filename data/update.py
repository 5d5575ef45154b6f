"""``aibt data update``: fetch fresh data and merge it over the store (or the embedded snapshot).

Per symbol (:func:`update_symbol`):

* stocks and ETFs: unadjusted daily bars from akshare (``stock_zh_a_hist`` / ``fund_etf_hist_em``,
  ``adjust=""``) from the store's last session on (that session is fetched again: the overlap is the
  continuity check), stocks also ``adjust="hfq"`` (Eastmoney's own adjustment, a second witness of
  every ex-date) and their dividends, bonus and transfer shares (``stock_fhps_detail_em``); ETFs their
  NAV (``fund_etf_fund_info_em``) and, for Shanghai ETFs, units outstanding (``fund_etf_scale_sse``);
* indices: the index provider's official levels (``stock_zh_index_hist_csindex``) into
  ``index_levels``; 950180 also its constituent weights (``index_stock_cons_weight_csindex``);
* Hong Kong names and HKD/CNY: yfinance (``Ticker.history``, ``HKDCNY=X``) into bars / ``fx``.

Merging uses the snapshot builder's own checks and repairs (:mod:`aibt.data.repairs`, one
implementation): :func:`~aibt.data.repairs.clean_sources` (non-positive closes, flat zero-volume
suspension bars), :func:`~aibt.data.repairs.resolve_volume_units` (lots or shares from
``amount/(volume*close)``), :func:`~aibt.data.repairs.stitch` with the store as a source of its own
(stale closes, moves beyond the board limit, inconsistent OHLC, disagreement on the overlap session),
:func:`~aibt.data.repairs.finish_events` (the exchange's ex-rights rule for factor and reference price)
and :func:`~aibt.data.repairs.on_tick`. New ex-dates rescale ``adj_factor`` of every earlier row (1.0 on
the last date, as in the snapshot); traded prices never change.

Incremental and resumable: only sessions after the store's last one are new; every fetch goes through
the fetch cache (:mod:`aibt.data.cache`), so a rerun after an interrupted update refetches nothing it
already has. Atomic: the store is rewritten by :func:`aibt.data.store.write_store` (temp folder,
rename) only when something changed; a rerun without new data leaves it byte-identical.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from aibt.data import repairs as R
from aibt.data.calendar import xshg_sessions
from aibt.data.store import BASE_TABLES, EXTRA_TABLES, is_store, read_tables, recover, write_store
from aibt.errors import AibtError, DataError, SourceError

#: the CSI indices with official levels; 950180 also has published weights.
OFFICIAL_INDICES = ("950180", "000688", "000300")
WEIGHTED_INDICES = ("950180",)
INDEX_NAMES = {**R.INDEX_NAMES, "950180": "上证科创板人工智能指数"}
FX_CURRENCIES = ("HKD",)
OVERLAP_SESSIONS = 30
#: volume units as documented (akshare 成交量 in lots; Yahoo in shares; the store in shares)
DOCUMENTED_UNIT = {"store": 1.0, "eastmoney": 100.0, "yahoo": 1.0, "csindex": 1.0}  # store sessions given to the checks as the "store" source


@dataclass
class SymbolResult:
    symbol: str
    status: str                     # "updated", "unchanged", "failed"
    rows_added: int = 0
    detail: str = ""
    tables: tuple[str, ...] = ()


@dataclass
class UpdateReport:
    root: Path
    results: list[SymbolResult] = field(default_factory=list)
    written: bool = False
    store_sha256: str = ""

    @property
    def failed(self) -> list[SymbolResult]:
        return [r for r in self.results if r.status == "failed"]


# ---------------------------------------------------------------------------------------------- fetching
class Fetcher:
    """Every fetch the updater makes, through the fetch cache (keyed by feed, symbol, dates)."""

    def __init__(self, feeds=None, yfinance=None, cache=None, retry=None) -> None:
        from aibt.data.retry import RetryPolicy
        from aibt.data.source_akshare import AkshareFeeds
        from aibt.data.source_yfinance import YFinanceSource

        from aibt.data.retry import Circuit

        # offline must fail within 30 s: a refused or unresolvable connection fails at once (3 tries,
        # 1 s + 2 s pauses); a stalled one costs at most 2 calls of 10 s (the 20 s budget of one
        # symbol stops a third), and one timed-out symbol opens the circuit for all the others
        self.retry = retry or RetryPolicy(attempts=3, base_delay=1.0, timeout=10.0, connect_timeout=5.0,
                                          read_timeout=8.0, budget=20.0, circuit=Circuit(trip_after_timeouts=1))
        self.ak = feeds or AkshareFeeds(retry=self.retry)
        self.yf = yfinance or YFinanceSource(retry=self.retry)
        self.cache = cache

    def _cached(self, feed: str, symbol: str, start, end, extra: str, fetch: Callable[[], pd.DataFrame]):
        if self.cache is None:
            return fetch()
        key = (feed, symbol, pd.Timestamp(start).strftime("%Y-%m-%d"), pd.Timestamp(end).strftime("%Y-%m-%d"),
               extra)
        got = self.cache.get(key)
        if got is not None:
            if "__date_index__" in got.columns:
                got = got.set_index("__date_index__").rename_axis("date")
                got.index = pd.DatetimeIndex(got.index).astype("datetime64[ns]")
            return got
        frame = fetch()
        if len(frame):  # an empty answer (not published yet, throttled) is asked again next time
            keep = frame
            if isinstance(frame.index, pd.DatetimeIndex):
                keep = frame.rename_axis("__date_index__").reset_index()
            try:
                self.cache.put(key, keep)
            except AibtError:
                pass  # a full or read-only cache must not fail the update: the data are in hand
        return frame

    def bars(self, symbol, start, end, adjust=""):
        return self._cached("akshare_bars", symbol, start, end, adjust, lambda: self.ak.bars(symbol, start, end, adjust))

    def index_levels(self, symbol, start, end):
        return self._cached("csindex_levels", symbol, start, end, "", lambda: self.ak.index_levels(symbol, start, end))

    def index_weights(self, symbol, end):
        return self._cached("csindex_weights", symbol, end, end, "", lambda: self.ak.index_weights(symbol))

    def nav(self, symbol, start, end):
        return self._cached("eastmoney_nav", symbol, start, end, "", lambda: self.ak.nav(symbol, start, end))

    def etf_shares(self, date):
        return self._cached("sse_etf_shares", "all", date, date, "", lambda: self.ak.etf_shares_sse(date))

    def dividends(self, symbol, end):
        return self._cached("eastmoney_dividends", symbol, end, end, "", lambda: self.ak.dividends(symbol))

    def hk_bars(self, symbol, start, end):
        """Yahoo daily bars through :class:`aibt.data.source_yfinance.YFinanceSource` (``Ticker.history``
        with ``auto_adjust=False``: yfinance 1.7 yfinance/utils.py ``parse_quotes`` builds ``Open High Low
        Close Adj Close Volume``, yfinance/scrapers/history.py names the tz-aware daily index ``Date``);
        ``Close`` is the traded (split-adjusted) price."""
        def get():
            f = self.yf._bars(symbol, pd.Timestamp(start), pd.Timestamp(end))
            return pd.DataFrame({"open": f["Open"], "high": f["High"], "low": f["Low"], "close": f["Close"],
                                 "volume": f["Volume"], "amount": np.nan}).astype(np.float64)
        return self._cached("yahoo_bars", symbol, start, end, "", get)

    def fx(self, currency, start, end):
        return self._cached("yahoo_fx", currency, start, end, "",
                            lambda: self.yf.fetch_fx(currency, pd.Timestamp(start), pd.Timestamp(end)))


# ---------------------------------------------------------------------------------------------- merging
def _store_source(old: pd.DataFrame, traded: bool) -> pd.DataFrame:
    """The store's last sessions as a source frame (traded prices for stocks/ETFs)."""
    tail = old.iloc[-OVERLAP_SESSIONS:]
    pick = ("traded_" if traded else "")
    df = pd.DataFrame({c: tail[pick + c].to_numpy(np.float64) for c in R.PRICE_COLS},
                      index=pd.DatetimeIndex(tail["date"]).astype("datetime64[ns]"))
    df["volume"] = tail["volume"].to_numpy(np.float64)
    df["amount"] = tail["amount"].to_numpy(np.float64)
    return df[["open", "high", "low", "close", "volume", "amount"]]


def new_events(symbol: str, dates: pd.DatetimeIndex, traded_close: np.ndarray, dividends: pd.DataFrame,
               hfq: pd.DataFrame | None, first_new: pd.Timestamp, log: "R.SymbolLog") -> pd.DataFrame:
    """Event rows for ex-dates from ``first_new`` on: the dividend table's cash and shares, the factor by
    the exchange's rule (:func:`aibt.data.repairs.finish_events`), confirmed by a step of Eastmoney's
    hfq ratio on the same session (``two_sources``) or not (``one_source``). An hfq step without a
    dividend row is flagged (``unlisted_adjustment``), not invented."""
    hfq_ratio = None
    if hfq is not None and len(hfq):
        raw_close = pd.Series(traded_close, index=dates)
        hfq_ratio = (raw_close / hfq["close"].reindex(dates)).to_numpy()
    evs, steps = [], {}
    rows = dividends[dividends["ex_date"] >= first_new] if len(dividends) else dividends
    seen = set()
    for r in rows.itertuples(index=False):
        t = pd.Timestamp(r.ex_date)
        if t not in dates:
            log.flag(t, "ex_date_not_a_session", f"dividend table ex-date {R._d(t)} has no bar; not applied",
                     "eastmoney")
            continue
        j = dates.get_loc(t)
        if j == 0:
            continue
        prev = float(traded_close[j - 1])
        mult = 1.0 + float(r.shares)
        if not prev > float(r.cash):
            log.flag(t, "dividend_exceeds_price", f"cash {r.cash} >= previous close {prev}; not applied", "eastmoney")
            continue
        rule = prev * mult / (prev - float(r.cash))
        factor, conf = rule, "one_source"
        evidence = (f"Eastmoney stock_fhps_detail_em: {r.plan}, per 10 shares cash {float(r.cash) * 10:g} CNY, "
                    f"bonus+transfer {float(r.shares) * 10:g}")
        if hfq_ratio is not None and np.isfinite(hfq_ratio[j]) and np.isfinite(hfq_ratio[j - 1]):
            measured = hfq_ratio[j - 1] / hfq_ratio[j]
            if abs(measured / rule - 1) <= 2e-3:
                conf = "two_sources"
                evidence += f"; Eastmoney hfq ratio steps by {measured:.6f} on the ex-date"
            else:
                evidence += f"; Eastmoney hfq ratio steps by {measured:.6f}, not {rule:.6f} (kept the table's)"
        evs.append({"ex_date": t, "factor": factor, "shares": float(r.shares), "split": 1.0,
                    "confidence": conf, "evidence": evidence})
        steps[t] = {"cash": float(r.cash), "detail": "cash from the dividend table"}
        seen.add(t)
    if hfq_ratio is not None:
        lr = np.log(hfq_ratio)
        for j in range(1, len(dates)):
            t = dates[j]
            if t < first_new or t in seen or not (np.isfinite(lr[j]) and np.isfinite(lr[j - 1])):
                continue
            if abs(lr[j] - lr[j - 1]) > np.log(1.001):
                log.flag(t, "unlisted_adjustment", f"Eastmoney hfq ratio steps by {np.exp(lr[j - 1] - lr[j]):.6f} "
                         "but the dividend table has no ex-date here; no event added", "eastmoney")
    return R.finish_events(symbol, evs, dates, traded_close, steps)


def etf_splits(symbol: str, dates: pd.DatetimeIndex, traded_close: np.ndarray, nav: pd.Series | None,
               first_new: pd.Timestamp, log: "R.SymbolLog") -> list[dict]:
    """Fund splits among the new sessions: a fall of the traded close to about 1/k of the previous one
    (k >= 2; a STAR ETF may move 20 % at most), confirmed when the fund's NAV falls by the same k that day
    (``two_sources``), else ``one_source`` and flagged. Each is an event with ``split = factor = k``."""
    evs = []
    nav_d = None if nav is None else nav[~nav.index.duplicated(keep="last")]
    for j in range(1, len(dates)):
        t = dates[j]
        if t < first_new or not (traded_close[j - 1] > 0 and traded_close[j] > 0):
            continue
        r = traded_close[j] / traded_close[j - 1]
        if r >= 1.0 / R.SPLIT_MIN_RATIO:
            continue
        k = int(round(1.0 / r))
        if k < 2 or abs(r * k - 1.0) > 0.2:
            continue
        evidence = f"traded close {traded_close[j - 1]:g} -> {traded_close[j]:g} ({r:.4f}): a 1:{k} fund split"
        conf = "one_source"
        if nav_d is not None and t in nav_d.index and dates[j - 1] in nav_d.index:
            rn = float(nav_d.loc[t] / nav_d.loc[dates[j - 1]])
            if abs(rn * k - 1.0) <= 0.05:
                conf = "two_sources"
                evidence += f"; the fund's NAV {nav_d.loc[dates[j - 1]]:g} -> {nav_d.loc[t]:g} ({rn:.4f}) the same day"
            else:
                evidence += f"; NAV ratio {rn:.4f} does not confirm it"
        if conf == "one_source":
            log.flag(t, "unconfirmed_fund_split", evidence, "eastmoney")
        evs.append({"ex_date": t, "factor": float(k), "shares": 0.0, "split": float(k), "confidence": conf,
                    "evidence": evidence})
    return evs


def merge_bars(symbol: str, kind: str, old: pd.DataFrame, fresh: pd.DataFrame, source: str,
               dividends: pd.DataFrame | None = None, hfq: pd.DataFrame | None = None,
               listing: pd.Timestamp | None = None, nav: pd.Series | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``old`` bars of one symbol (store rows, sorted) + ``fresh`` raw bars (date-indexed OHLCV+amount)
    -> (all bars, new event rows, provenance additions). Raises DataError when the fresh bars contradict
    the store on the overlap session (the vendor's prices are on another basis)."""
    log = R.SymbolLog()
    last_old = pd.Timestamp(old["date"].iloc[-1])
    traded_basis = kind in ("stock", "etf")
    srcs = {"store": _store_source(old, traded_basis), source: fresh.astype(np.float64)}

    def responsible(t):
        return "store" if t <= last_old else source

    srcs = R.clean_sources(srcs, log, responsible)
    if not len(srcs[source]) or srcs[source].index.max() <= last_old:
        return old, R.finish_events(symbol, [], pd.DatetimeIndex([]), np.array([])), {}
    units = R.resolve_volume_units(symbol, srcs)
    for k in srcs:  # too short an overlap to compare volumes: the vendor's documented unit
        units.setdefault(k, {"unit": DOCUMENTED_UNIT.get(k, 1.0), "method": "documented unit (overlap too short)",
                             "median_ratio": None})
    # overlap: the store's last session as the vendor reports it (traded prices must agree)
    ov = srcs[source].index.intersection(srcs["store"].index)
    if len(ov):
        a, b = srcs["store"].loc[ov, "close"].to_numpy(), srcs[source].loc[ov, "close"].to_numpy()
        off = np.abs(b / a - 1)
        if (off > R.AGREE_TOL).any():
            t = ov[int(np.argmax(off))]
            raise DataError(f"{symbol}: {source} close {srcs[source].loc[t, 'close']:g} on {R._d(t)} differs from "
                            f"the store's {srcs['store'].loc[t, 'close']:g} by {off.max():.2%}: not the same "
                            "price basis (adjusted?); nothing merged")
    # chain on the adjusted basis: new ex-dates first
    dates_all = pd.DatetimeIndex(sorted(set(srcs["store"].index) | set(srcs[source].index)))
    raw_close = srcs[source]["close"].reindex(dates_all).combine_first(srcs["store"]["close"].reindex(dates_all))
    events = R.finish_events(symbol, [], dates_all, raw_close.to_numpy())
    if kind == "stock" and dividends is not None:
        events = new_events(symbol, dates_all, raw_close.to_numpy(), dividends, hfq,
                            last_old + pd.Timedelta(days=1), log)
    elif kind == "etf":
        evs = etf_splits(symbol, dates_all, raw_close.to_numpy(), nav, last_old + pd.Timedelta(days=1), log)
        events = R.finish_events(symbol, evs, dates_all, raw_close.to_numpy())
    fac_all = R.factor_from_events(dates_all, events.to_dict("records"))  # 1.0 on the new last date
    adj_srcs = {}
    for k, df in srcs.items():
        f = pd.Series(fac_all, index=dates_all).reindex(df.index).to_numpy()
        d = df.copy()
        for c in R.PRICE_COLS:
            d[c] = d[c].to_numpy() / f
        adj_srcs[k] = d
    st, _ = R.stitch(symbol, adj_srcs, units, listing, log)
    new = st.dates > last_old
    tick = R.tick_of(symbol)
    fac_new = pd.Series(fac_all, index=dates_all).reindex(st.dates).to_numpy()
    rows = pd.DataFrame({"date": st.dates[new], "symbol": symbol})
    for c in R.PRICE_COLS:
        traded = st.bars[c][new] * fac_new[new]
        rows["traded_" + c] = R.on_tick(traded, tick) if tick else traded
    hi = np.maximum.reduce([rows["traded_high"], rows["traded_open"], rows["traded_close"]])
    lo = np.minimum.reduce([rows["traded_low"], rows["traded_open"], rows["traded_close"]])
    rows["traded_high"], rows["traded_low"] = hi, lo
    vol = st.bars["volume"][new]
    rows["volume"] = np.round(vol) if traded_basis else vol
    amount = srcs[source]["amount"].reindex(st.dates[new]).to_numpy(np.float64).copy()
    est = ~(np.isfinite(amount) & (amount > 0))
    typical = (rows["traded_high"] + rows["traded_low"] + rows["traded_close"]).to_numpy() / 3.0
    amount[est] = rows["volume"].to_numpy()[est] * typical[est]
    rows["amount"] = amount
    rows["amount_estimated"] = est
    rows["adj_factor"] = fac_new[new]
    rows["source"] = st.source[new]
    for c in R.PRICE_COLS:
        rows[c] = rows["traded_" + c] / rows["adj_factor"]
    # earlier rows: the new events' factors multiply in; traded prices stay
    out_old = old.copy()
    step = float(np.prod(events["factor"].to_numpy())) if len(events) else 1.0
    if step != 1.0:
        out_old["adj_factor"] = out_old["adj_factor"].to_numpy() * step
        for c in R.PRICE_COLS:
            out_old[c] = out_old["traded_" + c].to_numpy() / out_old["adj_factor"].to_numpy()
    merged = pd.concat([out_old, rows[list(old.columns)]], ignore_index=True)
    last_fresh = srcs[source].index[-1]
    anchor_ok = float(R.on_tick(srcs[source]["close"].iloc[-1], tick)) if tick else float(srcs[source]["close"].iloc[-1])
    prov = {"first_new": R._d(st.dates[new][0]), "last": R._d(st.dates[-1]), "rows_added": int(new.sum()),
            "source": source, "volume_units": {k: units[k] for k in sorted(units)},
            "repairs": sorted([r for r in log.repairs if pd.Timestamp(r["date"]) > last_old],
                              key=lambda r: (r["date"], r["kind"], r["source"])),
            "source_flags": sorted([r for r in log.source_flags if pd.Timestamp(r["date"]) > last_old],
                                   key=lambda r: (r["date"], r["kind"], r["source"])),
            "anchor": {"date": R._d(last_fresh), "source_close": anchor_ok,
                       "traded_close": float(rows["traded_close"].iloc[-1])},
            "events_added": int(len(events))}
    return merged, events, prov


# ---------------------------------------------------------------------------------------------- the run
def resolve_symbols(symbols: Iterable[str], tables: dict) -> list[str]:
    out = []
    for s in symbols:
        s = str(s).strip()
        if s and s not in out:
            out.append(s)
    return out


def _kind(symbol: str, securities: pd.DataFrame) -> str:
    sec = securities.set_index("symbol")
    if symbol in sec.index:
        return str(sec.loc[symbol, "kind"])
    if symbol in OFFICIAL_INDICES:
        return "index"
    return R.kind_of(symbol)


def _upsert(table: pd.DataFrame | None, rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if table is None or not len(table):
        both = rows
    else:
        both = pd.concat([table, rows], ignore_index=True)
    return both.drop_duplicates(keys, keep="last").sort_values(keys, kind="mergesort").reset_index(drop=True)


def update(root: Path, symbols: Iterable[str], since=None, end=None, fetcher: Fetcher | None = None,
           progress: Callable[[str], None] | None = None) -> UpdateReport:
    """Update the store at ``root`` for ``symbols``; see the module docstring."""
    root = Path(root)
    recover(root)
    tables, prov = read_tables(root if is_store(root) else None)
    tables = {k: v.copy() for k, v in tables.items()}
    prov = copy.deepcopy(prov)
    before = {k: v.copy() for k, v in tables.items()}
    fetcher = fetcher or Fetcher()
    end = pd.Timestamp(end) if end is not None else pd.Timestamp.today().normalize()
    since = pd.Timestamp(since) if since is not None else None
    report = UpdateReport(root)
    say = progress or (lambda msg: None)
    for sym in resolve_symbols(symbols, tables):
        try:
            res = update_symbol(sym, tables, prov, fetcher, since, end)
        except (AibtError, OSError) as exc:
            res = SymbolResult(sym, "failed", detail=str(exc))
        report.results.append(res)
        if res.status != "failed":
            say(f"{sym}: {res.status}" + (f" (+{res.rows_added} sessions)" if res.rows_added else ""))
        if res.status == "failed" and fetcher.retry.circuit.open_reason:
            for rest in resolve_symbols(symbols, tables)[len(report.results):]:
                report.results.append(SymbolResult(rest, "failed", detail=f"skipped: {fetcher.retry.circuit.open_reason}"))
            break
    changed = any(k not in before or not before[k].equals(v) for k, v in tables.items())
    if changed:  # nothing new: the store (or the embedded snapshot) stays as it is, byte for byte
        prov["window"] = dict(prov.get("window", {}), end=R._d(tables["bars"]["date"].max()))
        fx = tables.get("fx")
        for cur, v in prov.get("assumptions", {}).get("fx", {}).items():
            if fx is not None and (fx["currency"] == cur).any():
                g = fx[fx["currency"] == cur]
                v["history"] = (f"table fx ({g['source'].iloc[-1]}) from {R._d(g['date'].min())} to "
                                f"{R._d(g['date'].max())}; the constant applies only before it")
        prov["store"] = {"base": "aibt embedded snapshot", "format": prov.get("format"),
                         "note": "the embedded snapshot plus `aibt data update` merges (see symbols.*.updates)"}
        out = write_store(root, tables, prov)
        from aibt.data import snapshot

        snapshot.clear_caches()
        report.written, report.store_sha256 = True, out["snapshot_sha256"]
    else:
        report.store_sha256 = prov.get("snapshot_sha256", "")
    return report


def _start_after(last: pd.Timestamp, since) -> pd.Timestamp:
    return min(last, since) if since is not None else last


def update_symbol(sym: str, tables: dict, prov: dict, fetcher: Fetcher, since, end) -> SymbolResult:
    kind = _kind(sym, tables["securities"])
    touched: list[str] = []
    added = 0
    bars = tables["bars"]
    have = bars["symbol"] == sym
    sp = prov.setdefault("symbols", {})
    if kind == "index" and sym in OFFICIAL_INDICES:
        lv = tables.get("index_levels")
        last = lv.loc[lv["symbol"] == sym, "date"].max() if lv is not None and (lv["symbol"] == sym).any() else None
        start = _start_after(last, since) if last is not None else (since or pd.Timestamp(R.SNAPSHOT_START))
        fresh = fetcher.index_levels(sym, start, end)
        if len(fresh):
            rows = fresh.reset_index().assign(symbol=sym, source="csindex stock_zh_index_hist_csindex")
            rows = rows[["symbol", "date", "open", "high", "low", "close", "volume", "amount", "source"]]
            n_before = 0 if lv is None else len(lv)
            tables["index_levels"] = _upsert(lv, rows, ["symbol", "date"])
            added = len(tables["index_levels"]) - n_before
            touched.append("index_levels")
        if sym in WEIGHTED_INDICES:
            w = fetcher.index_weights(sym, end)
            if len(w):
                tables["index_weights"] = _upsert(tables.get("index_weights"), w.assign(source="csindex closeweight"),
                                                  ["index", "date", "symbol"])
                touched.append("index_weights")
        if not len(fresh) and "index_weights" not in touched:
            raise SourceError(f"csindex returned no levels for {sym} from {R._d(start)} to {R._d(end)}")
        return SymbolResult(sym, "updated" if added or touched else "unchanged", added, tables=tuple(touched))
    if not have.any():
        raise DataError(f"{sym} is not in the store; aibt data update extends symbols it holds "
                        "(the snapshot's, see `aibt data info`) and the indices " + ", ".join(OFFICIAL_INDICES))
    old = bars[have].sort_values("date").reset_index(drop=True)
    last_old = pd.Timestamp(old["date"].iloc[-1])
    start = _start_after(last_old, since)
    listing = None
    dividends = hfq = None
    if kind != "hk" and since is None and (last_old >= end or
                                            not len(xshg_sessions(last_old + pd.Timedelta(days=1), end))):
        # no session after the store's last one: nothing new can exist (only the extras may move)
        if kind == "etf":
            touched += _update_etf_nav(sym, tables, fetcher, since, end)
        return SymbolResult(sym, "updated" if touched else "unchanged", 0, tables=tuple(touched))
    if kind == "hk":
        fresh, source = fetcher.hk_bars(sym, start, end), "yahoo"
    elif kind == "index":
        fresh, source = fetcher.index_levels(sym, start, end), "csindex"
    else:
        fresh, source = fetcher.bars(sym, start, end, ""), "eastmoney"
        if kind == "stock":
            dividends = fetcher.dividends(sym, end)
            hfq = fetcher.bars(sym, start, end, "hfq")
    if not len(fresh):
        raise SourceError(f"{source} returned no bars for {sym} from {R._d(start)} to {R._d(end)}")
    nav = None
    if kind == "etf":  # the NAV first: it confirms fund splits in the fresh bars
        touched += _update_etf_nav(sym, tables, fetcher, since, end)
        nav_t = tables.get("nav")
        if nav_t is not None and (nav_t["symbol"] == sym).any():
            g = nav_t[nav_t["symbol"] == sym]
            nav = pd.Series(g["nav"].to_numpy(np.float64), index=pd.DatetimeIndex(g["date"]))
    merged, events, add = merge_bars(sym, kind, old, fresh[fresh.index >= min(start, last_old)], source,
                                     dividends, hfq, listing, nav)
    if add:
        tables["bars"] = pd.concat([bars[~have], merged], ignore_index=True).sort_values(
            ["symbol", "date"], kind="mergesort").reset_index(drop=True)
        added = add["rows_added"]
        touched.append("bars")
        if len(events):
            ev = events.assign(symbol=sym)[list(tables["events"].columns)]
            tables["events"] = _upsert(tables["events"], ev, ["symbol", "ex_date"])
            touched.append("events")
        p = sp.setdefault(sym, {})
        b = tables["bars"][tables["bars"]["symbol"] == sym]
        p["last"] = add["last"]
        p["rows"] = int(len(b))
        p["sources"] = sorted(set(p.get("sources", [])) | {source})
        p.setdefault("segments", []).append({"source": source, "first": add["first_new"], "last": add["last"],
                                             "rows": add["rows_added"]})
        p["repairs"] = list(p.get("repairs", [])) + add["repairs"]
        p["source_flags"] = list(p.get("source_flags", [])) + add["source_flags"]
        p.setdefault("updates", []).append({k: add[k] for k in ("first_new", "last", "rows_added", "source",
                                                                "anchor", "events_added", "volume_units")})
        from aibt.data.store import content_hash

        p["sha256"] = content_hash(b.drop(columns=["symbol"]).reset_index(drop=True))
    if kind == "etf":
        touched += _update_etf_units(sym, tables, fetcher, since, last_old)
    if kind == "hk":
        touched += _update_fx(tables, fetcher, since, end)
    return SymbolResult(sym, "updated" if touched else "unchanged", added, tables=tuple(touched))


def _update_etf_nav(sym, tables, fetcher, since, end) -> list[str]:
    touched = []
    nav = tables.get("nav")
    last = nav.loc[nav["symbol"] == sym, "date"].max() if nav is not None and (nav["symbol"] == sym).any() else None
    start = _start_after(last, since) if last is not None else (since or pd.Timestamp("2019-01-02"))
    got = fetcher.nav(sym, start, end)
    if len(got):
        rows = got.reset_index().assign(symbol=sym, source="eastmoney fund_etf_fund_info_em")
        new = _upsert(nav, rows[["symbol", "date", "nav", "acc_nav", "source"]], ["symbol", "date"])
        if nav is None or not new.equals(nav):
            tables["nav"] = new
            touched.append("nav")
    return touched


def _update_etf_units(sym, tables, fetcher, since, last_bar) -> list[str]:
    touched = []
    if sym.startswith("5"):  # Shanghai ETFs: units outstanding per session from the SSE
        fs = tables.get("fund_shares")
        have = set(fs.loc[fs["symbol"] == sym, "date"]) if fs is not None else set()
        b = tables["bars"]
        sessions = b.loc[(b["symbol"] == sym) & (b["date"] > (since or last_bar) - pd.Timedelta(days=1)), "date"]
        rows = []
        for d in sessions:
            if d in have:
                continue
            day = fetcher.etf_shares(d)
            rows.append(day[day["symbol"] == sym])
        rows = [r for r in rows if len(r)]
        if rows:
            add = pd.concat(rows, ignore_index=True).assign(source="sse fund_etf_scale_sse")
            tables["fund_shares"] = _upsert(fs, add[["symbol", "date", "shares", "source"]], ["symbol", "date"])
            touched.append("fund_shares")
    return touched


def _update_fx(tables, fetcher, since, end) -> list[str]:
    touched = []
    for cur in FX_CURRENCIES:
        fx = tables.get("fx")
        last = fx.loc[fx["currency"] == cur, "date"].max() if fx is not None and (fx["currency"] == cur).any() else None
        start = _start_after(last, since) if last is not None else (since or pd.Timestamp(R.SNAPSHOT_START))
        got = fetcher.fx(cur, start, end)
        if len(got):
            rows = pd.DataFrame({"currency": cur, "date": got.index, "cny_per_unit": got[cur].to_numpy(np.float64),
                                 "source": f"yahoo {cur}CNY=X"})
            new = _upsert(fx, rows, ["currency", "date"])
            if fx is None or not new.equals(fx):
                tables["fx"] = new
                touched.append("fx")
    return touched


__all__ = ["BASE_TABLES", "EXTRA_TABLES", "Fetcher", "SymbolResult", "UpdateReport", "merge_bars", "update"]
