"""Conditional requests (RFC 9110, section 13): the strong entity tag of a 200 and the ``If-None-Match`` test (a 304
saves the transfer, not the read; ``docs/design.md``, "Entity tags")."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping

IF_NONE_MATCH_HEADER = "if-none-match"
"""The request header, as API Gateway's HTTP API hands it to the function (header names lower-cased)."""
ETAG_HEADER = "ETag"

QueryValue = str | int | None


def entity_tag(namespace: str, query: Mapping[str, QueryValue], body: str) -> str:
    """The strong entity tag (quoted) of ``body`` answered to ``query`` in ``namespace``.

    The hash reads the namespace and the query as one JSON array (sorted keys, absent parameters left out), then the
    body as it is. A JSON text ends where its closing bracket says, so no namespace, query and body can be re-cut
    into another's; and the body, most of the input, is hashed without being escaped into a JSON string first."""
    given = {name: value for name, value in query.items() if value is not None}
    head = json.dumps([namespace, given], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(head.encode("utf-8"))
    digest.update(body.encode("utf-8"))
    return '"' + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii") + '"'


MAX_LISTED_TAGS = 64
"""Entity tags of an ``If-None-Match`` list compared, at most: a longer list is compared on its first ones (a 200
where a later one would have matched is still a correct answer)."""


def _opaque(entry: str) -> str:
    """An ``If-None-Match`` list entry as the strong tag it names (weak ``W/"x"`` compares as ``"x"``)."""
    return entry.strip().removeprefix("W/")


def not_modified(header: str | None, tag: str) -> bool:
    """Whether ``If-None-Match: header`` names the representation tagged ``tag``, so the answer is 304: the header
    is ``*`` or a comma-separated list holding the tag (weak comparison). Absent or empty: never. Linear in the
    header's length (one split, one strip an entry), whatever it holds."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(_opaque(entry) == tag for entry in header.split(",", MAX_LISTED_TAGS)[:MAX_LISTED_TAGS])
