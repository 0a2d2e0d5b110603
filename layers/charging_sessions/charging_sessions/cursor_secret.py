"""Where the cursor keys come from: a Secrets Manager secret, fetched with short timeouts inside the request deadline
on the first request that needs a cursor, cached for ``CURSOR_KEY_MAX_AGE`` seconds and kept a while longer when a
refresh fails; or, on this machine only, a fixed local key (``CURSOR_LOCAL_KEY``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from .aws_clients import secrets_client
from .cursor import CursorKeys
from .deadline import DeadlineExceeded
from .observability import MetricName, count, logger
from .settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

KEY_GRACE_SECONDS = 3600.0
"""How long past ``CURSOR_KEY_MAX_AGE`` the last keys fetched still serve while Secrets Manager cannot be reached: an
outage shorter than this costs nothing; a rotation step must wait ``CURSOR_KEY_MAX_AGE`` plus this to be sure."""


class CursorKeysUnavailable(Exception):  # noqa: N818 - the name says what happened
    """The cursor keys could not be fetched, and no recent enough keys are held (answered 503, or a page without
    ``nextCursor`` where the answer can do without one)."""


def load_cursor_keys(settings: Settings, client: SecretsManagerClient | None = None) -> CursorKeys:
    """The cursor keys the settings point at, fetched now. Raises :class:`ConfigurationError` when there are none or
    the secret is malformed (the caller answers 500: a function that cannot sign cursors is misconfigured, not the
    client), :class:`CursorKeysUnavailable` when Secrets Manager cannot be reached in time."""
    if settings.cursor_secret_id is not None:
        # One GetSecretValue call, no caching library: the cache is CursorKeySource's (and Powertools' parameters
        # utility would import boto3 at every cold start).
        try:
            answer = (client or secrets_client(settings)).get_secret_value(SecretId=settings.cursor_secret_id)
        except (ClientError, BotoCoreError, DeadlineExceeded) as error:
            raise CursorKeysUnavailable(f"{type(error).__name__}: {error}") from error
        try:
            secret = json.loads(answer.get("SecretString") or "")
        except ValueError as error:
            raise ConfigurationError("the cursor secret must be a JSON object") from error
        if not isinstance(secret, dict):
            raise ConfigurationError("the cursor secret must be a JSON object")
        try:
            return CursorKeys.from_secret(secret)
        except ValueError as error:
            raise ConfigurationError(str(error)) from error
    if settings.cursor_local_key is not None:
        return CursorKeys.from_secret({"current": settings.cursor_local_key})
    raise ConfigurationError("no cursor key: set CURSOR_SECRET_ID (or CURSOR_LOCAL_KEY on a developer machine)")


class CursorKeySource:
    """The cursor keys of one execution environment (a ``CursorCodec``'s ``load_keys``): fetched when first needed,
    cached for ``CURSOR_KEY_MAX_AGE``, and, when a refresh fails, the last keys fetched for :data:`KEY_GRACE_SECONDS`
    more. Every failed fetch counts as ``CursorKeyFailures``."""

    def __init__(
        self,
        settings: Settings,
        *,
        fetch: Callable[[Settings], CursorKeys] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._fetch = fetch or self._from_secrets_manager
        self._clock = clock
        self._client: SecretsManagerClient | None = None
        self._keys: CursorKeys | None = None
        self._fetched_at = 0.0

    def __call__(self) -> CursorKeys:
        now = self._clock()
        age = now - self._fetched_at
        if self._keys is not None and age < self._settings.cursor_key_max_age:
            return self._keys
        try:
            keys = self._fetch(self._settings)
        except CursorKeysUnavailable as error:
            count(MetricName.CURSOR_KEY_FAILURES)
            held = self._keys is not None and age < self._settings.cursor_key_max_age + KEY_GRACE_SECONDS
            logger.warning(
                "Cursor keys could not be fetched",
                extra={"reason": str(error), "serving_held_keys": held, "held_keys_age_seconds": round(age)},
            )
            if held and self._keys is not None:
                return self._keys
            raise
        self._keys, self._fetched_at = keys, now
        return keys

    def _from_secrets_manager(self, settings: Settings) -> CursorKeys:
        if settings.cursor_secret_id is not None and self._client is None:
            self._client = secrets_client(settings)
        return load_cursor_keys(settings, self._client)
