"""Sessions as CSV without a table: the columns (all, or those of a field selection), RFC 4180 quoting, the formula
guard, how each JSON value is written, and a round trip through the stdlib reader on demo sessions."""

from __future__ import annotations

import csv
import io
import json
import math
from enum import IntEnum
from typing import Any

import pytest

from charging_sessions.csv_export import (
    CSV_COLUMNS,
    CSV_CONTENT_TYPE,
    columns_for,
    csv_header,
    csv_row,
    formula_safe,
)
from charging_sessions.models import ChargingSession
from local_toolkit.demo_data import generate_session_list
from tests.factories import make_session


def json_form(session: dict[str, Any]) -> dict[str, Any]:
    """A session as the API answers it (the form the CSV is read from)."""
    return ChargingSession.model_validate(session).model_dump(mode="json", exclude_none=True)


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def cells(session: dict[str, Any], columns: tuple[str, ...] = CSV_COLUMNS) -> dict[str, str]:
    """The fields ``csv_row`` writes for ``session``, read back by ``csv.reader``, by column."""
    rows = read_back(csv_header(columns) + csv_row(session, columns))
    assert len(rows) == 2
    assert rows[0] == list(columns)
    return dict(zip(columns, rows[1], strict=True))


def test_the_columns() -> None:
    assert CSV_CONTENT_TYPE == "text/csv; charset=utf-8; header=present"
    assert CSV_COLUMNS[0] == "id"
    assert CSV_COLUMNS[-3:] == ("chargingIntent.type", "chargingIntent.startType", "tariff.timeZone")
    assert len(set(CSV_COLUMNS)) == len(CSV_COLUMNS)
    fields = ChargingSession.model_fields
    nested = {"tariff", "chargingIntent"}
    # Every scalar field of the contract is a column, and every column reads a field of the contract.
    assert {column for column in CSV_COLUMNS if "." not in column} == set(fields) - nested
    assert {column.partition(".")[0] for column in CSV_COLUMNS if "." in column} == nested


def test_the_header_row() -> None:
    header = csv_header(CSV_COLUMNS)
    assert header == ",".join(CSV_COLUMNS) + "\r\n"
    assert header.startswith("id,status,userId,chargerId,connectorId,idTag,transactionId,chargingIntentId,")


def test_columns_of_a_selection() -> None:
    assert columns_for(None) is CSV_COLUMNS
    assert columns_for(["price", "status"]) == ("id", "status", "price")  # the CSV order, not the request's
    assert columns_for(set()) == ("id",)
    assert columns_for({"id"}) == ("id",)
    assert columns_for(["chargingIntent"]) == ("id", "chargingIntent.type", "chargingIntent.startType")
    assert columns_for(("tariff", "note", "unknown")) == ("id", "note", "tariff.timeZone")
    assert columns_for(["chargingIntent.type"]) == ("id",)  # fields are top-level names
    assert columns_for(ChargingSession.model_fields) == CSV_COLUMNS


def test_values_by_type() -> None:
    session: dict[str, Any] = {
        "id": "s-1",
        "connectorId": 2,
        "transactionId": 0,
        "startedAtEnergy": 426368.0,
        "energy": 8.412,
        "duration": -3.5,
        "price": "4.20",
        "note": None,
        "status": True,
        "userId": False,
    }
    row = csv_row(session, ("id", "connectorId", "transactionId", "startedAtEnergy", "energy", "duration"))
    assert row == "s-1,2,0,426368.0,8.412,-3.5\r\n"  # numbers as JSON writes them, a negative one unprefixed
    assert csv_row(session, ("status", "userId")) == "true,false\r\n"
    assert csv_row(session, ("note", "locationId", "price")) == ",,4.20\r\n"  # None and absent: empty
    assert csv_row({"id": "s-1"}, ("chargingIntent.type", "id", "tariff.timeZone")) == ",s-1,\r\n"


class Level(IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    "number",
    [
        0,
        -7,
        9_007_199_254_740_991,
        2**70,
        Level.HIGH,
        0.0,
        -0.0,
        8.412,
        1e20,
        1e-7,
        1 / 3,
        math.inf,
        -math.inf,
        math.nan,
    ],
)
def test_a_number_is_its_json_text(number: float) -> None:
    assert csv_row({"energy": number}, ("energy",)) == json.dumps(number) + "\r\n"


def test_a_structure_is_not_a_cell() -> None:
    with pytest.raises(TypeError):
        csv_row({"tariff": {"timeZone": "UTC"}}, ("tariff",))
    with pytest.raises(TypeError):
        csv_row({"note": ["a"]}, ("note",))


