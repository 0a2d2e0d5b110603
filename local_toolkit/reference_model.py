"""The reference model of the API's semantics, in memory: which sessions a query answers, in which order,
and the count. The one oracle the tests and the benchmark's naive baseline compare the function with.

Plain on purpose: filter, sort newest first (``createdAt`` descending, ties by ``id`` descending), slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from charging_sessions.settings import DEFAULT_TAKE

Session = Mapping[str, Any]


def matches(
    session: Session,
    *,
    namespace: str | None = None,
    userId: str | None = None,
    chargerId: str | None = None,
    status: str | None = None,
) -> bool:
    """Whether a session is in the answer to these filters (``namespace=None``: already one namespace's)."""
    return (
        (namespace is None or session["namespaceId"] == namespace)
        and (userId is None or session.get("userId") == userId)
        and (chargerId is None or session.get("chargerId") == chargerId)
        and (status is None or session.get("status") == status)
    )


def created_within(session: Session, created_from: str | None, created_to: str | None) -> bool:
    """Whether the session was created in ``[created_from, created_to)`` (RFC 3339 bounds, any offset; ``None``:
    unbounded), compared as instants, not as text."""
    created = datetime.fromisoformat(session["createdAt"])
    return (created_from is None or datetime.fromisoformat(created_from) <= created) and (
        created_to is None or created < datetime.fromisoformat(created_to)
    )


def newest_first(sessions: Iterable[Session]) -> list[Session]:
    """The API's order: ``createdAt`` descending, ties by ``id`` descending."""
    return sorted(sessions, key=lambda session: (session["createdAt"], session["id"]), reverse=True)


def list_page(
    sessions: Iterable[Session],
    *,
    namespace: str | None = None,
    userId: str | None = None,
    chargerId: str | None = None,
    status: str | None = None,
    createdFrom: str | None = None,
    createdTo: str | None = None,
    skip: int = 0,
    take: int = DEFAULT_TAKE,
) -> tuple[list[Session], int]:
    """The page the API answers for a query (parameters named as the API names them) and the count."""
    matching = newest_first(
        session
        for session in sessions
        if matches(session, namespace=namespace, userId=userId, chargerId=chargerId, status=status)
        and created_within(session, createdFrom, createdTo)
    )
    return matching[skip : skip + take], len(matching)


def page_ids(sessions: Iterable[Session], namespace: str | None = None, **query: Any) -> tuple[list[str], int]:
    """:func:`list_page` as ids and count: what the tests compare answers with."""
    page, count = list_page(sessions, namespace=namespace, **query)
    return [session["id"] for session in page], count
