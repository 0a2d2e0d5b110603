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
UPDATED_SK = "uSk"
"""Sort key of the update feed's indexes: canonical ``updatedAt`` then the id (see :func:`updated_sk`)."""
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


def updated_sk(updated_at: str, session_id: str) -> str:
    """Sort key of the update feed: canonical ``updatedAt`` (fixed width, UTC) then the id, so that ascending
    order is the feed's order (``updatedAt``, ties by id) and every session has exactly one place in it."""
    return f"{updated_at}{SEP}{session_id}"


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
    sk_attr: str = SK
    """Sort key of the view (and of its keys-only twin): ``sk`` (``createdAt#id``) but for the update feed."""
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

FEED = View(
    name="updatedAt",
    index="by-updated",
    pk_attr="gUpd",
    keys_index="keys-by-updated",
    keys_pk_attr="kUpd",
    sk_attr=UPDATED_SK,
)
"""The update feed: every session of a namespace by ``updatedAt`` then id (``sort=updatedAt`` and every
``updatedFrom``/``updatedTo`` range). It keeps no counter of its own: it holds the same sessions as
:data:`NAMESPACE`, whose counter counts them."""

INDEX_ATTRIBUTES: dict[str, str] = {view.index: view.pk_attr for view in (*VIEWS, FEED) if view.index is not None} | {
    view.keys_index: view.keys_pk_attr for view in (*VIEWS, FEED) if view.keys_index and view.keys_pk_attr
}
"""GSI name -> its partition-key attribute."""

INDEX_SORT_KEYS: dict[str, str] = {
    name: view.sk_attr for view in (*VIEWS, FEED) for name in (view.index, view.keys_index) if name is not None
}
"""GSI name -> its sort-key attribute (``sk`` but for the update feed's two indexes)."""

KEYS_ONLY_INDEXES = frozenset(view.keys_index for view in (*VIEWS, FEED) if view.keys_index is not None)

KEY_ATTRIBUTES = frozenset({PK, SK, REV, UPDATED_SK, *INDEX_ATTRIBUTES.values()})
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
    feed_partition = FEED.partition_key(namespace, None, None, None)
    item[FEED.pk_attr] = item[str(FEED.keys_pk_attr)] = {"S": feed_partition}
    item[UPDATED_SK] = {"S": updated_sk(document["updatedAt"], document["id"])}
    return item


def same_layout(stored: Mapping[str, Any] | None, item: Mapping[str, Any]) -> bool:
    """Whether a stored item carries exactly the layout attributes (keys of every view it belongs to) that
    :func:`session_item` gives it now; the revision aside."""
    if stored is None:
        return False
    names = KEY_ATTRIBUTES - {REV}
    return {n: v for n, v in stored.items() if n in names} == {n: v for n, v in item.items() if n in names}


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


def sort_key_condition(start: str | None, end: str | None) -> tuple[str, dict[str, Any]]:
    """The sort-key part of a key condition for a canonical time range ``[start, end)`` on a view's sort key
    (``None``: unbounded) and its values; ``("", {})`` without bounds.

    Both sort keys are a fixed-width canonical timestamp then ``#id``, so for every stored key ``t >= start`` is
    ``key >= start`` (a key whose time is exactly ``start`` is ``start#id``, which sorts after its prefix) and
    ``t < end`` is ``key < end`` (``end#id`` sorts after ``end``). DynamoDB takes one condition on the sort key,
    so both bounds are ``BETWEEN start AND end``: inclusive, but no stored key equals ``end`` (every key has
    ``#id`` after its timestamp), so it is ``start <= key < end``. The caller must not ask for an empty range
    (``start >= end``): DynamoDB refuses ``BETWEEN`` with its bounds reversed, and nothing can match it."""
    if start is not None and end is not None:
        assert start < end, "an empty range needs no query"
        return " AND #sk BETWEEN :from AND :to", {":from": {"S": start}, ":to": {"S": end}}
    if start is not None:
        return " AND #sk >= :from", {":from": {"S": start}}
    if end is not None:
        return " AND #sk < :to", {":to": {"S": end}}
    return "", {}