def test_dotted_columns() -> None:
    session = json_form(make_session(tariff={"elements": [], "timeZone": "Europe/Oslo"}))
    found = cells(session)
    assert found["chargingIntent.type"] == "InApp"
    assert found["chargingIntent.startType"] == "Remote"
    assert found["tariff.timeZone"] == "Europe/Oslo"
    assert "tariff" not in found
    assert "chargingIntent" not in found


def test_an_absent_nested_object_leaves_empty_cells() -> None:
    session = json_form(make_session())
    assert "tariff" not in session
    assert cells(session)["tariff.timeZone"] == ""
    row = csv_row({"id": "s-1", "chargingIntent": {"type": "InApp"}}, ("id", *CSV_COLUMNS[-3:]))
    assert row == "s-1,InApp,,\r\n"  # an absent nested field too
    assert csv_row({"id": "s-1", "tariff": None}, ("tariff.timeZone",)) == '""\r\n'


@pytest.mark.parametrize(
    ("note", "written"),
    [
        ("plain", "plain"),
        ("a, b", '"a, b"'),
        ('say "hi"', '"say ""hi"""'),
        ('"', '""""'),
        ("line one\nline two", '"line one\nline two"'),
        ("line one\r\nline two", '"line one\r\nline two"'),
        ("ends in CR\r", '"ends in CR\r"'),
        (" leading space", '" leading space"'),
        ("trailing space ", '"trailing space "'),
        ("inner space", "inner space"),
        ("semi;colon\ttab", "semi;colon\ttab"),
        ("€ ünïcode", "€ ünïcode"),
        ("", ""),
    ],
)
def test_quoting(note: str, written: str) -> None:
    assert csv_row({"id": "s-1", "note": note}, ("id", "note")) == f"s-1,{written}\r\n"
    assert cells({"id": "s-1", "note": note}, ("id", "note"))["note"] == note


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_guard(start: str) -> None:
    text = start + 'HYPERLINK("http://x","y")'
    assert formula_safe(text) == "'" + text
    assert formula_safe(start) == "'" + start
    assert cells({"id": "s-1", "note": text}, ("id", "note"))["note"] == "'" + text  # round trip with the prefix
    assert formula_safe("a" + text) == "a" + text  # only the first character counts


@pytest.mark.parametrize("text", ["-5.00", "-5", "0", "12.50", "5", "-0.001"])
def test_a_plain_decimal_is_left_alone(text: str) -> None:
    assert formula_safe(text) == text
    assert csv_row({"price": text}, ("price",)) == text + "\r\n"


@pytest.mark.parametrize("text", ["+5", "-5.", "-.5", "-5e3", "-5.00 ", "-1+1", "-", "--5", "=1", "-\u0665"])
def test_a_number_like_formula_is_prefixed(text: str) -> None:
    assert formula_safe(text) == "'" + text


def test_text_that_is_no_formula_is_unchanged() -> None:
    for text in ["", "plain", " =1", "'=1", "a=b", "5-3", "user-alpha-01"]:
        assert formula_safe(text) == text


def test_the_guard_is_linear_on_long_text() -> None:
    text = "-" + "1" * 200_000 + "x"
    assert formula_safe(text) == "'" + text
    assert formula_safe(text[:-1]) == text[:-1]


def test_round_trip_of_demo_sessions() -> None:
    sessions = [json_form(session) for session in generate_session_list(namespaces=["tenant-alpha"], per_namespace=40)]
    hostile = json_form(make_session(note='=cmd|" /C calc"!A0,\r\n "quoted", trailing ', idTag="@SUM(A1)"))
    sessions.append(hostile)
    text = csv_header(CSV_COLUMNS) + "".join(csv_row(session, CSV_COLUMNS) for session in sessions)
    assert text.endswith("\r\n")
    rows = read_back(text)
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == len(sessions) + 1
    for session, row in zip(sessions, rows[1:], strict=True):
        assert len(row) == len(CSV_COLUMNS)
        for column, field in zip(CSV_COLUMNS, row, strict=True):
            name, _, nested = column.partition(".")
            value = session.get(name)
            if nested:
                value = value.get(nested) if value is not None else None
            if value is None:
                assert field == ""
            elif isinstance(value, bool):
                assert field == str(value).lower()
            elif isinstance(value, int | float):
                assert type(value)(field) == value
            else:
                assert field == formula_safe(value)
    last = dict(zip(CSV_COLUMNS, rows[-1], strict=True))
    assert last["note"] == "'" + hostile["note"]
    assert last["idTag"] == "'@SUM(A1)"


def test_a_selection_round_trips() -> None:
    session = json_form(make_session(note="hello, world"))
    columns = columns_for({"note", "chargingIntent", "price"})
    assert cells(session, columns) == {
        "id": session["id"],
        "price": "4.20",
        "note": "hello, world",
        "chargingIntent.type": "InApp",
        "chargingIntent.startType": "Remote",
    }
