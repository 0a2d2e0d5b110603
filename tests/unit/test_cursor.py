"""Cursors without a table: what a cursor carries comes back exactly, and nothing altered, forged, issued for
another query or sort, or not a cursor at all is accepted; keys rotate without breaking walks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from charging_sessions.cursor import NOT_ISSUED_HERE, VERSION, CursorCodec, CursorError, CursorKeys, binding
from charging_sessions.cursor_secret import load_cursor_keys
from charging_sessions.query import MAX_CURSOR_CHARS, SessionQuery, Sort
from charging_sessions.settings import Settings
from charging_sessions.storage.keys import FEED, NAMESPACE
from charging_sessions.storage.positions import Resume, position_fields
from tests.conftest import TABLE

KEY = "current-key-" + "k" * 40
KEYS = CursorKeys.from_secret({"current": KEY})
CODEC = CursorCodec(lambda: KEYS)
FIELDS = position_fields(NAMESPACE)
FEED_FIELDS = position_fields(FEED)
BOUND = binding("tenant-alpha", {"userId": "u1"})
ALTERED = "cursor has been altered or was not issued by this API"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed(document: Any, key: str = KEY) -> str:
    """A cursor holding ``document`` as its payload, signed with ``key`` the way the API signs."""
    payload = b64(json.dumps(document).encode("utf-8"))
    tag = hmac.new(key.encode("utf-8"), payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{b64(tag)}"


def refusal(cursor: str, sort: str = "-createdAt", bound_to: str = BOUND, fields: tuple[str, ...] = FIELDS) -> str:
    with pytest.raises(CursorError) as raised:
        CODEC.open(cursor, sort, bound_to, fields)
    return str(raised.value)


@pytest.mark.parametrize(
    ("resume", "fields"),
    [
        (Resume(after={"sk": "2026-03-01T10:00:00.000Z#s-1"}), FIELDS),
        (Resume(after={"sk": "2026-03-01T10:00:00.000Z#é€🚗", "uSk": "2026-03-02T10:00:00.000Z#é€🚗"}), FEED_FIELDS),
        (Resume(from_time="2026-03-01T10:00:00.000Z"), FEED_FIELDS),
        (Resume(after={"sk": "a", "uSk": "b"}, from_time="2026-03-01T10:00:00.000Z"), FEED_FIELDS),
        (Resume(), FIELDS),
    ],
)
def test_what_a_cursor_carries_comes_back(resume: Resume, fields: tuple[str, ...]) -> None:
    cursor = CODEC.issue("-createdAt", BOUND, resume)
    assert len(cursor) <= MAX_CURSOR_CHARS
    assert CODEC.open(cursor, "-createdAt", BOUND, fields) == resume


def test_the_payload_holds_no_namespace_and_no_filter() -> None:
    cursor = CODEC.issue("-createdAt", BOUND, Resume(after={"sk": "x"}))
    payload = base64.urlsafe_b64decode(cursor.split(".")[0] + "==")
    assert b"tenant" not in payload and b"u1" not in payload
    assert json.loads(payload) == {"v": VERSION, "o": "-createdAt", "b": BOUND, "p": {"a": {"sk": "x"}}}


def test_the_binding_covers_the_namespace_and_every_selecting_parameter() -> None:
    query = SessionQuery.from_parameters({"userId": "u1", "createdFrom": "2026-03-01T12:00:00+02:00"})
    same = SessionQuery.from_parameters({"createdFrom": "2026-03-01T10:00:00.000Z", "userId": "u1"})
    assert binding("tenant-alpha", query.as_dict()) == binding("tenant-alpha", same.as_dict())
    others = [
        binding("tenant-beta", query.as_dict()),
        binding("tenant-alpha", {**query.as_dict(), "userId": "u2"}),
        binding("tenant-alpha", {**query.as_dict(), "sort": Sort.UPDATED.value}),
        binding("tenant-alpha", {"userId": "u1"}),
        binding("tenant-alpha#", query.as_dict()),
    ]
    assert binding("tenant-alpha", query.as_dict()) not in others
    assert len(set(others)) == len(others)


def test_an_altered_payload_or_tag_is_refused() -> None:
    cursor = CODEC.issue("-createdAt", BOUND, Resume(after={"sk": "2026-03-01T10:00:00.000Z#s-1"}))
    payload, tag = cursor.split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=="))
    document["p"]["a"]["sk"] = "9999-12-31T00:00:00.000Z#zzz"
    assert refusal(f"{b64(json.dumps(document).encode())}.{tag}") == ALTERED
    flipped = ("A" if tag[0] != "A" else "B") + tag[1:]
    assert refusal(f"{payload}.{flipped}") == ALTERED
    assert refusal(signed(document, key="another-key-" + "x" * 40)) == ALTERED


def test_a_cursor_for_another_sort_or_query_is_refused() -> None:
    cursor = CODEC.issue("-createdAt", BOUND, Resume(after={"sk": "x"}))
    assert refusal(cursor, sort="updatedAt") == "cursor was issued for sort=-createdAt, not sort=updatedAt"
    other = binding("tenant-beta", {"userId": "u1"})
    assert refusal(cursor, bound_to=other) == (
        "cursor was issued for another namespace or other filters: pass the same filters"
    )


def test_a_cursor_of_another_version_is_refused() -> None:
    document = {"v": VERSION + 1, "o": "-createdAt", "b": BOUND, "p": {}}
    assert refusal(signed(document)) == "cursor comes from another version of this API: start the walk again"
    assert refusal(signed(["not", "an", "object"])) == (
        "cursor comes from another version of this API: start the walk again"
    )


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "a.b",
        ".",
        "a.",
        ".b",
        "a.b.c",
        "x" * 5000,
        "%%%.%%%",
        "eyJ2Ijox\u00e9fQ.AAAA",
        "eyJ2IjoxfQ.A",  # a tag whose length no base64 text has
        "a" * 2049 + "." + "b" * 2048,  # the shape of a cursor, two characters too long
    ],
)
def test_what_is_not_a_cursor_is_not_issued_here(cursor: str) -> None:
    assert refusal(cursor) == NOT_ISSUED_HERE == "cursor is not a cursor this API issued"


@pytest.mark.parametrize("cursor", ["eyJ2IjoxfQ.AAAA", "a" * 2048 + "." + "b" * 2047])
def test_a_well_formed_cursor_with_a_wrong_tag_is_altered(cursor: str) -> None:
    assert len(cursor) <= MAX_CURSOR_CHARS
    assert refusal(cursor) == ALTERED


def test_a_signed_payload_that_is_not_json_is_not_issued_here() -> None:
    payload = b64(b"\xff not json")
    tag = hmac.new(KEY.encode(), payload.encode("ascii"), hashlib.sha256).digest()
    assert refusal(f"{payload}.{b64(tag)}") == NOT_ISSUED_HERE


@pytest.mark.parametrize(
    ("position", "fields"),
    [
        (None, FIELDS),
        ([], FIELDS),
        ({"x": 1}, FIELDS),
        ({"a": {"sk": "x"}, "z": 1}, FIELDS),
        ({"a": "sk"}, FIELDS),
        ({"a": {}}, FIELDS),
        ({"a": {"sk": 1}}, FIELDS),
        ({"a": {"sk": "x", "pk": "tenant-beta"}}, FIELDS),  # a partition is never taken from a cursor
        ({"a": {"sk": "x"}}, FEED_FIELDS),  # the feed's positions hold its own sort key too
        ({"a": {"sk": "x", "uSk": "y"}}, FIELDS),
        ({"t": 5}, FEED_FIELDS),
    ],
)
def test_a_position_that_does_not_fit_the_view_is_not_issued_here(position: Any, fields: tuple[str, ...]) -> None:
    document = {"v": VERSION, "o": "-createdAt", "b": BOUND, "p": position}
    assert refusal(signed(document), fields=fields) == NOT_ISSUED_HERE


def test_keys_rotate_without_breaking_walks() -> None:
    old, new = "old-key-" + "o" * 40, "new-key-" + "n" * 40
    issued = CursorCodec(lambda: CursorKeys.from_secret({"current": old})).issue("-createdAt", BOUND, Resume())
    rolling = CursorCodec(lambda: CursorKeys.from_secret({"current": new, "accepted": [old]}))
    assert rolling.open(issued, "-createdAt", BOUND, FIELDS) == Resume()
    reissued = rolling.issue("-createdAt", BOUND, Resume())
    assert reissued != issued
    retired = CursorCodec(lambda: CursorKeys.from_secret({"current": new}))
    assert retired.open(reissued, "-createdAt", BOUND, FIELDS) == Resume()
    with pytest.raises(CursorError, match="altered"):
        retired.open(issued, "-createdAt", BOUND, FIELDS)


def test_the_key_set_signs_with_current_and_verifies_with_every_key() -> None:
    keys = CursorKeys.from_secret({"current": "c" * 32, "accepted": ["a" * 32, "c" * 32, "b" * 40]})
    assert keys.signing == b"c" * 32
    assert keys.verifying == (b"c" * 32, b"a" * 32, b"b" * 40)


def test_the_keys_are_loaded_only_when_a_cursor_is_needed() -> None:
    loads: list[int] = []

    def load() -> CursorKeys:
        loads.append(1)
        return KEYS

    codec = CursorCodec(load)
    assert loads == []
    codec.open(codec.issue("-createdAt", BOUND, Resume()), "-createdAt", BOUND, FIELDS)
    assert len(loads) == 2


def test_a_local_key_signs_when_no_secret_is_configured() -> None:
    settings = Settings.model_validate({"TABLE_NAME": TABLE, "CURSOR_LOCAL_KEY": "l" * 40})
    assert load_cursor_keys(settings) == CursorKeys(b"l" * 40, (b"l" * 40,))


@pytest.mark.parametrize(
    "secret",
    [
        {"current": "short"},
        {"accepted": []},
        {"current": "k" * 40, "accepted": "x"},
        {"current": "k" * 40, "accepted": ["a" * 31]},  # an accepted key verifies: the same length rule holds
        {"current": "k" * 40, "accepted": [""]},
    ],
)
def test_unusable_secrets_are_refused(secret: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CursorKeys.from_secret(secret)


def test_a_tag_has_one_text() -> None:
    """base64 ignores the spare bits of a tag's last character: a cursor whose tag text differs only there is
    refused, so every cursor the API accepts is exactly one it issued."""
    codec = CursorCodec(lambda: KEYS)
    cursor = codec.issue("-createdAt", BOUND, Resume())
    payload, _, tag = cursor.partition(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(tag[-1])
    twin = tag[:-1] + alphabet[last ^ 1]  # 43 characters carry 258 bits: the last 2 of 32 bytes' 256 are spare
    assert base64.urlsafe_b64decode(twin + "=") == base64.urlsafe_b64decode(tag + "=")
    with pytest.raises(CursorError, match=NOT_ISSUED_HERE):
        codec.open(f"{payload}.{twin}", "-createdAt", BOUND, FIELDS)
    assert codec.open(cursor, "-createdAt", BOUND, FIELDS) == Resume()
