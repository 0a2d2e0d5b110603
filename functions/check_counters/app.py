"""Scheduled counter check: sweeps the table for namespaces, compares their counters with their partitions, reports
drift (the ``CounterDrift`` metric, alarmed in template.yaml, and a log line per namespace) and repairs it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from charging_sessions.aws_clients import dynamodb_client
from charging_sessions.observability import MetricName, count, logger, metrics
from charging_sessions.settings import get_settings
from charging_sessions.storage.counter_check import CounterCheck, CounterChecker

settings = get_settings()
checker = CounterChecker(dynamodb_client(settings), settings.table_name)


def report_drift(namespace: str, check: CounterCheck) -> None:
    logger.warning(
        "Counters drifted; repaired",
        extra={"namespace": namespace, "drifted": {sk: list(pair) for sk, pair in check.confirmed.items()}},
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    namespaces = checker.sweep(limit=settings.counter_check_sample)
    summary = checker.check_namespaces(namespaces, repair=True, on_drift=report_drift)
    count(MetricName.NAMESPACES_CHECKED, len(summary.namespaces))
    count(MetricName.COUNTER_DRIFT, summary.drifted_counters)
    result = {
        "checked": len(summary.namespaces),
        "drifted_namespaces": summary.drifted_namespaces,
        "drifted_counters": summary.drifted_counters,
        "skipped_items": summary.skipped_items,
        "raced_counters": summary.raced_counters,
    }
    logger.info("Counter check done", extra=result)
    return result
