"""The HTTP edge without a table: who the caller is (the claim rules), which parameter names a request gives and
which a route refuses (unknown ones, ones it refuses together), how problems are told, and the envelope every
refusal gets, on events built as API Gateway's HTTP API builds them."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from charging_sessions.caller import UnauthorizedError, caller_namespace, is_stringified_structure
from charging_sessions.errors import ErrorCode
from charging_sessions.http_edge import (
    BadRequestError,
    HttpEdge,
    describe_unexpected,
    describe_validation_error,
    error_response,
    given_parameter_names,
    query_parameter_names,
    unexpected_parameters,
)
from charging_sessions.query import EXCLUSIVE_PARAMETERS, SELECTING_PARAMETERS, Skip
from local_toolkit import gateway
from local_toolkit.harness import load_handler
from tests.support import assert_token_absent, event

TOKEN = gateway.make_token("tenant-alpha")
PROBE = "/probe"
CURSOR_WITH_SKIP = EXCLUSIVE_PARAMETERS[("cursor", "skip")]


def request(query: str = "", *, claims: dict[str, str] | None = None, path: str = PROBE) -> APIGatewayProxyEventV2:
    """An HTTP API event as API Gateway's JWT authorizer passes it (``claims=None``: the caller's namespace)."""
    given = {"namespaceId": "tenant-alpha"} if claims is None else claims
    return APIGatewayProxyEventV2(
        gateway.http_api_event(path=path, raw_query=query, headers={"host": "api.test"}, claims=given)
    )


def probe_edge() -> HttpEdge:
    """An edge with one route that takes ``skip``, ``cursor`` and ``userId``, and refuses cursor with skip."""
    edge = HttpEdge(namespace_claim="namespaceId")

    @edge.get(PROBE, responses={200: {"description": "ok"}}, exclusive=EXCLUSIVE_PARAMETERS)
    def probe(
        skip: Skip = 0,
        cursor: Annotated[str | None, Query()] = None,
        userId: Annotated[str | None, Query(min_length=1)] = None,
    ) -> Response[Any]:
        return error_response(200, f"skip={skip}", ErrorCode.BAD_REQUEST)

    return edge


def answer(edge: HttpEdge, query: str, claims: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """The edge's answer to a request for the probe route: its status and parsed body."""
    raw = gateway.http_api_event(
        path=PROBE, raw_query=query, headers={"host": "api.test"}, claims=claims or {"namespaceId": "tenant-alpha"}
    )
    context: Any = gateway.LambdaContext()  # the parts of Lambda's context Powertools reads
    response = edge.resolver.resolve(raw, context)
    return int(response["statusCode"]), json.loads(response["body"])


# ---------------------------------------------------------------- identity


def test_the_claim_name_is_configuration() -> None:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    from charging_sessions.caller import UnauthorizedError, caller_namespace

    request = APIGatewayProxyEventV2(event(claims={"custom:tenant": "t-1", "namespaceId": "t-2"}, namespace=None))
    assert caller_namespace(request, "custom:tenant") == "t-1"
    assert caller_namespace(request, "namespaceId") == "t-2"
    with pytest.raises(UnauthorizedError):
        caller_namespace(request, "tenant")


@pytest.mark.parametrize(
    ("value", "structure"),
    [
        ("[a b]", True),
        ("[a]", True),
        ("[]", True),
        ("[[a] [b]]", True),
        ("map[k:v]", True),
        ("map[k:v other:w]", True),
        ("map[]", True),
        ("a[b]c", False),
        ("[abc", False),
        ("abc]", False),
        ("map[", False),
        ("map]", False),
        ("Map[k:v]", False),
        ("tenant-alpha", False),
    ],
)
def test_the_structure_rule_is_exactly_brackets_at_both_ends(value: str, structure: bool) -> None:
    from charging_sessions.caller import is_stringified_structure

    assert is_stringified_structure(value) is structure


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"sub": "x"},
        {"namespaceId": ""},
        {"namespace": "tenant-alpha"},
        {"namespaceId": "x" * 129},
        {"namespaceId": "a\nb"},
        {"namespaceId": "tab\there"},
        {"namespaceId": "[tenant-alpha tenant-beta]"},
        {"namespaceId": "[tenant-alpha]"},
        {"namespaceId": "[]"},
        {"namespaceId": "map[id:tenant-alpha]"},
        {"namespaceId": "map[]"},
    ],
)
def test_a_missing_or_unusable_claim_is_refused(claims: dict[str, str]) -> None:
    with pytest.raises(UnauthorizedError):
        caller_namespace(request(claims=claims), "namespaceId")


