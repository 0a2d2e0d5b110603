"""The write limits without a table: what a session must be to be stored, and how a refusal says what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from charging_sessions.models import MAX_ID_CHARS, ChargingSession
from charging_sessions.storage.write_limits import (
    MAX_ALT_TEXTS,
    MAX_NOTE_BYTES,
    MAX_REFERENCE_BYTES,
    MAX_STORED_SESSION_BYTES,
    MAX_TARIFF_ELEMENTS,
    SessionRefusedError,
    stored_document,
)
from tests.factories import make_session, rich_session


def test_a_session_is_stored_as_it_is_answered() -> None:
    session = make_session(minute=1, createdAt="2026-01-01T02:00:00+02:00")
    document = stored_document(session)
    assert document["createdAt"] == "2026-01-01T00:00:00.000Z"
    assert document == stored_document(ChargingSession.model_validate(session))
    assert None not in document.values()


def test_the_largest_session_the_limits_allow_is_stored() -> None:
    stored_document(rich_session(1))
    stored_document(make_session(session_id="é" * 128, user="u" * MAX_ID_CHARS, note="n" * MAX_NOTE_BYTES))


def test_attributes_the_contract_does_not_hold_are_named() -> None:
    session = make_session()
    with pytest.raises(SessionRefusedError, match="expiresAt"):
        stored_document({**session, "expiresAt": 1})
    nested = {**session, "chargingIntent": {**session["chargingIntent"], "colour": "red"}}
    with pytest.raises(SessionRefusedError, match=r"chargingIntent\.colour"):
        stored_document(nested)
    stored_document({**session, "locationId": None})  # an absent value is not an attribute


def test_a_session_that_breaks_the_contract_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        stored_document({**make_session(), "status": "Paused"})


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"session_id": "é" * 129}, "id must be 1 to 256 bytes"),
        ({"namespace": "n" * (MAX_ID_CHARS + 1)}, f"namespaceId must be 1 to {MAX_ID_CHARS} characters"),
        ({"user": "u" * (MAX_ID_CHARS + 1)}, "userId must be 1"),
        ({"charger": "c" * (MAX_ID_CHARS + 1)}, "chargerId must be 1"),
        ({"note": "€" * (MAX_NOTE_BYTES // 3 + 1)}, f"note must be at most {MAX_NOTE_BYTES} bytes"),
        ({"applicationId": "a" * (MAX_REFERENCE_BYTES + 1)}, "applicationId must be at most"),
        ({"locationId": "l" * (MAX_REFERENCE_BYTES + 1)}, "locationId must be at most"),
    ],
)
def test_each_limit_refuses_clearly(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(SessionRefusedError, match=problem):
        stored_document(make_session(**overrides))


def test_tariff_lists_are_bounded() -> None:
    with pytest.raises(SessionRefusedError, match=f"at most {MAX_TARIFF_ELEMENTS} elements"):
        stored_document(rich_session(1, elements=MAX_TARIFF_ELEMENTS + 1, alt_texts=0))
    with pytest.raises(SessionRefusedError, match=f"at most {MAX_ALT_TEXTS} texts"):
        stored_document(rich_session(1, elements=0, alt_texts=MAX_ALT_TEXTS + 1))
    with pytest.raises(SessionRefusedError) as refused:
        stored_document(rich_session(1, elements=MAX_TARIFF_ELEMENTS + 1, alt_texts=MAX_ALT_TEXTS + 1))
    assert str(refused.value).count("; ") == 1  # every problem at once


def test_the_whole_session_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from charging_sessions.storage import write_limits

    assert MAX_STORED_SESSION_BYTES == 65_536
    monkeypatch.setattr(write_limits, "MAX_STORED_SESSION_BYTES", 100)
    with pytest.raises(SessionRefusedError, match=r"the session is \d+ bytes as JSON; at most 100 are stored"):
        stored_document(make_session())
