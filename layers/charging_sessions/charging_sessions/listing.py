"""The use case: one listing of a namespace's sessions, from a validated query to the answer. Opens the cursor (if
any), reads the page, fits the body, issues ``nextCursor`` and tags the answer; the route adds only HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .answers import Answer, Shape, fit_page, render
from .conditional import entity_tag
from .cursor import CursorCodec, binding
from .cursor_secret import CursorKeysUnavailable
from .negotiation import MediaType
from .observability import (
    MetricName,
    count,
    record_page,
    record_request,
    report_counter_drift,
    report_foreign_item,
    report_invalid_item,
)
from .query import SESSION_FIELDS, SessionQuery, Sort
from .settings import Settings
from .storage.plan import position_view
from .storage.positions import position_fields
from .storage.reader import SessionPage, SessionReader
from .tenant_limits import TenantLimiter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Listing:
    """A page as read, its answer, the answer's entity tag (of its text, uncompressed), and the query parameters
    of the page that follows (``None`` on the last page): the ``Link`` header's."""

    page: SessionPage
    answer: Answer
    tag: str
    next_parameters: dict[str, str] | None = None


def build_limiter(settings: Settings) -> TenantLimiter:
    """The per-tenant limit as the settings configure it."""
    return TenantLimiter(rate=settings.tenant_read_units_per_second, burst=settings.tenant_read_units_burst)


def build_reader(
    client: DynamoDBClient,
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    counter_beside_page: bool = True,
) -> SessionReader:
    """The reader as the function runs it: the configured table and settle window, every finding reported, a
    counter read beside its page (``counter_beside_page=False``: before it, as the benchmark compares)."""
    return SessionReader(
        client,
        settings.table_name,
        settle_seconds=settings.feed_settle_seconds,
        on_invalid_item=report_invalid_item,
        on_foreign_item=report_foreign_item,
        on_counter_drift=report_counter_drift,
        clock=clock,
        counter_beside_page=counter_beside_page,
    )


def list_for_namespace(
    reader: SessionReader,
    cursors: CursorCodec,
    namespace: str,
    query: SessionQuery,
    *,
    take: int,
    skip: int = 0,
    cursor: str | None = None,
    limiter: TenantLimiter | None = None,
    shape: Shape | None = None,
) -> Listing:
    """The page ``query`` selects in ``namespace`` after ``skip`` sessions or at ``cursor`` (the edge refuses the
        two together), and its answer. Raises :class:`CursorError` for a cursor that is refused, and
    :class:`CursorKeysUnavailable` when there are no keys to open or issue one: a first page in the default order
    is answered without ``nextCursor`` instead (``nextSkip`` goes on); :class:`TenantThrottled` while ``limiter``
    says the namespace has used its read units (the read's own units are charged to it). ``shape`` is how the page
    is written (JSON by default); it selects nothing, so cursors are not bound to it."""
    shape = shape or Shape()
    record_request(namespace, query.filters, skip=skip, take=take)
    if limiter is not None:
        limiter.admit(namespace)
    bound_to = binding(namespace, query.as_dict())
    after = None
    if cursor is not None:
        after = cursors.open(cursor, query.sort.value, bound_to, position_fields(position_view(query.sort)))
    page = reader.read_page(namespace, query, skip=skip, take=take, after=after)
    if limiter is not None:
        limiter.charge(namespace, page.stats.consumed_capacity)
    fitted = fit_page(page, skip=skip, offset_paging=cursor is None, shape=shape)
    next_cursor = None
    if fitted.resume is not None:
        try:
            next_cursor = cursors.issue(query.sort.value, bound_to, fitted.resume)
        except CursorKeysUnavailable:
            if cursor is not None or query.sort is not Sort.NEWEST_FIRST:
                raise  # a cursor walk or the feed cannot go on without one: 503, retry later
            count(MetricName.PAGES_WITHOUT_CURSOR)  # offset paging answers with nextSkip alone
    answer = render(fitted, count=page.count, next_cursor=next_cursor, shape=shape)
    record_page(page, returned=answer.returned, cut=answer.cut)
    fields = None if shape.fields is None else ",".join(name for name in SESSION_FIELDS if name in shape.fields)
    media = None if shape.media is MediaType.JSON else shape.media.value
    asked = {"skip": skip, "take": take, **query.as_dict(), "cursor": cursor, "fields": fields, "media": media}
    tag = entity_tag(namespace, asked, answer.body)
    return Listing(page, answer, tag, next_page_parameters(query, answer, take=take, fields=fields))


def next_page_parameters(
    query: SessionQuery, answer: Answer, *, take: int, fields: str | None
) -> dict[str, str] | None:
    """The query parameters of the page after ``answer`` (``None`` on the last): the same selection, ``take`` and
    ``fields``, at ``nextCursor``, or at ``nextSkip`` when the page has no cursor."""
    if answer.next_cursor is not None:
        position = {"cursor": answer.next_cursor}
    elif answer.next_skip is not None:
        position = {"skip": str(answer.next_skip)}
    else:
        return None
    return {**query.as_dict(), "take": str(take), **({"fields": fields} if fields else {}), **position}
