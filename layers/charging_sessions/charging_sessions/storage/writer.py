"""The write path: ``put`` (idempotent, counter-exact, safe under retries and concurrent writers), ``delete`` and
``load`` (bulk load into empty namespaces: demo data, benchmarks, imports).

For writers (the local toolkit's ``import``, any service that writes sessions); the list function only reads.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from ..models import ChargingSession
from ..settings import DEFAULT_FEED_SETTLE_SECONDS
from .batch_writes import BATCH_WRITE_SIZE, Jitter, Sleep, backoff_ceiling, batch_put
from .change_stamps import change_stamp, commit_bound, stamp_seconds
from .dynamodb_json import Item, from_attribute, from_item
from .items import (
    countable,
    counter_item,
    counter_keys,
    counter_update,
    counter_value,
    identity_condition,
    identity_created_at,
    identity_item,
    put_condition,
    same_layout,
    session_document,
    session_item,
    stored_source_updated,
)
from .keys import REV, identity_key, namespace_counter_key, session_key
from .write_limits import stored_document

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WRITE_ATTEMPTS = 8
"""Attempts of one ``put`` or ``delete`` before it gives up to other writers."""
PASSING_CANCELLATIONS = frozenset({"None", "TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"})
"""Reasons a transaction's items are cancelled for that a later attempt can get past (``None``: that item was fine)."""


