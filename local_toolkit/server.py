"""The local HTTP server: turns each request into the API Gateway HTTP API event AWS would send, calls the
real Lambda handler, and answers what it returns. Serves the OpenAPI document and Swagger UI beside it.

LOCAL USE ONLY: bearer tokens are decoded WITHOUT verifying any signature (see ``gateway``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from .gateway import LOCAL_REMAINING_MILLIS, LambdaContext, decode_claims, http_api_event
from .openapi_document import render

FORWARDED_HEADERS = frozenset({"ETag", "Retry-After"})
"""Response headers of the function the local server passes on (besides the content type)."""


class _Handler(BaseHTTPRequestHandler):
    server_version = "charging-sessions-local"
    function: ModuleType
    openapi_json: str
    lock = threading.Lock()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/openapi.json":
            self._send(200, "application/json", self.openapi_json)
            return
        if url.path in ("/docs", "/docs/"):
            self._send(200, "text/html; charset=utf-8", _swagger_page())
            return
        if url.path in SWAGGER_ASSETS:
            file_name, content_type = SWAGGER_ASSETS[url.path]
            self._send(200, content_type, (_swagger_ui_directory() / file_name).read_bytes())
            return
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        event = http_api_event(
            path=url.path,
            raw_query=url.query,
            headers=headers,
            claims=decode_claims(headers.get("authorization")),
            body=body,
            source_ip=self.client_address[0],
        )
        with self.lock:  # one request at a time, as in one Lambda execution environment
            response = self.function.lambda_handler(event, LambdaContext(remaining_millis=LOCAL_REMAINING_MILLIS))
        response_headers = response.get("headers") or {}
        self._send(
            int(response["statusCode"]),
            response_headers.get("Content-Type", "application/json"),
            response.get("body") or "",
            {name: value for name, value in response_headers.items() if name in FORWARDED_HEADERS},
        )

    def _no_route(self) -> None:
        """Other methods: like API Gateway, which has only the GET route, answer 404 without calling the function."""
        self._send(404, "application/json", '{"success":false,"message":"Not found"}')

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = _no_route

    def _send(
        self, status: int, content_type: str, body: str | bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        payload = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        if status != 304:  # a 304 has no body, so no type or length of one
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        return  # the function's own structured logs say what happened


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


def make_server(function: ModuleType, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"function": function, "openapi_json": render(function)})
    return ThreadingHTTPServer((host, port), handler)
