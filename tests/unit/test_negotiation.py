"""Content negotiation without a request: the ``Accept-Encoding`` rule that lets an answer be gzip-coded and the
``Accept`` ranking that picks JSON or CSV (or neither: 406), on well-formed, malformed and hostile headers."""

from __future__ import annotations

import pytest

from charging_sessions.negotiation import MAX_NEGOTIATED_ENTRIES, MediaType, accepts_gzip, preferred_media_type


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("X-Gzip;Q=1", True),
        ("deflate, gzip", True),
        ("gzip;q=0.5", True),
        ("gzip;q=0.001", True),
        ("gzip;q=1.000", True),
        ("gzip;q=1.", True),
        ("  gzip  ;  q=0.5  ,  br  ", True),
        ("gzip ; q = 0.5", True),
        ("gzip;q=0", False),
        ("gzip ; q=0", False),
        ("gzip;q=0.", False),
        ("gzip;q=0.000", False),
        ("gzip;level=9;q=0.2", True),
        ("gzip;q=0.5;q=0", True),  # only the first q counts
        ("*;q=0.5", True),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("gzip;q=0.1, *;q=0", True),  # the explicit entry wins over *
        ("deflate", False),
        ("identity", False),
        ("br, deflate;q=0.5", False),
        ("gzipx", False),
        (None, False),
        ("", False),
        ("   ", False),
        (",,, ,", False),
    ],
)
def test_gzip_rule(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


@pytest.mark.parametrize(
    "header",
    [
        "gzip;q=1.5",
        "gzip;q=2",
        "gzip;q=-0.5",
        "gzip;q=0.0001",
        "gzip;q=1.001",
        "gzip;q=",
        "gzip;q",
        "gzip;q=abc",
        'gzip;q="1"',
        "gzip;q=.5",
        "gzip;q=0.5.5",
        "gzip;q=+1",
        "gzip;q=1e0",
        "gzip;q=0\u00b75",
        "gzip;q=\u0661",  # an Arabic-Indic digit one: not a weight
    ],
)
def test_a_malformed_weight_ignores_its_entry(header: str) -> None:
    assert not accepts_gzip(header)
    assert accepts_gzip(header + ", *")  # the gzip entry is gone: * decides
    assert accepts_gzip("gzip, " + header)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/csv", MediaType.CSV),
        ("TEXT/CSV", MediaType.CSV),
        ("text/csv; charset=utf-8", MediaType.CSV),
        ("application/json", MediaType.JSON),
        ("text/csv;q=0.5, application/json", MediaType.JSON),
        ("application/json;q=0.5, text/csv", MediaType.CSV),
        ("text/csv, application/json", MediaType.JSON),  # a tie: JSON
        ("text/*", MediaType.CSV),
        ("application/*", MediaType.JSON),
        ("*/*", MediaType.JSON),
        ("application/json;q=0, text/csv;q=0.1", MediaType.CSV),
        ("application/xml", None),
        ("text/csv;q=0, application/json;q=0", None),
        ("*/*;q=0", None),
        ("text/csv;q=0, */*", MediaType.JSON),
        ("application/json;q=0, */*", MediaType.CSV),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", MediaType.JSON),
        ("text/*;q=0.1, text/csv;q=0.9, application/json;q=0.5", MediaType.CSV),
        ("text/csv;q=0.9, text/*;q=0.1, application/json;q=0.5", MediaType.CSV),  # order does not matter
        ("text/csv;q=0.1, text/*;q=0.9, application/json;q=0.5", MediaType.JSON),  # the exact range decides
        ("*/*;q=0.1, text/*;q=0.9", MediaType.CSV),
        ("text/*;q=0, */*", MediaType.JSON),
        ("text/plain, text/*;q=0.5, application/*;q=0.4", MediaType.CSV),
        ("text/csv;charset=utf-8;q=0.7, application/json;q=0.6", MediaType.CSV),
        ("text/csv ; Q=1 , application/json ; q=0.999", MediaType.CSV),
        (None, MediaType.JSON),
        ("", MediaType.JSON),
        ("  ", MediaType.JSON),
    ],
)
def test_accept_ranking(header: str | None, expected: MediaType | None) -> None:
    assert preferred_media_type(header) is expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/csv;q=2, application/xml", None),  # the bad weight drops text/csv; xml is not offered
        ("text/csv;q=abc, application/json;q=0.1", MediaType.JSON),
        ("csv, application/xml", None),  # no slash
        ("*/csv, application/xml", None),  # a * type takes only a * subtype
        ("text/, application/xml", None),
        ("/csv, application/xml", None),
        ("text/csv/x, application/xml", None),
        ("csv", MediaType.JSON),  # nothing well-formed: no preference given
        ("text/csv;q=5", MediaType.JSON),
    ],
)
def test_malformed_ranges_are_ignored(header: str, expected: MediaType | None) -> None:
    assert preferred_media_type(header) is expected


def test_only_the_first_entries_are_read() -> None:
    assert MAX_NEGOTIATED_ENTRIES == 64
    assert not accepts_gzip("identity, " * MAX_NEGOTIATED_ENTRIES + "gzip")
    assert accepts_gzip("identity, " * (MAX_NEGOTIATED_ENTRIES - 1) + "gzip")
    assert preferred_media_type("application/xml, " * MAX_NEGOTIATED_ENTRIES + "text/csv") is None
    assert preferred_media_type("application/xml, " * (MAX_NEGOTIATED_ENTRIES - 1) + "text/csv") is MediaType.CSV
    assert preferred_media_type("," * MAX_NEGOTIATED_ENTRIES + "text/csv") is MediaType.JSON  # empty ones count


@pytest.mark.parametrize(
    ("header", "gzip", "media_type"),
    [
        ("," * 100_000, False, MediaType.JSON),
        (";" * 100_000, False, MediaType.JSON),
        ("q=" * 100_000, False, MediaType.JSON),
        ("gzip" + ";q=" * 100_000, False, MediaType.JSON),  # the first q is empty: the entry is ignored
        ("gzip;q=1" + ";q=" * 100_000, True, MediaType.JSON),
        ("text/csv;q=1" + ";q=" * 100_000, False, MediaType.CSV),
        ("gzip;q=0." + "0" * 100_000, False, MediaType.JSON),
        ("gzip, " + "x" * 100_000, True, MediaType.JSON),
        ("gzip;q=0, " + "*;q=1, " * 100_000, False, MediaType.JSON),
        ("text/csv, " + "*/*;q=1;q=" * 100_000, False, MediaType.JSON),
        ("text/csv;q=0.5, " + "text/csv;" * 100_000, False, MediaType.CSV),
    ],
)
def test_hostile_headers(header: str, gzip: bool, media_type: MediaType) -> None:
    """Headers far longer than API Gateway lets through get the answer of their first entries (bounded work: see
    :func:`test_only_the_first_entries_are_read`)."""
    assert accepts_gzip(header) is gzip
    assert preferred_media_type(header) is media_type


def test_media_types_are_their_wire_names() -> None:
    assert MediaType("application/json") is MediaType.JSON
    assert MediaType("text/csv") is MediaType.CSV
    assert [str(media_type) for media_type in MediaType] == ["application/json", "text/csv"]
