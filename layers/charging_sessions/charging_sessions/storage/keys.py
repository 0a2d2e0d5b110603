"""Keys and views: every attribute name, key format and index of the one DynamoDB table, and the views (the table
or an index, and how its partition key is made) a namespace's sessions are read through.

Key parts taken from outside are escaped before they are joined with ``#``, so no namespace, user or charger id can
produce another tenant's key (``docs/storage.md``, "Key parts and escaping").
"""

from __future__ import annotations

from dataclasses import dataclass

from .dynamodb_json import Item

SEP = "#"

# Table key.
PK = "pk"
SK = "sk"
# Item bookkeeping: a revision number, bumped on every write, for optimistic concurrency.
REV = "rev"
COUNT = "n"
"""The count attribute of a counter item."""

MAX_SESSION_ID_BYTES = 256
"""Longest session id accepted, in UTF-8 bytes: the sort key (``createdAt#id``) must stay under DynamoDB's
1,024 bytes, and a character can take four."""
SOURCE_UPDATED = "srcUpd"
"""The ``updatedAt`` the session's source gave (the writer stores its own change stamp as ``updatedAt``): what orders
deliveries of one session (a late, older one is stale)."""
UPDATED_SK = "uSk"
"""Sort key of the update feed's indexes: canonical ``updatedAt`` then the id (see :func:`updated_sk`)."""
COUNTER_PARTITION_SUFFIX = "#count"
SWEEP_PARTITION = "counter-check#sweep"
"""Partition of the counter check's sweep position (holds ``#``, so no escaped namespace can name it)."""
IDENTITY_PARTITION_SUFFIX = "#id"


def escape(part: str) -> str:
    """Escape one key part so that it holds no ``#`` (and every escape is reversible)."""
    return part.replace("%", "%25").replace(SEP, "%23")


def unescape(part: str) -> str:
    return part.replace("%23", SEP).replace("%25", "%")


def join(*parts: str) -> str:
    """A key made of escaped parts; fixed tokens (``status``) are passed through ``escape`` too."""
    return SEP.join(escape(part) for part in parts)


def namespace_pk(namespace: str) -> str:
    return escape(namespace)


def session_sk(created_at: str, session_id: str) -> str:
    """Sort key: canonical ``createdAt`` (fixed width, UTC) then the id; descending order is newest first,
    ties broken by id descending. The id is not escaped: the fixed-width timestamp already delimits it."""
    return f"{created_at}{SEP}{session_id}"


def updated_sk(updated_at: str, session_id: str) -> str:
    """Sort key of the update feed: canonical ``updatedAt`` (fixed width, UTC) then the id, so that ascending
    order is the feed's order (``updatedAt``, ties by id) and every session has exactly one place in it."""
    return f"{updated_at}{SEP}{session_id}"


def counter_pk(namespace: str) -> str:
    return namespace_pk(namespace) + COUNTER_PARTITION_SUFFIX


def identity_pk(namespace: str) -> str:
    """Partition of the namespace's identity items: one per session id, pointing at its ``createdAt``, so that a
    writer finds a session by id even when a re-import corrects its ``createdAt`` (part of the table key)."""
    return namespace_pk(namespace) + IDENTITY_PARTITION_SUFFIX


@dataclass(frozen=True)
class View:
    """One way of reading a namespace's sessions in order: an index (or the table) and how its
    partition key is made. ``keys_index`` is a KEYS_ONLY index in the same order, used to skip cheaply."""

    name: str
    """Filter combination this view serves, also the counter's sort-key prefix."""
    index: str | None
    """GSI that holds the items (ALL projection); ``None`` for the table itself."""
    pk_attr: str
    keys_index: str | None = None
    keys_pk_attr: str | None = None
    sk_attr: str = SK
    """Sort key of the view (and of its keys-only twin): ``sk`` (``createdAt#id``) but for the update feed."""
    uses_user: bool = False
    uses_charger: bool = False
    uses_status: bool = False

    def partition_key(self, namespace: str, user_id: str | None, charger_id: str | None, status: str | None) -> str:
        parts = [namespace]
        if self.uses_user:
            assert user_id is not None
            parts.append(user_id)
        if self.uses_charger:
            assert charger_id is not None
            parts.append(charger_id)
        if self.uses_status:
            assert status is not None
            parts.append(status)
        return join(*parts)

    def counter_sk(self, user_id: str | None, charger_id: str | None, status: str | None) -> str:
        parts = ["all"]
        if self.uses_user:
            assert user_id is not None
            parts += ["user", user_id]
        if self.uses_charger:
            assert charger_id is not None
            parts += ["charger", charger_id]
        if self.uses_status:
            assert status is not None
            parts += ["status", status]
        return join(*parts)

    def applies_to(self, user_id: str | None, charger_id: str | None) -> bool:
        """Whether an item with these attributes appears in this view (GSIs are sparse)."""
        return (not self.uses_user or user_id is not None) and (not self.uses_charger or charger_id is not None)