def test_without_an_authorizer_there_is_no_namespace() -> None:
    raw = gateway.http_api_event(path=PROBE, raw_query="", headers={}, claims=None)
    with pytest.raises(UnauthorizedError, match="missing or unusable"):
        caller_namespace(APIGatewayProxyEventV2(raw), "namespaceId")


@pytest.mark.parametrize(
    "namespace", ["a[b]c", "[abc", "abc]", "map[", "mapping[x]", "x[]", "ma[p]", "x" * 128, "电动车"]
)
def test_usable_claims_are_the_namespace_as_they_are(namespace: str) -> None:
    assert caller_namespace(request(claims={"namespaceId": namespace}), "namespaceId") == namespace
    assert is_stringified_structure(namespace) is False


# ---------------------------------------------------------------- parameter names


def test_the_given_names_come_from_the_raw_query_string_in_order() -> None:
    assert given_parameter_names(request("take=1&userId=a&take=2&flag&empty=")) == [
        "take",
        "userId",
        "take",
        "flag",
        "empty",
    ]
    assert given_parameter_names(request("")) == []
    assert given_parameter_names(request("user%49d=x")) == ["userId"]  # names are percent-decoded


def test_without_a_raw_query_string_the_parsed_parameters_give_the_names() -> None:
    raw = gateway.http_api_event(path=PROBE, raw_query="", headers={}, claims={"namespaceId": "t"})
    raw["queryStringParameters"] = {"take": "1,2", "userId": "u"}
    assert given_parameter_names(APIGatewayProxyEventV2(raw)) == ["take", "userId"]


def test_unexpected_names_once_each_in_the_order_given() -> None:
    names = ["foo", "take", "bar", "foo", "namespaceId"]
    assert unexpected_parameters(names, {"take", "skip"}) == ["foo", "bar", "namespaceId"]
    assert unexpected_parameters(["take", "take"], {"take"}) == []


def test_many_distinct_unknown_names_cost_linear_time() -> None:
    """A long query string of distinct unknown names (ordering them by ``list.index`` was quadratic)."""
    names = [f"p{index}" for index in range(20_000)]
    started = time.perf_counter()
    assert unexpected_parameters(names, {"take"}) == names
    assert time.perf_counter() - started < 0.25  # linear: milliseconds; quadratic: seconds


def test_unexpected_names_are_told_with_a_hint_for_the_namespace() -> None:
    assert describe_unexpected(["foo"]) == "Unknown query parameter 'foo'"
    assert describe_unexpected(["foo", "bar"]) == "Unknown query parameters 'foo', 'bar'"
    assert describe_unexpected(["namespaceId"]) == (
        "Unknown query parameter 'namespaceId' (the namespace comes from your credentials, not from the query)"
    )


def test_validation_problems_are_one_sentence_each_naming_the_parameter() -> None:
    error = RequestValidationError(
        [
            {
                "loc": ("query", "take"),
                "msg": "Value error, must be a whole number written in digits",
                "type": "value_error",
                "input": "x",
            },
            {"loc": ("query", "userId"), "msg": "ignored", "type": "string_type", "input": ["a", "b"]},
            {"loc": ("header", "if-none-match"), "msg": "Field required", "type": "missing"},
            {"loc": ("query", "status"), "msg": "Input should be 'Started' or 'Stopped'", "type": "enum"},
        ]
    )
    assert describe_validation_error(error) == (
        "Invalid query parameter 'take': must be a whole number written in digits; "
        "Invalid query parameter 'userId': must be given at most once; "
        "Invalid header parameter 'if-none-match': is required; "
        "Invalid query parameter 'status': input should be 'Started' or 'Stopped'"
    )
    assert describe_validation_error(RequestValidationError([])) == "Invalid request"


def test_the_route_takes_the_names_in_its_signature_but_not_its_headers() -> None:
    function = load_handler()
    assert query_parameter_names(function.list_charging_sessions) == {
        "skip",
        "take",
        *SELECTING_PARAMETERS,
        "cursor",
        "fields",
    }


# ---------------------------------------------------------------- admission


