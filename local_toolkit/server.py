"""The local HTTP server: turns each request into the API Gateway HTTP API event AWS would send, calls the
real Lambda handler, and answers what it returns. Serves the OpenAPI document and Swagger UI beside it.

Like API Gateway, it answers everything in JSON, with the error envelope ``{"success": false, "message": ...}``
where the function is not called: a method without a route (any method but GET; HEAD too, headers only) is 404;
a request http.server cannot parse (request line, version, overlong or too many headers), a request target
that is not valid UTF-8 or has broken percent-encoding, a malformed ``Content-Length`` is 400 (414, 431, 505
where those fit); a body over API Gateway's 10 MB payload limit is 413; a body the client never finishes
sending is 408. After such an error the connection is closed, once what the client still sends has been read
for a moment (an unread input would reset the connection and could lose the answer).

LOCAL USE ONLY: bearer tokens are decoded WITHOUT verifying any signature (see ``gateway``).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from .gateway import LOCAL_REMAINING_MILLIS, LambdaContext, decode_claims, http_api_event, token_is_current
from .openapi_document import render

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway HTTP APIs refuse payloads over 10 MB."""
REQUEST_TIMEOUT_SECONDS = 30
LINGER_SECONDS = 1.0
LINGER_BYTES = 16 * 1024 * 1024
NOT_FOUND = "Not found"
"""The function's own message for a path without a route (``http_edge``), used for methods without one."""
FOREIGN_HOST = "Forbidden: this local server answers only requests addressed to localhost or a loopback address"
STALE_TOKEN_MESSAGE = "Unauthorized: the token has expired or is not valid yet"  # noqa: S105 - a message, not a secret
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_ABSOLUTE = re.compile(r"https?://", re.IGNORECASE)


def envelope(message: str) -> str:
    """The API's error body."""
    return json.dumps({"success": False, "message": message}, separators=(",", ":"))


