"""AWS SDK clients (DynamoDB, Secrets Manager), built once per execution environment with timeouts and retries that
fit the function, inside the request deadline."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from botocore.config import Config
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader
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
    DynamoDB's answers with :mod:`.response_parser` (the same result as botocore's parser, several times faster),
    and it finds a service's model by the service's name (:class:`NamedServiceLoader`)."""
    session = get_session()
    session.register_component("response_parser_factory", ResponseParserFactory())
    session.register_component("data_loader", NamedServiceLoader.like_botocores(session))
    return session


class KnownServices(Sequence[str]):
    """The services a loader knows for one model type, as botocore's ``list_available_services`` lists them, except
    that asking whether it holds one service looks in that service's directory only. The whole list (for an error
    message, say) is built, botocore's way, only when something reads it."""

    def __init__(self, loader: Loader, type_name: str) -> None:
        self._loader = loader
        self._type_name = type_name
        self._listed: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not name or os.sep in name or name.startswith("."):
            return False
        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        if self._listed is None:
            self._listed = Loader.list_available_services(self._loader, self._type_name)
        return self._listed

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


class NamedServiceLoader(Loader):
    """botocore's data loader, except for how it checks a service's name. Before loading a service's model, botocore
    lists every service it knows to see whether the name is among them: each of ~400 directories on every search
    path, once for the model and once for its endpoint rules, about 25 ms of every cold start here (the floor's
    boto3 client pays it too). This loader answers that question from the named service's own directory
    (:class:`KnownServices`); the models, the search paths (``AWS_DATA_PATH`` included) and the errors are
    botocore's."""

    def list_available_services(self, type_name: str) -> Sequence[str]:  # type: ignore[override]
        return KnownServices(self, type_name)

    @classmethod
    def like_botocores(cls, session: Session) -> NamedServiceLoader:
        """A loader on the search paths botocore's own would have (``create_loader``): ``AWS_DATA_PATH``'s
        entries, user and variables expanded, before botocore's."""
        data_path = session.get_config_variable("data_path")
        if not data_path:
            return cls()
        return cls(
            extra_search_paths=[os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
        )


def _config(settings: Settings) -> Config:
    return Config(
        connect_timeout=settings.dynamodb_connect_timeout,
        read_timeout=settings.dynamodb_read_timeout,
        # total_max_attempts counts the first attempt too (botocore's max_attempts counts only retries)
        retries={"mode": "standard", "total_max_attempts": settings.dynamodb_max_attempts},
        tcp_keepalive=True,
    )