def test_admit_answers_the_namespace_of_a_request_that_passes() -> None:
    edge = probe_edge()
    assert edge.admit(request("skip=1&userId=u")) == "tenant-alpha"
    assert edge.admit(request("cursor=abc")) == "tenant-alpha"


@pytest.mark.parametrize("query", ["cursor=abc&skip=0", "skip=3&cursor=abc", "cursor=&skip=", "skip=1&cursor=a&skip=2"])
def test_parameters_refused_together_whatever_their_values(query: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        probe_edge().admit(request(query))
    assert str(refused.value) == CURSOR_WITH_SKIP


def test_every_problem_with_the_names_is_told_at_once() -> None:
    with pytest.raises(BadRequestError) as refused:
        probe_edge().admit(request("foo=1&cursor=abc&skip=0&bar=2"))
    assert str(refused.value) == f"Unknown query parameters 'foo', 'bar'; {CURSOR_WITH_SKIP}"


def test_identity_comes_before_the_names() -> None:
    with pytest.raises(UnauthorizedError):
        probe_edge().admit(request("foo=1&cursor=abc&skip=0", claims={"sub": "x"}))


def test_another_path_takes_no_parameter() -> None:
    with pytest.raises(BadRequestError, match="Unknown query parameter 'skip'"):
        probe_edge().admit(request("skip=1", path="/elsewhere"))


def test_refusals_are_answered_in_the_envelope_in_the_edge_order() -> None:
    edge = probe_edge()
    assert answer(edge, "skip=2") == (200, {"success": False, "message": "skip=2", "code": "bad_request"})
    conflict = {"parameter": "skip", "code": "conflict", "message": CURSOR_WITH_SKIP}
    assert answer(edge, "cursor=abc&skip=1") == (
        400,
        {"success": False, "message": CURSOR_WITH_SKIP, "code": "bad_request", "errors": [conflict]},
    )
    status, body = answer(edge, "cursor=abc&skip=-1")  # a bad value and a refused pair: both in one message
    assert (status, body["success"], body["code"]) == (400, False, "bad_request")
    below = "Invalid query parameter 'skip': input should be greater than or equal to 0"
    assert body["message"] == f"{CURSOR_WITH_SKIP}; {below}"
    assert body["errors"] == [conflict, {"parameter": "skip", "code": "out_of_range", "message": below}]
    status, body = answer(edge, "foo=1&bar=2&skip=x&skip=3")
    assert body["message"] == (
        "Unknown query parameters 'foo', 'bar'; Invalid query parameter 'skip': must be given at most once"
    )
    assert [(e["parameter"], e["code"]) for e in body["errors"]] == [
        ("foo", "unknown_parameter"),
        ("bar", "unknown_parameter"),
        ("skip", "repeated"),
    ]
    assert body["errors"][0]["message"] == "Unknown query parameter 'foo'"
    status, body = answer(edge, "skip=x&userId=")
    assert [(e["parameter"], e["code"]) for e in body["errors"]] == [("skip", "invalid"), ("userId", "invalid")]
    assert answer(edge, "skip=x", claims={"sub": "x"}) == (
        401,
        {
            "success": False,
            "message": "Unauthorized: the caller's identity carries no usable namespace",
            "code": "unauthorized",
        },
    )


def test_the_edge_never_prints_the_event_even_with_powertools_dev_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``POWERTOOLS_DEV=true`` turns the Powertools resolver's debug mode on unless the code switches it off,
    and debug mode prints every event (headers included) to stdout, i.e. to CloudWatch."""
    from charging_sessions.http_edge import HttpEdge, error_response

    monkeypatch.setenv("POWERTOOLS_DEV", "true")
    edge = HttpEdge(namespace_claim="namespaceId")

    @edge.get("/probe", responses={200: {"description": "ok"}})
    def probe() -> Response[Any]:
        return error_response(200, "ok", ErrorCode.BAD_REQUEST)

    request = gateway.http_api_event(
        path="/probe",
        raw_query="",
        headers={"host": "api.test", "authorization": f"Bearer {TOKEN}"},
        claims={"namespaceId": "tenant-alpha"},
    )
    context: Any = gateway.LambdaContext()  # the parts of Lambda's context Powertools reads
    assert edge.resolver.resolve(request, context)["statusCode"] == 200
    output = capsys.readouterr()
    assert_token_absent(output.out + output.err, TOKEN)
