"""Conversion between plain JSON-like values and DynamoDB's typed attribute values.

boto3's TypeSerializer/TypeDeserializer go through ``Decimal`` and reject floats; this module maps
numbers straight to ``int``/``float`` (the API's types), which is both simpler and faster on the read path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


def to_attribute(value: Any) -> AttributeValue:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, Mapping):
        return {"M": to_item(value)}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(element) for element in value]}
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def to_item(document: Mapping[str, Any]) -> Item:
    """A DynamoDB item from a document; ``None`` values are left out (absent, not null)."""
    return {key: to_attribute(value) for key, value in document.items() if value is not None}


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    ((kind, value),) = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return _number(value)
    if kind == "M":
        return from_item(value)
    if kind == "L":
        return [from_attribute(element) for element in value]
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "SS":
        return list(value)
    if kind == "NS":
        return [_number(element) for element in value]
    raise TypeError(f"unsupported DynamoDB attribute type {kind}")


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: from_attribute(value) for key, value in item.items()}
