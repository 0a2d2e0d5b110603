"""The harness around the function on this machine: its environment, the table it reads, and the handler module.

Two ways to get a table, as ``charging-sessions serve`` and ``invoke`` offer them:

* the embedded emulation (the default): moto's DynamoDB in this process, a table created from ``template.yaml``
  and loaded with demo data or a file; fake credentials, so nothing can reach AWS;
* an existing table (``--table NAME``): a dev table in AWS, DynamoDB Local or LocalStack, used as it is (nothing
  created, nothing loaded), found the way every AWS SDK finds DynamoDB: ``AWS_ENDPOINT_URL_DYNAMODB`` (or
  ``AWS_ENDPOINT_URL``), ``AWS_DEFAULT_REGION``/``AWS_PROFILE`` and the usual credential chain.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from charging_sessions.aws_clients import dynamodb_client
from charging_sessions.settings import Settings
from charging_sessions.storage.writer import SessionWriter

from .gateway import REGION
from .template_table import create_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LOCAL_TABLE = "charging-sessions-local"
LOCAL_CURSOR_KEY = "local-only-cursor-key-not-a-secret-0123456789"
"""Signs cursors on this machine only: the deployed function reads its keys from Secrets Manager."""
FUNCTION_MODULE = "list_sessions.app"
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")
"""Where the SDKs look for another DynamoDB endpoint (the service-specific one wins)."""
EMULATION_UNSETS = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "CURSOR_SECRET_ID", *ENDPOINT_VARIABLES)
"""What the embedded emulation takes out of the caller's environment: nothing may lead the function to AWS, to
another DynamoDB than the emulation, or to Secrets Manager."""
SLOW_DYNAMODB = {"DYNAMODB_READ_TIMEOUT": "30"}
"""The emulation (or DynamoDB Local) answers a 1,000-item page in seconds, not milliseconds: AWS-sized timeouts
would fail it."""
LOADING_TIMEOUTS = SLOW_DYNAMODB | {"DYNAMODB_MAX_ATTEMPTS": "10"}
"""Loading writes batches of up to 25 large sessions: a slow emulation (or DynamoDB Local) takes seconds for one,
so the loader waits long and retries often instead of failing half way."""


def function_environment(table_name: str) -> dict[str, str]:
    """What the function needs to run here against ``table_name``, whatever DynamoDB holds it: no X-Ray
    daemon, the local cursor key (never Secrets Manager)."""
    return {
        "TABLE_NAME": table_name,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "charging-sessions",
        "POWERTOOLS_METRICS_NAMESPACE": "ChargingSessions",
        "CURSOR_LOCAL_KEY": LOCAL_CURSOR_KEY,
    }


def local_environment(endpoint_url: str | None, table_name: str = LOCAL_TABLE) -> dict[str, str]:
    """Environment the function sees on the embedded emulation: fake credentials, a fixed region, and the
    emulation's endpoint (``None``: moto in process, ``mock_aws``). Apply it with :func:`apply_environment`
    and ``unset=EMULATION_UNSETS``."""
    environment = {
        **function_environment(table_name),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }
    if endpoint_url:
        environment |= {"AWS_ENDPOINT_URL_DYNAMODB": endpoint_url, **SLOW_DYNAMODB}
    return environment


def apply_environment(environment: Mapping[str, str], *, unset: Collection[str] = ()) -> None:
    """Set ``environment`` in this process, after removing the variables named in ``unset`` (unless set again)."""
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update(environment)


def use_emulation(endpoint_url: str | None, table_name: str = LOCAL_TABLE) -> None:
    """Point this process (the function, and every client built after) at the embedded emulation."""
    apply_environment(local_environment(endpoint_url, table_name), unset=EMULATION_UNSETS)


def start_emulation(host: str = "127.0.0.1") -> tuple[Any, str]:
    """moto's DynamoDB as a server in this process, on a free port; returns the server and its URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise SystemExit("the local emulation needs moto: pip install -e '.[dev]'") from exc
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulation's own access log is noise here
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    bound_host, port = server.get_host_and_port()
    host_text = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    return server, f"http://{host_text}:{port}"


def loading_client(table_name: str) -> DynamoDBClient:
    """A client for writing many sessions: the SDK's endpoint and credentials, patient timeouts and retries."""
    return dynamodb_client(Settings.from_env({**os.environ, "TABLE_NAME": table_name, **LOADING_TIMEOUTS}))


def report_progress(label: str, *, every_seconds: float = 2.0) -> Callable[[int], None]:
    """A progress callback for long loads: ``label: N sessions`` on stderr, at the first call and then at most
    every ``every_seconds``."""
    last = -math.inf

    def report(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= every_seconds:
            last = now
            print(f"{label}: {done:,} sessions", file=sys.stderr, flush=True)

    return report


def prepare_table(sessions: Iterable[Mapping[str, Any]], table_name: str = LOCAL_TABLE) -> int:
    """Create the template's table in the emulation and load the sessions (progress on stderr); returns how many."""
    client = loading_client(table_name)
    create_table(client, table_name)
    return SessionWriter(client, table_name).load(sessions, progress=report_progress("loading"))


def endpoint_of(client: Any) -> str:
    return str(client.meta.endpoint_url)


def use_existing_table(table_name: str) -> str:
    """Point this process at an existing table, found with the SDK's own settings, and check it is there; returns
    where it is (the endpoint URL). Nothing is created or loaded. Exits with a message when it cannot be used."""
    apply_environment(function_environment(table_name) | SLOW_DYNAMODB, unset=("CURSOR_SECRET_ID",))
    try:
        client = dynamodb_client(Settings.from_env())
    except NoRegionError as error:
        raise SystemExit("no AWS region: set AWS_DEFAULT_REGION or AWS_PROFILE (a profile with a region)") from error
    where = endpoint_of(client)
    try:
        status = client.describe_table(TableName=table_name)["Table"].get("TableStatus", "ACTIVE")
    except NoCredentialsError as error:
        raise SystemExit(f"no AWS credentials to reach {where}: set AWS_PROFILE or the usual variables") from error
    except ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") == "ResourceNotFoundException":
            raise SystemExit(f"table {table_name!r} not found at {where}") from error
        raise SystemExit(f"cannot use table {table_name!r} at {where}: {details.get('Code')}") from error
    except BotoCoreError as error:
        raise SystemExit(f"cannot reach DynamoDB at {where}: {error}") from error
    if status != "ACTIVE":
        print(f"table {table_name!r} is {status}", file=sys.stderr)
    return where


def load_handler() -> ModuleType:
    """Import the function's module (after the environment is set: it reads its settings at import)."""
    return importlib.import_module(FUNCTION_MODULE)
