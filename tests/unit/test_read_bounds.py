"""How a page read decides when to call DynamoDB again, on scripted answers: filtered reads ask for what the share
matched so far needs, and the read stops once the items it holds (not the entries it passed over) exceed one
answer."""

from __future__ import annotations

from typing import Any

import pytest

from charging_sessions.query import SessionQuery
from charging_sessions.storage.items import session_item
from charging_sessions.storage.plan import next_limit
from charging_sessions.storage.positions import Resume
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.view_calls import MEGABYTES_HELD_PER_ANSWER, READ_BUDGET_UNITS
from charging_sessions.storage.write_limits import stored_document
from charging_sessions.time_range import TimeRange
from tests.factories import make_session


class ScriptedDynamoDB:
    """A view as DynamoDB pages it: ``matches`` says which entries pass the filter, ``per_megabyte`` how many
    entries fill 1 MB. A Query passes over ``Limit`` entries or 1 MB of them, whichever comes first."""

    def __init__(self, matches: list[bool], per_megabyte: int, units_per_entry: float = 0.0) -> None:
        self.matches, self.per_megabyte, self.units_per_entry = matches, per_megabyte, units_per_entry
        self.position = 0
        self.limits: list[int] = []
        self.units = 0.0
        """Read units the page's calls consumed (reported only when ``units_per_entry`` is set)."""

    def query(self, **request: Any) -> dict[str, Any]:
        if request.get("Select") == "COUNT":  # the range's count: every entry that matches
            return {"Count": sum(self.matches), "ScannedCount": len(self.matches)}
        limit = int(request["Limit"])
        self.limits.append(limit)
        passed = self.matches[self.position : self.position + min(limit, self.per_megabyte)]
        items = [
            session_item(stored_document(make_session(minute=10**6 - self.position - offset)), 1)
            for offset, matched in enumerate(passed)
            if matched
        ]
        self.position += len(passed)
        answer: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(passed)}
        if self.units_per_entry:
            units = len(passed) * self.units_per_entry
            self.units += units
            answer["ConsumedCapacity"] = {"TableName": "sessions", "CapacityUnits": units}
        if self.position < len(self.matches):
            answer["LastEvaluatedKey"] = {"pk": {"S": "tenant-alpha"}, "sk": {"S": str(self.position)}}
        return answer


UPDATED = SessionQuery(updated=TimeRange("2026-01-01T00:00:00.000Z", None))
"""An updated range in the default order: a filter on the createdAt view."""


def read(
    matches: list[bool], per_megabyte: int, take: int, units_per_entry: float = 0.0
) -> tuple[Any, ScriptedDynamoDB]:
    client = ScriptedDynamoDB(matches, per_megabyte, units_per_entry)
    reader = SessionReader(client, "sessions", settle_seconds=5.0)  # type: ignore[arg-type]
    return reader.read_page("tenant-alpha", UPDATED, take=take), client


@pytest.mark.parametrize(
    ("needed", "scanned", "matched", "limit"),
    [(51, 0, 0, 51), (51, 51, 51, 51), (51, 51, 0, 2601), (10, 400, 4, 1000), (51, 10**6, 0, 10_000)],
)
def test_the_next_limit_follows_the_share_that_matched(needed: int, scanned: int, matched: int, limit: int) -> None:
    assert next_limit(needed, scanned, matched) == limit


def test_a_selective_filter_over_many_megabytes_still_fills_its_page() -> None:
    """One entry in 500 matches, 500 entries fill 1 MB: a page of 10 passes over 11 MB but holds a few KB, so it
    is read whole (counting every 1 MB call as held would have cut it after six), in a dozen calls, not 500."""
    matches = [index % 500 == 499 for index in range(8_000)]
    page, client = read(matches, per_megabyte=500, take=10)
    assert len(page.sessions) == 10
    assert (page.read_cut, page.more) == (False, True)
    assert client.limits[0] == 11
    assert len(client.limits) <= 15
    assert client.position <= 6_000  # what the page needs (5,500 entries) and at most one call more


def test_the_read_stops_once_the_items_it_holds_exceed_one_answer() -> None:
    """Every entry matches and 20 fill 1 MB: take=1000 stops after six calls that each ended at 1 MB."""
    page, client = read([True] * 400, per_megabyte=20, take=1000)
    assert (page.read_cut, page.more) == (True, True)
    assert len(client.limits) == MEGABYTES_HELD_PER_ANSWER
    assert len(page.sessions) == 20 * MEGABYTES_HELD_PER_ANSWER


def test_a_read_spends_at_most_its_budget_on_entries_its_filter_drops_and_resumes_past_them() -> None:
    """One entry in 500 matches, 500 entries fill 1 MB (128 read units): a page of 10 would pass over 11 MB. The
    read stops once the dropped entries cost more than READ_BUDGET_UNITS; the page is shorter, says so, and resumes
    after the last entry passed over, so the next page (a feed poll's too) starts further on, not again."""
    matches = [index % 500 == 499 for index in range(8_000)]
    page, client = read(matches, per_megabyte=500, take=10, units_per_entry=128 / 500)
    assert (page.budget_cut, page.more, page.read_cut) == (True, True, False)
    assert len(page.sessions) < 10
    assert READ_BUDGET_UNITS < client.units <= READ_BUDGET_UNITS + 128  # at most one 1 MB call past the budget
    assert page.resume == Resume(after={"sk": str(client.position)})


def test_without_reported_capacity_the_budget_never_cuts() -> None:
    matches = [index % 500 == 499 for index in range(8_000)]
    page, _ = read(matches, per_megabyte=500, take=10)
    assert (page.budget_cut, len(page.sessions)) == (False, 10)


def test_a_range_whose_count_is_zero_reads_no_page() -> None:
    page, client = read([False] * 8_000, per_megabyte=500, take=10)
    assert (page.sessions, page.count, page.more) == ([], 0, False)
    assert client.limits == []  # the count alone: no Query of the page


def test_a_read_stops_once_it_holds_every_entry_the_range_counted() -> None:
    """Five matches at the head of 8,000 entries: the read stops once it holds them, instead of passing over the
    rest of the view to learn that nothing follows."""
    matches = [index < 5 for index in range(8_000)]
    page, client = read(matches, per_megabyte=500, take=10)
    assert (len(page.sessions), page.more, page.count) == (5, False, 5)
    assert client.position <= 500  # one call, not sixteen
