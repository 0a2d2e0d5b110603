"""Where ``serve`` and ``invoke`` find their table: the embedded emulation (default, loaded from ``--data``), or an
existing table (``--table``) at the endpoint the SDK's own ``AWS_ENDPOINT_URL_DYNAMODB`` names, used as it is.

"Another DynamoDB" here is a second moto server that this test starts, creates a table in and writes to, standing
in for DynamoDB Local or LocalStack: the toolkit must serve it without creating or loading anything."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from charging_sessions.storage.writer import SessionWriter
from local_toolkit import harness
from local_toolkit.gateway import make_token
from local_toolkit.template_table import create_table
from tests.conftest import ROOT
from tests.factories import make_session, rich_session
from tests.local_server import local_server
from tests.support import run_cli

pytestmark = pytest.mark.e2e

OTHER_TABLE = "sessions-made-elsewhere"


def get(url: str, namespace: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {make_token(namespace)}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def other_dynamodb() -> Iterator[dict[str, str]]:
    """A DynamoDB that the toolkit did not start, holding a table it did not create; yields the environment a
    user would have (the SDK's endpoint variable, a region, credentials), without TABLE_NAME."""
    server, endpoint = harness.start_emulation()
    try:
        environment = {key: value for key, value in os.environ.items() if key != "TABLE_NAME"}
        environment |= {"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_DEFAULT_REGION": "eu-central-1"}
        other = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-central-1")
        create_table(other, OTHER_TABLE)
        writer = SessionWriter(other, OTHER_TABLE)
        for minute in range(7):
            writer.put(make_session(namespace="tenant-elsewhere", minute=minute, user=f"user-{minute % 2}"))
        yield environment
    finally:
        server.stop()


def test_serve_table_serves_an_existing_table_as_it_is(other_dynamodb: dict[str, str]) -> None:
    with local_server("--table", OTHER_TABLE, env=other_dynamodb) as url:
        status, body = get(f"{url}?take=3", "tenant-elsewhere")
        assert status == 200
        assert body["count"] == 7
        assert [session["createdAt"] for session in body["chargingSessions"]] == [
            make_session(minute=minute)["createdAt"] for minute in (6, 5, 4)
        ]
        _, filtered = get(f"{url}?userId=user-1&take=0", "tenant-elsewhere")
        assert filtered["count"] == 3
        _, demo = get(f"{url}?take=0", "tenant-alpha")  # nothing was loaded: the demo namespaces are not there
        assert demo["count"] == 0


def test_invoke_table_runs_the_event_on_an_existing_table(other_dynamodb: dict[str, str]) -> None:
    event = json.loads((ROOT / "events" / "list.json").read_text(encoding="utf-8"))
    event["requestContext"]["authorizer"]["jwt"]["claims"]["namespaceId"] = "tenant-elsewhere"
    completed = run_cli("invoke", "-", "--table", OTHER_TABLE, stdin=json.dumps(event), env=other_dynamodb)
    assert completed.returncode == 0, completed.stderr[-3000:]
    response = json.loads(completed.stdout)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["count"] == 7


def test_a_missing_table_is_named_without_a_traceback(other_dynamodb: dict[str, str]) -> None:
    completed = run_cli("serve", "--port", "0", "--table", "no-such-table", env=other_dynamodb)
    assert completed.returncode != 0
    assert "table 'no-such-table' not found at http://127.0.0.1:" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_emulation_ignores_an_endpoint_set_for_other_work(other_dynamodb: dict[str, str]) -> None:
    """Without ``--table`` the function reads the embedded emulation (demo data), even when the user's shell points
    the SDK at another DynamoDB."""
    with local_server(env=other_dynamodb) as url:
        assert get(f"{url}?take=0", "tenant-alpha")[1]["count"] == 40
        assert get(f"{url}?take=0", "tenant-elsewhere")[1]["count"] == 0


@pytest.fixture(scope="module")
def rich_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 sessions of over 10 KB each (rich tariffs, full notes)."""
    data = tmp_path_factory.mktemp("rich") / "rich.json"
    data.write_text(json.dumps([rich_session(minute, elements=2, alt_texts=2) for minute in range(1000)]))
    assert data.stat().st_size > 10_000 * 1000
    return data


def test_serve_loads_a_thousand_rich_sessions(rich_data: Path) -> None:
    with local_server("--data", str(rich_data)) as url:
        status, body = get(f"{url}?take=0", "tenant-alpha")
        assert (status, body["count"]) == (200, 1000)
        status, body = get(f"{url}?take=5", "tenant-alpha")
        assert [session["createdAt"] for session in body["chargingSessions"]] == [
            make_session(minute=minute)["createdAt"] for minute in range(999, 994, -1)
        ]


def test_loading_shows_progress_on_stderr_and_the_answer_alone_on_stdout(rich_data: Path) -> None:
    completed = run_cli("invoke", str(ROOT / "events" / "count-only.json"), "--data", str(rich_data), timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert json.loads(json.loads(completed.stdout)["body"])["count"] == 1000
    assert re.fullmatch(r"loading: \d+ sessions", completed.stderr.splitlines()[0])


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com"])  # noqa: S104 - refused, never bound
def test_serve_refuses_a_non_loopback_host_without_allow_remote(host: str) -> None:
    completed = run_cli("serve", "--no-demo", "--port", "0", "--host", host, timeout=60)
    assert completed.returncode != 0
    assert f"refusing to listen on {host!r}" in completed.stderr
    assert "--allow-remote" in completed.stderr
