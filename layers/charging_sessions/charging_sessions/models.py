"""The API's data contract (the page in ``shared/spec``), defined once as pydantic models: bounds as the page shows
them; optional fields left out when absent, never ``null``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

MAX_SAFE_INTEGER = 9_007_199_254_740_991
"""JavaScript's Number.MAX_SAFE_INTEGER: the bound the page puts on every number."""
MAX_ID_CHARS = 128
"""Longest namespace, userId or chargerId accepted (the claim, the filters, what a writer stores): keeps every
storage key built from them far below DynamoDB's limits."""

SafeInt = Annotated[int, Field(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
UpperSafeInt = Annotated[int, Field(le=MAX_SAFE_INTEGER)]
SafeNumber = Annotated[float, Field(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
UpperSafeNumber = Annotated[float, Field(le=MAX_SAFE_INTEGER)]

_CANONICAL_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def format_timestamp(moment: datetime) -> str:
    """The canonical form of an aware instant: ISO 8601 UTC, fixed width, milliseconds (truncated), ``Z``:
    ``2026-11-25T16:49:38.123Z``. Its text order is time order."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond // 1000:03d}Z"
    )


def canonical_timestamp(value: Any) -> Any:
    """Normalise a timestamp to ISO 8601 UTC with milliseconds: ``2026-11-25T16:49:38.123Z``.

    Accepts aware ``datetime`` objects and ISO 8601 strings with any UTC offset. Naive values are
    refused: a timestamp without a zone cannot be placed in time. Anything else is passed on for
    pydantic to reject with its own message.
    """
    if isinstance(value, str):
        if _CANONICAL_TIMESTAMP.fullmatch(value):
            return value
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("must be an ISO 8601 timestamp") from exc
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must carry a time zone (UTC offset)")
        return format_timestamp(value)
    return value


_Canonical = (
    Annotated[str, StringConstraints(pattern=f"^{_CANONICAL_TIMESTAMP.pattern}$")]
    | Annotated[str, BeforeValidator(canonical_timestamp)]
)
"""A timestamp already in the canonical form (what our writers store) passes pydantic-core's own check without a
call into Python; any other form goes on to :func:`canonical_timestamp`, in that order (``left_to_right``)."""

Timestamp = Annotated[_Canonical, Field(union_mode="left_to_right"), WithJsonSchema({"type": "string"})]
"""A point in time, always answered in ISO 8601 UTC with milliseconds (the page types it as a plain string)."""

DateTime = Annotated[
    _Canonical, Field(union_mode="left_to_right"), WithJsonSchema({"type": "string", "format": "date-time"})
]
"""Same as :data:`Timestamp`, for the fields the page marks ``format: date-time``."""

DecimalString = Annotated[
    str,
    StringConstraints(pattern=r"^-?\d+(\.\d+)?$", max_length=64),
    WithJsonSchema({"type": "string", "description": "Decimal number as a string, e.g. 12.50"}),
]
"""A price: a decimal number carried as a string so that no precision is lost."""


class ChargingSessionStatus(StrEnum):
    """Whether the OCPP transaction is still running."""

    STARTED = "Started"
    STOPPED = "Stopped"


class StopReason(StrEnum):
    """OCPP 1.6 StopTransaction.req reason."""

    DE_AUTHORIZED = "DeAuthorized"
    EMERGENCY_STOP = "EmergencyStop"
    EV_DISCONNECTED = "EVDisconnected"
    HARD_RESET = "HardReset"
    LOCAL = "Local"
    OTHER = "Other"
    POWER_LOSS = "PowerLoss"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOFT_RESET = "SoftReset"
    UNLOCK_COMMAND = "UnlockCommand"


class ChargingIntentType(StrEnum):
    """How the user (or the charger) asked for the charge."""

    IN_APP = "InApp"
    PERSONAL_KEYCARD = "PersonalKeycard"
    PLUG_N_CHARGE = "PlugNCharge"
    IN_CONSOLE = "InConsole"
    GENERIC_KEYCARD = "GenericKeycard"
    INFOSTAR_KEYCARD = "InfostarKeycard"
    INFOSTAR_ROOM = "InfostarRoom"
    AUTO_CHARGE = "AutoCharge"
    UNKNOWN = "Unknown"


class StartType(StrEnum):
    """Whether the session was started remotely (an app, a console) or at the charger."""

    REMOTE = "Remote"
    LOCAL = "Local"


class DayOfWeek(StrEnum):
    """A day a tariff restriction applies on."""

    MON = "Mon"
    TUE = "Tue"
    WED = "Wed"
    THU = "Thu"
    FRI = "Fri"
    SAT = "Sat"
    SUN = "Sun"


class _Model(BaseModel):
    """Base of every contract model: unknown stored attributes are ignored, never echoed."""

    model_config = ConfigDict(extra="ignore", use_enum_values=True)


class TimeOfDay(_Model):
    """A wall-clock time in the tariff's time zone."""

    hour: Annotated[int, Field(le=23)]
    minute: Annotated[int, Field(le=59)]


class PriceComponents(_Model):
    """What a tariff element charges: a flat fee, per minute, per kWh (decimal strings)."""

    Flat: DecimalString | None = None
    PerMinute: DecimalString | None = None
    PerKilowattHour: DecimalString | None = None


class TariffRestrictions(_Model):
    """When a tariff element applies (times, days, energy, current, power, duration)."""

    startTime: TimeOfDay | None = None
    endTime: TimeOfDay | None = None
    daysOfWeek: list[DayOfWeek] | None = None
    minEnergy: UpperSafeNumber | None = None
    maxEnergy: UpperSafeNumber | None = None
    minCurrent: UpperSafeNumber | None = None
    maxCurrent: UpperSafeNumber | None = None
    minPower: UpperSafeNumber | None = None
    maxPower: UpperSafeNumber | None = None
    minDuration: UpperSafeInt | None = None
    maxDuration: UpperSafeInt | None = None
    vehicleRequestingPower: bool | None = None


class TariffElement(_Model):
    """One priced part of a tariff, with its restrictions."""

    id: Annotated[str, Field(min_length=21, max_length=21)]
    name: Annotated[str, Field(max_length=64)]
    backgroundColor: Annotated[str, Field(max_length=12)]
    priceComponents: PriceComponents
    restrictions: TariffRestrictions | None = None
    minRestrictionsDuration: SafeInt | None = None


class AltText(_Model):
    """A tariff's description in one language."""

    language: Annotated[str, Field(min_length=2, max_length=2)]
    text: Annotated[str, Field(max_length=512)]


class Tariff(_Model):
    """OCPI-style tariff that priced the session."""

    elements: list[TariffElement]
    minPrice: DecimalString | None = None
    maxPrice: DecimalString | None = None
    altTexts: list[AltText] | None = None
    altUrl: Annotated[str, Field(max_length=2048), WithJsonSchema({"type": "string", "format": "uri"})] | None = None
    timeZone: str


class PushNotificationPreferences(_Model):
    """When the user wants to be notified during the session."""

    afterEnergy: SafeNumber | None = None
    afterDuration: SafeNumber | None = None
    afterPrice: DecimalString | None = None


class ChargingIntentDetails(_Model):
    """Options of a charging intent."""

    pushNotificationPreferences: PushNotificationPreferences | None = None


class ChargingIntent(_Model):
    """What the user (or the charger) asked for, that started the session."""

    id: UUID
    idTag: Annotated[str, Field(max_length=20)]
    chargerId: str
    connectorId: UpperSafeInt | None = None
    chargingSessionId: str | None = None
    userId: str | None = None
    type: ChargingIntentType
    startType: StartType
    details: ChargingIntentDetails | None = None
    createdAt: DateTime
    updatedAt: DateTime


class ChargingSession(_Model):
    """One charging session (an OCPP 1.6 transaction) as the API answers it."""

    id: str
    transactionId: SafeInt
    idTag: Annotated[str, Field(max_length=20)]
    chargerId: str
    connectorId: UpperSafeInt
    chargingIntentId: UUID
    userId: str | None = None
    status: ChargingSessionStatus
    startedAtTimestamp: Timestamp
    startedAtEnergy: UpperSafeNumber
    lastMeteredAtTimestamp: Timestamp | None = None
    lastMeteredAtEnergy: UpperSafeNumber | None = None
    stoppedAtTimestamp: Timestamp | None = None
    stoppedAtEnergy: UpperSafeNumber | None = None
    stoppedReason: StopReason | None = None
    tariff: Tariff | None = None
    energy: UpperSafeNumber
    duration: UpperSafeNumber
    price: DecimalString
    note: str | None = None
    applicationId: str
    namespaceId: str
    locationId: str | None = None
    createdAt: DateTime
    updatedAt: DateTime
    chargingIntent: ChargingIntent


_ENVELOPE = ConfigDict(json_schema_mode_override="serialization", json_schema_serialization_defaults_required=True)
"""``success`` has a default but is always sent: the schema marks it required, as the page does."""


def _paging_fields_are_optional(schema: dict[str, Any]) -> None:
    """``nextSkip`` and ``nextCursor`` are left out on the last page: not required, although the envelope marks
    defaults required."""
    required = schema.get("required", [])
    for name in ("nextSkip", "nextCursor"):
        if name in required:
            required.remove(name)


class ListChargingSessionsResponse(BaseModel):
    """200: one page of sessions and the total number that match the filters."""

    model_config = ConfigDict(
        json_schema_mode_override="serialization",
        json_schema_serialization_defaults_required=True,
        json_schema_extra=_paging_fields_are_optional,
    )

    success: bool = True
    chargingSessions: list[ChargingSession]
    count: Annotated[int, Field(le=MAX_SAFE_INTEGER)]
    nextSkip: Annotated[
        int | None,
        Field(ge=0, le=MAX_SAFE_INTEGER),
        WithJsonSchema(
            {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_SAFE_INTEGER,
                "description": (
                    "Present while more sessions may follow: the `skip` of the next page. A page can hold fewer "
                    "sessions than `take` (its answer must fit Lambda's 6 MB response), so continue from here, "
                    "not from skip + take."
                ),
            }
        ),
    ] = None
    nextCursor: Annotated[
        str | None,
        WithJsonSchema(
            {
                "type": "string",
                "description": (
                    "Opaque resume point: pass it as `cursor`, with the same filters and sort, for the page that "
                    "follows this one. In the default order it is present while more sessions follow. With "
                    "`sort=updatedAt` it is always present: store it and poll with it; a page shorter than `take` "
                    "means caught up for now."
                ),
            }
        ),
    ] = None


def dump_json(model: BaseModel) -> str:
    """The wire form of a contract model: optional fields that are absent are left out, never null."""
    return model.model_dump_json(exclude_none=True)


__all__ = [
    "MAX_SAFE_INTEGER",
    "ChargingIntent",
    "ChargingIntentType",
    "ChargingSession",
    "ChargingSessionStatus",
    "ListChargingSessionsResponse",
    "StartType",
    "StopReason",
    "Tariff",
    "canonical_timestamp",
    "dump_json",
    "format_timestamp",
]
