"""The cursor keys as a dependency: fetched from Secrets Manager (moto), cached, rotated, kept through a short outage,
fetched inside the request deadline when the endpoint hangs, and, without them, the answers that can still be given.

Time is simulated where it matters (the deadline's clock and the key cache's)."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from charging_sessions.aws_clients import secrets_client
from charging_sessions.cursor import CursorCodec, CursorKeys
from charging_sessions.cursor_secret import KEY_GRACE_SECONDS, CursorKeySource, CursorKeysUnavailable, load_cursor_keys
from charging_sessions.observability import metrics
from charging_sessions.settings import Settings
from charging_sessions.storage.positions import Resume
from charging_sessions.storage.writer import SessionWriter
from tests.conftest import TABLE
from tests.factories import make_session
from tests.integration.test_deadline import FUNCTION_TIMEOUT, Context
from tests.integration.test_observability import emf, metric_values
from tests.support import call, event
from tests.unit.test_deadline import Clock

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor-keys-AbCdEf"
KEYS = CursorKeys.from_secret({"current": "k" * 40})


@pytest.fixture(autouse=True)
def fresh_metrics() -> Any:
    """Metrics a key source records outside a handler are flushed by the next handler's: none carry over."""
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


class Ticks:
    """The key cache's clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_keys_come_from_secrets_manager_and_a_rotation_keeps_walks_valid(aws: None) -> None:
    secrets = boto3.client("secretsmanager")
    old, new = "old-key-" + "o" * 40, "new-key-" + "n" * 40
    arn = secrets.create_secret(Name="cursor-keys", SecretString=json.dumps({"current": old}))["ARN"]
    configured = Settings.model_validate({"TABLE_NAME": TABLE, "CURSOR_SECRET_ID": arn, "CURSOR_LOCAL_KEY": "l" * 40})
    fetches: list[str | None] = []

    def fetch(settings: Settings) -> CursorKeys:
        fetches.append(settings.cursor_secret_id)
        return load_cursor_keys(settings)

    ticks = Ticks()
    codec = CursorCodec(CursorKeySource(configured, fetch=fetch, clock=ticks))
    issued = codec.issue("-createdAt", "b", Resume(after={"sk": "x"}))
    assert codec.open(issued, "-createdAt", "b", ("sk",)) == Resume(after={"sk": "x"})
    assert load_cursor_keys(configured).signing == old.encode()  # the secret wins over a local key
    # Rotation, step 2: the new key signs, the old one is still accepted.
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"current": new, "accepted": [old]}))
    assert codec.issue("-createdAt", "b", Resume(after={"sk": "x"})) == issued  # cached for CURSOR_KEY_MAX_AGE
    ticks.now += configured.cursor_key_max_age
    assert codec.open(issued, "-createdAt", "b", ("sk",)) == Resume(after={"sk": "x"})
    assert codec.issue("-createdAt", "b", Resume(after={"sk": "x"})) != issued
    # Step 3: the old key is retired; its cursors are refused.
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"current": new}))
    ticks.now += configured.cursor_key_max_age
    with pytest.raises(ValueError, match="altered"):
        codec.open(issued, "-createdAt", "b", ("sk",))
    assert fetches == [arn, arn, arn]  # one fetch per CURSOR_KEY_MAX_AGE


def test_a_failed_refresh_serves_the_held_keys_for_a_grace_period_then_gives_up() -> None:
    configured = Settings.model_validate({"TABLE_NAME": TABLE, "CURSOR_SECRET_ID": SECRET_ARN})
    outage = False

    def fetch(_: Settings) -> CursorKeys:
        if outage:
            raise CursorKeysUnavailable("Secrets Manager did not answer")
        return KEYS

    ticks = Ticks()
    source = CursorKeySource(configured, fetch=fetch, clock=ticks)
    assert source() is KEYS
    outage = True
    ticks.now += configured.cursor_key_max_age + KEY_GRACE_SECONDS - 1
    assert source() is KEYS  # an outage shorter than the grace costs nothing
    ticks.now += 1
    with pytest.raises(CursorKeysUnavailable):
        source()
    outage = False
    assert source() is KEYS  # fetched again once it answers


@pytest.fixture
def stocked(writer: SessionWriter) -> None:
    writer.load([make_session(minute=i) for i in range(6)])


@pytest.fixture
def no_keys(function: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """The function's cursor keys cannot be fetched, and none are held."""

    def fetch(_: Settings) -> CursorKeys:
        raise CursorKeysUnavailable("Secrets Manager did not answer")

    configured = function.settings.model_copy(update={"cursor_secret_id": SECRET_ARN})
    monkeypatch.setattr(function, "cursors", CursorCodec(CursorKeySource(configured, fetch=fetch)))


def test_without_keys_offset_paging_still_answers_with_next_skip_alone(
    function: ModuleType, stocked: None, no_keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body = call(function, event("take=2"))
    assert status == 200
    assert [len(body["chargingSessions"]), body["count"], body["nextSkip"]] == [2, 6, 2]
    assert "nextCursor" not in body
    metrics = metric_values(emf(capsys.readouterr().out))
    assert (metrics.get("CursorKeyFailures"), metrics.get("PagesWithoutCursor")) == (1, 1)
    assert metrics.get("InternalErrors") is None


@pytest.mark.parametrize("query", ["sort=updatedAt&take=2", "take=2&cursor=eyJ2IjoxfQ.AAAA"])
def test_without_keys_the_feed_and_cursor_walks_answer_503_with_retry_after(
    function: ModuleType, stocked: None, no_keys: None, query: str, capsys: pytest.CaptureFixture[str]
) -> None:
    response = function.lambda_handler(event(query), Context(Clock(), FUNCTION_TIMEOUT))
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"
    body = json.loads(response["body"])
    assert body["success"] is False and "Secrets" not in body["message"] and SECRET_ARN not in body["message"]
    assert metric_values(emf(capsys.readouterr().out)).get("InternalErrors") is None


def test_a_hanging_secrets_manager_is_given_up_inside_the_request_deadline(
    function: ModuleType, stocked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every attempt waits the client's full read timeout and times out (simulated). With 4 s left in the invocation
    the request's deadline is 2 s away: the fetch gives up when no retry fits it, and the page is answered in time.
    (botocore's defaults, 60 s a read and retries outside any deadline, kept a handler running past 20 s.)"""
    from charging_sessions.deadline import REQUEST_DEADLINE

    clock = Clock()
    monkeypatch.setattr(REQUEST_DEADLINE, "clock", clock)
    monkeypatch.setattr("botocore.endpoint.time.sleep", clock.sleep)
    configured = function.settings.model_copy(update={"cursor_secret_id": SECRET_ARN})
    client = secrets_client(configured)
    attempts: list[float] = []

    def hang(request: Any, **_: Any) -> None:
        attempts.append(clock.now)
        clock.now += client.meta.config.read_timeout  # type: ignore[attr-defined]  # botocore sets it; stubs lack it
        raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register("before-send.secrets-manager", hang)
    fetch = lambda settings: load_cursor_keys(settings, client)  # noqa: E731
    monkeypatch.setattr(function, "cursors", CursorCodec(CursorKeySource(configured, fetch=fetch)))
    started, remaining = clock.now, 4.0
    response = function.lambda_handler(event("take=2"), Context(clock, remaining))
    assert response["statusCode"] == 200 and "nextCursor" not in json.loads(response["body"])
    assert clock.now - started <= remaining - configured.request_deadline_margin
    assert len(attempts) == 1  # a retry (its backoff and one more attempt) could not end inside the deadline
