"""The API's query vocabulary, typed once: the parameters the list route takes (names, types, bounds, OpenAPI
descriptions), the rules their values follow, and the query object they become (filters, time ranges, sort)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .conditional import IF_NONE_MATCH_HEADER
from .errors import ProblemCode
from .models import MAX_ID_CHARS, MAX_SAFE_INTEGER, ChargingSession, ChargingSessionStatus
from .time_range import RangeBound, TimeRange, canonical_bound

MAX_CURSOR_CHARS = 4096
"""Longest ``cursor`` accepted: positions are two sort keys (at most 1,024 bytes each) and a few fields."""
MAX_IF_NONE_MATCH_CHARS = 8192
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]+$"
"""Pattern for identifier parameters: printable text only."""

SELECTING_PARAMETERS = ("userId", "chargerId", "status", "createdFrom", "createdTo", "updatedFrom", "updatedTo", "sort")
"""The parameters that select or order the sessions, by their API names: what a cursor is bound to, what an entity
tag covers besides paging, and what the reference model and the benchmark's baseline answer."""
EXCLUSIVE_PARAMETERS: dict[tuple[str, ...], str] = {
    ("cursor", "skip"): "cursor and skip cannot be combined: a cursor already says where the page starts",
}
"""Parameters that cannot be given together (whatever their values), and what a request that does is told."""


class Sort(StrEnum):
    """The orders a page can be in."""

    NEWEST_FIRST = "-createdAt"
    """``createdAt`` descending, ties by id descending: the documented order."""
    UPDATED = "updatedAt"
    """``updatedAt`` ascending, ties by id ascending: the update feed, settled sessions only."""


@dataclass(frozen=True)
class SessionFilter:
    """The equality filters of a query: a user, a charger, a status (``None``: any)."""

    user_id: str | None = None
    charger_id: str | None = None
    status: str | None = None

    def as_dict(self) -> dict[str, str]:
        given = {"userId": self.user_id, "chargerId": self.charger_id, "status": self.status}
        return {name: value for name, value in given.items() if value is not None}

    @property
    def combination(self) -> str:
        """Which filters are set, e.g. ``userId+status`` (``none`` without filters): low cardinality."""
        return "+".join(self.as_dict()) or "none"


@dataclass(frozen=True)
class SessionQuery:
    """Which sessions a listing selects and in which order (paging aside)."""

    filters: SessionFilter = field(default_factory=SessionFilter)
    created: TimeRange = field(default_factory=TimeRange)
    updated: TimeRange = field(default_factory=TimeRange)
    sort: Sort = Sort.NEWEST_FIRST

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> SessionQuery:
        """The query that API parameters (by their names in :data:`SELECTING_PARAMETERS`; absent or ``None``: not
        given) select. Time bounds are taken in any RFC 3339 form and held canonical; raises ``ValueError`` for a
        value the API refuses."""

        def given(name: str) -> Any:
            return parameters.get(name)

        def bound(name: str) -> str | None:
            value = given(name)
            return None if value is None else canonical_bound(str(value))

        status = given("status")
        return cls(
            SessionFilter(given("userId"), given("chargerId"), None if status is None else str(status)),
            TimeRange(bound("createdFrom"), bound("createdTo")),
            TimeRange(bound("updatedFrom"), bound("updatedTo")),
            Sort(given("sort") or Sort.NEWEST_FIRST),
        )

    def as_dict(self) -> dict[str, str]:
        """Every parameter that selects or orders the sessions, by its API name, in canonical form (absent ones and
        the default sort left out): the inverse of :meth:`from_parameters`."""
        values: dict[str, str | None] = {
            **self.filters.as_dict(),
            "createdFrom": self.created.start,
            "createdTo": self.created.end,
            "updatedFrom": self.updated.start,
            "updatedTo": self.updated.end,
            "sort": None if self.sort is Sort.NEWEST_FIRST else self.sort.value,
        }
        return {name: value for name in SELECTING_PARAMETERS if (value := values.get(name)) is not None}

    @property
    def ranged(self) -> bool:
        """Whether a time range confines it: its count is then counted over the range (no counter holds it)."""
        return self.created.given or self.updated.given

    @property
    def empty(self) -> bool:
        """Whether no session can match (a time range whose start is not before its end)."""
        return self.created.empty or self.updated.empty


# ---------------------------------------------------------------- the route's parameter declarations

_DIGITS = re.compile(r"-?[0-9]+")


def _digits_only(value: Any) -> Any:
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("must be a whole number written in digits")
    return value


DigitsOnly = BeforeValidator(_digits_only)
"""For integer parameters: digits only (pydantic alone would also take ``1.0``, ``1_000`` or `` 1``); placed after
the bounds, so that they still reach the OpenAPI document as ``minimum``/``maximum``."""


def _identifier(description: str) -> Any:
    """The declaration every id filter shares: 1 to :data:`MAX_ID_CHARS` printable characters."""
    return Query(min_length=1, max_length=MAX_ID_CHARS, pattern=NO_CONTROL_CHARACTERS, description=description)


Skip = Annotated[
    int,
    Field(ge=0, le=MAX_SAFE_INTEGER),
    DigitsOnly,
    Query(
        description=(
            "Sessions to skip (newest first). At most 5,000 with userId, chargerId or status (or an updated range "
            "in the default order): deeper, follow `nextCursor`."
        )
    ),
]


def take_parameter(maximum: int) -> Any:
    """The ``take`` declaration for a function configured to answer at most ``maximum`` sessions a page."""
    return Annotated[
        int, Field(ge=0, le=maximum), DigitsOnly, Query(description="Page size; 0 answers only the count.")
    ]


