"""The write contract beyond put's happy path: delete, recount confined to its partition, contention, what put
refuses or keeps, a corrected createdAt, and the write limits."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from charging_sessions.query import SessionFilter, SessionQuery
from charging_sessions.storage.counter_check import CounterChecker
from charging_sessions.storage.items import session_item
from charging_sessions.storage.keys import session_key
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.write_limits import MAX_NOTE_BYTES, SessionRefusedError
from charging_sessions.storage.writer import (
    ConcurrentWriteError,
    DeleteOutcome,
    PutOutcome,
    SessionWriter,
)
from tests.conftest import TABLE
from tests.factories import make_session


def counted(reader: SessionReader, **filters: str) -> int:
    return reader.read_page("tenant-alpha", SessionQuery(SessionFilter(**filters)), take=0).count


def listed(reader: SessionReader, **filters: str) -> list[str]:
    return [s.id for s in reader.read_page("tenant-alpha", SessionQuery(SessionFilter(**filters)), take=100).sessions]


def test_delete_keeps_every_counter_exact_and_is_idempotent(reader: SessionReader, writer: SessionWriter) -> None:
    sessions = [make_session(minute=i, user="u1", charger="c1") for i in range(3)]
    for session in sessions:
        writer.put(session)
    assert writer.delete("tenant-alpha", sessions[1]["id"]) is DeleteOutcome.DELETED
    assert writer.delete("tenant-alpha", sessions[1]["id"]) is DeleteOutcome.ABSENT
    assert writer.delete("tenant-alpha", "never-stored") is DeleteOutcome.ABSENT
    assert listed(reader) == [sessions[2]["id"], sessions[0]["id"]]
    for filters in ({}, {"user_id": "u1"}, {"charger_id": "c1"}, {"user_id": "u1", "charger_id": "c1"}):
        assert counted(reader, **filters) == 2, filters
    assert counted(reader, status="Stopped") == 2


def test_a_corrected_created_at_moves_the_session_instead_of_listing_it_twice(
    reader: SessionReader, writer: SessionWriter
) -> None:
    original = make_session(minute=5, user="u1")
    writer.put(original)
    corrected = {**original, "createdAt": "2026-01-01T00:01:00.000Z", "updatedAt": "2026-02-01T00:00:00.000Z"}
    assert writer.put(corrected) is PutOutcome.UPDATED
    page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), take=10)
    assert [(s.id, s.createdAt) for s in page.sessions] == [(original["id"], corrected["createdAt"])]
    assert (page.count, counted(reader, user_id="u1")) == (1, 1)
    assert writer.put(corrected) is PutOutcome.UNCHANGED
    assert writer.delete("tenant-alpha", original["id"]) is DeleteOutcome.DELETED
    assert (listed(reader), counted(reader)) == ([], 0)


def test_recount_stays_in_its_partition_and_reports_what_it_skipped(
    reader: SessionReader, writer: SessionWriter, client: Any
) -> None:
    writer.load([make_session(namespace="tenant-beta", minute=i) for i in range(4)])
    writer.load([make_session(minute=i) for i in range(2)])
    # A mislabelled item in tenant-alpha's partition that says it belongs to tenant-beta.
    mislabelled = session_item({**make_session(minute=9), "namespaceId": "tenant-beta"}, 1)
    mislabelled.update(session_key("tenant-alpha", "2026-01-01T00:09:00.000Z", "mislabelled"))
    client.put_item(TableName=TABLE, Item=mislabelled)
    # An item another writer stored without chargerId and status.
    client.put_item(
        TableName=TABLE,
        Item={**session_key("tenant-alpha", "2026-01-01T00:10:00.000Z", "partial"), "id": {"S": "partial"}},
    )
    report = CounterChecker(client, TABLE).recount("tenant-alpha")
    assert report.total == 3  # its own two and the mislabelled item stored in its partition
    assert report.skipped == ["2026-01-01T00:10:00.000Z#partial"]
    beta = reader.read_page("tenant-beta", SessionQuery(SessionFilter()), take=0)
    assert beta.count == 4  # the other tenant's counter is untouched


class _Contended:
    """A client whose first transactions fail as DynamoDB fails contending transactions."""

    def __init__(self, real: Any, failures: int, reason: str) -> None:
        self._real, self._failures, self._reason = real, failures, reason
        self.transactions = 0

    def transact_write_items(self, **request: Any) -> Any:
        self.transactions += 1
        if self.transactions <= self._failures:
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                    "CancellationReasons": [{"Code": self._reason}, {"Code": "None"}],
                },
                "TransactWriteItems",
            )
        return self._real.transact_write_items(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_counter_contention_backs_off_with_growing_jittered_waits(client: Any, table: str) -> None:
    contended = _Contended(client, failures=4, reason="TransactionConflict")
    waits: list[float] = []
    ceilings: list[float] = []

    def jitter(low: float, high: float) -> float:
        ceilings.append(high)
        return high / 2

    writer = SessionWriter(contended, table, sleep=waits.append, jitter=jitter)  # type: ignore[arg-type]
    assert writer.put(make_session()) is PutOutcome.CREATED
    assert contended.transactions == 5
    assert ceilings == sorted(ceilings) and ceilings[0] < ceilings[-1]
    assert waits == [ceiling / 2 for ceiling in ceilings]


def test_a_session_that_keeps_changing_is_redone_without_waiting_then_refused(client: Any, table: str) -> None:
    contended = _Contended(client, failures=100, reason="ConditionalCheckFailed")
    waits: list[float] = []
    writer = SessionWriter(contended, table, sleep=waits.append)  # type: ignore[arg-type]
    with pytest.raises(ConcurrentWriteError, match="attempts lost to other writers"):
        writer.put(make_session())
    assert waits == []  # a lost condition is redone from a fresh read at once


@pytest.mark.parametrize("reason", ["ValidationError", "ItemCollectionSizeLimitExceeded"])
def test_a_transaction_cancelled_for_a_reason_no_retry_can_pass_is_raised_at_once(
    client: Any, table: str, reason: str
) -> None:
    contended = _Contended(client, failures=100, reason=reason)
    waits: list[float] = []
    writer = SessionWriter(contended, table, sleep=waits.append)  # type: ignore[arg-type]
    with pytest.raises(ClientError) as raised:
        writer.put(make_session())
    assert raised.value.response["CancellationReasons"][0]["Code"] == reason
    assert (contended.transactions, waits) == (1, [])  # neither retried nor waited for


def test_throttled_transactions_back_off_like_conflicts(client: Any, table: str) -> None:
    contended = _Contended(client, failures=2, reason="ThrottlingError")
    waits: list[float] = []
    writer = SessionWriter(contended, table, sleep=waits.append)  # type: ignore[arg-type]
    assert writer.put(make_session()) is PutOutcome.CREATED
    assert contended.transactions == 3 and len(waits) == 2


def test_put_refuses_attributes_the_contract_does_not_hold(writer: SessionWriter) -> None:
    session = make_session()
    with pytest.raises(SessionRefusedError, match="expiresAt"):
        writer.put({**session, "expiresAt": 1_800_000_000})
    with pytest.raises(SessionRefusedError, match=r"chargingIntent\.colour"):
        writer.put({**session, "chargingIntent": {**session["chargingIntent"], "colour": "red"}})


def test_put_keeps_attributes_another_writer_stored(writer: SessionWriter, client: Any) -> None:
    session = make_session()
    writer.put(session)
    key = session_key("tenant-alpha", session["createdAt"], session["id"])
    client.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET expiresAt = :t",
        ExpressionAttributeValues={":t": {"N": "1800000000"}},
    )
    assert writer.put({**session, "status": "Started", "updatedAt": "2026-06-01T00:00:00.000Z"}) is PutOutcome.UPDATED
    item = client.get_item(TableName=TABLE, Key=key)["Item"]
    assert item["expiresAt"] == {"N": "1800000000"}
    assert item["status"] == {"S": "Started"}


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"id": "é" * 129}, "id must be 1 to 256 bytes"),  # 129 characters, 258 bytes
        ({"note": "n" * (MAX_NOTE_BYTES + 1)}, "note must be at most"),
        ({"note": "€" * 1_400}, "note must be at most"),  # 1,400 characters, 4,200 bytes
        ({"applicationId": "a" * 257}, "applicationId must be at most"),
        ({"locationId": "l" * 257}, "locationId must be at most"),
    ],
)
def test_write_limits_refuse_clearly(writer: SessionWriter, overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(SessionRefusedError, match=problem):
        writer.put(make_session(**overrides))


def test_an_id_of_256_bytes_is_stored(reader: SessionReader, writer: SessionWriter) -> None:
    long_id = "é" * 128
    assert writer.put(make_session(session_id=long_id)) is PutOutcome.CREATED
    assert listed(reader) == [long_id]
