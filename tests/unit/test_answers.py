"""The 200 body is built from pieces (each session serialized once): it must be exactly what the response
model serializes, and the budget must count what Lambda's runtime will send."""

from __future__ import annotations

import json
import random
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charging_sessions.answers import DEFAULT_BUDGET_BYTES, Answer, Shape, encoded_size, fit_page, render
from charging_sessions.compression import MAX_ENCODED_BYTES_PER_CHAR, base64_size, gzip_bytes, surely_fits
from charging_sessions.models import ChargingSession, ListChargingSessionsResponse, dump_json
from charging_sessions.negotiation import MediaType
from charging_sessions.storage.metering import ReadStats
from charging_sessions.storage.positions import Resume
from charging_sessions.storage.reader import SessionPage
from tests.factories import make_session


def page_of(count: int, **overrides: Any) -> SessionPage:
    sessions = [ChargingSession.model_validate(make_session(minute=i, **overrides)) for i in range(count)]
    return SessionPage(
        sessions, count=40, view="namespace", stats=ReadStats(), entries=count, positions=list(range(count)), more=True
    )


def answer_of(page: SessionPage, *, skip: int, budget: int = DEFAULT_BUDGET_BYTES) -> Answer:
    """The answer to a page read at offset ``skip``: fitted to ``budget``, rendered with the page's count."""
    return render(fit_page(page, skip=skip, budget=budget), count=page.count)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_body_is_what_the_response_model_serializes(count: int) -> None:
    page = page_of(count, note='quotes " and \\ and é €')
    answer = answer_of(page, skip=5)
    model = ListChargingSessionsResponse(chargingSessions=page.sessions, count=page.count, nextSkip=5 + count)
    assert answer.body == dump_json(model)
    last = SessionPage(
        page.sessions,
        count=count,
        view="namespace",
        stats=ReadStats(),
        entries=count,
        positions=list(range(count)),
        more=False,
    )
    assert answer_of(last, skip=0).body == dump_json(
        ListChargingSessionsResponse(chargingSessions=page.sessions, count=count)
    )


def test_the_budget_counts_the_runtime_escaping() -> None:
    text = '"\\€'
    assert encoded_size(text) == len(json.dumps(text)) == 2 + 2 + 2 + 6


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6), st.integers(min_value=0, max_value=3_000))
def test_a_page_said_to_surely_fit_fits_as_measured(pieces: list[str], budget: int) -> None:
    """The one-sum bound never admits what measuring piece by piece would cut: every character escaped at its
    worst (control characters, quotes, astral code points) stays within it."""
    measured = sum(len(json.dumps(piece)) + 1 for piece in pieces)
    assert all(encoded_size(piece) <= MAX_ENCODED_BYTES_PER_CHAR * len(piece) + 2 for piece in pieces)
    if surely_fits(pieces, budget):
        assert measured <= budget


def test_the_worst_character_takes_the_bound() -> None:
    assert encoded_size("\U0001f600") == 2 + MAX_ENCODED_BYTES_PER_CHAR  # a surrogate pair of escapes
    assert not surely_fits(["\U0001f600"], 2 + MAX_ENCODED_BYTES_PER_CHAR)
    assert surely_fits(["\U0001f600"], 3 + MAX_ENCODED_BYTES_PER_CHAR)


