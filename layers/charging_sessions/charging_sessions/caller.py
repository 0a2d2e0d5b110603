"""Who is calling and which request this is: the caller's namespace, from the claims API Gateway's JWT authorizer
verified (nothing the caller types selects it), and the request's id, echoed on every answer and logged."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from .models import MAX_ID_CHARS

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_CHARS = 128
_SAFE_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:+=/@-]{{1,{MAX_REQUEST_ID_CHARS}}}")


class UnauthorizedError(Exception):
    """The request carries no usable namespace claim."""


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


def request_id_of(event: Mapping[str, Any], context: LambdaContext | None) -> str:
    """The request's id: the caller's ``X-Request-ID`` when it is safe to echo (1 to 128 of a few characters),
    else API Gateway's request id, else Lambda's, else a new one."""
    headers = event.get("headers") or {}
    context_of_request = event.get("requestContext") or {}
    candidates = (
        headers.get("x-request-id") if isinstance(headers, Mapping) else None,
        context_of_request.get("requestId") if isinstance(context_of_request, Mapping) else None,
        getattr(context, "aws_request_id", None),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and _SAFE_REQUEST_ID.fullmatch(candidate):
            return candidate
    return str(uuid.uuid4())
