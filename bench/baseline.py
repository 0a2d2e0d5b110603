"""The naive baseline the function is compared with: read the namespace's whole partition, then filter,
sort (newest first: ``createdAt`` desc, ``id`` desc; or the update feed's order), slice and count in Python.

It reads the table exactly as a first implementation would (every page of one Query on the namespace's
partition key, through boto3's paginator) and answers with the API's reference model
(``local_toolkit.reference_model``), the same oracle the tests use; the benchmark checks that the function
gives the same ids and count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from charging_sessions.query import SELECTING_PARAMETERS
from charging_sessions.storage.dynamodb_json import Item, from_item
from charging_sessions.storage.requests import namespace_sessions_query
from local_toolkit.reference_model import list_page


def read_namespace(client: Any, table: str, namespace: str) -> Iterator[Item]:
    """Every stored session of the namespace, page after page (1 MB each), in the table's order."""
    for page in client.get_paginator("query").paginate(**namespace_sessions_query(table, namespace)):
        yield from page["Items"]


def read_documents(client: Any, table: str, namespace: str) -> list[dict[str, Any]]:
    """Every stored session of the namespace, deserialized (storage attributes included)."""
    return [from_item(item) for item in read_namespace(client, table, namespace)]


def answer(
    documents: Iterable[Mapping[str, Any]], query: Mapping[str, Any], *, settled_before: str | None = None
) -> tuple[list[Any], int]:
    """The page and count the reference model answers ``query`` (filters, time ranges, sort, skip, take as the API
    takes them) over ``documents``. The update feed (``sort=updatedAt``) serves only sessions updated before
    ``settled_before``: the settle boundary of the reader it is compared with (``SessionReader.settle_boundary``)."""
    arguments: dict[str, Any] = {name: query[name] for name in SELECTING_PARAMETERS if name in query}
    for name in ("skip", "take"):
        if name in query:
            arguments[name] = int(query[name])
    if arguments.get("sort") == "updatedAt":
        if settled_before is None:
            raise ValueError("sort=updatedAt needs settled_before: the settle boundary of the reader compared with")
        arguments["settledBefore"] = settled_before
    return list_page(documents, **arguments)
