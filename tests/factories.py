"""Small, explicit sessions for tests that need to control every key attribute."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from charging_sessions.models import format_timestamp
from charging_sessions.storage.write_limits import MAX_ALT_TEXTS, MAX_NOTE_BYTES, MAX_TARIFF_ELEMENTS, stored_document

_counter = itertools.count(1)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def timestamp(minutes: int) -> str:
    return format_timestamp(EPOCH + timedelta(minutes=minutes))


def make_session(
    *,
    namespace: str = "tenant-alpha",
    minute: int | None = None,
    user: str | None = "user-1",
    charger: str = "charger-1",
    status: str = "Stopped",
    session_id: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    n = next(_counter)
    created = timestamp(n if minute is None else minute)
    intent_id = str(uuid.UUID(int=n, version=4))
    session: dict[str, Any] = {
        "id": session_id or f"s-{n:06d}",
        "transactionId": n,
        "idTag": "04A3B2C1",
        "chargerId": charger,
        "connectorId": 1,
        "chargingIntentId": intent_id,
        "status": status,
        "startedAtTimestamp": created,
        "startedAtEnergy": 1000.5,
        "energy": 12.5,
        "duration": 3600,
        "price": "4.20",
        "applicationId": "app",
        "namespaceId": namespace,
        "createdAt": created,
        "updatedAt": created,
        "chargingIntent": {
            "id": intent_id,
            "idTag": "04A3B2C1",
            "chargerId": charger,
            "type": "InApp",
            "startType": "Remote",
            "createdAt": created,
            "updatedAt": created,
        },
    }
    if user is not None:
        session["userId"] = user
        session["chargingIntent"]["userId"] = user
    if status == "Stopped":
        session.update(stoppedAtTimestamp=created, stoppedAtEnergy=1013.0, stoppedReason="EVDisconnected")
    session.update(overrides)
    return session


def rich_session(
    minute: int, *, elements: int = MAX_TARIFF_ELEMENTS, alt_texts: int = MAX_ALT_TEXTS, **overrides: Any
) -> dict[str, Any]:
    """A session with a rich tariff (``elements`` tariff elements, ``alt_texts`` translated texts), a full note and
    the longest ids, of characters that grow most when escaped (€: 3 bytes, sent as \\u20ac). With the defaults it
    is the largest session the write limits allow (about 80 KB as JSON)."""
    element = {
        "id": "e" * 21,
        "name": "€" * 64,
        "backgroundColor": "#" * 12,
        "priceComponents": {"Flat": "1." + "9" * 60, "PerMinute": "0.5", "PerKilowattHour": "0.42"},
        "restrictions": {"daysOfWeek": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]},
    }
    tariff = {
        "elements": [element] * elements,
        "altTexts": [{"language": "de", "text": "€" * 512}] * alt_texts,
        "timeZone": "Europe/Berlin",
    }
    note = '"' * (MAX_NOTE_BYTES // 2) + "€" * (MAX_NOTE_BYTES // 6)
    fields = {"note": note, "tariff": tariff, "applicationId": "a" * 256, "locationId": "€" * 85, **overrides}
    session = make_session(minute=minute, **fields)
    stored_document(session)  # within every write limit
    return session
