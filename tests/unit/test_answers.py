"""The 200 body is built from pieces (each session serialized once): it must be exactly what the response
model serializes, and the budget must count what Lambda's runtime will send."""

from __future__ import annotations

import json
from typing import Any

import pytest

from charging_sessions.answers import encoded_size, list_answer
from charging_sessions.models import ChargingSession, ListChargingSessionsResponse, dump_json
from charging_sessions.reader import SessionPage
from tests.factories import make_session


def page_of(count: int, **overrides: Any) -> SessionPage:
    sessions = [ChargingSession.model_validate(make_session(minute=i, **overrides)) for i in range(count)]
    return SessionPage(sessions, count=40, entries=count, positions=list(range(count)), more=True)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_body_is_what_the_response_model_serializes(count: int) -> None:
    page = page_of(count, note='quotes " and \\ and é €')
    answer = list_answer(page, skip=5)
    model = ListChargingSessionsResponse(chargingSessions=page.sessions, count=page.count, nextSkip=5 + count)
    assert answer.body == dump_json(model)
    last = SessionPage(page.sessions, count=count, entries=count, positions=list(range(count)), more=False)
    assert list_answer(last, skip=0).body == dump_json(
        ListChargingSessionsResponse(chargingSessions=page.sessions, count=count)
    )


def test_the_budget_counts_the_runtime_escaping() -> None:
    text = '"\\€'
    assert encoded_size(text) == len(json.dumps(text)) == 2 + 2 + 2 + 6


def test_a_page_ends_before_the_session_that_would_pass_the_budget() -> None:
    page = page_of(5, note="n" * 1000)
    one = encoded_size(page.sessions[0].model_dump_json(exclude_none=True)) + 1
    answer = list_answer(page, skip=10, budget=2 * one + one // 2)
    assert (answer.returned, answer.next_skip, answer.cut) == (2, 12, True)
    assert len(json.loads(answer.body)["chargingSessions"]) == 2
    assert list_answer(page, skip=10, budget=1).returned == 1  # one session always goes: a walk always moves on


def test_a_cut_resumes_after_entries_left_out_before_it() -> None:
    page = page_of(3, note="n" * 1000)
    page.positions = [0, 2, 4]  # two invalid entries were left out between them
    page.entries = 5
    one = encoded_size(page.sessions[0].model_dump_json(exclude_none=True)) + 1
    answer = list_answer(page, skip=0, budget=one + one // 2)
    assert (answer.returned, answer.next_skip) == (1, 2)
