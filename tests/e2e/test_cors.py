"""CORS and headers over HTTP, as API Gateway answers them with the template's ``CorsConfiguration``: the local
server started with ``--cors-origin`` (the real function), and one in this process around a stub function that
shows what reached it and answers CORS headers of its own."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator, Sequence
from http.server import ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from charging_sessions.routes import LIST_SESSIONS_PATH
from local_toolkit import server as local_server_module
from local_toolkit.gateway import CorsPolicy, make_token
from local_toolkit.template_table import cors_configuration
from tests.local_server import local_server

pytestmark = pytest.mark.e2e

APP = "https://app.example.com"
OTHER = "https://other.example.com"
ALLOWED_HEADERS = "authorization,content-type,accept,if-none-match,x-request-id"
EXPOSED_HEADERS = "etag,link,retry-after,x-request-id,x-total-count"
Answer = tuple[int, http.client.HTTPMessage, bytes]


def exchange(url: str, method: str, path: str, headers: Sequence[tuple[str, str]] = ()) -> Answer:
    """One request to the server at ``url`` (headers sent as given, a name possibly repeated); its status,
    headers and body."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=any(name.lower() == "host" for name, _ in headers))
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def cors_headers(headers: http.client.HTTPMessage) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items() if name.lower().startswith("access-control-")}


def preflight(url: str, origin: str, method: str = "GET", requested: str | None = None) -> Answer:
    headers = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if requested is not None:
        headers.append(("Access-Control-Request-Headers", requested))
    return exchange(url, "OPTIONS", LIST_SESSIONS_PATH, headers)


@pytest.fixture(scope="module")
def app_server() -> Iterator[str]:
    with local_server("--cors-origin", APP, "--cors-origin", "http://localhost:5173") as url:
        yield url


@pytest.fixture(scope="module")
def any_origin_server() -> Iterator[str]:
    with local_server("--no-demo", "--cors-origin", "*") as url:
        yield url


@pytest.fixture(scope="module")
def plain_server() -> Iterator[str]:
    with local_server("--no-demo", "--no-cors") as url:
        yield url


# ---------------------------------------------------------------- preflight


def test_an_allowed_preflight_is_answered_by_the_gateway(app_server: str) -> None:
    status, headers, body = preflight(app_server, APP, requested="Authorization, If-None-Match, X-Request-ID")
    assert (status, body) == (204, b"")
    assert cors_headers(headers) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET",
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
    }
    assert headers["apigw-requestid"]
    assert headers["Content-Length"] is None


def test_a_preflight_without_requested_headers_is_allowed(app_server: str) -> None:
    status, headers, _ = preflight(app_server, "http://localhost:5173")
    assert status == 204
    assert cors_headers(headers)["access-control-allow-origin"] == "http://localhost:5173"


@pytest.mark.parametrize(
    ("origin", "method", "requested"),
    [
        (OTHER, "GET", None),  # origin not listed
        (APP + "/", "GET", None),  # origins compare exactly
        (APP, "POST", None),  # method not allowed
        (APP, "GET", "authorization, x-custom"),  # one header not allowed
    ],
)
def test_a_refused_preflight_is_a_204_without_cors_headers(
    app_server: str, origin: str, method: str, requested: str | None
) -> None:
    status, headers, body = preflight(app_server, origin, method, requested)
    assert (status, body) == (204, b"")
    assert cors_headers(headers) == {}
    assert headers["apigw-requestid"]


def test_any_origin_is_answered_with_a_star(any_origin_server: str) -> None:
    status, headers, _ = preflight(any_origin_server, OTHER, requested="authorization")
    assert status == 204
    assert cors_headers(headers)["access-control-allow-origin"] == "*"
    token = make_token("tenant-alpha")
    status, headers, _ = exchange(
        any_origin_server, "GET", LIST_SESSIONS_PATH, [("Authorization", f"Bearer {token}"), ("Origin", OTHER)]
    )
    assert status == 200
    assert cors_headers(headers) == {
        "access-control-allow-origin": "*",
        "access-control-expose-headers": EXPOSED_HEADERS,
    }


