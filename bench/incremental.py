"""The benchmark's incremental-sync rows: a cursor walk over a whole namespace, and a mirror's sync loop on the
update feed. Both call the real handler page after page and meter every page like the other rows
(``bench/capacity.py``, through ``bench.measuring.repeat`` with one repetition); the answers are checked against the
naive baseline (``bench/baseline.py``), that is against the reference model.

**Cursor walk.** From the first page (``take=50``, the default order) with ``cursor=<nextCursor>`` until an
answer carries no ``nextCursor``: read units and DynamoDB calls of every page, and the walk must return every
session of the namespace exactly once, in the reference order.

**Sync loop.** A mirror client polls ``sort=updatedAt`` from no cursor until caught up (a page shorter than its
``take``), keeping each session's copy with the greatest ``updatedAt``. Then sessions are written directly into
the table with the project's writer (``SessionWriter.put``, on its own client: not metered): Started sessions
stopped and Stopped sessions corrected (both move forward in the feed) and new sessions. The mirror polls right
away (the writes are still inside the settle window: nothing is served), the clock moves past the window, and it
resumes from its stored cursor until caught up. The mirror must equal the table's sessions of the namespace after the
first sync and after the resume, and each poll must have received exactly the reference's sessions in update
order.

The clock: the reader runs on ``bench.measuring.BenchClock`` (a simulated present after the loaded data; the demo data
runs past the machine's date), with the settle window the function is configured with (``FEED_SETTLE_SECONDS``,
5 s by default, unchanged). The writes are stamped at that present, as a writer would stamp them, so the first
poll after them finds them unsettled; moving the clock by the window plus one second is the only time that passes.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bench import baseline
from bench.capacity import floor_units, item_size
from bench.measuring import TAKE, BenchClock, HandlerTimer, percentile, progress, repeat, summary_ms

WALK_PROGRESS_PAGES = 250
"""A progress line every this many pages of the cursor walk."""


@dataclass(frozen=True)
class PageFigures:
    """What one handler call cost and answered."""

    read_units: float
    calls: int
    wall: float
    dynamodb: float
    returned: int
    floor: float
    """Read units of just the sessions answered (``capacity.floor_units`` of their items)."""


def measure_page(timer: HandlerTimer, query: Mapping[str, str], meter: Any) -> tuple[PageFigures, dict[str, Any]]:
    """One metered handler call with ``query``: its figures and the answer's body."""
    answered: list[dict[str, Any]] = []

    def action() -> tuple[float, list[str], int]:
        wall, body = timer.call(query)
        answered.append(body)
        return wall, [session["id"] for session in body["chargingSessions"]], int(body["count"])

    measured = repeat(action, meter, repetitions=1, min_repetitions=1, budget_seconds=0.0)
    sizes = {item["id"]["S"]: item_size(item) for call in measured.calls for item in call.response.get("Items", [])}
    figures = PageFigures(
        measured.cost.read_units,
        measured.cost.calls,
        measured.walls[0],
        measured.dynamodb[0],
        len(measured.ids),
        floor_units(sizes[session_id] for session_id in measured.ids),
    )
    return figures, answered[0]


def page_summary(pages: Sequence[PageFigures]) -> dict[str, Any]:
    """Read units (first, median, p95, max, last page, total), calls, sessions, time over a walk's pages."""
    units = [page.read_units for page in pages]
    calls = [page.calls for page in pages]
    return {
        "pages": len(pages),
        "read_units": {
            "first": units[0],
            "median": statistics.median(units),
            "p95": percentile(units, 0.95),
            "max": max(units),
            "last": units[-1],
            "total": sum(units),
        },
        "floor_read_units": sum(page.floor for page in pages),
        "calls": {"per_page_min": min(calls), "per_page_max": max(calls), "total": sum(calls)},
        "returned": sum(page.returned for page in pages),
        "wall_ms": summary_ms([page.wall for page in pages]),
        "own_ms": summary_ms([page.wall - page.dynamodb for page in pages]),
    }


def reference_ids(documents: Iterable[Mapping[str, Any]], query: Mapping[str, str], settled_before: str) -> list[str]:
    """The ids the baseline's reference model answers ``query`` with over the stored ``documents``, all of them."""
    page, _ = baseline.answer(documents, {**query, "take": str(10**9)}, settled_before=settled_before)
    return [document["id"] for document in page]