def test_a_page_ends_before_the_session_that_would_pass_the_budget() -> None:
    page = page_of(5, note="n" * 1000)
    one = encoded_size(page.sessions[0].model_dump_json(exclude_none=True)) + 1
    answer = answer_of(page, skip=10, budget=2 * one + one // 2)
    assert (answer.returned, answer.next_skip, answer.cut) == (2, 12, True)
    assert len(json.loads(answer.body)["chargingSessions"]) == 2
    assert answer_of(page, skip=10, budget=1).returned == 1  # one session always goes: a walk always moves on


def test_a_cut_resumes_after_entries_left_out_before_it() -> None:
    page = page_of(3, note="n" * 1000)
    page.positions = [0, 2, 4]  # two invalid entries were left out between them
    page.entries = 5
    one = encoded_size(page.sessions[0].model_dump_json(exclude_none=True)) + 1
    answer = answer_of(page, skip=0, budget=one + one // 2)
    assert (answer.returned, answer.next_skip) == (1, 2)


def test_the_cursor_is_part_of_the_model_envelope() -> None:
    page = page_of(2, note='a "quoted" note')
    answer = render(fit_page(page, skip=0, offset_paging=False), count=page.count, next_cursor="abc.def")
    model = ListChargingSessionsResponse(chargingSessions=page.sessions, count=page.count, nextCursor="abc.def")
    assert answer.body == dump_json(model)
    assert (answer.returned, answer.next_skip, answer.next_cursor, answer.cut) == (2, None, "abc.def", False)


def test_a_cut_resumes_a_cursor_after_the_last_entry_that_fit() -> None:
    page = page_of(3, note="n" * 1000)
    page.entry_positions = [{"sk": f"entry-{index}"} for index in range(3)]
    page.resume = Resume(after={"sk": "entry-2"})
    one = encoded_size(page.sessions[0].model_dump_json(exclude_none=True)) + 1
    fitted = fit_page(page, skip=0, offset_paging=False, budget=2 * one)
    assert (len(fitted.pieces), fitted.next_skip, fitted.cut) == (2, None, True)
    assert fitted.resume == Resume(after={"sk": "entry-1"})  # the page's own resume point is past the cut
    whole = fit_page(page, skip=0)
    assert (len(whole.pieces), whole.next_skip, whole.resume, whole.cut) == (3, 3, page.resume, False)


def test_a_read_cut_marks_the_answer_cut() -> None:
    page = page_of(1)
    page.read_cut = True
    assert fit_page(page, skip=0).cut
    assert render(fit_page(page, skip=0), count=page.count).cut


# ---------------------------------------------------------------- the budget as sent: gzip, fields, CSV


def test_a_gzip_page_is_fitted_on_its_compressed_size() -> None:
    """Session JSON compresses several times over: where the text budget cuts a page, the gzip budget (base64,
    as Lambda carries it) holds more, and the gzip body of what it holds does fit."""
    page = page_of(40, note="repetitive " * 300)
    one = encoded_size(page.sessions[0].model_dump_json(exclude_none=True)) + 1
    budget = 10 * one
    plain = render(fit_page(page, skip=0, budget=budget), count=page.count)
    packed_shape = Shape(gzip=True)
    packed = render(fit_page(page, skip=0, budget=budget, shape=packed_shape), count=page.count, shape=packed_shape)
    assert plain.returned == 10  # the text budget
    assert packed.returned == 40 and packed.compressible
    assert base64_size(len(gzip_bytes(packed.body))) <= budget


@pytest.mark.parametrize("alphabet", [string.hexdigits, string.ascii_letters + string.digits, string.printable])
def test_what_goes_out_fits_however_well_it_compresses(alphabet: str) -> None:
    """Random text barely compresses, and base64 makes a gzip body a third larger than its bytes: the gzip page is
    fitted on that size, so its gzip body fits the budget even when it holds fewer sessions than the text would."""
    rng = random.Random(7)  # noqa: S311 - test data, not a secret
    sessions = [
        ChargingSession.model_validate(make_session(minute=i, note="".join(rng.choices(alphabet, k=6000))))
        for i in range(12)
    ]
    page = SessionPage(
        sessions, count=12, view="namespace", stats=ReadStats(), entries=12, positions=list(range(12)), more=True
    )
    budget = 5 * (encoded_size(sessions[0].model_dump_json(exclude_none=True)) + 1)
    shape = Shape(gzip=True)
    answer = render(fit_page(page, skip=0, budget=budget, shape=shape), count=12, shape=shape)
    assert answer.compressible and answer.cut
    assert base64_size(len(gzip_bytes(answer.body))) <= budget + 512  # the envelope's few hundred bytes aside


def test_fields_are_fitted_on_what_is_sent() -> None:
    page = page_of(20, note="n" * 2000)
    one = encoded_size(page.sessions[0].model_dump_json(exclude_none=True)) + 1
    full = fit_page(page, skip=0, budget=3 * one)
    light_shape = Shape(fields=frozenset({"id", "status"}))
    light = fit_page(page, skip=0, budget=3 * one, shape=light_shape)
    assert len(full.pieces) == 3
    assert len(light.pieces) == 20  # without the long note, every session fits
    assert json.loads(light.pieces[0]) == {"id": page.sessions[0].id, "status": page.sessions[0].status}


def test_a_csv_body_is_a_header_and_one_record_a_session() -> None:
    page = page_of(3)
    shape = Shape(media=MediaType.CSV)
    answer = render(fit_page(page, skip=0, shape=shape), count=page.count, shape=shape)
    lines = answer.body.split("\r\n")
    assert lines[0].startswith("id,status,") and lines[-1] == "" and len(lines) == 5
    assert answer.content_type.startswith("text/csv") and not answer.compressible


@settings(max_examples=500, deadline=None)
@given(st.text() | st.text(alphabet=st.sampled_from('ab"\\\n\r\t\x00\x1f\x7f é€😀')))
def test_the_counted_size_is_the_encoded_size(text: str) -> None:
    assert encoded_size(text) == len(json.dumps(text))