def test_without_cors_options_has_no_route(plain_server: str) -> None:
    status, headers, body = preflight(plain_server, APP, requested="authorization")
    assert status == 404
    assert json.loads(body) == {"success": False, "message": "Not found"}
    assert cors_headers(headers) == {}
    token = make_token("tenant-alpha")
    status, headers, _ = exchange(
        plain_server, "GET", LIST_SESSIONS_PATH, [("Authorization", f"Bearer {token}"), ("Origin", APP)]
    )
    assert status == 200
    assert cors_headers(headers) == {}


def test_an_options_request_that_is_no_preflight_has_no_route(app_server: str) -> None:
    status, headers, _ = exchange(app_server, "OPTIONS", LIST_SESSIONS_PATH, [("Origin", APP)])
    assert status == 404
    assert cors_headers(headers) == {
        "access-control-allow-origin": APP,
        "access-control-expose-headers": EXPOSED_HEADERS,
    }


def test_the_host_check_comes_before_cors(app_server: str) -> None:
    status, headers, _ = exchange(
        app_server,
        "OPTIONS",
        LIST_SESSIONS_PATH,
        [("Host", "attacker.example"), ("Origin", APP), ("Access-Control-Request-Method", "GET")],
    )
    assert status == 403
    assert cors_headers(headers) == {}


# ---------------------------------------------------------------- actual requests


def test_an_answer_to_an_allowed_origin_carries_the_gateway_cors_headers(app_server: str) -> None:
    token = make_token("tenant-alpha")
    status, headers, body = exchange(
        app_server, "GET", f"{LIST_SESSIONS_PATH}?take=2", [("Authorization", f"Bearer {token}"), ("Origin", APP)]
    )
    assert status == 200
    assert json.loads(body)["success"] is True
    assert cors_headers(headers) == {
        "access-control-allow-origin": APP,
        "access-control-expose-headers": EXPOSED_HEADERS,
    }
    assert headers["ETag"]
    assert headers["apigw-requestid"]


def test_errors_carry_them_too(app_server: str) -> None:
    token = make_token("tenant-alpha")
    status, headers, body = exchange(
        app_server, "GET", f"{LIST_SESSIONS_PATH}?take=abc", [("Authorization", f"Bearer {token}"), ("Origin", APP)]
    )
    assert status == 400
    assert json.loads(body)["success"] is False
    assert cors_headers(headers)["access-control-allow-origin"] == APP
    status, headers, _ = exchange(app_server, "GET", LIST_SESSIONS_PATH, [("Origin", APP)])
    assert status == 401
    assert cors_headers(headers)["access-control-allow-origin"] == APP


def test_an_answer_to_another_origin_has_no_cors_headers(app_server: str) -> None:
    token = make_token("tenant-alpha")
    status, headers, _ = exchange(
        app_server, "GET", f"{LIST_SESSIONS_PATH}?take=1", [("Authorization", f"Bearer {token}"), ("Origin", OTHER)]
    )
    assert status == 200
    assert cors_headers(headers) == {}


def test_repeated_if_none_match_lines_reach_the_function_joined(app_server: str) -> None:
    """Two ``If-None-Match`` lines, one naming the current tag: joined with ``,`` the list names it whichever line
    holds it (a 304 both ways); a server keeping one line (the last, as a dict would) answers 200 to one order."""
    authorization = ("Authorization", f"Bearer {make_token('tenant-alpha')}")
    path = f"{LIST_SESSIONS_PATH}?take=3"
    status, headers, _ = exchange(app_server, "GET", path, [authorization])
    assert status == 200
    tag = headers["ETag"]
    for lines in ([tag, '"stale"'], ['"stale"', tag]):
        status, headers, body = exchange(
            app_server, "GET", path, [authorization, ("Origin", APP), *(("If-None-Match", line) for line in lines)]
        )
        assert (status, body) == (304, b"")
        assert headers["ETag"] == tag
        assert headers["Content-Length"] is None
        assert cors_headers(headers)["access-control-allow-origin"] == APP
        assert headers["apigw-requestid"]


# ---------------------------------------------------------------- a stub function: what reaches it, what it answers