NAMESPACE = View(
    name="namespace",
    index=None,
    pk_attr=PK,
    keys_index="keys-by-namespace",
    keys_pk_attr="kNs",
)
BY_STATUS = View(name="status", index="by-status", pk_attr="gStatus", uses_status=True)
BY_USER = View(name="userId", index="by-user", pk_attr="gUser", uses_user=True)
BY_USER_STATUS = View(
    name="userId+status", index="by-user-status", pk_attr="gUserStatus", uses_user=True, uses_status=True
)
BY_CHARGER = View(name="chargerId", index="by-charger", pk_attr="gCharger", uses_charger=True)
BY_CHARGER_STATUS = View(
    name="chargerId+status", index="by-charger-status", pk_attr="gChargerStatus", uses_charger=True, uses_status=True
)
BY_USER_CHARGER = View(
    name="userId+chargerId", index="by-user-charger", pk_attr="gUserCharger", uses_user=True, uses_charger=True
)
BY_USER_CHARGER_STATUS = View(
    name="userId+chargerId+status",
    index="by-user-charger-status",
    pk_attr="gUserChargerStatus",
    uses_user=True,
    uses_charger=True,
    uses_status=True,
)

VIEWS: tuple[View, ...] = (
    NAMESPACE,
    BY_STATUS,
    BY_USER,
    BY_USER_STATUS,
    BY_CHARGER,
    BY_CHARGER_STATUS,
    BY_USER_CHARGER,
    BY_USER_CHARGER_STATUS,
)
"""Every view; each has an exact counter per partition key, maintained on every write."""

FEED = View(
    name="updatedAt",
    index="by-updated",
    pk_attr="gUpd",
    keys_index="keys-by-updated",
    keys_pk_attr="kUpd",
    sk_attr=UPDATED_SK,
)
"""The update feed: every session of a namespace by ``updatedAt`` then id (``sort=updatedAt`` and every
``updatedFrom``/``updatedTo`` range). It keeps no counter of its own: it holds the same sessions as
:data:`NAMESPACE`, whose counter counts them."""

INDEX_ATTRIBUTES: dict[str, str] = {view.index: view.pk_attr for view in (*VIEWS, FEED) if view.index is not None} | {
    view.keys_index: view.keys_pk_attr for view in (*VIEWS, FEED) if view.keys_index and view.keys_pk_attr
}
"""GSI name -> its partition-key attribute."""

INDEX_SORT_KEYS: dict[str, str] = {
    name: view.sk_attr for view in (*VIEWS, FEED) for name in (view.index, view.keys_index) if name is not None
}
"""GSI name -> its sort-key attribute (``sk`` but for the update feed's two indexes)."""

KEYS_ONLY_INDEXES = frozenset(view.keys_index for view in (*VIEWS, FEED) if view.keys_index is not None)

KEY_ATTRIBUTES = frozenset({PK, SK, REV, UPDATED_SK, SOURCE_UPDATED, *INDEX_ATTRIBUTES.values()})
"""Attributes that belong to the storage layout, not to the session."""


def choose_view(user_id: str | None, charger_id: str | None, status: str | None) -> View:
    """The view that serves a filter combination: every combination has its own index and counter, so every
    page is a key condition and every count one GetItem."""
    uses = (user_id is not None, charger_id is not None, status is not None)
    return next(view for view in VIEWS if (view.uses_user, view.uses_charger, view.uses_status) == uses)


def session_key(namespace: str, created_at: str, session_id: str) -> Item:
    """The table key of a session."""
    return {PK: {"S": namespace_pk(namespace)}, SK: {"S": session_sk(created_at, session_id)}}


def identity_key(namespace: str, session_id: str) -> Item:
    """The table key of a session's identity item (see :func:`identity_pk`)."""
    return {PK: {"S": identity_pk(namespace)}, SK: {"S": session_id}}


def counter_key(namespace: str, view: View, user_id: str | None, charger_id: str | None, status: str | None) -> Item:
    """The key of the counter of one view's partition."""
    return {PK: {"S": counter_pk(namespace)}, SK: {"S": view.counter_sk(user_id, charger_id, status)}}


def namespace_counter_key(namespace: str) -> Item:
    """The key of the counter of all the namespace's sessions."""
    return counter_key(namespace, NAMESPACE, None, None, None)


def checked_namespace(pk: str) -> str | None:
    """The namespace whose sessions or counters a partition key holds (a namespace whose sessions all expired still
    has counters to check); ``None`` for identity partitions. Escaped namespaces hold no ``#``; the partitions of
    their counters and identity items end in a suffix that does."""
    if SEP not in pk:
        return unescape(pk)
    if pk.endswith(COUNTER_PARTITION_SUFFIX) and SEP not in pk[: -len(COUNTER_PARTITION_SUFFIX)]:
        return unescape(pk[: -len(COUNTER_PARTITION_SUFFIX)])
    return None


def sweep_key() -> Item:
    """The key of the item that holds where the counter check's sweep of the table stands."""
    return {PK: {"S": SWEEP_PARTITION}, SK: {"S": "position"}}
