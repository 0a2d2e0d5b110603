"""`charging-sessions serve` in its own process, for the tests that talk to it over HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest


@contextmanager
def local_server(*extra_args: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Starts the local server on a free port (``env``: its whole environment, default this process's); yields
    the list route's URL; stops the server on exit."""
    command = [sys.executable, "-m", "local_toolkit.cli", "serve", "--port", "0", *extra_args]
    process = subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.match(r"API:\s+(http://\S+)", line)
            if match:
                # keep reading what the server prints (its logs), so that a full pipe never blocks it
                for stream in (process.stdout, process.stderr):
                    if stream is not None:
                        threading.Thread(target=stream.read, daemon=True).start()
                yield match.group(1)
                break
        else:
            pytest.fail(f"server did not start: {process.stderr.read() if process.stderr else ''}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def base_url(route_url: str) -> str:
    """``http://host:port`` of the server, from the list route's URL."""
    return route_url.split("/api/", 1)[0]
