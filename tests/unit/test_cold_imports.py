"""What the list function's init imports, in a fresh interpreter as Lambda's init runs it: not boto3 (botocore
alone builds the clients), not the modules the X-Ray SDK would patch but the function never calls, not wrapt 2's
extra imports, no scan of installed distributions for pydantic plugins. A guard on what a cold start pays for,
not a timing (``make bench`` measures the time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from typing import Any

NOT_AT_INIT = (
    "boto3",
    "s3transfer",
    "sqlite3",
    "requests",
    "aws_lambda_powertools.utilities.parameters",
    "botocore.stub",
)


def _lambda_environment() -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "PYDANTIC_DISABLE_PLUGINS"))
    }
    return environment | {
        "TABLE_NAME": "charging-sessions",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": "list-sessions",  # as in Lambda: the tracer is on and patches at init
        "LAMBDA_TASK_ROOT": os.getcwd(),
    }


def fresh_interpreter(code: str, environment: dict[str, str]) -> Any:
    """Runs ``code`` (after ``import json, sys``) in a fresh interpreter; its last line printed, as JSON."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", f"import json, sys\n{code}"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _probe(code: str, environment: dict[str, str]) -> Any:
    """Runs ``code`` after importing the function in a fresh interpreter; its last line printed, as JSON."""
    return fresh_interpreter(f"import list_sessions.app\n{code}", environment)


def test_init_imports_no_boto3_and_patches_only_botocore() -> None:
    modules = set(_probe("print(json.dumps(sorted(sys.modules)))", _lambda_environment()))
    assert "list_sessions.app" in modules and "botocore.client" in modules
    assert not [name for name in modules if name.split(".")[0] in NOT_AT_INIT or name in NOT_AT_INIT]
    assert not [name for name in modules if name.startswith("aws_lambda_powertools.utilities.parameters")]


def test_wrapt_is_the_version_the_layer_pins() -> None:
    assert int(version("wrapt").split(".")[0]) < 2


_PLUGINS = (
    "import os\nfrom pydantic.plugin import _loader\n"
    "print(json.dumps([os.environ.get('PYDANTIC_DISABLE_PLUGINS'), _loader._plugins is None]))"
)


def test_init_does_not_scan_installed_distributions_for_pydantic_plugins() -> None:
    """pydantic reads every installed distribution's entry points when the first model is built, unless told not to;
    Powertools builds one at import, so the function's opt-out must come first."""
    assert _probe(_PLUGINS, _lambda_environment()) == ["__all__", True]


def test_an_operators_pydantic_plugin_setting_is_kept() -> None:
    environment = _lambda_environment() | {"PYDANTIC_DISABLE_PLUGINS": "some-plugin"}
    assert _probe(_PLUGINS, environment) == ["some-plugin", False]  # scanned, minus the plugin the operator named
