"""The counter check on a scripted DynamoDB: counts from the namespace's own partition, compared with its counters,
repairs what drifted, samples only namespaces that hold sessions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from charging_sessions.storage.counter_check import CheckSummary, CounterCheck, CounterChecker
from charging_sessions.storage.dynamodb_json import Item
from charging_sessions.storage.items import SWEEP_AT, SWEEP_LAST, counter_item, counter_keys, session_item
from charging_sessions.storage.keys import PK, SK, counter_pk, identity_pk, namespace_pk, sweep_key
from charging_sessions.storage.write_limits import stored_document
from tests.factories import make_session


class ScriptedTable:
    """Partitions by key: ``query`` (through the paginator, two items a page), ``scan`` and conditional
    ``update_item`` of a counter (``moved``: counters a writer changes right after the check read them)."""

    def __init__(self, partitions: dict[str, list[Item]], moved: frozenset[str] = frozenset()) -> None:
        self.partitions = partitions
        self.moved = moved
        self.written: list[Item] = []
        self.scans: list[dict[str, Any]] = []
        self.sweep: Item = {}
        """The sweep's position item, as the check keeps it."""

    def get_paginator(self, operation: str) -> ScriptedTable:
        assert operation == "query"
        return self

    def paginate(self, **request: Any) -> Iterator[dict[str, Any]]:
        assert request["ConsistentRead"] is True
        found = self.partitions.get(request["ExpressionAttributeValues"][":pk"]["S"], [])
        for start in range(0, max(len(found), 1), 2):
            yield {"Items": found[start : start + 2]}

    def scan(self, **request: Any) -> dict[str, Any]:
        """Every item's key in the partitions' order (the table's hash order), ``Limit`` at a time."""
        self.scans.append(request)
        keys = [{PK: {"S": pk}, SK: item[SK]} for pk, items in self.partitions.items() for item in items]
        start = keys.index(request["ExclusiveStartKey"]) + 1 if "ExclusiveStartKey" in request else 0
        page = keys[start : start + request["Limit"]]
        answer: dict[str, Any] = {"Items": [{PK: key[PK]} for key in page]}
        if start + request["Limit"] < len(keys):
            answer["LastEvaluatedKey"] = page[-1]
        return answer

    def get_item(self, **request: Any) -> dict[str, Any]:
        assert request["Key"] == sweep_key() and request["ConsistentRead"] is True
        return {"Item": self.sweep} if self.sweep else {}

    def update_item(self, **request: Any) -> dict[str, Any]:
        key = request["Key"]
        if key == sweep_key():
            if request["UpdateExpression"].startswith("REMOVE"):
                self.sweep = {}
            else:
                values = request["ExpressionAttributeValues"]
                self.sweep = {**key, SWEEP_AT: values[":at"], SWEEP_LAST: values[":last"]}
            return {}
        held = {item[SK]["S"]: item for item in self.partitions.get(key[PK]["S"], [])}.get(key[SK]["S"])
        condition = request["ConditionExpression"]
        if condition == "attribute_not_exists(#n)":
            holds = held is None and key[SK]["S"] not in self.moved
        else:
            expected = request["ExpressionAttributeValues"][":held"]
            holds = held is not None and held["n"] == expected and key[SK]["S"] not in self.moved
        if not holds:
            raise ClientError(
                {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}},
                "UpdateItem",
            )
        self.written.append({**key, "n": request["ExpressionAttributeValues"][":true"]})
        return {}


def sessions_of(namespace: str, *users: str | None) -> list[Item]:
    return [
        session_item(stored_document(make_session(namespace=namespace, minute=n, user=user, charger="c")), 1)
        for n, user in enumerate(users)
    ]


def checker_of(table: ScriptedTable) -> CounterChecker:
    return CounterChecker(table, "table")  # type: ignore[arg-type]


def test_a_check_counts_the_partition_and_reports_what_drifted() -> None:
    partial = {PK: {"S": "tenant-alpha"}, SK: {"S": "2026-01-01T00:10:00.000Z#partial"}}
    table = ScriptedTable(
        {
            namespace_pk("tenant-alpha"): [*sessions_of("tenant-alpha", "u1", "u1", None), partial],
            counter_pk("tenant-alpha"): [
                counter_item(counter_pk("tenant-alpha"), "all", 3),
                counter_item(counter_pk("tenant-alpha"), "all#user#u1", 5),
                counter_item(counter_pk("tenant-alpha"), "all#user#u9", 1),
            ],
        }
    )
    check = checker_of(table).check("tenant-alpha", repair=False)
    assert check.total == 3
    assert check.counts["all#user#u1"] == 2
    assert check.skipped == ["2026-01-01T00:10:00.000Z#partial"]
    assert check.drifted["all#user#u1"] == (5, 2)
    assert check.drifted["all#user#u9"] == (1, 0)
    assert check.drifted["all#status#Stopped"] == (0, 3)
    assert "all" not in check.drifted
    assert table.written == []


