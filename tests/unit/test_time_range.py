"""Time ranges: which RFC 3339 bounds are taken and their canonical form (rounded up to the millisecond), which are
refused and why, half-open ranges (empty, capped before a boundary), and POSIX times in canonical form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from charging_sessions.models import format_timestamp
from charging_sessions.time_range import RangeBound, TimeRange, canonical_bound, canonical_instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T10:00:00Z", "2026-03-01T10:00:00.000Z"),
        ("2026-03-01T12:00:00.250+02:00", "2026-03-01T10:00:00.250Z"),
        ("2026-03-01T05:30:00.5-04:30", "2026-03-01T10:00:00.500Z"),
        ("2026-03-01t10:00:00z", "2026-03-01T10:00:00.000Z"),
        ("2026-03-01T00:30:00+01:00", "2026-02-28T23:30:00.000Z"),
        ("2026-03-01T10:00:00.0001Z", "2026-03-01T10:00:00.001Z"),  # finer than a millisecond: rounded up
        ("2026-03-01T10:00:00.999999999Z", "2026-03-01T10:00:01.000Z"),
        ("2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"),
    ],
)
def test_bounds_are_canonical(text: str, expected: str) -> None:
    assert canonical_bound(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31T23:59:59.9999Z", "2027-01-01T00:00:00.000Z"),  # rounding up crosses into the next year
        ("2026-03-01T10:00:00.001000Z", "2026-03-01T10:00:00.001Z"),  # whole milliseconds are not moved
        ("2026-03-01T10:00:00.000000001Z", "2026-03-01T10:00:00.001Z"),
        ("2026-03-01T10:00:00-00:00", "2026-03-01T10:00:00.000Z"),
        ("2026-03-01T23:59:00-23:59", "2026-03-02T23:58:00.000Z"),
    ],
)
def test_finer_digits_round_up_and_offsets_move_the_instant(text: str, expected: str) -> None:
    assert canonical_bound(text) == expected


REFUSED_BOUNDS = [
    ("2026-03-01", "not a date alone"),
    ("2026-03-01T10:00:00", "must carry a UTC offset"),
    ("2026-03-01T10:00:00.250", "must carry a UTC offset"),
    ("2026-02-30T10:00:00Z", "does not exist"),
    ("2025-02-29T10:00:00Z", "does not exist"),
    ("2026-03-01T24:00:00Z", "does not exist"),
    ("2026-03-01T10:60:00Z", "does not exist"),
    ("2026-03-01T10:00:00+24:00", "does not exist"),
    ("2026-03-01T10:00:00+01:60", "does not exist"),
    ("0001-01-01T00:00:00+01:00", "does not exist"),
    ("9999-12-31T23:59:59.9999Z", "does not exist"),
    ("yesterday", "RFC 3339"),
    ("2026-03-01 10:00:00Z", "RFC 3339"),
    ("1772359200", "RFC 3339"),
    ("2026-03-01T10:00:00.1234567890Z", "RFC 3339"),
    ("2026-03-01T10:00Z", "RFC 3339"),
    ("", "RFC 3339"),
]
"""Time bounds the API refuses, and a word of what it says about each (the function's 400 says the same)."""


@pytest.mark.parametrize(("value", "problem"), REFUSED_BOUNDS)
def test_refused_bounds_say_why(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        canonical_bound(value)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 1, 1), timezones=st.just(UTC)))
def test_a_canonical_timestamp_is_its_own_bound(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert canonical_bound(text) == text


def test_the_parameter_type_holds_the_canonical_form() -> None:
    bound = TypeAdapter(RangeBound)
    assert bound.validate_python("2026-03-01T12:00:00+02:00") == "2026-03-01T10:00:00.000Z"
    with pytest.raises(ValidationError, match="not a date alone"):
        bound.validate_python("2026-03-01")
    value: Any = ["2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z"]  # a repeated parameter: left to pydantic
    with pytest.raises(ValidationError):
        bound.validate_python(value)


EARLY, LATE, LATER = "2026-03-01T10:00:00.000Z", "2026-03-01T11:00:00.000Z", "2026-03-01T12:00:00.000Z"


def test_a_range_is_empty_only_when_its_start_is_not_before_its_end() -> None:
    assert not TimeRange().empty and not TimeRange().given
    assert not TimeRange(EARLY, None).empty and TimeRange(EARLY, None).given
    assert not TimeRange(None, EARLY).empty and TimeRange(None, EARLY).given
    assert not TimeRange(EARLY, LATE).empty
    assert TimeRange(LATE, LATE).empty
    assert TimeRange(LATE, EARLY).empty


def test_before_caps_the_end_at_a_boundary() -> None:
    assert TimeRange().before(LATE) == TimeRange(None, LATE)
    assert TimeRange(EARLY, LATER).before(LATE) == TimeRange(EARLY, LATE)
    assert TimeRange(EARLY, LATE).before(LATER) == TimeRange(EARLY, LATE)  # an earlier end stays
    assert TimeRange(LATE, None).before(EARLY).empty  # a start past the boundary: nothing settled yet


def test_posix_times_are_truncated_to_the_millisecond() -> None:
    moment = datetime(2026, 3, 1, 10, 0, 0, 999_999, tzinfo=UTC)
    assert canonical_instant(moment.timestamp()) == "2026-03-01T10:00:00.999Z"
    assert canonical_instant(0) == "1970-01-01T00:00:00.000Z"
    assert canonical_instant((moment + timedelta(milliseconds=1)).timestamp()) == "2026-03-01T10:00:01.000Z"
