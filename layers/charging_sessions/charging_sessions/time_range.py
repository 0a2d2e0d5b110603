"""Time ranges (``createdFrom``/``createdTo``, ``updatedFrom``/``updatedTo``), each half-open ``[from, to)``: RFC 3339
bounds held in the canonical form timestamps are stored in, rounded up to the millisecond (``docs/design.md``,
"Time bounds")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from .models import format_timestamp

_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
    r"(?:\.(?P<fraction>\d{1,9}))?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
EXAMPLE = "2026-03-01T10:00:00Z"


def canonical_bound(text: str) -> str:
    """The canonical UTC millisecond form of an RFC 3339 date-time (rounded up to the millisecond).

    Raises :class:`ValueError` with a sentence that says what is wrong."""
    if _DATE_ONLY.fullmatch(text):
        raise ValueError(f"must be a date-time, not a date alone (e.g. {EXAMPLE})")
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"must be an RFC 3339 date-time with Z or a UTC offset (e.g. {EXAMPLE})")
    offset_text = match["offset"]
    if offset_text is None:
        raise ValueError(f"must carry a UTC offset, Z or +hh:mm (e.g. {EXAMPLE})")
    try:
        offset = timedelta(0)
        if offset_text not in ("Z", "z"):
            hours, minutes = int(offset_text[1:3]), int(offset_text[4:6])
            if hours > 23 or minutes > 59:
                raise ValueError("the UTC offset is out of range")
            offset = timedelta(hours=hours, minutes=minutes) * (-1 if offset_text[0] == "-" else 1)
        year, month, day = (int(part) for part in match["date"].split("-"))
        moment = datetime(
            year,
            month,
            day,
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            tzinfo=timezone(offset),
        )
        nanoseconds = int((match["fraction"] or "0").ljust(9, "0"))
        moment += timedelta(milliseconds=-(-nanoseconds // 1_000_000))
        return format_timestamp(moment)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"does not exist as a date-time ({error})") from error


def _bound(value: Any) -> Any:
    # Anything but a string (a repeated parameter's list) is left for pydantic to refuse with its own message.
    return canonical_bound(value) if isinstance(value, str) else value


RangeBound = Annotated[str, BeforeValidator(_bound), WithJsonSchema({"type": "string", "format": "date-time"})]
"""A time-range query parameter (``createdFrom`` ... ``updatedTo``): validated and held in the canonical form."""


@dataclass(frozen=True)
class TimeRange:
    """``[start, end)`` on one timestamp field, both canonical (``None``: unbounded on that side)."""

    start: str | None = None
    end: str | None = None

    @property
    def given(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def empty(self) -> bool:
        """Whether no session can be in it (``start >= end``): not an error, an empty answer."""
        return self.start is not None and self.end is not None and self.start >= self.end

    def before(self, boundary: str) -> TimeRange:
        """This range, ending at ``boundary`` at the latest."""
        return TimeRange(self.start, boundary if self.end is None or boundary < self.end else self.end)


def canonical_instant(seconds: float) -> str:
    """The canonical form of a POSIX time, truncated to the millisecond."""
    return format_timestamp(datetime.fromtimestamp(int(seconds * 1000) / 1000, UTC))
