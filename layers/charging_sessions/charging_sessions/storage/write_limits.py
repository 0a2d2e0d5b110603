"""The write limits: what a session must be to be stored (the contract, no attribute it would lose, within the
size limits that keep every page of sessions inside one answer; ``docs/storage.md``, "Limits")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..models import MAX_ID_CHARS, ChargingSession
from .keys import MAX_SESSION_ID_BYTES

MAX_NOTE_BYTES = 4_096
MAX_REFERENCE_BYTES = 256
"""``applicationId`` and ``locationId``."""
MAX_TARIFF_ELEMENTS = 32
MAX_ALT_TEXTS = 16
MAX_STORED_SESSION_BYTES = 65_536
"""A stored session's JSON, at most: far below DynamoDB's 400 KB item, and 90 of them fit a 6 MB answer."""


class SessionRefusedError(ValueError):
    """The session cannot be stored as given: it says what is wrong."""


def _utf8(value: str) -> int:
    return len(value.encode("utf-8"))


def _unmodelled(given: Any, kept: Any, path: str = "") -> list[str]:
    """Attributes of ``given`` that the model does not hold (so ``kept``, its dump, lacks them)."""
    if isinstance(given, Mapping) and isinstance(kept, Mapping):
        found: list[str] = []
        for name, value in given.items():
            where = f"{path}.{name}" if path else str(name)
            if value is None:
                continue
            if name not in kept:
                found.append(where)
            else:
                found += _unmodelled(value, kept[name], where)
        return found
    if isinstance(given, list | tuple) and isinstance(kept, list):
        return [
            where
            for index, pair in enumerate(zip(given, kept, strict=False))
            for where in _unmodelled(*pair, f"{path}[{index}]")
        ]
    return []


def stored_document(session: ChargingSession | Mapping[str, Any]) -> dict[str, Any]:
    """A session validated against the contract, in the form it is stored and answered, within the write limits.

    Raises :class:`SessionRefusedError` for attributes the contract does not hold (they would be lost) and for
    anything over a limit; ``pydantic.ValidationError`` when it does not fit the contract."""
    model = session if isinstance(session, ChargingSession) else ChargingSession.model_validate(session)
    document = model.model_dump(mode="json", exclude_none=True)
    if not isinstance(session, ChargingSession):
        unknown = _unmodelled(session, document)
        if unknown:
            raise SessionRefusedError(f"attributes the contract does not hold would be lost: {', '.join(unknown)}")
    problems = [
        f"{name} must be 1 to {MAX_ID_CHARS} characters to be stored"
        for name in ("namespaceId", "userId", "chargerId")
        if name in document and not 0 < len(document[name]) <= MAX_ID_CHARS
    ]
    if not 0 < _utf8(document["id"]) <= MAX_SESSION_ID_BYTES:
        problems.append(f"id must be 1 to {MAX_SESSION_ID_BYTES} bytes (UTF-8) to be stored")
    if _utf8(document.get("note", "")) > MAX_NOTE_BYTES:
        problems.append(f"note must be at most {MAX_NOTE_BYTES} bytes (UTF-8)")
    problems += [
        f"{name} must be at most {MAX_REFERENCE_BYTES} bytes (UTF-8)"
        for name in ("applicationId", "locationId")
        if _utf8(document.get(name, "")) > MAX_REFERENCE_BYTES
    ]
    tariff = document.get("tariff") or {}
    if len(tariff.get("elements", [])) > MAX_TARIFF_ELEMENTS:
        problems.append(f"tariff.elements must hold at most {MAX_TARIFF_ELEMENTS} elements")
    if len(tariff.get("altTexts", [])) > MAX_ALT_TEXTS:
        problems.append(f"tariff.altTexts must hold at most {MAX_ALT_TEXTS} texts")
    size = _utf8(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
    if size > MAX_STORED_SESSION_BYTES:
        problems.append(f"the session is {size} bytes as JSON; at most {MAX_STORED_SESSION_BYTES} are stored")
    if problems:
        raise SessionRefusedError("; ".join(problems))
    return document
