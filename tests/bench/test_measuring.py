"""Own time subtracts the time at least one DynamoDB call was in flight, counting overlapping calls once."""

from __future__ import annotations

from bench.measuring import time_in_spans


def test_overlapping_spans_are_counted_once_and_gaps_not_at_all() -> None:
    assert time_in_spans([(0.0, 4.0), (1.0, 3.0), (3.5, 6.0), (8.0, 9.0)]) == 7.0
    assert time_in_spans([(2.0, 3.0), (0.0, 1.0)]) == 2.0  # any order
    assert time_in_spans([]) == 0.0
