"""The harness around the function on this machine: its environment, the table it reads (created from
``template.yaml`` in an embedded DynamoDB emulation and loaded), and the handler module itself.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from charging_sessions.aws_clients import dynamodb_client
from charging_sessions.settings import Settings
from charging_sessions.writer import SessionWriter

from .gateway import REGION
from .template_table import create_table

LOCAL_TABLE = "charging-sessions-local"
LOCAL_CURSOR_KEY = "local-only-cursor-key-not-a-secret-0123456789"
"""Signs cursors on this machine only: the deployed function reads its keys from Secrets Manager."""
FUNCTION_MODULE = "list_sessions.app"


def local_environment(endpoint_url: str | None, table_name: str = LOCAL_TABLE) -> dict[str, str]:
    """Environment the function sees locally: fake credentials, no X-Ray daemon, the emulated table."""
    environment = {
        "TABLE_NAME": table_name,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "charging-sessions",
        "POWERTOOLS_METRICS_NAMESPACE": "ChargingSessions",
        "CURSOR_LOCAL_KEY": LOCAL_CURSOR_KEY,
    }
    if endpoint_url:
        environment["DYNAMODB_ENDPOINT_URL"] = endpoint_url
        # The emulation answers a 1,000-item page in seconds, not milliseconds: AWS-sized timeouts would fail it.
        environment["DYNAMODB_READ_TIMEOUT"] = "30"
    return environment


def apply_environment(environment: Mapping[str, str]) -> None:
    os.environ.update(environment)


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


def prepare_table(
    sessions: Iterable[Mapping[str, Any]], *, endpoint_url: str | None, table_name: str = LOCAL_TABLE
) -> int:
    """Create the template's table in the emulation and load the sessions; returns how many."""
    settings = Settings.model_validate({"TABLE_NAME": table_name, "DYNAMODB_ENDPOINT_URL": endpoint_url})
    client = dynamodb_client(settings)
    create_table(client, table_name)
    return SessionWriter(client, table_name).load(sessions)


def load_handler() -> ModuleType:
    """Import the function's module (after the environment is set: it reads its settings at import)."""
    return importlib.import_module(FUNCTION_MODULE)
