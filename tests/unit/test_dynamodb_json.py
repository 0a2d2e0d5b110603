from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charging_sessions.storage.dynamodb_json import from_attribute, from_item, to_item

scalars = (
    st.none()
    | st.booleans()
    | st.text(max_size=10)
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), documents, max_size=6))
def test_round_trip(document: dict[str, Any]) -> None:
    # None is left out at every map level (absent, not NULL); lists keep it as NULL
    def without_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: without_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [without_none(v) for v in value]
        return value

    assert from_item(to_item(document)) == without_none(document)


def test_numbers_keep_their_type() -> None:
    assert from_item({"i": {"N": "12"}, "f": {"N": "12.5"}, "e": {"N": "1E+3"}}) == {"i": 12, "f": 12.5, "e": 1000.0}
    assert isinstance(from_attribute({"N": "3"}), int)


def test_sets_and_null() -> None:
    assert from_attribute({"SS": ["a", "b"]}) == ["a", "b"]
    assert from_attribute({"NS": ["1", "2.5"]}) == [1, 2.5]
    assert from_attribute({"NULL": True}) is None


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        from_attribute({"B": b"x"})
    with pytest.raises(TypeError):
        to_item({"x": object()})
