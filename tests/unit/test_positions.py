"""Positions in a view: what a cursor carries of an entry (never its partition), the start key that resumes after
it in each view, and the start key in the item view of an entry read from the keys-only twin."""

from __future__ import annotations

from typing import Any

import pytest

from charging_sessions.query import SessionFilter
from charging_sessions.storage.keys import (
    BY_USER,
    BY_USER_CHARGER_STATUS,
    FEED,
    NAMESPACE,
    PK,
    SK,
    UPDATED_SK,
    VIEWS,
    View,
    namespace_pk,
)
from charging_sessions.storage.positions import (
    Resume,
    entry_position,
    item_start_key,
    position_fields,
    position_start_key,
)

SK_VALUE = "2026-03-01T10:00:00.000Z#s-1"
USK_VALUE = "2026-03-02T10:00:00.000Z#s-1"
ENTRY: dict[str, Any] = {
    PK: "tenant#alpha",
    SK: SK_VALUE,
    UPDATED_SK: USK_VALUE,
    "gUser": "tenant%23alpha#u1",
    "id": "s-1",
    "energy": 12.5,
}


def test_a_resume_is_after_an_entry_or_from_a_time() -> None:
    assert Resume() == Resume(after=None, from_time=None)
    assert Resume(after={SK: "x"}) != Resume(from_time="x")


@pytest.mark.parametrize("view", VIEWS)
def test_an_entry_of_a_filter_view_is_where_it_is_in_the_table(view: View) -> None:
    assert entry_position(view, ENTRY) == {SK: SK_VALUE}
    assert position_fields(view) == (SK,)


def test_an_entry_of_the_feed_holds_its_update_key_too() -> None:
    assert entry_position(FEED, ENTRY) == {SK: SK_VALUE, UPDATED_SK: USK_VALUE}
    assert position_fields(FEED) == (SK, UPDATED_SK)
    assert set(entry_position(FEED, ENTRY)) == set(position_fields(FEED))


def test_a_position_carries_no_partition() -> None:
    for view in (*VIEWS, FEED):
        position = entry_position(view, ENTRY)
        assert PK not in position and view.pk_attr not in position
        assert all(isinstance(value, str) for value in position.values())


def test_the_table_resumes_in_the_callers_partition() -> None:
    start = position_start_key(NAMESPACE, "tenant#alpha", "ignored", {SK: SK_VALUE})
    assert start == {PK: {"S": namespace_pk("tenant#alpha")}, SK: {"S": SK_VALUE}}


def test_an_index_resumes_in_the_partition_the_filters_make() -> None:
    filters = SessionFilter("u1", "c1", "Started")
    partition = BY_USER_CHARGER_STATUS.partition_key("tenant-alpha", filters.user_id, filters.charger_id, "Started")
    start = position_start_key(BY_USER_CHARGER_STATUS, "tenant-alpha", partition, {SK: SK_VALUE})
    assert start == {
        PK: {"S": "tenant-alpha"},
        SK: {"S": SK_VALUE},
        BY_USER_CHARGER_STATUS.pk_attr: {"S": partition},
    }


def test_the_feed_resumes_on_its_update_key() -> None:
    partition = FEED.partition_key("tenant-alpha", None, None, None)
    start = position_start_key(FEED, "tenant-alpha", partition, {SK: SK_VALUE, UPDATED_SK: USK_VALUE})
    assert start == {
        PK: {"S": "tenant-alpha"},
        SK: {"S": SK_VALUE},
        FEED.pk_attr: {"S": partition},
        UPDATED_SK: {"S": USK_VALUE},
    }


def test_an_entry_of_the_keys_only_twin_becomes_a_start_key_in_the_item_view() -> None:
    keys_entry = {
        PK: {"S": "tenant-alpha"},
        SK: {"S": SK_VALUE},
        str(NAMESPACE.keys_pk_attr): {"S": "tenant-alpha"},
    }
    assert item_start_key(NAMESPACE, keys_entry, "tenant-alpha") == {PK: {"S": "tenant-alpha"}, SK: {"S": SK_VALUE}}
    feed_entry = {
        PK: {"S": "tenant-alpha"},
        SK: {"S": SK_VALUE},
        UPDATED_SK: {"S": USK_VALUE},
        str(FEED.keys_pk_attr): {"S": "tenant-alpha"},
    }
    assert item_start_key(FEED, feed_entry, "tenant-alpha") == {
        PK: {"S": "tenant-alpha"},
        SK: {"S": SK_VALUE},
        UPDATED_SK: {"S": USK_VALUE},
        FEED.pk_attr: {"S": "tenant-alpha"},
    }
    index_entry = {PK: {"S": "t"}, SK: {"S": SK_VALUE}, BY_USER.pk_attr: {"S": "t#u1"}}
    assert item_start_key(BY_USER, index_entry, "other") == index_entry  # the entry's own partition is kept
