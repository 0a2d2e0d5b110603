"""The local HTTP server: turns each request into the API Gateway HTTP API event AWS would send, calls the
real Lambda handler, and answers what it returns. Serves the OpenAPI document and Swagger UI beside it.

Like API Gateway, it answers everything in JSON, with the error envelope ``{"success": false, "message": ...}``
where the function is not called: a method without a route (any method but GET; HEAD too, headers only) is 404;
a request http.server cannot parse (request line, version, overlong or too many headers), a request target
that is not valid UTF-8 or has broken percent-encoding, a malformed ``Content-Length`` is 400 (414, 431, 505
where those fit); a body over API Gateway's 10 MB payload limit is 413; a body the client never finishes
sending is 408. After such an error the connection is closed, once what the client still sends has been read
for a moment (an unread input would reset the connection and could lose the answer).

Headers pass as API Gateway passes them: a repeated request header reaches the function comma-joined, cookies in
the event's ``cookies``, with the ``x-forwarded-*`` headers the gateway adds; the function's response headers
are answered as they are, its ``cookies`` as ``Set-Cookie``, with the gateway's ``apigw-requestid`` (the event's
``requestId``). With a CORS policy (``serve --cors-origin``; the lists are the template's ``CorsConfiguration``)
preflights are answered 204 by the gateway, never the function, and every other answer to an allowed ``Origin``
carries the gateway's CORS headers instead of the function's.

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
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from .gateway import (
    LOCAL_REMAINING_MILLIS,
    CorsPolicy,
    LambdaContext,
    decode_claims,
    event_headers,
    http_api_event,
    new_request_id,
    token_is_current,
)
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


Headers = Mapping[str, str] | Iterable[tuple[str, str]]
"""Response headers: a mapping, or (name, value) pairs where a name may repeat (``Set-Cookie``)."""


def envelope(message: str) -> str:
    """The API's error body."""
    return json.dumps({"success": False, "message": message}, separators=(",", ":"))


def function_answer(
    response: Mapping[str, Any], *, cors_configured: bool
) -> tuple[int, str, bytes, list[tuple[str, str]]]:
    """The HTTP answer API Gateway makes of the function's (payload 2.0) response: its status; its content type
    (JSON when it gives none); its body (base64 decoded when so marked); its other headers as they are, but for
    ``Content-Length`` (the gateway's own) and, when CORS is configured, ``Access-Control-*`` (the gateway's
    configuration decides those), followed by one ``Set-Cookie`` a cookie of its ``cookies``."""
    headers = [(str(name), str(value)) for name, value in (response.get("headers") or {}).items()]
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "application/json")
    dropped = ("content-type", "content-length")
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() not in dropped and not (cors_configured and name.lower().startswith("access-control-"))
    ]
    kept.extend(("Set-Cookie", str(cookie)) for cookie in response.get("cookies") or [])
    body = response.get("body") or ""
    payload = base64.b64decode(body) if response.get("isBase64Encoded") and isinstance(body, str) else body
    return (
        int(response["statusCode"]),
        content_type,
        payload.encode("utf-8") if isinstance(payload, str) else payload,
        kept,
    )


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
    cors: CorsPolicy | None = None
    """The HTTP API's CORS policy (``--cors-origin``); ``None``: no CORS, as the template without origins."""
    lock = threading.Lock()
    _answered = False
    _linger = False
    _request_id: str | None = None
    """The id of the request being answered (the event's ``requestId``): sent back as ``apigw-requestid``."""

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
        self._request_id = new_request_id()
        headers, _ = event_headers(self.headers.items())
        if self.cors is not None and self.cors.is_preflight(self.command, headers):
            # API Gateway answers a preflight itself, whatever the path, without calling the function
            self._send(HTTPStatus.NO_CONTENT, "", b"", self.cors.preflight_headers(headers))
            return
        if self.command in ("GET", "HEAD") and self._serve_document(path):
            return
        cors = self.cors.response_headers(headers.get("origin")) if self.cors is not None else {}
        if self.command != "GET":
            # API Gateway has only the GET route: it answers other methods itself, without calling the function
            self._send(HTTPStatus.NOT_FOUND, "application/json", envelope(NOT_FOUND), cors)
            return
        claims = decode_claims(headers.get("authorization"))
        if claims is not None and not token_is_current(claims, time.time()):
            # API Gateway's JWT authorizer refuses such a token itself; the function never sees it
            refusal = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="the token has expired"'}
            self._send(HTTPStatus.UNAUTHORIZED, "application/json", envelope(STALE_TOKEN_MESSAGE), refusal | cors)
            return
        event = http_api_event(
            path=path,
            raw_query=query,
            headers=self.headers.items(),
            claims=claims,
            body=body.decode("utf-8", "replace") if body else None,
            source_ip=self.client_address[0],
            forwarded_proto="http",
            forwarded_port=int(self.connection.getsockname()[1]),
            request_id=self._request_id,
        )
        with self.lock:  # one request at a time, as in one Lambda execution environment
            response = self.function.lambda_handler(event, LambdaContext(remaining_millis=LOCAL_REMAINING_MILLIS))
        status, content_type, payload, answered = function_answer(response, cors_configured=self.cors is not None)
        self._send(status, content_type, payload, [*answered, *cors.items()])

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

    def _send(self, status: int, content_type: str, body: str | bytes, headers: Headers | None = None) -> None:
        """One answer, with the gateway's ``apigw-requestid``; without a body for HEAD (its headers are those of the
        same GET), nor for a 204 or 304 (nor a type or length of one)."""
        payload = body.encode("utf-8") if isinstance(body, str) else body
        self._answered = True
        self.send_response(status)
        bodiless = status in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)
        if not bodiless:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items() if isinstance(headers, Mapping) else headers or ():
            self.send_header(name, value)
        self.send_header("apigw-requestid", self._request_id or new_request_id())
        self._request_id = None  # one answer a request: the next request on the connection has its own
        self.end_headers()
        if self.command != "HEAD" and not bodiless:
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


def make_server(
    function: ModuleType, host: str, port: int, *, loopback_only: bool = True, cors: CorsPolicy | None = None
) -> ThreadingHTTPServer:
    """The local server of ``function`` on ``host:port`` (port 0: any free one); ``cors``: the HTTP API's CORS
    policy, ``None`` for none (the template's default, without origins)."""
    host = host.strip().strip("[]")
    attributes = {"function": function, "openapi_json": render(function), "loopback_only": loopback_only, "cors": cors}
    handler = type("Handler", (_Handler,), attributes)
    server_class = type(
        "Server",
        (ThreadingHTTPServer,),
        {"address_family": socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET},
    )
    server: ThreadingHTTPServer = server_class((host, port), handler)
    return server
