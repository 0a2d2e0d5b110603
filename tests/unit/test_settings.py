"""The function's settings: defaults, bounds, and the worst case of a failing DynamoDB call."""

from __future__ import annotations

import pytest

from charging_sessions.settings import DEFAULT_TAKE, Settings
from local_toolkit.template_table import load_template
from tests.conftest import TABLE


def test_worst_case_of_a_failing_call_fits_inside_the_function_timeout() -> None:
    settings = Settings.model_validate({"TABLE_NAME": TABLE})
    timeout = load_template()["Globals"]["Function"]["Timeout"]
    assert settings.dynamodb_worst_case_seconds < timeout


def test_the_worst_case_caps_each_backoff_at_twenty_seconds() -> None:
    settings = Settings.model_validate(
        {
            "TABLE_NAME": TABLE,
            "DYNAMODB_MAX_ATTEMPTS": "10",
            "DYNAMODB_CONNECT_TIMEOUT": "1",
            "DYNAMODB_READ_TIMEOUT": "2",
        }
    )
    backoff = 1 + 2 + 4 + 8 + 16 + 20 + 20 + 20 + 20  # before retries 1 to 9
    assert settings.dynamodb_worst_case_seconds == 10 * (1 + 2) + backoff


def test_defaults() -> None:
    settings = Settings.from_env({"TABLE_NAME": TABLE, "MAX_TAKE": ""})  # empty values count as unset
    assert (settings.default_take, settings.max_take, settings.namespace_claim) == (DEFAULT_TAKE, 1000, "namespaceId")
    assert settings.feed_settle_seconds == 5.0
    assert settings.request_deadline_margin == settings.dynamodb_connect_timeout + settings.dynamodb_read_timeout + 0.5


def test_the_default_page_may_not_exceed_the_largest() -> None:
    with pytest.raises(ValueError, match="DEFAULT_TAKE must not exceed MAX_TAKE"):
        Settings.model_validate({"TABLE_NAME": TABLE, "DEFAULT_TAKE": "20", "MAX_TAKE": "10"})
