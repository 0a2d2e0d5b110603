"""The sample events (``events/``) and their documentation agree: every file is listed with its status."""

from __future__ import annotations

from tests.support import EVENTS, documented_events


def test_every_event_file_is_documented_and_every_documented_file_exists() -> None:
    assert set(documented_events()) == {path.name for path in EVENTS.glob("*.json")}
