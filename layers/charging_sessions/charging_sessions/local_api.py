"""Run the API on this machine with no cloud account and no Docker.

An embedded DynamoDB emulation (moto) holds a table created from ``template.yaml``; an HTTP server
turns each request into the API Gateway HTTP API (payload 2.0) event that AWS would send and calls the
real Lambda handler.

LOCAL USE ONLY: bearer tokens are decoded WITHOUT verifying any signature. In AWS, API Gateway's JWT
authorizer verifies the token before the function runs; here anyone can mint a token for any namespace.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROUTE = "/api/charging-sessions/list/for/namespace"
ROUTE_KEY = f"GET {ROUTE}"
LOCAL_TABLE = "charging-sessions-local"
LOCAL_ISSUER = "https://local.charging-sessions.invalid/"
LOCAL_AUDIENCE = "charging-sessions-local"
REGION = "eu-west-1"
WARNING = "LOCAL USE ONLY: bearer tokens are decoded without checking any signature."


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(
    namespace: str, *, claim: str = "namespaceId", subject: str = "local-user", lifetime: int = 86_400
) -> str:
    """An unsigned JWT (``alg: none``) carrying ``claim: namespace``, for the local server only."""
    now = int(time.time())
    claims = {
        claim: namespace,
        "sub": subject,
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "iat": now,
        "exp": now + lifetime,
    }
    header = {"alg": "none", "typ": "JWT"}
    return ".".join((_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode()), ""))


def decode_claims(authorization: str | None) -> dict[str, str] | None:
    """Claims of ``Authorization: Bearer <JWT>``, unverified; ``None`` when absent or malformed.

    Values are stringified the way API Gateway's JWT authorizer passes claims to the function."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    parts = authorization[7:].strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}


def http_api_event(
    *,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    claims: Mapping[str, str] | None,
    method: str = "GET",
    body: str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The API Gateway HTTP API payload 2.0 event for a request (repeated parameters comma-joined)."""
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    now = datetime.now(UTC)
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": headers.get("host", "localhost"),
        "domainPrefix": "localhost",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex[:16] + "=",
        "routeKey": ROUTE_KEY if path == ROUTE else "$default",
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": request_context["routeKey"],
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in query.items()}
    if body:
        event["body"] = body
    return event


@dataclass
class LambdaContext:
    """The parts of the Lambda context object that Powertools reads."""

    function_name: str = "ListSessionsFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:ListSessionsFunction"
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/ListSessionsFunction"
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def local_environment(endpoint_url: str | None, table_name: str = LOCAL_TABLE) -> dict[str, str]:
    """Environment the function sees locally: fake credentials, no X-Ray daemon, the emulated table."""
    environment = {
        "TABLE_NAME": table_name,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "charging-sessions",
        "POWERTOOLS_METRICS_NAMESPACE": "ChargingSessions",
    }
    if endpoint_url:
        environment["DYNAMODB_ENDPOINT_URL"] = endpoint_url
        # The emulation answers a 1,000-item page in seconds, not milliseconds: AWS-sized timeouts would fail it.
        environment["DYNAMODB_READ_TIMEOUT"] = "30"
    return environment


def prepare_table(
    sessions: Iterable[Mapping[str, Any]], *, endpoint_url: str | None, table_name: str = LOCAL_TABLE
) -> int:
    """Create the template's table in the emulation and load the sessions; returns how many."""
    from .aws_clients import dynamodb_client
    from .repository import SessionRepository
    from .settings import Settings
    from .template_table import create_table

    settings = Settings.model_validate({"TABLE_NAME": table_name, "DYNAMODB_ENDPOINT_URL": endpoint_url})
    client = dynamodb_client(settings)
    create_table(client, table_name)
    return SessionRepository(client, table_name).load(sessions)


def load_handler() -> ModuleType:
    """Import the function's module (after the environment is set: it reads its settings at import)."""
    import importlib

    return importlib.import_module("list_sessions.app")


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
            response = self.function.lambda_handler(event, LambdaContext())
        response_headers = response.get("headers") or {}
        self._send(
            int(response["statusCode"]),
            response_headers.get("Content-Type", "application/json"),
            response.get("body") or "",
        )

    def _no_route(self) -> None:
        """Other methods: like API Gateway, which has only the GET route, answer 404 without calling the function."""
        self._send(404, "application/json", '{"success":false,"message":"Not found"}')

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = _no_route

    def _send(self, status: int, content_type: str, body: str | bytes) -> None:
        payload = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
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
    from .openapi_document import render

    handler = type("Handler", (_Handler,), {"function": function, "openapi_json": render(function)})
    return ThreadingHTTPServer((host, port), handler)


def apply_environment(environment: Mapping[str, str]) -> None:
    os.environ.update(environment)
