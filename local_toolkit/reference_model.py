"""The reference model of the API's semantics, in memory: which sessions a query answers, in which order,
and the count. The one oracle the tests and the benchmark's naive baseline compare the function with.

Plain on purpose: filter (filters and time ranges), sort (newest first: ``createdAt`` descending, ties by ``id``
descending; or the update feed: ``updatedAt`` ascending, ties by ``id`` ascending, settled sessions only), slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from charging_sessions.query import SELECTING_PARAMETERS, SessionQuery, Sort
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


def within(session: Session, field: str, start: str | None, end: str | None) -> bool:
    """Whether the session's ``field`` is in ``[start, end)`` (RFC 3339 bounds, any offset; ``None``: unbounded),
    compared as instants, not as text."""
    moment = datetime.fromisoformat(session[field])
    return (start is None or datetime.fromisoformat(start) <= moment) and (
        end is None or moment < datetime.fromisoformat(end)
    )


def newest_first(sessions: Iterable[Session]) -> list[Session]:
    """The API's order: ``createdAt`` descending, ties by ``id`` descending."""
    return sorted(sessions, key=lambda session: (session["createdAt"], session["id"]), reverse=True)


def update_order(sessions: Iterable[Session]) -> list[Session]:
    """The update feed's order: ``updatedAt`` ascending, ties by ``id`` ascending."""
    return sorted(sessions, key=lambda session: (datetime.fromisoformat(session["updatedAt"]), session["id"]))


def list_page(
    sessions: Iterable[Session],
    *,
    namespace: str | None = None,
    settledBefore: str | None = None,
    skip: int = 0,
    take: int = DEFAULT_TAKE,
    **parameters: str,
) -> tuple[list[Session], int]:
    """The page the API answers for a query (``parameters``: the API's selecting parameters, by their names) and the
    count. With ``sort="updatedAt"`` the page holds only sessions updated before ``settledBefore``; the count holds
    all."""
    unknown = set(parameters) - set(SELECTING_PARAMETERS)
    if unknown:
        raise TypeError(f"not a parameter of the API: {', '.join(sorted(unknown))}")
    query = SessionQuery.from_parameters(parameters)
    filters, created, updated = query.filters, query.created, query.updated
    matching = [
        session
        for session in sessions
        if matches(
            session, namespace=namespace, userId=filters.user_id, chargerId=filters.charger_id, status=filters.status
        )
        and within(session, "createdAt", created.start, created.end)
        and within(session, "updatedAt", updated.start, updated.end)
    ]
    if query.sort is Sort.UPDATED:
        ordered = [s for s in update_order(matching) if within(s, "updatedAt", None, settledBefore)]
    else:
        ordered = newest_first(matching)
    return ordered[skip : skip + take], len(matching)


def page_ids(sessions: Iterable[Session], namespace: str | None = None, **query: Any) -> tuple[list[str], int]:
    """:func:`list_page` as ids and count: what the tests compare answers with."""
    page, count = list_page(sessions, namespace=namespace, **query)
    return [session["id"] for session in page], count
