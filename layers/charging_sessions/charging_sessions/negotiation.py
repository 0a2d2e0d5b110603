"""Content negotiation (RFC 9110, section 12): whether the caller takes a gzip body (``Accept-Encoding``) and which of
the two representations of a page it prefers (``Accept``). Both read a bounded number of list entries, each once, so
they are linear in the header's length whatever it holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum


class MediaType(StrEnum):
    """The representations of a page the API offers: JSON (the default) or CSV."""

    JSON = "application/json"
    CSV = "text/csv"


MAX_NEGOTIATED_ENTRIES = 64
"""Entries of an ``Accept`` or ``Accept-Encoding`` list considered, at most: later ones are ignored (the answer to a
longer list is the answer to its first ones)."""

_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
"""A weight (RFC 9110, section 12.4.2): 0 to 1, at most three decimals. No nested repetition: matching is linear."""

_GZIP_CODINGS = frozenset({"gzip", "x-gzip"})
"""The content-coding names of gzip (``x-gzip`` is its registered alias, RFC 9110, section 8.4.1.3)."""

_SPECIFICITY_OF_EXACT = 2
_SPECIFICITY_OF_TYPE = 1
_SPECIFICITY_OF_ANY = 0


def _weight(parameters: str) -> float | None:
    """The weight given by an entry's parameters (the text after its first ``;``), ``1`` when they hold no ``q``.

    Only the first ``q`` counts (names case-insensitive, whitespace around the name, the ``=`` and the value
    allowed); other parameters are ignored. ``None`` when that ``q`` is malformed or out of range."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            text = value.strip()
            return float(text) if _QVALUE.fullmatch(text) else None
    return 1.0


def _weighted_entries(header: str) -> Iterator[tuple[str, float]]:
    """The (name lower-cased, weight) of each well-formed entry among the first :data:`MAX_NEGOTIATED_ENTRIES` of a
    comma-separated list; empty entries, entries without a name and entries with a malformed weight are skipped."""
    for entry in header.split(",", MAX_NEGOTIATED_ENTRIES)[:MAX_NEGOTIATED_ENTRIES]:
        name, _, parameters = entry.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = _weight(parameters)
        if weight is not None:
            yield name, weight


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding: accept_encoding`` lets the answer be gzip-coded.

    An explicit ``gzip`` or ``x-gzip`` entry decides (acceptable when one of them has a weight above 0, so
    ``gzip;q=0`` refuses it even beside ``*``); without one, a ``*`` entry with a weight above 0 accepts it.
    Absent, empty, or holding neither: not acceptable (the answer is sent as is)."""
    if accept_encoding is None:
        return False
    explicit: float | None = None
    wildcard: float | None = None
    for coding, weight in _weighted_entries(accept_encoding):
        if coding in _GZIP_CODINGS:
            explicit = weight if explicit is None else max(explicit, weight)
        elif coding == "*":
            wildcard = weight if wildcard is None else max(wildcard, weight)
    if explicit is not None:
        return explicit > 0
    return wildcard is not None and wildcard > 0


def _specificity(media_range: str, offered: MediaType) -> int | None:
    """How specifically ``media_range`` (lower-cased) names ``offered``: exactly, by its type (``text/*``) or as
    anything (``*/*``); ``None`` when it does not match it."""
    if media_range == offered:
        return _SPECIFICITY_OF_EXACT
    if media_range == "*/*":
        return _SPECIFICITY_OF_ANY
    if media_range == offered.partition("/")[0] + "/*":
        return _SPECIFICITY_OF_TYPE
    return None


def _is_media_range(name: str) -> bool:
    """Whether ``name`` is shaped as a media range: ``type/subtype``, ``type/*`` or ``*/*`` (one ``/``, both sides
    non-empty, a ``*`` type only with a ``*`` subtype)."""
    kind, slash, subtype = name.partition("/")
    if not slash or not kind or not subtype or "/" in subtype:
        return False
    return kind != "*" or subtype == "*"


def preferred_media_type(accept: str | None) -> MediaType | None:
    """The representation ``Accept: accept`` prefers among those offered, or ``None`` when it takes neither (the
    caller answers 406).

    Each offering weighs what the most specific range naming it gives (an exact type, then ``type/*``, then
    ``*/*``; RFC 9110, section 12.5.1; between equally specific ranges, the highest weight); ranges naming neither
    are ignored, as are parameters other than ``q``. The heavier offering above 0 wins, JSON on a tie. Absent,
    empty, or holding no well-formed range: JSON (no preference was given)."""
    if accept is None:
        return MediaType.JSON
    best: dict[MediaType, tuple[int, float]] = {}
    well_formed = False
    for media_range, weight in _weighted_entries(accept):
        if not _is_media_range(media_range):
            continue
        well_formed = True
        for offered in MediaType:
            specificity = _specificity(media_range, offered)
            if specificity is None:
                continue
            known = best.get(offered)
            if known is None or (specificity, weight) > known:
                best[offered] = (specificity, weight)
    if not well_formed:
        return MediaType.JSON
    json_weight = best[MediaType.JSON][1] if MediaType.JSON in best else 0.0
    csv_weight = best[MediaType.CSV][1] if MediaType.CSV in best else 0.0
    if max(json_weight, csv_weight) <= 0:
        return None
    return MediaType.CSV if csv_weight > json_weight else MediaType.JSON


__all__ = ["MAX_NEGOTIATED_ENTRIES", "MediaType", "accepts_gzip", "preferred_media_type"]
