"""The storage contract: how sessions and their counters are laid out in the one DynamoDB table.

Everything that knows an attribute name, a key format or an index name lives here, so that the
repository, the template test and the docs (``docs/storage.md``) describe the same layout.

Key parts taken from outside (namespace, userId, chargerId) are escaped before they are joined with
``#``: ``%`` becomes ``%25`` and ``#`` becomes ``%23``. Escaped parts never contain ``#``, so the
joined key splits back into exactly the parts it was made of: no namespace, user or charger id,
whatever characters it holds, can produce another tenant's key.
"""

from __future__ import annotations

from dataclasses import dataclass

SEP = "#"

# Table key.
PK = "pk"
SK = "sk"
# Item bookkeeping: a revision number, bumped on every write, for optimistic concurrency.
REV = "rev"
COUNT = "n"
"""The count attribute of a counter item."""

MAX_KEY_PART_CHARS = 128
"""Longest namespace, userId or chargerId accepted: keeps every key far below DynamoDB's limits."""
MAX_SESSION_ID_CHARS = 256
"""Longest session id accepted (the sort key's limit is 1024 bytes)."""
COUNTER_PARTITION_SUFFIX = "#count"


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


def counter_pk(namespace: str) -> str:
    return namespace_pk(namespace) + COUNTER_PARTITION_SUFFIX


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

VIEWS: tuple[View, ...] = (NAMESPACE, BY_STATUS, BY_USER, BY_USER_STATUS, BY_CHARGER, BY_CHARGER_STATUS)
"""Every view; each has an exact counter per partition key, maintained on every write."""

INDEX_ATTRIBUTES: dict[str, str] = {view.index: view.pk_attr for view in VIEWS if view.index is not None} | {
    view.keys_index: view.keys_pk_attr for view in VIEWS if view.keys_index and view.keys_pk_attr
}
"""GSI name -> its partition-key attribute (every GSI sorts by ``sk``)."""

KEY_ATTRIBUTES = frozenset({PK, SK, REV, *INDEX_ATTRIBUTES.values()})
"""Attributes that belong to the storage layout, not to the session."""


def choose_view(user_id: str | None, charger_id: str | None, status: str | None) -> tuple[View, bool]:
    """The view that serves a filter combination, and whether ``chargerId`` must still be filtered.

    userId + chargerId has no index of its own: it reads the user's view (a user's sessions are few)
    and filters on chargerId, and its count is computed by reading, not from a counter.
    """
    if user_id is not None:
        return (BY_USER_STATUS if status else BY_USER), charger_id is not None
    if charger_id is not None:
        return (BY_CHARGER_STATUS if status else BY_CHARGER), False
    return (BY_STATUS if status else NAMESPACE), False
