"""Every answer fits through Lambda (6 MB), with the largest sessions the write limits allow and with larger
ones stored before the limits, and a walk by ``nextSkip`` still reaches every session exactly once."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from charging_sessions.answers import DEFAULT_BUDGET_BYTES, MAX_LAMBDA_RESPONSE_BYTES
from charging_sessions.query import SessionQuery
from charging_sessions.storage.view_calls import MEGABYTES_HELD_PER_ANSWER
from charging_sessions.storage.write_limits import stored_document
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.gateway import LambdaContext
from tests.factories import make_session, rich_session
from tests.support import event, oversized_writes, reference


def answer_of(function: ModuleType, query: str) -> tuple[int, dict[str, Any]]:
    response = function.lambda_handler(event(query), LambdaContext())
    assert len(json.dumps(response)) < MAX_LAMBDA_RESPONSE_BYTES  # what the runtime sends
    return int(response["statusCode"]), json.loads(response["body"])


def walk(function: ModuleType, take: int) -> list[str]:
    ids: list[str] = []
    skip: int | None = 0
    while skip is not None:
        status, body = answer_of(function, f"skip={skip}&take={take}")
        assert status == 200, body
        ids += [s["id"] for s in body["chargingSessions"]]
        assert body.get("nextSkip", skip + 1) > skip  # every page moves forward
        skip = body.get("nextSkip")
    return ids


def test_take_1000_of_the_largest_allowed_sessions_fits_and_walks(function: ModuleType, writer: SessionWriter) -> None:
    sessions = [rich_session(i) for i in range(110)]
    writer.load(sessions)
    status, body = answer_of(function, "take=1000")
    assert status == 200
    assert 0 < len(body["chargingSessions"]) < 110
    assert body["nextSkip"] == len(body["chargingSessions"])
    assert body["count"] == 110
    assert walk(function, 1000) == reference(sessions, "tenant-alpha", take=1000)[0]


@pytest.mark.parametrize("take", [50, 1000])
def test_sessions_near_dynamodbs_item_limit_stored_before_the_limits_still_fit(
    function: ModuleType, writer: SessionWriter, take: int
) -> None:
    sessions = [make_session(minute=i, note="€" * 130_000) for i in range(20)]  # 390 KB each in DynamoDB
    with oversized_writes():
        writer.load(sessions)
    assert walk(function, take) == reference(sessions, "tenant-alpha", take=1000)[0]


def test_a_page_of_large_sessions_reads_only_what_one_answer_can_carry(
    function: ModuleType, writer: SessionWriter
) -> None:
    """take=1000 of sessions at the write limits: the read stops after the few DynamoDB pages (1 MB each) that one
    answer can carry, instead of reading every session to answer the first ~70 (memory, read units, time); the
    page says where to continue, and a walk still reaches every session exactly once (about 21 such sessions fill
    1 MB: 150 take more than the read's bound)."""
    sessions = [rich_session(i) for i in range(150)]
    writer.load(sessions)
    page = function.reader.read_page("tenant-alpha", SessionQuery(), take=1000)
    assert page.read_cut
    assert page.more
    assert page.stats.calls <= 1 + MEGABYTES_HELD_PER_ANSWER  # the counter, then at most that many 1 MB pages
    assert len(page.sessions) < 150
    stored = sum(len(json.dumps(stored_document(session))) for session in sessions[: len(page.sessions)])
    assert stored > DEFAULT_BUDGET_BYTES  # what was read is still more than one answer can carry
    ids, first = walk_by_cursor(function, 1000)
    assert first["nextSkip"] == len(first["chargingSessions"]) <= len(page.sessions)
    assert ids == reference(sessions, "tenant-alpha", take=1000)[0]


def walk_by_cursor(function: ModuleType, take: int) -> tuple[list[str], dict[str, Any]]:
    """The ids of a walk by ``nextCursor``, and the first page's body."""
    ids: list[str] = []
    pages: list[dict[str, Any]] = []
    query = f"take={take}"
    while True:
        status, body = answer_of(function, query)
        assert status == 200, body
        pages.append(body)
        ids += [s["id"] for s in body["chargingSessions"]]
        if "nextCursor" not in body:
            return ids, pages[0]
        query = f"take={take}&cursor={body['nextCursor']}"
