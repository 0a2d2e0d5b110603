"""What the list function answers: the 200 body, sized so that it always fits through Lambda.

Lambda refuses a synchronous response over 6 MB (6,291,456 bytes), counted on the JSON document the runtime
sends, in which the body is a string again: every quote and backslash escaped once more, every non-ASCII
character written as ``\\uXXXX``. A page therefore ends early, before the session that would take the answer
past the budget, and says where to continue (``nextSkip``). DynamoDB items are at most 400 KB, so one session
always fits and a walk always moves forward.

Each session is serialized once, by the response model's own serializer; the envelope around the pieces is
the one :class:`~charging_sessions.models.ListChargingSessionsResponse` produces (a unit test holds the two equal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .reader import Resume, SessionPage

MAX_LAMBDA_RESPONSE_BYTES = 6_291_456
DEFAULT_BUDGET_BYTES = 5_500_000
"""The encoded body's budget: Lambda's limit less room for the status, headers and the envelope."""


@dataclass(frozen=True)
class Answer:
    body: str
    returned: int
    next_skip: int | None
    next_cursor: str | None
    cut: bool
    """Whether the budget ended the page before ``take`` (here, or already in the read: ``SessionPage.read_cut``)."""


def encoded_size(text: str) -> int:
    """Bytes ``text`` takes as a JSON string in the runtime's response document (ASCII-escaped)."""
    return len(json.dumps(text))


def list_answer(
    page: SessionPage,
    *,
    skip: int,
    budget: int = DEFAULT_BUDGET_BYTES,
    cursor: Callable[[Resume], str] | None = None,
    offset_paging: bool = True,
) -> Answer:
    """The 200 body for a page: as many of its sessions, in order, as fit ``budget``; ``nextSkip`` (with
    ``offset_paging``) while more sessions follow (the page was cut, or the read did not reach the end of its
    view), and ``nextCursor`` (made by ``cursor``) wherever the page says how to resume."""
    pieces: list[str] = []
    used = 0
    cut_at: int | None = None
    for index, session in enumerate(page.sessions):
        piece = session.model_dump_json(exclude_none=True)
        size = encoded_size(piece) + 1
        if pieces and used + size > budget:
            cut_at = index
            break
        pieces.append(piece)
        used += size
    resume = page.resume
    if cut_at is not None:
        next_skip: int | None = skip + page.positions[cut_at]
        entry = page.positions[cut_at] - 1
        resume = Resume(after=page.entry_positions[entry]) if entry < len(page.entry_positions) else None
    else:
        next_skip = skip + page.entries if page.more else None
    if not offset_paging:
        next_skip = None
    next_cursor = cursor(resume) if cursor is not None and resume is not None else None
    body = '{"success":true,"chargingSessions":[' + ",".join(pieces) + f'],"count":{page.count}'
    if next_skip is not None:
        body += f',"nextSkip":{next_skip}'
    if next_cursor is not None:
        body += f',"nextCursor":{json.dumps(next_cursor)}'
    return Answer(body + "}", len(pieces), next_skip, next_cursor, cut_at is not None or page.read_cut)
