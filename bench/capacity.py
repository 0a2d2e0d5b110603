"""Read capacity computed from what DynamoDB actually read, call by call.

moto answers every call with a fixed ``ConsumedCapacity``, so the benchmark computes read units itself,
with DynamoDB's published rules:

* Item size: the sum over attributes of the attribute name's UTF-8 length plus the value's size: strings
  and binaries their bytes, numbers ``ceil(significant digits / 2) + 1`` bytes, booleans and nulls 1 byte,
  sets the sum of their elements, maps and lists 3 bytes + their contents + 1 byte per element (a map
  element's content is its key's length plus its value's size).
* GetItem: the whole item's size (whatever ``ProjectionExpression`` asks for) rounded up to 4 KB; 1 unit
  per 4 KB for a consistent read, 0.5 for an eventually consistent one; a missing item still costs the
  minimum (1 / 0.5).
* Query and Scan: the total size of every entry *read* (every entry the key condition passed over, before
  ``FilterExpression``, whatever ``Select`` or ``ProjectionExpression`` say), rounded up to 4 KB once per
  call, same consistency factor, at least one 4 KB unit per call. An index query reads index entries: the
  projected attributes, which for a KEYS_ONLY index are the index key plus the table key.

Which entries a call read: when the call returned them (a plain Query), they are sized from the answer.
When it returned none or only some (``Select=COUNT``, a ``FilterExpression``, a ``ProjectionExpression``),
the same request is re-issued afterwards on a *side channel* (the unwrapped client method: not timed, not
counted as a call) without those parameters, with the same ``Limit`` and ``ExclusiveStartKey``, and its
items are sized; the side call must report the same ``ScannedCount`` and ``LastEvaluatedKey`` as the
original, which proves it read the same entries. Side calls run after the measured request, never inside
its timing.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KB4 = 4096
EVENTUAL_FACTOR = 0.5

ApiCall = Callable[[str, dict[str, Any]], dict[str, Any]]


def number_size(text: str) -> int:
    """Bytes of a DynamoDB number: about one byte per two significant digits, plus one."""
    mantissa = text.strip().lstrip("+-").lower().split("e", 1)[0]
    digits = mantissa.replace(".", "").lstrip("0").rstrip("0")
    return math.ceil(len(digits) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one DynamoDB attribute value (low-level form: ``{"S": "x"}``, ``{"M": {...}}``...)."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(element.encode("utf-8")) for element in content)
    if kind == "NS":
        return sum(number_size(element) for element in content)
    if kind == "BS":
        return sum(len(element) for element in content)
    if kind == "M":
        return 3 + sum(len(key.encode("utf-8")) + value_size(element) + 1 for key, element in content.items())
    if kind == "L":
        return 3 + sum(value_size(element) + 1 for element in content)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes of one item (or index entry): attribute names plus values."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(total_bytes: int, *, consistent: bool) -> float:
    """Read units for ``total_bytes`` read by one request: 4 KB units, at least one; halved when eventual."""
    units = max(1, math.ceil(total_bytes / KB4))
    return units * (1.0 if consistent else EVENTUAL_FACTOR)


def floor_units(sizes: Iterable[int]) -> float:
    """The least any request returning items of these sizes can cost: one eventually consistent read of
    exactly those bytes (0.5 when there are none: every request reads at least once)."""
    return read_units(sum(sizes), consistent=False)


@dataclass
class Call:
    """One DynamoDB call the measured code made: what it asked, what it got, how long it waited."""

    operation: str
    params: dict[str, Any]
    response: dict[str, Any]
    seconds: float
    started: float = 0.0
    """``time.perf_counter()`` when the call began (calls on two threads may overlap)."""


@dataclass
class CallCost:
    operation: str
    index: str | None
    entries_read: int
    bytes_read: int
    read_units: float
    side_channel: bool


@dataclass
class Meter:
    """Records every call a boto3 DynamoDB client makes, by wrapping the client's ``_make_api_call``
    (every generated method such as ``client.query`` goes through it). ``unwrapped`` is the side channel."""

    client: Any
    calls: list[Call] = field(default_factory=list)
    unwrapped: ApiCall | None = None

    def install(self) -> Meter:
        original: ApiCall = self.client._make_api_call
        self.unwrapped = original

        def recording(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            started = time.perf_counter()
            try:
                response = original(operation, params)
            finally:
                elapsed = time.perf_counter() - started
            self.calls.append(Call(operation, params, response, elapsed, started))
            return response

        self.client._make_api_call = recording
        return self

    def uninstall(self) -> None:
        if self.unwrapped is not None:
            self.client._make_api_call = self.unwrapped
            self.unwrapped = None

    def take(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls

    def side_call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.unwrapped is None:
            raise RuntimeError("the meter is not installed")
        return self.unwrapped(operation, params)


_NAME = re.compile(r"#[A-Za-z0-9_]+")
_VALUE = re.compile(r":[A-Za-z0-9_]+")
_DROPPED_FOR_SIDE = (
    "Select",
    "FilterExpression",
    "ProjectionExpression",
    "AttributesToGet",
    "QueryFilter",
    "ScanFilter",
)


def unfiltered(params: Mapping[str, Any]) -> dict[str, Any]:
    """The request without what hides entries from the answer (COUNT, filters, projections); names and
    values only those expressions used are dropped too (DynamoDB refuses unused ones)."""
    side = {key: value for key, value in params.items() if key not in _DROPPED_FOR_SIDE}
    side["ReturnConsumedCapacity"] = "NONE"
    expressions = " ".join(str(side[key]) for key in ("KeyConditionExpression",) if key in side)
    if "ExpressionAttributeNames" in side:
        names = {k: v for k, v in side["ExpressionAttributeNames"].items() if k in set(_NAME.findall(expressions))}
        side["ExpressionAttributeNames"] = names
        if not names:
            del side["ExpressionAttributeNames"]
    if "ExpressionAttributeValues" in side:
        values = {k: v for k, v in side["ExpressionAttributeValues"].items() if k in set(_VALUE.findall(expressions))}
        side["ExpressionAttributeValues"] = values
        if not values:
            del side["ExpressionAttributeValues"]
    return side


def call_cost(call: Call, meter: Meter) -> CallCost:
    """Read units of one recorded call (may re-issue it on the meter's side channel, see the module doc)."""
    params, response = call.params, call.response
    consistent = bool(params.get("ConsistentRead", False))
    index = params.get("IndexName")
    if call.operation == "GetItem":
        item = response.get("Item")
        side = False
        if item is not None and any(key in params for key in ("ProjectionExpression", "AttributesToGet")):
            item = meter.side_call("GetItem", unfiltered(params)).get("Item")
            side = True
        size = item_size(item) if item else 0
        return CallCost("GetItem", None, 1 if item else 0, size, read_units(size, consistent=consistent), side)
    if call.operation in ("Query", "Scan"):
        side = any(key in params for key in _DROPPED_FOR_SIDE)
        items = response.get("Items", [])
        if side:
            replay = meter.side_call(call.operation, unfiltered(params))
            if replay.get("ScannedCount") != response.get("ScannedCount") or replay.get(
                "LastEvaluatedKey"
            ) != response.get("LastEvaluatedKey"):
                raise AssertionError(f"the side channel read other entries than the {call.operation} it replays")
            items = replay.get("Items", [])
        size = sum(item_size(item) for item in items)
        return CallCost(call.operation, index, len(items), size, read_units(size, consistent=consistent), side)
    raise ValueError(f"{call.operation} is not a read this benchmark knows how to cost")


@dataclass
class Cost:
    """The read cost of one request: all its calls."""

    calls: int = 0
    read_units: float = 0.0
    entries_read: int = 0
    bytes_read: int = 0
    side_channel_calls: int = 0
    by_call: list[CallCost] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "read_units": self.read_units,
            "entries_read": self.entries_read,
            "bytes_read": self.bytes_read,
            "side_channel_calls": self.side_channel_calls,
            "by_call": [
                {
                    "operation": c.operation,
                    "index": c.index,
                    "entries_read": c.entries_read,
                    "bytes_read": c.bytes_read,
                    "read_units": c.read_units,
                }
                for c in self.by_call
            ],
        }


def cost_of(calls: Iterable[Call], meter: Meter) -> Cost:
    cost = Cost()
    for call in calls:
        one = call_cost(call, meter)
        cost.calls += 1
        cost.read_units += one.read_units
        cost.entries_read += one.entries_read
        cost.bytes_read += one.bytes_read
        cost.side_channel_calls += int(one.side_channel)
        cost.by_call.append(one)
    return cost
