"""The scheduled counter check: finds drift behind the writer, reports it (metric + log), repairs it; samples
only namespaces that hold sessions; and its IAM policy grants exactly the calls it makes."""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from charging_sessions.query import SessionFilter, SessionQuery
from charging_sessions.storage.counter_check import CounterChecker
from charging_sessions.storage.items import session_item
from charging_sessions.storage.keys import PK, SWEEP_PARTITION, session_key
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.write_limits import stored_document
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.gateway import LambdaContext
from local_toolkit.template_table import load_template
from tests.conftest import SETTLE_SECONDS, TABLE
from tests.factories import make_session
from tests.integration.test_iam import granted_actions
from tests.integration.test_observability import emf, metric_values


@pytest.fixture
def check(client: Any, table: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = importlib.import_module("check_counters.app")
    monkeypatch.setattr(module, "checker", CounterChecker(client, table))
    return module


def test_drift_behind_the_writer_is_reported_and_repaired(
    check: ModuleType,
    client: Any,
    writer: SessionWriter,
    capsys: pytest.CaptureFixture[str],
    logs: Callable[[], list[dict[str, Any]]],
) -> None:
    reader = SessionReader(client, TABLE, settle_seconds=SETTLE_SECONDS)
    sessions = [make_session(minute=i, user="u1") for i in range(5)]
    writer.load(sessions)
    writer.load([make_session(namespace="tenant-beta", minute=i) for i in range(3)])
    client.delete_item(TableName=TABLE, Key=session_key("tenant-alpha", sessions[0]["createdAt"], sessions[0]["id"]))
    extra = make_session(minute=20, user="u2")
    client.put_item(TableName=TABLE, Item=session_item(stored_document(extra), 1))
    assert reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), take=0).count == 5  # the counter: stale

    result = check.lambda_handler({}, LambdaContext())
    assert result["checked"] == 2
    assert result["drifted_namespaces"] == 1
    # all (5 -> 5: one gone, one added: not drifted), status Stopped (same), user u1 (5 -> 4), user u2 (0 -> 1),
    # user u1 + Stopped, user u2 + Stopped, user u1 + charger-1 (+ Stopped), user u2 + charger-1 (+ Stopped)
    assert result["drifted_counters"] == 8
    output = capsys.readouterr().out
    assert metric_values(emf(output))["CounterDrift"] == 8
    [drifted] = [record for record in logs() if record["message"] == "Counters drifted; repaired"]
    assert drifted["namespace"] == "tenant-alpha"
    assert drifted["drifted"]["all#user#u2"] == [0, 1]
    for filters in ({}, {"user_id": "u1"}, {"user_id": "u2"}, {"user_id": "u2", "charger_id": "charger-1"}):
        page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter(**filters)), take=100)
        assert page.count == len(page.sessions), filters
    assert check.lambda_handler({}, LambdaContext())["drifted_counters"] == 0


def test_the_sample_holds_only_namespaces_with_sessions(client: Any, writer: SessionWriter) -> None:
    writer.load([make_session(namespace=namespace) for namespace in ("a#b", "a%23b", "plain")])
    found = CounterChecker(client, TABLE).sweep(limit=1000)
    assert found == ["a#b", "a%23b", "plain"]


def test_the_check_policy_grants_exactly_the_calls_it_makes(
    check: ModuleType, client: Any, writer: SessionWriter
) -> None:
    writer.load([make_session(minute=i) for i in range(3)])
    client.put_item(TableName=TABLE, Item=session_item(stored_document(make_session(minute=9)), 1))
    made: set[str] = set()
    updates: list[dict[str, Any]] = []

    def record(event_name: str, **_: Any) -> None:
        made.add("dynamodb:" + event_name.rsplit(".", 1)[-1])

    client.meta.events.register("provide-client-params.dynamodb.UpdateItem", lambda params, **_: updates.append(params))

    client.meta.events.register("before-call.dynamodb", record)
    try:
        check.lambda_handler({}, LambdaContext())
    finally:
        client.meta.events.unregister("before-call.dynamodb", record)
    assert made == granted_actions("CheckCountersFunction")
    # Its repairs stay inside what the policy's conditions allow: counter partitions, key and count attributes.
    statements = {
        statement["Sid"]: statement
        for policy in load_template()["Resources"]["CheckCountersFunction"]["Properties"]["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    }
    repair, sweep = statements["RepairCountersOnly"], statements["KeepSweepPosition"]
    counters = [update for update in updates if update["Key"][PK]["S"] != SWEEP_PARTITION]
    assert counters  # the put_item behind the writer drifted some counters
    for update, statement in [(u, repair) for u in counters] + [(u, sweep) for u in updates if u not in counters]:
        condition = statement["Condition"]
        patterns = {**condition.get("ForAllValues:StringLike", {}), **condition["ForAllValues:StringEquals"]}
        allowed = set(condition["ForAllValues:StringEquals"]["dynamodb:Attributes"])
        assert any(fnmatch.fnmatchcase(update["Key"][PK]["S"], p) for p in patterns["dynamodb:LeadingKeys"])
        assert set(update["Key"]) | set(update["ExpressionAttributeNames"].values()) <= allowed
    function = load_template()["Resources"]["CheckCountersFunction"]["Properties"]
    assert function["Events"]["Hourly"]["Type"] == "Schedule"
    assert function["DeadLetterQueue"]["Type"] == "SQS"
