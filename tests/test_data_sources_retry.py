"""Retry policy: which errors are transient, backoff growth and jitter bounds, final SourceError."""
from __future__ import annotations

import random

import pytest
import requests
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError

from aibt.data.retry import RetryPolicy, call_with_retry, is_transient
from aibt.errors import DataError, SourceError


def http_error(status: int) -> requests.exceptions.HTTPError:
    resp = requests.Response()
    resp.status_code = status
    return requests.exceptions.HTTPError(f"{status} error", response=resp)


@pytest.mark.parametrize("exc,expected", [
    (requests.exceptions.Timeout("read timed out"), True),
    (requests.exceptions.ReadTimeout("read timed out"), True),
    (requests.exceptions.ConnectionError("connection reset"), True),
    (requests.exceptions.JSONDecodeError("Expecting value", "<html>busy</html>", 0), True),
    (YFRateLimitError(), True),
    (http_error(429), True),
    (http_error(503), True),
    (http_error(404), False),
    (TimeoutError(), True),
    (KeyError("data"), False),
    (TypeError("'NoneType' object is not subscriptable"), False),
    (YFPricesMissingError("6088.HK", ""), False),
    (DataError("bad"), False),
])
def test_is_transient(exc, expected):
    assert is_transient(exc) is expected


def test_delays_grow_exponentially_capped_and_jittered_within_bounds():
    p = RetryPolicy(attempts=10, base_delay=1.0, factor=2.0, max_delay=5.0, jitter=0.0)
    assert [p.delay(i) for i in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    pj = RetryPolicy(base_delay=2.0, jitter=0.5, rng=random.Random(7))
    ds = [pj.delay(2) for _ in range(200)]
    assert min(ds) >= 2.0 and max(ds) <= 4.0  # 4 s scaled by [0.5, 1]
    assert max(ds) - min(ds) > 1.0  # the jitter really spreads


def test_success_after_transient_failures_sleeps_between_tries():
    sleeps: list[float] = []
    errors = [requests.exceptions.Timeout("t"), YFRateLimitError()]

    def fn():
        if errors:
            raise errors.pop(0)
        return 42

    got = call_with_retry(fn, symbol="300308", source="akshare",
                          policy=RetryPolicy(base_delay=0.25, jitter=0.0, sleep=sleeps.append))
    assert got == 42 and sleeps == [0.25, 0.5]


def test_final_failure_chains_the_cause():
    def fn():
        raise requests.exceptions.ConnectionError("name resolution failed")

    with pytest.raises(SourceError, match=r"akshare failed for 588790 after 2 attempt\(s\): transient error "
                                          r"ConnectionError: name resolution failed") as err:
        call_with_retry(fn, symbol="588790", source="akshare",
                        policy=RetryPolicy(attempts=2, sleep=lambda s: None))
    assert isinstance(err.value.__cause__, requests.exceptions.ConnectionError)


def test_user_facing_errors_pass_through_untouched():
    calls = []

    def fn():
        calls.append(1)
        raise DataError("akshare data for 300308: zero close price on 2024-07-25")

    with pytest.raises(DataError, match="zero close price on 2024-07-25"):
        call_with_retry(fn, symbol="300308", source="akshare", policy=RetryPolicy(sleep=lambda s: None))
    assert calls == [1]


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError, match="attempts must be >= 1"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="jitter must be in"):
        RetryPolicy(jitter=1.5)
