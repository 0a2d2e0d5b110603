"""Hostile input: whatever the query holds, the answer is a 200 or a clear 4xx envelope, never a 500."""

from __future__ import annotations

import urllib.parse
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charging_sessions.storage.writer import SessionWriter
from tests.factories import make_session
from tests.support import assert_error_envelope, call, event

HUGE = ["9007199254740992", str(2**64), "1" + "0" * 100, "-9007199254740992", "1e309", "NaN", "Infinity", "0x10"]
LONG = "x" * 10_240
KEY_LIMIT = "é" * 700  # 1,400 UTF-8 bytes: beyond what a key part may hold


@pytest.fixture
def stored(writer: SessionWriter) -> None:
    writer.load([make_session(minute=i, user="u#1", charger="c%1") for i in range(3)])
    writer.load([make_session(namespace="tenant-alpha#u", minute=9, user="1")])


@pytest.mark.parametrize("name", ["skip", "take"])
@pytest.mark.parametrize("value", [*HUGE, "-1", "", " ", "1.0", "abc", "٣", "1_000", LONG, "1\x00", "true"])
def test_integers(function: ModuleType, stored: None, name: str, value: str) -> None:
    status, body = call(function, event(urllib.parse.urlencode({name: value})))
    assert status == 400, body
    assert body["success"] is False
    assert f"'{name}'" in body["message"]


@pytest.mark.parametrize("name", ["userId", "chargerId"])
@pytest.mark.parametrize("value", ["", LONG, KEY_LIMIT, "a\x00b", "line\nbreak", "\x7f", "tab\there"])
def test_identifiers_refused(function: ModuleType, stored: None, name: str, value: str) -> None:
    status, body = call(function, event(urllib.parse.urlencode({name: value})))
    assert status == 400, body
    assert f"'{name}'" in body["message"]


@pytest.mark.parametrize("name", ["userId", "chargerId"])
@pytest.mark.parametrize(
    "value", ["#", "%", "%23", "u#1#status#Started", "tenant-alpha", "电动车", "🚗⚡", "a,b", " ", "x" * 128]
)
def test_identifiers_with_odd_characters_are_just_values(
    function: ModuleType, stored: None, name: str, value: str
) -> None:
    status, body = call(function, event(urllib.parse.urlencode({name: value})))
    assert status == 200, body
    assert body["count"] == 0
    assert body["chargingSessions"] == []


def test_key_delimiters_find_exactly_the_matching_sessions(function: ModuleType, stored: None) -> None:
    status, body = call(function, event("userId=u%231&chargerId=c%251"))
    assert (status, body["count"]) == (200, 3)
    status, body = call(function, event("userId=1"))  # tenant-alpha#u's user: another namespace
    assert (status, body["count"]) == (200, 0)


@pytest.mark.parametrize("value", ["started", "STOPPED", "", "Started,Stopped", "Started ", "1", LONG])
def test_status(function: ModuleType, stored: None, value: str) -> None:
    status, body = call(function, event(urllib.parse.urlencode({"status": value})))
    assert status == 400
    assert "'status'" in body["message"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["skip", "take", "userId", "chargerId", "status", "namespaceId", "x"])
            | st.text(max_size=5),
            st.text(max_size=40) | st.sampled_from([*HUGE, "0", "1", "50", "Started", "Stopped"]),
        ),
        max_size=5,
    )
)
def test_any_query_gets_200_or_a_400_envelope(function: ModuleType, table: str, pairs: list[tuple[str, str]]) -> None:
    query = urllib.parse.urlencode(pairs)
    status, body = call(function, event(query))
    assert status in (200, 400), (query, body)
    if status == 400:
        assert_error_envelope(400, body)
        assert body["success"] is False
        assert body["message"]
    else:
        assert body["success"] is True
        assert isinstance(body["count"], int)


def test_raw_query_with_broken_percent_encoding(function: ModuleType, stored: None) -> None:
    request: dict[str, Any] = event("userId=%E9%ZZ%")
    status, body = call(function, request)
    assert status in (200, 400)
    assert body["success"] is (status == 200)
