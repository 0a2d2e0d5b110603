"""A per-tenant limit on work: each namespace draws the read units its requests consume from a token bucket held
in the execution environment (no DynamoDB call, nothing written per request), and is answered 429 while its bucket
is empty, so that one tenant's heavy use cannot hold executions that the others need (``docs/operations.md``,
"Limits and throttles")."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_TRACKED_NAMESPACES = 10_000
"""Buckets one environment keeps (least recently used dropped first): bounded memory whatever the tenants."""


class TenantThrottled(Exception):  # noqa: N818 - the name says what happened
    """The namespace has used its read budget for now: answered 429 with ``Retry-After``."""

    def __init__(self, namespace: str, retry_after: int) -> None:
        super().__init__(f"namespace {namespace!r} is out of read units for {retry_after} s")
        self.namespace = namespace
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    refilled: float


class TenantLimiter:
    """Read units per namespace: ``rate`` a second, up to ``burst`` saved. A request is admitted while its
    namespace's bucket holds any units, and afterwards charged what it consumed (the work is known only then), so
    a bucket can run below zero and keeps the namespace waiting until it is paid back. ``rate=0`` turns it off."""

    def __init__(self, *, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def admit(self, namespace: str) -> None:
        """Raise :class:`TenantThrottled` while the namespace's bucket is empty."""
        if not self.enabled:
            return
        bucket = self._refilled(namespace)
        if bucket.tokens <= 0:
            raise TenantThrottled(namespace, max(1, math.ceil((1 - bucket.tokens) / self._rate)))

    def charge(self, namespace: str, read_units: float) -> None:
        """Take the read units a request of the namespace consumed from its bucket."""
        if self.enabled:
            self._refilled(namespace).tokens -= read_units

    def _refilled(self, namespace: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(namespace)
        if bucket is None:
            bucket = _Bucket(self._burst, now)
            self._buckets[namespace] = bucket
            if len(self._buckets) > MAX_TRACKED_NAMESPACES:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(namespace)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.refilled) * self._rate)
            bucket.refilled = now
        return bucket
