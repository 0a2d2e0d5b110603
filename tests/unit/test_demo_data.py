from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from types import GeneratorType
from typing import Any

import pytest

from charging_sessions.models import ChargingSession, DayOfWeek, StopReason
from local_toolkit.demo_data import (
    DEFAULT_NAMESPACES,
    generate_session_list,
    generate_sessions,
    namespace_suffix,
)


@pytest.fixture(scope="module")
def sessions() -> list[dict[str, Any]]:
    return generate_session_list()


@pytest.fixture(scope="module")
def many() -> list[dict[str, Any]]:
    return generate_session_list(per_namespace=1500, seed=11)


def of(sessions: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    return [s for s in sessions if s["namespaceId"] == namespace]


def test_defaults(sessions: list[dict[str, Any]]) -> None:
    assert len(sessions) == 3 * 40
    assert Counter(s["namespaceId"] for s in sessions) == dict.fromkeys(DEFAULT_NAMESPACES, 40)


def test_every_session_validates_and_is_already_in_wire_form(
    sessions: list[dict[str, Any]], many: list[dict[str, Any]]
) -> None:
    for session in sessions + many:
        model = ChargingSession.model_validate(session)
        assert model.model_dump(mode="json", exclude_none=True) == session
        assert json.loads(json.dumps(session)) == session


def test_lazy_and_checks_arguments_at_the_call() -> None:
    generated = generate_sessions(per_namespace=300_000)
    assert isinstance(generated, GeneratorType)
    assert next(generated)["namespaceId"] == "tenant-alpha"
    with pytest.raises(ValueError, match="negative"):
        generate_sessions(per_namespace=-1)
    with pytest.raises(ValueError, match="time zone"):
        generate_sessions(start=datetime(2026, 1, 1))
    with pytest.raises(TypeError):
        generate_sessions(namespaces="tenant-alpha")


def test_reproducible(sessions: list[dict[str, Any]]) -> None:
    assert generate_session_list() == sessions
    assert generate_session_list(seed=7) == sessions
    other = generate_session_list(seed=8)
    assert [s["id"] for s in other] != [s["id"] for s in sessions]
    assert not {s["id"] for s in other} & {s["id"] for s in sessions}


def test_namespaces_are_independent(sessions: list[dict[str, Any]]) -> None:
    alone = generate_session_list(namespaces=["tenant-beta"])
    assert alone == of(sessions, "tenant-beta")
    more = generate_session_list(
        namespaces=["tenant-zeta", "tenant-beta", "tenant-alpha"], per_namespace={"tenant-zeta": 500}
    )
    assert of(more, "tenant-beta") == of(sessions, "tenant-beta")
    assert of(more, "tenant-alpha") == of(sessions, "tenant-alpha")
    assert len(of(more, "tenant-zeta")) == 500


def test_per_namespace_mapping_and_empty() -> None:
    generated = generate_session_list(
        per_namespace={"tenant-alpha": 3, "tenant-beta": 0}, namespaces=DEFAULT_NAMESPACES
    )
    assert Counter(s["namespaceId"] for s in generated) == {"tenant-alpha": 3, "tenant-gamma": 40}
    assert generate_session_list(per_namespace=0) == []
    single = generate_session_list(per_namespace=1)
    assert [s["status"] for s in single] == ["Stopped"] * 3


def test_ids_are_unique(many: list[dict[str, Any]]) -> None:
    assert len({s["id"] for s in many}) == len(many)
    assert len({s["chargingIntentId"] for s in many}) == len(many)
    for namespace in DEFAULT_NAMESPACES:
        transactions = [s["transactionId"] for s in of(many, namespace)]
        assert all(t > 0 for t in transactions)
        assert transactions == sorted(set(transactions))


def test_ordered_by_created_at_with_ties(sessions: list[dict[str, Any]], many: list[dict[str, Any]]) -> None:
    for data in (sessions, many):
        for namespace in DEFAULT_NAMESPACES:
            created = [s["createdAt"] for s in of(data, namespace)]
            assert created == sorted(created)
    ties = [s["createdAt"] for s in many]
    share = (len(ties) - len(set(ties))) / len(ties)
    assert 0.01 < share < 0.06
    for namespace in DEFAULT_NAMESPACES:
        for seed in (7, 8, 9):
            created = [s["createdAt"] for s in generate_session_list(namespaces=[namespace], seed=seed)]
            assert len(set(created)) < len(created), (namespace, seed)
    assert [s["createdAt"] for s in generate_session_list(per_namespace=2)][1::2] == ["2026-01-01T00:00:00.000Z"] * 3
    assert sessions[0]["createdAt"] == "2026-01-01T00:00:00.000Z"
    later = generate_session_list(namespaces=["tenant-alpha"], per_namespace=1, start=datetime(2027, 5, 6, tzinfo=UTC))
    assert later[0]["createdAt"] == "2027-05-06T00:00:00.000Z"


def test_demo_user_and_charger_exist_in_alpha(sessions: list[dict[str, Any]]) -> None:
    alpha = of(sessions, "tenant-alpha")
    assert any(s["userId"] == "user-alpha-01" and s["status"] == "Stopped" for s in alpha if "userId" in s)
    assert any(s["chargerId"] == "charger-alpha-01" and s["status"] == "Stopped" for s in alpha)
    for seed in range(5):
        first = generate_session_list(namespaces=["tenant-alpha"], per_namespace=2, seed=seed)[0]
        assert (first["userId"], first["chargerId"], first["status"]) == (
            "user-alpha-01",
            "charger-alpha-01",
            "Stopped",
        )


def test_ids_follow_the_namespace(sessions: list[dict[str, Any]]) -> None:
    assert namespace_suffix("tenant-alpha") == "alpha"
    assert namespace_suffix("acme") == "acme"
    assert namespace_suffix("tenant-") == "tenant-"
    for session in sessions:
        suffix = namespace_suffix(session["namespaceId"])
        assert session["chargerId"].startswith(f"charger-{suffix}-")
        assert session.get("userId", f"user-{suffix}-").startswith(f"user-{suffix}-")
    plain = generate_session_list(namespaces=["acme"], per_namespace=5)
    assert plain[0]["userId"] == "user-acme-01"
    assert plain[0]["chargerId"] == "charger-acme-01"


def test_variety(sessions: list[dict[str, Any]], many: list[dict[str, Any]]) -> None:
    for data in (sessions, many):
        statuses = Counter(s["status"] for s in data)
        assert 0.04 <= statuses["Started"] / len(data) <= 0.12
        for key in ("userId", "tariff", "note", "locationId", "lastMeteredAtTimestamp"):
            assert any(key in s for s in data), key
            assert any(key not in s for s in data), key
    assert 0.80 < sum("userId" in s for s in many) / len(many) < 0.90
    assert 0.55 < sum("tariff" in s for s in many) / len(many) < 0.65
    intents = [s["chargingIntent"] for s in many]
    for key in ("details", "chargingSessionId", "connectorId"):
        assert any(key in i for i in intents), key
        assert any(key not in i for i in intents), key
    assert {i["startType"] for i in intents} == {"Remote", "Local"}
    reasons = Counter(s["stoppedReason"] for s in many if "stoppedReason" in s)
    assert reasons.most_common(1)[0][0] == StopReason.EV_DISCONNECTED
    assert {reason for reason, _ in reasons.most_common(3)} == {"EVDisconnected", "Local", "Remote"}
    assert len(reasons) > 3
    assert {s["connectorId"] for s in many} == {1, 2}


def test_status_fields(many: list[dict[str, Any]]) -> None:
    for s in many:
        stopped = s["status"] == "Stopped"
        for key in ("stoppedAtTimestamp", "stoppedAtEnergy", "stoppedReason"):
            assert (key in s) == stopped
        assert s["updatedAt"] >= s["createdAt"]
        assert s["startedAtTimestamp"] <= s["createdAt"]
        if stopped:
            assert s["stoppedAtTimestamp"] >= s["startedAtTimestamp"]
            assert s["stoppedAtEnergy"] >= s["startedAtEnergy"]
            assert s["energy"] == round((s["stoppedAtEnergy"] - s["startedAtEnergy"]) / 1000, 3)
        if "lastMeteredAtTimestamp" in s:
            assert s["lastMeteredAtTimestamp"] >= s["startedAtTimestamp"]
            assert s["startedAtEnergy"] <= s["lastMeteredAtEnergy"] <= s.get("stoppedAtEnergy", float("inf"))
        intent = s["chargingIntent"]
        assert intent["id"] == s["chargingIntentId"]
        assert intent["idTag"] == s["idTag"]
        assert len(s["idTag"]) <= 20
        assert intent["chargerId"] == s["chargerId"]
        assert intent.get("userId") == s.get("userId")
        assert intent.get("chargingSessionId", s["id"]) == s["id"]
        assert intent["createdAt"] <= intent["updatedAt"] <= s["createdAt"]


def test_started_sessions_are_the_newest_of_their_connector(many: list[dict[str, Any]]) -> None:
    for namespace in DEFAULT_NAMESPACES:
        started: set[tuple[str, int]] = set()
        for s in of(many, namespace):
            connector = (s["chargerId"], s["connectorId"])
            if s["status"] == "Started":
                started.add(connector)
            else:
                assert connector not in started, "a Stopped session after a Started one on the same connector"
        assert of(many, namespace)[-1]["status"] == "Started"


def test_meter_increases_per_charger(many: list[dict[str, Any]]) -> None:
    last: dict[str, float] = {}
    for s in many:
        key = f"{s['namespaceId']}/{s['chargerId']}"
        assert s["startedAtEnergy"] >= last.get(key, 0.0)
        last[key] = s.get("stoppedAtEnergy", s.get("lastMeteredAtEnergy", s["startedAtEnergy"]))


def test_tariffs(many: list[dict[str, Any]]) -> None:
    tariffs = [s["tariff"] for s in many if "tariff" in s]
    element_counts = {len(t["elements"]) for t in tariffs}
    assert element_counts <= {1, 2, 3}
    assert len(element_counts) > 1
    restrictions = [e["restrictions"] for t in tariffs for e in t["elements"] if "restrictions" in e]
    assert any("startTime" in r and "endTime" in r for r in restrictions)
    assert any("daysOfWeek" in r for r in restrictions)
    for t in tariffs:
        assert t["timeZone"].startswith("Europe/")
        assert t.get("altUrl", "https://").startswith("https://")
        assert all(text["language"] for text in t.get("altTexts", []))
        for element in t["elements"]:
            assert len(element["id"]) == 21
            assert len(element["name"]) <= 64
            assert len(element["backgroundColor"]) <= 12
            for day in element.get("restrictions", {}).get("daysOfWeek", []):
                assert day in set(DayOfWeek)
    for key in ("minPrice", "maxPrice", "altTexts", "altUrl"):
        assert any(key in t for t in tariffs), key
        assert any(key not in t for t in tariffs), key


def test_prices_follow_energy_and_tariff(many: list[dict[str, Any]]) -> None:
    for s in many:
        price = float(s["price"])
        assert s["price"] == f"{price:.2f}"
        tariff = s.get("tariff")
        if tariff is None:
            assert price <= s["energy"] * 0.5 + 0.01
            continue
        rates = [float(e["priceComponents"].get("PerKilowattHour", 0)) for e in tariff["elements"]]
        low = min(r for r in rates if r) * s["energy"]
        if "maxPrice" in tariff:
            low = min(low, float(tariff["maxPrice"]))
        assert price >= low - 0.01


def test_no_shared_mutable_state(sessions: list[dict[str, Any]]) -> None:
    fresh = generate_session_list()
    with_tariff = [s for s in fresh if "tariff" in s]
    assert with_tariff[0]["tariff"] is not with_tariff[1]["tariff"]
    for s in with_tariff:
        s["tariff"]["elements"].clear()
    assert generate_session_list() == sessions


def test_timestamps_are_canonical(many: list[dict[str, Any]]) -> None:
    for s in many[:300]:
        for key in ("createdAt", "updatedAt", "startedAtTimestamp"):
            value = s[key]
            assert len(value) == 24
            assert value.endswith("Z")
            assert value[19] == "."
            assert datetime.fromisoformat(value).tzinfo is not None
