"""The read path: one page of a namespace's sessions in a query's order, with an exact total ``count``.

A read runs in named steps: count, start, read, prove the count, resume. Pages come from the indexes alone;
``docs/design.md`` ("Reading behind a filter", "Counting and skipping") says why each step costs what it does.
Where nothing the read does depends on the count (no range, a counter holds it), the counter's GetItem goes out
beside the page's Query, on a second thread, so that the page waits for one round trip instead of two
(``docs/storage.md``, "A first page in one round trip").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..models import ChargingSession
from ..query import SessionFilter, SessionQuery, Sort
from ..time_range import canonical_instant
from .metering import ReadStats
from .plan import ReadPlan, plan_count, plan_count_on_filters_view, plan_page
from .positions import Resume, entry_position, position_start_key
from .requests import ItemFilter
from .stored_items import ForeignItemHook, InvalidItemHook, answerable
from .view_calls import PageRead, Start, ViewCalls

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DriftHook = Callable[[str, int, int], None]
"""Called with the view, the counter's value and the count the read proved, when they disagree."""

MAX_SKIP_WITHOUT_KEYS = 5_000
"""The deepest ``skip`` on a view without a keys-only twin (every filter's view, and any read behind a filter):
there skipping reads whole items (``docs/storage.md``, "Reading"); deeper, a cursor costs the same at any depth."""
FEW_SESSIONS = 1_000
"""Filters that select at most this many sessions count an updated range on their own view straight away."""


class DeepSkipError(ValueError):
    """``skip`` is past :data:`MAX_SKIP_WITHOUT_KEYS` where skipping reads whole items (answered 400)."""


@dataclass
class SessionPage:
    """One page as read: its sessions, the count, where it stands in its view and what reading it cost."""

    sessions: list[ChargingSession]
    count: int
    view: str
    stats: ReadStats
    invalid_items: int = 0
    """Entries of the page left out because they do not fit the contract."""
    foreign_items: int = 0
    """Entries of the page left out because they belong to another namespace (a writer's key bug)."""
    more: bool = False
    """Whether the view may hold entries after this page (``False``: the read reached its end)."""
    entries: int = 0
    """Index entries this page consumed (answered + left out): the next page starts at ``skip + entries``."""
    positions: list[int] = field(default_factory=list)
    """For each session, how many of the page's entries come before it (a page cut there resumes there)."""
    entry_positions: list[dict[str, str]] = field(default_factory=list)
    """Where each of the page's entries is in its view (``positions.entry_position``): a cursor cut after entry
    ``i`` resumes after ``entry_positions[i]``."""
    resume: Resume | None = None
    """Where the next page starts, after the whole page; ``None`` when nothing follows (default order)."""
    read_cut: bool = False
    """The read stopped short of ``take``: it already held more than one answer can carry."""
    budget_cut: bool = False
    """The read stopped short of ``take``: it spent ``view_calls.READ_BUDGET_UNITS`` on entries its filter dropped."""


