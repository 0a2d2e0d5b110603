"""The ``charging-sessions`` command on moto and in its own process: invoke, import and recount."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from charging_sessions.query import SessionFilter, SessionQuery
from charging_sessions.storage.reader import SessionReader
from local_toolkit import cli
from tests.conftest import ROOT
from tests.factories import make_session
from tests.support import run_cli


@pytest.mark.parametrize(
    ("event", "status"), [("filter-user.json", 200), ("bad-take.json", 400), ("missing-claim.json", 401)]
)
def test_invoke_runs_an_event_file_without_docker(event: str, status: int) -> None:
    result = run_cli("invoke", str(ROOT / "events" / event))
    response = json.loads(result.stdout)  # the response alone, as sam local invoke prints it
    assert response["statusCode"] == status
    assert result.returncode == 0
    body = json.loads(response["body"])
    assert body["success"] is (status == 200)
    if status == 200:
        assert body["count"] > 0


def test_import_is_idempotent_and_recount_agrees(
    reader: SessionReader, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions: list[dict[str, Any]] = [
        make_session(minute=i, status="Started" if i % 2 else "Stopped") for i in range(6)
    ]
    path = tmp_path / "sessions.json"
    path.write_text(json.dumps(sessions), encoding="utf-8")
    assert cli.main(["import", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"created": 6}
    assert cli.main(["import", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"unchanged": 6}
    started = SessionQuery(SessionFilter(status="Started"))
    assert reader.read_page("tenant-alpha", started, skip=0, take=0).count == 3
    assert cli.main(["recount", "tenant-alpha"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 6
    assert reader.read_page("tenant-alpha", started, skip=0, take=0).count == 3
