"""Keys and views: escaped key parts never collide, every filter combination has its view and counter, and a
sort key orders as its timestamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charging_sessions.models import format_timestamp
from charging_sessions.storage import keys
from charging_sessions.storage import keys as layout

EPOCH = datetime(2026, 3, 1, 10, tzinfo=UTC)

parts = st.text(alphabet=st.sampled_from("a#%2-3_é\x00"), min_size=1, max_size=8) | st.text(min_size=1, max_size=12)


@given(st.lists(parts, min_size=1, max_size=4), st.lists(parts, min_size=1, max_size=4))
def test_joined_keys_are_equal_only_when_their_parts_are(left: list[str], right: list[str]) -> None:
    assert (keys.join(*left) == keys.join(*right)) == (left == right)


@given(parts)
def test_escape_round_trips_and_removes_the_delimiter(part: str) -> None:
    escaped = keys.escape(part)
    assert keys.SEP not in escaped
    assert keys.unescape(escaped) == part


def test_a_namespace_cannot_impersonate_another_with_the_delimiter() -> None:
    assert keys.BY_USER.partition_key("a#b", "c", None, None) != keys.BY_USER.partition_key("a", "b#c", None, None)
    assert keys.namespace_pk("a") != keys.counter_pk("a")
    assert keys.namespace_pk("a#count") != keys.counter_pk("a")


@pytest.mark.parametrize(
    ("user", "charger", "status", "view"),
    [
        (None, None, None, keys.NAMESPACE),
        (None, None, "Started", keys.BY_STATUS),
        ("u", None, None, keys.BY_USER),
        ("u", None, "Stopped", keys.BY_USER_STATUS),
        (None, "c", None, keys.BY_CHARGER),
        (None, "c", "Started", keys.BY_CHARGER_STATUS),
        ("u", "c", None, keys.BY_USER_CHARGER),
        ("u", "c", "Started", keys.BY_USER_CHARGER_STATUS),
    ],
)
def test_each_filter_combination_has_its_own_view(
    user: str | None, charger: str | None, status: str | None, view: keys.View
) -> None:
    assert keys.choose_view(user, charger, status) == view


def test_counter_sort_keys_are_distinct_per_view_and_value() -> None:
    sks = {
        view.counter_sk(user, charger, status)
        for view in keys.VIEWS
        for user in ("u", "u#status#Started")
        for charger in ("c",)
        for status in ("Started", "Stopped")
    }
    # 1 namespace + 2 status + 2 users + 4 user+status + 1 charger + 2 charger+status
    # + 2 user+charger + 4 user+charger+status
    assert len(sks) == 18


@given(
    created=st.integers(0, 10_000),
    bound=st.integers(0, 10_000),
    session_id=st.text(st.characters(codec="utf-8"), max_size=20),
)
def test_every_key_sorts_as_its_created_at(created: int, bound: int, session_id: str) -> None:
    """sk >= from  <=>  createdAt >= from;  sk < to  <=>  createdAt < to  <=>  sk <= to (BETWEEN's inclusive end),
    compared as DynamoDB does (UTF-8 bytes), for any id, the empty one included."""
    created_at = format_timestamp(EPOCH + timedelta(milliseconds=created))
    limit = format_timestamp(EPOCH + timedelta(milliseconds=bound))
    sk = layout.session_sk(created_at, session_id).encode()
    assert (sk >= limit.encode()) == (created >= bound)
    assert (sk < limit.encode()) == (created < bound)
    assert (sk <= limit.encode()) == (created < bound)


def test_the_keys_of_a_session_its_identity_and_its_counters() -> None:
    assert keys.session_key("a#b", "2026-03-01T10:00:00.000Z", "s#1") == {
        keys.PK: {"S": "a%23b"},
        keys.SK: {"S": "2026-03-01T10:00:00.000Z#s#1"},  # the id is not escaped: the timestamp delimits it
    }
    assert keys.identity_key("a#b", "s#1") == {keys.PK: {"S": "a%23b#id"}, keys.SK: {"S": "s#1"}}
    assert keys.namespace_counter_key("a#b") == {keys.PK: {"S": "a%23b#count"}, keys.SK: {"S": "all"}}
    assert keys.counter_key("a", keys.BY_USER_STATUS, "u#1", None, "Started") == {
        keys.PK: {"S": "a#count"},
        keys.SK: {"S": "all#user#u%231#status#Started"},
    }
    assert keys.updated_sk("2026-03-02T10:00:00.000Z", "s-1") == "2026-03-02T10:00:00.000Z#s-1"


@pytest.mark.parametrize("namespace", ["a", "a#b", "a%23b", "%", "#count", "tenant#id"])
def test_the_namespace_of_a_partition(namespace: str) -> None:
    """Sessions' and counters' partitions name their namespace (whatever it holds); identity partitions none."""
    assert keys.checked_namespace(keys.namespace_pk(namespace)) == namespace
    assert keys.checked_namespace(keys.counter_pk(namespace)) == namespace
    assert keys.checked_namespace(keys.identity_pk(namespace)) is None


def test_views_apply_to_the_sessions_that_carry_their_attributes() -> None:
    assert keys.NAMESPACE.applies_to(None, "c") and keys.BY_STATUS.applies_to(None, "c")
    assert not keys.BY_USER.applies_to(None, "c")
    assert keys.BY_USER_CHARGER.applies_to("u", "c")
    assert keys.FEED.partition_key("a#b", None, None, None) == "a%23b"


def test_the_indexes_and_their_attributes() -> None:
    assert keys.INDEX_ATTRIBUTES["by-user"] == "gUser"
    assert keys.INDEX_ATTRIBUTES["keys-by-namespace"] == "kNs"
    assert keys.INDEX_SORT_KEYS["by-updated"] == keys.INDEX_SORT_KEYS["keys-by-updated"] == keys.UPDATED_SK
    assert {"keys-by-namespace", "keys-by-updated"} == keys.KEYS_ONLY_INDEXES
    assert {keys.PK, keys.SK, keys.REV, keys.UPDATED_SK} <= keys.KEY_ATTRIBUTES
    longest = keys.session_sk(format_timestamp(EPOCH), "\U0001f697" * (keys.MAX_SESSION_ID_BYTES // 4))
    assert len(longest.encode()) < 1024  # DynamoDB's limit on a sort key
