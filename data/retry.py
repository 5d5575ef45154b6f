"""Retry transient source failures with exponential backoff and jitter.

Only *transient* errors are retried: network timeouts and dropped connections (``requests``'
``Timeout``/``ConnectionError``, as akshare lets them through), HTTP 429/5xx, yfinance's
``YFRateLimitError`` and a JSON body that is not JSON (an HTML throttling page). Anything else
(bad symbol, changed columns, schema errors) fails at once. The final failure is a
:class:`~aibt.errors.SourceError` naming the symbol and the source, on one short line (URLs lose
their query strings). ``sleep`` and ``rng`` are injectable so tests never wait.

Bounded time: every HTTP request made through ``requests`` inside a call gets a connect/read
timeout (akshare passes none on some endpoints), every call has a wall-clock deadline (a stalled
connection, a server trickling bytes), and the whole retry loop of one symbol has a budget. Once
the network is known to be down (a symbol failed to connect after its retries, or two symbols in a
row timed out), the policy's circuit is open and later symbols fail at once with a message saying
so, instead of each paying the full timeout; a success closes it again.
"""
from __future__ import annotations

import contextlib
import contextvars
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from aibt.errors import AibtError, SourceError, one_line

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


# --------------------------------------------------------------------------- request timeouts
_REQUEST_TIMEOUT: contextvars.ContextVar = contextvars.ContextVar("aibt_request_timeout", default=None)
_INSTALL_LOCK = threading.Lock()


def install_request_timeout() -> None:
    """Make ``requests`` apply the timeout set by :func:`request_timeout` to calls that give none
    (or a longer one). Idempotent; outside :func:`request_timeout` nothing changes."""
    import requests

    with _INSTALL_LOCK:
        if getattr(requests.Session.request, "_aibt_timeout", False):
            return
        original = requests.Session.request

        def request(self, method, url, *args, **kwargs):
            limit = _REQUEST_TIMEOUT.get()
            if limit is not None and len(args) <= 6:  # timeout given positionally (7th): leave it
                given = kwargs.get("timeout")
                if given is None:
                    kwargs["timeout"] = limit
                elif isinstance(given, (int, float)):
                    kwargs["timeout"] = min(float(given), max(limit))
            return original(self, method, url, *args, **kwargs)

        request._aibt_timeout = True  # type: ignore[attr-defined]
        requests.Session.request = request


@contextlib.contextmanager
def request_timeout(connect: float, read: float):
    """Within the block (this thread/context), ``requests`` calls time out after these seconds."""
    install_request_timeout()
    token = _REQUEST_TIMEOUT.set((float(connect), float(read)))
    try:
        yield
    finally:
        _REQUEST_TIMEOUT.reset(token)


class CallTimeout(TimeoutError):
    """A source call ran past its wall-clock deadline."""


def call_with_deadline(fn: Callable[[], T], seconds: float | None, connect: float, read: float) -> T:
    """``fn()`` with ``requests`` timeouts, abandoned (``CallTimeout``) after ``seconds`` of wall time.

    The call runs in a daemon thread so a library stuck in a socket cannot hold the caller; its
    own request timeout ends that thread soon after.
    """
    if seconds is None:
        with request_timeout(connect, read):
            return fn()
    box: dict = {}
    ctx = contextvars.copy_context()

    def target():
        try:
            with request_timeout(connect, read):
                box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=lambda: ctx.run(target), name="aibt-source-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CallTimeout(f"no answer within {seconds:g} s (stalled connection?)")
    if "error" in box:
        raise box["error"]
    return box["value"]


_URL = re.compile(r"(https?://[^/\s'\"]+)(/[^\s'\"?]*)?(\?[^\s'\"]*)?")


def brief(exc: BaseException, limit: int = 160) -> str:
    """``Type: message`` of ``exc`` on one line, URLs without their query strings, at most ``limit``."""
    def url(m):
        path = m.group(2) or ""
        return m.group(1) + (path if len(path) <= 40 else path[:37] + "...")

    return one_line(f"{type(exc).__name__}: {_URL.sub(url, str(exc))}", limit)


def is_connection_failure(exc: BaseException) -> bool:
    """The network cannot be reached at all (refused, unreachable, name resolution), not a slow answer."""
    import requests

    if isinstance(exc, (requests.exceptions.Timeout, CallTimeout, TimeoutError)):
        return False
    return isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError, OSError)) and \
        not isinstance(exc, requests.exceptions.ChunkedEncodingError)


@dataclass
class Circuit:
    """Shared by the symbols of one source: open once the network is known to be down."""

    open_reason: str | None = None
    timeouts_in_a_row: int = 0
    trip_after_timeouts: int = 2

    def failed(self, exc: BaseException) -> None:
        if is_connection_failure(exc):
            self.open_reason = f"the network is unreachable ({brief(exc, 100)})"
        elif isinstance(exc, (CallTimeout, TimeoutError)) or _is_timeout(exc):
            self.timeouts_in_a_row += 1
            if self.timeouts_in_a_row >= self.trip_after_timeouts:
                self.open_reason = f"{self.timeouts_in_a_row} symbols in a row timed out (stalled network?)"

    def succeeded(self) -> None:
        self.open_reason, self.timeouts_in_a_row = None, 0


def _is_timeout(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.exceptions.Timeout)


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
    timeout : float or None
        Wall-clock deadline of one call, seconds (None: no deadline, only the request timeouts).
    connect_timeout, read_timeout : float
        Applied to every ``requests`` call made inside a call that sets none.
    budget : float
        Seconds one symbol may spend on all its tries; no retry starts past it.
    circuit : Circuit
        Open after the network proved down; then calls fail at once (see the module docstring).
    """

    attempts: int = 4
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    timeout: float | None = 20.0
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    budget: float = 40.0
    circuit: Circuit = field(default_factory=Circuit)

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
    if policy.circuit.open_reason:
        raise SourceError(f"{source} skipped for {symbol}: {policy.circuit.open_reason}; check the "
                          "connection and retry later")
    began = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            value = call_with_deadline(fn, policy.timeout, policy.connect_timeout, policy.read_timeout)
        except AibtError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            retry = transient(exc) or isinstance(exc, CallTimeout)
            wait = policy.delay(attempt) if retry and attempt < policy.attempts else 0.0
            over = time.monotonic() - began + wait > policy.budget
            if not retry or attempt == policy.attempts or over:
                if retry:
                    policy.circuit.failed(exc)
                kind = "transient error" if retry else "error"
                tail = f" (gave up after {time.monotonic() - began:.0f} s)" if over else ""
                raise SourceError(f"{source} failed for {symbol} after {attempt} attempt(s): "
                                  f"{kind} {brief(exc)}{tail}") from exc
            policy.sleep(wait)
        else:
            policy.circuit.succeeded()
            return value
    raise AssertionError("unreachable")  # pragma: no cover
