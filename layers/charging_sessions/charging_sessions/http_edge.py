"""The HTTP edge as one policy: who the caller is (``caller.py``), which parameters a route takes, and how every
refusal and fault is answered (the error envelope and its OpenAPI description), with the request id on every answer.
Its checks run in a fixed order, written once in :meth:`HttpEdge.admit` (``docs/design.md``, "The edge's order")."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from .caller import (
    REQUEST_ID_HEADER,
    UnauthorizedError,
    caller_namespace,
    request_id_of,
)
from .cursor import CursorError
from .cursor_secret import CursorKeysUnavailable
from .deadline import DeadlineExceeded
from .errors import ErrorCode, ErrorResponse, Problem, ProblemCode, problems_of
from .models import dump_json
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

VARY = "Authorization, Accept, Accept-Encoding"
"""What every answer of this API depends on besides the URL: the caller, the media type, the coding."""
ERROR_CACHE_CONTROL = "no-store"
"""Errors are not kept by any cache (a 429 or 503 is over in a second)."""

REQUEST_ID_RESPONSE_HEADERS: dict[str, OpenAPIResponseHeader] = {
    REQUEST_ID_HEADER: {
        "description": (
            "The request's id: the caller's `X-Request-ID` when it is 1 to 128 of `A-Z a-z 0-9 . _ : + = / @ -`, "
            "else API Gateway's request id. The function's log lines carry it as `request_id`."
        ),
        "schema": {"type": "string"},
    },
    "Vary": {"description": f"`{VARY}`", "schema": {"type": "string"}},
}
RETRY_AFTER_RESPONSE_HEADERS: dict[str, OpenAPIResponseHeader] = {
    **REQUEST_ID_RESPONSE_HEADERS,
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
}


def _envelope(description: str, retry: bool = False) -> OpenAPIResponse:
    return {
        "description": description,
        "headers": RETRY_AFTER_RESPONSE_HEADERS if retry else REQUEST_ID_RESPONSE_HEADERS,
        "content": {"application/json": {"model": ErrorResponse}},
    }


ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    400: _envelope(
        "The request is refused: `errors` lists each problem with the query parameter or header it concerns and a "
        "code (`invalid`, `out_of_range`, `too_long`, `unknown_parameter`, `repeated`, `conflict`, "
        "`cursor_mismatch`, `unknown_field`)"
    ),
    401: _envelope("No usable namespace in the caller's identity (`code`: `unauthorized`)"),
    406: _envelope("`Accept` allows neither `application/json` nor `text/csv` (`code`: `not_acceptable`)"),
    429: _envelope(
        "The namespace has used its read capacity for now; retry after `Retry-After` seconds (`code`: "
        "`too_many_requests`)",
        retry=True,
    ),
    500: _envelope("Response for status internalServerError"),
    503: _envelope(
        "The request ran out of time (DynamoDB throttled or slow), or cursors cannot be signed right now; retry after "
        "`Retry-After` seconds (`code`: `unavailable`)",
        retry=True,
    ),
}
"""The OpenAPI responses every route of this edge can give besides its own: the error envelope."""

NAMESPACE_CONTEXT_KEY = "namespace"
"""Where the resolver's context holds the caller's namespace once the edge has admitted the request."""

RouteFunction = TypeVar("RouteFunction", bound=Callable[..., Any])


class BadRequestError(Exception):
    """The request is malformed: ``problems`` says where and how; the message says it in one sentence."""

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        self.problems = list(problems)

    @classmethod
    def joining(cls, *errors: BadRequestError) -> BadRequestError:
        return cls("; ".join(str(error) for error in errors), [p for error in errors for p in error.problems])


class NotAcceptableError(Exception):
    """``Accept`` allows none of the media types the route answers in."""


def json_response(status_code: int, body: BaseModel, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status_code, content_type=content_types.APPLICATION_JSON, body=dump_json(body), headers=headers
    )


def error_response(
    status_code: int,
    message: str,
    code: ErrorCode,
    problems: Sequence[Problem] = (),
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return json_response(status_code, ErrorResponse.of(message, code, list(problems)), headers)


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


def validation_problems(error: RequestValidationError) -> list[Problem]:
    """One problem per validation error, each naming the parameter and saying what is wrong in one readable
    sentence (``Invalid query parameter 'take': ...``) with its code."""
    return problems_of(error.errors())


def describe_validation_error(error: RequestValidationError) -> str:
    """One readable sentence per problem, each naming the parameter: ``Invalid query parameter 'take': ...``."""
    return "; ".join(problem.message for problem in validation_problems(error)) or "Invalid request"


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
        refusals = []
        unexpected = unexpected_parameters(names, self._parameters.get(event.path, frozenset()))
        if unexpected:
            each = [Problem(name, ProblemCode.UNKNOWN_PARAMETER, describe_unexpected([name])) for name in unexpected]
            refusals.append(BadRequestError(describe_unexpected(unexpected), each))
        for together, message in self._exclusive.get(event.path, {}).items():
            if all(name in names for name in together):  # named by the one that must go: the last
                refusals.append(BadRequestError(message, [Problem(together[-1], ProblemCode.CONFLICT, message)]))
        if refusals:
            raise BadRequestError.joining(*refusals)
        return namespace

    def resolve(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        """The resolver's answer to ``event``, with what every answer carries: the request id (also on every log
        line of the request), ``Vary``, and ``Cache-Control: no-store`` where the route set none (errors)."""
        request_id = request_id_of(event, context)
        logger.append_keys(request_id=request_id)
        response = self.resolver.resolve(event, context)
        headers = response.get("headers") or {}
        headers[REQUEST_ID_HEADER] = request_id
        headers.setdefault("Vary", VARY)
        headers.setdefault("Cache-Control", ERROR_CACHE_CONTROL)
        response["headers"] = headers
        return response

    def _install(self) -> None:
        app = self.resolver

        def unauthorized(error: UnauthorizedError) -> Response[Any]:
            logger.warning("Unauthorized request", extra={"reason": str(error)})
            count(MetricName.UNAUTHORIZED_REQUESTS)
            return error_response(401, UNAUTHORIZED_MESSAGE, ErrorCode.UNAUTHORIZED)

        def bad_request(error: BadRequestError) -> Response[Any]:
            logger.info("Bad request", extra={"reason": str(error), "codes": [p.code.value for p in error.problems]})
            count(MetricName.VALIDATION_FAILURES)
            return error_response(400, str(error), ErrorCode.BAD_REQUEST, error.problems)

        def bad_cursor(error: CursorError) -> Response[Any]:
            return bad_request(BadRequestError(str(error), [Problem("cursor", error.code, str(error))]))

        def deep_skip(error: DeepSkipError) -> Response[Any]:
            return bad_request(BadRequestError(str(error), [Problem("skip", ProblemCode.OUT_OF_RANGE, str(error))]))

        def not_acceptable(error: NotAcceptableError) -> Response[Any]:
            logger.info("Not acceptable", extra={"reason": str(error)})
            problem = Problem("accept", ProblemCode.NOT_ACCEPTABLE, str(error))
            return error_response(406, str(error), ErrorCode.NOT_ACCEPTABLE, [problem])

        def invalid_request(error: RequestValidationError) -> Response[Any]:
            # Request validation ran before the guard: apply the edge's earlier checks first.
            problems = validation_problems(error)
            found = BadRequestError(describe_validation_error(error), problems)
            try:
                self.admit(app.current_event)
            except UnauthorizedError as refused:
                return unauthorized(refused)
            except BadRequestError as names:
                found = BadRequestError.joining(names, found)
            return bad_request(found)

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
            return error_response(500, INTERNAL_ERROR_MESSAGE, ErrorCode.INTERNAL_ERROR)

        def out_of_time(error: DeadlineExceeded) -> Response[Any]:
            count(MetricName.DEADLINE_EXCEEDED)
            logger.warning("Request deadline reached", extra={"reason": str(error)})
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return error_response(503, UNAVAILABLE_MESSAGE, ErrorCode.UNAVAILABLE, headers=retry)

        def throttled(error: TenantThrottled) -> Response[Any]:
            count(MetricName.TENANT_THROTTLED)
            logger.warning("Answered 429: the namespace is out of read units", extra={"retry_after": error.retry_after})
            retry = {"Retry-After": str(error.retry_after)}
            return error_response(429, THROTTLED_MESSAGE, ErrorCode.TOO_MANY_REQUESTS, headers=retry)

        def keys_unavailable(error: CursorKeysUnavailable) -> Response[Any]:
            logger.warning("Answered 503: no cursor keys", extra={"reason": str(error)})
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return error_response(503, KEYS_UNAVAILABLE_MESSAGE, ErrorCode.UNAVAILABLE, headers=retry)

        app.exception_handler(DeadlineExceeded)(out_of_time)
        app.exception_handler(CursorKeysUnavailable)(keys_unavailable)
        app.exception_handler(TenantThrottled)(throttled)
        app.exception_handler(UnauthorizedError)(unauthorized)
        app.exception_handler(RequestValidationError)(invalid_request)
        app.exception_handler(BadRequestError)(bad_request)
        app.exception_handler(CursorError)(bad_cursor)
        app.exception_handler(DeepSkipError)(deep_skip)
        app.exception_handler(NotAcceptableError)(not_acceptable)
        app.exception_handler(Exception)(internal_error)

        def guard(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
            namespace = self.admit(resolver.current_event)
            resolver.append_context(**{NAMESPACE_CONTEXT_KEY: namespace})  # type: ignore[no-untyped-call]
            return next_middleware(resolver)

        app.use([guard])

        @app.not_found
        def not_found(_: Exception) -> Response[Any]:
            return error_response(404, "Not found", ErrorCode.NOT_FOUND)
