"""The storage contract: how sessions and their counters are laid out in the one DynamoDB table.

Everything that knows an attribute name, a key format or an index name lives here: keys, items, counter
items, query requests, projection, filter and condition expressions. The reader and the writer build no
key or expression of their own, so that they, the template test and the docs (``docs/storage.md``)
describe the same layout.

Key parts taken from outside (namespace, userId, chargerId) are escaped before they are joined with
``#``: ``%`` becomes ``%25`` and ``#`` becomes ``%23``. Escaped parts never contain ``#``, so the
joined key splits back into exactly the parts it was made of: no namespace, user or charger id,
whatever characters it holds, can produce another tenant's key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .dynamodb_json import Item, to_item

SEP = "#"

# Table key.
PK = "pk"
SK = "sk"
# Item bookkeeping: a revision number, bumped on every write, for optimistic concurrency.
REV = "rev"
COUNT = "n"
"""The count attribute of a counter item."""

MAX_KEY_PART_CHARS = 128
"""Longest namespace, userId or chargerId accepted: keeps every key far below DynamoDB's limits."""
MAX_SESSION_ID_BYTES = 256
"""Longest session id accepted, in UTF-8 bytes: the sort key (``createdAt#id``) must stay under DynamoDB's
1,024 bytes, and a character can take four."""
COUNTER_PARTITION_SUFFIX = "#count"
IDENTITY_PARTITION_SUFFIX = "#id"


def escape(part: str) -> str:
    """Escape one key part so that it holds no ``#`` (and every escape is reversible)."""
    return part.replace("%", "%25").replace(SEP, "%23")


def unescape(part: str) -> str:
    return part.replace("%23", SEP).replace("%25", "%")


def join(*parts: str) -> str:
    """A key made of escaped parts; fixed tokens (``status``) are passed through ``escape`` too."""
    return SEP.join(escape(part) for part in parts)


def namespace_pk(namespace: str) -> str:
    return escape(namespace)


def session_sk(created_at: str, session_id: str) -> str:
    """Sort key: canonical ``createdAt`` (fixed width, UTC) then the id; descending order is newest first,
    ties broken by id descending. The id is not escaped: the fixed-width timestamp already delimits it."""
    return f"{created_at}{SEP}{session_id}"


def counter_pk(namespace: str) -> str:
    return namespace_pk(namespace) + COUNTER_PARTITION_SUFFIX


def identity_pk(namespace: str) -> str:
    """Partition of the namespace's identity items: one per session id, pointing at its ``createdAt``, so that a
    writer finds a session by id even when a re-import corrects its ``createdAt`` (part of the table key)."""
    return namespace_pk(namespace) + IDENTITY_PARTITION_SUFFIX


@dataclass(frozen=True)
class View:
    """One way of reading a namespace's sessions in order: an index (or the table) and how its
    partition key is made. ``keys_index`` is a KEYS_ONLY index in the same order, used to skip cheaply."""

    name: str
    """Filter combination this view serves, also the counter's sort-key prefix."""
    index: str | None
    """GSI that holds the items (ALL projection); ``None`` for the table itself."""
    pk_attr: str
    keys_index: str | None = None
    keys_pk_attr: str | None = None
    uses_user: bool = False
    uses_charger: bool = False
    uses_status: bool = False

    def partition_key(self, namespace: str, user_id: str | None, charger_id: str | None, status: str | None) -> str:
        parts = [namespace]
        if self.uses_user:
            assert user_id is not None
            parts.append(user_id)
        if self.uses_charger:
            assert charger_id is not None
            parts.append(charger_id)
        if self.uses_status:
            assert status is not None
            parts.append(status)
        return join(*parts)

    def counter_sk(self, user_id: str | None, charger_id: str | None, status: str | None) -> str:
        parts = ["all"]
        if self.uses_user:
            assert user_id is not None
            parts += ["user", user_id]
        if self.uses_charger:
            assert charger_id is not None
            parts += ["charger", charger_id]
        if self.uses_status:
            assert status is not None
            parts += ["status", status]
        return join(*parts)

    def applies_to(self, user_id: str | None, charger_id: str | None) -> bool:
        """Whether an item with these attributes appears in this view (GSIs are sparse)."""
        return (not self.uses_user or user_id is not None) and (not self.uses_charger or charger_id is not None)


