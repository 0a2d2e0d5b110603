"""The function's IAM policy grants exactly the DynamoDB calls the function makes: every request shape the
API serves is made, the operations recorded from the SDK's own events, and compared with template.yaml."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from charging_sessions.storage.writer import SessionWriter
from local_toolkit.template_table import load_template
from tests.factories import make_session
from tests.support import call, event

QUERIES = [
    "",
    "take=0",
    "skip=3&take=2",
    "skip=38&take=5",
    "status=Started",
    "userId=u1",
    "userId=u1&status=Stopped&skip=2",
    "chargerId=c1",
    "chargerId=c1&status=Stopped&skip=30&take=3",
    "userId=u1&chargerId=c1",
    "userId=u1&chargerId=c1&status=Started",
    "skip=1000",
]


def granted_actions(function_name: str = "ListSessionsFunction") -> set[str]:
    """The actions a function's inline policy statements grant (SAM policy templates are named, not expanded)."""
    function = load_template()["Resources"][function_name]["Properties"]
    return {
        action
        for policy in function["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }


def test_the_policy_grants_exactly_the_calls_the_function_makes(function: ModuleType, writer: SessionWriter) -> None:
    writer.load(
        [
            make_session(minute=i, user=f"u{i % 2}", charger=f"c{i % 3}", status="Started" if i % 4 else "Stopped")
            for i in range(40)
        ]
    )
    made: set[str] = set()

    def record(event_name: str, **_: Any) -> None:
        made.add("dynamodb:" + event_name.rsplit(".", 1)[-1])

    function.reader.client.meta.events.register("before-call.dynamodb", record)
    try:
        for query in QUERIES:
            status, _ = call(function, event(query))
            assert status == 200, query
    finally:
        function.reader.client.meta.events.unregister("before-call.dynamodb", record)
    assert made == {action for action in granted_actions() if action.startswith("dynamodb:")}
    assert granted_actions() - made == {"secretsmanager:GetSecretValue"}  # the cursor keys: tests/.../test_cursors
