"""Keyset cursors in the default order: a walk returns every session exactly once, in order, for every filter
combination and range (against the one reference model), at a read cost that does not grow with depth; a
cursor answers only the query and namespace it was made for, and nothing forged or altered is accepted."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charging_sessions.cursor import CursorCodec, CursorKeys
from charging_sessions.cursor_secret import load_cursor_keys
from charging_sessions.query import EXCLUSIVE_PARAMETERS, SessionQuery
from charging_sessions.settings import ConfigurationError, Settings
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.template_table import create_table
from tests.conftest import SETTLE_SECONDS, TABLE
from tests.factories import make_session, timestamp
from tests.support import call, event, reference

USERS = ["u1", "u2", "u#1"]
CHARGERS = ["c1", "c2"]


def query_string(parameters: Mapping[str, Any]) -> str:
    return urllib.parse.urlencode({name: str(value) for name, value in parameters.items()})


def walk(
    function: ModuleType, parameters: Mapping[str, Any], *, namespace: str = "tenant-alpha"
) -> list[dict[str, Any]]:
    """Every page of a cursor walk, from the first to the one without ``nextCursor``."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        given = {**parameters, **({"cursor": cursor} if cursor else {})}
        status, body = call(function, event(query_string(given), namespace=namespace))
        assert status == 200, body
        pages.append(body)
        cursor = body.get("nextCursor")
        if cursor is None:
            return pages
        assert len(pages) < 500, "the walk does not end"


def ids(pages: list[dict[str, Any]]) -> list[str]:
    return [session["id"] for page in pages for session in page["chargingSessions"]]


