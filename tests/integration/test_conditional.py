"""Conditional requests: every 200 carries a strong ETag over (namespace, validated query, body), and
If-None-Match holding it (alone, in a list, weak, or ``*``) answers 304 without a body."""

from __future__ import annotations

import json
import re
from types import ModuleType

import pytest

from charging_sessions.conditional import entity_tag
from charging_sessions.storage.writer import SessionWriter
from tests.factories import make_session, timestamp
from tests.support import event, respond

STRONG_TAG = re.compile(r'^"[A-Za-z0-9_-]{43}"$')


def tag_of(function: ModuleType, query: str = "", namespace: str = "tenant-alpha") -> str:
    status, headers, body = respond(function, event(query, namespace=namespace))
    assert status == 200, body
    assert STRONG_TAG.fullmatch(headers["ETag"]), headers
    return headers["ETag"]


def test_the_same_query_twice_has_the_same_tag(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(3)])
    assert tag_of(function, "take=2") == tag_of(function, "take=2")


def test_the_tag_covers_the_query_as_validated(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(3)])
    assert tag_of(function) == tag_of(function, "take=50&skip=0")  # the defaults, given or not, are one query
    # Identical bodies for different questions: both pages are empty past the end, yet the query differs.
    assert tag_of(function, "skip=10") != tag_of(function, "skip=11")
    assert tag_of(function, "status=Started") != tag_of(function, "userId=nobody")


def test_if_none_match_answers_304_without_a_body(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(3)])
    tag = tag_of(function, "take=2")
    for header in (tag, f'"other", {tag}', f"W/{tag}", "*", f' "x" ,W/{tag} '):
        status, headers, body = respond(function, event("take=2", headers={"if-none-match": header}))
        assert (status, body) == (304, None), header
        assert headers["ETag"] == tag
        assert "Content-Type" not in headers


@pytest.mark.parametrize("header", ['"other"', "", '"other", W/"another"', "not-a-tag"])
def test_a_tag_that_does_not_match_answers_200(function: ModuleType, writer: SessionWriter, header: str) -> None:
    writer.load([make_session(minute=i) for i in range(3)])
    status, headers, body = respond(function, event("take=2", headers={"if-none-match": header}))
    assert status == 200
    assert body is not None
    assert len(json.loads(body)["chargingSessions"]) == 2
    assert headers["ETag"] == tag_of(function, "take=2")


def test_a_tag_for_another_query_answers_200(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(3)])
    other = tag_of(function, "take=1")
    status, _, _ = respond(function, event("take=2", headers={"if-none-match": other}))
    assert status == 200


def test_a_changed_session_changes_the_tag(function: ModuleType, writer: SessionWriter) -> None:
    session = make_session(minute=1)
    writer.load([session, make_session(minute=2)])
    before = tag_of(function)
    changed = {**session, "updatedAt": timestamp(90), "energy": 20.0}
    writer.put(changed)
    status, headers, body = respond(function, event(headers={"if-none-match": before}))
    assert status == 200
    assert body is not None
    assert headers["ETag"] != before
    assert {s["id"]: s["energy"] for s in json.loads(body)["chargingSessions"]}[session["id"]] == 20.0
    status, _, _ = respond(function, event(headers={"if-none-match": headers["ETag"]}))
    assert status == 304


def test_another_namespace_with_identical_data_has_another_tag(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=1, namespace="tenant-alpha", session_id="same")])
    writer.load([make_session(minute=1, namespace="tenant-beta", session_id="same")])
    assert tag_of(function, namespace="tenant-alpha") != tag_of(function, namespace="tenant-beta")
    # Byte-identical answers in two namespaces (nothing stored in either): the tags still differ.
    empty = '{"success":true,"chargingSessions":[],"count":0}'
    assert tag_of(function, "userId=nobody", "tenant-gamma") != tag_of(function, "userId=nobody", "tenant-delta")
    assert entity_tag("a", {"take": 50}, empty) != entity_tag("b", {"take": 50}, empty)


def test_the_tag_covers_the_range_in_canonical_form(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(3)])
    utc = tag_of(function, "createdFrom=2026-01-01T00:01:00Z")
    assert utc == tag_of(function, "createdFrom=2026-01-01T02:01:00.000%2B02:00")  # the same instant
    assert utc != tag_of(function, "createdFrom=2026-01-01T00:01:00.001Z")
    assert utc != tag_of(function, "createdTo=2026-01-01T00:01:00Z")
