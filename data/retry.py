"""Retry transient source failures with exponential backoff and jitter.

Only *transient* errors are retried: network timeouts and dropped connections (``requests``'
``Timeout``/``ConnectionError``, as akshare lets them through), HTTP 429/5xx, yfinance's
``YFRateLimitError`` and a JSON body that is not JSON (an HTML throttling page). Anything else
(bad symbol, changed columns, schema errors) fails at once. The final failure is a
:class:`~aibt.errors.SourceError` naming the symbol and the source. ``sleep`` and ``rng`` are
injectable so tests never wait.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from aibt.errors import AibtError, SourceError

T = TypeVar("T")


def _rate_limit_types() -> tuple[type, ...]:
    try:
        from yfinance.exceptions import YFRateLimitError
    except ImportError:  # pragma: no cover - yfinance is a dependency
        return ()
    return (YFRateLimitError,)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying (network, timeout, throttling, server errors)."""
    import requests

    if isinstance(exc, AibtError):
        return False
    if isinstance(exc, _rate_limit_types()):
        return True
    if isinstance(exc, requests.exceptions.HTTPError):
        status = getattr(exc.response, "status_code", None)
        return status is None or status == 429 or status >= 500
    if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                        requests.exceptions.ChunkedEncodingError, requests.exceptions.JSONDecodeError)):
        return True
    return isinstance(exc, (TimeoutError, ConnectionError))


@dataclass
class RetryPolicy:
    """How often and how long to retry.

    Parameters
    ----------
    attempts : int
        Total tries including the first (>= 1).
    base_delay : float
        Seconds before the second try; doubles (``factor``) each time, capped at ``max_delay``.
    jitter : float in [0, 1]
        Each delay is scaled by a uniform factor in ``[1 - jitter, 1]`` so callers spread out.
    sleep : callable
        ``sleep(seconds)``; tests pass a recorder.
    rng : random.Random
        Source of the jitter.
    """

    attempts: int = 4
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be in [0, 1], got {self.jitter}")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        d = min(self.max_delay, self.base_delay * self.factor ** (retry - 1))
        return d * (1.0 - self.jitter * self.rng.random())


def call_with_retry(fn: Callable[[], T], *, symbol: str, source: str, policy: RetryPolicy | None = None,
                    transient: Callable[[BaseException], bool] = is_transient) -> T:
    """Call ``fn()``; retry transient errors per ``policy``; wrap the final failure.

    Raises
    ------
    SourceError
        ``"<source> failed for <symbol> after N attempt(s): <error>"``; an :class:`AibtError`
        raised by ``fn`` (already user-facing) passes through unchanged.
    """
    policy = policy or RetryPolicy()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except AibtError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            retry = transient(exc)
            if not retry or attempt == policy.attempts:
                kind = "transient error" if retry else "error"
                raise SourceError(f"{source} failed for {symbol} after {attempt} attempt(s): "
                                  f"{kind} {type(exc).__name__}: {exc}") from exc
            policy.sleep(policy.delay(attempt))
    raise AssertionError("unreachable")  # pragma: no cover
