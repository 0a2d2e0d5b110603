"""End to end over HTTP: `charging-sessions serve` in its own process, requests with curl-like clients."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from charging_sessions.local_api import make_token
from charging_sessions.models import ChargingSession

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    command = [sys.executable, "-m", "charging_sessions.cli", "serve", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.match(r"API:\s+(http://\S+)", line)
            if match:
                # keep reading what the server prints (its logs), so that a full pipe never blocks it
                threading.Thread(target=process.stdout.read, daemon=True).start()
                yield match.group(1)
                break
        else:
            pytest.fail(f"server did not start: {process.stderr.read() if process.stderr else ''}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_demo_sessions_come_back_newest_first(server: str) -> None:
    status, body = get(f"{server}?take=20", make_token("tenant-alpha"))
    assert status == 200
    assert body["success"] is True
    assert body["count"] == 40
    sessions = [ChargingSession.model_validate(s) for s in body["chargingSessions"]]
    assert len(sessions) == 20
    assert {s.namespaceId for s in sessions} == {"tenant-alpha"}
    keys = [(s.createdAt, s.id) for s in sessions]
    assert keys == sorted(keys, reverse=True)


def test_filters_and_paging_over_http(server: str) -> None:
    token = make_token("tenant-beta")
    _, everything = get(f"{server}?take=1000&status=Stopped", token)
    _, page = get(f"{server}?skip=5&take=5&status=Stopped", token)
    assert page["count"] == everything["count"]
    assert page["chargingSessions"] == everything["chargingSessions"][5:10]


def test_errors_over_http(server: str) -> None:
    assert get(server) == (
        401,
        {"success": False, "message": "Unauthorized: the caller's identity carries no usable namespace"},
    )
    status, body = get(f"{server}?take=abc", make_token("tenant-alpha"))
    assert (status, body["success"]) == (400, False)
    assert "'take'" in body["message"]
    status, body = get(f"{server}?take=1", make_token("tenant-alpha", claim="tenant"))
    assert status == 401


def test_openapi_is_served(server: str) -> None:
    base = server.split("/api/")[0]
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as response:  # noqa: S310
        document = json.loads(response.read())
    assert "/api/charging-sessions/list/for/namespace" in document["paths"]
