"""The error envelope and the codes a program acts on: every answer but 200 and 304 is
``{"success": false, "message": ..., "code": ...}``; a 400 (and 406) also lists each problem it found in
``errors``, each naming the query parameter or header and a code from :class:`ProblemCode`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorCode(StrEnum):
    """What kind of refusal or fault an answer is (``code``, beside the status)."""

    BAD_REQUEST = "bad_request"
    """400: the request names something wrong; ``errors`` says what."""
    UNAUTHORIZED = "unauthorized"
    """401: the caller's identity carries no usable namespace."""
    NOT_FOUND = "not_found"
    """404: no such route."""
    NOT_ACCEPTABLE = "not_acceptable"
    """406: ``Accept`` allows none of the media types the route answers in."""
    TOO_MANY_REQUESTS = "too_many_requests"
    """429: the namespace has used its read capacity for now."""
    INTERNAL_ERROR = "internal_error"
    """500: a fault inside (the log has the detail)."""
    UNAVAILABLE = "unavailable"
    """503: out of time, or cursors cannot be signed right now."""


class ProblemCode(StrEnum):
    """What is wrong with one parameter or header of a refused request."""

    INVALID = "invalid"
    """The value is not of the parameter's type or form (not a number, not a date-time, not one of the values,
    empty, control characters, a cursor this API did not issue or that was altered)."""
    OUT_OF_RANGE = "out_of_range"
    """A number outside its bounds, or a ``skip`` deeper than the filters allow."""
    TOO_LONG = "too_long"
    """The value is longer than the parameter allows."""
    UNKNOWN_PARAMETER = "unknown_parameter"
    """The route takes no query parameter of this name."""
    REPEATED = "repeated"
    """The parameter is given more than once."""
    CONFLICT = "conflict"
    """The parameter cannot be given together with another one (``cursor`` with ``skip``)."""
    CURSOR_MISMATCH = "cursor_mismatch"
    """The cursor was issued for another namespace, other filters or ranges, another sort or another version."""
    UNKNOWN_FIELD = "unknown_field"
    """``fields`` names something that is not a session field."""
    NOT_ACCEPTABLE = "not_acceptable"
    """``Accept`` allows neither ``application/json`` nor ``text/csv``."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (a query parameter's or a header's name), what, and the sentence."""

    parameter: str
    code: ProblemCode
    message: str


def _code_and_errors_are_optional(schema: dict[str, Any]) -> None:
    """``code`` and ``errors`` may be left out (``errors`` is absent but on 400 and 406); ``success`` is always
    sent, so the schema marks defaults required except these."""
    schema["required"] = [name for name in schema.get("required", []) if name not in ("code", "errors")]


class ErrorDetail(BaseModel):
    """One problem of a refused request."""

    parameter: Annotated[str, Field(description="The query parameter's name, or the header's (lower case).")]
    code: ProblemCode
    message: str


class ErrorResponse(BaseModel):
    """Every answer but 200 and 304: `success` is false and `message` says what went wrong; `code` says it for a
    program, and a 400 or 406 lists every problem in `errors`."""

    model_config = ConfigDict(
        json_schema_mode_override="serialization",
        json_schema_serialization_defaults_required=True,
        json_schema_extra=_code_and_errors_are_optional,
    )

    success: bool = False
    message: str
    code: ErrorCode | None = None
    errors: list[ErrorDetail] | None = None

    @classmethod
    def of(cls, message: str, code: ErrorCode, problems: list[Problem] | None = None) -> ErrorResponse:
        details = None
        if problems:
            details = [ErrorDetail(parameter=p.parameter, code=p.code, message=p.message) for p in problems]
        return cls(message=message, code=code, errors=details)


_RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_LENGTH_ERRORS = frozenset({"string_too_long", "too_long"})
_OWN_CODES = frozenset(code.value for code in ProblemCode)


def problems_of(details: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """One problem per validation error (pydantic's error details, as Powertools' request validation reports them),
    each naming the parameter and saying what is wrong in one readable sentence (``Invalid query parameter 'take':
    ...``) with its code."""
    problems = []
    for detail in details:
        location = [str(part) for part in detail.get("loc", ())]
        where = location[0] if location else "request"
        name = ".".join(location[1:]) or where
        kind = str(detail.get("type", ""))
        code = ProblemCode.INVALID
        if isinstance(detail.get("input"), list):
            problem, code = "must be given at most once", ProblemCode.REPEATED
        elif kind == "missing":
            problem = "is required"
        else:
            problem = str(detail.get("msg", "is invalid")).removeprefix("Value error, ")
            problem = problem[:1].lower() + problem[1:]
            if kind in _RANGE_ERRORS:
                code = ProblemCode.OUT_OF_RANGE
            elif kind in _LENGTH_ERRORS:
                code = ProblemCode.TOO_LONG
            elif kind in _OWN_CODES:
                code = ProblemCode(kind)
        problems.append(Problem(name, code, f"Invalid {where} parameter '{name}': {problem}"))
    return problems