def sessions_for(draws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sessions = []
    for n, draw in enumerate(draws):
        session = make_session(
            minute=draw["minute"],
            user=draw["user"],
            charger=draw["charger"],
            status=draw["status"],
            session_id=f"s-{n:03d}",
            namespace=draw["namespace"],
        )
        session["updatedAt"] = timestamp(draw["minute"] + draw["later"])
        sessions.append(session)
    return sessions


_tables = iter(range(10**6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    draws=st.lists(
        st.fixed_dictionaries(
            {
                "namespace": st.sampled_from(["tenant-alpha", "tenant-alpha#", "tenant-beta"]),
                "minute": st.integers(0, 12),  # few distinct createdAt: many ties, broken by id
                "later": st.integers(0, 30),
                "user": st.none() | st.sampled_from(USERS),
                "charger": st.sampled_from(CHARGERS),
                "status": st.sampled_from(["Started", "Stopped"]),
            }
        ),
        max_size=40,
    ),
    parameters=st.fixed_dictionaries(
        {"take": st.integers(1, 7)},
        optional={
            "userId": st.sampled_from(USERS),
            "chargerId": st.sampled_from(CHARGERS),
            "status": st.sampled_from(["Started", "Stopped"]),
            "createdFrom": st.integers(0, 12).map(timestamp),
            "createdTo": st.integers(0, 13).map(timestamp),
            "updatedFrom": st.integers(0, 40).map(timestamp),
            "updatedTo": st.integers(0, 43).map(timestamp),
        },
    ),
)
def test_a_cursor_walk_returns_every_session_once_in_order(
    function: ModuleType,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    draws: list[dict[str, Any]],
    parameters: dict[str, Any],
) -> None:
    table = f"{TABLE}-walk-{next(_tables)}"
    create_table(client, table)
    monkeypatch.setattr(function, "reader", SessionReader(client, table, settle_seconds=SETTLE_SECONDS))
    sessions = sessions_for(draws)
    SessionWriter(client, table).load(sessions)
    query = {name: value for name, value in parameters.items() if name != "take"}
    expected, count = reference(sessions, "tenant-alpha", **query, take=10**6)
    pages = walk(function, parameters)
    assert ids(pages) == expected
    assert {page["count"] for page in pages} == {count}
    assert all(len(page["chargingSessions"]) == parameters["take"] for page in pages[:-1])
    assert len(pages) == max(1, -(-len(expected) // parameters["take"]))  # no empty last page
    client.delete_table(TableName=table)


def test_the_last_page_carries_no_cursor_even_when_it_ends_exactly_at_take(
    function: ModuleType, writer: SessionWriter
) -> None:
    writer.load([make_session(minute=i) for i in range(6)])
    pages = walk(function, {"take": 3})
    assert [len(page["chargingSessions"]) for page in pages] == [3, 3]
    assert "nextCursor" in pages[0] and "nextCursor" not in pages[1]
    assert "nextSkip" in pages[0] and "nextSkip" not in pages[1]  # offset paging is as exact


def test_a_page_read_at_a_cursor_costs_the_same_at_any_depth(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(60)])
    costs: list[int] = []
    original = function.reader.read_page

    def recording(*args: Any, **kwargs: Any) -> Any:
        page = original(*args, **kwargs)
        costs.append(page.stats.calls * 1000 + page.stats.items_read)
        return page

    function.reader.read_page = recording
    pages = walk(function, {"take": 5})
    assert len(pages) == 12
    assert len(set(costs[1:-1])) == 1, costs  # every page but the first (no start key) and the last (shorter)
    assert costs[-1] <= costs[1]


def test_a_walk_is_right_when_sessions_are_deleted_and_added_between_pages(
    function: ModuleType, writer: SessionWriter
) -> None:
    writer.load([make_session(minute=i, session_id=f"s-{i:02d}") for i in range(20)])
    status, first = call(function, event("take=5"))
    assert [s["id"] for s in first["chargingSessions"]] == ["s-19", "s-18", "s-17", "s-16", "s-15"]
    writer.delete("tenant-alpha", "s-15")  # the cursor's own session
    writer.delete("tenant-alpha", "s-14")  # the next one
    writer.put(make_session(minute=100, session_id="s-new"))  # newer: before the cursor, not in the rest of the walk
    writer.put(make_session(minute=3, session_id="s-03b"))  # older: ahead of the cursor, in the rest of the walk
    rest: list[str] = []
    cursor = first["nextCursor"]
    while cursor:
        status, page = call(function, event(query_string({"take": 5, "cursor": cursor})))
        assert status == 200
        rest += [s["id"] for s in page["chargingSessions"]]
        cursor = page.get("nextCursor")
    expected = [f"s-{i:02d}" for i in range(13, 3, -1)] + ["s-03b", "s-03", "s-02", "s-01", "s-00"]
    assert rest == expected


# ---------------------------------------------------------------- refused cursors


def first_cursor(function: ModuleType, query: str = "take=2", namespace: str = "tenant-alpha") -> str:
    status, body = call(function, event(query, namespace=namespace))
    assert status == 200
    cursor: str = body["nextCursor"]
    return cursor


@pytest.fixture
def stocked(writer: SessionWriter) -> None:
    for namespace in ("tenant-alpha", "tenant-beta"):
        writer.load([make_session(minute=i, namespace=namespace, user=USERS[i % 2]) for i in range(8)])


def refused(function: ModuleType, query: str, namespace: str = "tenant-alpha") -> str:
    status, body = call(function, event(query, namespace=namespace))
    assert status == 400, body
    assert body["success"] is False
    message: str = body["message"]
    assert "Traceback" not in message and "tenant" not in message
    return message


def altered(cursor: str) -> str:
    payload, tag = cursor.split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    document["p"]["a"]["sk"] = "9999-12-31T00:00:00.000Z#zzz"
    forged = base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()
    return f"{forged}.{tag}"


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "a.b", ".", "x" * 5000, "eyJ2IjoxfQ.AAAA", "%%%.%%%", "eyJ2Ijox\u00e9fQ.AAAA"],
)
def test_garbage_cursors_answer_400(function: ModuleType, stocked: None, cursor: str) -> None:
    message = refused(function, query_string({"cursor": cursor}))
    assert "cursor" in message


def test_an_altered_cursor_answers_400(function: ModuleType, stocked: None) -> None:
    message = refused(function, query_string({"cursor": altered(first_cursor(function))}))
    assert message == "cursor has been altered or was not issued by this API"


def test_a_cursor_signed_with_another_key_answers_400(function: ModuleType, stocked: None) -> None:
    other = CursorCodec(lambda: CursorKeys.from_secret({"current": "another-key-" + "x" * 40}))
    binding_of_real_query = json.loads(base64.urlsafe_b64decode(first_cursor(function).split(".")[0] + "=="))["b"]
    forged = other.issue(
        "-createdAt",
        binding_of_real_query,
        function.reader.read_page("tenant-alpha", SessionQuery(), take=2).resume or pytest.fail("no resume"),
    )
    assert (
        refused(function, query_string({"cursor": forged})) == "cursor has been altered or was not issued by this API"
    )


def test_a_cursor_answers_only_its_namespace(function: ModuleType, stocked: None) -> None:
    cursor = first_cursor(function, namespace="tenant-alpha")
    message = refused(function, query_string({"cursor": cursor}), namespace="tenant-beta")
    assert "another namespace or other filters" in message
    payload = base64.urlsafe_b64decode(cursor.split(".")[0] + "==")
    assert b"tenant" not in payload  # the namespace is bound by hash, never carried


@pytest.mark.parametrize(
    ("made_with", "used_with"),
    [
        ("take=2", "userId=u1"),
        ("userId=u1&take=2", "userId=u2"),
        ("userId=u1&take=2", ""),
        ("take=2", "status=Started"),
        ("take=2", "createdFrom=2026-01-01T00:00:00Z"),
        ("createdFrom=2026-01-01T00:00:00Z&take=2", "createdFrom=2026-01-01T00:00:01Z"),
        ("take=2", "updatedTo=2027-01-01T00:00:00Z"),
    ],
)
def test_a_cursor_answers_only_its_filters(function: ModuleType, stocked: None, made_with: str, used_with: str) -> None:
    cursor = first_cursor(function, made_with)
    query = "&".join(part for part in (used_with, query_string({"cursor": cursor})) if part)
    assert "another namespace or other filters" in refused(function, query)


def test_the_same_filters_written_differently_keep_the_cursor(function: ModuleType, stocked: None) -> None:
    cursor = first_cursor(function, "createdFrom=2025-12-31T23:00:00Z&take=2")
    status, body = call(
        function, event("createdFrom=2026-01-01T00:00:00%2B01:00&take=3&" + query_string({"cursor": cursor}))
    )
    assert status == 200, body  # the same instant in another offset, another take: the same walk


def test_a_cursor_answers_only_its_sort(function: ModuleType, stocked: None) -> None:
    cursor = first_cursor(function)
    message = refused(function, "sort=updatedAt&" + query_string({"cursor": cursor}))
    assert message == "cursor was issued for sort=-createdAt, not sort=updatedAt"
    feed_cursor = first_cursor(function, "sort=updatedAt&take=2")
    assert refused(function, query_string({"cursor": feed_cursor})) == (
        "cursor was issued for sort=updatedAt, not sort=-createdAt"
    )


@pytest.mark.parametrize("skip", ["0", "3"])
def test_cursor_with_skip_answers_400(function: ModuleType, stocked: None, skip: str) -> None:
    cursor = first_cursor(function)
    message = refused(function, f"skip={skip}&" + query_string({"cursor": cursor}))
    assert message == "cursor and skip cannot be combined: a cursor already says where the page starts"


def test_cursor_with_a_bad_skip_names_both_problems(function: ModuleType, stocked: None) -> None:
    cursor = first_cursor(function)
    message = refused(function, "skip=-1&" + query_string({"cursor": cursor}))
    assert message == (
        f"{EXCLUSIVE_PARAMETERS[('cursor', 'skip')]}; "
        "Invalid query parameter 'skip': input should be greater than or equal to 0"
    )


# ---------------------------------------------------------------- keys


def test_without_a_key_the_function_answers_500_without_detail(
    function: ModuleType, writer: SessionWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.load([make_session(minute=i) for i in range(4)])
    monkeypatch.setattr(
        function, "cursors", CursorCodec(lambda: load_cursor_keys(Settings.model_validate({"TABLE_NAME": TABLE})))
    )
    status, body = call(function, event("take=2"))
    assert status == 500
    assert "CURSOR" not in body["message"]
    with pytest.raises(ConfigurationError):
        load_cursor_keys(Settings.model_validate({"TABLE_NAME": TABLE}))
