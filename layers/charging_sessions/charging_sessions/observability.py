"""Logger, tracer and metrics shared by the function and the layer (Powertools), and the metric names
the template's alarms and dashboard refer to."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "charging-sessions"
METRICS_NAMESPACE = "ChargingSessions"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


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