# ---------------------------------------------------------------------------------------------- cursor walk


def cursor_walk(function: ModuleType, meter: Any, reference_client: Any, table: str, namespace: str) -> dict[str, Any]:
    """Walk the whole namespace with cursors (module doc); ``reference_client`` reads the reference (not metered)."""
    timer = HandlerTimer(function, namespace, {"take": str(TAKE)})
    timer.call()  # warm, as every row is
    pages: list[PageFigures] = []
    ids: list[str] = []
    cursor: str | None = None
    began = time.perf_counter()
    while True:
        query = {"take": str(TAKE), **({"cursor": cursor} if cursor is not None else {})}
        figures, body = measure_page(timer, query, meter)
        pages.append(figures)
        ids += [session["id"] for session in body["chargingSessions"]]
        cursor = body.get("nextCursor")
        if cursor is None:
            break
        if len(pages) % WALK_PROGRESS_PAGES == 0:
            progress(f"    cursor walk: {len(pages):,} pages, {len(ids):,} sessions")
    seconds = time.perf_counter() - began
    documents = baseline.read_documents(reference_client, table, namespace)
    expected = reference_ids(documents, {}, function.reader.settle_boundary())
    count = len(documents)
    return {
        "namespace": namespace,
        "query": {"take": TAKE},
        **page_summary(pages),
        "page_read_units": [page.read_units for page in pages],
        "sessions": count,
        "distinct": len(set(ids)),
        "in_reference_order": ids == expected,
        "every_session_once": len(ids) == len(set(ids)) == count,
        "seconds": round(seconds, 1),
    }


# ---------------------------------------------------------------------------------------------- sync loop


@dataclass
class Mirror:
    """What a mirror client does (README, "The update feed"): poll the feed from its stored cursor until caught up,
    keep each session's copy with the greatest ``updatedAt``."""

    timer: HandlerTimer
    take: int
    copy: dict[str, dict[str, Any]] = field(default_factory=dict)
    cursor: str | None = None

    def poll(self, meter: Any) -> tuple[dict[str, Any], list[str]]:
        """One poll: pages until a page is shorter than ``take``; its figures and the ids received, in order."""
        pages: list[PageFigures] = []
        received: list[str] = []
        while True:
            query = {"sort": "updatedAt", "take": str(self.take), **({"cursor": self.cursor} if self.cursor else {})}
            figures, body = measure_page(self.timer, query, meter)
            pages.append(figures)
            for session in body["chargingSessions"]:
                received.append(session["id"])
                held = self.copy.get(session["id"])
                if held is None or held["updatedAt"] <= session["updatedAt"]:
                    self.copy[session["id"]] = session
            self.cursor = body["nextCursor"]  # always present with sort=updatedAt
            if len(body["chargingSessions"]) < self.take:
                return page_summary(pages), received


