"""When to try a request again, and how long to wait first.

A 503 (the server sheds load, or its database or store is briefly away) and a connection that
could not be opened are worth retrying for any method: the server did nothing. A connection that
broke after the request was sent is retried only for idempotent methods, where doing it twice is
the same as doing it once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with full jitter, honouring the server's ``Retry-After``."""

    #: Tries in all, the first one included; 1 turns retries off.
    attempts: int = 4
    #: The first wait, doubled after every failed try.
    backoff: float = 0.5
    #: No wait is longer than this, whatever the server asks.
    max_delay: float = 10.0
    statuses: frozenset[int] = frozenset({503})
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (counting from 1)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        ceiling = min(self.backoff * 2 ** (attempt - 1), self.max_delay)
        return float(ceiling * self.jitter())

    def retries_status(self, status: int) -> bool:
        return status in self.statuses

    def retries_exception(self, method: str, exc: httpx.TransportError) -> bool:
        """Whether a transport failure may be retried without risking doing the request twice."""
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return True
        return method.upper() in IDEMPOTENT_METHODS


NO_RETRIES = RetryPolicy(attempts=1)
