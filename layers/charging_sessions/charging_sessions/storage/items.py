"""Write-side items and conditions: the stored form of a session, its identity item, the conditions that make a
write apply only to what the writer read, and the counters a session counts in (keys, items, updates)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dynamodb_json import Item, to_item
from .keys import (
    COUNT,
    FEED,
    KEY_ATTRIBUTES,
    PK,
    REV,
    SK,
    SOURCE_UPDATED,
    UPDATED_SK,
    VIEWS,
    counter_pk,
    identity_key,
    session_key,
    sweep_key,
    updated_sk,
)


def session_item(document: Mapping[str, Any], revision: int, *, source_updated: str | None = None) -> Item:
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
    item[SOURCE_UPDATED] = {"S": source_updated or document["updatedAt"]}
    return item


def stored_source_updated(stored: Mapping[str, Any]) -> str:
    """The source's ``updatedAt`` of a stored session (plain form); its ``updatedAt`` when no writer kept it apart."""
    return str(stored.get(SOURCE_UPDATED) or stored.get("updatedAt", ""))


def same_layout(stored: Mapping[str, Any] | None, item: Mapping[str, Any]) -> bool:
    """Whether a stored item carries exactly the layout attributes (keys of every view it belongs to) that
    :func:`session_item` gives it now; the revision aside."""
    if stored is None:
        return False
    names = KEY_ATTRIBUTES - {REV}
    return {n: v for n, v in stored.items() if n in names} == {n: v for n, v in item.items() if n in names}


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


def countable(document: Mapping[str, Any]) -> bool:
    """Whether a stored item carries what choosing its views needs (another writer may have left it out)."""
    return (
        isinstance(document.get("chargerId"), str)
        and document.get("status") in ("Started", "Stopped")
        and isinstance(document.get("userId", ""), str)
    )


def counter_repair(table: str, pk: str, sk: str, held: int | None, true: int) -> dict[str, Any]:
    """UpdateItem arguments that set a counter to ``true`` only if it still holds ``held`` (``None``: it did not
    exist) when the repair lands: a write that moved it since it was read is never overwritten."""
    condition: dict[str, Any] = (
        {"ConditionExpression": "attribute_not_exists(#n)"}
        if held is None
        else {"ConditionExpression": "#n = :held", "ExpressionAttributeValues": {":held": {"N": str(held)}}}
    )
    values = {":true": {"N": str(true)}, **condition.pop("ExpressionAttributeValues", {})}
    return {
        "TableName": table,
        "Key": {PK: {"S": pk}, SK: {"S": sk}},
        "UpdateExpression": "SET #n = :true",
        "ExpressionAttributeNames": {"#n": COUNT},
        "ExpressionAttributeValues": values,
        **condition,
    }


SWEEP_AT = "at"
"""The sweep item's position: the last key the previous stretch read (absent: start from the table's start)."""
SWEEP_LAST = "last"
"""The sweep item's last namespace: the one the previous stretch ended in (it may continue into the next)."""


def sweep_update(table: str, last_key: Item | None, last_namespace: str | None) -> dict[str, Any]:
    """UpdateItem arguments that keep where the counter check's sweep stopped (after ``last_key``, in
    ``last_namespace``), or start it over when the stretch reached the table's end."""
    names = {"#at": SWEEP_AT, "#last": SWEEP_LAST}
    if last_key is None:
        return {
            "TableName": table,
            "Key": sweep_key(),
            "UpdateExpression": "REMOVE #at, #last",
            "ExpressionAttributeNames": names,
        }
    values: dict[str, Any] = {":at": {"M": last_key}, ":last": {"S": last_namespace or ""}}
    return {
        "TableName": table,
        "Key": sweep_key(),
        "UpdateExpression": "SET #at = :at, #last = :last",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
