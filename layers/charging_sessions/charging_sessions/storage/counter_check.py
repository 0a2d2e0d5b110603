"""Counter drift: count a namespace's sessions from its own partition, compare with its counters, repair what
drifted; and sweep the table for the namespaces a scheduled check looks at. Pages never depend on the counters;
this keeps ``count`` exact when sessions change behind the writer (``docs/storage.md``, "Drift detection")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from .dynamodb_json import Item, from_item
from .items import SWEEP_AT, SWEEP_LAST, countable, counter_keys, counter_repair, counter_value, sweep_update
from .keys import NAMESPACE, PK, SK, checked_namespace, counter_pk, sweep_key
from .requests import COUNTED_ATTRIBUTES, counter_partition_query, namespace_sessions_query, namespace_sweep_scan

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass
class CounterCheck:
    """A namespace's counters against its own partition: the true counts (counter sort key -> count), what the
    counters held, and the items that could not be counted (their sort keys)."""

    counts: dict[str, int] = field(default_factory=dict)
    stored: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    raced: list[str] = field(default_factory=list)
    """Counters a writer moved between the check's read and its repair: left as they are, checked again next time."""

    @property
    def total(self) -> int:
        return self.counts.get(NAMESPACE.counter_sk(None, None, None), 0)

    @property
    def confirmed(self) -> dict[str, tuple[int, int]]:
        """The drifted counters no writer moved during the check: drift, not a race (what is reported)."""
        return {sk: pair for sk, pair in self.drifted.items() if sk not in self.raced}

    @property
    def drifted(self) -> dict[str, tuple[int, int]]:
        """Counter sort key -> (held, true), for every counter that is wrong."""
        keys = set(self.counts) | set(self.stored)
        return {
            sk: (self.stored.get(sk, 0), self.counts.get(sk, 0))
            for sk in sorted(keys)
            if self.stored.get(sk, 0) != self.counts.get(sk, 0)
        }


DriftReport = Callable[[str, CounterCheck], None]
"""Called with a namespace and its check, when some of its counters drifted."""


@dataclass
class CheckSummary:
    """What a check of several namespaces found."""

    namespaces: list[str] = field(default_factory=list)
    drifted_namespaces: int = 0
    drifted_counters: int = 0
    skipped_items: int = 0
    raced_counters: int = 0
    """Counters a writer moved during their check (not repaired, not reported: checked again next time)."""


class CounterChecker:
    """Checks and repairs the counters of namespaces in one table."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def check(self, namespace: str, *, repair: bool) -> CounterCheck:
        """Read the namespace's counters, then count its sessions from its own partition (the namespace is the
        partition's, never read from an item; both reads consistent); with ``repair``, set every counter that is
        wrong to the true count, each only if it still holds what was read. A put that commits meanwhile moves its
        counters and so fails that condition: no update is lost, and the next check sees it settled. Items that miss
        what counting needs are skipped and reported."""
        check = CounterCheck()
        for item in self._all_items(counter_partition_query(self._table, namespace)):
            check.stored[str(item[SK]["S"])] = counter_value(item)
        counts: Counter[str] = Counter()
        request = namespace_sessions_query(self._table, namespace, projection=COUNTED_ATTRIBUTES)
        request["ConsistentRead"] = True
        for item in self._all_items(request):
            document = from_item(item)
            if countable(document):
                counts.update(sk for _, sk in counter_keys(namespace, document))
            else:
                check.skipped.append(str(document.get(SK)))
        check.counts = dict(counts)
        if repair:
            for sk, (_, true) in check.drifted.items():
                held = check.stored.get(sk)
                try:
                    self._client.update_item(**counter_repair(self._table, counter_pk(namespace), sk, held, true))
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                        raise
                    check.raced.append(sk)
        return check

    def recount(self, namespace: str) -> CounterCheck:
        """Rebuild the namespace's counters from its sessions (:meth:`check` with repair)."""
        return self.check(namespace, repair=True)

    def sweep(self, *, limit: int) -> list[str]:
        """The namespaces (with sessions or counters) among the next ``limit`` items of the table, continuing where
        the last sweep stopped (the position is kept in the table) and starting over after the end: every namespace
        is found at least once per pass over the table. A namespace the last stretch ended in is left out of this
        one, where it continues: a large namespace is checked once per pass, not once per stretch it spans."""
        state = self._client.get_item(TableName=self._table, Key=sweep_key(), ConsistentRead=True).get("Item") or {}
        start = cast(Item | None, state.get(SWEEP_AT, {}).get("M"))
        response = self._client.scan(**namespace_sweep_scan(self._table, limit, start))
        found = [checked_namespace(str(item[PK]["S"])) for item in response.get("Items", [])]
        namespaces = [namespace for namespace in found if namespace is not None]
        last_key = cast(Item | None, response.get("LastEvaluatedKey"))
        self._client.update_item(**sweep_update(self._table, last_key, namespaces[-1] if namespaces else None))
        continued = state.get(SWEEP_LAST, {}).get("S") if start is not None else None
        return sorted({namespace for namespace in namespaces if namespace != continued})

    def check_namespaces(
        self, namespaces: Iterable[str], *, repair: bool, on_drift: DriftReport | None = None
    ) -> CheckSummary:
        """Check (with ``repair``, fix) the counters of each namespace; ``on_drift`` hears of each that drifted."""
        summary = CheckSummary()
        for namespace in namespaces:
            check = self.check(namespace, repair=repair)
            summary.namespaces.append(namespace)
            summary.skipped_items += len(check.skipped)
            summary.raced_counters += len(check.raced)
            if check.confirmed:
                summary.drifted_namespaces += 1
                summary.drifted_counters += len(check.confirmed)
                if on_drift is not None:
                    on_drift(namespace, check)
        return summary

    def _all_items(self, request: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Every item a query matches, across DynamoDB's 1 MB pages (boto3's paginator)."""
        for page in self._client.get_paginator("query").paginate(**request):
            yield from page["Items"]
