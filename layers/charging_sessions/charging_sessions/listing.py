"""One listing, from a validated query to the answer: open the cursor (if any), read the page, make the body
and its ``nextCursor``. The function's route calls this and adds only HTTP (status, entity tag, 304)."""

from __future__ import annotations

from dataclasses import dataclass

from . import storage_layout as layout
from .answers import Answer, list_answer
from .cursor import CursorCodec, CursorError, binding
from .reader import Resume, SessionPage, SessionQuery, SessionReader, Sort

CURSOR_WITH_SKIP = "cursor and skip cannot be combined: a cursor already says where the page starts"


@dataclass(frozen=True)
class Listing:
    page: SessionPage
    answer: Answer


def position_fields(query: SessionQuery) -> tuple[str, ...]:
    """The fields of a position in the view a query's pages are read from."""
    if query.sort is Sort.UPDATED:
        return layout.position_fields(layout.FEED)
    return layout.position_fields(layout.NAMESPACE)


def list_sessions(
    reader: SessionReader,
    cursors: CursorCodec,
    namespace: str,
    query: SessionQuery,
    *,
    skip: int,
    take: int,
    cursor: str | None = None,
    skip_given: bool = False,
) -> Listing:
    """The page ``query`` selects in ``namespace`` after ``skip`` sessions or at ``cursor``, and its answer.

    Raises :class:`CursorError` for a cursor that is refused, or one given together with ``skip``."""
    bound_to = binding(namespace, query.as_dict())
    after: Resume | None = None
    if cursor is not None:
        if skip_given:
            raise CursorError(CURSOR_WITH_SKIP)
        after = cursors.open(cursor, query.sort.value, bound_to, position_fields(query))
    page = reader.list_sessions(namespace, query=query, skip=skip, take=take, after=after)

    def issue(resume: Resume) -> str:
        return cursors.issue(query.sort.value, bound_to, resume)

    answer = list_answer(page, skip=skip, cursor=issue, offset_paging=cursor is None)
    return Listing(page, answer)
