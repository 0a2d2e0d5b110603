"""The local gateway's claims: decoded from the bearer token and rendered as API Gateway's HTTP API JWT
authorizer passes them to the function (Go's fmt rendering: ``[a b]``, ``map[k:v]``, numbers as written)."""

from __future__ import annotations

import base64
import json

import pytest

from local_toolkit.gateway import claim_text, decode_claims, http_api_event, make_token


def bearer(payload: str | bytes) -> str:
    raw = payload.encode() if isinstance(payload, str) else payload
    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return f"Bearer eyJhbGciOiJub25lIn0.{encoded}."


def test_strings_pass_as_they_are() -> None:
    assert decode_claims(bearer('{"namespaceId": "tenant-a", "sub": "user 1", "empty": ""}')) == {
        "namespaceId": "tenant-a",
        "sub": "user 1",
        "empty": "",
    }


def test_numbers_keep_their_json_text() -> None:
    claims = decode_claims(
        bearer('{"iat": 1613042636, "ratio": 1.50, "big": 1e3, "neg": -0, "huge": 123456789012345678901234567890}')
    )
    assert claims == {
        "iat": "1613042636",
        "ratio": "1.50",
        "big": "1e3",
        "neg": "-0",
        "huge": "123456789012345678901234567890",
    }


def test_booleans_and_null() -> None:
    assert decode_claims(bearer('{"email_verified": true, "admin": false, "none": null}')) == {
        "email_verified": "true",
        "admin": "false",
        "none": "<nil>",
    }


def test_arrays_render_space_separated_in_brackets() -> None:
    claims = decode_claims(
        bearer('{"cognito:groups": ["admins", "users"], "one": ["x"], "empty": [], "mixed": [1, true, "a b", null]}')
    )
    assert claims == {
        "cognito:groups": "[admins users]",
        "one": "[x]",
        "empty": "[]",
        "mixed": "[1 true a b <nil>]",
    }


def test_objects_render_as_go_maps_with_sorted_keys() -> None:
    claims = decode_claims(
        bearer(
            '{"address": {"zip": "1000", "city": "Oslo"}, "empty": {},'
            ' "deep": {"b": [1, {"y": 2, "x": [3]}], "a": {"k": "v"}}}'
        )
    )
    assert claims == {
        "address": "map[city:Oslo zip:1000]",
        "empty": "map[]",
        "deep": "map[a:map[k:v] b:[1 map[x:[3] y:2]]]",
    }


def test_claim_text_of_decoded_values() -> None:
    assert claim_text(["a", ["b", "c"]]) == "[a [b c]]"
    assert claim_text({"é": 1, "a": "x"}) == "map[a:x é:1]"
    assert claim_text(True) == "true"
    assert claim_text(None) == "<nil>"


def test_the_namespace_claim_of_a_local_token() -> None:
    claims = decode_claims(f"Bearer {make_token('tenant-x', claim='tenant')}")
    assert claims is not None
    assert claims["tenant"] == "tenant-x"
    assert claims["exp"].isdigit()
    assert int(claims["exp"]) > int(claims["iat"])


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Basic dXNlcjpwYXNz",
        "Bearer only-one-part",
        "Bearer a.b",
        bearer("not json"),
        bearer('["a", "list"]'),
        bearer('{"n": NaN}'),
        bearer(b'{"s": "\xff"}'),
        "Bearer a.\u00e9\u00e9.c",
    ],
)
def test_malformed_tokens_carry_no_claims(authorization: str | None) -> None:
    assert decode_claims(authorization) is None


def test_claims_reach_the_event_rendered() -> None:
    token = bearer(json.dumps({"namespaceId": "tenant-a", "groups": ["g1", "g2"], "level": 3}))
    event = http_api_event(path="/x", raw_query="", headers={}, claims=decode_claims(token))
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {
        "namespaceId": "tenant-a",
        "groups": "[g1 g2]",
        "level": "3",
    }


def test_a_token_is_current_between_its_nbf_and_its_exp() -> None:
    from local_toolkit.gateway import token_is_current

    assert token_is_current({"exp": "100"}, 99.5)
    assert not token_is_current({"exp": "100"}, 100.0)
    assert not token_is_current({"nbf": "50", "exp": "100"}, 49.0)
    assert token_is_current({}, 1e12)  # without exp or nbf nothing expires (the local tokens always carry exp)
    assert not token_is_current({"exp": "soon"}, 0.0)
