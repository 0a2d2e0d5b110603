"""How a listing goes out over HTTP: the representation the caller negotiated (JSON or CSV, gzip or not), its own
entity tag and the 304 it allows, caching headers fit for tenant data, the next page in ``Link`` (RFC 8288) and
the total in ``X-Total-Count``; and the OpenAPI description of all of it (``docs/design.md``, "The HTTP face")."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel

from .answers import MAX_LAMBDA_RESPONSE_BYTES, Shape
from .compression import GZIP_CODING, base64_size, gzip_bytes
from .conditional import ETAG_HEADER, not_modified
from .csv_export import CSV_COLUMNS
from .http_edge import REQUEST_ID_RESPONSE_HEADERS, VARY, NotAcceptableError
from .listing import Listing
from .negotiation import MediaType, accepts_gzip, preferred_media_type
from .query import selected_fields

PAGE_CACHE_CONTROL = "private, no-cache"
"""Tenant data: no shared cache keeps it, and a client revalidates every time (what the entity tag serves)."""
TOTAL_COUNT_HEADER = "X-Total-Count"
LINK_HEADER = "Link"
GZIP_TAG_SUFFIX = "-gzip"
_HEADROOM_BYTES = 64 * 1024
"""Room left in Lambda's response for the status and headers, when a gzip body is checked against the limit."""
NOT_ACCEPTABLE_MESSAGE = "Not acceptable: header 'accept' allows neither application/json nor text/csv"


def answer_shape(accept: str | None, accept_encoding: str | None, fields: str | None) -> Shape:
    """How to write the page for these request headers and ``fields``; raises :class:`NotAcceptableError` when
    ``Accept`` allows neither media type."""
    media = preferred_media_type(accept)
    if media is None:
        raise NotAcceptableError(NOT_ACCEPTABLE_MESSAGE)
    return Shape(media=media, fields=selected_fields(fields), gzip=accepts_gzip(accept_encoding))


def gzip_tag(tag: str) -> str:
    """The entity tag of the gzip form of the representation tagged ``tag``: never equal to it, so neither
    validates the other."""
    return tag[:-1] + GZIP_TAG_SUFFIX + '"'


def request_origin(event: APIGatewayProxyEventV2) -> str:
    """The scheme, host and path the caller used (API Gateway's domain name and ``X-Forwarded-Proto``)."""
    scheme = event.headers.get("x-forwarded-proto") or "https"
    host = event.request_context.domain_name or event.headers.get("host") or "localhost"
    return f"{scheme}://{host}{event.raw_path or event.path}"


def next_link(origin: str, parameters: dict[str, str]) -> str:
    """``Link`` to the next page: ``<origin?parameters>; rel="next"``. Values are percent-encoded but for ``:``, which
    a query may hold as it is (instants stay readable); a comma is encoded, since clients often split ``Link`` on
    commas."""
    return f'<{origin}?{urlencode(parameters, quote_via=quote, safe=":")}>; rel="next"'


def page_response(listing: Listing, if_none_match: str | None, origin: str) -> Response[Any]:
    """A 200 with the listing's answer in its negotiated form, or 304 (no body) when ``If-None-Match`` holds that
    form's tag. The gzip form is sent while the answer is not tiny and fits Lambda's response compressed (it
    always does unless its sessions do not compress: then the text goes, with its own tag)."""
    answer = listing.answer
    tag = gzip_tag(listing.tag) if answer.compressible else listing.tag
    headers = {ETAG_HEADER: tag, "Cache-Control": PAGE_CACHE_CONTROL, "Vary": VARY}
    if not_modified(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    body, packed = answer.body, None
    if answer.compressible:
        packed = gzip_bytes(answer.body)
        if base64_size(len(packed)) <= MAX_LAMBDA_RESPONSE_BYTES - _HEADROOM_BYTES:
            body = base64.b64encode(packed).decode("ascii")
            headers["Content-Encoding"] = GZIP_CODING
        else:
            headers[ETAG_HEADER], packed = listing.tag, None
    headers[TOTAL_COUNT_HEADER] = str(answer.count)
    if listing.next_parameters is not None:
        headers[LINK_HEADER] = next_link(origin, listing.next_parameters)
    response: Response[Any] = Response(200, content_type=answer.content_type, body=body, headers=headers)
    # A binary body goes as Lambda carries it, in base64 text: handed over as bytes, the resolver's response
    # validation would read it as UTF-8 text first.
    response.base64_encoded = packed is not None
    return response


# ---------------------------------------------------------------- the OpenAPI description

_TAG_HEADERS: dict[str, OpenAPIResponseHeader] = {
    **REQUEST_ID_RESPONSE_HEADERS,
    ETAG_HEADER: {
        "description": (
            "Strong entity tag of this representation (a hash over the namespace, the query as validated and the "
            "body; the gzip form's ends in `-gzip`); send it back in `If-None-Match` to be answered 304 while it is "
            "unchanged."
        ),
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": f"`{PAGE_CACHE_CONTROL}`", "schema": {"type": "string"}},
}
_PAGE_HEADERS: dict[str, OpenAPIResponseHeader] = {
    **_TAG_HEADERS,
    LINK_HEADER: {
        "description": (
            '`<URL>; rel="next"`: the next page (the same filters, ranges, sort, `take` and `fields`, at '
            "`nextCursor`, or at `nextSkip` when the page has no cursor); absent on the last page."
        ),
        "schema": {"type": "string"},
    },
    TOTAL_COUNT_HEADER: {"description": "`count`: the sessions that match, all pages.", "schema": {"type": "integer"}},
    "Content-Encoding": {
        "description": "`gzip` when `Accept-Encoding` allows it and the answer is 1 KiB or more.",
        "schema": {"type": "string"},
    },
}
_CSV_SCHEMA = {
    "type": "string",
    "description": (
        "RFC 4180 CSV (CRLF, a header row) with the columns " + ", ".join(f"`{c}`" for c in CSV_COLUMNS) + " (or "
        "those of `fields`); a text cell that begins with `=`, `+`, `-`, `@`, a tab or CR is written with a "
        "leading `'`, so no spreadsheet runs it as a formula."
    ),
}


def page_responses(model: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route answered by :func:`page_response`: 200 with ``model`` (or CSV) and the
    page's headers, 304 with the tag alone."""
    ok: OpenAPIResponse = {
        "description": "Response for status ok",
        "headers": _PAGE_HEADERS,
        "content": {
            MediaType.JSON.value: {"model": model},
            MediaType.CSV.value: {"schema": _CSV_SCHEMA},
        },
    }
    not_modified_response: OpenAPIResponse = {
        "description": (
            "Not modified: `If-None-Match` holds the entity tag of the representation this request would get (or "
            "`*`); no body, the tag and caching headers only"
        ),
        "headers": _TAG_HEADERS,
        "content": {},  # without it Powertools would document the route's return type; the document drops it
    }
    return {200: ok, 304: not_modified_response}
