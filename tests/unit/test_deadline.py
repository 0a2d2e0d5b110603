"""The request deadline without DynamoDB: which attempts and retries it lets start, on a simulated clock, and the
SDK's backoff ceiling it assumes."""

from __future__ import annotations

import math

import pytest

from charging_sessions.deadline import MAX_SDK_BACKOFF_SECONDS, Deadline, DeadlineExceeded, sdk_backoff_ceiling


class Clock:
    """Simulated time for deadlines: the SDK's backoff sleeps and each simulated attempt advance it."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_deadline_refuses_an_attempt_or_a_retry_that_cannot_fit() -> None:
    clock = Clock()
    deadline = Deadline(clock)
    deadline.attempt_seconds = 1.5
    deadline.check()  # unset: no limit
    with deadline.running(3.0):
        deadline.check()
        deadline.check_retry(attempts=1)  # 1 s backoff + 1.5 s fits in 3 s
        with pytest.raises(DeadlineExceeded):
            deadline.check_retry(attempts=2)  # 2 s + 1.5 s does not
        clock.sleep(3.0)
        with pytest.raises(DeadlineExceeded):
            deadline.check()
    deadline.check()  # the block ended: no limit again


def test_the_remaining_time_follows_the_clock() -> None:
    clock = Clock()
    deadline = Deadline(clock)
    assert deadline.remaining() == math.inf
    with deadline.running(10.0):
        clock.sleep(4.0)
        assert deadline.remaining() == 6.0
    assert deadline.remaining() == math.inf


def test_the_backoff_ceiling_doubles_up_to_twenty_seconds() -> None:
    assert [sdk_backoff_ceiling(retry) for retry in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert MAX_SDK_BACKOFF_SECONDS == 20.0
