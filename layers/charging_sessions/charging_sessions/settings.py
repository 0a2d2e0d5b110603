"""Runtime configuration, read once from environment variables into a typed, validated model."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .deadline import sdk_backoff_ceiling

DEFAULT_TAKE = 50
"""Page size when the caller gives no ``take`` (``DEFAULT_TAKE`` overrides it)."""
DEFAULT_FEED_SETTLE_SECONDS = 5.0
"""The update feed's settle window when ``FEED_SETTLE_SECONDS`` is not set (the writers' commit bound follows it)."""


class Settings(BaseModel):
    """Every environment variable the function reads. README's "Configuration" table mirrors this."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME", min_length=3, max_length=255)
    namespace_claim: str = Field(default="namespaceId", alias="NAMESPACE_CLAIM", min_length=1)
    default_take: int = Field(default=DEFAULT_TAKE, alias="DEFAULT_TAKE", ge=0)
    max_take: int = Field(default=1000, alias="MAX_TAKE", ge=1, le=10_000)
    dynamodb_connect_timeout: float = Field(default=0.5, alias="DYNAMODB_CONNECT_TIMEOUT", gt=0, le=10)
    dynamodb_read_timeout: float = Field(default=1.0, alias="DYNAMODB_READ_TIMEOUT", gt=0, le=30)
    dynamodb_max_attempts: int = Field(default=3, alias="DYNAMODB_MAX_ATTEMPTS", ge=1, le=10)
    deadline_margin: float | None = Field(default=None, alias="REQUEST_DEADLINE_MARGIN", ge=0, le=60)
    """Seconds kept free at the end of each invocation to answer (default: one attempt's connect + read + 0.5)."""
    cursor_secret_id: str | None = Field(default=None, alias="CURSOR_SECRET_ID", min_length=1)
    """Secrets Manager secret (name or ARN) holding the cursor keys: ``{"current": ..., "accepted": [...]}``."""
    cursor_local_key: str | None = Field(default=None, alias="CURSOR_LOCAL_KEY", min_length=32)
    """A fixed cursor key for ``charging-sessions serve``/``invoke`` only; ignored when ``CURSOR_SECRET_ID`` is set."""
    cursor_key_max_age: int = Field(default=900, alias="CURSOR_KEY_MAX_AGE", ge=0, le=86_400)
    """Seconds a container keeps the cursor keys before it fetches them again (how long a rotation takes)."""
    feed_settle_seconds: float = Field(default=DEFAULT_FEED_SETTLE_SECONDS, alias="FEED_SETTLE_SECONDS", ge=0, le=3600)
    """The update feed serves only sessions whose ``updatedAt`` is at least this much in the past."""
    tenant_read_units_per_second: float = Field(default=1000.0, alias="TENANT_READ_UNITS_PER_SECOND", ge=0)
    """Read units a namespace may consume a second in one execution environment (0: no per-tenant limit)."""
    tenant_read_units_burst: float = Field(default=20_000.0, alias="TENANT_READ_UNITS_BURST", ge=0)
    """Read units a namespace may save up for a burst (its bucket's size)."""
    counter_check_sample: int = Field(default=10_000, alias="COUNTER_CHECK_SAMPLE", ge=1, le=1_000_000)
    """Items of the table the hourly counter check sweeps a run (the whole table in turn: a namespace's counters are
    checked at least once every table items / this many hours)."""

    @property
    def dynamodb_worst_case_seconds(self) -> float:
        """Longest a failing DynamoDB call can take: every attempt times out (connect + read), plus the
        standard retry mode's backoff before each retry."""
        attempts = self.dynamodb_max_attempts
        backoff = sum(sdk_backoff_ceiling(retry) for retry in range(1, attempts))
        return attempts * (self.dynamodb_connect_timeout + self.dynamodb_read_timeout) + backoff

    @property
    def request_deadline_margin(self) -> float:
        if self.deadline_margin is not None:
            return self.deadline_margin
        return self.dynamodb_connect_timeout + self.dynamodb_read_timeout + 0.5

    @model_validator(mode="after")
    def _default_within_max(self) -> Settings:
        if self.default_take > self.max_take:
            raise ValueError("DEFAULT_TAKE must not exceed MAX_TAKE")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build from the process environment (or the given mapping); empty values count as unset."""
        source = os.environ if environ is None else environ
        values = {key: value for key, value in source.items() if value != ""}
        return cls.model_validate(values)


class ConfigurationError(RuntimeError):
    """The environment does not describe a usable configuration."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated once at cold start."""
    try:
        return Settings.from_env()
    except ValidationError as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
