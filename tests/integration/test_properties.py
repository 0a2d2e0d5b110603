"""Property-based tests: for random data over several namespaces and random requests, the handler's answer
is the plain in-memory reference (filter, sort newest first, slice), and no request ever crosses a tenant.

Namespaces, users and chargers are drawn from values that share prefixes and hold the key delimiter (#)
and the escape character (%), so that a key built carelessly would collide and show up here."""

from __future__ import annotations

import contextlib
import itertools
import urllib.parse
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.template_table import create_table
from tests.conftest import SETTLE_SECONDS, TABLE
from tests.factories import make_session
from tests.support import call, event, oversized_writes, reference

# Pairs that would collide if key parts were joined without escaping: ("t", "u1#Started") and ("t#u1", "Started");
# ("t#", "u1") and ("t", "#u1"); ("t", "c1#u1") and ("t#c1", "u1"); namespace "t#count" and t's counters.
NAMESPACES = ["t", "t#", "t#u1", "t#c1", "t%23", "t%", "tt", "#count", "t#count", "t%23u1", "t#u1#Started"]
USERS = ["u1", "u1#Started", "Started", "#u1", "u%23", "#", "u", "u1#status#Started"]
CHARGERS = ["c1", "c1#u1", "u1", "%", "c", "Started"]

session_strategy = st.fixed_dictionaries(
    {
        "namespace": st.sampled_from(NAMESPACES),
        "minute": st.integers(0, 15),  # a narrow range: many createdAt ties
        "user": st.none() | st.sampled_from(USERS),
        "charger": st.sampled_from(CHARGERS),
        "status": st.sampled_from(["Started", "Stopped"]),
    }
)
sessions_strategy = st.lists(session_strategy, max_size=45)
requests_strategy = st.lists(
    st.fixed_dictionaries(
        {"namespace": st.sampled_from(NAMESPACES)},
        optional={
            "userId": st.sampled_from([*USERS, "nobody"]),
            "chargerId": st.sampled_from([*CHARGERS, "c1#u1#Stopped"]),
            "status": st.sampled_from(["Started", "Stopped"]),
            "skip": st.integers(0, 50),
            "take": st.integers(0, 50),
        },
    ),
    min_size=1,
    max_size=6,
)


_tables = itertools.count()


@contextlib.contextmanager
def emulated(function: ModuleType, sessions: list[dict[str, Any]]) -> Iterator[None]:
    """A fresh emulated table holding ``sessions``, served by the function, for one hypothesis example
    (inside the test's moto mock, which the ``function`` fixture started)."""
    original = function.reader
    client = original.client
    name = f"{TABLE}-{next(_tables)}"
    create_table(client, name)
    SessionWriter(client, name).load(sessions)
    reader = SessionReader(
        client,
        name,
        settle_seconds=SETTLE_SECONDS,
        on_invalid_item=reading_foreign_items,
        on_foreign_item=claiming_another,
    )
    setattr(function, "reader", reader)  # noqa: B010
    try:
        yield
    finally:
        setattr(function, "reader", original)  # noqa: B010
        client.delete_table(TableName=name)


def reading_foreign_items(key: Mapping[str, str], error: ValidationError) -> None:
    """Only sessions are ever stored here: reading anything else means a key reached a foreign partition."""
    raise AssertionError(f"read an item that is not a session of this view: {key}")


def claiming_another(key: Mapping[str, str], claimed: str) -> None:
    raise AssertionError(f"read an item of namespace {claimed!r} in another's partition: {key}")


def build(drawn: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return [
        make_session(
            namespace=d["namespace"],
            minute=d["minute"],
            user=d["user"],
            charger=d["charger"],
            status=d["status"],
            **extra,
        )
        for d in drawn
    ]


def check(function: ModuleType, sessions: list[dict[str, Any]], request: dict[str, Any]) -> None:
    namespace = request.pop("namespace")
    query = urllib.parse.urlencode(request)
    status, body = call(function, event(query, namespace=namespace))
    assert status == 200, body
    got = [s["id"] for s in body["chargingSessions"]]
    assert (got, body["count"]) == reference(sessions, namespace, **request), query
    assert all(s["namespaceId"] == namespace for s in body["chargingSessions"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(drawn=sessions_strategy, requests=requests_strategy)
def test_answers_equal_the_reference_and_stay_in_their_namespace(
    function: ModuleType, drawn: list[dict[str, Any]], requests: list[dict[str, Any]]
) -> None:
    sessions = build(drawn)
    with emulated(function, sessions):
        for request in requests:
            check(function, sessions, request)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(drawn=st.lists(session_strategy, min_size=70, max_size=90), requests=requests_strategy)
def test_answers_equal_the_reference_across_dynamodb_1mb_pages(
    function: ModuleType, drawn: list[dict[str, Any]], requests: list[dict[str, Any]]
) -> None:
    # ~16 kB a session: 70+ sessions are more than 1 MB, so queries and skips span several DynamoDB pages.
    # Notes that long are over today's write limit: items like these were stored before it (or by other writers).
    sessions = build([{**d, "namespace": "t"} for d in drawn], note="n" * 16_000)
    with oversized_writes(), emulated(function, sessions):
        for request in [*requests, {"namespace": "t", "skip": 3, "take": 60}]:
            check(function, sessions, {**request, "namespace": "t"})