class _Stub:
    """A function that answers the event it received as its JSON body, with CORS headers and cookies of its own."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def lambda_handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        body = json.dumps({"headers": event["headers"], "cookies": event.get("cookies")})
        return {
            "statusCode": 200,
            "headers": {
                "Content-Type": "application/json",
                "Access-Control-Allow-Origin": "https://function.example",
                "access-control-expose-headers": "x-secret",
                "Content-Encoding": "identity",
                "Link": '<https://api.test/next>; rel="next"',
                "X-Request-ID": event["requestContext"]["requestId"],
            },
            "cookies": ["a=1; Path=/", "b=2; Secure"],
            "body": base64.b64encode(body.encode()).decode(),
            "isBase64Encoded": True,
        }


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, _Stub]]:
    monkeypatch.setattr(local_server_module, "render", lambda function: "{}")
    function = _Stub()
    module = ModuleType("stub_function")
    module.lambda_handler = function.lambda_handler  # type: ignore[attr-defined]
    cors = CorsPolicy.from_template(cors_configuration(), [APP])
    http_server: ThreadingHTTPServer = local_server_module.make_server(module, "127.0.0.1", 0, cors=cors)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http_server.server_port}", function
    finally:
        http_server.shutdown()
        http_server.server_close()
        thread.join(timeout=10)


def test_the_function_headers_pass_but_its_cors_headers_are_dropped(stub: tuple[str, _Stub]) -> None:
    url, function = stub
    status, headers, body = exchange(url, "GET", LIST_SESSIONS_PATH, [("Origin", APP)])
    assert status == 200
    assert cors_headers(headers) == {
        "access-control-allow-origin": APP,
        "access-control-expose-headers": EXPOSED_HEADERS,
    }
    assert headers["Content-Encoding"] == "identity"
    assert headers["Link"] == '<https://api.test/next>; rel="next"'
    assert headers.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; Secure"]
    [event] = function.events
    assert headers["apigw-requestid"] == headers["X-Request-ID"] == event["requestContext"]["requestId"]
    assert json.loads(body)["headers"]["origin"] == APP  # the base64 body, decoded


def test_repeated_headers_and_cookies_reach_the_function_as_api_gateway_passes_them(stub: tuple[str, _Stub]) -> None:
    url, _ = stub
    status, _, body = exchange(
        url,
        "GET",
        LIST_SESSIONS_PATH,
        [
            ("If-None-Match", '"a"'),
            ("X-Custom", "one"),
            ("if-none-match", '"b", "c"'),
            ("Cookie", "session=abc; theme=dark"),
            ("Cookie", "lang=nb"),
        ],
    )
    assert status == 200
    received = json.loads(body)
    assert received["headers"]["if-none-match"] == '"a","b", "c"'
    assert received["headers"]["x-custom"] == "one"
    assert "cookie" not in received["headers"]
    assert received["cookies"] == ["session=abc", "theme=dark", "lang=nb"]
    assert received["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert received["headers"]["x-forwarded-proto"] == "http"
    assert received["headers"]["x-forwarded-port"] == str(urlsplit(url).port)


def test_without_an_allowed_origin_the_function_cors_headers_are_still_ignored(stub: tuple[str, _Stub]) -> None:
    url, _ = stub
    status, headers, _ = exchange(url, "GET", LIST_SESSIONS_PATH, [("Origin", OTHER)])
    assert status == 200
    assert cors_headers(headers) == {}


# ---------------------------------------------------------------- the local default: pages of this machine


@pytest.fixture(scope="module")
def default_server() -> Iterator[str]:
    with local_server("--no-demo") as url:
        yield url


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000"])
def test_by_default_a_browser_app_on_this_machine_may_call(default_server: str, origin: str) -> None:
    status, headers, _ = preflight(default_server, origin, requested="authorization, if-none-match, x-request-id")
    assert status == 204
    assert cors_headers(headers)["access-control-allow-origin"] == origin
    token = make_token("tenant-alpha")
    status, headers, _ = exchange(
        default_server, "GET", LIST_SESSIONS_PATH, [("Authorization", f"Bearer {token}"), ("Origin", origin)]
    )
    assert status == 200
    assert cors_headers(headers)["access-control-allow-origin"] == origin
    assert "x-request-id" in cors_headers(headers)["access-control-expose-headers"].split(",")


@pytest.mark.parametrize("origin", ["https://app.example.com", "http://localhost.evil.example", "null"])
def test_by_default_other_origins_get_no_cors(default_server: str, origin: str) -> None:
    status, headers, _ = preflight(default_server, origin, requested="authorization")
    assert status == 204
    assert cors_headers(headers) == {}
