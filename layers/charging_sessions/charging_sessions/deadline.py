"""One deadline for the whole request, carried into every DynamoDB call and retry, so that a request under
throttling answers 503 before the function times out (``docs/design.md``, "One deadline per request")."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.client import BaseClient


MAX_SDK_BACKOFF_SECONDS = 20.0
"""The longest wait of the SDK's standard retry mode before a retry."""


def sdk_backoff_ceiling(retry: int) -> float:
    """The longest the SDK's standard retry mode waits before retry number ``retry`` (1: the first retry); it
    draws the wait below this (jitter)."""
    return min(2.0 ** (retry - 1), MAX_SDK_BACKOFF_SECONDS)


class DeadlineExceeded(Exception):  # noqa: N818 - the name says what happened
    """The request ran out of its time: no further DynamoDB attempt could finish inside it."""


class Deadline:
    """The current request's deadline (one request at a time per execution environment). Unset: no limit."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._ends: float | None = None
        self.attempt_seconds = 0.0
        """Longest one attempt can take (connect + read timeout): a retry needs its backoff plus this."""

    @contextmanager
    def running(self, seconds: float) -> Iterator[None]:
        """The deadline for the block: ``seconds`` from now."""
        self._ends = self.clock() + seconds
        try:
            yield
        finally:
            self._ends = None

    def remaining(self) -> float:
        return math.inf if self._ends is None else self._ends - self.clock()

    def check(self, needed: float = 0.0) -> None:
        if self.remaining() <= needed:
            raise DeadlineExceeded(f"request deadline reached ({self.remaining():.3f} s left, {needed:.3f} s needed)")

    def install(self, client: BaseClient, *, attempt_seconds: float) -> None:
        """Hook a client (DynamoDB, Secrets Manager): every attempt starts only inside the deadline, every retry
        only when its worst backoff plus one more attempt still fits."""
        self.attempt_seconds = max(self.attempt_seconds, attempt_seconds)
        service = client.meta.service_model.service_id.hyphenize()
        events = client.meta.events
        events.register_first(f"before-send.{service}", self._before_send)
        events.register_first(f"needs-retry.{service}", self._before_retry)

    def check_retry(self, attempts: int) -> None:
        """Refuse a retry after ``attempts`` failed attempts unless its worst backoff plus one more attempt fits."""
        self.check(sdk_backoff_ceiling(attempts) + self.attempt_seconds)

    def _before_send(self, **_: Any) -> None:
        self.check()

    def _before_retry(
        self, attempts: int = 1, caught_exception: Exception | None = None, response: Any = None, **_: Any
    ) -> None:
        if caught_exception is not None or (response is not None and response[0].status_code >= 400):
            self.check_retry(attempts)


REQUEST_DEADLINE = Deadline()
"""The deadline of the request this execution environment is serving; every client ``aws_clients`` builds
honours it."""
