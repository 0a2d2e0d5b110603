"""Conditional requests without a table: the strong entity tag over (namespace, query, body) and the
``If-None-Match`` rule that answers 304."""

from __future__ import annotations

import re

from charging_sessions.conditional import entity_tag, not_modified

STRONG_TAG = re.compile(r'^"[A-Za-z0-9_-]{43}"$')


def test_the_tag_cannot_be_recut() -> None:
    """Moving text between the parts changes the tag (the parts are encoded, not concatenated)."""
    assert entity_tag("a", {"userId": "b"}, "c") != entity_tag("a", {"userId": "bc"}, "")
    assert entity_tag("a", {}, "x") == entity_tag("a", {"userId": None}, "x")  # an absent parameter is absent


def test_none_match_rule() -> None:
    tag = '"abc"'
    assert not_modified('"abc"', tag)
    assert not_modified('W/"abc"', tag)
    assert not_modified('"x", "abc"', tag)
    assert not_modified(" * ", tag)
    assert not not_modified(None, tag)
    assert not not_modified("", tag)
    assert not not_modified("abc", tag)  # unquoted: not an entity tag
    assert not not_modified('"abcd"', tag)
    assert not not_modified('"ab"', tag)
    assert not not_modified('"x", *', tag)  # "*" only alone


def test_the_tag_is_strong_and_depends_on_every_part() -> None:
    tag = entity_tag("tenant-alpha", {"take": 50, "skip": 0}, "{}")
    assert STRONG_TAG.fullmatch(tag)
    assert tag == entity_tag("tenant-alpha", {"skip": 0, "take": 50}, "{}")  # the order of the query is not part
    assert tag != entity_tag("tenant-beta", {"take": 50, "skip": 0}, "{}")
    assert tag != entity_tag("tenant-alpha", {"take": 51, "skip": 0}, "{}")
    assert tag != entity_tag("tenant-alpha", {"take": 50, "skip": 0}, "{ }")
    assert tag != entity_tag("tenant-alpha", {"take": "50", "skip": 0}, "{}")  # a number is not its text


def test_a_tag_matches_itself_in_a_list_with_whitespace_and_weak_prefixes() -> None:
    tag = entity_tag("tenant-alpha", {}, "body")
    assert not_modified(tag, tag)
    assert not_modified(f' "x" ,W/{tag} ', tag)
    assert not not_modified(tag[:-2] + '"', tag)