class SessionReader:
    """Reads pages of a namespace's sessions; the update feed serves those updated ``settle_seconds`` ago."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        settle_seconds: float,
        on_invalid_item: InvalidItemHook | None = None,
        on_foreign_item: ForeignItemHook | None = None,
        on_counter_drift: DriftHook | None = None,
        clock: Callable[[], float] = time.time,
        counter_beside_page: bool = True,
    ) -> None:
        """``counter_beside_page=False`` reads the counter before the page, one round trip after the other (the
        benchmark's comparison)."""
        self._client = client
        self._calls = ViewCalls(client, table_name)
        self._counter_beside_page = counter_beside_page
        self._beside: ThreadPoolExecutor | None = None  # started by the first read that uses it
        self._on_invalid_item = on_invalid_item
        self._on_foreign_item = on_foreign_item
        self._on_counter_drift = on_counter_drift
        self._settle_seconds = settle_seconds
        self._clock = clock

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client the reader calls (its configuration and event hooks)."""
        return self._client

    @property
    def settle_seconds(self) -> float:
        return self._settle_seconds

    def settle_boundary(self) -> str:
        """The update feed's boundary now: sessions updated before it are served, later ones wait."""
        return canonical_instant(self._clock() - self._settle_seconds)

    def read_page(
        self, namespace: str, query: SessionQuery, *, take: int, skip: int = 0, after: Resume | None = None
    ) -> SessionPage:
        """One page of the namespace's sessions that ``query`` selects, in its order, and the total number that
        match. ``take=0`` answers only the count. The page starts after ``skip`` sessions, or where ``after`` (a
        previous page's ``resume``) says."""
        assert not (skip and after), "a page starts after skip sessions or at a cursor, not both"
        stats = ReadStats()
        plan = plan_page(namespace, query, self.settle_boundary(), after)
        if skip > MAX_SKIP_WITHOUT_KEYS and not plan.keys_only:
            raise DeepSkipError(
                f"Invalid query parameter 'skip': at most {MAX_SKIP_WITHOUT_KEYS} with userId, chargerId or status "
                "(or an updated range in this order), where skipping reads whole sessions; follow nextCursor instead"
            )
        beside = self._counter_beside(namespace, query, plan, take, after)
        if beside is not None:
            return self._page_beside_counter(namespace, query, plan, take, skip, after, stats, beside)
        counted = 0 if query.empty else self._count(namespace, query, stats)
        if (
            query.empty
            or take == 0
            or plan.key_range.empty
            or not plan.reaches(after)
            or self._known_empty(namespace, query, counted, skip, stats)
        ):
            feed = query.sort is Sort.UPDATED
            unchanged = after if after is not None else Resume(from_time=plan.key_range.start)
            return SessionPage([], counted, plan.view.name, stats, resume=unchanged if feed else None)
        start = self._start(plan, namespace, skip, after, stats)
        remaining = counted - skip if query.ranged else None  # a range's count is exact: no more can follow
        read = self._calls.read(plan, start, take, stats, remaining) if start.more else PageRead()
        return self._page(namespace, query, plan, counted, start, read, after, stats)

    def _page_beside_counter(
        self,
        namespace: str,
        query: SessionQuery,
        plan: ReadPlan,
        take: int,
        skip: int,
        after: Resume | None,
        stats: ReadStats,
        counter: Future[tuple[int, ReadStats]],
    ) -> SessionPage:
        """The page read while the counter's GetItem is in flight on the second thread. The page's answer waits for
        both; when the read fails, the counter's call is waited for too (no call outlives its request)."""
        try:
            start = self._start(plan, namespace, skip, after, stats)
            read = self._calls.read(plan, start, take, stats) if start.more else PageRead()
        except BaseException:
            counter.exception()  # wait; the read's error is the one raised
            raise
        counted, counter_stats = counter.result()
        stats.add(counter_stats)
        return self._page(namespace, query, plan, counted, start, read, after, stats, beside=True)

    def _page(
        self,
        namespace: str,
        query: SessionQuery,
        plan: ReadPlan,
        counted: int,
        start: Start,
        read: PageRead,
        after: Resume | None,
        stats: ReadStats,
        *,
        beside: bool = False,
    ) -> SessionPage:
        count = self._prove_count(
            namespace, query, plan, counted, start, read, stats, proves=after is None, beside=beside
        )
        entry_positions = [entry_position(plan.view, document) for document in read.documents]
        sessions, positions, invalid, foreign = answerable(
            read.documents, namespace, on_invalid_item=self._on_invalid_item, on_foreign_item=self._on_foreign_item
        )
        return SessionPage(
            sessions,
            count,
            plan.view.name,
            stats,
            invalid_items=invalid,
            foreign_items=foreign,
            more=read.more,
            entries=len(read.documents),
            positions=positions,
            entry_positions=entry_positions,
            resume=self._resume(query, plan, read, entry_positions),
            read_cut=read.cut,
            budget_cut=read.budget_cut,
        )

    # ------------------------------------------------------------------ the steps

    def _counter_beside(
        self, namespace: str, query: SessionQuery, plan: ReadPlan, take: int, after: Resume | None
    ) -> Future[tuple[int, ReadStats]] | None:
        """The counter's read, started on the second thread, when the page will be read and nothing before or in
        that read depends on the count: a counter holds it (no range), the page is read (``take`` above 0, a key
        range that is not empty and reaches the cursor), and no early answer rests on it (the feed behind filters
        answers an empty page when the counter says 0). ``None``: read the count first, as the steps say."""
        if (
            not self._counter_beside_page
            or query.empty
            or take == 0
            or query.ranged
            or (query.sort is Sort.UPDATED and query.filters.as_dict())
            or plan.key_range.empty
            or not plan.reaches(after)
        ):
            return None
        if self._beside is None:
            self._beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="counter-read")
        return self._beside.submit(self._counter_on_its_own, namespace, query.filters)

    def _counter_on_its_own(self, namespace: str, filters: SessionFilter) -> tuple[int, ReadStats]:
        own = ReadStats()  # the page's stats belong to the other thread: merged once both are done
        return self._calls.read_counter(namespace, filters, own), own

    def _count(self, namespace: str, query: SessionQuery, stats: ReadStats) -> int:
        """How many sessions the query selects: the view's counter (one GetItem), or, with a time range, counted
        over the range's keys (no counter holds it). An updated range with filters is counted where fewer items
        are read: the filters' own view when they select few sessions (their counter says how many, a count of
        their view confirms a zero), else the smaller of that and the range (its keys counted on the twin)."""
        plan = plan_count(namespace, query)
        if plan is None:
            return self._calls.read_counter(namespace, query.filters, stats)
        if not (query.updated.given and query.filters.as_dict()):
            return self._calls.count_entries(plan, stats)
        selected = self._calls.read_counter(namespace, query.filters, stats)
        own = plan_count_on_filters_view(namespace, query)
        if selected == 0 and self._calls.view_is_empty(own, stats):
            return 0
        if selected > FEW_SESSIONS:
            in_range = self._calls.count_entries(replace(plan, item_filter=ItemFilter()), stats)  # keys only: cheap
            if in_range < selected:
                return self._calls.count_entries(plan, stats)
        return self._calls.count_entries(own, stats)

    def _known_empty(self, namespace: str, query: SessionQuery, counted: int, skip: int, stats: ReadStats) -> bool:
        """Whether the page is known to hold nothing, so that it is not read: a range's count (exact, counted over its
        keys) is 0, or ``skip`` passes it; or, in the feed with filters and no range, the filters' own view holds no
        session at all (the counter says so, and one ``Limit=1`` count on that view proves it; pages never rest on a
        counter alone)."""
        if query.ranged:
            return counted == 0 or (query.sort is Sort.NEWEST_FIRST and skip >= counted)
        if query.sort is Sort.UPDATED and query.filters.as_dict() and counted == 0:
            return self._calls.view_is_empty(plan_count_on_filters_view(namespace, query), stats)
        return False

    def _start(self, plan: ReadPlan, namespace: str, skip: int, after: Resume | None, stats: ReadStats) -> Start:
        """Where the page's read starts: after a cursor's position, after ``skip`` entries, or at the start."""
        if after is not None and after.after is not None:
            return Start(position_start_key(plan.view, namespace, plan.partition, after.after))
        if skip:
            return self._calls.skip(plan, skip, stats)
        return Start()

    def _prove_count(
        self,
        namespace: str,
        query: SessionQuery,
        plan: ReadPlan,
        counted: int,
        start: Start,
        read: PageRead,
        stats: ReadStats,
        *,
        proves: bool,
        beside: bool = False,
    ) -> int:
        """The count to answer. A counter's figure is checked against what the read saw, when the page covers
        exactly the sessions the counter counts (no range, the default order, from the start or a skip): the view
        ended (the figure is what was seen) or held more (at least that). A disagreement is reported as drift only
        if a consistent read of the counter still disagrees (a put that committed between the two reads is not).

        Read ``beside`` the page, the counter may also have been read after it: a view that ended on the page
        while the counter says more can be a put that committed between the page's read and the counter's. There
        the view is counted again after the consistent counter read (it ended on this page: a short count), and
        only a disagreement between those two, read in that order, is drift."""
        if not proves or query.sort is Sort.UPDATED or query.ranged:
            return counted
        seen = start.passed + len(read.documents)
        count = max(counted, seen) if read.more else seen
        if count != counted and self._on_counter_drift is not None:
            fresh = self._calls.read_counter(namespace, query.filters, stats, consistent=True)
            now = count
            if fresh != count and beside and not read.more:
                now = self._calls.count_entries(plan, stats)
            if fresh != now:
                self._on_counter_drift(plan.view.name, fresh, now)
        return count

    @staticmethod
    def _resume(
        query: SessionQuery, plan: ReadPlan, read: PageRead, entry_positions: list[dict[str, str]]
    ) -> Resume | None:
        """Where the next page starts: after the last entry the read passed over when its budget stopped it, else
        after the page's last entry while more follow; in the feed, once the read reached the settle boundary, at the
        boundary (every entry below it has been seen, later ones are above)."""
        if read.passed_to is not None:
            return Resume(after=entry_position(plan.view, read.passed_to))
        if read.more and entry_positions:
            return Resume(after=entry_positions[-1])
        if query.sort is Sort.UPDATED:
            return Resume(from_time=plan.key_range.end)
        return None
