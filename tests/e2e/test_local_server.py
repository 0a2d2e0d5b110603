"""End to end over HTTP: `charging-sessions serve` in its own process, requests with curl-like clients."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from charging_sessions.models import ChargingSession
from local_toolkit.gateway import make_token
from tests.local_server import base_url, local_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with local_server() as url:
        yield url


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
        {
            "success": False,
            "message": "Unauthorized: the caller's identity carries no usable namespace",
            "code": "unauthorized",
        },
    )
    status, body = get(f"{server}?take=abc", make_token("tenant-alpha"))
    assert (status, body["success"]) == (400, False)
    assert "'take'" in body["message"]
    status, body = get(f"{server}?take=1", make_token("tenant-alpha", claim="tenant"))
    assert status == 401


def test_conditional_get_over_http(server: str) -> None:
    token = make_token("tenant-alpha")
    request = urllib.request.Request(f"{server}?take=3", headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        tag = response.headers["ETag"]
        assert response.status == 200
    assert tag.startswith('"')
    request.add_header("If-None-Match", tag)
    with pytest.raises(urllib.error.HTTPError) as raised:  # urllib treats 304 as an error
        urllib.request.urlopen(request, timeout=30)  # noqa: S310
    assert raised.value.code == 304
    assert raised.value.headers["ETag"] == tag
    assert raised.value.read() == b""


def test_openapi_is_served(server: str) -> None:
    base = server.split("/api/")[0]
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as response:  # noqa: S310
        document = json.loads(response.read())
    assert "/api/charging-sessions/list/for/namespace" in document["paths"]


def test_swagger_ui_is_served_offline(server: str) -> None:
    base = base_url(server)
    with urllib.request.urlopen(f"{base}/docs", timeout=30) as response:  # noqa: S310
        assert response.headers.get_content_type() == "text/html"
        page = response.read().decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert scripts
    assert styles
    for asset in scripts + styles:
        assert asset.startswith("/"), f"{asset} is not served by the local server"
        with urllib.request.urlopen(f"{base}{asset}", timeout=30) as response:  # noqa: S310
            assert response.status == 200
            assert len(response.read()) > 1000


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS", "QUERY", "PROPFIND"])
def test_other_methods_have_no_route(server: str, method: str) -> None:
    request = urllib.request.Request(server, method=method)  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310
    assert caught.value.code == 404
    assert json.loads(caught.value.read()) == {"success": False, "message": "Not found"}