def as_answered(documents: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Stored sessions by id, in the form the API answers them (the response model's JSON)."""
    from charging_sessions.models import ChargingSession

    answered = (
        json.loads(ChargingSession.model_validate(document).model_dump_json(exclude_none=True))
        for document in documents
    )
    return {session["id"]: session for session in answered}


def changed_sessions(
    stored: Iterable[Mapping[str, Any]], writes: int, stamp: str, seed: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """``writes`` sessions of each kind, stamped ``updatedAt = stamp``: Started sessions stopped, Stopped sessions
    corrected (a note), and new sessions (copies of Started ones with new ids, created at ``stamp``). The sessions
    changed are spread evenly over the namespace's creation order."""
    rng = random.Random(seed)
    ordered = sorted(stored, key=lambda session: (session["createdAt"], session["id"]))

    def spread(sessions: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        step = max(len(sessions) // max(writes, 1), 1)
        return sessions[::step][:writes]

    started = [session for session in ordered if session["status"] == "Started"]
    stopped_before = [session for session in ordered if session["status"] == "Stopped"]

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    stopped: list[dict[str, Any]] = []
    for session in spread(started):
        energy = session.get("lastMeteredAtEnergy", session["startedAtEnergy"])
        stopped.append(
            {
                **session,
                "status": "Stopped",
                "stoppedAtTimestamp": stamp,
                "stoppedAtEnergy": energy,
                "stoppedReason": "EVDisconnected",
                "updatedAt": stamp,
            }
        )
    corrected = [
        {**session, "note": "Price corrected by support", "updatedAt": stamp} for session in spread(stopped_before)
    ]
    new: list[dict[str, Any]] = []
    for session in spread(started):
        session_id, intent_id = new_id(), new_id()
        intent = {**session["chargingIntent"], "id": intent_id, "createdAt": stamp, "updatedAt": stamp}
        if "chargingSessionId" in intent:
            intent["chargingSessionId"] = session_id
        fresh = {
            key: value for key, value in session.items() if key not in ("lastMeteredAtTimestamp", "lastMeteredAtEnergy")
        }
        new.append(
            {
                **fresh,
                "id": session_id,
                "chargingIntentId": intent_id,
                "chargingIntent": intent,
                "startedAtTimestamp": stamp,
                "energy": 0.0,
                "duration": 0.0,
                "price": "0.00",
                "createdAt": stamp,
                "updatedAt": stamp,
            }
        )
    return stopped, corrected, new


def sync_loop(
    function: ModuleType,
    meter: Any,
    writer_client: Any,
    table: str,
    namespace: str,
    *,
    take: int,
    writes: int,
    clock: BenchClock,
) -> dict[str, Any]:
    """The mirror's first full sync, writes, a poll inside the settle window, and the resume (module doc).
    ``writer_client`` writes and reads the reference (not metered)."""
    from charging_sessions.storage.writer import PutOutcome, SessionWriter
    from charging_sessions.time_range import canonical_instant

    reader = function.reader
    mirror = Mirror(HandlerTimer(function, namespace, {"sort": "updatedAt", "take": str(take)}), take)
    mirror.timer.call()  # warm

    def check(poll: str, received: list[str], query: Mapping[str, str], *, complete: bool) -> list[dict[str, Any]]:
        """Raise unless the poll received exactly the reference's settled sessions for ``query``, in update order,
        and (``complete``: nothing unsettled is pending) the mirror now equals the table; the table's documents."""
        documents = baseline.read_documents(writer_client, table, namespace)
        expected = reference_ids(documents, {"sort": "updatedAt", **query}, reader.settle_boundary())
        if received != expected:
            raise AssertionError(f"sync loop, {poll}: the poll did not receive the reference's sessions in order")
        if complete and mirror.copy != as_answered(documents):
            raise AssertionError(f"sync loop, {poll}: the mirror does not equal the table")
        return documents

    began = time.perf_counter()
    first, received = mirror.poll(meter)
    documents = check("first sync", received, {}, complete=True)
    first |= {"sessions_received": len(received), "received_as_reference": True, "mirror_equals_table": True}
    since = {"updatedFrom": reader.settle_boundary()}  # where the first sync's resume point is
    progress(f"    sync: first sync {first['pages']} pages, {len(received):,} sessions")

    stamp = canonical_instant(clock())
    stored = as_answered(documents).values()
    stopped, corrected, new = changed_sessions(stored, writes, stamp, seed=namespace)
    writer = SessionWriter(writer_client, table, settle_seconds=reader.settle_seconds, clock=clock)
    write_began = time.perf_counter()
    outcomes = [writer.put(session) for session in [*stopped, *corrected, *new]]
    write_seconds = time.perf_counter() - write_began
    updates, created = outcomes.count(PutOutcome.UPDATED), outcomes.count(PutOutcome.CREATED)
    if updates != len(stopped) + len(corrected) or created != len(new):
        raise AssertionError(f"sync loop: the writes did not all land ({outcomes})")

    unsettled, received = mirror.poll(meter)
    check("inside the settle window", received, since, complete=False)
    unsettled |= {"sessions_received": len(received), "received_as_reference": True}
    clock.advance(reader.settle_seconds + 1.0)
    resume, received = mirror.poll(meter)
    check("resume", received, since, complete=True)
    resume |= {"sessions_received": len(received), "received_as_reference": True, "mirror_equals_table": True}
    progress(f"    sync: resume {resume['pages']} pages, {len(received):,} sessions")
    return {
        "namespace": namespace,
        "sessions": len(mirror.copy),
        "take": take,
        "settle_seconds": reader.settle_seconds,
        "writes": {
            "stopped": len(stopped),
            "corrected": len(corrected),
            "new": len(new),
            "seconds": round(write_seconds, 1),
        },
        "first_sync": first,
        "poll_within_settle_window": unsettled,
        "resume": resume,
        "seconds": round(time.perf_counter() - began, 1),
    }