@dataclass(frozen=True)
class ItemFilter:
    """What a page's items must also match when its view cannot say it by key: equality on the filters the
    view's partition does not hold, and time ranges on the field the view is not sorted by. A DynamoDB
    ``FilterExpression``: every item it passes over is still read (and paid for)."""

    equal: tuple[tuple[str, str], ...] = ()
    """(attribute, value) pairs, e.g. ``("userId", "u-1")``."""
    ranges: tuple[tuple[str, str | None, str | None], ...] = ()
    """(attribute, start, end): canonical timestamps, ``start <= value < end`` (``None``: unbounded)."""

    def __bool__(self) -> bool:
        return bool(self.equal) or any(start is not None or end is not None for _, start, end in self.ranges)

    def expression(self) -> dict[str, Any]:
        """``FilterExpression`` and its names and values (empty when there is nothing to filter)."""
        terms: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        for position, (attribute, value) in enumerate(self.equal):
            names[f"#f{position}"] = attribute
            values[f":f{position}"] = {"S": value}
            terms.append(f"#f{position} = :f{position}")
        for position, (attribute, start, end) in enumerate(self.ranges):
            name = f"#r{position}"
            if start is not None:
                names[name] = attribute
                values[f":r{position}a"] = {"S": start}
                terms.append(f"{name} >= :r{position}a")
            if end is not None:
                names[name] = attribute
                values[f":r{position}b"] = {"S": end}
                terms.append(f"{name} < :r{position}b")
        if not terms:
            return {}
        return {
            "FilterExpression": " AND ".join(terms),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }


def view_query(
    table: str,
    view: View,
    partition: str,
    *,
    keys_only: bool = False,
    newest_first: bool = True,
    start: str | None = None,
    end: str | None = None,
    item_filter: ItemFilter | None = None,
) -> dict[str, Any]:
    """Query arguments for one partition of a view, in the view's order (or its keys-only twin's), optionally
    confined to its sort key's time range ``[start, end)`` by the key condition, and to ``item_filter``."""
    index = view.keys_index if keys_only else view.index
    range_condition, range_values = sort_key_condition(start, end)
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk" + range_condition,
        "ExpressionAttributeNames": {"#pk": view.keys_pk_attr if keys_only else view.pk_attr},
        "ExpressionAttributeValues": {":pk": {"S": partition}, **range_values},
        "ScanIndexForward": not newest_first,
    }
    if range_condition:
        request["ExpressionAttributeNames"]["#sk"] = view.sk_attr
    if item_filter:
        assert not keys_only, "a keys-only index holds no attribute to filter on"
        expression = item_filter.expression()
        request["FilterExpression"] = expression["FilterExpression"]
        request["ExpressionAttributeNames"].update(expression["ExpressionAttributeNames"])
        request["ExpressionAttributeValues"].update(expression["ExpressionAttributeValues"])
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
    start = {name: value for name, value in keys_entry.items() if name in (PK, SK, view.sk_attr, view.pk_attr)}
    start.setdefault(view.pk_attr, {"S": partition})
    return start


def entry_position(view: View, entry: Mapping[str, Any]) -> dict[str, str]:
    """Where an entry of a view is, as the plain strings a cursor carries: its table sort key, and for the update
    feed its feed sort key. The partition is never part of it: it is built from the caller's namespace."""
    position = {SK: str(entry[SK])}
    if view.sk_attr != SK:
        position[view.sk_attr] = str(entry[view.sk_attr])
    return position


def position_start_key(view: View, namespace: str, partition: str, position: Mapping[str, str]) -> Item:
    """The ``ExclusiveStartKey`` that resumes a view right after ``position`` (see :func:`entry_position`); the
    table partition and the view's partition come from the caller's namespace and filters, not the position.
    The entry need not exist any more: DynamoDB resumes after where it would be."""
    start: Item = {PK: {"S": namespace_pk(namespace)}, SK: {"S": position[SK]}}
    if view.index is not None:
        start[view.pk_attr] = {"S": partition}
    if view.sk_attr != SK:
        start[view.sk_attr] = {"S": position[view.sk_attr]}
    return start


def position_fields(view: View) -> tuple[str, ...]:
    """The fields of a position in ``view`` (see :func:`entry_position`)."""
    return (SK,) if view.sk_attr == SK else (SK, view.sk_attr)
