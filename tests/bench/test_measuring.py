"""Own time subtracts the time at least one DynamoDB call was in flight, counting overlapping calls once."""

from __future__ import annotations

from bench.measuring import Action, repeat, repeat_interleaved, time_in_spans


def test_overlapping_spans_are_counted_once_and_gaps_not_at_all() -> None:
    assert time_in_spans([(0.0, 4.0), (1.0, 3.0), (3.5, 6.0), (8.0, 9.0)]) == 7.0
    assert time_in_spans([(2.0, 3.0), (0.0, 1.0)]) == 2.0  # any order
    assert time_in_spans([]) == 0.0


class _NoCalls:
    """A meter that saw no DynamoDB call."""

    def take(self) -> list[object]:
        return []


def test_interleaved_actions_run_in_turn_each_repetition() -> None:
    order: list[str] = []

    def action(name: str, wall: float) -> Action:
        def once() -> tuple[float, list[str], int]:
            order.append(name)
            return wall, [name], 1

        return once

    measured = repeat_interleaved(
        {"a": action("a", 0.002), "b": action("b", 0.001)},
        _NoCalls(),
        repetitions=3,
        min_repetitions=1,
        budget_seconds=60.0,
    )
    assert order == ["a", "b"] * 3
    assert measured["a"].walls == [0.002] * 3 and measured["b"].walls == [0.001] * 3
    assert measured["a"].ids == ["a"] and measured["b"].dynamodb == [0.0] * 3


def test_a_spent_budget_stops_after_the_minimum_repetitions() -> None:
    runs: list[int] = []

    def once() -> tuple[float, list[str], int]:
        runs.append(1)
        return 0.0, [], 0

    measured = repeat(once, _NoCalls(), repetitions=10, min_repetitions=2, budget_seconds=0.0)
    assert len(runs) == 2 and len(measured.walls) == 2
