"""The benchmark's bulk loader (``bench.emulation.BulkLoader``) stores what loading through the SDK stores, and the
check the benchmark runs on it notices when the two differ."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from bench.emulation import check_bulk_load
from bench.run import load
from charging_sessions.aws_clients import dynamodb_client
from charging_sessions.settings import Settings
from local_toolkit.template_table import create_table

COUNTS = {"tenant-a": 120, "tenant-b": 40}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    with mock_aws():
        made = dynamodb_client(Settings.model_validate({"TABLE_NAME": "sdk"}))
        create_table(made, "sdk")
        create_table(made, "bulk")
        yield made


def test_bulk_load_stores_the_items_the_sdk_load_stores(client: Any) -> None:
    _, sdk_spans = load(client, "sdk", COUNTS)
    _, bulk_spans = load(client, "bulk", COUNTS, bulk=True)
    assert sdk_spans == bulk_spans
    compared = check_bulk_load(client._make_api_call, "sdk", "bulk")
    assert compared > 2 * sum(COUNTS.values())  # sessions, identity items and counters


def test_the_check_notices_a_difference(client: Any) -> None:
    load(client, "sdk", COUNTS)
    load(client, "bulk", COUNTS, bulk=True)
    item = client.scan(TableName="bulk", Limit=1)["Items"][0]
    client.put_item(TableName="bulk", Item={**item, "status": {"S": "Stopped-by-another-writer"}})
    with pytest.raises(AssertionError, match="different items"):
        check_bulk_load(client._make_api_call, "sdk", "bulk")
