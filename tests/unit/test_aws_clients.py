"""The DynamoDB client the functions build: the configured timeouts and retries, and the request deadline's hooks
(no request leaves the process here: the deadline refuses it first)."""

from __future__ import annotations

from typing import Any

import pytest

from charging_sessions.aws_clients import dynamodb_client
from charging_sessions.deadline import REQUEST_DEADLINE, DeadlineExceeded
from charging_sessions.settings import Settings
from tests.conftest import TABLE


def test_the_client_uses_the_configured_timeouts_and_retries() -> None:
    settings = Settings.model_validate(
        {
            "TABLE_NAME": TABLE,
            "DYNAMODB_CONNECT_TIMEOUT": "0.25",
            "DYNAMODB_READ_TIMEOUT": "0.5",
            "DYNAMODB_MAX_ATTEMPTS": "4",
        }
    )
    config: Any = dynamodb_client(settings).meta.config  # botocore's Config declares its options dynamically
    assert (config.connect_timeout, config.read_timeout) == (0.25, 0.5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert REQUEST_DEADLINE.attempt_seconds >= 0.75


def test_no_attempt_starts_past_the_request_deadline() -> None:
    client = dynamodb_client(Settings.model_validate({"TABLE_NAME": TABLE}))
    with REQUEST_DEADLINE.running(0.0), pytest.raises(DeadlineExceeded, match="request deadline reached"):
        client.get_item(TableName=TABLE, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
