"""Shared fixtures: every test runs against moto; nothing here can reach real AWS."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from charging_sessions import local_api

# Set before anything imports boto3 clients or the function module (it reads its settings at import).
os.environ.update(local_api.local_environment(None, table_name="sessions-test"))
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "DYNAMODB_ENDPOINT_URL"):
    os.environ.pop(_name, None)

from moto import mock_aws  # noqa: E402

from charging_sessions.aws_clients import dynamodb_client  # noqa: E402
from charging_sessions.repository import SessionRepository  # noqa: E402
from charging_sessions.settings import Settings  # noqa: E402
from charging_sessions.template_table import create_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLE = "sessions-test"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def client(aws: None) -> Any:
    return dynamodb_client(Settings.model_validate({"TABLE_NAME": TABLE}))


@pytest.fixture
def table(client: Any) -> str:
    create_table(client, TABLE)
    return TABLE


@pytest.fixture
def repository(client: Any, table: str) -> SessionRepository:
    return SessionRepository(client, table)


@pytest.fixture
def function(repository: SessionRepository, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The Lambda function's module, its repository pointed at this test's emulated table."""
    module = local_api.load_handler()
    monkeypatch.setattr(
        module, "repository", SessionRepository(repository._client, TABLE, on_invalid_item=module.report_invalid_item)
    )
    return module


@pytest.fixture
def logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The function's structured log records written during the test, parsed."""
    from charging_sessions.observability import logger

    stream = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    handler.setStream(previous)


def event(
    query: str = "", *, namespace: str | None = "tenant-alpha", claims: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway HTTP API event for the list route, as the JWT authorizer would pass it."""
    if claims is None and namespace is not None:
        claims = {"namespaceId": namespace, "sub": "user-1"}
    return local_api.http_api_event(path=local_api.ROUTE, raw_query=query, headers={"host": "api.test"}, claims=claims)


def call(function: ModuleType, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = function.lambda_handler(request, local_api.LambdaContext())
    return int(response["statusCode"]), json.loads(response["body"])


def reference(
    sessions: Sequence[Mapping[str, Any]],
    namespace: str,
    *,
    userId: str | None = None,
    chargerId: str | None = None,
    status: str | None = None,
    skip: int = 0,
    take: int = 50,
) -> tuple[list[str], int]:
    """Plain in-memory answer: filter, sort newest first (ties: id descending), slice. Ids and count."""
    matching = [
        s
        for s in sessions
        if s["namespaceId"] == namespace
        and (userId is None or s.get("userId") == userId)
        and (chargerId is None or s["chargerId"] == chargerId)
        and (status is None or s["status"] == status)
    ]
    matching.sort(key=lambda s: (s["createdAt"], s["id"]), reverse=True)
    return [s["id"] for s in matching[skip : skip + take]], len(matching)
