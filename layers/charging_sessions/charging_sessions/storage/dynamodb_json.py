"""DynamoDB's typed attribute values to plain JSON-like values and back, numbers straight to ``int``/``float`` (boto3's
serializers go through ``Decimal``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


def to_attribute(value: Any) -> AttributeValue:
    if value is None:
        return {"NULL": True}
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
    return float(text) if ("." in text or "e" in text or "E" in text) else int(text)


def _null(_: Any) -> None:
    return None


def _number_list(values: list[str]) -> list[int | float]:
    return [_number(value) for value in values]


_CONVERTERS: dict[str, Callable[[Any], Any]] = {"BOOL": bool, "NULL": _null, "SS": list, "NS": _number_list}


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """The plain value of one attribute. On the read path of every request, so the common types are tried
    first with plain lookups (strings, numbers, maps, lists), then one dict dispatch; no Decimal, no exceptions."""
    text = attribute.get("S")
    if text is not None:
        return text
    text = attribute.get("N")
    if text is not None:
        return float(text) if ("." in text or "e" in text or "E" in text) else int(text)
    mapping = attribute.get("M")
    if mapping is not None:
        return from_item(mapping)
    values = attribute.get("L")
    if values is not None:
        return [from_attribute(value) for value in values]
    for kind, value in attribute.items():
        converter = _CONVERTERS.get(kind)
        if converter is None:
            raise TypeError(f"unsupported DynamoDB attribute type {kind}")
        return converter(value)
    raise TypeError("empty attribute value")


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The plain form of an item (or of a map's members). Most members are strings: those are taken here, without
    a call per member (a fifth of the conversion's time on a page of sessions)."""
    plain: dict[str, Any] = {}
    for key, attribute in item.items():
        text = attribute.get("S")
        plain[key] = text if text is not None else from_attribute(attribute)
    return plain
