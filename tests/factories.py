"""Small, explicit sessions for tests that need to control every key attribute."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_counter = itertools.count(1)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def timestamp(minutes: int) -> str:
    moment = EPOCH + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


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