class _RefusedError(Exception):
    """The request cannot reach a route; answered with this status and message, then the connection closes."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _utf8(raw: bytes, what: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, f"Bad request: {what} is not valid UTF-8") from error


def request_target(raw_target: str) -> tuple[str, str]:
    """The path and query string of a request target as http.server read it (ISO-8859-1), refused unless it
    is origin- or absolute-form, UTF-8, without control characters, with well-formed percent-escapes.
    Raw non-ASCII bytes (valid UTF-8) are percent-encoded, as clients that send them mean."""
    raw = raw_target.encode("latin-1")
    _utf8(raw, "the request target")
    target = _NON_ASCII.sub(lambda match: f"%{match.group()[0]:02X}".encode("ascii"), raw).decode("ascii")
    if _CONTROL.search(target):
        raise _RefusedError(HTTPStatus.BAD_REQUEST, "Bad request: control characters in the request target")
    target = target.split("#", 1)[0]
    if target.startswith("/"):
        path, _, query = target.partition("?")
    elif _ABSOLUTE.match(target):
        url = urlsplit(target)
        path, query = url.path or "/", url.query
    else:
        raise _RefusedError(HTTPStatus.BAD_REQUEST, "Bad request: the request target is not a path")
    for part, what in ((path, "the path"), (query, "the query string")):
        if _BAD_ESCAPE.search(part):
            raise _RefusedError(HTTPStatus.BAD_REQUEST, f"Bad request: malformed percent-encoding in {what}")
        _utf8(unquote_to_bytes(part), f"{what}, percent-decoded,")
    return path, query


class _Handler(BaseHTTPRequestHandler):
    server_version = "charging-sessions-local"
    loopback_only = True
    """Answer only requests whose ``Host`` names this machine (off with ``--allow-remote``)."""
    timeout = REQUEST_TIMEOUT_SECONDS  # applied to the connection: a stalled client does not hold a thread
    function: ModuleType
    openapi_json: str
    lock = threading.Lock()
    _answered = False
    _linger = False

    def __getattr__(self, name: str) -> Callable[[], None]:
        """http.server calls ``do_<METHOD>`` and answers 501 in HTML when there is none: every method is
        dispatched here instead, whatever its name (QUERY, PROPFIND, ...)."""
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _dispatch(self) -> None:
        try:
            self._answer()
        except _RefusedError as refused:
            self.send_error(refused.status, refused.message)
        except Exception:  # the server must answer, whatever failed: API Gateway's 500
            sys.stderr.write(f"local server: failed to answer {self.command} {self.path!r}\n{traceback.format_exc()}")
            if self._answered:
                self.close_connection = True
            else:
                self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")

    def _answer(self) -> None:
        path, query = request_target(self.path)
        body = self._read_body()
        if self.loopback_only and not host_allowed(self.headers.get("Host")):
            # DNS rebinding: a web page on another name must not reach the loopback server through a browser
            self._send(HTTPStatus.FORBIDDEN, "application/json", envelope(FOREIGN_HOST))
            return
        if self.command in ("GET", "HEAD") and self._serve_document(path):
            return
        if self.command != "GET":
            # API Gateway has only the GET route: it answers other methods itself, without calling the function
            self._send(HTTPStatus.NOT_FOUND, "application/json", envelope(NOT_FOUND))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        claims = decode_claims(headers.get("authorization"))
        if claims is not None and not token_is_current(claims, time.time()):
            # API Gateway's JWT authorizer refuses such a token itself; the function never sees it
            refusal = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="the token has expired"'}
            self._send(HTTPStatus.UNAUTHORIZED, "application/json", envelope(STALE_TOKEN_MESSAGE), refusal)
            return
        event = http_api_event(
            path=path,
            raw_query=query,
            headers=headers,
            claims=claims,
            body=body.decode("utf-8", "replace") if body else None,
            source_ip=self.client_address[0],
        )
        with self.lock:  # one request at a time, as in one Lambda execution environment
            response = self.function.lambda_handler(event, LambdaContext(remaining_millis=LOCAL_REMAINING_MILLIS))
        response_headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
        content_type = next((v for k, v in response_headers.items() if k.lower() == "content-type"), None)
        others = {k: v for k, v in response_headers.items() if k.lower() not in ("content-type", "content-length")}
        payload: str | bytes = response.get("body") or ""
        if response.get("isBase64Encoded") and isinstance(payload, str):
            payload = base64.b64decode(payload)
        self._send(int(response["statusCode"]), content_type or "application/json", payload, others)

    def _serve_document(self, path: str) -> bool:
        if path == "/openapi.json":
            self._send(HTTPStatus.OK, "application/json", self.openapi_json)
        elif path in ("/docs", "/docs/"):
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", _swagger_page())
        elif path in SWAGGER_ASSETS:
            file_name, content_type = SWAGGER_ASSETS[path]
            self._send(HTTPStatus.OK, content_type, (_swagger_ui_directory() / file_name).read_bytes())
        else:
            return False
        return True

    def _read_body(self) -> bytes:
        """The request body by its ``Content-Length`` (API Gateway's limit applies); refused when the length is
        not one non-negative decimal number, or the body is framed by ``Transfer-Encoding``."""
        if self.headers.get("transfer-encoding") is not None:
            raise _RefusedError(HTTPStatus.LENGTH_REQUIRED, "Length required: send the body with a Content-Length")
        lengths = {value.strip() for value in self.headers.get_all("content-length") or []}
        if not lengths:
            return b""
        text = lengths.pop()
        if lengths or not re.fullmatch(r"[0-9]+", text, flags=re.ASCII):
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "Bad request: invalid Content-Length")
        if len(text) > 12 or int(text) > MAX_BODY_BYTES:
            raise _RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request too large: the payload limit is 10 MB")
        length = int(text)
        try:
            body = self.rfile.read(length)
        except TimeoutError as error:
            raise _RefusedError(HTTPStatus.REQUEST_TIMEOUT, "Request timeout: the body did not arrive") from error
        if len(body) < length:
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "Bad request: the body is shorter than its Content-Length")
        return body

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every error, http.server's own (bad request line, version, overlong or too many headers) and ours:
        the JSON envelope, with a status line even when the request line was not HTTP/1.x, then close."""
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        if self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
            self.request_version = "HTTP/1.0"  # http.server writes no status line or headers for HTTP/0.9
        self.close_connection = True
        self._linger = True
        self._send(status, "application/json", envelope(message or status.phrase), {"Connection": "close"})

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # a bare "GET /path" line: API Gateway speaks HTTP/1.1 and 2
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request: HTTP/0.9 is not supported")
            return False
        return True

    def _send(self, status: int, content_type: str, body: str | bytes, headers: dict[str, str] | None = None) -> None:
        """One answer; without a body for HEAD (its headers are those of the same GET)."""
        payload = body.encode("utf-8") if isinstance(body, str) else body
        self._answered = True
        self.send_response(status)
        if status != 304:  # a 304 has no body, so no type or length of one
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def finish(self) -> None:
        super().finish()
        if self._linger:
            _linger(self.connection)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        return  # the function's own structured logs say what happened


def _linger(connection: socket.socket) -> None:
    """Before the server closes a connection after an error: tell the client the answer is complete, then
    read (and drop) what it still sends, for a moment. Closing a socket with unread input resets the
    connection, and the client could lose the answer it has not read yet."""
    deadline = time.monotonic() + LINGER_SECONDS
    drained = 0
    try:
        connection.shutdown(socket.SHUT_WR)
        while drained < LINGER_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            connection.settimeout(remaining)
            chunk = connection.recv(65536)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:
        return


SWAGGER_ASSETS = {
    "/docs/swagger-ui-bundle.min.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    "/docs/swagger-ui.min.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
}
"""Swagger UI's files, served from the copy Powertools ships (no CDN: the local server works offline)."""


def _swagger_ui_directory() -> Path:
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    return Path(swagger_ui.__file__).parent


def _swagger_page() -> str:
    return """<!doctype html><html><head><meta charset="utf-8"><title>Charging sessions API</title>
<link rel="stylesheet" href="/docs/swagger-ui.min.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.min.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});</script>
</body></html>"""


def is_loopback(host: str) -> bool:
    """Whether the server would listen on this machine only: ``localhost`` or a loopback address
    (127.0.0.0/8, ``::1``). An empty host or ``0.0.0.0`` listens everywhere."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ipv6(host: str) -> bool:
    return ":" in host


def base_url(host: str, port: int) -> str:
    host = host.strip().strip("[]")
    return f"http://[{host}]:{port}" if _is_ipv6(host) else f"http://{host}:{port}"


def host_allowed(value: str | None) -> bool:
    """Whether a request's ``Host`` may reach the loopback server: it names this machine (``localhost`` or a loopback
    address, with or without a port), or there is none (no browser sends a request without one, so DNS rebinding
    cannot leave it out)."""
    if not value:
        return True
    host = value.strip()
    if host.startswith("["):  # [::1]:3000
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:  # 127.0.0.1:3000, localhost:3000
        host = host.partition(":")[0]
    return is_loopback(host)


def make_server(function: ModuleType, host: str, port: int, *, loopback_only: bool = True) -> ThreadingHTTPServer:
    host = host.strip().strip("[]")
    attributes = {"function": function, "openapi_json": render(function), "loopback_only": loopback_only}
    handler = type("Handler", (_Handler,), attributes)
    server_class = type(
        "Server",
        (ThreadingHTTPServer,),
        {"address_family": socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET},
    )
    server: ThreadingHTTPServer = server_class((host, port), handler)
    return server
