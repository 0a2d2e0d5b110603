"""Read requests: the Query, GetItem and Scan arguments the reader and the counter check send, with their key
conditions, filter expressions and projections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dynamodb_json import Item
from .keys import COUNT, NAMESPACE, PK, SK, View, counter_pk, namespace_pk

COUNTER_PROJECTION: dict[str, Any] = {"ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": COUNT}}
"""GetItem arguments that read only a counter's count."""


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


def namespace_sweep_scan(table: str, limit: int, start: Item | None) -> dict[str, Any]:
    """Scan arguments that read the partition keys of the next ``limit`` items of the table after ``start`` (the
    counter check's sweep: one stretch an hour, the whole table in turn; see :func:`keys.checked_namespace`)."""
    request: dict[str, Any] = {
        "TableName": table,
        "Limit": limit,
        "ProjectionExpression": "#pk",
        "ExpressionAttributeNames": {"#pk": PK},
    }
    if start is not None:
        request["ExclusiveStartKey"] = start
    return request


def sort_key_condition(start: str | None, end: str | None) -> tuple[str, dict[str, Any]]:
    """The sort-key part of a key condition for a canonical time range ``[start, end)`` on a view's sort key
    (``None``: unbounded) and its values; ``("", {})`` without bounds. ``BETWEEN start AND end`` is exactly
    ``start <= key < end`` on these keys (``docs/design.md``, "Sort-key ranges"); never called for an empty range,
    whose reversed bounds DynamoDB refuses."""
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
"""What counting needs of each stored session: the attributes that choose the views it appears in."""
