"""What API Gateway hands the function: the HTTP API (payload 2.0) event, the Lambda context, the
JWT authorizer's claims. Built here the way AWS builds them, for the local server, ``invoke`` and tests.

LOCAL USE ONLY: bearer tokens are decoded WITHOUT verifying any signature. In AWS, API Gateway's JWT
authorizer verifies the token before the function runs; here anyone can mint a token for any namespace.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from charging_sessions.routes import LIST_SESSIONS_PATH

ROUTE_KEY = f"GET {LIST_SESSIONS_PATH}"
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


class _JsonNumber(str):
    """A JSON number kept as it is written in the token."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def claim_text(value: object) -> str:
    """A claim's value as API Gateway's HTTP API JWT authorizer passes it to the function: a string as it is,
    a number or boolean as its JSON text, an array as ``[a b]`` and an object as ``map[k:v]`` (keys sorted),
    nested values alike and null as ``<nil>``: Go's ``fmt`` rendering of the decoded token."""
    if isinstance(value, str):  # strings, and numbers kept as their text
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[" + " ".join(claim_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{claim_text(item)}" for key, item in sorted(value.items())) + "]"
    return str(value)


def decode_claims(authorization: str | None) -> dict[str, str] | None:
    """Claims of ``Authorization: Bearer <JWT>``, unverified; ``None`` when absent or malformed.

    Values are rendered the way API Gateway's JWT authorizer passes claims to the function (:func:`claim_text`)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    parts = authorization[7:].strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(
            base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)),
            parse_int=_JsonNumber,
            parse_float=_JsonNumber,
            parse_constant=_refuse_constant,
        )
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    return {str(k): claim_text(v) for k, v in payload.items()}


def token_is_current(claims: Mapping[str, str], now: float) -> bool:
    """Whether a token's ``exp`` (when it has one) is still ahead and its ``nbf`` (when it has one) behind, as API
    Gateway's JWT authorizer checks them; a claim that is not a number makes the token invalid."""
    try:
        expires = float(claims["exp"]) if "exp" in claims else None
        not_before = float(claims["nbf"]) if "nbf" in claims else None
    except ValueError:
        return False
    return (expires is None or now < expires) and (not_before is None or not_before <= now)


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
        "routeKey": ROUTE_KEY if path == LIST_SESSIONS_PATH else "$default",
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
    remaining_millis: int = 300_000
    """What ``get_remaining_time_in_millis`` answers: five minutes, not the deployed function's 10 s timeout,
    because the local emulation answers large pages in seconds where DynamoDB takes milliseconds (the request
    deadline is derived from it)."""

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


LOCAL_REMAINING_MILLIS = 300_000
"""The time budget the local server and ``invoke`` give each request: the local environment's DynamoDB read
timeout (30 s, for the slower emulation) must fit inside the request deadline with its retries."""
