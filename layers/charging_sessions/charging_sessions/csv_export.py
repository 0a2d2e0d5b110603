"""Sessions as CSV (RFC 4180): one header row, then one record a session, read from the session's JSON form
(``ChargingSession.model_dump(mode="json", exclude_none=True)``). Scalar fields only, plus three nested values under
dotted names; text cells that a spreadsheet would run as a formula are defused (OWASP, "CSV injection")."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

CSV_CONTENT_TYPE = "text/csv; charset=utf-8; header=present"
"""The ``Content-Type`` of a CSV answer (RFC 4180, section 3: the first row is a header)."""

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "status",
    "userId",
    "chargerId",
    "connectorId",
    "idTag",
    "transactionId",
    "chargingIntentId",
    "startedAtTimestamp",
    "startedAtEnergy",
    "lastMeteredAtTimestamp",
    "lastMeteredAtEnergy",
    "stoppedAtTimestamp",
    "stoppedAtEnergy",
    "stoppedReason",
    "energy",
    "duration",
    "price",
    "note",
    "applicationId",
    "namespaceId",
    "locationId",
    "createdAt",
    "updatedAt",
    "chargingIntent.type",
    "chargingIntent.startType",
    "tariff.timeZone",
)
"""Every column, in order: a session's scalar fields, then the nested values named ``object.field`` (the rest of
``chargingIntent`` and ``tariff`` is left out)."""

_ALWAYS_PRESENT_COLUMN = "id"
"""The column every selection keeps: a record without its session's id could not be told apart."""

_LINE_END = "\r\n"
_NEEDS_QUOTES = re.compile(r'[",\r\n]')
"""Characters that make a field quoted (RFC 4180, section 2.6); so does a space at either end, which some readers
would trim. One character class: a linear scan."""
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (or that hide one behind them)."""
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
"""A number written as text (a price such as ``-5.00``): harmless, so never prefixed."""


def columns_for(fields: Collection[str] | None) -> tuple[str, ...]:
    """The columns of an answer limited to ``fields`` (top-level field names), in :data:`CSV_COLUMNS` order: those
    whose name before any dot is one of ``fields``, and always ``id``. ``None``: every column."""
    if fields is None:
        return CSV_COLUMNS
    return tuple(
        column for column in CSV_COLUMNS if column == _ALWAYS_PRESENT_COLUMN or column.partition(".")[0] in fields
    )


def formula_safe(text: str) -> str:
    """``text`` made safe to open in a spreadsheet: prefixed with ``'`` when it starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return, unless it is a plain decimal number (``-5.00``), which is left as it is."""
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_DECIMAL.fullmatch(text):
        return "'" + text
    return text


def _quoted(text: str) -> str:
    """``text`` as one RFC 4180 field: enclosed in double quotes (inner ones doubled) only when it needs them."""
    if _NEEDS_QUOTES.search(text) or text.startswith(" ") or text.endswith(" "):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cell(value: Any) -> str:
    """The field of one JSON value: empty for ``None``, ``true``/``false``, a number's JSON text (as ``json.dumps``
    writes it), a string defused by :func:`formula_safe` and quoted when it needs it. Anything else (an object, a
    list) is not a column's value: ``TypeError``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _quoted(formula_safe(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        # What json.dumps writes, without its per-call cost (a row holds several numbers, a page up to 1000 rows).
        return float.__repr__(value) if math.isfinite(value) else json.dumps(value)
    raise TypeError(f"a CSV cell holds a string, a number or a boolean, not {type(value).__name__}")


def _value(session: Mapping[str, Any], column: str) -> Any:
    """What ``column`` reads in ``session``: its field, or for ``object.field`` the nested object's field (``None``
    when the field, or the nested object, is absent)."""
    name, dot, nested = column.partition(".")
    value = session.get(name)
    if not dot:
        return value
    return value.get(nested) if isinstance(value, Mapping) else None


def _line(fields: list[str]) -> str:
    """One CRLF-terminated line of ``fields``. A line of a single empty field is written ``""``: a blank line would
    be read as no record at all."""
    if fields == [""]:
        return '""' + _LINE_END
    return ",".join(fields) + _LINE_END


def csv_header(columns: Sequence[str]) -> str:
    """The header row naming ``columns`` (CRLF-terminated)."""
    return _line([_quoted(column) for column in columns])


def csv_row(session: Mapping[str, Any], columns: Sequence[str]) -> str:
    """The record of ``session`` (its JSON form) in ``columns`` (CRLF-terminated); absent values are empty fields."""
    return _line([_cell(_value(session, column)) for column in columns])


__all__ = ["CSV_COLUMNS", "CSV_CONTENT_TYPE", "columns_for", "csv_header", "csv_row", "formula_safe"]
