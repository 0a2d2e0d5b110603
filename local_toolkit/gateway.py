"""What API Gateway hands the function: the HTTP API (payload 2.0) event, the Lambda context, the
JWT authorizer's claims; and what it answers itself: CORS (:class:`CorsPolicy`). Built here the way AWS builds
them, for the local server, ``invoke`` and tests.

LOCAL USE ONLY: bearer tokens are decoded WITHOUT verifying any signature. In AWS, API Gateway's JWT
authorizer verifies the token before the function runs; here anyone can mint a token for any namespace.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
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


def new_request_id() -> str:
    """A request id in the shape of API Gateway's (``requestContext.requestId``, the ``apigw-requestid`` header)."""
    return uuid.uuid4().hex[:16] + "="


HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]
"""Request headers as received: a mapping, or (name, value) pairs in the order sent, a name possibly repeated."""


def event_headers(headers: HeaderInput) -> tuple[dict[str, str], list[str]]:
    """The ``headers`` and ``cookies`` of a payload 2.0 event, from the request's headers: names lower-cased, the
    values of a repeated header joined with ``,`` in the order sent; ``Cookie`` headers left out of ``headers``,
    their cookies listed one by one in ``cookies`` (split on ``;``, in the order sent)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    joined: dict[str, list[str]] = {}
    cookies: list[str] = []
    for name, value in pairs:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            joined.setdefault(key, []).append(value)
    return {key: ",".join(values) for key, values in joined.items()}, cookies


def http_api_event(
    *,
    path: str,
    raw_query: str,
    headers: HeaderInput,
    claims: Mapping[str, str] | None,
    method: str = "GET",
    body: str | None = None,
    source_ip: str = "127.0.0.1",
    forwarded_proto: str = "https",
    forwarded_port: int = 443,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload 2.0 event for a request: repeated headers and query parameters
    comma-joined, cookies in ``cookies`` (:func:`event_headers`), and the headers API Gateway adds itself:
    ``x-forwarded-for`` (the source IP, after any the client sent), ``x-forwarded-proto`` and
    ``x-forwarded-port`` (in AWS ``https`` and 443; the local server passes ``http`` and its port)."""
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    received, cookies = event_headers(headers)
    forwarded_for = received.get("x-forwarded-for")
    received["x-forwarded-for"] = f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip
    received["x-forwarded-proto"] = forwarded_proto
    received["x-forwarded-port"] = str(forwarded_port)
    now = datetime.now(UTC)
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": received.get("host", "localhost"),
        "domainPrefix": "localhost",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": received.get("user-agent", ""),
        },
        "requestId": request_id or new_request_id(),
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
        "headers": received,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in query.items()}
    if body:
        event["body"] = body
    return event


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(value.strip().lower() for value in values if value.strip())


LOOPBACK_ORIGINS = "loopback"
"""An allowed origin of the local server's own: every page served from this machine (``http://localhost:5173``,
``http://127.0.0.1:8080``, ``http://[::1]``), what a browser app in development runs on. Not a template value."""


def is_loopback_origin(origin: str) -> bool:
    """Whether ``origin`` (``scheme://host[:port]``) is a web page served from this machine."""
    scheme, separator, rest = origin.partition("://")
    if scheme not in ("http", "https") or not separator or "/" in rest:
        return False
    bracketed = rest.startswith("[") and "]" in rest  # [::1]:3000, else localhost:5173 or 127.0.0.1
    host = rest[1 : rest.find("]")] if bracketed else rest.partition(":")[0]
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CorsPolicy:
    """The HTTP API's CORS configuration, answered as API Gateway answers it: preflights (``OPTIONS`` with ``Origin``
    and ``Access-Control-Request-Method``) by the gateway itself, never the function; the CORS headers of every
    other answer to an allowed ``Origin`` set by the gateway, those of the function ignored.

    The lists are the template's ``CorsConfiguration`` (:meth:`from_template`); the origins are the deployment's
    (``CorsAllowedOrigins``), here given by whoever runs the local server."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def __post_init__(self) -> None:
        if not self.allow_origins:
            raise ValueError("CORS needs at least one allowed origin")
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError("API Gateway refuses AllowCredentials with the origin '*': name the origins instead")

    @classmethod
    def from_template(cls, configuration: Mapping[str, Any], origins: Sequence[str]) -> CorsPolicy:
        """The policy of a template's ``CorsConfiguration`` (as ``template_table.cors_configuration`` reads it) for
        these origins; its own ``AllowOrigins`` (a reference to the deployment's parameter) is not read."""

        def texts(key: str) -> tuple[str, ...]:
            value = configuration.get(key, [])
            if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
                raise ValueError(f"CorsConfiguration {key} must be a literal list, not {value!r}")
            return tuple(str(item) for item in value)

        max_age = configuration.get("MaxAge")
        credentials = configuration.get("AllowCredentials", False)
        if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)):
            raise ValueError(f"CorsConfiguration MaxAge must be a literal number, not {max_age!r}")
        if not isinstance(credentials, bool):
            raise ValueError(f"CorsConfiguration AllowCredentials must be a literal boolean, not {credentials!r}")
        return cls(
            allow_origins=tuple(origins),
            allow_methods=texts("AllowMethods"),
            allow_headers=texts("AllowHeaders"),
            expose_headers=texts("ExposeHeaders"),
            max_age=max_age,
            allow_credentials=credentials,
        )

    def allowed_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` answered to a request from ``origin``: ``*`` when any origin is
        allowed, the origin itself when it is listed (compared exactly), ``None`` when it is not allowed or absent."""
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*"
        if LOOPBACK_ORIGINS in self.allow_origins and is_loopback_origin(origin):
            return origin
        return origin if origin in self.allow_origins else None

    def is_preflight(self, method: str, headers: Mapping[str, str]) -> bool:
        """Whether a request is a preflight the gateway answers: ``OPTIONS`` with ``Origin`` and
        ``Access-Control-Request-Method`` (header names lower-cased)."""
        return method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers

    def preflight_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The CORS headers of the gateway's 204 to a preflight (header names lower-cased): all of them when the
        origin, the requested method and every requested header (case-insensitive) are allowed; none otherwise,
        and the browser refuses the request."""
        allowed = self.allowed_origin(headers.get("origin"))
        method = headers.get("access-control-request-method", "").strip()
        requested = _names(headers.get("access-control-request-headers", "").split(","))
        methods = {name.upper() for name in self.allow_methods}
        header_names = _names(self.allow_headers)
        if (
            allowed is None
            or not ("*" in methods or method.upper() in methods)
            or not ("*" in header_names or requested <= header_names)
        ):
            return {}
        answer = self._origin_headers(allowed)
        if self.allow_methods:
            answer["Access-Control-Allow-Methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            answer["Access-Control-Allow-Headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            answer["Access-Control-Max-Age"] = str(self.max_age)
        return answer

    def _origin_headers(self, allowed: str) -> dict[str, str]:
        """What every CORS answer to an allowed origin starts with: the origin, and credentials when allowed."""
        answer = {"Access-Control-Allow-Origin": allowed}
        if self.allow_credentials:
            answer["Access-Control-Allow-Credentials"] = "true"
        return answer

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """The CORS headers the gateway adds to any other answer for a request from ``origin``: none when the
        origin is not allowed."""
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return {}
        answer = self._origin_headers(allowed)
        if self.expose_headers:
            answer["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        return answer


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
