"""The clients' DynamoDB answer parser (``charging_sessions.response_parser``) returns what botocore's own parser
returns, for any attribute values, the unusual ones included (blobs, nested maps and lists, null members, members
this botocore does not know, several members at once)."""

from __future__ import annotations

import base64
import json
from typing import Any

from botocore import parsers
from botocore.model import ServiceModel
from botocore.session import get_session
from hypothesis import given, settings
from hypothesis import strategies as st

from charging_sessions.aws_clients import _session
from charging_sessions.response_parser import ResponseParserFactory

_MODEL = ServiceModel(get_session().get_service_data("dynamodb"), "dynamodb")
_STOCK = parsers.ResponseParserFactory().create_parser("json")
_OURS = ResponseParserFactory().create_parser("json")

_text = st.text(max_size=12)
_blob = st.binary(max_size=12).map(lambda raw: base64.b64encode(raw).decode())
_number = st.integers(-(10**12), 10**12).map(str)
_scalar = st.one_of(
    st.builds(lambda value: {"S": value}, _text),
    st.builds(lambda value: {"N": value}, _number),
    st.builds(lambda value: {"B": value}, _blob),
    st.builds(lambda value: {"BOOL": value}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda values: {"SS": values}, st.lists(_text, min_size=1, max_size=3, unique=True)),
    st.builds(lambda values: {"NS": values}, st.lists(_number, min_size=1, max_size=3, unique=True)),
    st.builds(lambda values: {"BS": values}, st.lists(_blob, min_size=1, max_size=3, unique=True)),
)
_unusual = st.one_of(
    st.just({"S": "kept", "N": None}),  # a member sent as null beside the one set
    st.just({"FUTURE": {"x": 1}}),  # a union member this botocore does not know
)
_value = st.recursive(
    st.one_of(_scalar, _unusual),
    lambda inner: st.one_of(
        st.builds(lambda members: {"M": members}, st.dictionaries(_text, inner, max_size=3)),
        st.builds(lambda members: {"L": members}, st.lists(inner, max_size=3)),
    ),
    max_leaves=12,
)
_item = st.dictionaries(st.text(min_size=1, max_size=8), _value, min_size=1, max_size=6)


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    return {"status_code": 200, "headers": {}, "body": json.dumps(body).encode()}


def _parse(parser: Any, operation: str, body: dict[str, Any]) -> Any:
    parsed = parser.parse(_answer(body), _MODEL.operation_model(operation).output_shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


@settings(max_examples=300, deadline=None)
@given(items=st.lists(_item, max_size=4), last=st.one_of(st.none(), _item))
def test_a_query_answer_parses_as_botocore_parses_it(items: list[dict[str, Any]], last: dict[str, Any] | None) -> None:
    body: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
    if last is not None:
        body["LastEvaluatedKey"] = last
    assert _parse(_OURS, "Query", body) == _parse(_STOCK, "Query", body)


@settings(max_examples=100, deadline=None)
@given(item=_item)
def test_a_get_item_answer_parses_as_botocore_parses_it(item: dict[str, Any]) -> None:
    body = {"Item": item, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}}
    assert _parse(_OURS, "GetItem", body) == _parse(_STOCK, "GetItem", body)


def test_blobs_come_back_as_bytes_at_any_depth() -> None:
    raw = base64.b64encode(b"\x00\xff").decode()
    body = {"Item": {"b": {"B": raw}, "nested": {"M": {"l": {"L": [{"BS": [raw]}]}}}}}
    parsed = _parse(_OURS, "GetItem", body)["Item"]
    assert parsed["b"] == {"B": b"\x00\xff"}
    assert parsed["nested"]["M"]["l"]["L"][0] == {"BS": [b"\x00\xff"]}


def test_a_value_with_two_members_or_an_unknown_one_parses_as_botocore_parses_it() -> None:
    """DynamoDB's model does not mark the attribute value a tagged union: botocore keeps every member it knows."""
    body = {"Item": {"two": {"S": "x", "N": "1"}, "unknown": {"FUTURE": 1}, "none": {}}}
    parsed = _parse(_OURS, "GetItem", body)
    assert parsed == _parse(_STOCK, "GetItem", body)
    assert parsed["Item"] == {"two": {"S": "x", "N": "1"}, "unknown": {}, "none": {}}


def test_the_clients_session_uses_the_parser() -> None:
    assert isinstance(_session().get_component("response_parser_factory"), ResponseParserFactory)
