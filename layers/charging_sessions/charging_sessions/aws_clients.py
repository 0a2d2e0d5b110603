"""AWS SDK clients (DynamoDB, Secrets Manager), built once per execution environment with timeouts and retries that
fit the function, inside the request deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.config import Config
from botocore.session import Session, get_session

from .deadline import REQUEST_DEADLINE
from .response_parser import ResponseParserFactory
from .settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient


def dynamodb_client(settings: Settings) -> DynamoDBClient:
    """A DynamoDB client whose worst case (attempts x (connect + read) + backoff) stays inside the
    function's timeout: the SDK's standard retry mode retries throttling and 5xx errors with jitter.

    The endpoint, region and credentials are the SDK's own settings (``AWS_ENDPOINT_URL_DYNAMODB`` points it at
    DynamoDB Local, LocalStack or the local emulation)."""
    client: DynamoDBClient = _session().create_client("dynamodb", config=_config(settings))  # type: ignore[assignment]
    REQUEST_DEADLINE.install(client, attempt_seconds=settings.dynamodb_connect_timeout + settings.dynamodb_read_timeout)
    return client


def secrets_client(settings: Settings) -> SecretsManagerClient:
    """A Secrets Manager client (the cursor keys) with the same short timeouts and retries as DynamoDB's, inside the
    request deadline: botocore's defaults (60 s timeouts) would outlive the function."""
    client: SecretsManagerClient = _session().create_client(  # type: ignore[assignment]
        "secretsmanager", config=_config(settings)
    )
    REQUEST_DEADLINE.install(client, attempt_seconds=settings.dynamodb_connect_timeout + settings.dynamodb_read_timeout)
    return client


def _session() -> Session:
    """botocore's default session: what ``boto3.client`` wraps, without importing boto3 (its resources, its S3
    transfer manager and its docs cost ~100 ms of every cold start and serve nothing here). Its clients parse
    DynamoDB's answers with :mod:`.response_parser` (the same result as botocore's parser, several times faster)."""
    session = get_session()
    session.register_component("response_parser_factory", ResponseParserFactory())
    return session


def _config(settings: Settings) -> Config:
    return Config(
        connect_timeout=settings.dynamodb_connect_timeout,
        read_timeout=settings.dynamodb_read_timeout,
        # total_max_attempts counts the first attempt too (botocore's max_attempts counts only retries)
        retries={"mode": "standard", "total_max_attempts": settings.dynamodb_max_attempts},
        tcp_keepalive=True,
    )
