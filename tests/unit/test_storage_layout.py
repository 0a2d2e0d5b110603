from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charging_sessions import storage_layout as keys

parts = st.text(alphabet=st.sampled_from("a#%2-3_é\x00"), min_size=1, max_size=8) | st.text(min_size=1, max_size=12)


@given(st.lists(parts, min_size=1, max_size=4), st.lists(parts, min_size=1, max_size=4))
def test_joined_keys_are_equal_only_when_their_parts_are(left: list[str], right: list[str]) -> None:
    assert (keys.join(*left) == keys.join(*right)) == (left == right)


@given(parts)
def test_escape_round_trips_and_removes_the_delimiter(part: str) -> None:
    escaped = keys.escape(part)
    assert keys.SEP not in escaped
    assert keys.unescape(escaped) == part


def test_a_namespace_cannot_impersonate_another_with_the_delimiter() -> None:
    assert keys.BY_USER.partition_key("a#b", "c", None, None) != keys.BY_USER.partition_key("a", "b#c", None, None)
    assert keys.namespace_pk("a") != keys.counter_pk("a")
    assert keys.namespace_pk("a#count") != keys.counter_pk("a")


@pytest.mark.parametrize(
    ("user", "charger", "status", "view"),
    [
        (None, None, None, keys.NAMESPACE),
        (None, None, "Started", keys.BY_STATUS),
        ("u", None, None, keys.BY_USER),
        ("u", None, "Stopped", keys.BY_USER_STATUS),
        (None, "c", None, keys.BY_CHARGER),
        (None, "c", "Started", keys.BY_CHARGER_STATUS),
        ("u", "c", None, keys.BY_USER_CHARGER),
        ("u", "c", "Started", keys.BY_USER_CHARGER_STATUS),
    ],
)
def test_each_filter_combination_has_its_own_view(
    user: str | None, charger: str | None, status: str | None, view: keys.View
) -> None:
    assert keys.choose_view(user, charger, status) == view


def test_counter_sort_keys_are_distinct_per_view_and_value() -> None:
    sks = {
        view.counter_sk(user, charger, status)
        for view in keys.VIEWS
        for user in ("u", "u#status#Started")
        for charger in ("c",)
        for status in ("Started", "Stopped")
    }
    # 1 namespace + 2 status + 2 users + 4 user+status + 1 charger + 2 charger+status
    # + 2 user+charger + 4 user+charger+status
    assert len(sks) == 18
