"""The query vocabulary: API parameters to a query and back, what a query selects (empty, ranged), the order of the
selecting parameters, and the rules the route's parameter declarations add to pydantic's."""

from __future__ import annotations

import re
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from charging_sessions.models import MAX_ID_CHARS, MAX_SAFE_INTEGER
from charging_sessions.query import (
    EXCLUSIVE_PARAMETERS,
    MAX_CURSOR_CHARS,
    NO_CONTROL_CHARACTERS,
    SELECTING_PARAMETERS,
    DigitsOnly,
    SessionFilter,
    SessionQuery,
    Skip,
    Sort,
    take_parameter,
)
from charging_sessions.time_range import TimeRange


def test_the_selecting_parameters_in_their_order() -> None:
    assert SELECTING_PARAMETERS == (
        "userId",
        "chargerId",
        "status",
        "createdFrom",
        "createdTo",
        "updatedFrom",
        "updatedTo",
        "sort",
    )


def test_parameters_become_a_query_in_canonical_form() -> None:
    query = SessionQuery.from_parameters(
        {
            "userId": "u#1",
            "chargerId": "c1",
            "status": "Started",
            "createdFrom": "2026-03-01T12:00:00.250+02:00",
            "createdTo": "2026-03-02T10:00:00Z",
            "updatedFrom": "2026-03-01T10:00:00.0001Z",
            "updatedTo": None,
            "sort": "updatedAt",
            "skip": 3,  # not a selecting parameter: ignored
            "cursor": "abc.def",
        }
    )
    assert query == SessionQuery(
        SessionFilter("u#1", "c1", "Started"),
        TimeRange("2026-03-01T10:00:00.250Z", "2026-03-02T10:00:00.000Z"),
        TimeRange("2026-03-01T10:00:00.001Z", None),
        Sort.UPDATED,
    )
    assert query.as_dict() == {
        "userId": "u#1",
        "chargerId": "c1",
        "status": "Started",
        "createdFrom": "2026-03-01T10:00:00.250Z",
        "createdTo": "2026-03-02T10:00:00.000Z",
        "updatedFrom": "2026-03-01T10:00:00.001Z",
        "sort": "updatedAt",
    }
    assert list(query.as_dict()) == [name for name in SELECTING_PARAMETERS if name in query.as_dict()]


def test_no_parameters_is_the_default_query() -> None:
    query = SessionQuery.from_parameters({})
    assert query == SessionQuery()
    assert query.sort is Sort.NEWEST_FIRST
    assert query.as_dict() == {}  # the default sort is left out
    assert SessionQuery.from_parameters({"sort": "-createdAt"}).as_dict() == {}
    assert SessionQuery.from_parameters({"sort": Sort.NEWEST_FIRST, "status": None}) == query


bounds = st.none() | st.sampled_from(
    ["2026-03-01T10:00:00Z", "2026-03-01T12:00:00.250+02:00", "2026-02-28T23:59:59.999Z", "2026-03-01T10:00:00.5Z"]
)


@given(
    user=st.none() | st.text(min_size=1, max_size=5),
    charger=st.none() | st.text(min_size=1, max_size=5),
    status=st.none() | st.sampled_from(["Started", "Stopped"]),
    created=st.tuples(bounds, bounds),
    updated=st.tuples(bounds, bounds),
    sort=st.sampled_from(list(Sort)),
)
def test_as_dict_and_from_parameters_round_trip(
    user: str | None,
    charger: str | None,
    status: str | None,
    created: tuple[str | None, str | None],
    updated: tuple[str | None, str | None],
    sort: Sort,
) -> None:
    given = {
        "userId": user,
        "chargerId": charger,
        "status": status,
        "createdFrom": created[0],
        "createdTo": created[1],
        "updatedFrom": updated[0],
        "updatedTo": updated[1],
        "sort": sort.value,
    }
    query = SessionQuery.from_parameters(given)
    assert SessionQuery.from_parameters(query.as_dict()) == query
    assert set(query.as_dict()) <= set(SELECTING_PARAMETERS)
    assert all(value is not None for value in query.as_dict().values())


