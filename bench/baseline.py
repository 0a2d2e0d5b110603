"""The naive baseline the function is compared with: read the namespace's whole partition, then filter,
sort newest first (``createdAt`` desc, ``id`` desc), slice and count in Python.

It reads the table exactly as a first implementation would (every page of one Query on the namespace's
partition key) and answers the same ids and count as the function; the benchmark checks that it does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from charging_sessions.dynamodb_json import Item, from_item
from charging_sessions.storage_keys import PK, namespace_pk


def read_namespace(client: Any, table: str, namespace: str) -> Iterator[Item]:
    """Every stored session of the namespace, page after page (1 MB each), in the table's order."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": PK},
        "ExpressionAttributeValues": {":pk": {"S": namespace_pk(namespace)}},
    }
    while True:
        response = client.query(**request)
        yield from response["Items"]
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def answer(
    documents: list[dict[str, Any]],
    *,
    user_id: str | None = None,
    charger_id: str | None = None,
    status: str | None = None,
    skip: int = 0,
    take: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """Filter, sort newest first (ties: id descending), slice; the page and the number that match."""
    matching = [
        document
        for document in documents
        if (user_id is None or document.get("userId") == user_id)
        and (charger_id is None or document.get("chargerId") == charger_id)
        and (status is None or document.get("status") == status)
    ]
    matching.sort(key=lambda document: (document["createdAt"], document["id"]), reverse=True)
    return matching[skip : skip + take], len(matching)


def list_sessions(
    client: Any, table: str, namespace: str, query: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], int]:
    """The whole baseline: read everything, deserialize, answer ``query`` (userId, chargerId, status,
    skip, take as the API takes them)."""
    documents = [from_item(item) for item in read_namespace(client, table, namespace)]
    return answer(
        documents,
        user_id=query.get("userId"),
        charger_id=query.get("chargerId"),
        status=query.get("status"),
        skip=int(query.get("skip", 0)),
        take=int(query.get("take", 50)),
    )
