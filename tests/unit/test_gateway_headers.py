"""Headers as API Gateway's HTTP API passes them: into the payload 2.0 event (repeated headers comma-joined,
cookies apart, the ``x-forwarded-*`` it adds), out of the function's response, and the CORS policy it answers
with, read from the template's ``CorsConfiguration``."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from local_toolkit.gateway import CorsPolicy, event_headers, http_api_event
from local_toolkit.server import function_answer
from local_toolkit.template_table import cors_configuration, load_template

# ---------------------------------------------------------------- the event


def test_repeated_headers_are_joined_with_commas_in_the_order_sent() -> None:
    headers, cookies = event_headers(
        [("If-None-Match", '"a"'), ("Accept", "application/json"), ("if-none-match", '"b", "c"'), ("X-Empty", "")]
    )
    assert headers == {"if-none-match": '"a","b", "c"', "accept": "application/json", "x-empty": ""}
    assert cookies == []


def test_cookies_leave_the_headers_for_the_cookies_list() -> None:
    headers, cookies = event_headers([("Cookie", "a=1; b=2;"), ("Host", "api.test"), ("cookie", " c=3 ")])
    assert headers == {"host": "api.test"}
    assert cookies == ["a=1", "b=2", "c=3"]


def test_a_mapping_of_headers_is_taken_as_it_is() -> None:
    assert event_headers({"X-One": "1", "Cookie": "k=v"}) == ({"x-one": "1"}, ["k=v"])


def test_the_event_carries_joined_headers_cookies_and_what_the_gateway_adds() -> None:
    event = http_api_event(
        path="/x",
        raw_query="",
        headers=[("Host", "api.test"), ("X-Tag", "1"), ("X-Tag", "2"), ("Cookie", "s=1; t=2")],
        claims=None,
        source_ip="203.0.113.9",
        request_id="abc=",
    )
    assert event["headers"] == {
        "host": "api.test",
        "x-tag": "1,2",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
    }
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["requestContext"]["requestId"] == "abc="
    assert event["requestContext"]["domainName"] == "api.test"


def test_the_local_server_forwards_its_own_scheme_and_port() -> None:
    event = http_api_event(
        path="/x",
        raw_query="",
        headers={"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "1"},
        claims=None,
        source_ip="127.0.0.1",
        forwarded_proto="http",
        forwarded_port=3000,
    )
    assert event["headers"]["x-forwarded-for"] == "198.51.100.1, 127.0.0.1"  # what the client sent, then the source
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-port"] == "3000"


def test_an_event_without_cookies_has_no_cookies_field() -> None:
    event = http_api_event(path="/x", raw_query="", headers={}, claims=None)
    assert "cookies" not in event
    assert event["requestContext"]["requestId"].endswith("=")


# ---------------------------------------------------------------- the function's response


def test_the_function_answer_keeps_its_headers_and_decodes_its_body() -> None:
    response: dict[str, Any] = {
        "statusCode": 200,
        "headers": {
            "Content-Type": "text/csv",
            "Content-Length": "999",
            "Content-Encoding": "gzip",
            "ETag": '"t"',
            "Vary": "Accept-Encoding",
            "Access-Control-Allow-Origin": "*",
        },
        "cookies": ["a=1"],
        "body": base64.b64encode(b"\x1f\x8b raw").decode(),
        "isBase64Encoded": True,
    }
    status, content_type, payload, headers = function_answer(response, cors_configured=True)
    assert (status, content_type, payload) == (200, "text/csv", b"\x1f\x8b raw")
    assert headers == [
        ("Content-Encoding", "gzip"),
        ("ETag", '"t"'),
        ("Vary", "Accept-Encoding"),
        ("Set-Cookie", "a=1"),
    ]
    _, _, _, headers = function_answer(response, cors_configured=False)
    assert ("Access-Control-Allow-Origin", "*") in headers


def test_a_304_keeps_its_headers() -> None:
    status, content_type, payload, headers = function_answer(
        {"statusCode": 304, "headers": {"ETag": '"t"', "Cache-Control": "private"}}, cors_configured=False
    )
    assert (status, content_type, payload) == (304, "application/json", b"")
    assert headers == [("ETag", '"t"'), ("Cache-Control", "private")]


# ---------------------------------------------------------------- CORS


@pytest.fixture(scope="module")
def configuration() -> dict[str, Any]:
    return cors_configuration(load_template())


def test_the_template_lists_are_the_policy(configuration: dict[str, Any]) -> None:
    policy = CorsPolicy.from_template(configuration, ["https://app.example.com"])
    assert policy == CorsPolicy(
        allow_origins=("https://app.example.com",),
        allow_methods=("GET",),
        allow_headers=("authorization", "content-type", "accept", "if-none-match", "x-request-id"),
        expose_headers=("etag", "link", "retry-after", "x-request-id", "x-total-count"),
        max_age=600,
    )


def test_the_configuration_is_read_through_its_condition() -> None:
    def template(cors: object) -> dict[str, Any]:
        return {
            "Resources": {"HttpApi": {"Type": "AWS::Serverless::HttpApi", "Properties": {"CorsConfiguration": cors}}}
        }

    plain = {"AllowOrigins": ["*"], "AllowMethods": ["GET"]}
    conditional = {"Fn::If": ["HasCors", plain, {"Ref": "AWS::NoValue"}]}
    assert cors_configuration(template(plain)) == plain
    assert cors_configuration(template(conditional)) == plain
    assert cors_configuration(template({"Ref": "AWS::NoValue"})) == {}
    assert cors_configuration({"Resources": {"HttpApi": {"Type": "AWS::Serverless::HttpApi", "Properties": {}}}}) == {}


def preflight(origin: str, method: str = "GET", requested: str | None = None) -> dict[str, str]:
    headers = {"origin": origin, "access-control-request-method": method}
    if requested is not None:
        headers["access-control-request-headers"] = requested
    return headers


POLICY = CorsPolicy(
    allow_origins=("https://a.test", "http://localhost:5173"),
    allow_methods=("GET",),
    allow_headers=("authorization", "if-none-match"),
    expose_headers=("etag", "x-total-count"),
    max_age=600,
)


def test_an_allowed_preflight_gets_every_header() -> None:
    assert POLICY.preflight_headers(preflight("https://a.test", requested="Authorization,IF-NONE-MATCH")) == {
        "Access-Control-Allow-Origin": "https://a.test",
        "Access-Control-Allow-Methods": "GET",
        "Access-Control-Allow-Headers": "authorization,if-none-match",
        "Access-Control-Max-Age": "600",
    }


@pytest.mark.parametrize(
    "headers",
    [
        preflight("https://b.test"),
        preflight("https://A.test"),
        preflight("https://a.test", "DELETE"),
        preflight("https://a.test", requested="authorization, x-other"),
    ],
)
def test_a_refused_preflight_gets_none(headers: dict[str, str]) -> None:
    assert POLICY.preflight_headers(headers) == {}


def test_what_is_a_preflight() -> None:
    assert POLICY.is_preflight("OPTIONS", preflight("https://b.test"))
    assert not POLICY.is_preflight("OPTIONS", {"origin": "https://a.test"})
    assert not POLICY.is_preflight("OPTIONS", {"access-control-request-method": "GET"})
    assert not POLICY.is_preflight("GET", preflight("https://a.test"))


def test_stars_allow_any_origin_method_and_header() -> None:
    policy = CorsPolicy(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    assert policy.preflight_headers(preflight("https://x.test", "PATCH", "x-anything")) == {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "*",
        "Access-Control-Allow-Headers": "*",
    }
    assert policy.response_headers("https://x.test") == {"Access-Control-Allow-Origin": "*"}


def test_actual_answers_get_the_origin_and_the_exposed_headers() -> None:
    assert POLICY.response_headers("http://localhost:5173") == {
        "Access-Control-Allow-Origin": "http://localhost:5173",
        "Access-Control-Expose-Headers": "etag,x-total-count",
    }
    assert POLICY.response_headers("https://b.test") == {}
    assert POLICY.response_headers(None) == {}


def test_credentials_are_allowed_with_named_origins_only() -> None:
    policy = CorsPolicy.from_template({"AllowMethods": ["GET"], "AllowCredentials": True}, ["https://a.test"])
    assert policy.response_headers("https://a.test")["Access-Control-Allow-Credentials"] == "true"
    assert policy.preflight_headers(preflight("https://a.test"))["Access-Control-Allow-Credentials"] == "true"
    with pytest.raises(ValueError, match="AllowCredentials"):
        CorsPolicy.from_template({"AllowCredentials": True}, ["*"])


@pytest.mark.parametrize(
    "configuration",
    [{"AllowHeaders": {"Ref": "Headers"}}, {"MaxAge": {"Ref": "Age"}}, {"AllowCredentials": "true"}],
)
def test_values_the_local_server_cannot_resolve_are_refused(configuration: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="literal"):
        CorsPolicy.from_template(configuration, ["https://a.test"])


def test_cors_needs_an_origin() -> None:
    with pytest.raises(ValueError, match="origin"):
        CorsPolicy(allow_origins=())