NAMESPACE = View(
    name="namespace",
    index=None,
    pk_attr=PK,
    keys_index="keys-by-namespace",
    keys_pk_attr="kNs",
)
BY_STATUS = View(name="status", index="by-status", pk_attr="gStatus", uses_status=True)
BY_USER = View(name="userId", index="by-user", pk_attr="gUser", uses_user=True)
BY_USER_STATUS = View(
    name="userId+status", index="by-user-status", pk_attr="gUserStatus", uses_user=True, uses_status=True
)
BY_CHARGER = View(name="chargerId", index="by-charger", pk_attr="gCharger", uses_charger=True)
BY_CHARGER_STATUS = View(
    name="chargerId+status", index="by-charger-status", pk_attr="gChargerStatus", uses_charger=True, uses_status=True
)
BY_USER_CHARGER = View(
    name="userId+chargerId", index="by-user-charger", pk_attr="gUserCharger", uses_user=True, uses_charger=True
)
BY_USER_CHARGER_STATUS = View(
    name="userId+chargerId+status",
    index="by-user-charger-status",
    pk_attr="gUserChargerStatus",
    uses_user=True,
    uses_charger=True,
    uses_status=True,
)

VIEWS: tuple[View, ...] = (
    NAMESPACE,
    BY_STATUS,
    BY_USER,
    BY_USER_STATUS,
    BY_CHARGER,
    BY_CHARGER_STATUS,
    BY_USER_CHARGER,
    BY_USER_CHARGER_STATUS,
)
"""Every view; each has an exact counter per partition key, maintained on every write."""

INDEX_ATTRIBUTES: dict[str, str] = {view.index: view.pk_attr for view in VIEWS if view.index is not None} | {
    view.keys_index: view.keys_pk_attr for view in VIEWS if view.keys_index and view.keys_pk_attr
}
"""GSI name -> its partition-key attribute (every GSI sorts by ``sk``)."""

KEY_ATTRIBUTES = frozenset({PK, SK, REV, *INDEX_ATTRIBUTES.values()})
"""Attributes that belong to the storage layout, not to the session."""


def choose_view(user_id: str | None, charger_id: str | None, status: str | None) -> View:
    """The view that serves a filter combination: every combination has its own index and counter, so every
    page is a key condition and every count one GetItem."""
    uses = (user_id is not None, charger_id is not None, status is not None)
    return next(view for view in VIEWS if (view.uses_user, view.uses_charger, view.uses_status) == uses)


# ---------------------------------------------------------------- session items


def session_key(namespace: str, created_at: str, session_id: str) -> Item:
    """The table key of a session."""
    return {PK: {"S": namespace_pk(namespace)}, SK: {"S": session_sk(created_at, session_id)}}


def session_item(document: Mapping[str, Any], revision: int) -> Item:
    """The stored item of a session (its API fields as they are answered) with its table key, revision and
    the partition key of every index view it appears in (GSIs are sparse: views that do not apply are absent)."""
    namespace, user_id, charger_id, status = (
        document["namespaceId"],
        document.get("userId"),
        document["chargerId"],
        document["status"],
    )
    item = to_item(document)
    item.update(session_key(namespace, document["createdAt"], document["id"]))
    item[REV] = {"N": str(revision)}
    for view in VIEWS:
        if view.applies_to(user_id, charger_id):
            partition = view.partition_key(namespace, user_id, charger_id, status)
            if view.index is not None:
                item[view.pk_attr] = {"S": partition}
            if view.keys_pk_attr is not None:
                item[view.keys_pk_attr] = {"S": partition}
    return item


def identity_key(namespace: str, session_id: str) -> Item:
    return {PK: {"S": identity_pk(namespace)}, SK: {"S": session_id}}


def identity_item(namespace: str, session_id: str, created_at: str) -> Item:
    return {**identity_key(namespace, session_id), "createdAt": {"S": created_at}}


