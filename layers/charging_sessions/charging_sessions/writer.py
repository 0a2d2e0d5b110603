"""The write path: ``put`` (idempotent, counter-exact, safe under retries and concurrent writers), ``delete``,
``load`` (bulk load into empty namespaces: demo data, benchmarks, imports) and ``recount``.

Not imported by the list function (it only reads); used by the local toolkit's ``import``/``recount``
and by any service that writes sessions. Keys, items and requests come from :mod:`storage_layout`.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from . import storage_layout as layout
from .dynamodb_json import Item, from_attribute, from_item
from .models import ChargingSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_WRITE_ATTEMPTS = 8
_BACKOFF_BASE_SECONDS = 0.05
_BACKOFF_CAP_SECONDS = 2.0
_BATCH_WRITE_SIZE = 25
_BATCH_WRITE_ATTEMPTS = 8

MAX_NOTE_BYTES = 4_096
MAX_REFERENCE_BYTES = 256
"""``applicationId`` and ``locationId``."""
MAX_TARIFF_ELEMENTS = 32
MAX_ALT_TEXTS = 16
MAX_STORED_SESSION_BYTES = 65_536
"""A stored session's JSON, at most: far below DynamoDB's 400 KB item, and 90 of them fit a 6 MB answer."""


class PutOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    """The stored session is identical: a duplicate delivery, nothing written."""
    STALE = "stale"
    """The stored session has a newer ``updatedAt``: an out-of-order delivery, nothing written."""


class DeleteOutcome(StrEnum):
    DELETED = "deleted"
    ABSENT = "absent"
    """No such session: nothing to delete (a repeated delete)."""


class ConcurrentWriteError(RuntimeError):
    """The write lost every attempt to other writers; the caller may retry later."""


class NamespaceNotEmptyError(RuntimeError):
    """``load`` only bulk-loads namespaces that hold no sessions yet."""


class SessionRefusedError(ValueError):
    """The session cannot be stored as given: it says what is wrong."""


def _utf8(value: str) -> int:
    return len(value.encode("utf-8"))


def _unmodelled(given: Any, kept: Any, path: str = "") -> list[str]:
    """Attributes of ``given`` that the model does not hold (so ``kept``, its dump, lacks them)."""
    if isinstance(given, Mapping) and isinstance(kept, Mapping):
        found: list[str] = []
        for name, value in given.items():
            where = f"{path}.{name}" if path else str(name)
            if value is None:
                continue
            if name not in kept:
                found.append(where)
            else:
                found += _unmodelled(value, kept[name], where)
        return found
    if isinstance(given, list | tuple) and isinstance(kept, list):
        return [
            where
            for index, pair in enumerate(zip(given, kept, strict=False))
            for where in _unmodelled(*pair, f"{path}[{index}]")
        ]
    return []


def stored_document(session: ChargingSession | Mapping[str, Any]) -> dict[str, Any]:
    """A session validated against the contract, in the form it is stored and answered, within the write limits.

    Raises :class:`SessionRefusedError` for attributes the contract does not hold (they would be lost) and for
    anything over a limit; ``pydantic.ValidationError`` when it does not fit the contract."""
    model = session if isinstance(session, ChargingSession) else ChargingSession.model_validate(session)
    document = model.model_dump(mode="json", exclude_none=True)
    if not isinstance(session, ChargingSession):
        unknown = _unmodelled(session, document)
        if unknown:
            raise SessionRefusedError(f"attributes the contract does not hold would be lost: {', '.join(unknown)}")
    problems = [
        f"{name} must be 1 to {layout.MAX_KEY_PART_CHARS} characters to be stored"
        for name in ("namespaceId", "userId", "chargerId")
        if name in document and not 0 < len(document[name]) <= layout.MAX_KEY_PART_CHARS
    ]
    if not 0 < _utf8(document["id"]) <= layout.MAX_SESSION_ID_BYTES:
        problems.append(f"id must be 1 to {layout.MAX_SESSION_ID_BYTES} bytes (UTF-8) to be stored")
    if _utf8(document.get("note", "")) > MAX_NOTE_BYTES:
        problems.append(f"note must be at most {MAX_NOTE_BYTES} bytes (UTF-8)")
    problems += [
        f"{name} must be at most {MAX_REFERENCE_BYTES} bytes (UTF-8)"
        for name in ("applicationId", "locationId")
        if _utf8(document.get(name, "")) > MAX_REFERENCE_BYTES
    ]
    tariff = document.get("tariff") or {}
    if len(tariff.get("elements", [])) > MAX_TARIFF_ELEMENTS:
        problems.append(f"tariff.elements must hold at most {MAX_TARIFF_ELEMENTS} elements")
    if len(tariff.get("altTexts", [])) > MAX_ALT_TEXTS:
        problems.append(f"tariff.altTexts must hold at most {MAX_ALT_TEXTS} texts")
    size = _utf8(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
    if size > MAX_STORED_SESSION_BYTES:
        problems.append(f"the session is {size} bytes as JSON; at most {MAX_STORED_SESSION_BYTES} are stored")
    if problems:
        raise SessionRefusedError("; ".join(problems))
    return document


@dataclass
class CounterCheck:
    """A namespace's counters against its own partition: the true counts (counter sort key -> count), what the
    counters held, and the items that could not be counted (their sort keys)."""

    counts: dict[str, int] = field(default_factory=dict)
    stored: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.counts.get(layout.NAMESPACE.counter_sk(None, None, None), 0)

    @property
    def drifted(self) -> dict[str, tuple[int, int]]:
        """Counter sort key -> (held, true), for every counter that is wrong."""
        keys = set(self.counts) | set(self.stored)
        return {
            sk: (self.stored.get(sk, 0), self.counts.get(sk, 0))
            for sk in sorted(keys)
            if self.stored.get(sk, 0) != self.counts.get(sk, 0)
        }


def _countable(document: Mapping[str, Any]) -> bool:
    """Whether a stored item carries what choosing its views needs (another writer may have left it out)."""
    return (
        isinstance(document.get("chargerId"), str)
        and document.get("status") in ("Started", "Stopped")
        and isinstance(document.get("userId", ""), str)
    )


class SessionWriter:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep
        self._jitter = jitter

    # ------------------------------------------------------------------ one session

    def put(self, session: ChargingSession | Mapping[str, Any]) -> PutOutcome:
        """Store one session (validated against the contract) and keep every counter exact.

        Idempotent: an identical session is not written again, an older ``updatedAt`` than the stored one is
        ignored, and the item, its identity item and its counters change in one transaction guarded by what was
        read. A session is found by ``namespaceId`` and ``id``: a re-import that corrects ``createdAt`` moves it
        (the old item goes in the same transaction). Attributes another writer stored that the contract does
        not hold are kept."""
        document = stored_document(session)
        namespace, session_id = document["namespaceId"], document["id"]
        key = layout.session_key(namespace, document["createdAt"], session_id)
        for attempt in range(_WRITE_ATTEMPTS):
            identity = self._get(layout.identity_key(namespace, session_id))
            pointed = layout.identity_created_at(identity)
            stored = self._get(key)
            moved = None
            if pointed is not None and pointed != document["createdAt"]:
                moved = self._get(layout.session_key(namespace, pointed, session_id))
            previous_item = stored or moved
            previous = layout.session_document(from_item(previous_item)) if previous_item else None
            modelled = {name: value for name, value in (previous or {}).items() if name in ChargingSession.model_fields}
            kept = {name: value for name, value in (previous or {}).items() if name not in ChargingSession.model_fields}
            item = layout.session_item({**kept, **document}, _revision(stored) + 1)
            if (
                previous is not None
                and moved is None
                and pointed == document["createdAt"]
                and modelled == document
                and layout.same_layout(stored, item)  # an item from before an index existed is rewritten
            ):
                return PutOutcome.UNCHANGED
            if previous is not None and previous.get("updatedAt", "") > document["updatedAt"]:
                return PutOutcome.STALE
            transaction: list[dict[str, Any]] = [
                {"Put": {"TableName": self._table, "Item": item, **layout.put_condition(stored)}},
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": layout.identity_item(namespace, session_id, document["createdAt"]),
                        **layout.identity_condition(pointed),
                    }
                },
            ]
            delta = Counter(layout.counter_keys(namespace, document))
            for old in (stored, moved):
                if old is not None and _countable(from_item(old)):
                    delta.subtract(layout.counter_keys(namespace, from_item(old)))
            if moved is not None:
                transaction.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": layout.session_key(namespace, pointed or "", session_id),
                            **layout.put_condition(moved),
                        }
                    }
                )
            transaction += [layout.counter_update(self._table, pk, sk, n) for (pk, sk), n in delta.items() if n]
            if self._commit(transaction, attempt):
                return PutOutcome.CREATED if previous is None else PutOutcome.UPDATED
        raise ConcurrentWriteError(
            f"session {session_id} was not written: {_WRITE_ATTEMPTS} attempts lost to other writers"
        )

    def delete(self, namespace: str, session_id: str) -> DeleteOutcome:
        """Delete one session, its identity item and its counts, in one transaction (idempotent)."""
        for attempt in range(_WRITE_ATTEMPTS):
            identity = self._get(layout.identity_key(namespace, session_id))
            created_at = layout.identity_created_at(identity)
            if created_at is None:
                return DeleteOutcome.ABSENT
            key = layout.session_key(namespace, created_at, session_id)
            stored = self._get(key)
            transaction: list[dict[str, Any]] = [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": layout.identity_key(namespace, session_id),
                        **layout.identity_condition(created_at),
                    }
                }
            ]
            if stored is not None:
                transaction.append({"Delete": {"TableName": self._table, "Key": key, **layout.put_condition(stored)}})
                document = from_item(stored)
                if _countable(document):
                    transaction += [
                        layout.counter_update(self._table, pk, sk, -1)
                        for pk, sk in layout.counter_keys(namespace, document)
                    ]
            if self._commit(transaction, attempt):
                return DeleteOutcome.DELETED if stored is not None else DeleteOutcome.ABSENT
        raise ConcurrentWriteError(
            f"session {session_id} was not deleted: {_WRITE_ATTEMPTS} attempts lost to other writers"
        )

    def _get(self, key: Item) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return cast(dict[str, Any], item) if item is not None else None

    def _commit(self, transaction: list[dict[str, Any]], attempt: int) -> bool:
        """Run the transaction; ``False`` when it lost to another writer and must be redone from a fresh read.

        A condition that failed means someone wrote the session meanwhile: redo at once. A conflict means another
        transaction held an item (in practice a counter every session of the namespace shares): back off with
        full jitter before redoing, so contending writers spread out."""
        try:
            self._client.transact_write_items(TransactItems=cast(Any, transaction))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = {reason.get("Code") for reason in cast(Any, error.response).get("CancellationReasons", [])}
            if "ConditionalCheckFailed" not in reasons:
                ceiling = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)
                self._sleep(self._jitter(0, ceiling))
            return False
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
                if self._stored_count(layout.namespace_counter_key(namespace)):
                    raise NamespaceNotEmptyError(f"namespace {namespace!r} already holds sessions")
                checked.add(namespace)
            identity = (namespace, document["id"])
            if identity in seen:
                raise ValueError(f"session {document['id']} appears twice in namespace {namespace!r}")
            seen.add(identity)
            counts.update(layout.counter_keys(namespace, document))
            batch.append(layout.session_item(document, 1))
            batch.append(layout.identity_item(namespace, document["id"], document["createdAt"]))
            loaded += 1
            if len(batch) >= _BATCH_WRITE_SIZE:
                self._batch_put(batch)
                batch = []
                if progress is not None:
                    progress(loaded)
        self._batch_put(batch)
        self._batch_put([layout.counter_item(pk, sk, n) for (pk, sk), n in counts.items()])
        if progress is not None:
            progress(loaded)
        return loaded

    def _stored_count(self, key: Item) -> int:
        return layout.counter_value(self._get(key))

    def _batch_put(self, items: list[Item]) -> None:
        for start in range(0, len(items), _BATCH_WRITE_SIZE):
            requests: list[Any] = [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH_WRITE_SIZE]]
            for attempt in range(_BATCH_WRITE_ATTEMPTS):
                response = self._client.batch_write_item(RequestItems={self._table: requests})
                requests = list(response.get("UnprocessedItems", {}).get(self._table, []))
                if not requests:
                    break
                self._sleep(self._jitter(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)))
            else:
                raise RuntimeError(f"{len(requests)} items were not written after {_BATCH_WRITE_ATTEMPTS} attempts")

    def _all_items(self, request: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Every item a query matches, across DynamoDB's 1 MB pages (boto3's paginator)."""
        for page in self._client.get_paginator("query").paginate(**request):
            yield from page["Items"]

    def check_counters(self, namespace: str, *, repair: bool) -> CounterCheck:
        """Count the namespace's sessions from its own partition (the namespace is the partition's, never read
        from an item) and compare with its counters; with ``repair``, write the true count into every counter
        that is wrong. Items that miss what counting needs are skipped and reported.

        Run repairs when no writer is active for the namespace, or accept that a write racing the check may be
        off by its own change until the next check (the check is idempotent)."""
        check = CounterCheck()
        counts: Counter[str] = Counter()
        request = layout.namespace_sessions_query(self._table, namespace, projection=layout.COUNTED_ATTRIBUTES)
        request["ConsistentRead"] = True
        for item in self._all_items(request):
            document = from_item(item)
            if _countable(document):
                counts.update(sk for _, sk in layout.counter_keys(namespace, document))
            else:
                check.skipped.append(str(document.get(layout.SK)))
        check.counts = dict(counts)
        for item in self._all_items(layout.counter_partition_query(self._table, namespace)):
            check.stored[str(item[layout.SK]["S"])] = layout.counter_value(item)
        if repair:
            pk = layout.counter_pk(namespace)
            self._batch_put([layout.counter_item(pk, sk, true) for sk, (_, true) in check.drifted.items()])
        return check

    def recount(self, namespace: str) -> CounterCheck:
        """Rebuild the namespace's counters from its sessions (:meth:`check_counters` with repair)."""
        return self.check_counters(namespace, repair=True)


def _revision(stored: Mapping[str, Any] | None) -> int:
    return int(from_attribute(stored[layout.REV])) if stored and layout.REV in stored else 0
