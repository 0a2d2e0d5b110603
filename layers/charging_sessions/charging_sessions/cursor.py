"""Keyset cursors (``nextCursor`` / ``cursor``): opaque, HMAC-signed, bound to the namespace, filters, ranges and
sort; every key of the key set verifies, so keys rotate without breaking walks (``docs/design.md``, "Cursors")."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ProblemCode
from .query import MAX_CURSOR_CHARS
from .storage.positions import Resume

VERSION = 1
MIN_KEY_CHARS = 32
"""Shortest cursor key accepted, for signing or for verifying."""
NOT_ISSUED_HERE = "cursor is not a cursor this API issued"
"""What a cursor that is not one of ours is told (garbage, a wrong shape, a position that does not fit)."""

_MISMATCH = ProblemCode.CURSOR_MISMATCH
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class CursorError(ValueError):
    """A ``cursor`` the API refuses (answered 400 with the message): one this API did not issue or that was altered
    (``invalid``), or one issued for another version, sort, namespace or selection (``cursor_mismatch``)."""

    def __init__(self, message: str, code: ProblemCode = ProblemCode.INVALID) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CursorKeys:
    """The key that signs new cursors and every key that verifies one (the signing key included)."""

    signing: bytes
    verifying: tuple[bytes, ...]

    @classmethod
    def from_secret(cls, secret: Mapping[str, Any]) -> CursorKeys:
        """From the secret's JSON: ``{"current": "...", "accepted": ["...", ...]}``. ``current`` signs and
        verifies; ``accepted`` (optional) only verifies: the key being retired, or the next one being rolled out."""
        current = secret.get("current")
        accepted = secret.get("accepted", [])
        if not isinstance(current, str) or len(current) < MIN_KEY_CHARS:
            raise ValueError(f"the cursor secret needs a 'current' key of at least {MIN_KEY_CHARS} characters")
        if not isinstance(accepted, list) or not all(isinstance(key, str) for key in accepted):
            raise ValueError("the cursor secret's 'accepted' must be a list of keys")
        if any(len(key) < MIN_KEY_CHARS for key in accepted):
            raise ValueError(f"every key the cursor secret accepts must have at least {MIN_KEY_CHARS} characters")
        signing = current.encode("utf-8")
        return cls(signing, (signing, *(key.encode("utf-8") for key in accepted if key != current)))


def binding(namespace: str, query: Mapping[str, str]) -> str:
    """What a cursor is bound to: the namespace and the query's selecting parameters (canonical values)."""
    text = json.dumps([namespace, dict(query)], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _b64(hashlib.sha256(text.encode("utf-8")).digest()[:18])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or len(text) % 4 == 1:
        raise binascii.Error("bad length")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()


class CursorCodec:
    """Issues and opens cursors with the keys ``load_keys`` returns (called when a cursor is first needed, so a
    request that uses no cursor never fetches the secret)."""

    def __init__(self, load_keys: Callable[[], CursorKeys]) -> None:
        self._load_keys = load_keys

    def issue(self, sort: str, bound_to: str, resume: Resume) -> str:
        position: dict[str, Any] = {}
        if resume.after is not None:
            position["a"] = dict(resume.after)
        if resume.from_time is not None:
            position["t"] = resume.from_time
        document = {"v": VERSION, "o": sort, "b": bound_to, "p": position}
        payload = _b64(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{_b64(_tag(self._load_keys().signing, payload))}"

    def open(self, cursor: str, sort: str, bound_to: str, position_fields: Sequence[str]) -> Resume:
        """The position a cursor holds, once its tag, version, sort and binding are checked.

        ``position_fields`` are the fields an entry position has in the query's view. Raises :class:`CursorError`
        with a message that says what is wrong and leaks nothing (no key, no other namespace)."""
        if len(cursor) > MAX_CURSOR_CHARS or not _SHAPE.fullmatch(cursor):
            raise CursorError(NOT_ISSUED_HERE)
        payload, _, tag_text = cursor.partition(".")
        try:
            tag = _unb64(tag_text)
        except (binascii.Error, ValueError):
            raise CursorError(NOT_ISSUED_HERE) from None
        if not any(hmac.compare_digest(tag, _tag(key, payload)) for key in self._load_keys().verifying):
            raise CursorError("cursor has been altered or was not issued by this API")
        if _b64(tag) != tag_text:  # one tag, one text: base64 ignores the last character's spare bits
            raise CursorError(NOT_ISSUED_HERE)
        try:
            document = json.loads(_unb64(payload))
        except (binascii.Error, ValueError):
            raise CursorError(NOT_ISSUED_HERE) from None
        if not isinstance(document, dict) or document.get("v") != VERSION:
            raise CursorError("cursor comes from another version of this API: start the walk again", _MISMATCH)
        if document.get("o") != sort:
            raise CursorError(f"cursor was issued for sort={document.get('o')}, not sort={sort}", _MISMATCH)
        if document.get("b") != bound_to:
            message = "cursor was issued for another namespace or other filters: pass the same filters"
            raise CursorError(message, _MISMATCH)
        return _position(document.get("p"), position_fields)


def _position(position: Any, fields: Sequence[str]) -> Resume:
    if not isinstance(position, dict) or set(position) - {"a", "t"}:
        raise CursorError(NOT_ISSUED_HERE)
    after, from_time = position.get("a"), position.get("t")
    if after is not None and not (
        isinstance(after, dict) and set(after) == set(fields) and all(isinstance(v, str) for v in after.values())
    ):
        raise CursorError(NOT_ISSUED_HERE)
    if from_time is not None and not isinstance(from_time, str):
        raise CursorError(NOT_ISSUED_HERE)
    return Resume(after=after, from_time=from_time)
