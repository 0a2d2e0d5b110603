"""Shared fixtures: every test runs against moto; nothing here can reach real AWS.
Helpers that test modules import (events, calls, the reference answer, logs) are in ``tests/support.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local_toolkit import harness

# Set before anything imports boto3 clients or the function module (it reads its settings at import).
harness.use_emulation(None, table_name="sessions-test")

from moto import mock_aws  # noqa: E402

from charging_sessions.aws_clients import dynamodb_client  # noqa: E402
from charging_sessions.listing import build_reader  # noqa: E402
from charging_sessions.settings import Settings  # noqa: E402
from charging_sessions.storage.reader import SessionReader  # noqa: E402
from charging_sessions.storage.writer import SessionWriter  # noqa: E402
from local_toolkit.template_table import create_table  # noqa: E402
from tests.support import captured_logs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLE = "sessions-test"
SETTLE_SECONDS = 5.0
"""The update feed's settle window of the readers tests build themselves (the function's default too)."""


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
def reader(client: Any, table: str) -> SessionReader:
    return SessionReader(client, table, settle_seconds=SETTLE_SECONDS)


@pytest.fixture
def writer(client: Any, table: str) -> SessionWriter:
    return SessionWriter(client, table)


@pytest.fixture
def function(client: Any, table: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The Lambda function's module, its reader (wired as the function wires it) pointed at this test's emulated
    table."""
    module = harness.load_handler()
    settings = module.settings.model_copy(update={"table_name": table})
    monkeypatch.setattr(module, "reader", build_reader(client, settings))
    return module


@pytest.fixture
def logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The function's structured log records written during the test, parsed."""
    with captured_logs() as records:
        yield records
