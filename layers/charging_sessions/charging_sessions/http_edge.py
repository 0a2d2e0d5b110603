"""The HTTP edge as one policy: who the caller is, which parameters a route takes, and how every refusal and fault
is answered (the error envelope and its OpenAPI description). Its checks run in a fixed order, written once in
:meth:`HttpEdge.admit` (``docs/design.md``, "The edge's order")."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from .conditional import ETAG_HEADER, not_modified
from .cursor import CursorError
from .cursor_secret import CursorKeysUnavailable
from .deadline import DeadlineExceeded
from .models import MAX_ID_CHARS, ErrorResponse, dump_json
from .observability import MetricName, count, logger
from .storage.reader import DeepSkipError
from .tenant_limits import TenantThrottled

THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "LimitExceededException"}
)
INTERNAL_ERROR_MESSAGE = "Internal server error"
UNAVAILABLE_MESSAGE = "Service unavailable: the request ran out of time; retry later"
THROTTLED_MESSAGE = "Too many requests: this namespace has used its read capacity for now; retry after Retry-After"
KEYS_UNAVAILABLE_MESSAGE = "Service unavailable: cursors cannot be signed or checked right now; retry later"
RETRY_AFTER_SECONDS = 1
UNAUTHORIZED_MESSAGE = "Unauthorized: the caller's identity carries no usable namespace"


def _envelope(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorResponse}}}


ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    400: _envelope("A query parameter is invalid"),
    401: _envelope("No usable namespace in the caller's identity"),
    429: _envelope("The namespace has used its read capacity for now; retry after `Retry-After` seconds"),
    500: _envelope("Response for status internalServerError"),
    503: _envelope(
        "The request ran out of time (DynamoDB throttled or slow), or cursors cannot be signed right now; retry after "
        "`Retry-After` seconds"
    ),
}
"""The OpenAPI responses every route of this edge can give besides its own: the error envelope."""

ETAG_RESPONSE_HEADERS: dict[str, OpenAPIResponseHeader] = {
    ETAG_HEADER: {
        "description": (
            "Strong entity tag of this answer (a hash over the namespace, the query as validated and the body); "
            "send it back in `If-None-Match` to be answered 304 while the answer is unchanged."
        ),
        "schema": {"type": "string"},
    }
}
NOT_MODIFIED_RESPONSE: OpenAPIResponse = {
    "description": (
        "Not modified: `If-None-Match` holds this answer's entity tag (or `*`); no body, the `ETag` header only"
    ),
    "headers": ETAG_RESPONSE_HEADERS,
    "content": {},  # without it Powertools would document the route's return type; the document drops it
}
"""A route's 304: a response without content, carrying the tag."""


