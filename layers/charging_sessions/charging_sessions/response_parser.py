"""DynamoDB's answers parsed without botocore's walk of every attribute value through its model.

botocore parses a JSON answer by following the service model shape by shape. A DynamoDB attribute value is a
union of ten members, and botocore visits all ten for every value: parsing a Query of 50 sessions took about
10 ms, several times the function's own work on the page, paid in every request's latency.

:class:`ResponseParserFactory` gives clients a JSON parser that takes each attribute value as it came on the wire
(it already is the SDK's form: strings, numbers as strings, booleans, lists). It rebuilds only what botocore
changes: blobs (``B``, ``BS``) are decoded from base64 with botocore's own blob parser, and maps and lists (``M``,
``L``) are walked for the blobs inside them. Anything else (a member set to ``null``, a union member this
botocore does not know, no member or several) goes to botocore's own parser, so the result is always what
botocore returns. ``tests/unit/test_response_parser.py`` holds the two to the same answers.
"""

from __future__ import annotations

from typing import Any

from botocore import parsers
from botocore.model import Shape

_AS_SENT = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})
"""Members botocore returns exactly as the JSON holds them."""
_ATTRIBUTE_VALUE = "AttributeValue"

# botocore's type stubs leave out the parser internals these classes build on (its own parsers' protected methods)
_JSONParser: Any = parsers.JSONParser
_ParserFactory: Any = parsers.ResponseParserFactory


class _DynamoDBJSONParser(_JSONParser):  # type: ignore[misc]
    """botocore's JSON parser, with a direct path for maps of DynamoDB attribute values (items and keys)."""

    def _handle_map(self, shape: Any, value: Any) -> Any:
        value_shape = shape.value
        if value_shape.name != _ATTRIBUTE_VALUE or not isinstance(value, dict):
            return super()._handle_map(shape, value)
        return {name: self._attribute(value_shape, attribute) for name, attribute in value.items()}

    def _handle_list(self, shape: Any, node: Any) -> Any:
        member = shape.member
        if member.name != _ATTRIBUTE_VALUE or not isinstance(node, list):
            return super()._handle_list(shape, node)
        return [self._attribute(member, attribute) for attribute in node]

    def _attribute(self, shape: Shape, value: Any) -> Any:
        if value.__class__ is dict and len(value) == 1:
            ((tag, member),) = value.items()
            if member is not None:
                if tag in _AS_SENT:
                    return value  # fresh from the JSON decoder: no one else holds it
                if tag == "M" and isinstance(member, dict):
                    return {"M": {name: self._attribute(shape, inner) for name, inner in member.items()}}
                if tag == "L" and isinstance(member, list):
                    return {"L": [self._attribute(shape, inner) for inner in member]}
                if tag == "B":
                    return {"B": self._blob_parser(member)}
                if tag == "BS" and isinstance(member, list):
                    return {"BS": [self._blob_parser(blob) for blob in member]}
        return self._parse_shape(shape, value)  # botocore's own path for anything unusual


class ResponseParserFactory(_ParserFactory):  # type: ignore[misc]
    """botocore's parser factory, with :class:`_DynamoDBJSONParser` for the JSON protocol (DynamoDB's; for other
    JSON services it parses exactly as botocore does, having no attribute values to shortcut)."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return _DynamoDBJSONParser(**self._defaults)
        return super().create_parser(protocol_name)
