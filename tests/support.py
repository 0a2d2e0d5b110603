"""Helpers many test modules share: API Gateway events for the list route, calling the function, the
reference answer, the function's captured logs (and that they hold no token), the sample event files, and the
``charging-sessions`` command in its own process."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from charging_sessions.errors import ErrorCode, ProblemCode
from charging_sessions.routes import LIST_SESSIONS_PATH
from local_toolkit.gateway import LambdaContext, http_api_event
from local_toolkit.reference_model import page_ids as reference

__all__ = [
    "EVENTS",
    "LIST_SESSIONS_PATH",
    "assert_error_envelope",
    "assert_token_absent",
    "call",
    "captured_logs",
    "documented_events",
    "event",
    "oversized_writes",
    "reference",
    "respond",
    "run_cli",
]


EVENTS = Path(__file__).resolve().parents[1] / "events"
"""The sample API Gateway events (``events/``), each listed in ``events/README.md`` with the status it gets."""
_EVENT_ROW = re.compile(r"^\| `(?P<file>[\w.-]+\.json)` \|.*\| (?P<status>\d{3}) \|$")


def documented_events() -> dict[str, int]:
    """The event files ``events/README.md`` lists, with the status it promises for each."""
    rows = (_EVENT_ROW.match(line) for line in (EVENTS / "README.md").read_text(encoding="utf-8").splitlines())
    return {row["file"]: int(row["status"]) for row in rows if row}


def run_cli(
    *arguments: str, stdin: str | None = None, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``charging-sessions ARGUMENTS`` in its own process (``env``: its whole environment, default this one's)."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "local_toolkit.cli", *arguments],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def event(
    query: str = "",
    *,
    namespace: str | None = "tenant-alpha",
    claims: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API event for the list route, as the JWT authorizer would pass it (header names
    lower-cased, as API Gateway's HTTP API hands them over)."""
    if claims is None and namespace is not None:
        claims = {"namespaceId": namespace, "sub": "user-1"}
    return http_api_event(
        path=LIST_SESSIONS_PATH, raw_query=query, headers={"host": "api.test", **(headers or {})}, claims=claims
    )


def call(function: ModuleType, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Invoke the function's handler; its status code and parsed body."""
    response = function.lambda_handler(request, LambdaContext())
    return int(response["statusCode"]), json.loads(response["body"])


def respond(function: ModuleType, request: dict[str, Any]) -> tuple[int, dict[str, str], str | None]:
    """Invoke the function's handler; its status code, response headers and raw body (``None``: no body)."""
    response = function.lambda_handler(request, LambdaContext())
    body = response.get("body")
    return int(response["statusCode"]), dict(response.get("headers") or {}), body if body else None


def assert_token_absent(text: str, token: str) -> None:
    """Neither the bearer token nor its claims (alone or with the header) appear in ``text``."""
    header, payload, _ = token.split(".")
    assert token not in text and payload not in text and f"{header}.{payload}" not in text


@contextmanager
def captured_logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The function's structured log records written inside the block, parsed."""
    from charging_sessions.observability import logger

    stream = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        handler.setStream(previous)


@contextmanager
def oversized_writes() -> Iterator[None]:
    """Lift the writer's size limits inside the block: for tables that hold sessions stored before the limits
    existed (or by other writers), which the read path must still serve."""
    import pytest

    from charging_sessions.storage import write_limits

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(write_limits, "MAX_NOTE_BYTES", 400_000)
        patch.setattr(write_limits, "MAX_STORED_SESSION_BYTES", 400_000)
        yield


ERROR_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    406: ErrorCode.NOT_ACCEPTABLE,
    429: ErrorCode.TOO_MANY_REQUESTS,
    500: ErrorCode.INTERNAL_ERROR,
    503: ErrorCode.UNAVAILABLE,
}
"""The ``code`` of the function's error envelope at each status."""


def assert_error_envelope(status: int, body: Any) -> None:
    """``body`` is the function's error envelope for ``status``: ``success`` false, a message, the status's code,
    and for 400 and 406 one entry per problem (a parameter, a documented code, a message the message holds)."""
    assert isinstance(body, dict), body
    assert set(body) <= {"success", "message", "code", "errors"}, body
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"].strip(), body
    assert body.get("code") == ERROR_CODES[status].value, body
    if status not in (400, 406):
        assert "errors" not in body, body
        return
    assert isinstance(body["errors"], list) and body["errors"], body
    for problem in body["errors"]:
        assert set(problem) == {"parameter", "code", "message"}, problem
        assert problem["code"] in {code.value for code in ProblemCode}, problem
        assert isinstance(problem["parameter"], str) and problem["parameter"] in problem["message"], problem
