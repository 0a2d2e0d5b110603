"""What the list function's init imports, in a fresh interpreter as Lambda's init runs it: not boto3 (botocore
alone builds the clients), not the modules the X-Ray SDK would patch but the function never calls, not wrapt 2's
extra imports. A guard on what a cold start pays for, not a timing (``make bench`` measures the time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version

NOT_AT_INIT = (
    "boto3",
    "s3transfer",
    "sqlite3",
    "requests",
    "aws_lambda_powertools.utilities.parameters",
    "botocore.stub",
)


def test_init_imports_no_boto3_and_patches_only_botocore() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "POWERTOOLS_"))}
    environment |= {
        "TABLE_NAME": "charging-sessions",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": "list-sessions",  # as in Lambda: the tracer is on and patches at init
        "LAMBDA_TASK_ROOT": os.getcwd(),
    }
    probe = "import json, sys\nimport list_sessions.app\nprint(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True
    )
    modules = set(json.loads(completed.stdout.strip().splitlines()[-1]))
    assert "list_sessions.app" in modules and "botocore.client" in modules
    assert not [name for name in modules if name.split(".")[0] in NOT_AT_INIT or name in NOT_AT_INIT]
    assert not [name for name in modules if name.startswith("aws_lambda_powertools.utilities.parameters")]


def test_wrapt_is_the_version_the_layer_pins() -> None:
    assert int(version("wrapt").split(".")[0]) < 2
