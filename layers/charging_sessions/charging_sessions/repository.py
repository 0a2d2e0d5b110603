"""Data access for charging sessions: the only code that reads or writes the table's item layout.

Read side: one page of a namespace's sessions, newest first, with an exact total ``count``.
Write side: ``put`` (idempotent, counter-exact, safe under retries and concurrent writers),
``load`` (bulk load into empty namespaces: demo data, benchmarks, imports) and ``recount``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError
from pydantic import ValidationError

from . import storage_keys as keys
from .dynamodb_json import Item, from_attribute, from_item, to_item
from .models import ChargingSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

InvalidItemHook = Callable[[Mapping[str, str], ValidationError], None]

_WRITE_ATTEMPTS = 5
_BATCH_WRITE_SIZE = 25
_BATCH_WRITE_ATTEMPTS = 8


@dataclass
class ReadStats:
    """What one listing cost: DynamoDB calls, read capacity DynamoDB reported, time spent waiting on it."""

    calls: int = 0
    consumed_capacity: float = 0.0
    items_read: int = 0
    retries: int = 0
    """Attempts the SDK retried (throttling, 5xx) before a call succeeded."""
    dynamodb_seconds: float = 0.0


@dataclass
class SessionPage:
    sessions: list[ChargingSession]
    count: int
    invalid_items: int = 0
    view: str = ""
    stats: ReadStats = field(default_factory=ReadStats)


@dataclass(frozen=True)
class SessionFilter:
    user_id: str | None = None
    charger_id: str | None = None
    status: str | None = None

    def as_dict(self) -> dict[str, str]:
        given = {"userId": self.user_id, "chargerId": self.charger_id, "status": self.status}
        return {name: value for name, value in given.items() if value is not None}

    @property
    def combination(self) -> str:
        """Which filters are set, e.g. ``userId+status`` (``none`` without filters): low cardinality."""
        return "+".join(self.as_dict()) or "none"


class PutOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    """The stored session is identical: a duplicate delivery, nothing written."""
    STALE = "stale"
    """The stored session has a newer ``updatedAt``: an out-of-order delivery, nothing written."""


class ConcurrentWriteError(RuntimeError):
    """The session kept changing under us; the caller may retry later."""


class NamespaceNotEmptyError(RuntimeError):
    """``load`` only bulk-loads namespaces that hold no sessions yet."""


def _key_part(name: str, value: str | None) -> None:
    if value is not None and not 0 < len(value) <= keys.MAX_KEY_PART_CHARS:
        raise ValueError(f"{name} must be 1 to {keys.MAX_KEY_PART_CHARS} characters to be stored")


def _counter_item(pk: str, sk: str, n: int) -> Item:
    return {keys.PK: {"S": pk}, keys.SK: {"S": sk}, keys.COUNT: {"N": str(n)}}


def counter_keys(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (pk, sk) of every counter a stored session counts in: one per view it appears in."""
    namespace = document["namespaceId"]
    user_id, charger_id, status = document.get("userId"), document["chargerId"], document["status"]
    return [
        (keys.counter_pk(namespace), view.counter_sk(user_id, charger_id, status))
        for view in keys.VIEWS
        if view.applies_to(user_id, charger_id)
    ]


