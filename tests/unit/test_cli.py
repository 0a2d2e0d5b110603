"""The ``charging-sessions`` commands that need no table: token and demo-data."""

from __future__ import annotations

import json

import pytest

from local_toolkit import cli, gateway


def test_token_carries_the_namespace_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["token", "tenant-x"]) == 0
    claims = gateway.decode_claims(f"Bearer {capsys.readouterr().out.strip()}")
    assert claims is not None
    assert claims["namespaceId"] == "tenant-x"


def test_demo_data_is_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["demo-data", "--per-namespace", "5"])
    first = json.loads(capsys.readouterr().out)
    cli.main(["demo-data", "--per-namespace", "5"])
    assert json.loads(capsys.readouterr().out) == first
    assert len(first) == 15