UserId = Annotated[str | None, _identifier("Only this user's sessions.")]
ChargerId = Annotated[str | None, _identifier("Only this charger's sessions.")]
Status = Annotated[ChargingSessionStatus | None, Query(description="Only sessions in this status.")]
CreatedFrom = Annotated[
    RangeBound | None,
    Query(
        description=(
            "Only sessions created at or after this instant: an RFC 3339 date-time with `Z` or an offset "
            "(`2026-03-01T10:00:00Z`, `2026-03-01T12:00:00.250+02:00`), exact to the millisecond."
        )
    ),
]
CreatedTo = Annotated[
    RangeBound | None,
    Query(
        description=(
            "Only sessions created before this instant (half-open: `[createdFrom, createdTo)`), RFC 3339 as "
            "`createdFrom`. `createdFrom` at or after `createdTo` is not an error: it matches nothing."
        )
    ),
]
UpdatedFrom = Annotated[
    RangeBound | None,
    Query(description="Only sessions last updated at or after this instant, RFC 3339 as `createdFrom`."),
]
UpdatedTo = Annotated[
    RangeBound | None,
    Query(description="Only sessions last updated before this instant (half-open), RFC 3339 as `createdFrom`."),
]
SortOrder = Annotated[
    Sort,
    Query(
        description=(
            "`-createdAt`: newest first (ties by id descending), the default. `updatedAt`: the update feed, "
            "oldest update first (ties by id ascending), for mirrors; it serves only sessions updated at least "
            "a few seconds ago (the settle window), and always answers `nextCursor`."
        )
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_CURSOR_CHARS,
        description=(
            "A previous page's `nextCursor`: the page after it, with the same filters and sort. Not with `skip`."
        ),
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias=IF_NONE_MATCH_HEADER,
        max_length=MAX_IF_NONE_MATCH_CHARS,
        description="Entity tags of answers the client holds (or `*`): 304 without a body when one matches.",
    ),
]


# ---------------------------------------------------------------- sparse fieldsets

SESSION_FIELDS: tuple[str, ...] = tuple(ChargingSession.model_fields)
"""The top-level session fields ``fields`` can name, in the order sessions are written."""
MAX_FIELDS_CHARS = 1024
_FIELD_NAME = "(" + "|".join(SESSION_FIELDS) + ")"
FIELDS_PATTERN = rf"^ *{_FIELD_NAME} *( *, *{_FIELD_NAME} *)*$"
"""What ``fields`` accepts, as the OpenAPI document says it: session field names separated by commas."""


def _known_fields(value: str | None) -> str | None:
    """``fields`` in canonical form (the named fields in session order, once each, ``id`` first); refuses an empty
    name and a name that is not a session field."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",")]
    if "" in names:
        raise ValueError("must be field names separated by commas, without empty ones")
    unknown = list(dict.fromkeys(name for name in names if name not in SESSION_FIELDS))
    if unknown:
        listed = ", ".join(f"'{name}'" for name in unknown[:5])
        raise PydanticCustomError(
            ProblemCode.UNKNOWN_FIELD.value,
            "{unknown} {what}; the fields are {fields}",
            {
                "unknown": listed,
                "what": "is not a session field" if len(unknown) == 1 else "are not session fields",
                "fields": ", ".join(SESSION_FIELDS),
            },
        )
    chosen = {"id", *names}
    return ",".join(name for name in SESSION_FIELDS if name in chosen)


def selected_fields(value: str | None) -> frozenset[str] | None:
    """The fields a canonical ``fields`` value names (``None``: every field)."""
    return None if value is None else frozenset(value.split(","))


Fields = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_FIELDS_CHARS,
        description=(
            "Only these top-level session fields, comma separated (`fields=id,status,createdAt,energy`); `id` is "
            "always included, optional fields a session lacks stay absent. The same sessions, `count`, paging and "
            "`nextCursor` as without it: a cursor is not bound to `fields` (it selects no sessions), and the `Link` "
            "header keeps it. The page is sized on what is sent, so a lighter page may hold more sessions of a "
            "large `take`; its `ETag` differs from the full page's. The session schema's `required` list holds for "
            "full sessions only. In CSV, the columns of those fields."
        ),
        # The names as a pattern, for the document only (clients, generated tests): the validator below checks them
        # with a message that names what is unknown.
        json_schema_extra={"pattern": FIELDS_PATTERN},
    ),
    AfterValidator(_known_fields),
]


# ---------------------------------------------------------------- negotiated and traced headers

MAX_NEGOTIATION_HEADER_CHARS = 4096
"""Longest ``Accept`` or ``Accept-Encoding`` taken (browsers send a few hundred characters)."""
Accept = Annotated[
    str | None,
    Header(
        alias="accept",
        max_length=MAX_NEGOTIATION_HEADER_CHARS,
        description=(
            "`application/json` (the default) or `text/csv` (the same page as RFC 4180 CSV with a header row; "
            "paging in `Link`, the total in `X-Total-Count`). q-values are honoured; a list that allows neither "
            "is answered 406. Errors and 304 are JSON (or empty) whatever is asked."
        ),
    ),
]
AcceptEncoding = Annotated[
    str | None,
    Header(
        alias="accept-encoding",
        max_length=MAX_NEGOTIATION_HEADER_CHARS,
        description=(
            "`gzip` (q-values honoured; `gzip;q=0` refuses it) compresses answers of 1 KiB or more "
            "(`Content-Encoding: gzip`, an entity tag of its own). Without it, the answer is not compressed."
        ),
    ),
]
RequestId = Annotated[
    str | None,
    Header(
        alias="x-request-id",
        description=(
            "The caller's request id, echoed in `X-Request-ID` on every answer (errors included) and logged: 1 to "
            "128 of `A-Z a-z 0-9 . _ : + = / @ -`. Any other value (or none) is replaced by API Gateway's request "
            "id."
        ),
    ),
]