def test_a_repair_writes_the_true_count_into_every_counter_that_drifted() -> None:
    table = ScriptedTable(
        {
            namespace_pk("a#b"): sessions_of("a#b", "u1"),
            counter_pk("a#b"): [counter_item(counter_pk("a#b"), "all#user#u2", 4)],
        }
    )
    check = checker_of(table).recount("a#b")
    repaired = {item[SK]["S"]: int(item["n"]["N"]) for item in table.written}
    assert repaired == {sk: true for sk, (_, true) in check.drifted.items()}
    assert repaired["all#user#u2"] == 0 and repaired["all"] == 1
    assert {item[PK]["S"] for item in table.written} == {counter_pk("a#b")}


def test_checking_several_namespaces_sums_up_and_reports_each_that_drifted() -> None:
    table = ScriptedTable(
        {
            namespace_pk("exact"): sessions_of("exact", "u1"),
            counter_pk("exact"): [
                counter_item(pk, sk, 1)
                for pk, sk in counter_keys("exact", {"userId": "u1", "chargerId": "c", "status": "Stopped"})
            ],
            namespace_pk("drifted"): sessions_of("drifted", None),
        }
    )
    heard: list[tuple[str, CounterCheck]] = []
    summary = checker_of(table).check_namespaces(
        ["exact", "drifted"], repair=True, on_drift=lambda namespace, check: heard.append((namespace, check))
    )
    assert summary == CheckSummary(["exact", "drifted"], drifted_namespaces=1, drifted_counters=4, skipped_items=0)
    assert [namespace for namespace, _ in heard] == ["drifted"]


def test_a_counter_a_writer_moved_during_the_check_is_neither_overwritten_nor_reported() -> None:
    table = ScriptedTable(
        {
            namespace_pk("busy"): sessions_of("busy", "u1", "u1"),
            counter_pk("busy"): [counter_item(counter_pk("busy"), "all", 1)],
        },
        moved=frozenset({"all"}),  # a put committed between the check's reads and its repair
    )
    check = checker_of(table).recount("busy")
    assert check.drifted["all"] == (1, 2)
    assert check.raced == ["all"] and "all" not in check.confirmed
    assert "all" not in {item[SK]["S"] for item in table.written}  # the put's ADD is not overwritten
    assert check.confirmed  # the other counters (absent until now) were repaired and are reported


def test_the_sweep_finds_the_namespaces_with_sessions_or_counters() -> None:
    table = ScriptedTable(
        {
            namespace_pk("a#b"): sessions_of("a#b", "u"),
            namespace_pk("a%23b"): sessions_of("a%23b", "u"),
            namespace_pk("plain"): sessions_of("plain", "u", "v"),
            counter_pk("plain"): [counter_item(counter_pk("plain"), "all", 2)],
            identity_pk("plain"): [{PK: {"S": identity_pk("plain")}, SK: {"S": "s-1"}}],
            counter_pk("expired#all"): [counter_item(counter_pk("expired#all"), "all", 7)],  # its sessions are gone
            identity_pk("only-ids"): [{PK: {"S": identity_pk("only-ids")}, SK: {"S": "s-1"}}],
        }
    )
    assert checker_of(table).sweep(limit=50) == ["a#b", "a%23b", "expired#all", "plain"]
    assert table.sweep == {}  # it reached the table's end: the next sweep starts over


def test_the_sweep_checks_every_namespace_once_a_pass_whatever_its_size() -> None:
    """Stretches of 3 items over a table of 11: four runs make a pass, then it starts over. The large namespace
    spans three stretches and is checked in the first only (the next ones continue in it)."""
    table = ScriptedTable(
        {
            namespace_pk("small"): sessions_of("small", "u"),
            namespace_pk("large"): sessions_of("large", *["u"] * 7),
            counter_pk("large"): [counter_item(counter_pk("large"), "all", 7)],
            namespace_pk("last"): sessions_of("last", "u", "v"),
        }
    )
    checker = checker_of(table)
    runs = [checker.sweep(limit=3) for _ in range(5)]
    assert runs[:4] == [["large", "small"], [], [], ["last"]]
    assert runs[4] == ["large", "small"]  # a new pass
