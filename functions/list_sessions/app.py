"""GET /api/charging-sessions/list/for/namespace: the caller's namespace's charging sessions, newest first.

The function is thin: the HTTP edge admits the caller and Powertools validates the query, the layer's
reader reads the table, and the response is produced from the shared pydantic response model.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from charging_sessions.aws_clients import dynamodb_client
from charging_sessions.conditional import IF_NONE_MATCH_HEADER, entity_tag
from charging_sessions.cursor import MAX_CURSOR_CHARS, CursorCodec
from charging_sessions.cursor_secret import load_cursor_keys
from charging_sessions.deadline import REQUEST_DEADLINE
from charging_sessions.http_edge import (
    ETAG_RESPONSE_HEADERS,
    NAMESPACE_CONTEXT_KEY,
    NO_CONTROL_CHARACTERS,
    NOT_MODIFIED_RESPONSE,
    DigitsOnly,
    HttpEdge,
    conditional_response,
)
from charging_sessions.listing import list_sessions as list_page
from charging_sessions.models import MAX_SAFE_INTEGER, ChargingSessionStatus, ListChargingSessionsResponse
from charging_sessions.observability import (
    logger,
    metrics,
    record_invocation,
    record_page,
    record_request,
    report_counter_drift,
    report_foreign_item,
    report_invalid_item,
    tracer,
)
from charging_sessions.reader import SessionFilter, SessionQuery, SessionReader, Sort
from charging_sessions.routes import LIST_SESSIONS_PATH
from charging_sessions.settings import get_settings
from charging_sessions.storage_layout import MAX_KEY_PART_CHARS
from charging_sessions.time_range import RangeBound, TimeRange

settings = get_settings()
reader = SessionReader(
    dynamodb_client(settings),
    settings.table_name,
    on_invalid_item=report_invalid_item,
    on_foreign_item=report_foreign_item,
    on_counter_drift=report_counter_drift,
    settle_seconds=settings.feed_settle_seconds,
)
cursors = CursorCodec(lambda: load_cursor_keys(settings))
edge = HttpEdge(namespace_claim=settings.namespace_claim)
app = edge.resolver


@edge.get(
    LIST_SESSIONS_PATH,
    summary="List charging sessions for namespace",
    description="List the charging sessions that belong under the caller's namespace, newest first, with filters.",
    operation_id="listChargingSessionsForNamespace",
    tags=["Charging sessions"],
    responses={
        200: {
            "description": "Response for status ok",
            "headers": ETAG_RESPONSE_HEADERS,
            "content": {"application/json": {"model": ListChargingSessionsResponse}},
        },
        304: NOT_MODIFIED_RESPONSE,
    },
)
@tracer.capture_method(capture_response=False, capture_error=False)  # see observability.py: traces hold no data
def list_sessions(
    skip: Annotated[
        int, Field(ge=0, le=MAX_SAFE_INTEGER), DigitsOnly, Query(description="Sessions to skip (newest first).")
    ] = 0,
    take: Annotated[
        int, Field(ge=0, le=settings.max_take), DigitsOnly, Query(description="Page size; 0 answers only the count.")
    ] = settings.default_take,
    userId: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_KEY_PART_CHARS,
            pattern=NO_CONTROL_CHARACTERS,
            description="Only this user's sessions.",
        ),
    ] = None,
    chargerId: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_KEY_PART_CHARS,
            pattern=NO_CONTROL_CHARACTERS,
            description="Only this charger's sessions.",
        ),
    ] = None,
    status: Annotated[ChargingSessionStatus | None, Query(description="Only sessions in this status.")] = None,
    createdFrom: Annotated[
        RangeBound | None,
        Query(
            description=(
                "Only sessions created at or after this instant: an RFC 3339 date-time with `Z` or an offset "
                "(`2026-03-01T10:00:00Z`, `2026-03-01T12:00:00.250+02:00`), exact to the millisecond."
            )
        ),
    ] = None,
    createdTo: Annotated[
        RangeBound | None,
        Query(
            description=(
                "Only sessions created before this instant (half-open: `[createdFrom, createdTo)`), RFC 3339 as "
                "`createdFrom`. `createdFrom` at or after `createdTo` is not an error: it matches nothing."
            )
        ),
    ] = None,
    updatedFrom: Annotated[
        RangeBound | None,
        Query(description="Only sessions last updated at or after this instant, RFC 3339 as `createdFrom`."),
    ] = None,
    updatedTo: Annotated[
        RangeBound | None,
        Query(description="Only sessions last updated before this instant (half-open), RFC 3339 as `createdFrom`."),
    ] = None,
    sort: Annotated[
        Sort,
        Query(
            description=(
                "`-createdAt`: newest first (ties by id descending), the default. `updatedAt`: the update feed, "
                "oldest update first (ties by id ascending), for mirrors; it serves only sessions updated at least "
                "a few seconds ago (the settle window), and always answers `nextCursor`."
            )
        ),
    ] = Sort.NEWEST_FIRST,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_CHARS,
            description=(
                "A previous page's `nextCursor`: the page after it, with the same filters and sort. Not with `skip`."
            ),
        ),
    ] = None,
    ifNoneMatch: Annotated[
        str | None,
        Header(
            alias=IF_NONE_MATCH_HEADER,
            max_length=8192,
            description="Entity tags of answers the client holds (or `*`): 304 without a body when one matches.",
        ),
    ] = None,
) -> Response[Any]:
    namespace: str = app.context[NAMESPACE_CONTEXT_KEY]  # from the verified claims, set by the edge's guard
    filters = SessionFilter(user_id=userId, charger_id=chargerId, status=status)
    record_request(namespace, filters, skip=skip, take=take)
    query = SessionQuery(filters, TimeRange(createdFrom, createdTo), TimeRange(updatedFrom, updatedTo), sort)
    skip_given = "skip" in (app.current_event.query_string_parameters or {})
    listing = list_page(reader, cursors, namespace, query, skip=skip, take=take, cursor=cursor, skip_given=skip_given)
    answer = listing.answer
    record_page(listing.page, returned=answer.returned, cut=answer.cut)
    asked: dict[str, str | int | None] = {"skip": skip, "take": take, **query.as_dict(), "cursor": cursor}
    return conditional_response(answer.body, entity_tag(namespace, asked, answer.body), ifNoneMatch)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    record_invocation()
    seconds = context.get_remaining_time_in_millis() / 1000 - settings.request_deadline_margin
    with REQUEST_DEADLINE.running(seconds):
        return app.resolve(event, context)
