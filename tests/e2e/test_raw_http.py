"""The local server over a raw socket, as API Gateway would answer: every method and every malformed request
gets an HTTP response whose body is the JSON error envelope (HEAD: the headers only), never http.server's
HTML and never a dropped connection."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from charging_sessions.routes import LIST_SESSIONS_PATH
from local_toolkit.gateway import make_token
from tests.local_server import local_server

pytestmark = pytest.mark.e2e

ROUTE = LIST_SESSIONS_PATH.encode()
NOT_FOUND = {"success": False, "message": "Not found"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def envelope(self) -> dict[str, object]:
        """The body, which must be the JSON error envelope with a non-empty message."""
        assert self.headers.get("content-type") == "application/json", self.headers
        assert int(self.headers["content-length"]) == len(self.body)
        body = json.loads(self.body)
        assert {"success", "message"} <= set(body) <= {"success", "message", "code", "errors"}, body
        assert body["success"] is False
        assert isinstance(body["message"], str)
        assert body["message"].strip()
        return dict(body)


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    with local_server("--no-demo") as url:
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        yield parts.hostname, parts.port


def exchange(address: tuple[str, int], request: bytes, *, shut_write: bool = False) -> Answer:
    """Sends the bytes, reads until the server closes; the response must be a complete HTTP response
    (a reset or an empty read fails the test: the connection was dropped)."""
    with socket.create_connection(address, timeout=30) as connection:
        connection.sendall(request)
        if shut_write:
            connection.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return parse(received)


def parse(received: bytes) -> Answer:
    head, separator, body = received.partition(b"\r\n\r\n")
    assert separator, f"not an HTTP response: {received[:200]!r}"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    match = re.fullmatch(r"HTTP/1\.[01] (\d{3}) .+", status_line)
    assert match, f"no status line: {status_line!r}"
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(match.group(1)), headers, body)


@pytest.mark.parametrize("method", [b"QUERY", b"PROPFIND", b"SEARCH", b"FOO-BAR", b"get", b"CONNECT"])
def test_any_method_without_a_route_is_404_in_json(address: tuple[str, int], method: bytes) -> None:
    answer = exchange(address, method + b" " + ROUTE + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.status == 404
    assert answer.envelope() == NOT_FOUND


def test_a_body_sent_with_another_method_is_read_and_answered(address: tuple[str, int]) -> None:
    body = b"x" * 1_000_000
    answer = exchange(address, b"POST " + ROUTE + b" HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert answer.status == 404
    assert answer.envelope() == NOT_FOUND


def test_head_on_the_route_answers_the_404_headers_without_a_body(address: tuple[str, int]) -> None:
    token = make_token("tenant-alpha").encode()
    answer = exchange(address, b"HEAD " + ROUTE + b" HTTP/1.1\r\nAuthorization: Bearer " + token + b"\r\n\r\n")
    assert answer.status == 404
    assert answer.headers["content-type"] == "application/json"
    assert int(answer.headers["content-length"]) == len(json.dumps(NOT_FOUND, separators=(",", ":")))
    assert answer.body == b""


def test_head_on_the_openapi_document_answers_its_headers_without_a_body(address: tuple[str, int]) -> None:
    document = exchange(address, b"GET /openapi.json HTTP/1.1\r\n\r\n")
    head = exchange(address, b"HEAD /openapi.json HTTP/1.1\r\n\r\n")
    assert (document.status, head.status) == (200, 200)
    assert head.body == b""
    assert head.headers["content-length"] == document.headers["content-length"] == str(len(document.body))
    assert head.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("length_headers", "status"),
    [
        (b"Content-Length: abc\r\n", 400),
        (b"Content-Length: -1\r\n", 400),
        (b"Content-Length: +5\r\n", 400),
        (b"Content-Length: 1e3\r\n", 400),
        (b"Content-Length: 0x10\r\n", 400),
        (b"Content-Length: \r\n", 400),
        (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400),
        (b"Content-Length: 99999999999999999999999999\r\n", 413),
        (b"Content-Length: " + b"9" * 5000 + b"\r\n", 413),
        (b"Content-Length: 10485761\r\n", 413),
        (b"Transfer-Encoding: chunked\r\n", 411),
    ],
)
def test_a_malformed_content_length_is_answered_in_json(
    address: tuple[str, int], length_headers: bytes, status: int
) -> None:
    answer = exchange(address, b"GET " + ROUTE + b" HTTP/1.1\r\n" + length_headers + b"\r\nhello")
    assert answer.status == status
    assert answer.envelope()["message"]
    assert answer.headers.get("connection") == "close"


def test_a_body_shorter_than_its_content_length_is_answered(address: tuple[str, int]) -> None:
    answer = exchange(address, b"GET " + ROUTE + b" HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", shut_write=True)
    assert answer.status == 400
    assert "shorter" in str(answer.envelope()["message"])


def test_a_body_over_the_payload_limit_is_refused_while_it_is_still_being_sent(address: tuple[str, int]) -> None:
    size = 12 * 1024 * 1024
    with socket.create_connection(address, timeout=30) as connection:
        connection.sendall(b"POST " + ROUTE + b" HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % size)

        def send_body() -> None:
            # the server may stop reading once it has answered: the answer is what counts
            with contextlib.suppress(OSError):
                connection.sendall(b"y" * size)

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        sender.join(timeout=30)
    answer = parse(received)
    assert answer.status == 413
    assert answer.envelope()["message"]


@pytest.mark.parametrize(
    "request_line",
    [
        b"garbage",
        b"\x00\x01\x02 \xff\xfe",
        b"GET",
        b"GET " + ROUTE + b" HTTP/1.1 extra",
        b"GET " + ROUTE + b" HTTX/1.1",
        b"GET " + ROUTE + b" HTTP/1.x",
        b"GET " + ROUTE,  # HTTP/0.9: still answered with a status line and headers
        b"POST /x",
        b"GET * HTTP/1.1",
        b"GET relative/path HTTP/1.1",
    ],
)
def test_a_garbage_request_line_is_answered_in_json(address: tuple[str, int], request_line: bytes) -> None:
    answer = exchange(address, request_line + b"\r\n\r\n")
    assert answer.status == 400
    assert answer.envelope()["message"]


def test_an_unsupported_http_version_is_answered_in_json(address: tuple[str, int]) -> None:
    answer = exchange(address, b"GET " + ROUTE + b" HTTP/2.0\r\n\r\n")
    assert answer.status == 505
    assert answer.envelope()["message"]


@pytest.mark.parametrize(
    "target",
    [
        ROUTE + b"/\xff\xfe",  # raw bytes that are not UTF-8
        b"/\xc3\x28",
        ROUTE + b"?userId=%C3%28",  # percent-encoded bytes that are not UTF-8
        ROUTE + b"?take=%FF",
        ROUTE + b"?take=%G1",  # not a percent-escape
        ROUTE + b"?userId=100%",
        b"/api/%zz",
        ROUTE + b"?userId=a\x01b",  # a control character
    ],
)
def test_a_target_that_is_not_utf8_or_well_escaped_is_answered_in_json(address: tuple[str, int], target: bytes) -> None:
    answer = exchange(address, b"GET " + target + b" HTTP/1.1\r\n\r\n")
    assert answer.status == 400
    assert answer.envelope()["message"]


def test_a_raw_utf8_path_reaches_the_function(address: tuple[str, int]) -> None:
    token = make_token("tenant-alpha").encode()
    answer = exchange(address, b"GET /caf\xc3\xa9 HTTP/1.1\r\nAuthorization: Bearer " + token + b"\r\n\r\n")
    assert answer.status == 404
    assert answer.envelope() == {**NOT_FOUND, "code": "not_found"}  # the function's own 404: it has a code


def test_a_well_formed_request_still_reaches_the_function(address: tuple[str, int]) -> None:
    token = make_token("tenant-alpha").encode()
    answer = exchange(
        address, b"GET " + ROUTE + b"?take=0&userId=caf%C3%A9 HTTP/1.1\r\nAuthorization: Bearer " + token + b"\r\n\r\n"
    )
    assert answer.status == 200
    assert json.loads(answer.body) == {"success": True, "chargingSessions": [], "count": 0}


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET " + ROUTE + b" HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET " + ROUTE + b" HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n", 431),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
)
def test_overlong_requests_are_answered_in_json(address: tuple[str, int], request_bytes: bytes, status: int) -> None:
    answer = exchange(address, request_bytes)
    assert answer.status == status
    assert answer.envelope()["message"]


def test_the_server_keeps_answering_after_malformed_requests(address: tuple[str, int]) -> None:
    for request in (b"garbage\r\n\r\n", b"QUERY / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"):
        exchange(address, request)
    token = make_token("tenant-alpha").encode()
    answer = exchange(address, b"GET " + ROUTE + b"?take=0 HTTP/1.1\r\nAuthorization: Bearer " + token + b"\r\n\r\n")
    assert answer.status == 200


@pytest.mark.parametrize("host", [b"evil.example", b"evil.example:3000", b"127.0.0.1.nip.io", b"10.0.0.8"])
def test_a_request_addressed_to_another_host_name_is_refused(address: tuple[str, int], host: bytes) -> None:
    """DNS rebinding: a page on another name, resolved to 127.0.0.1, must not read the local API through a browser."""
    token = make_token("tenant-alpha").encode()
    request = b"GET " + ROUTE + b" HTTP/1.1\r\nHost: " + host + b"\r\nAuthorization: Bearer " + token + b"\r\n\r\n"
    answer = exchange(address, request)
    assert answer.status == 403
    assert "localhost" in str(answer.envelope()["message"])


@pytest.mark.parametrize("host", [b"localhost", b"localhost:3000", b"127.0.0.1", b"127.0.0.1:8080", b"[::1]:3000"])
def test_loopback_host_names_reach_the_function(address: tuple[str, int], host: bytes) -> None:
    token = make_token("tenant-alpha").encode()
    request = b"GET " + ROUTE + b" HTTP/1.1\r\nHost: " + host + b"\r\nAuthorization: Bearer " + token + b"\r\n\r\n"
    assert exchange(address, request).status == 200


@pytest.mark.parametrize("lifetime", [-1, -86_400])
def test_an_expired_token_is_refused_before_the_function(address: tuple[str, int], lifetime: int) -> None:
    """As API Gateway's JWT authorizer: 401 with WWW-Authenticate, the function is not called (no namespace check)."""
    token = make_token("tenant-alpha", lifetime=lifetime).encode()
    request = b"GET " + ROUTE + b" HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token + b"\r\n\r\n"
    answer = exchange(address, request)
    assert answer.status == 401
    assert answer.headers["www-authenticate"].startswith("Bearer error=")
    assert "expired" in str(answer.envelope()["message"])
