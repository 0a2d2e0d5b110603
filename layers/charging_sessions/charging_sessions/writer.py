"""The write path: ``put`` (idempotent, counter-exact, safe under retries and concurrent writers),
``load`` (bulk load into empty namespaces: demo data, benchmarks, imports) and ``recount``.

Not imported by the list function (it only reads); used by the local toolkit's ``import``/``recount``
and by any service that writes sessions. Keys, items and requests come from :mod:`storage_layout`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from . import storage_layout as layout
from .dynamodb_json import Item, from_attribute, from_item
from .models import ChargingSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_WRITE_ATTEMPTS = 5
_BATCH_WRITE_SIZE = 25
_BATCH_WRITE_ATTEMPTS = 8


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
    if value is not None and not 0 < len(value) <= layout.MAX_KEY_PART_CHARS:
        raise ValueError(f"{name} must be 1 to {layout.MAX_KEY_PART_CHARS} characters to be stored")


def stored_document(session: ChargingSession | Mapping[str, Any]) -> dict[str, Any]:
    """A session validated against the contract, in the form it is stored and answered, within the key limits."""
    model = session if isinstance(session, ChargingSession) else ChargingSession.model_validate(session)
    document = model.model_dump(mode="json", exclude_none=True)
    _key_part("namespaceId", document["namespaceId"])
    _key_part("userId", document.get("userId"))
    _key_part("chargerId", document["chargerId"])
    if not 0 < len(document["id"]) <= layout.MAX_SESSION_ID_CHARS:
        raise ValueError(f"id must be 1 to {layout.MAX_SESSION_ID_CHARS} characters to be stored")
    return document


class SessionWriter:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, session: ChargingSession | Mapping[str, Any]) -> PutOutcome:
        """Store one session (validated against the contract) and keep every counter exact.

        Idempotent: an identical session is not written again, an older ``updatedAt`` than the stored one
        is ignored, and the item and its counters change in one transaction guarded by the item's revision.
        ``namespaceId``, ``id`` and ``createdAt`` identify a session and must not change.
        """
        document = stored_document(session)
        key = layout.session_key(document["namespaceId"], document["createdAt"], document["id"])
        for _ in range(_WRITE_ATTEMPTS):
            stored = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            previous = layout.session_document(from_item(stored)) if stored else None
            if previous == document:
                return PutOutcome.UNCHANGED
            if previous is not None and previous["updatedAt"] > document["updatedAt"]:
                return PutOutcome.STALE
            revision = int(from_attribute(stored[layout.REV])) if stored and layout.REV in stored else 0
            put: dict[str, Any] = {
                "TableName": self._table,
                "Item": layout.session_item(document, revision + 1),
                **layout.put_condition(stored),
            }
            delta = Counter(layout.counter_keys(document))
            delta.subtract(layout.counter_keys(previous) if previous else [])
            transaction: list[dict[str, Any]] = [{"Put": put}]
            transaction += [
                layout.counter_update(self._table, pk, sk, change) for (pk, sk), change in delta.items() if change
            ]
            try:
                self._client.transact_write_items(TransactItems=cast(Any, transaction))
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                    continue  # someone wrote the session meanwhile: read it again and redo the delta
                raise
            return PutOutcome.CREATED if stored is None else PutOutcome.UPDATED
        raise ConcurrentWriteError(f"session {document['id']} kept changing; not written")

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
            document = stored_document(session)
            namespace = document["namespaceId"]
            if namespace not in checked:
                if self._stored_count(layout.namespace_counter_key(namespace)):
                    raise NamespaceNotEmptyError(f"namespace {namespace!r} already holds sessions")
                checked.add(namespace)
            identity = (namespace, document["id"])
            if identity in seen:
                raise ValueError(f"session {document['id']} appears twice in namespace {namespace!r}")
            seen.add(identity)
            counts.update(layout.counter_keys(document))
            batch.append(layout.session_item(document, 1))
            loaded += 1
            if len(batch) == _BATCH_WRITE_SIZE:
                self._batch_put(batch)
                batch = []
        self._batch_put(batch)
        self._batch_put([layout.counter_item(pk, sk, n) for (pk, sk), n in counts.items()])
        return loaded

    def _stored_count(self, key: Item) -> int:
        return layout.counter_value(
            self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        )

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

    def _all_items(self, request: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Every item a query matches, across DynamoDB's 1 MB pages (boto3's paginator)."""
        for page in self._client.get_paginator("query").paginate(**request):
            yield from page["Items"]

    def recount(self, namespace: str) -> dict[str, int]:
        """Rebuild the namespace's counters from its sessions; returns counter sort key -> count.

        Run it when no writer is active for the namespace (a write racing the recount may be lost from
        the counters; run it again afterwards)."""
        counts: Counter[tuple[str, str]] = Counter()
        request = layout.namespace_sessions_query(self._table, namespace, projection=layout.COUNTED_ATTRIBUTES)
        request["ConsistentRead"] = True
        for item in self._all_items(request):
            counts.update(layout.counter_keys(from_item(item)))
        pk = layout.counter_pk(namespace)
        stored = (
            item[layout.SK]["S"] for item in self._all_items(layout.counter_partition_query(self._table, namespace))
        )
        stale = [sk for sk in stored if (pk, sk) not in counts]
        self._batch_put([layout.counter_item(p, s, n) for (p, s), n in counts.items()])
        self._batch_put([layout.counter_item(pk, sk, 0) for sk in stale])
        return {sk: n for (_, sk), n in counts.items()}
