"""SnapStart's hooks: registered with the runtime's library when it is there, a warm-up before the snapshot that
uses no network and leaves nothing unique, secret or counted behind, and a fresh random generator after a
restore."""

from __future__ import annotations

import random
import socket
import sys
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest

from charging_sessions import snapstart
from charging_sessions.observability import metrics
from local_toolkit.harness import load_handler


@pytest.fixture
def runtime_hooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Callable[[], None]]]:
    """A stand-in for the Python runtime's ``snapshot_restore_py``, recording what is registered."""
    registered: dict[str, list[Callable[[], None]]] = {"before": [], "after": []}
    library = types.ModuleType("snapshot_restore_py")
    library.register_before_snapshot = registered["before"].append  # type: ignore[attr-defined]
    library.register_after_restore = registered["after"].append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", library)
    return registered


def test_without_the_runtime_library_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # an import of it fails
    assert snapstart.register(lambda: None) is False


def test_the_hooks_are_registered_with_the_runtime(runtime_hooks: dict[str, list[Callable[[], None]]]) -> None:
    def warm_up() -> None:
        return None

    assert snapstart.register(warm_up) is True
    assert runtime_hooks == {"before": [warm_up], "after": [snapstart.after_restore]}


def test_the_warm_up_uses_no_network_and_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    function = load_handler()

    def no_network(*_: Any, **__: Any) -> None:
        raise AssertionError("the warm-up opened a connection")

    def no_keys() -> Any:
        raise AssertionError("the warm-up fetched cursor keys")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(function.cursors, "_load_keys", no_keys)  # nothing secret in the snapshot
    monkeypatch.setattr(function.limiter, "_buckets", OrderedDict())  # as in a fresh environment
    metrics.clear_metrics()
    snapstart.warm(function.app, function.client, function.settings.table_name, function.settings.namespace_claim)
    assert metrics.metric_set == {}  # the synthetic refusal's count is not flushed by the first real request
    assert not function.limiter._buckets  # no tenant's budget in the snapshot


def test_a_restored_environment_draws_new_random_numbers() -> None:
    random.seed(7)
    before = random.getstate()
    snapstart.after_restore()
    assert random.getstate() != before
