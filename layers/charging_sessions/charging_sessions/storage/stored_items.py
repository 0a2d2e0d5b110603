"""Which stored items a page may answer: those that fit the contract and belong to the caller's namespace. The others
(written by another service, or under a wrongly escaped key) are left out and reported, never answered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from ..models import ChargingSession
from .keys import PK, SK

InvalidItemHook = Callable[[Mapping[str, str], ValidationError], None]
"""Called with an item's key and why it does not fit the contract."""
ForeignItemHook = Callable[[Mapping[str, str], str], None]
"""Called with an item's key and the namespace it claims, when it is not the caller's."""


def answerable(
    documents: list[dict[str, Any]],
    namespace: str,
    *,
    on_invalid_item: InvalidItemHook | None = None,
    on_foreign_item: ForeignItemHook | None = None,
) -> tuple[list[ChargingSession], list[int], int, int]:
    """The sessions among ``documents`` (stored items, plain form) that ``namespace`` may be answered, with the
    position of each among the documents, and how many were left out as invalid and as foreign."""
    sessions: list[ChargingSession] = []
    positions: list[int] = []
    invalid = foreign = 0
    for position, document in enumerate(documents):
        key = {PK: str(document.get(PK)), SK: str(document.get(SK))}
        if document.get("namespaceId") != namespace:
            foreign += 1
            if on_foreign_item is not None:
                on_foreign_item(key, str(document.get("namespaceId")))
            continue
        try:
            sessions.append(ChargingSession.model_validate(document))
            positions.append(position)
        except ValidationError as error:
            invalid += 1
            if on_invalid_item is not None:
                on_invalid_item(key, error)
    return sessions, positions, invalid, foreign
