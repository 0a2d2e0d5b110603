"""GET /api/charging-sessions/list/for/namespace: the caller's namespace's charging sessions, newest first.

A declaration and a call: the edge admits the caller, Powertools validates the parameters the query module
declares, the listing reads and answers.
"""

# ruff: noqa: E402 - two settings must come before the first import of pydantic and Powertools (below)
import os

# pydantic looks for plugins by reading every installed distribution's entry points when the first model is built
# (Powertools builds one at import): ~30 ms of each cold start for plugins this function does not use. An operator
# who wants one sets PYDANTIC_DISABLE_PLUGINS themselves (README, "Configuration").
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

# Powertools' event_handler and data_classes packages import every resolver and event class they have (asyncio among
# them) when imported; this function uses one of each. Their names now load from their submodules on first use.
from charging_sessions import lazy_packages

lazy_packages.defer_all()

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from charging_sessions import query as q
from charging_sessions import snapstart
from charging_sessions.aws_clients import dynamodb_client
from charging_sessions.cursor import CursorCodec
from charging_sessions.cursor_secret import CursorKeySource
from charging_sessions.deadline import REQUEST_DEADLINE
from charging_sessions.http_edge import NAMESPACE_CONTEXT_KEY, HttpEdge
from charging_sessions.listing import build_limiter, build_reader, list_for_namespace
from charging_sessions.models import ListChargingSessionsResponse
from charging_sessions.observability import logger, metrics, record_invocation, tracer
from charging_sessions.page_response import answer_shape, page_response, page_responses, request_origin
from charging_sessions.routes import LIST_SESSIONS_PATH
from charging_sessions.settings import get_settings

settings = get_settings()
client = dynamodb_client(settings)
reader = build_reader(client, settings)
limiter = build_limiter(settings)
cursors = CursorCodec(CursorKeySource(settings))
edge = HttpEdge(namespace_claim=settings.namespace_claim)
app = edge.resolver
if TYPE_CHECKING:
    Take = int
else:
    Take = q.take_parameter(settings.max_take)  # bounded by this function's settings


@edge.get(
    LIST_SESSIONS_PATH,
    summary="List charging sessions for namespace",
    description="List the charging sessions that belong under the caller's namespace, newest first, with filters.",
    operation_id="listChargingSessionsForNamespace",
    tags=["Charging sessions"],
    responses=page_responses(ListChargingSessionsResponse),
    exclusive=q.EXCLUSIVE_PARAMETERS,
)
@tracer.capture_method(capture_response=False, capture_error=False)  # traces hold no data (observability.py)
def list_charging_sessions(
    skip: q.Skip = 0,
    take: Take = settings.default_take,
    userId: q.UserId = None,
    chargerId: q.ChargerId = None,
    status: q.Status = None,
    createdFrom: q.CreatedFrom = None,
    createdTo: q.CreatedTo = None,
    updatedFrom: q.UpdatedFrom = None,
    updatedTo: q.UpdatedTo = None,
    sort: q.SortOrder = q.Sort.NEWEST_FIRST,
    cursor: q.Cursor = None,
    fields: q.Fields = None,
    ifNoneMatch: q.IfNoneMatch = None,
    accept: q.Accept = None,
    acceptEncoding: q.AcceptEncoding = None,
    requestId: q.RequestId = None,
) -> Response[Any]:
    query = q.SessionQuery.from_parameters(locals())  # the route's parameters, by their API names
    namespace: str = app.context[NAMESPACE_CONTEXT_KEY]  # from the verified claims, set by the edge's guard
    shape = answer_shape(accept, acceptEncoding, fields)
    listing = list_for_namespace(
        reader, cursors, namespace, query, skip=skip, take=take, cursor=cursor, limiter=limiter, shape=shape
    )
    return page_response(listing, ifNoneMatch, request_origin(app.current_event))


snapstart.register(lambda: snapstart.warm(app, client, settings.table_name, settings.namespace_claim))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    record_invocation()
    seconds = context.get_remaining_time_in_millis() / 1000 - settings.request_deadline_margin
    with REQUEST_DEADLINE.running(seconds):
        return edge.resolve(event, context)
