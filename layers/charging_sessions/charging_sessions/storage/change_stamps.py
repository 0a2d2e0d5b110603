"""Change stamps: the ``updatedAt`` the writer stores, which orders the update feed. A source's own stamp is kept
while it is fresh and newer than the stored one; otherwise the writer stamps the change itself, so that every
accepted change enters the feed ahead of every resume point (``docs/storage.md``, "Change stamps")."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..time_range import canonical_instant

COMMIT_MARGIN_SECONDS = 2.0
"""What the settle window keeps beyond a stamp's commit: GSI propagation and clock differences between writers and
readers (at most this, or half the window when it is shorter)."""


def commit_bound(settle_seconds: float) -> float:
    """Seconds a stamp may precede its commit so that a feed with this settle window still serves it: the window
    less :data:`COMMIT_MARGIN_SECONDS` (0: no bound can be kept, the feed then promises nothing)."""
    return max(settle_seconds - min(COMMIT_MARGIN_SECONDS, settle_seconds / 2), 0.0)


def _after(stamp: str) -> str:
    """The canonical stamp one millisecond after ``stamp``."""
    return canonical_instant((datetime.fromisoformat(stamp) + timedelta(milliseconds=1)).timestamp())


def change_stamp(source: str, stored: str | None, *, now: float, fresh_within: float) -> str:
    """The ``updatedAt`` to store for a change whose source stamped ``source`` (canonical), over a stored version
    stamped ``stored`` (``None``: new), at POSIX time ``now``: the source's stamp when it lies within
    ``fresh_within`` seconds before now (not after it), else now; and always after the stored stamp, so a correction
    with the same stamp is still a change."""
    stamp = source if now - fresh_within <= stamp_seconds(source) <= now else canonical_instant(now)
    if stored is not None and stamp <= stored:
        stamp = _after(stored)
    return stamp


def stamp_seconds(stamp: str) -> float:
    """A canonical stamp as POSIX seconds."""
    return datetime.fromisoformat(stamp).timestamp()
