"""What the list function answers: the 200 body in the response model's envelope, sized so that it always fits
through Lambda's 6 MB response (``docs/design.md``, "The answer's budget")."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .models import ListChargingSessionsResponse, dump_json
from .storage.positions import Resume
from .storage.reader import SessionPage

MAX_LAMBDA_RESPONSE_BYTES = 6_291_456
DEFAULT_BUDGET_BYTES = 5_500_000
"""The encoded body's budget: Lambda's limit less room for the status, headers and the envelope."""
_SESSIONS_SLOT = '"chargingSessions":[]'


@dataclass(frozen=True)
class FittedPage:
    """The sessions of a page that fit the budget (each serialized once), and where the next page starts."""

    pieces: list[str]
    next_skip: int | None
    """The ``skip`` of the next page (offset paging only), while more sessions follow."""
    resume: Resume | None
    """Where a cursor for the next page resumes, while more sessions follow (always, in the update feed)."""
    cut: bool
    """Whether the budget ended the page before ``take`` (here, or already in the read: ``SessionPage.read_cut``)."""


@dataclass(frozen=True)
class Answer:
    """The 200 body and what it holds."""

    body: str
    returned: int
    next_skip: int | None
    next_cursor: str | None
    cut: bool


def encoded_size(text: str) -> int:
    """Bytes ``text`` takes as a JSON string in the runtime's response document (ASCII-escaped)."""
    return len(json.dumps(text))


def fit_page(
    page: SessionPage, *, skip: int, offset_paging: bool = True, budget: int = DEFAULT_BUDGET_BYTES
) -> FittedPage:
    """As many of the page's sessions, in order, as fit ``budget`` (one always does), and where the next page
    starts: after the last one that fit when the budget cut the page, else where the page says."""
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
    return FittedPage(pieces, next_skip if offset_paging else None, resume, cut_at is not None or page.read_cut)


def render(fitted: FittedPage, *, count: int, next_cursor: str | None = None) -> Answer:
    """The 200 body: the response model's envelope around the fitted sessions."""
    envelope = ListChargingSessionsResponse.model_construct(
        chargingSessions=[], count=count, nextSkip=fitted.next_skip, nextCursor=next_cursor
    )
    sessions = '"chargingSessions":[' + ",".join(fitted.pieces) + "]"
    body = dump_json(envelope).replace(_SESSIONS_SLOT, sessions, 1)
    return Answer(body, len(fitted.pieces), fitted.next_skip, next_cursor, fitted.cut)
