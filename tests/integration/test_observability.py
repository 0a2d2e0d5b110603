"""What an operator sees: structured logs and EMF metrics for a normal request, a bad one and a fault.

Everything is read from the captured output of the real Powertools objects, as CloudWatch would."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider import cold_start
from botocore.exceptions import ClientError

from charging_sessions.storage.writer import SessionWriter
from local_toolkit import gateway
from tests.factories import make_session
from tests.support import assert_token_absent, event

Logs = Callable[[], list[dict[str, Any]]]
TOKEN = gateway.make_token("tenant-alpha")


def emf(output: str) -> list[dict[str, Any]]:
    """The embedded-metric-format documents printed on stdout."""
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def metric_values(documents: list[dict[str, Any]]) -> dict[str, float]:
    values: dict[str, float] = {}
    for document in documents:
        for definition in document["_aws"]["CloudWatchMetrics"]:
            for metric in definition["Metrics"]:
                values[metric["Name"]] = values.get(metric["Name"], 0) + sum(document[metric["Name"]])
    return values


def dimensions(documents: list[dict[str, Any]]) -> set[str]:
    return {
        name for d in documents for m in d["_aws"]["CloudWatchMetrics"] for dims in m["Dimensions"] for name in dims
    }


def invoke(function: ModuleType, request: dict[str, Any]) -> tuple[dict[str, Any], gateway.LambdaContext]:
    request["headers"]["authorization"] = f"Bearer {TOKEN}"
    context = gateway.LambdaContext()
    return function.lambda_handler(request, context), context


@pytest.fixture
def debug_logging(function: ModuleType) -> Any:
    from charging_sessions.observability import logger

    level = logger.log_level
    logger.setLevel("DEBUG")
    yield
    logger.setLevel(level)


def test_a_normal_request(
    function: ModuleType,
    writer: SessionWriter,
    logs: Logs,
    capsys: pytest.CaptureFixture[str],
    debug_logging: Any,
) -> None:
    writer.load([make_session(minute=i, user="u1") for i in range(7)])
    cold_start.is_cold_start = True
    request = event("userId=u1&status=Stopped&skip=1&take=3")
    response, context = invoke(function, request)
    assert response["statusCode"] == 200

    records = logs()
    [listed] = [r for r in records if r["message"] == "Listed sessions"]
    assert listed["correlation_id"] == request["requestContext"]["requestId"]
    assert listed["function_request_id"] == context.aws_request_id
    assert listed["namespace"] == "tenant-alpha"
    assert listed["filters"] == {"userId": "u1", "status": "Stopped"}
    assert (listed["skip"], listed["take"], listed["returned"], listed["count"]) == (1, 3, 3, 7)
    assert listed["view"] == "userId+status"
    assert listed["dynamodb_calls"] >= 2
    assert listed["dynamodb_ms"] > 0
    everything = json.dumps(records)
    assert TOKEN not in everything and TOKEN.split(".")[1] not in everything  # no secrets, even at DEBUG

    documents = emf(capsys.readouterr().out)
    values = metric_values(documents)
    assert values["Requests"] == 1
    assert values["SessionsReturned"] == 3
    assert values["ColdStart"] == 1
    assert "ReadCapacityUnits" in values
    assert dimensions(documents) <= {"service", "function_name"}  # no user ids or namespaces as dimensions
    assert all(d["service"] == "charging-sessions" for d in documents)


def test_a_bad_request(function: ModuleType, logs: Logs, capsys: pytest.CaptureFixture[str], table: str) -> None:
    response, _ = invoke(function, event("take=lots"))
    assert response["statusCode"] == 400
    [record] = [r for r in logs() if r["message"] == "Bad request"]
    assert record["level"] == "INFO"
    assert "'take'" in record["reason"]
    values = metric_values(emf(capsys.readouterr().out))
    assert values["Requests"] == 1
    assert values["ValidationFailures"] == 1
    assert "SessionsReturned" not in values


def test_an_unauthorized_request(
    function: ModuleType, logs: Logs, capsys: pytest.CaptureFixture[str], table: str
) -> None:
    response, _ = invoke(function, event(claims={"sub": "x"}, namespace=None))
    assert response["statusCode"] == 401
    assert [r["level"] for r in logs() if r["message"] == "Unauthorized request"] == ["WARNING"]
    assert metric_values(emf(capsys.readouterr().out))["UnauthorizedRequests"] == 1


def test_a_dynamodb_fault(
    function: ModuleType, monkeypatch: pytest.MonkeyPatch, logs: Logs, capsys: pytest.CaptureFixture[str]
) -> None:
    def throttled(*_: Any, **__: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded for table sessions-test"}}, "Query"
        )

    monkeypatch.setattr(function.reader, "read_page", throttled)
    request = event("chargerId=c1")
    response, context = invoke(function, request)
    assert response["statusCode"] == 500
    assert "sessions-test" not in response["body"] and "Throttling" not in response["body"]
    [record] = [r for r in logs() if r["level"] == "ERROR"]
    assert record["message"] == "DynamoDB request failed"
    assert record["error_code"] == "ThrottlingException"
    assert record["correlation_id"] == request["requestContext"]["requestId"]
    assert record["function_request_id"] == context.aws_request_id
    assert record["namespace"] == "tenant-alpha" and record["filters"] == {"chargerId": "c1"}
    assert "sessions-test" in record["exception"]  # the detail is kept for the operator
    values = metric_values(emf(capsys.readouterr().out))
    assert values["DynamoDBThrottles"] == 1
    assert "DynamoDBErrors" not in values


@pytest.fixture
def everything_at_debug(function: ModuleType) -> Iterator[io.StringIO]:
    """The most verbose production can get: ``DebugSampleRate`` has picked this invocation (the function's
    logger at DEBUG), and Powertools' own package logger writes DEBUG too (what ``POWERTOOLS_DEBUG=true``
    does). Yields the package logger's output."""
    from charging_sessions.observability import logger

    rate = logger.sampling_rate
    package = logging.getLogger("aws_lambda_powertools")
    level, propagate = package.level, package.propagate
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.sampling_rate = 1.0  # POWERTOOLS_LOGGER_SAMPLE_RATE=1: every invocation sampled to DEBUG
    logger.refresh_sample_rate_calculation()
    package.addHandler(handler)
    package.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        package.removeHandler(handler)
        package.setLevel(level)
        package.propagate = propagate
        logger.sampling_rate = rate
        logger.refresh_sample_rate_calculation()


@pytest.mark.parametrize("query", ["take=2", "take=lots", "namespaceId=x"])
def test_at_debug_level_no_log_holds_the_bearer_token(
    function: ModuleType,
    writer: SessionWriter,
    logs: Logs,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    everything_at_debug: io.StringIO,
    query: str,
) -> None:
    from charging_sessions.observability import logger

    writer.load([make_session(minute=i) for i in range(3)])
    cold_start.is_cold_start = False  # a warm invocation: the logger re-samples, and DEBUG is kept
    caplog.set_level(logging.DEBUG)
    response, _ = invoke(function, event(query))
    assert response["statusCode"] in (200, 400)
    assert logger.log_level == logging.DEBUG
    records = logs()
    assert records, "the function logged"
    output = capsys.readouterr()
    for text in (json.dumps(records), everything_at_debug.getvalue(), caplog.text, output.out, output.err):
        assert_token_absent(text, TOKEN)