@pytest.mark.parametrize(
    "parameters",
    [{"createdFrom": "2026-03-01"}, {"updatedTo": "2026-03-01T10:00:00"}, {"createdTo": "yesterday"}, {"sort": "x"}],
)
def test_a_value_the_api_refuses_raises_value_error(parameters: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SessionQuery.from_parameters(parameters)


def test_a_query_is_ranged_by_either_time_range() -> None:
    assert not SessionQuery().ranged
    assert not SessionQuery(SessionFilter(user_id="u1"), sort=Sort.UPDATED).ranged
    assert SessionQuery(created=TimeRange("2026-03-01T10:00:00.000Z", None)).ranged
    assert SessionQuery(updated=TimeRange(None, "2026-03-01T10:00:00.000Z")).ranged


def test_a_query_is_empty_when_a_range_holds_nothing() -> None:
    earlier, later = "2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.001Z"
    assert not SessionQuery().empty
    assert not SessionQuery(created=TimeRange(earlier, later)).empty
    assert SessionQuery(created=TimeRange(later, earlier)).empty
    assert SessionQuery(created=TimeRange(earlier, earlier)).empty
    assert SessionQuery(updated=TimeRange(later, earlier)).empty
    assert not SessionQuery(created=TimeRange(later, None), updated=TimeRange(None, earlier)).empty


def test_the_filter_combination_names_the_filters_set() -> None:
    assert SessionFilter().combination == "none"
    assert SessionFilter(user_id="u1", status="Started").combination == "userId+status"
    assert SessionFilter("u", "c", "Stopped").as_dict() == {"userId": "u", "chargerId": "c", "status": "Stopped"}
    assert SessionFilter(charger_id="c").as_dict() == {"chargerId": "c"}


# ---------------------------------------------------------------- the route's declarations

DIGITS = TypeAdapter(Annotated[int, DigitsOnly])


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("12", 12), ("-1", -1), ("007", 7)])
def test_digits_only_takes_whole_numbers_in_digits(text: str, value: int) -> None:
    assert DIGITS.validate_python(text) == value


@pytest.mark.parametrize("text", ["1.0", "1_000", " 1", "1 ", "", "abc", "1e3", "٣", "+1", "0x10"])
def test_digits_only_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValidationError, match="must be a whole number written in digits"):
        DIGITS.validate_python(text)


def test_digits_only_leaves_other_types_to_pydantic() -> None:
    assert DIGITS.validate_python(5) == 5
    with pytest.raises(ValidationError) as raised:
        DIGITS.validate_python(["1", "2"])
    assert [error["type"] for error in raised.value.errors()] == ["int_type"]  # pydantic's own refusal


def test_skip_and_take_keep_their_bounds() -> None:
    skip = TypeAdapter(Skip)
    assert skip.validate_python("9007199254740991") == MAX_SAFE_INTEGER
    for refused in ("-1", "9007199254740992", "1.5"):
        with pytest.raises(ValidationError):
            skip.validate_python(refused)
    take = TypeAdapter(take_parameter(25))
    assert take.validate_python("25") == 25
    with pytest.raises(ValidationError, match="less than or equal to 25"):
        take.validate_python("26")


@pytest.mark.parametrize(
    ("value", "printable"), [("u-1", True), ("电动车 🚗", True), ("a\x00b", False), ("\x7f", False)]
)
def test_identifiers_are_printable_text(value: str, printable: bool) -> None:
    assert (re.search(NO_CONTROL_CHARACTERS, value) is not None) is printable


def test_the_limits_and_the_exclusive_pair() -> None:
    assert MAX_ID_CHARS == 128
    assert MAX_CURSOR_CHARS == 4096
    assert EXCLUSIVE_PARAMETERS == {
        ("cursor", "skip"): "cursor and skip cannot be combined: a cursor already says where the page starts"
    }
