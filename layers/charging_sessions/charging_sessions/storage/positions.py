"""Positions in a view: where a page resumes (:class:`Resume`, what a cursor carries), where each entry stands, and
the ``ExclusiveStartKey`` that continues a read from either."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .dynamodb_json import Item
from .keys import PK, SK, View, namespace_pk


@dataclass(frozen=True)
class Resume:
    """Where a walk continues: right after an entry (``after``, an :func:`entry_position`), or, in the update feed
    only, at every entry whose ``updatedAt`` is at or after ``from_time`` (a canonical timestamp: the settle
    boundary of a read that reached it)."""

    after: Mapping[str, str] | None = None
    from_time: str | None = None


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
