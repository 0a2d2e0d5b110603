"""The Lambda handler end to end on moto: envelope, validation messages, identity, faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError

from charging_sessions.models import ChargingSession
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.gateway import LambdaContext
from tests.factories import make_session
from tests.support import assert_error_envelope, call, event, reference


@pytest.fixture
def stored(writer: SessionWriter) -> list[dict[str, Any]]:
    sessions = [
        make_session(minute=i, user=f"u{i % 3}", charger=f"c{i % 2}", status="Started" if i % 5 == 0 else "Stopped")
        for i in range(30)
    ]
    sessions += [make_session(namespace="tenant-beta", minute=i, user="u1", charger="c1") for i in range(5)]
    writer.load(sessions)
    return sessions


QUERIES = [
    ("", {}),
    ("userId=u1", {"userId": "u1"}),
    ("chargerId=c0", {"chargerId": "c0"}),
    ("status=Started", {"status": "Started"}),
    ("status=Stopped&userId=u2", {"status": "Stopped", "userId": "u2"}),
    ("chargerId=c1&status=Stopped", {"chargerId": "c1", "status": "Stopped"}),
    ("userId=u0&chargerId=c0", {"userId": "u0", "chargerId": "c0"}),
    ("userId=u0&chargerId=c0&status=Started", {"userId": "u0", "chargerId": "c0", "status": "Started"}),
    ("skip=3&take=4", {"skip": 3, "take": 4}),
    ("take=0&userId=u1", {"take": 0, "userId": "u1"}),
    ("skip=28&take=10", {"skip": 28, "take": 10}),
    ("skip=9007199254740991", {"skip": 9007199254740991}),
    ("take=1000", {"take": 1000}),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q or "plain" for q, _ in QUERIES])
def test_answers_match_the_reference(
    function: ModuleType, stored: list[dict[str, Any]], query: str, expected: dict[str, Any]
) -> None:
    status, body = call(function, event(query))
    assert status == 200
    assert body["success"] is True
    ids, count = reference(stored, "tenant-alpha", **expected)
    assert [s["id"] for s in body["chargingSessions"]] == ids
    assert body["count"] == count
    for session in body["chargingSessions"]:
        ChargingSession.model_validate(session)
        assert session["namespaceId"] == "tenant-alpha"


def test_default_page_is_fifty(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(60)])
    status, body = call(function, event())
    assert status == 200 and len(body["chargingSessions"]) == 50 and body["count"] == 60


BAD = [
    ("take=abc", "Invalid query parameter 'take': must be a whole number written in digits"),
    ("take=1.5", "'take'"),
    ("take=1001", "Invalid query parameter 'take': input should be less than or equal to 1000"),
    ("take=-1", "Invalid query parameter 'take': input should be greater than or equal to 0"),
    ("skip=-1", "Invalid query parameter 'skip': input should be greater than or equal to 0"),
    ("skip=9007199254740992", "Invalid query parameter 'skip': input should be less than or equal to 9007199254740991"),
    ("skip=", "'skip'"),
    ("status=Paused", "Invalid query parameter 'status': input should be 'Started' or 'Stopped'"),
    ("status=started", "'status'"),
    ("take=1&take=2", "Invalid query parameter 'take': must be given at most once"),
    ("userId=a&userId=b", "Invalid query parameter 'userId': must be given at most once"),
    ("userId=", "Invalid query parameter 'userId': string should have at least 1 character"),
    ("chargerId=" + "x" * 129, "Invalid query parameter 'chargerId': string should have at most 128 characters"),
    ("userId=a%00b", "'userId'"),
    ("namespaceId=tenant-beta", "Unknown query parameter 'namespaceId' (the namespace comes from your credentials"),
    ("foo=1&bar=2", "Unknown query parameters 'foo', 'bar'"),
    ("foo=1&take=x", "Unknown query parameter 'foo'; Invalid query parameter 'take'"),
]


@pytest.mark.parametrize(("query", "message"), BAD, ids=[q[:30] for q, _ in BAD])
def test_bad_input_gets_400_naming_the_parameter(
    function: ModuleType, stored: list[dict[str, Any]], query: str, message: str
) -> None:
    status, body = call(function, event(query))
    assert status == 400
    assert body["success"] is False
    assert message in body["message"]
    assert_error_envelope(400, body)


def test_a_comma_in_a_single_value_is_a_value_not_a_repetition(function: ModuleType, writer: SessionWriter) -> None:
    writer.load([make_session(user="a,b"), make_session(user="a")])
    status, body = call(function, event("userId=a%2Cb"))
    assert status == 200 and body["count"] == 1 and body["chargingSessions"][0]["userId"] == "a,b"


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"sub": "x"},
        {"namespaceId": ""},
        {"namespace": "tenant-alpha"},
        {"namespaceId": "x" * 129},
        {"namespaceId": "a\nb"},
        # Array and object claims, as API Gateway's JWT authorizer stringifies them (Go notation).
        {"namespaceId": "[tenant-alpha tenant-beta]"},
        {"namespaceId": "[tenant-alpha]"},
        {"namespaceId": "[]"},
        {"namespaceId": "map[id:tenant-alpha]"},
        {"namespaceId": "map[]"},
    ],
)
def test_missing_or_unusable_claim_gets_401(
    function: ModuleType, stored: list[dict[str, Any]], claims: dict[str, str] | None
) -> None:
    request = event("take=abc", namespace=None, claims=claims)  # identity is checked before the parameters
    status, body = call(function, request)
    assert (status, body["success"]) == (401, False)
    assert "namespace" in body["message"]


def test_namespaces_are_isolated(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    _, alpha = call(function, event("take=1000"))
    _, beta = call(function, event("take=1000", namespace="tenant-beta"))
    assert alpha["count"] == 30 and beta["count"] == 5
    assert {s["namespaceId"] for s in beta["chargingSessions"]} == {"tenant-beta"}
    assert not {s["id"] for s in alpha["chargingSessions"]} & {s["id"] for s in beta["chargingSessions"]}
    status, _ = call(function, event("namespaceId=tenant-beta"))
    assert status == 400


def test_a_body_on_the_get_is_ignored(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    request = event("take=2")
    request["body"] = json.dumps({"namespaceId": "tenant-beta", "take": 500})
    status, body = call(function, request)
    assert status == 200 and len(body["chargingSessions"]) == 2 and body["count"] == 30


@pytest.mark.parametrize(
    "failure",
    [
        ClientError(
            {
                "Error": {
                    "Code": "ResourceNotFoundException",
                    "Message": "Requested resource not found: Table: sessions-test not found",
                }
            },
            "Query",
        ),
        ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Throughput exceeds"}}, "GetItem"
        ),
        ConnectTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com"),
        RuntimeError("boom in sessions-test"),
    ],
    ids=["missing-table", "throttled", "timeout", "bug"],
)
def test_internal_failures_answer_500_without_internals(
    function: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    logs: Callable[[], list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
    failure: Exception,
) -> None:
    def fail(*_: Any, **__: Any) -> Any:
        raise failure

    monkeypatch.setattr(function.reader, "read_page", fail)
    status, body = call(function, event())
    assert status == 500
    assert body == {"success": False, "message": "Internal server error", "code": "internal_error"}
    errors = [record for record in logs() if record["level"] == "ERROR"]
    assert len(errors) == 1
    assert str(failure) in errors[0]["exception"]  # the detail stays in the log, with the request ids
    assert errors[0]["function_request_id"] and errors[0]["correlation_id"]
    expected_metric = {"missing-table": "DynamoDBErrors", "throttled": "DynamoDBThrottles"}.get(
        failure_id(failure), "DynamoDBErrors" if isinstance(failure, ConnectTimeoutError) else "InternalErrors"
    )
    assert f'"{expected_metric}":[1.0]' in capsys.readouterr().out


def failure_id(failure: Exception) -> str:
    if isinstance(failure, ClientError):
        return "throttled" if "Throughput" in str(failure) else "missing-table"
    return type(failure).__name__


def test_the_table_missing_for_real_answers_500(
    function: ModuleType, client: Any, stored: list[dict[str, Any]]
) -> None:
    client.delete_table(TableName="sessions-test")
    status, body = call(function, event())
    assert (status, body) == (500, {"success": False, "message": "Internal server error", "code": "internal_error"})


def test_stored_items_that_break_the_contract_are_left_out_and_reported(
    function: ModuleType,
    writer: SessionWriter,
    client: Any,
    capsys: pytest.CaptureFixture[str],
    logs: Callable[[], list[dict[str, Any]]],
) -> None:
    good = [make_session(minute=i) for i in range(3)]
    writer.load(good)
    # another service writes a session with an unknown status and no price, bypassing the contract
    item = client.get_item(
        TableName="sessions-test",
        Key={"pk": {"S": "tenant-alpha"}, "sk": {"S": f"{good[1]['createdAt']}#{good[1]['id']}"}},
    )["Item"]
    item["status"] = {"S": "Paused"}
    del item["price"]
    client.put_item(TableName="sessions-test", Item=item)
    capsys.readouterr()
    status, body = call(function, event())
    assert status == 200
    assert [s["id"] for s in body["chargingSessions"]] == [good[2]["id"], good[0]["id"]]
    [error] = [record for record in logs() if record["level"] == "ERROR"]
    assert "does not fit the contract" in error["message"]
    assert good[1]["id"] in error["item_key"]["sk"]
    assert {e["loc"][0] for e in error["errors"]} == {"status", "price"}
    assert '"InvalidStoredItems":[1.0]' in capsys.readouterr().out


def test_only_the_configured_claim_selects_the_namespace(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    decoys = {"tenant": "tenant-alpha", "custom:namespaceId": "tenant-alpha", "namespace": "tenant-alpha"}
    status, body = call(function, event(claims={"namespaceId": "tenant-beta", **decoys}, namespace=None))
    assert (status, body["count"]) == (200, 5)
    assert call(function, event(claims=decoys, namespace=None))[0] == 401


@pytest.mark.parametrize("namespace", ["a[b]c", "[abc", "abc]", "map[", "mapping[x]", "x[]", "ma[p]"])
def test_brackets_elsewhere_are_ordinary_namespace_characters(
    function: ModuleType, writer: SessionWriter, namespace: str
) -> None:
    writer.load([make_session(namespace=namespace, minute=1), make_session(minute=2)])
    status, body = call(function, event(namespace=namespace))
    assert (status, body["count"]) == (200, 1)
    assert body["chargingSessions"][0]["namespaceId"] == namespace


def test_a_namespace_that_used_its_read_units_is_answered_429_and_the_others_are_not(
    function: ModuleType, stored: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from charging_sessions.tenant_limits import TenantLimiter

    monkeypatch.setattr(function, "limiter", TenantLimiter(rate=0.5, burst=1.0))
    assert call(function, event("take=5"))[0] == 200  # a counter and a Query: 1 read unit in the emulation
    response = function.lambda_handler(event("take=5"), LambdaContext())
    assert response["statusCode"] == 429
    assert int(response["headers"]["Retry-After"]) >= 1
    body = json.loads(response["body"])
    assert body["success"] is False and "tenant-alpha" not in body["message"]
    assert call(function, event("take=5", namespace="tenant-beta"))[0] == 200


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("skip=5001&userId=user-1", 400),
        ("skip=5001&status=Started", 400),
        ("skip=5001&updatedFrom=2026-01-01T00:00:00Z", 400),
        ("skip=5000&userId=user-1", 200),
        ("skip=5001", 200),  # the namespace's own view: skipping counts its keys-only twin
        ("skip=5001&createdFrom=2026-01-01T00:00:00Z", 200),
    ],
)
def test_a_deep_skip_where_skipping_reads_whole_sessions_is_refused(
    function: ModuleType, stored: list[dict[str, Any]], query: str, status: int
) -> None:
    answered, body = call(function, event(query))
    assert answered == status, body
    if status == 400:
        assert body["message"].startswith("Invalid query parameter 'skip': at most 5000")
        assert "nextCursor" in body["message"]
