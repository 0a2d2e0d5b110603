"""What X-Ray receives: the function traced as in Lambda, every document caught in memory.

Tests run with ``POWERTOOLS_TRACE_DISABLED=true``. Here the X-Ray SDK is switched on in process for one test
at a time, the way it runs inside Lambda: the Lambda context (a facade segment from ``_X_AMZN_TRACE_ID``),
subsegments streamed one by one (``streaming_threshold=0``, as Powertools' Tracer configures it), botocore
patched (the Tracer's auto-patching), and an emitter that keeps each document instead of sending it over
UDP. Everything is restored afterwards; nothing leaves the process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import botocore.client
import botocore.endpoint
import pytest
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import PROTOCOL_DELIMITER, PROTOCOL_HEADER
from aws_xray_sdk.core.lambda_launcher import LambdaContext
from aws_xray_sdk.core.sampling.local.sampler import LocalSampler
from aws_xray_sdk.ext.botocore import patch as patch_botocore
from botocore.exceptions import ClientError

from charging_sessions.storage.writer import SessionWriter
from tests.factories import make_session
from tests.support import call, event

UDP_DOCUMENT_LIMIT = 64 * 1024
"""The X-Ray daemon takes one UDP datagram per document, at most 64 KB (header line included)."""


@dataclass
class MemoryEmitter:
    """Stands in for the SDK's ``UDPEmitter``: keeps the exact datagram it would have sent."""

    datagrams: list[str] = field(default_factory=list)

    def send_entity(self, entity: Any) -> None:
        self.datagrams.append(f"{PROTOCOL_HEADER}{PROTOCOL_DELIMITER}{entity.serialize()}")

    def set_daemon_address(self, address: str | None) -> None:
        """No daemon: nothing is sent anywhere."""

    @property
    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(datagram.split(PROTOCOL_DELIMITER, 1)[1]) for datagram in self.datagrams]


@pytest.fixture
def xray(function: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryEmitter]:
    """The X-Ray SDK on, as inside Lambda, for the duration of one test."""
    from charging_sessions.observability import tracer

    emitter = MemoryEmitter()
    saved = (xray_recorder.emitter, xray_recorder.context, xray_recorder.sampler, xray_recorder.streaming_threshold)
    was_enabled = global_sdk_config.sdk_enabled()
    originals = (
        botocore.client.BaseClient.__dict__["_make_api_call"],
        botocore.endpoint.Endpoint.__dict__["prepare_request"],
    )
    already_patched = hasattr(botocore.client, "_xray_enabled")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-6650a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
    monkeypatch.setattr(tracer, "disabled", False)  # the Tracer was built disabled (POWERTOOLS_TRACE_DISABLED)
    try:
        global_sdk_config.set_sdk_enabled(True)
        xray_recorder.emitter = emitter
        xray_recorder.context = LambdaContext()  # a facade segment per invocation, as Lambda gives
        xray_recorder.sampler = LocalSampler()  # never the centralized sampler, which polls a daemon
        xray_recorder.streaming_threshold = 0
        patch_botocore()
        yield emitter
    finally:
        if not already_patched:
            setattr(botocore.client.BaseClient, "_make_api_call", originals[0])  # noqa: B010
            setattr(botocore.endpoint.Endpoint, "prepare_request", originals[1])  # noqa: B010
            delattr(botocore.client, "_xray_enabled")
        xray_recorder.emitter, xray_recorder.context, xray_recorder.sampler = saved[:3]
        xray_recorder.streaming_threshold = saved[3]
        global_sdk_config.set_sdk_enabled(was_enabled)


def large_session(n: int) -> dict[str, Any]:
    """A session with values that must never reach a trace, and a long note (the page's bulk)."""
    return make_session(
        minute=n,
        user=f"driver-{n:04d}@example.test",
        idTag=f"RFID{n:08X}",
        note=f"note-{n:04d}: " + "the customer asked for a refund; call back on +00 000 000 " * 20,
    )


def by_name(documents: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Documents of that name; a route's subsegment is named after its function's qualified name."""
    return [d for d in documents if d.get("name") == name or d.get("name", "").endswith(f".{name.lstrip('# ')}")]


def test_a_large_page_leaves_small_traces_without_session_data(
    function: ModuleType, writer: SessionWriter, xray: MemoryEmitter
) -> None:
    sessions = [large_session(n) for n in range(1000)]
    writer.load(sessions)
    xray.datagrams.clear()  # the load's own writes are not the function's

    status, body = call(function, event("take=1000&status=Stopped"))
    assert status == 200 and len(body["chargingSessions"]) == 1000
    assert len(json.dumps(body)) > 1_000_000, "the page itself is far larger than a trace document may be"

    documents = xray.documents
    assert {d["name"] for d in documents} >= {"## lambda_handler", "dynamodb"}
    for datagram in xray.datagrams:
        assert len(datagram.encode("utf-8")) < UDP_DOCUMENT_LIMIT

    [handler] = by_name(documents, "## lambda_handler")
    assert handler["annotations"]["ColdStart"] in (True, False)
    assert handler["annotations"]["Service"] == "charging-sessions"
    assert "metadata" not in handler, "the handler's response is not captured"

    [route] = by_name(documents, "## list_charging_sessions")
    assert route["annotations"] == {"namespace": "tenant-alpha", "filters": "status", "view": "status"}
    assert set(route["metadata"]) == {"charging-sessions"}
    assert set(route["metadata"]["charging-sessions"]) == {"dynamodb"}, "only the small DynamoDB summary"
    dynamodb = route["metadata"]["charging-sessions"]["dynamodb"]
    assert set(dynamodb) == {"calls", "ms"} and dynamodb["calls"] >= 2 and dynamodb["ms"] > 0

    calls = by_name(documents, "dynamodb")
    assert {c["aws"]["operation"] for c in calls} <= {"Query", "GetItem"}
    assert all(c["aws"]["table_name"] == "sessions-test" for c in calls)

    everything = "\n".join(xray.datagrams)
    for session in sessions:
        for value in (session["idTag"], session["userId"], session["note"][:10], session["id"]):
            assert value not in everything


def test_a_fault_is_marked_without_the_error_object(
    function: ModuleType, monkeypatch: pytest.MonkeyPatch, xray: MemoryEmitter
) -> None:
    def failing(*_: Any, **__: Any) -> Any:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "boom"}}, "Query")

    monkeypatch.setattr(function.reader, "read_page", failing)
    status, _ = call(function, event())
    assert status == 500

    [route] = by_name(xray.documents, "## list_charging_sessions")
    assert route["fault"] is True
    [exception] = route["cause"]["exceptions"]
    assert exception["type"] == "ClientError"
    assert "metadata" not in route, "the error object is not captured as metadata"
