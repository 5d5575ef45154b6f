"""Issue 11, network: every source call ends in bounded time, a dead network fails fast, errors are short.

No test touches the internet: a local socket server accepts connections and never answers (a stalled
link), or nothing listens (no network); the real akshare and yfinance code paths are pointed at it
through the proxy environment variables that requests and curl honour.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from aibt.data.retry import CallTimeout, RetryPolicy, brief, call_with_deadline, call_with_retry
from aibt.data.source_akshare import AkshareSource
from aibt.data.source_yfinance import YFinanceSource
from aibt.data.sources import fetch_panel
from aibt.errors import SourceError

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def stalled(monkeypatch):
    """A server that accepts and never answers; every proxy variable points at it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held = []
    stop = threading.Event()

    def loop():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{srv.getsockname()[1]}"
    for k in PROXY_VARS:
        monkeypatch.setenv(k, url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    yield url
    stop.set()
    t.join(1)
    for c in held:
        c.close()
    srv.close()


@pytest.fixture
def no_network(monkeypatch):
    """Proxies point at a port where nothing listens: every connection is refused at once."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    for k in PROXY_VARS:
        monkeypatch.setenv(k, f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


def fast_policy(**kw):
    base = dict(attempts=2, base_delay=0.05, jitter=0.0, timeout=2.0, connect_timeout=1.0, read_timeout=1.0, budget=5.0)
    return RetryPolicy(**{**base, **kw})


def test_requests_without_a_timeout_get_one(stalled):
    t0 = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        call_with_deadline(lambda: requests.get("http://example.invalid/x"), None, 0.5, 0.5)
    assert time.monotonic() - t0 < 5


def test_a_call_stuck_past_its_deadline_is_abandoned():
    t0 = time.monotonic()
    with pytest.raises(CallTimeout, match="no answer within 0.3 s"):
        call_with_deadline(lambda: time.sleep(30), 0.3, 1, 1)
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("source", ["akshare", "yfinance"])
def test_a_stalled_network_ends_in_bounded_time_and_then_fails_fast(stalled, source):
    policy = fast_policy()
    if source == "akshare":
        src, symbols = AkshareSource(retry=policy), ["300308", "300502", "688256", "002463", "600183", "300394"]
    else:
        src, symbols = YFinanceSource(retry=policy), ["6088.HK", "0700.HK", "9988.HK", "1810.HK", "3690.HK"]
    t0 = time.monotonic()
    with pytest.raises(SourceError) as err:
        fetch_panel(symbols, "2024-01-02", "2024-03-01", source=src, adjust="")
    took = time.monotonic() - t0
    # two symbols pay the timeouts (at most budget each), the rest are skipped at once
    assert took < 2 * policy.budget + 5, took
    msg = str(err.value)
    assert "timed out" in msg.lower() or "no answer" in msg
    assert "skipped for" in msg and f"and {len(symbols) - 3} more" in msg


def test_no_network_costs_one_symbol_not_all_of_them(no_network):
    policy = fast_policy(attempts=3)
    src = AkshareSource(retry=policy)
    symbols = [f"30030{i}" for i in range(8)]
    t0 = time.monotonic()
    with pytest.raises(SourceError) as err:
        fetch_panel(symbols, "2024-01-02", "2024-03-01", source=src, adjust="")
    assert time.monotonic() - t0 < 10
    assert "the network is unreachable" in str(err.value) and f"and {len(symbols) - 3} more" in str(err.value)
    assert policy.circuit.open_reason is not None


def test_a_success_closes_the_circuit():
    policy = fast_policy()
    boom = requests.exceptions.ConnectionError("refused")
    with pytest.raises(SourceError):
        call_with_retry(lambda: (_ for _ in ()).throw(boom), symbol="a", source="s", policy=policy)
    with pytest.raises(SourceError, match="skipped for b: the network is unreachable"):
        call_with_retry(lambda: 1, symbol="b", source="s", policy=policy)
    policy.circuit.succeeded()  # e.g. a later session: a new source or policy starts closed
    assert call_with_retry(lambda: 1, symbol="c", source="s", policy=policy) == 1


def test_error_messages_are_short_and_drop_url_queries():
    url = "https://push2his.eastmoney.com/api/qt/stock/kline/get?" + "&".join(f"k{i}=v{i}" * 5 for i in range(60))
    exc = requests.exceptions.ConnectionError(f"Max retries exceeded with url: {url} (Caused by ...)")
    text = brief(exc)
    assert len(text) <= 160 and "?" not in text and "push2his.eastmoney.com" in text

    def fn():
        raise exc

    with pytest.raises(SourceError) as err:
        call_with_retry(fn, symbol="300308", source="akshare", policy=fast_policy(attempts=1))
    assert len(str(err.value)) < 260 and "\n" not in str(err.value)
