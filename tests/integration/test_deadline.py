"""A deadline for the whole request: under throttling that makes every call need all its retries, a request of
several calls answers 503 with Retry-After before the function's timeout, instead of a Lambda timeout.

Time is simulated: a clock that the SDK's backoff sleeps and each attempt's latency advance, so the test is
exact and fast whatever the machine does."""

from __future__ import annotations

import threading
from collections import Counter
from types import ModuleType
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from charging_sessions.deadline import REQUEST_DEADLINE
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.gateway import LambdaContext
from local_toolkit.template_table import load_template
from tests.factories import make_session
from tests.integration.test_faults import dynamodb_error
from tests.integration.test_observability import emf, metric_values
from tests.support import event
from tests.unit.test_deadline import Clock

FUNCTION_TIMEOUT = load_template()["Globals"]["Function"]["Timeout"]
LATENCY = 1.2
"""Seconds each attempt takes: 9 attempts pass the 10 s timeout even if every backoff were zero (the SDK's
backoff is random; it adds to this)."""


class ThrottledTwiceEachCall:
    """Every call's first two attempts are throttled, the third succeeds (moto answers): each call needs all of
    the SDK's retries and their backoff, so several calls add up past the timeout."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.attempts: Counter[int] = Counter()  # per thread: the counter's read may go out beside the page's

    def __call__(self, **_: Any) -> AWSResponse | None:
        self.clock.now += LATENCY
        thread = threading.get_ident()
        self.attempts[thread] += 1
        if self.attempts[thread] % 3:
            return dynamodb_error(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput")
        return None


class Context(LambdaContext):
    def __init__(self, clock: Clock, timeout: float) -> None:
        super().__init__()
        self._clock, self._ends = clock, clock.now + timeout

    def get_remaining_time_in_millis(self) -> int:
        return int((self._ends - self._clock.now) * 1000)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(REQUEST_DEADLINE, "clock", clock)
    monkeypatch.setattr("botocore.endpoint.time.sleep", clock.sleep)
    return clock


def test_a_multi_call_request_under_throttling_answers_before_the_timeout(
    function: ModuleType, writer: SessionWriter, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    writer.load([make_session(minute=i) for i in range(30)])
    faults = ThrottledTwiceEachCall(clock)
    function.reader.client.meta.events.register_first("before-send.dynamodb", faults)
    started = clock.now
    # counter + keys-only skip + items: three calls of 3 attempts each: over 10.8 s without a deadline
    response = function.lambda_handler(event("skip=10&take=5"), Context(clock, FUNCTION_TIMEOUT))
    elapsed = clock.now - started
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"
    assert '"success":false' in response["body"] and "ThrottlingException" not in response["body"]
    assert elapsed < FUNCTION_TIMEOUT
    assert metric_values(emf(capsys.readouterr().out)).get("DeadlineExceeded") == 1


def test_without_time_pressure_the_same_faults_are_retried_through(
    function: ModuleType, writer: SessionWriter, clock: Clock
) -> None:
    writer.load([make_session(minute=i) for i in range(30)])
    function.reader.client.meta.events.register_first("before-send.dynamodb", ThrottledTwiceEachCall(clock))
    response = function.lambda_handler(event("skip=10&take=5"), Context(clock, 60))
    assert response["statusCode"] == 200