def identity_created_at(item: Mapping[str, Any] | None) -> str | None:
    """The ``createdAt`` an identity item points at (``None`` when there is none)."""
    return str(item["createdAt"]["S"]) if item else None


def session_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored session's API fields: the item (in plain form) without the layout's own attributes."""
    return {name: value for name, value in document.items() if name not in KEY_ATTRIBUTES}


def put_condition(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The condition that makes a Put (or Delete) of a session apply only to the item the writer read: absent,
    the same revision, or (written by someone who keeps no revision) the same ``updatedAt``."""
    if stored is None:
        return {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
    if REV in stored:
        return {
            "ConditionExpression": "#rev = :rev",
            "ExpressionAttributeNames": {"#rev": REV},
            "ExpressionAttributeValues": {":rev": stored[REV]},
        }
    return {
        "ConditionExpression": "attribute_not_exists(#rev) AND updatedAt = :updated",
        "ExpressionAttributeNames": {"#rev": REV},
        "ExpressionAttributeValues": {":updated": stored["updatedAt"]},
    }


def identity_condition(created_at: str | None) -> dict[str, Any]:
    """The condition that makes a write of an identity item apply only to what the writer read."""
    if created_at is None:
        return {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
    return {
        "ConditionExpression": "#created = :created",
        "ExpressionAttributeNames": {"#created": "createdAt"},
        "ExpressionAttributeValues": {":created": {"S": created_at}},
    }


# ---------------------------------------------------------------- counters


def counter_key(namespace: str, view: View, user_id: str | None, charger_id: str | None, status: str | None) -> Item:
    """The key of the counter of one view's partition."""
    return {PK: {"S": counter_pk(namespace)}, SK: {"S": view.counter_sk(user_id, charger_id, status)}}


def namespace_counter_key(namespace: str) -> Item:
    """The key of the counter of all the namespace's sessions."""
    return counter_key(namespace, NAMESPACE, None, None, None)


def counter_keys(namespace: str, document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (pk, sk) of every counter of ``namespace`` a stored session counts in: one per view it appears in.
    The namespace is the partition's, never read from the item (a mislabelled item counts where it is stored)."""
    user_id, charger_id, status = document.get("userId"), document["chargerId"], document["status"]
    return [
        (counter_pk(namespace), view.counter_sk(user_id, charger_id, status))
        for view in VIEWS
        if view.applies_to(user_id, charger_id)
    ]


def counter_item(pk: str, sk: str, n: int) -> Item:
    return {PK: {"S": pk}, SK: {"S": sk}, COUNT: {"N": str(n)}}


def counter_value(item: Mapping[str, Any] | None) -> int:
    """The count a counter item holds (0 when there is none)."""
    return int(item[COUNT]["N"]) if item else 0


COUNTER_PROJECTION: dict[str, Any] = {"ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": COUNT}}
"""GetItem arguments that read only a counter's count."""


def counter_update(table: str, pk: str, sk: str, change: int) -> dict[str, Any]:
    """A transaction item that adds ``change`` to a counter (creating it at 0 when absent)."""
    return {
        "Update": {
            "TableName": table,
            "Key": {PK: {"S": pk}, SK: {"S": sk}},
            "UpdateExpression": "ADD #n :change",
            "ExpressionAttributeNames": {"#n": COUNT},
            "ExpressionAttributeValues": {":change": {"N": str(change)}},
        }
    }


def counter_partition_query(table: str, namespace: str) -> dict[str, Any]:
    """Query arguments for every counter item of a namespace (key and count)."""
    return {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": PK, "#sk": SK, "#n": COUNT},
        "ExpressionAttributeValues": {":pk": {"S": counter_pk(namespace)}},
        "ProjectionExpression": "#pk, #sk, #n",
        "ConsistentRead": True,
    }


def namespace_sample_scan(table: str, segment: int, total_segments: int, limit: int) -> dict[str, Any]:
    """Scan arguments that read the partition keys of up to ``limit`` items of one segment of the table: a cheap,
    random sample of the namespaces that hold sessions (see :func:`session_namespace`)."""
    return {
        "TableName": table,
        "Segment": segment,
        "TotalSegments": total_segments,
        "Limit": limit,
        "ProjectionExpression": "#pk",
        "ExpressionAttributeNames": {"#pk": PK},
    }


def session_namespace(pk: str) -> str | None:
    """The namespace whose sessions a partition key holds; ``None`` for counter and identity partitions (escaped
    namespaces hold no ``#``, those partitions' keys always do)."""
    return None if SEP in pk else unescape(pk)


# ---------------------------------------------------------------- queries


def created_key_condition(created_from: str | None, created_to: str | None) -> tuple[str, dict[str, Any]]:
    """The sort-key part of a key condition for ``createdAt`` in ``[created_from, created_to)`` (canonical
    timestamps; ``None``: unbounded) and its values; ``("", {})`` without bounds.

    The sort key is ``createdAt#id`` with ``createdAt`` fixed width, so for every stored key
    ``createdAt >= from`` is ``sk >= from`` (a session created exactly at ``from`` has ``sk = from#id``, which
    sorts after its prefix ``from``) and ``createdAt < to`` is ``sk < to`` (``to#id`` sorts after ``to``). DynamoDB
    takes one condition on the sort key, so both bounds are ``BETWEEN from AND to``: inclusive, but no stored key
    equals ``to`` (every key has ``#id`` after its timestamp), so it is ``from <= sk < to``.
    The caller must not ask for an empty range (``from >= to``): DynamoDB refuses ``BETWEEN`` with its bounds
    reversed, and nothing can match it."""
    if created_from is not None and created_to is not None:
        assert created_from < created_to, "an empty range needs no query"
        return " AND #sk BETWEEN :createdFrom AND :createdTo", {
            ":createdFrom": {"S": created_from},
            ":createdTo": {"S": created_to},
        }
    if created_from is not None:
        return " AND #sk >= :createdFrom", {":createdFrom": {"S": created_from}}
    if created_to is not None:
        return " AND #sk < :createdTo", {":createdTo": {"S": created_to}}
    return "", {}


def view_query(
    table: str,
    view: View,
    partition: str,
    *,
    keys_only: bool = False,
    newest_first: bool = True,
    created_from: str | None = None,
    created_to: str | None = None,
) -> dict[str, Any]:
    """Query arguments for one partition of a view, in the view's order (or its keys-only twin's), optionally
    confined to ``createdAt`` in ``[created_from, created_to)`` by the key condition (never a filter)."""
    index = view.keys_index if keys_only else view.index
    range_condition, range_values = created_key_condition(created_from, created_to)
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk" + range_condition,
        "ExpressionAttributeNames": {"#pk": view.keys_pk_attr if keys_only else view.pk_attr},
        "ExpressionAttributeValues": {":pk": {"S": partition}, **range_values},
        "ScanIndexForward": not newest_first,
    }
    if range_condition:
        request["ExpressionAttributeNames"]["#sk"] = SK
    if index:
        request["IndexName"] = index
    return request


def namespace_sessions_query(table: str, namespace: str, *, projection: tuple[str, ...] = ()) -> dict[str, Any]:
    """Query arguments for every session item of a namespace (its table partition), optionally projected."""
    request = view_query(table, NAMESPACE, namespace_pk(namespace))
    if projection:
        names = {f"#a{position}": name for position, name in enumerate(projection)}
        request["ProjectionExpression"] = ", ".join(names)
        request["ExpressionAttributeNames"].update(names)
    return request


COUNTED_ATTRIBUTES = (SK, "userId", "chargerId", "status")
"""What a recount needs of each session: the attributes that choose the views it appears in."""


def item_start_key(view: View, keys_entry: Item, partition: str) -> Item:
    """The ``ExclusiveStartKey`` in the view's own index for an entry read from its keys-only twin: a keys-only
    entry's key holds the table key too, and the item view's key is built from it."""
    start = {name: value for name, value in keys_entry.items() if name in (PK, SK, view.pk_attr)}
    start.setdefault(view.pk_attr, {"S": partition})
    return start
