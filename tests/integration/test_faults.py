"""DynamoDB faults through the real SDK retry logic: bounded attempts, then a clean 500 with the detail logged.

Faults are injected as HTTP answers (or transport errors) at botocore's ``before-send`` hook, so retries,
backoff and error parsing are botocore's own; moto answers whatever the hook lets through."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError

from charging_sessions.settings import Settings
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.template_table import create_table_request, load_template
from tests.conftest import SETTLE_SECONDS, TABLE
from tests.factories import make_session
from tests.integration.test_observability import emf, metric_values
from tests.support import call, event

Logs = Callable[[], list[dict[str, Any]]]


class _Body(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def dynamodb_error(status: int, code: str, message: str) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "FAULT"}
    return AWSResponse("https://dynamodb.eu-west-1.amazonaws.com/", status, HTTPHeaders.from_dict(headers), _Body(body))


class Faults:
    """Answers the first ``times`` DynamoDB requests with ``answer`` (a response, or an exception to raise)."""

    def __init__(self, answer: AWSResponse | Exception, times: int = 1_000) -> None:
        self.answer, self.times, self.attempts = answer, times, 0

    def __call__(self, **_: Any) -> AWSResponse | None:
        self.attempts += 1
        if self.attempts > self.times:
            return None  # let moto answer
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's backoff sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    return slept


@pytest.fixture
def inject(function: ModuleType, writer: SessionWriter) -> Callable[[Faults], Faults]:
    writer.load([make_session(minute=i) for i in range(3)])

    def install(faults: Faults) -> Faults:
        function.reader.client.meta.events.register_first("before-send.dynamodb", faults)
        return faults

    return install


MAX_ATTEMPTS = Settings.model_validate({"TABLE_NAME": TABLE}).dynamodb_max_attempts

CASES = [
    (
        dynamodb_error(400, "ProvisionedThroughputExceededException", "Throughput exceeds for sessions-test"),
        MAX_ATTEMPTS,
        "DynamoDBThrottles",
        "ProvisionedThroughputExceededException",
    ),
    (
        dynamodb_error(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput"),
        MAX_ATTEMPTS,
        "DynamoDBThrottles",
        "ThrottlingException",
    ),
    (
        dynamodb_error(500, "InternalServerError", "Internal server error in sessions-test"),
        MAX_ATTEMPTS,
        "DynamoDBErrors",
        "InternalServerError",
    ),
    (
        ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/"),
        MAX_ATTEMPTS,
        "DynamoDBErrors",
        "ReadTimeoutError",
    ),
    (
        dynamodb_error(
            400, "AccessDeniedException", "User arn:aws:sts::1:assumed-role/x is not authorized on sessions-test"
        ),
        1,
        "DynamoDBErrors",
        "AccessDeniedException",
    ),
    (
        dynamodb_error(400, "ResourceNotFoundException", "Requested resource not found: Table: sessions-test"),
        1,
        "DynamoDBErrors",
        "ResourceNotFoundException",
    ),
]


@pytest.mark.parametrize(("answer", "attempts", "metric", "code"), CASES, ids=[c[3] for c in CASES])
def test_a_persistent_fault_is_retried_a_bounded_number_of_times_then_answers_a_clean_500(
    inject: Callable[[Faults], Faults],
    function: ModuleType,
    sleeps: list[float],
    logs: Logs,
    capsys: pytest.CaptureFixture[str],
    answer: AWSResponse | Exception,
    attempts: int,
    metric: str,
    code: str,
) -> None:
    faults = inject(Faults(answer))
    status, body = call(function, event())
    assert (status, body) == (500, {"success": False, "message": "Internal server error", "code": "internal_error"})
    # a first page's counter GetItem and page Query are in flight together (read beside each other): each call
    # makes its own bounded attempts, and the answer waits for both
    assert faults.attempts == 2 * attempts
    assert len(sleeps) == 2 * (attempts - 1)
    [error] = [r for r in logs() if r["level"] == "ERROR"]
    assert error["error_code"] == code
    assert error["correlation_id"] and error["function_request_id"]
    values = metric_values(emf(capsys.readouterr().out))
    assert values[metric] == 1


def test_a_passing_throttle_is_retried_and_counted(
    inject: Callable[[Faults], Faults], function: ModuleType, sleeps: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    inject(Faults(dynamodb_error(400, "ProvisionedThroughputExceededException", "slow down"), times=1))
    status, body = call(function, event())
    assert status == 200 and body["count"] == 3
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 1
    values = metric_values(emf(capsys.readouterr().out))
    assert values["DynamoDBRetries"] == 1
    assert "DynamoDBThrottles" not in values


def test_a_missing_index_answers_a_clean_500(
    function: ModuleType, client: Any, monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    request = create_table_request("no-user-index", load_template())
    request["GlobalSecondaryIndexes"] = [i for i in request["GlobalSecondaryIndexes"] if i["IndexName"] != "by-user"]
    request["AttributeDefinitions"] = [a for a in request["AttributeDefinitions"] if a["AttributeName"] != "gUser"]
    client.create_table(**request)
    SessionWriter(client, "no-user-index").load([make_session(user="u1")])
    monkeypatch.setattr(function, "reader", SessionReader(client, "no-user-index", settle_seconds=SETTLE_SECONDS))
    assert call(function, event())[0] == 200  # the table itself works
    status, body = call(function, event("userId=u1"))
    assert (status, body) == (500, {"success": False, "message": "Internal server error", "code": "internal_error"})
    # DynamoDB says ValidationException ("The table does not have the specified index"); moto says
    # ResourceNotFoundException. Either is logged with its code and answered with the same clean 500.
    codes = [r["error_code"] for r in logs() if r["level"] == "ERROR"]
    assert codes in (["ValidationException"], ["ResourceNotFoundException"])


def test_client_uses_the_configured_timeouts_and_retries(function: ModuleType) -> None:
    settings = Settings.model_validate({"TABLE_NAME": TABLE})
    config = function.reader.client.meta.config
    assert config.connect_timeout == settings.dynamodb_connect_timeout
    assert config.read_timeout == settings.dynamodb_read_timeout
    assert config.retries == {"mode": "standard", "total_max_attempts": settings.dynamodb_max_attempts}
