"""The DynamoDB client the functions build: the configured timeouts and retries, and the request deadline's hooks
(no request leaves the process here: the deadline refuses it first)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from charging_sessions import aws_clients
from charging_sessions.aws_clients import NamedServiceLoader, dynamodb_client
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


MODEL_TYPES = ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2")


@pytest.mark.parametrize("type_name", MODEL_TYPES)
def test_the_loader_knows_the_services_botocore_knows(type_name: str) -> None:
    listed = Loader().list_available_services(type_name)
    known = NamedServiceLoader().list_available_services(type_name)
    assert all(name in known for name in listed)
    assert list(known) == listed and len(known) == len(listed) and known[0] == listed[0]
    for name in ("no-such-service", "", ".", "..", "dynamodb/..", "../botocore", 7):
        assert name not in known


def test_a_client_is_built_without_listing_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    def listing_everything(*_: Any) -> list[str]:
        raise AssertionError("botocore's full listing of services")

    monkeypatch.setattr(Loader, "list_available_services", listing_everything)
    client = dynamodb_client(Settings.model_validate({"TABLE_NAME": TABLE}))
    assert client.meta.service_model.service_name == "dynamodb"
    assert client.meta.service_model.operation_model("Query").name == "Query"


def test_an_unknown_service_fails_as_botocore_says() -> None:
    with pytest.raises(UnknownServiceError, match="dynamodb"):  # botocore's message lists the known services
        aws_clients._session().create_client("no-such-service", region_name="eu-west-1")


def test_the_loader_searches_aws_data_path_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's models (``AWS_DATA_PATH``) still come before botocore's, as with botocore's own loader."""
    model = Loader().load_service_model("dynamodb", "service-2")
    model["metadata"]["serviceId"] = "DynamoDB from AWS_DATA_PATH"
    version = Loader().determine_latest_version("dynamodb", "service-2")
    (tmp_path / "dynamodb" / version).mkdir(parents=True)
    (tmp_path / "dynamodb" / version / "service-2.json").write_text(json.dumps(model), encoding="utf-8")
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    client = dynamodb_client(Settings.model_validate({"TABLE_NAME": TABLE}))
    assert client.meta.service_model.metadata["serviceId"] == "DynamoDB from AWS_DATA_PATH"
