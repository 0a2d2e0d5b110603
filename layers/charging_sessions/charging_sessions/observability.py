"""Logger, tracer and metrics shared by the function and the layer (Powertools), and the metric names
the template's alarms and dashboard refer to.

Powertools reads its own environment: ``POWERTOOLS_SERVICE_NAME`` (logs, metrics' ``service`` dimension,
traces) and ``POWERTOOLS_METRICS_NAMESPACE``, which ``template.yaml`` sets for the function.

Traces hold no session data. The function's Tracer decorators pass ``capture_response=False`` and
``capture_error=False``: by default Powertools puts a traced function's whole return value (here a page of
sessions: user ids, RFID tags, notes) and any exception object into the subsegment's metadata, and a large
page then makes the subsegment bigger than the 64 KB UDP document the X-Ray daemon accepts, so it is dropped
together with its annotations. What a trace holds: the annotations ``namespace``, ``filters`` (the filter
combination, never the values) and ``view`` (:func:`record_request`, :func:`record_page`), Powertools'
``ColdStart`` and ``Service``, the ``dynamodb`` metadata (calls and milliseconds), one subsegment per DynamoDB
call (operation, table, index, consumed capacity: the X-Ray SDK records no keys or values), and for a fault
the exception's type, message and stack frames, which the X-Ray SDK records itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

if TYPE_CHECKING:
    from .reader import SessionFilter, SessionPage

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class MetricName:
    REQUESTS = "Requests"
    SESSIONS_RETURNED = "SessionsReturned"
    VALIDATION_FAILURES = "ValidationFailures"
    UNAUTHORIZED_REQUESTS = "UnauthorizedRequests"
    DYNAMODB_THROTTLES = "DynamoDBThrottles"
    DYNAMODB_ERRORS = "DynamoDBErrors"
    INTERNAL_ERRORS = "InternalErrors"
    INVALID_STORED_ITEMS = "InvalidStoredItems"
    READ_CAPACITY_UNITS = "ReadCapacityUnits"
    DYNAMODB_RETRIES = "DynamoDBRetries"


def count(name: str, value: float = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def record_invocation() -> None:
    count(MetricName.REQUESTS)


def record_request(namespace: str, filters: SessionFilter, *, skip: int, take: int) -> None:
    """Keys every later log line of this request carries, and the trace annotations to search by.
    Filter values (user and charger ids) go to the log only, never to metric dimensions."""
    logger.append_keys(namespace=namespace, filters=filters.as_dict(), skip=skip, take=take)
    tracer.put_annotation(key="namespace", value=namespace)
    tracer.put_annotation(key="filters", value=filters.combination)


def record_page(page: SessionPage) -> None:
    stats = page.stats
    logger.info(
        "Listed sessions",
        extra={
            "view": page.view,
            "returned": len(page.sessions),
            "count": page.count,
            "invalid_items": page.invalid_items,
            "dynamodb_calls": stats.calls,
            "dynamodb_retries": stats.retries,
            "dynamodb_ms": round(stats.dynamodb_seconds * 1000, 2),
            "read_capacity_units": stats.consumed_capacity,
        },
    )
    tracer.put_annotation(key="view", value=page.view)
    tracer.put_metadata(key="dynamodb", value={"calls": stats.calls, "ms": stats.dynamodb_seconds * 1000})
    count(MetricName.SESSIONS_RETURNED, len(page.sessions))
    count(MetricName.READ_CAPACITY_UNITS, stats.consumed_capacity)
    if stats.retries:
        count(MetricName.DYNAMODB_RETRIES, stats.retries)


def report_invalid_item(key: Mapping[str, str], error: ValidationError) -> None:
    """A stored item that does not fit the contract: the operator is told which, and why."""
    logger.error(
        "Stored session does not fit the contract; left out of the page",
        extra={"item_key": dict(key), "errors": error.errors(include_input=False, include_url=False)},
    )
    count(MetricName.INVALID_STORED_ITEMS)
