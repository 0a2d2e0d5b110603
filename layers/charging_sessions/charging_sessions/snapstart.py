"""SnapStart (the template's ``EnableSnapStart`` option): what runs before Lambda snapshots an initialised execution
environment, and after it restores one (``docs/deploy.md``, "SnapStart").

Before the snapshot, the work a first request would do once is done against no network: the resolver routes and
validates a synthetic request (refused before any read), the answer path writes synthetic sessions as JSON, as
CSV and gzipped, and the DynamoDB client builds a request that a stub answers. Nothing unique or secret is made
before the snapshot: cursor keys are fetched by the first request that needs one (after a restore), the synthetic
request leaves no metric behind, and ``random`` is seeded again after every restore.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .answers import Shape, fit_page, render
from .compression import gzip_bytes
from .conditional import entity_tag
from .models import ChargingSession
from .negotiation import MediaType
from .observability import logger, metrics
from .routes import LIST_SESSIONS_PATH
from .storage.metering import ReadStats
from .storage.reader import SessionPage

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from mypy_boto3_dynamodb import DynamoDBClient

WARMUP_NAMESPACE = "snapstart-warmup"
_SESSION = {
    "id": "warmup-session",
    "transactionId": 1,
    "idTag": "WARMUP",
    "chargerId": "warmup-charger",
    "connectorId": 1,
    "chargingIntentId": "00000000-0000-4000-8000-000000000000",
    "userId": "warmup-user",
    "status": "Stopped",
    "startedAtTimestamp": "2026-01-01T00:00:00.000Z",
    "startedAtEnergy": 0.0,
    "stoppedAtTimestamp": "2026-01-01T01:00:00.000Z",
    "stoppedAtEnergy": 1.5,
    "stoppedReason": "Local",
    "energy": 1.5,
    "duration": 3600,
    "price": "0.50",
    "applicationId": "warmup",
    "namespaceId": WARMUP_NAMESPACE,
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-01-01T01:00:00.000Z",
    "chargingIntent": {
        "id": "00000000-0000-4000-8000-000000000000",
        "idTag": "WARMUP",
        "chargerId": "warmup-charger",
        "type": "InApp",
        "startType": "Remote",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
    },
}
"""A session that exists nowhere: what the answer path writes before the snapshot."""


class _Context:
    """The parts of a Lambda context the resolver reads, for the synthetic request."""

    function_name = "snapstart-warmup"
    aws_request_id = "snapstart-warmup"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def synthetic_event(namespace_claim: str) -> dict[str, Any]:
    """An HTTP API request the edge refuses before any read (``take=-1``), from a caller of a namespace that holds
    nothing."""
    return {
        "version": "2.0",
        "routeKey": f"GET {LIST_SESSIONS_PATH}",
        "rawPath": LIST_SESSIONS_PATH,
        "rawQueryString": "take=-1",
        "queryStringParameters": {"take": "-1"},
        "headers": {"host": "snapstart.invalid", "accept-encoding": "gzip"},
        "requestContext": {
            "http": {"method": "GET", "path": LIST_SESSIONS_PATH, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "authorizer": {"jwt": {"claims": {namespace_claim: WARMUP_NAMESPACE}, "scopes": None}},
            "requestId": "snapstart-warmup",
            "domainName": "snapstart.invalid",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def warm(resolver: APIGatewayHttpResolver, client: DynamoDBClient, table: str, namespace_claim: str) -> None:
    """The first request's one-time work, done without the network (see the module's docstring)."""
    from botocore.stub import Stubber  # only before a snapshot: no request needs it

    resolver.resolve(synthetic_event(namespace_claim), _Context())  # type: ignore[arg-type]
    session = ChargingSession.model_validate(_SESSION)
    page = SessionPage([session], count=1, view="namespace", stats=ReadStats(), entries=1, positions=[0], more=False)
    for shape in (Shape(), Shape(media=MediaType.CSV), Shape(fields=frozenset({"id", "status"}), gzip=True)):
        answer = render(fit_page(page, skip=0, shape=shape), count=1, shape=shape)
        gzip_bytes(answer.body)
        entity_tag(WARMUP_NAMESPACE, {"take": 1}, answer.body)
    with Stubber(client) as stub:  # serializes a Query; the stub answers it, nothing is sent
        stub.add_response("query", {"Items": [], "Count": 0, "ScannedCount": 0})
        client.query(
            TableName=table,
            KeyConditionExpression="pk = :namespace",
            ExpressionAttributeValues={":namespace": {"S": WARMUP_NAMESPACE}},
        )
    metrics.clear_metrics()  # the synthetic refusal counted a validation failure: it must not reach CloudWatch
    logger.info("Warmed up before the snapshot")


def after_restore() -> None:
    """Every restored environment draws its own random numbers (a snapshot would share the generator's state)."""
    random.seed()


def register(warm_up: Callable[[], None]) -> bool:
    """Registers ``warm_up`` to run before the snapshot and :func:`after_restore` after each restore, with the Python
    runtime's hooks (``snapshot_restore_py``, in Lambda's managed runtimes; they run only with SnapStart on). Where
    the library is missing (here, tests), nothing is registered and False is answered."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_before_snapshot(warm_up)
    register_after_restore(after_restore)
    return True
