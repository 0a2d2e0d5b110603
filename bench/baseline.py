"""The naive baseline the function is compared with: read the namespace's whole partition, then filter,
sort newest first (``createdAt`` desc, ``id`` desc), slice and count in Python.

It reads the table exactly as a first implementation would (every page of one Query on the namespace's
partition key, through boto3's paginator) and answers with the API's reference model
(``local_toolkit.reference_model``), the same oracle the tests use; the benchmark checks that the function
gives the same ids and count.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from charging_sessions.dynamodb_json import Item, from_item
from charging_sessions.storage_layout import namespace_sessions_query
from local_toolkit.reference_model import list_page


def read_namespace(client: Any, table: str, namespace: str) -> Iterator[Item]:
    """Every stored session of the namespace, page after page (1 MB each), in the table's order."""
    for page in client.get_paginator("query").paginate(**namespace_sessions_query(table, namespace)):
        yield from page["Items"]


def list_sessions(client: Any, table: str, namespace: str, query: Mapping[str, Any]) -> tuple[list[Any], int]:
    """The whole baseline: read everything, deserialize, answer ``query`` (userId, chargerId, status,
    skip, take as the API takes them)."""
    documents = [from_item(item) for item in read_namespace(client, table, namespace)]
    arguments = {name: query[name] for name in ("userId", "chargerId", "status") if name in query}
    for name in ("skip", "take"):
        if name in query:
            arguments[name] = int(query[name])
    return list_page(documents, **arguments)
