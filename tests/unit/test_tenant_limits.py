"""The per-tenant limit on work: a token bucket of read units per namespace, charged what each request consumed."""

from __future__ import annotations

import pytest

from charging_sessions.tenant_limits import MAX_TRACKED_NAMESPACES, TenantLimiter, TenantThrottled


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_namespace_is_admitted_until_its_work_empties_its_bucket_then_waits_for_the_refill() -> None:
    ticks = Ticks()
    limiter = TenantLimiter(rate=10.0, burst=100.0, clock=ticks)
    limiter.admit("heavy")
    limiter.charge("heavy", 130.0)  # a deep page: the work is known after it is done
    with pytest.raises(TenantThrottled) as throttled:
        limiter.admit("heavy")
    assert throttled.value.retry_after == 4  # 30 units owed plus one to spend, at 10 a second
    limiter.admit("light")  # another tenant is untouched
    ticks.now += 3.0
    with pytest.raises(TenantThrottled):
        limiter.admit("heavy")
    ticks.now += 1.0
    limiter.admit("heavy")


def test_a_bucket_saves_no_more_than_its_burst() -> None:
    ticks = Ticks()
    limiter = TenantLimiter(rate=10.0, burst=50.0, clock=ticks)
    limiter.charge("t", 50.0)
    ticks.now += 3600.0
    limiter.charge("t", 50.0)
    with pytest.raises(TenantThrottled):
        limiter.admit("t")


def test_a_rate_of_zero_limits_nothing() -> None:
    limiter = TenantLimiter(rate=0.0, burst=0.0)
    limiter.charge("t", 10**9)
    limiter.admit("t")
    assert not limiter.enabled


def test_the_buckets_kept_are_bounded() -> None:
    ticks = Ticks()
    limiter = TenantLimiter(rate=1.0, burst=1.0, clock=ticks)
    limiter.charge("first", 5.0)
    for index in range(MAX_TRACKED_NAMESPACES):
        limiter.admit(f"n{index}")
    limiter.admit("first")  # its bucket was the least recently used: dropped, so it starts full again