class SessionRepository:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        on_invalid_item: InvalidItemHook | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._on_invalid_item = on_invalid_item

    # ------------------------------------------------------------------ reading

    def list_sessions(
        self, namespace: str, filters: SessionFilter = SessionFilter(), *, skip: int = 0, take: int = 50
    ) -> SessionPage:
        """One page of the namespace's sessions matching ``filters``, newest first (ties: id descending),
        and the total number that match. ``take=0`` answers only the count."""
        view, residual_charger = keys.choose_view(filters.user_id, filters.charger_id, filters.status)
        partition = view.partition_key(namespace, filters.user_id, filters.charger_id, filters.status)
        stats = ReadStats()
        if residual_charger:
            return self._filtered_page(view, partition, filters, skip, take, stats)

        count = self._read_counter(namespace, view, filters, stats)
        documents: list[dict[str, Any]] = []
        if take > 0 and skip < count:
            remaining = count - skip
            from_oldest = max(0, remaining - take)
            if from_oldest < skip:
                # Nearer the oldest end (the last pages): pass over fewer keys reading upwards, then turn around.
                documents = self._page(view, partition, from_oldest, min(take, remaining), stats, newest_first=False)
                documents.reverse()
            else:
                documents = self._page(view, partition, skip, take, stats, newest_first=True)
        sessions, invalid = self._validate(documents)
        return SessionPage(sessions, count, invalid, view.name, stats)

    def _call(self, stats: ReadStats, operation: Callable[..., Any], **request: Any) -> Any:
        request["ReturnConsumedCapacity"] = "TOTAL"
        started = time.perf_counter()
        try:
            response = operation(**request)
        finally:
            stats.dynamodb_seconds += time.perf_counter() - started
            stats.calls += 1
        capacity = response.get("ConsumedCapacity")
        if isinstance(capacity, dict):
            stats.consumed_capacity += float(capacity.get("CapacityUnits", 0.0))
        stats.items_read += int(response.get("ScannedCount", 1 if "Item" in response else 0))
        stats.retries += int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        return response

    def _read_counter(self, namespace: str, view: keys.View, filters: SessionFilter, stats: ReadStats) -> int:
        response = self._call(
            stats,
            self._client.get_item,
            TableName=self._table,
            Key={
                keys.PK: {"S": keys.counter_pk(namespace)},
                keys.SK: {"S": view.counter_sk(filters.user_id, filters.charger_id, filters.status)},
            },
            ProjectionExpression="#n",
            ExpressionAttributeNames={"#n": keys.COUNT},
        )
        item = response.get("Item")
        return max(int(item[keys.COUNT]["N"]), 0) if item else 0

    def _page(
        self, view: keys.View, partition: str, skip: int, take: int, stats: ReadStats, *, newest_first: bool
    ) -> list[dict[str, Any]]:
        """``take`` items after the first ``skip`` of the view, read in the given direction."""
        start = self._skip(view, partition, skip, stats, newest_first=newest_first) if skip else None
        if skip and start is None:
            return []
        return self._read_items(view, partition, start, take, stats, newest_first=newest_first)

    def _query(
        self, view: keys.View, partition: str, *, keys_only: bool = False, newest_first: bool = True, **extra: Any
    ) -> dict[str, Any]:
        index = view.keys_index if keys_only else view.index
        pk_attr = view.keys_pk_attr if keys_only else view.pk_attr
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": pk_attr},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": not newest_first,
            **extra,
        }
        if index:
            request["IndexName"] = index
        return request

    def _skip(
        self, view: keys.View, partition: str, skip: int, stats: ReadStats, *, newest_first: bool = True
    ) -> Item | None:
        """The key of the ``skip``-th entry of the view, found by counting keys, not reading items.

        Uses the view's KEYS_ONLY index when it has one (a few dozen bytes an entry), else its own index.
        ``None`` when the view holds fewer than ``skip`` entries."""
        keys_only = view.keys_index is not None
        request = self._query(view, partition, keys_only=keys_only, newest_first=newest_first, Select="COUNT")
        remaining = skip
        while remaining > 0:
            response = self._call(stats, self._client.query, **request, Limit=remaining)
            remaining -= int(response["Count"])
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                return None
            request["ExclusiveStartKey"] = last_key
        start: Item = request["ExclusiveStartKey"]
        if keys_only:
            # A keys-only entry's key holds the table key too; the item view's key is built from it.
            start = {name: value for name, value in start.items() if name in (keys.PK, keys.SK, view.pk_attr)}
            start.setdefault(view.pk_attr, {"S": partition})
        return start

    def _read_items(
        self,
        view: keys.View,
        partition: str,
        start: Item | None,
        take: int,
        stats: ReadStats,
        *,
        newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        request = self._query(view, partition, newest_first=newest_first)
        if start is not None:
            request["ExclusiveStartKey"] = start
        documents: list[dict[str, Any]] = []
        while len(documents) < take:
            response = self._call(stats, self._client.query, **request, Limit=take - len(documents))
            documents.extend(from_item(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return documents

    def _filtered_page(
        self,
        view: keys.View,
        partition: str,
        filters: SessionFilter,
        skip: int,
        take: int,
        stats: ReadStats,
    ) -> SessionPage:
        """userId + chargerId: read the user's view, filtering on chargerId; the count comes from reading."""
        request = self._query(view, partition, FilterExpression="chargerId = :charger")
        request["ExpressionAttributeValues"][":charger"] = {"S": filters.charger_id}
        count = 0
        documents: list[dict[str, Any]] = []
        for item in self._all_items(request, stats):
            if skip <= count < skip + take:
                documents.append(from_item(item))
            count += 1
        sessions, invalid = self._validate(documents)
        return SessionPage(sessions, count, invalid, view.name + "+chargerId", stats)

    def _all_items(self, request: dict[str, Any], stats: ReadStats) -> Iterator[Item]:
        """Every item a query matches, following ``LastEvaluatedKey`` across DynamoDB's 1 MB pages."""
        while True:
            response = self._call(stats, self._client.query, **request)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _validate(self, documents: list[dict[str, Any]]) -> tuple[list[ChargingSession], int]:
        """Stored items that do not fit the contract are left out of the page and reported, never answered."""
        sessions: list[ChargingSession] = []
        invalid = 0
        for document in documents:
            try:
                sessions.append(ChargingSession.model_validate(document))
            except ValidationError as error:
                invalid += 1
                if self._on_invalid_item is not None:
                    self._on_invalid_item(
                        {keys.PK: str(document.get(keys.PK)), keys.SK: str(document.get(keys.SK))}, error
                    )
        return sessions, invalid

    # ------------------------------------------------------------------ writing

    def _session_item(self, document: Mapping[str, Any], revision: int) -> Item:
        namespace, user_id, charger_id, status = (
            document["namespaceId"],
            document.get("userId"),
            document["chargerId"],
            document["status"],
        )
        item = to_item(document)
        item[keys.PK] = {"S": keys.namespace_pk(namespace)}
        item[keys.SK] = {"S": keys.session_sk(document["createdAt"], document["id"])}
        item[keys.REV] = {"N": str(revision)}
        for view in keys.VIEWS:
            if view.applies_to(user_id, charger_id):
                partition = view.partition_key(namespace, user_id, charger_id, status)
                if view.index is not None:
                    item[view.pk_attr] = {"S": partition}
                if view.keys_pk_attr is not None:
                    item[view.keys_pk_attr] = {"S": partition}
        return item

    @staticmethod
    def _document(session: ChargingSession | Mapping[str, Any]) -> dict[str, Any]:
        model = session if isinstance(session, ChargingSession) else ChargingSession.model_validate(session)
        document = model.model_dump(mode="json", exclude_none=True)
        _key_part("namespaceId", document["namespaceId"])
        _key_part("userId", document.get("userId"))
        _key_part("chargerId", document["chargerId"])
        if not 0 < len(document["id"]) <= keys.MAX_SESSION_ID_CHARS:
            raise ValueError(f"id must be 1 to {keys.MAX_SESSION_ID_CHARS} characters to be stored")
        return document

    def put(self, session: ChargingSession | Mapping[str, Any]) -> PutOutcome:
        """Store one session (validated against the contract) and keep every counter exact.

        Idempotent: an identical session is not written again, an older ``updatedAt`` than the stored one
        is ignored, and the item and its counters change in one transaction guarded by the item's revision.
        ``namespaceId``, ``id`` and ``createdAt`` identify a session and must not change.
        """
        document = self._document(session)
        key = {
            keys.PK: {"S": keys.namespace_pk(document["namespaceId"])},
            keys.SK: {"S": keys.session_sk(document["createdAt"], document["id"])},
        }
        for _ in range(_WRITE_ATTEMPTS):
            stored = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            previous = {k: v for k, v in from_item(stored).items() if k not in keys.KEY_ATTRIBUTES} if stored else None
            if previous == document:
                return PutOutcome.UNCHANGED
            if previous is not None and previous["updatedAt"] > document["updatedAt"]:
                return PutOutcome.STALE
            revision = int(from_attribute(stored[keys.REV])) if stored and keys.REV in stored else 0
            put: dict[str, Any] = {"TableName": self._table, "Item": self._session_item(document, revision + 1)}
            if stored is None:
                put["ConditionExpression"] = "attribute_not_exists(#pk)"
                put["ExpressionAttributeNames"] = {"#pk": keys.PK}
            elif keys.REV in stored:
                put["ConditionExpression"] = "#rev = :rev"
                put["ExpressionAttributeNames"] = {"#rev": keys.REV}
                put["ExpressionAttributeValues"] = {":rev": stored[keys.REV]}
            else:  # written by someone who did not keep a revision: guard on what we read
                put["ConditionExpression"] = "attribute_not_exists(#rev) AND updatedAt = :updated"
                put["ExpressionAttributeNames"] = {"#rev": keys.REV}
                put["ExpressionAttributeValues"] = {":updated": stored["updatedAt"]}
            delta = Counter(counter_keys(document))
            delta.subtract(counter_keys(previous) if previous else [])
            transaction: list[dict[str, Any]] = [{"Put": put}]
            transaction += [self._counter_update(pk, sk, change) for (pk, sk), change in delta.items() if change]
            try:
                self._client.transact_write_items(TransactItems=cast(Any, transaction))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                    continue  # someone wrote the session meanwhile: read it again and redo the delta
                raise
            return PutOutcome.CREATED if stored is None else PutOutcome.UPDATED
        raise ConcurrentWriteError(f"session {document['id']} kept changing; not written")

    def _counter_update(self, pk: str, sk: str, change: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": {keys.PK: {"S": pk}, keys.SK: {"S": sk}},
                "UpdateExpression": "ADD #n :change",
                "ExpressionAttributeNames": {"#n": keys.COUNT},
                "ExpressionAttributeValues": {":change": {"N": str(change)}},
            }
        }

    def load(self, sessions: Iterable[ChargingSession | Mapping[str, Any]]) -> int:
        """Bulk-load sessions into namespaces that hold none yet (demo data, benchmarks, first imports):
        batched writes, then counters computed from what was loaded. Returns the number loaded.

        Raises :class:`NamespaceNotEmptyError` before writing anything to a namespace that has sessions,
        and ``ValueError`` when the input repeats a session; use ``put`` to add to a live namespace."""
        counts: Counter[tuple[str, str]] = Counter()
        checked: set[str] = set()
        seen: set[tuple[str, str]] = set()
        batch: list[Item] = []
        loaded = 0
        for session in sessions:
            document = self._document(session)
            namespace = document["namespaceId"]
            if namespace not in checked:
                if self._stored_counter(keys.counter_pk(namespace), keys.NAMESPACE.counter_sk(None, None, None)):
                    raise NamespaceNotEmptyError(f"namespace {namespace!r} already holds sessions")
                checked.add(namespace)
            identity = (namespace, document["id"])
            if identity in seen:
                raise ValueError(f"session {document['id']} appears twice in namespace {namespace!r}")
            seen.add(identity)
            counts.update(counter_keys(document))
            batch.append(self._session_item(document, 1))
            loaded += 1
            if len(batch) == _BATCH_WRITE_SIZE:
                self._batch_put(batch)
                batch = []
        self._batch_put(batch)
        self._batch_put([_counter_item(pk, sk, n) for (pk, sk), n in counts.items()])
        return loaded

    def _stored_counter(self, pk: str, sk: str) -> int:
        item = self._client.get_item(
            TableName=self._table, Key={keys.PK: {"S": pk}, keys.SK: {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return int(item[keys.COUNT]["N"]) if item else 0

    def _batch_put(self, items: list[Item]) -> None:
        for start in range(0, len(items), _BATCH_WRITE_SIZE):
            requests: list[Any] = [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH_WRITE_SIZE]]
            for attempt in range(_BATCH_WRITE_ATTEMPTS):
                response = self._client.batch_write_item(RequestItems={self._table: requests})
                requests = list(response.get("UnprocessedItems", {}).get(self._table, []))
                if not requests:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError(f"{len(requests)} items were not written after {_BATCH_WRITE_ATTEMPTS} attempts")

    # ------------------------------------------------------------------ counters

    def _namespace_documents(self, namespace: str) -> Iterator[dict[str, Any]]:
        request = self._query(
            keys.NAMESPACE,
            keys.namespace_pk(namespace),
            ProjectionExpression="namespaceId, userId, chargerId, #status",
            ConsistentRead=True,
        )
        request["ExpressionAttributeNames"]["#status"] = "status"
        return (from_item(item) for item in self._all_items(request, ReadStats()))

    def recount(self, namespace: str) -> dict[str, int]:
        """Rebuild the namespace's counters from its sessions; returns counter sort key -> count.

        Run it when no writer is active for the namespace (a write racing the recount may be lost from
        the counters; run it again afterwards)."""
        counts: Counter[tuple[str, str]] = Counter()
        for document in self._namespace_documents(namespace):
            counts.update(counter_keys(document))
        pk = keys.counter_pk(namespace)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": keys.PK},
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ProjectionExpression": "#pk, sk",
        }
        stored = (item[keys.SK]["S"] for item in self._all_items(request, ReadStats()))
        stale = [sk for sk in stored if (pk, sk) not in counts]
        self._batch_put([_counter_item(p, s, n) for (p, s), n in counts.items()])
        self._batch_put([_counter_item(pk, sk, 0) for sk in stale])
        return {sk: n for (_, sk), n in counts.items()}