def conditional_responses(model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route answered by :func:`conditional_response`: 200 with ``model`` and its entity
    tag, 304 with the tag alone."""
    ok: OpenAPIResponse = {
        "description": "Response for status ok",
        "headers": ETAG_RESPONSE_HEADERS,
        "content": {"application/json": {"model": model}},
    }
    return {200: ok, 304: NOT_MODIFIED_RESPONSE}


NAMESPACE_CONTEXT_KEY = "namespace"
"""Where the resolver's context holds the caller's namespace once the edge has admitted the request."""

RouteFunction = TypeVar("RouteFunction", bound=Callable[..., Any])


class UnauthorizedError(Exception):
    """The request carries no usable namespace claim."""


class BadRequestError(Exception):
    """The request is malformed in a way the parameter validation does not see."""


def json_response(status_code: int, body: BaseModel, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status_code, content_type=content_types.APPLICATION_JSON, body=dump_json(body), headers=headers
    )


def conditional_response(body: str, tag: str, if_none_match: str | None) -> Response[Any]:
    """A 200 with ``body`` and its entity tag, or 304 (no body, the tag) when ``If-None-Match`` holds the tag."""
    if not_modified(if_none_match, tag):
        return Response(status_code=304, headers={ETAG_HEADER: tag})
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body, headers={ETAG_HEADER: tag})


def error_response(status_code: int, message: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return json_response(status_code, ErrorResponse(message=message), headers)


def is_stringified_structure(value: str) -> bool:
    """Whether a claim value is an array or an object as API Gateway's HTTP API JWT authorizer passes it.

    The authorizer hands every claim to the function as a string and writes non-string claims in Go's
    notation: an array as ``[a b]`` (``[]`` when empty), an object as ``map[k:v]`` (``map[]``). The rule,
    exactly: a value that starts with ``[`` and ends with ``]``, or starts with ``map[`` and ends with ``]``,
    is such a structure. Brackets anywhere else (``a[b]c``, ``[abc``, ``abc]``) are ordinary characters."""
    return value.endswith("]") and value.startswith(("[", "map["))


def caller_namespace(event: APIGatewayProxyEventV2, claim: str) -> str:
    """The namespace from the claims API Gateway's JWT authorizer verified; nothing else selects it.

    Refused (:class:`UnauthorizedError`): a missing claim, one that is not a string, empty, longer than
    ``MAX_ID_CHARS``, with non-printable characters, or an array or object claim
    (:func:`is_stringified_structure`): a namespace is one string, never a list or a map to pick from."""
    authorizer = event.request_context.authorizer
    claims: Mapping[str, Any] = (authorizer.jwt_claim if authorizer else None) or {}
    value = claims.get(claim)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS or not value.isprintable():
        raise UnauthorizedError(f"claim {claim!r} is missing or unusable")
    if is_stringified_structure(value):
        raise UnauthorizedError(f"claim {claim!r} is an array or an object, not one namespace")
    return value


def given_parameter_names(event: APIGatewayProxyEventV2) -> list[str]:
    """The query parameter names a request gives, in order, repeated ones as often as given (from the raw query
    string: API Gateway's parsed parameters join repeated values)."""
    raw = event.raw_query_string or ""
    return [name for name, _ in parse_qsl(raw, keep_blank_values=True)] if raw else list(event.query_string_parameters)


def unexpected_parameters(names: list[str], allowed: Collection[str]) -> list[str]:
    """The names among ``names`` a route does not take, once each, in the order given."""
    return list(dict.fromkeys(name for name in names if name not in allowed))


def describe_unexpected(names: list[str]) -> str:
    listed = ", ".join(f"'{name}'" for name in names)
    hint = " (the namespace comes from your credentials, not from the query)" if "namespaceId" in names else ""
    return f"Unknown query parameter {listed}{hint}" if len(names) == 1 else f"Unknown query parameters {listed}{hint}"


def describe_validation_error(error: RequestValidationError) -> str:
    """One readable sentence per problem, each naming the parameter: ``Invalid query parameter 'take': ...``."""
    problems = []
    for detail in error.errors():
        location = [str(part) for part in detail.get("loc", ())]
        where = location[0] if location else "request"
        name = ".".join(location[1:]) or where
        if isinstance(detail.get("input"), list):
            problem = "must be given at most once"
        elif detail.get("type") == "missing":
            problem = "is required"
        else:
            problem = str(detail.get("msg", "is invalid")).removeprefix("Value error, ")
            problem = problem[:1].lower() + problem[1:]
        problems.append(f"Invalid {where} parameter '{name}': {problem}")
    return "; ".join(problems) or "Invalid request"


def query_parameter_names(route: Callable[..., Any]) -> frozenset[str]:
    """The query parameters a route function takes: the names in its signature (as Powertools reads them),
    except those annotated as headers (``Header()``), which no query string can set."""
    return frozenset(
        name
        for name, parameter in inspect.signature(route).parameters.items()
        if not any(isinstance(meta, Header) for meta in getattr(parameter.annotation, "__metadata__", ()))
    )


class HttpEdge:
    """One resolver (Powertools, request validation on) with the edge's policy: identity, parameter names,
    one exception handler per kind of error, and the error envelope for all of them."""

    def __init__(self, *, namespace_claim: str) -> None:
        self.namespace_claim = namespace_claim
        # debug=False, not the default None: with None, POWERTOOLS_DEV=true switches the resolver's debug mode
        # on, and debug mode prints every event, the Authorization header included, to the function's log.
        self.resolver = APIGatewayHttpResolver(enable_validation=True, debug=False)
        self._parameters: dict[str, frozenset[str]] = {}
        self._exclusive: dict[str, Mapping[tuple[str, ...], str]] = {}
        self._install()

    def get(
        self,
        path: str,
        *,
        responses: dict[int, OpenAPIResponse],
        exclusive: Mapping[tuple[str, ...], str] | None = None,
        **openapi: Any,
    ) -> Callable[[RouteFunction], RouteFunction]:
        """Register a GET route: its own responses besides :data:`ERROR_RESPONSES`, its accepted query
        parameters read from the function's signature, and the parameters it refuses together (``exclusive``:
        names -> what the caller is told)."""
        register = self.resolver.get(path, responses={**ERROR_RESPONSES, **responses}, **openapi)

        def decorator(route: RouteFunction) -> RouteFunction:
            self._parameters[path] = query_parameter_names(route)
            self._exclusive[path] = exclusive or {}
            return register(route)

        return decorator

    def admit(self, event: APIGatewayProxyEventV2) -> str:
        """The caller's namespace, once the request passed the edge's checks in their order: identity first
        (:class:`UnauthorizedError`), then parameter names: unknown ones, and ones the route refuses together
        (:class:`BadRequestError`, naming every problem)."""
        namespace = caller_namespace(event, self.namespace_claim)
        names = given_parameter_names(event)
        problems = []
        unexpected = unexpected_parameters(names, self._parameters.get(event.path, frozenset()))
        if unexpected:
            problems.append(describe_unexpected(unexpected))
        exclusive = self._exclusive.get(event.path, {})
        problems += [message for together, message in exclusive.items() if all(name in names for name in together)]
        if problems:
            raise BadRequestError("; ".join(problems))
        return namespace

    def _install(self) -> None:
        app = self.resolver

        def unauthorized(error: UnauthorizedError) -> Response[Any]:
            logger.warning("Unauthorized request", extra={"reason": str(error)})
            count(MetricName.UNAUTHORIZED_REQUESTS)
            return error_response(401, UNAUTHORIZED_MESSAGE)

        def bad_request(error: BadRequestError | CursorError | DeepSkipError) -> Response[Any]:
            logger.info("Bad request", extra={"reason": str(error)})
            count(MetricName.VALIDATION_FAILURES)
            return error_response(400, str(error))

        def invalid_request(error: RequestValidationError) -> Response[Any]:
            # Request validation ran before the guard: apply the edge's earlier checks first.
            message = describe_validation_error(error)
            try:
                self.admit(app.current_event)
            except UnauthorizedError as refused:
                return unauthorized(refused)
            except BadRequestError as names:
                message = f"{names}; {message}"
            return bad_request(BadRequestError(message))

        def internal_error(error: Exception) -> Response[Any]:
            if isinstance(error, ClientError):
                code = error.response.get("Error", {}).get("Code", "")
                throttled = code in THROTTLING_CODES
                count(MetricName.DYNAMODB_THROTTLES if throttled else MetricName.DYNAMODB_ERRORS)
                logger.exception("DynamoDB request failed", extra={"error_code": code})
            elif isinstance(error, BotoCoreError):
                count(MetricName.DYNAMODB_ERRORS)
                logger.exception("DynamoDB request failed", extra={"error_code": type(error).__name__})
            else:
                count(MetricName.INTERNAL_ERRORS)
                logger.exception("Unhandled error")
            return error_response(500, INTERNAL_ERROR_MESSAGE)

        def out_of_time(error: DeadlineExceeded) -> Response[Any]:
            count(MetricName.DEADLINE_EXCEEDED)
            logger.warning("Request deadline reached", extra={"reason": str(error)})
            return error_response(503, UNAVAILABLE_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS)})

        def throttled(error: TenantThrottled) -> Response[Any]:
            count(MetricName.TENANT_THROTTLED)
            logger.warning("Answered 429: the namespace is out of read units", extra={"retry_after": error.retry_after})
            return error_response(429, THROTTLED_MESSAGE, {"Retry-After": str(error.retry_after)})

        def keys_unavailable(error: CursorKeysUnavailable) -> Response[Any]:
            logger.warning("Answered 503: no cursor keys", extra={"reason": str(error)})
            return error_response(503, KEYS_UNAVAILABLE_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS)})

        app.exception_handler(DeadlineExceeded)(out_of_time)
        app.exception_handler(CursorKeysUnavailable)(keys_unavailable)
        app.exception_handler(TenantThrottled)(throttled)
        app.exception_handler(UnauthorizedError)(unauthorized)
        app.exception_handler(RequestValidationError)(invalid_request)
        app.exception_handler([BadRequestError, CursorError, DeepSkipError])(bad_request)
        app.exception_handler(Exception)(internal_error)

        def guard(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
            namespace = self.admit(resolver.current_event)
            resolver.append_context(**{NAMESPACE_CONTEXT_KEY: namespace})  # type: ignore[no-untyped-call]
            return next_middleware(resolver)

        app.use([guard])

        @app.not_found
        def not_found(_: Exception) -> Response[Any]:
            return error_response(404, "Not found")
