"""The writer's change stamps: the source's ``updatedAt`` while it is fresh and newer than the stored one, else the
writer's own; always after the stored stamp; the bound a commit must keep for the settle window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from charging_sessions.models import format_timestamp
from charging_sessions.storage.change_stamps import COMMIT_MARGIN_SECONDS, change_stamp, commit_bound, stamp_seconds

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BOUND = 3.0


def at(seconds: float) -> str:
    return format_timestamp(NOW + timedelta(seconds=seconds))


def stamp(source: float, stored: float | None = None) -> str:
    return change_stamp(at(source), None if stored is None else at(stored), now=NOW.timestamp(), fresh_within=BOUND)


def test_a_fresh_source_stamp_newer_than_the_stored_one_is_kept() -> None:
    assert stamp(-1.0) == at(-1.0)
    assert stamp(-BOUND) == at(-BOUND)
    assert stamp(-0.5, stored=-2.0) == at(-0.5)


@pytest.mark.parametrize("source", [-BOUND - 0.001, -30.0, -86_400.0 * 365])
def test_a_stale_source_stamp_is_replaced_by_the_writers(source: float) -> None:
    assert stamp(source) == at(0)


def test_a_source_stamp_ahead_of_the_writers_clock_is_not_trusted() -> None:
    assert stamp(5.0) == at(0)  # a skewed source would otherwise hold the session back from the feed


def test_a_change_with_the_stored_stamp_or_an_older_one_still_moves_forward() -> None:
    assert stamp(-1.0, stored=-1.0) == at(-0.999)  # a correction with the same stamp is a change
    assert stamp(-60.0, stored=-1.0) == at(0)
    assert stamp(0.0, stored=10.0) == at(10.001)  # never older than the stored stamp, even one ahead of the clock


def test_the_commit_bound_keeps_a_margin_inside_the_settle_window() -> None:
    assert commit_bound(5.0) == 5.0 - COMMIT_MARGIN_SECONDS
    assert commit_bound(1.0) == 0.5
    assert commit_bound(0.0) == 0.0
    assert stamp_seconds(at(1.5)) == NOW.timestamp() + 1.5
