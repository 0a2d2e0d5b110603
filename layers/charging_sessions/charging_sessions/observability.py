"""Logger, tracer and metrics shared by the function and the layer (Powertools), the metric names the template's
alarms and dashboard refer to, and what each request records. Traces hold no session data (``docs/design.md``,
"Traces hold no data")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

if TYPE_CHECKING:
    from .query import SessionFilter
    from .storage.reader import SessionPage

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
"""Traces the SDK's calls (DynamoDB, Secrets Manager) and nothing else: patching every module the X-Ray SDK knows
imports them (sqlite3, http.client, requests ...) at every cold start for calls the function never makes."""
metrics = Metrics()


class MetricName:
    """The metrics the function emits (namespace ``POWERTOOLS_METRICS_NAMESPACE``, dimension ``service``)."""

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
    FOREIGN_ITEMS = "ForeignItems"
    COUNTER_DRIFT = "CounterDrift"
    NAMESPACES_CHECKED = "NamespacesChecked"
    PAGES_CUT_BY_SIZE = "PagesCutBySize"
    PAGES_CUT_BY_READ_BUDGET = "PagesCutByReadBudget"
    CURSOR_KEY_FAILURES = "CursorKeyFailures"
    PAGES_WITHOUT_CURSOR = "PagesWithoutCursor"
    TENANT_THROTTLED = "TenantThrottled"
    DEADLINE_EXCEEDED = "DeadlineExceeded"


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


def record_page(page: SessionPage, *, returned: int, cut: bool) -> None:
    """The request's summary log line, annotations and metrics. ``cut``: the response budget ended the page."""
    stats = page.stats
    logger.info(
        "Listed sessions",
        extra={
            "view": page.view,
            "returned": returned,
            "cut_by_size": cut,
            "cut_by_read_budget": page.budget_cut,
            "count": page.count,
            "invalid_items": page.invalid_items,
            "foreign_items": page.foreign_items,
            "dynamodb_calls": stats.calls,
            "dynamodb_retries": stats.retries,
            "dynamodb_ms": round(stats.dynamodb_seconds * 1000, 2),
            "read_capacity_units": stats.consumed_capacity,
        },
    )
    tracer.put_annotation(key="view", value=page.view)
    tracer.put_metadata(key="dynamodb", value={"calls": stats.calls, "ms": stats.dynamodb_seconds * 1000})
    count(MetricName.SESSIONS_RETURNED, returned)
    if cut:
        count(MetricName.PAGES_CUT_BY_SIZE)
    if page.budget_cut:
        count(MetricName.PAGES_CUT_BY_READ_BUDGET)
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


def report_foreign_item(key: Mapping[str, str], claimed_namespace: str) -> None:
    """An item in the caller's index partition that claims another namespace: a writer escaped a key wrongly.
    Left out of the page; the operator is told which item (the claimed namespace goes to the log only)."""
    logger.error(
        "Stored session claims another namespace than its key; left out of the page",
        extra={"item_key": dict(key), "claimed_namespace": claimed_namespace},
    )
    count(MetricName.FOREIGN_ITEMS)


def report_counter_drift(view: str, counter: int, proven: int) -> None:
    """The read proved a counter wrong (sessions written or deleted behind the writer): the proven figure was
    answered; ``charging-sessions recount`` (or the scheduled counter check) repairs the counter."""
    logger.warning(
        "Counter disagrees with the index", extra={"counter_view": view, "counter": counter, "proven": proven}
    )
    count(MetricName.COUNTER_DRIFT)
