"""gzip for answers (an HTTP API cannot compress; the function does): the level, what is too small to compress,
and the size a gzip body takes in Lambda's response, measured as it grows (``docs/design.md``, "Compression")."""

from __future__ import annotations

import json
import re
import zlib

GZIP_LEVEL = 2
"""zlib level: session JSON goes out 4.3x smaller (base64 included) for a fifth of level 9's CPU, whose extra 20%
is not worth it at 256 MB (about a seventh of a vCPU): a take=50 page costs ~2 ms at level 2, ~10 ms at level 9
(``make bench-compression`` measures every level side by side with sending the text)."""
MIN_GZIP_BYTES = 1024
"""Answers shorter than this are sent as they are: they fit in one packet either way."""
GZIP_CODING = "gzip"
_GZIP_WINDOW = zlib.MAX_WBITS | 16  # a gzip wrapper (header and trailer), not zlib's
_GZIP_CLOSING_BYTES = 16  # what the stream's end adds: the last block (a few bytes) and the trailer (8)


def gzip_bytes(text: str) -> bytes:
    """``text`` (UTF-8) gzipped at :data:`GZIP_LEVEL`; the same text gives the same bytes (no time in the header)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WINDOW)
    return compressor.compress(text.encode("utf-8")) + compressor.flush()


def base64_size(length: int) -> int:
    """Characters ``length`` bytes take in base64 (how Lambda's response carries a binary body)."""
    return 4 * ((length + 2) // 3)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # what json.dumps escapes in ASCII besides " and \\


MAX_ENCODED_BYTES_PER_CHAR = 12
"""The most one character of a text takes as a JSON string in ASCII: a code point beyond the BMP is written as a
surrogate pair of escapes (``\\ud83d\\ude00``, 12 bytes); any other character takes at most 6 (``\\u001f``)."""


def surely_fits(pieces: list[str], budget: int) -> bool:
    """Whether ``pieces`` and their separators fit ``budget`` as sent however each is escaped: the bound
    :data:`MAX_ENCODED_BYTES_PER_CHAR` gives, without measuring each piece. A take=50 page is about 1% of the
    budget, so most pages are fitted with this one sum."""
    return sum(len(piece) for piece in pieces) * MAX_ENCODED_BYTES_PER_CHAR + 3 * len(pieces) <= budget


def encoded_size(text: str) -> int:
    """Bytes ``text`` takes as a JSON string in the runtime's response document (ASCII-escaped). ASCII text without
    control characters (a JSON piece always is: its own escapes are plain characters) is counted without encoding
    it: the quotes around it, and one more byte for each ``"`` and ``\\``."""
    if text.isascii() and not _CONTROL.search(text):
        return len(text) + 2 + text.count('"') + text.count("\\")
    return len(json.dumps(text))


class IdentitySize:
    """The running size of a text body in Lambda's response, piece by piece (each piece and its separator)."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, piece: str) -> int:
        self.total += encoded_size(piece) + 1
        return self.total


class GzipSize:
    """The running size of a gzip body in Lambda's response (base64), piece by piece: each piece is compressed and
    flushed to a byte boundary, so the size is exact for the stream so far (the body sent in one go is no larger,
    but for a few bytes a flush)."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WINDOW)
        self._bytes = _GZIP_CLOSING_BYTES  # the header comes out with the first piece

    @property
    def total(self) -> int:
        return base64_size(self._bytes)

    def add(self, piece: str) -> int:
        out = self._compressor.compress(piece.encode("utf-8") + b",")
        self._bytes += len(out) + len(self._compressor.flush(zlib.Z_SYNC_FLUSH))
        return self.total
