"""Where the cursor keys come from: a Secrets Manager secret, fetched through Powertools Parameters on the first
request that needs a cursor and cached for ``CURSOR_KEY_MAX_AGE`` seconds; or, on this machine only, a fixed
local key (``CURSOR_LOCAL_KEY``, set by ``charging-sessions serve``/``invoke``)."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from .cursor import CursorKeys
from .settings import ConfigurationError, Settings


def load_cursor_keys(settings: Settings) -> CursorKeys:
    """The cursor keys the settings point at. Raises :class:`ConfigurationError` when there are none (the caller
    answers 500: a function that cannot sign cursors is misconfigured, not the client)."""
    if settings.cursor_secret_id is not None:
        secret = parameters.get_secret(settings.cursor_secret_id, transform="json", max_age=settings.cursor_key_max_age)
        if not isinstance(secret, dict):
            raise ConfigurationError("the cursor secret must be a JSON object")
        try:
            return CursorKeys.from_secret(secret)
        except ValueError as error:
            raise ConfigurationError(str(error)) from error
    if settings.cursor_local_key is not None:
        return CursorKeys.from_secret({"current": settings.cursor_local_key})
    raise ConfigurationError("no cursor key: set CURSOR_SECRET_ID (or CURSOR_LOCAL_KEY on a developer machine)")