class PutOutcome(StrEnum):
    """What ``put`` did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    """The stored session is identical: a duplicate delivery, nothing written."""
    STALE = "stale"
    """The stored session has a newer ``updatedAt``: an out-of-order delivery, nothing written."""


class DeleteOutcome(StrEnum):
    """What ``delete`` did."""

    DELETED = "deleted"
    ABSENT = "absent"
    """No such session: nothing to delete (a repeated delete)."""


class ConcurrentWriteError(RuntimeError):
    """The write lost every attempt to other writers; the caller may retry later."""


class NamespaceNotEmptyError(RuntimeError):
    """``load`` only bulk-loads namespaces that hold no sessions yet."""


class SessionWriter:
    """Writes sessions into one table, keeping their identity items and every counter exact."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        settle_seconds: float = DEFAULT_FEED_SETTLE_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = time.sleep,
        jitter: Jitter = random.uniform,
    ) -> None:
        """``settle_seconds``: the update feed's settle window (``FEED_SETTLE_SECONDS``) the change stamps must keep;
        ``clock``: the writer's time (POSIX seconds), which stamps changes."""
        self._client = client
        self._table = table_name
        self._commit_bound = commit_bound(settle_seconds)
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter

    # ------------------------------------------------------------------ one session

    def put(self, session: ChargingSession | Mapping[str, Any]) -> PutOutcome:
        """Store one session (validated against the contract) and keep every counter exact.

        Idempotent: an identical session is not written again, one whose ``updatedAt`` is older than the stored
        version's is ignored (a late delivery), and the item, its identity item and its counters change in one
        transaction guarded by what was read. A session is found by ``namespaceId`` and ``id``: a re-import that
        corrects ``createdAt`` moves it (the old item goes in the same transaction). Attributes another writer stored
        that the contract does not hold are kept.

        The stored ``updatedAt`` is a change stamp (:func:`change_stamps.change_stamp`): the source's while it is
        fresh and newer than the stored one, else the writer's own, re-stamped on every attempt; a commit that took
        longer than the settle window allows is stamped and written again. Every accepted change thus enters the
        update feed ahead of every mirror's resume point; the source's stamp is kept apart (``srcUpd``)."""
        document = stored_document(session)
        namespace, session_id = document["namespaceId"], document["id"]
        key = session_key(namespace, document["createdAt"], session_id)
        restamp = False
        outcome: PutOutcome | None = None  # what the first commit did, when a late one is stamped again
        for attempt in range(WRITE_ATTEMPTS):
            identity = self._get(identity_key(namespace, session_id))
            pointed = identity_created_at(identity)
            stored = self._get(key)
            moved = None
            if pointed is not None and pointed != document["createdAt"]:
                moved = self._get(session_key(namespace, pointed, session_id))
            previous_item = stored or moved
            previous = from_item(previous_item) if previous_item else None
            api_fields = session_document(previous) if previous else {}
            modelled = {name: value for name, value in api_fields.items() if name in ChargingSession.model_fields}
            kept = {name: value for name, value in api_fields.items() if name not in ChargingSession.model_fields}
            delivered = stored_source_updated(previous) if previous is not None else None
            if (
                not restamp
                and previous is not None
                and moved is None
                and pointed == document["createdAt"]
                and {**modelled, "updatedAt": delivered} == document
                # an item from before an index (or the source stamp) existed is rewritten
                and same_layout(stored, session_item({**kept, **modelled}, 0, source_updated=delivered))
            ):
                return PutOutcome.UNCHANGED
            if not restamp and delivered is not None and delivered > document["updatedAt"]:
                return PutOutcome.STALE
            stamp = change_stamp(
                document["updatedAt"],
                modelled.get("updatedAt") if previous is not None else None,
                now=self._clock(),
                fresh_within=self._commit_bound,
            )
            stamped = {**document, "updatedAt": stamp}
            item = session_item({**kept, **stamped}, _revision(stored) + 1, source_updated=document["updatedAt"])
            transaction: list[dict[str, Any]] = [
                {"Put": {"TableName": self._table, "Item": item, **put_condition(stored)}},
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": identity_item(namespace, session_id, document["createdAt"]),
                        **identity_condition(pointed),
                    }
                },
            ]
            delta = Counter(counter_keys(namespace, document))
            for old in (from_item(item) for item in (stored, moved) if item is not None):
                if countable(old):
                    delta.subtract(counter_keys(namespace, old))
            if moved is not None:
                transaction.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": session_key(namespace, pointed or "", session_id),
                            **put_condition(moved),
                        }
                    }
                )
            transaction += [counter_update(self._table, pk, sk, n) for (pk, sk), n in delta.items() if n]
            if not self._commit(transaction, attempt):
                continue
            outcome = outcome or (PutOutcome.CREATED if previous is None else PutOutcome.UPDATED)
            if self._commit_bound and self._clock() - stamp_seconds(stamp) > self._commit_bound:
                restamp = True  # committed too late for its stamp: a mirror may have passed it; stamp it again
                continue
            return outcome
        if outcome is not None:
            return outcome  # stored, but every commit ran later than the bound: the feed may miss this change
        raise ConcurrentWriteError(
            f"session {session_id} was not written: {WRITE_ATTEMPTS} attempts lost to other writers"
        )

    def delete(self, namespace: str, session_id: str) -> DeleteOutcome:
        """Delete one session, its identity item and its counts, in one transaction (idempotent)."""
        for attempt in range(WRITE_ATTEMPTS):
            identity = self._get(identity_key(namespace, session_id))
            created_at = identity_created_at(identity)
            if created_at is None:
                return DeleteOutcome.ABSENT
            key = session_key(namespace, created_at, session_id)
            stored = self._get(key)
            transaction: list[dict[str, Any]] = [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": identity_key(namespace, session_id),
                        **identity_condition(created_at),
                    }
                }
            ]
            if stored is not None:
                transaction.append({"Delete": {"TableName": self._table, "Key": key, **put_condition(stored)}})
                document = from_item(stored)
                if countable(document):
                    transaction += [
                        counter_update(self._table, pk, sk, -1) for pk, sk in counter_keys(namespace, document)
                    ]
            if self._commit(transaction, attempt):
                return DeleteOutcome.DELETED if stored is not None else DeleteOutcome.ABSENT
        raise ConcurrentWriteError(
            f"session {session_id} was not deleted: {WRITE_ATTEMPTS} attempts lost to other writers"
        )

    def _get(self, key: Item) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return cast(dict[str, Any], item) if item is not None else None

    def _commit(self, transaction: list[dict[str, Any]], attempt: int) -> bool:
        """Run the transaction; ``False`` when it lost to another writer and must be redone from a fresh read.

        A condition that failed means someone wrote the session meanwhile: redo at once. A conflict or throttling
        means another transaction held an item (in practice a counter every session of the namespace shares) or
        capacity ran short: back off with full jitter before redoing, so contending writers spread out. Any other
        cancellation (a validation error, an item collection too large) would fail again: it is raised."""
        try:
            self._client.transact_write_items(TransactItems=cast(Any, transaction))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = {reason.get("Code") for reason in cast(Any, error.response).get("CancellationReasons", [])}
            if "ConditionalCheckFailed" in reasons:
                return False
            if reasons <= PASSING_CANCELLATIONS:
                self._sleep(self._jitter(0, backoff_ceiling(attempt)))
                return False
            raise
        return True

    # ------------------------------------------------------------------ bulk

    def load(
        self, sessions: Iterable[ChargingSession | Mapping[str, Any]], *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Bulk-load sessions into namespaces that hold none yet (demo data, benchmarks, first imports):
        batched writes, then counters computed from what was loaded. Returns the number loaded; ``progress``
        is called with the running total after every batch.

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
                if self._stored_count(namespace_counter_key(namespace)):
                    raise NamespaceNotEmptyError(f"namespace {namespace!r} already holds sessions")
                checked.add(namespace)
            identity = (namespace, document["id"])
            if identity in seen:
                raise ValueError(f"session {document['id']} appears twice in namespace {namespace!r}")
            seen.add(identity)
            counts.update(counter_keys(namespace, document))
            batch.append(session_item(document, 1))
            batch.append(identity_item(namespace, document["id"], document["createdAt"]))
            loaded += 1
            if len(batch) >= BATCH_WRITE_SIZE:
                self._batch_put(batch)
                batch = []
                if progress is not None:
                    progress(loaded)
        self._batch_put(batch)
        self._batch_put([counter_item(pk, sk, n) for (pk, sk), n in counts.items()])
        if progress is not None:
            progress(loaded)
        return loaded

    def _stored_count(self, key: Item) -> int:
        return counter_value(self._get(key))

    def _batch_put(self, items: list[Item]) -> None:
        batch_put(self._client, self._table, items, sleep=self._sleep, jitter=self._jitter)


def _revision(stored: Mapping[str, Any] | None) -> int:
    return int(from_attribute(stored[REV])) if stored and REV in stored else 0
