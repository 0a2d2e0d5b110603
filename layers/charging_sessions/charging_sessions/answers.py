"""What the list function answers: the 200 body, as JSON in the response model's envelope or as CSV, with the
fields asked for, sized on what is actually sent so that it always fits through Lambda's 6 MB response
(``docs/design.md``, "The answer's budget")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .compression import MIN_GZIP_BYTES, GzipSize, IdentitySize, encoded_size, surely_fits
from .csv_export import CSV_CONTENT_TYPE, columns_for, csv_header, csv_row
from .models import ChargingSession, ListChargingSessionsResponse, dump_json
from .negotiation import MediaType
from .storage.positions import Resume
from .storage.reader import SessionPage

MAX_LAMBDA_RESPONSE_BYTES = 6_291_456
DEFAULT_BUDGET_BYTES = 5_500_000
"""The body's budget as sent: Lambda's limit less room for the status, headers and the envelope."""
JSON_CONTENT_TYPE = "application/json"
_SESSIONS_SLOT = '"chargingSessions":[]'

__all__ = ["DEFAULT_BUDGET_BYTES", "MAX_LAMBDA_RESPONSE_BYTES", "Answer", "Shape", "encoded_size", "fit_page", "render"]


@dataclass(frozen=True)
class Shape:
    """How the caller asked for the page: the media type, the session fields (``None``: all), and whether it takes
    gzip (then the budget may be spent on compressed bytes)."""

    media: MediaType = MediaType.JSON
    fields: frozenset[str] | None = None
    gzip: bool = False


class SentSize(Protocol):
    def add(self, piece: str) -> int: ...


@dataclass(frozen=True)
class FittedPage:
    """The sessions of a page that fit the budget (each rendered once), and where the next page starts."""

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
    content_type: str
    returned: int
    count: int
    next_skip: int | None
    next_cursor: str | None
    cut: bool
    compressible: bool = False
    """Whether it goes out gzipped: the caller takes gzip and the body is not tiny."""


def piece_renderer(shape: Shape) -> Callable[[ChargingSession], str]:
    """How one session is written in ``shape``: its JSON object (the fields asked for), or its CSV record."""
    if shape.media is MediaType.CSV:
        columns = columns_for(shape.fields)
        return lambda session: csv_row(session.model_dump(mode="json", exclude_none=True), columns)
    if shape.fields is None:
        return lambda session: session.model_dump_json(exclude_none=True)
    included = set(shape.fields)
    return lambda session: session.model_dump_json(include=included, exclude_none=True)


def fit_page(
    page: SessionPage,
    *,
    skip: int,
    offset_paging: bool = True,
    budget: int = DEFAULT_BUDGET_BYTES,
    shape: Shape | None = None,
) -> FittedPage:
    """As many of the page's sessions, in order, as fit ``budget`` as they are sent (one always does), and where
    the next page starts: after the last one that fit when the budget cut the page, else where the page says.

    The size is the text's in Lambda's response; when the caller takes gzip and that cuts the page, the page is
    fitted again on its gzip size (base64, as Lambda carries it), so a compressed page holds what fits compressed."""
    shape = shape or Shape()
    render_piece = piece_renderer(shape)
    pieces = [render_piece(session) for session in page.sessions]
    kept = len(pieces) if surely_fits(pieces, budget) else _fitting(pieces, IdentitySize(), budget)
    if kept < len(pieces) and shape.gzip:
        kept = _fitting(pieces, GzipSize(), budget)
    cut_at = kept if kept < len(pieces) else None
    resume = page.resume
    if cut_at is not None:
        next_skip: int | None = skip + page.positions[cut_at]
        entry = page.positions[cut_at] - 1
        resume = Resume(after=page.entry_positions[entry]) if entry < len(page.entry_positions) else None
    else:
        next_skip = skip + page.entries if page.more else None
    cut = cut_at is not None or page.read_cut
    return FittedPage(pieces[:kept], next_skip if offset_paging else None, resume, cut)


def _fitting(pieces: list[str], size: SentSize, budget: int) -> int:
    """How many of ``pieces``, from the first, fit ``budget`` (at least one)."""
    for index, piece in enumerate(pieces):
        if size.add(piece) > budget and index > 0:
            return index
    return len(pieces)


def render(fitted: FittedPage, *, count: int, next_cursor: str | None = None, shape: Shape | None = None) -> Answer:
    """The 200 body: the response model's envelope around the fitted sessions, or the CSV text (a header row, one
    record a session; paging and the total travel in headers)."""
    shape = shape or Shape()
    if shape.media is MediaType.CSV:
        body = csv_header(columns_for(shape.fields)) + "".join(fitted.pieces)
        content_type = CSV_CONTENT_TYPE
    else:
        envelope = ListChargingSessionsResponse.model_construct(
            chargingSessions=[], count=count, nextSkip=fitted.next_skip, nextCursor=next_cursor
        )
        sessions = '"chargingSessions":[' + ",".join(fitted.pieces) + "]"
        body = dump_json(envelope).replace(_SESSIONS_SLOT, sessions, 1)
        content_type = JSON_CONTENT_TYPE
    compressible = shape.gzip and len(body) >= MIN_GZIP_BYTES
    return Answer(
        body, content_type, len(fitted.pieces), count, fitted.next_skip, next_cursor, fitted.cut, compressible
    )
