"""Write-side items without a table: the stored form of a session (with the keys of every view it is in), its
identity item, the conditions that guard a write, and the counters a session counts in."""

from __future__ import annotations

from typing import Any

from charging_sessions.storage.dynamodb_json import from_item
from charging_sessions.storage.items import (
    countable,
    counter_item,
    counter_keys,
    counter_update,
    counter_value,
    identity_condition,
    identity_created_at,
    identity_item,
    put_condition,
    same_layout,
    session_document,
    session_item,
)
from charging_sessions.storage.keys import COUNT, PK, REV, SK, UPDATED_SK, counter_pk
from charging_sessions.storage.write_limits import stored_document
from tests.factories import make_session


def document(**overrides: Any) -> dict[str, Any]:
    return stored_document(make_session(minute=5, session_id="s-1", **overrides))


def test_a_session_item_carries_its_key_revision_and_the_keys_of_its_views() -> None:
    session = document(user="u#1", charger="c1", status="Started")
    item = session_item(session, 3)
    assert (item[PK], item[SK], item[REV]) == ({"S": "tenant-alpha"}, {"S": f"{session['createdAt']}#s-1"}, {"N": "3"})
    assert item["gUser"] == {"S": "tenant-alpha#u%231"}
    assert item["gUserChargerStatus"] == {"S": "tenant-alpha#u%231#c1#Started"}
    assert item["kNs"] == item["gUpd"] == item["kUpd"] == {"S": "tenant-alpha"}
    assert item[UPDATED_SK] == {"S": f"{session['updatedAt']}#s-1"}
    assert session_document(from_item(item)) == session  # the API fields, as stored and answered


def test_views_that_do_not_apply_leave_no_key() -> None:
    item = session_item(document(user=None), 1)
    assert not {"gUser", "gUserStatus", "gUserCharger", "gUserChargerStatus"} & set(item)
    assert "gCharger" in item and "gStatus" in item


def test_the_same_layout_ignores_the_revision_and_the_fields() -> None:
    item = session_item(document(), 1)
    assert same_layout(session_item(document(energy=99.0), 7), item)
    assert not same_layout(None, item)
    assert not same_layout({name: value for name, value in item.items() if name != "gUpd"}, item)
    assert not same_layout(session_item(document(user="u2"), 1), item)


def test_the_identity_item_points_at_the_created_at() -> None:
    item = identity_item("a#b", "s-1", "2026-03-01T10:00:00.000Z")
    assert item == {PK: {"S": "a%23b#id"}, SK: {"S": "s-1"}, "createdAt": {"S": "2026-03-01T10:00:00.000Z"}}
    assert identity_created_at(item) == "2026-03-01T10:00:00.000Z"
    assert identity_created_at(None) is None


def test_a_write_applies_only_to_what_the_writer_read() -> None:
    assert put_condition(None)["ConditionExpression"] == "attribute_not_exists(#pk)"
    revised = put_condition({REV: {"N": "4"}})
    assert (revised["ConditionExpression"], revised["ExpressionAttributeValues"]) == (
        "#rev = :rev",
        {":rev": {"N": "4"}},
    )
    foreign = put_condition({"updatedAt": {"S": "2026-03-01T10:00:00.000Z"}})
    assert foreign["ConditionExpression"] == "attribute_not_exists(#rev) AND updatedAt = :updated"
    assert identity_condition(None)["ConditionExpression"] == "attribute_not_exists(#pk)"
    assert identity_condition("t")["ExpressionAttributeValues"] == {":created": {"S": "t"}}


def test_a_session_counts_in_the_counter_of_every_view_it_is_in() -> None:
    with_user = counter_keys("a#b", {"userId": "u", "chargerId": "c", "status": "Stopped"})
    assert {pk for pk, _ in with_user} == {counter_pk("a#b")}
    assert sorted(sk for _, sk in with_user) == sorted(
        [
            "all",
            "all#status#Stopped",
            "all#user#u",
            "all#user#u#status#Stopped",
            "all#charger#c",
            "all#charger#c#status#Stopped",
            "all#user#u#charger#c",
            "all#user#u#charger#c#status#Stopped",
        ]
    )
    assert len(counter_keys("a", {"chargerId": "c", "status": "Started"})) == 4  # no user: no user views


def test_counter_items_and_updates() -> None:
    item = counter_item("a#count", "all", 7)
    assert item == {PK: {"S": "a#count"}, SK: {"S": "all"}, COUNT: {"N": "7"}}
    assert counter_value(item) == 7
    assert counter_value(None) == 0
    update = counter_update("table", "a#count", "all", -1)["Update"]
    assert (update["UpdateExpression"], update["ExpressionAttributeValues"]) == (
        "ADD #n :change",
        {":change": {"N": "-1"}},
    )


def test_only_sessions_with_what_chooses_their_views_are_countable() -> None:
    assert countable({"chargerId": "c", "status": "Started"})
    assert countable({"chargerId": "c", "status": "Stopped", "userId": "u"})
    assert not countable({"chargerId": "c", "status": "Paused"})
    assert not countable({"status": "Started"})
    assert not countable({"chargerId": "c", "status": "Started", "userId": 5})
