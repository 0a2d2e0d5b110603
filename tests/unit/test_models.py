from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from charging_sessions.errors import ErrorResponse
from charging_sessions.models import (
    MAX_SAFE_INTEGER,
    ChargingSession,
    ListChargingSessionsResponse,
    canonical_timestamp,
    dump_json,
)


def minimal_session(**overrides: Any) -> dict[str, Any]:
    session: dict[str, Any] = {
        "id": "s-1",
        "transactionId": 17,
        "idTag": "04A3B2C1",
        "chargerId": "charger-1",
        "connectorId": 1,
        "chargingIntentId": "7b0c8a53-0d1e-4a8a-9c43-2f0f3f7d6f10",
        "status": "Stopped",
        "startedAtTimestamp": "2026-01-01T10:00:00.000Z",
        "startedAtEnergy": 1000.5,
        "energy": 12.5,
        "duration": 3600,
        "price": "4.20",
        "applicationId": "app",
        "namespaceId": "tenant-alpha",
        "createdAt": "2026-01-01T10:00:00.000Z",
        "updatedAt": "2026-01-01T11:00:00.000Z",
        "chargingIntent": {
            "id": "7b0c8a53-0d1e-4a8a-9c43-2f0f3f7d6f10",
            "idTag": "04A3B2C1",
            "chargerId": "charger-1",
            "type": "InApp",
            "startType": "Remote",
            "createdAt": "2026-01-01T09:59:00.000Z",
            "updatedAt": "2026-01-01T09:59:00.000Z",
        },
    }
    session.update(overrides)
    return session


def test_absent_optional_fields_are_left_out_not_null() -> None:
    body = json.loads(
        dump_json(
            ListChargingSessionsResponse(chargingSessions=[ChargingSession.model_validate(minimal_session())], count=1)
        )
    )
    session = body["chargingSessions"][0]
    assert body["success"] is True
    assert "userId" not in session and "tariff" not in session and "stoppedReason" not in session
    assert None not in session.values()
    assert session["chargingIntentId"] == "7b0c8a53-0d1e-4a8a-9c43-2f0f3f7d6f10"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-01-01T10:00:00.000Z", "2026-01-01T10:00:00.000Z"),
        ("2026-01-01T12:00:00+02:00", "2026-01-01T10:00:00.000Z"),
        ("2026-01-01T10:00:00.123456Z", "2026-01-01T10:00:00.123Z"),
        (datetime(2026, 1, 1, 5, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-01-01T10:00:00.000Z"),
        (datetime(2026, 1, 1, 10, 0, 0, 999999, tzinfo=UTC), "2026-01-01T10:00:00.999Z"),
    ],
)
def test_timestamps_are_answered_in_utc_with_milliseconds(given: Any, expected: str) -> None:
    assert canonical_timestamp(given) == expected
    assert ChargingSession.model_validate(minimal_session(createdAt=given)).createdAt == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T10:00:00",
        "yesterday",
        "2026-13-01T00:00:00Z",
        12,
        # the canonical form inside other text: the fast check is anchored, and the parser refuses the rest
        "x2026-01-01T10:00:00.000Z",
        "2026-01-01T10:00:00.000Zx",
        "2026-01-01T10:00:00.000Z\n",
        "2026-01-01T10:00:00.000Z 2026-01-02T10:00:00.000Z",
    ],
)
def test_timestamps_without_zone_or_unparseable_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        ChargingSession.model_validate(minimal_session(createdAt=value))
    with pytest.raises(ValidationError):
        ChargingSession.model_validate(
            minimal_session(chargingIntent=minimal_session()["chargingIntent"] | {"updatedAt": value})
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "Paused"),
        ("idTag", "x" * 21),
        ("transactionId", MAX_SAFE_INTEGER + 1),
        ("chargingIntentId", "not-a-uuid"),
        ("price", "4,20"),
        ("price", 4.2),
        ("stoppedReason", "Unplugged"),
        ("connectorId", MAX_SAFE_INTEGER + 1),
        ("energy", None),
    ],
)
def test_contract_violations_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        ChargingSession.model_validate(minimal_session(**{field: value}))


def test_tariff_bounds_follow_the_page() -> None:
    element = {
        "id": "e" * 21,
        "name": "Day",
        "backgroundColor": "#1E88E5",
        "priceComponents": {"PerKilowattHour": "0.35"},
    }
    tariff = {"elements": [element], "timeZone": "Europe/Oslo"}
    assert ChargingSession.model_validate(minimal_session(tariff=tariff)).tariff is not None
    for bad in ({**element, "id": "e" * 20}, {**element, "name": "n" * 65}, {**element, "backgroundColor": "#" * 13}):
        with pytest.raises(ValidationError):
            ChargingSession.model_validate(minimal_session(tariff={**tariff, "elements": [bad]}))
    with pytest.raises(ValidationError):
        ChargingSession.model_validate(minimal_session(tariff={"elements": [element]}))  # timeZone is required


def test_unknown_stored_attributes_are_not_echoed() -> None:
    session = ChargingSession.model_validate(minimal_session(pk="tenant-alpha", gUser="x", secret="s"))
    assert "pk" not in dump_json(session) and "secret" not in dump_json(session)


def test_error_envelope() -> None:
    assert json.loads(dump_json(ErrorResponse(message="nope"))) == {"success": False, "message": "nope"}
