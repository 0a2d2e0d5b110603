"""template.yaml agrees with the storage contract in code, and grants the function only reads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from charging_sessions.observability import MetricName
from charging_sessions.storage import keys
from local_toolkit.template_table import cors_configuration, load_template, table_properties


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_table_keys_and_indexes_are_the_storage_contract(template: dict[str, Any]) -> None:
    table = table_properties(template)
    assert table["KeySchema"] == [
        {"AttributeName": keys.PK, "KeyType": "HASH"},
        {"AttributeName": keys.SK, "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == set(keys.INDEX_ATTRIBUTES)
    for name, hash_attribute in keys.INDEX_ATTRIBUTES.items():
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": hash_attribute, "KeyType": "HASH"},
            {"AttributeName": keys.INDEX_SORT_KEYS[name], "KeyType": "RANGE"},
        ]
    for name, index in indexes.items():
        assert index["Projection"]["ProjectionType"] == ("KEYS_ONLY" if name in keys.KEYS_ONLY_INDEXES else "ALL")
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == dict.fromkeys(
        [keys.PK, keys.SK, keys.UPDATED_SK, *keys.INDEX_ATTRIBUTES.values()], "S"
    )
    assert set(keys.INDEX_SORT_KEYS.values()) == {keys.SK, keys.UPDATED_SK}


def test_table_is_protected_and_on_demand(template: dict[str, Any]) -> None:
    resource = template["Resources"]["SessionsTable"]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    properties = resource["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_function_can_only_read_the_table_and_its_indexes(template: dict[str, Any]) -> None:
    function = template["Resources"]["ListSessionsFunction"]["Properties"]
    statements = [statement for policy in function["Policies"] for statement in policy["Statement"]]
    assert [statement["Sid"] for statement in statements] == ["ReadChargingSessions", "ReadCursorKeys"]
    read, keys_ = statements
    assert read["Effect"] == keys_["Effect"] == "Allow"
    assert set(read["Action"]) == {"dynamodb:Query", "dynamodb:GetItem"}
    assert read["Resource"] == [
        {"Fn::GetAtt": ["SessionsTable", "Arn"]},
        {"Fn::Sub": "${SessionsTable.Arn}/index/*"},
    ]
    assert keys_["Action"] == ["secretsmanager:GetSecretValue"]
    assert keys_["Resource"] == [{"Ref": "CursorSecret"}]
    variables = function["Environment"]["Variables"]
    assert variables["CURSOR_SECRET_ID"] == {"Ref": "CursorSecret"}
    assert "CURSOR_LOCAL_KEY" not in variables


def test_function_runtime_and_wiring(template: dict[str, Any]) -> None:
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] in ("python3.12", "python3.13")
    assert globals_["Architectures"] == ["arm64"]
    function = template["Resources"]["ListSessionsFunction"]["Properties"]
    assert function["Handler"] == "app.lambda_handler"
    assert function["Environment"]["Variables"]["NAMESPACE_CLAIM"] == {"Ref": "NamespaceClaim"}
    route = function["Events"]["ListForNamespace"]["Properties"]
    assert (route["Path"], route["Method"]) == ("/api/charging-sessions/list/for/namespace", "GET")


def test_api_requires_a_jwt(template: dict[str, Any]) -> None:
    auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert authorizer["JwtConfiguration"]["issuer"] == {"Ref": "JwtIssuer"}
    assert authorizer["IdentitySource"] == "$request.header.Authorization"


def _metrics_of(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return {(properties["Namespace"], properties["MetricName"])}
    return {
        (query["MetricStat"]["Metric"]["Namespace"], query["MetricStat"]["Metric"]["MetricName"])
        for query in properties["Metrics"]
        if "MetricStat" in query
    }


def test_alarms_cover_what_an_operator_must_be_paged_for(template: dict[str, Any]) -> None:
    alarms = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    watched = set().union(*(_metrics_of(alarm) for alarm in alarms.values()))
    assert {
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "Duration"),
        ("AWS/ApiGateway", "5xx"),
        ("AWS/DynamoDB", "ThrottledRequests"),
        ("AWS/DynamoDB", "SystemErrors"),
        ("ChargingSessions", MetricName.DYNAMODB_ERRORS),
        ("ChargingSessions", MetricName.INTERNAL_ERRORS),
        ("ChargingSessions", MetricName.INVALID_STORED_ITEMS),
    } <= watched
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"], "every alarm notifies someone"


def test_custom_metrics_named_in_the_template_are_the_ones_the_code_emits(template: dict[str, Any]) -> None:
    emitted = {value for name, value in vars(MetricName).items() if not name.startswith("_")}
    text = json.dumps(template)
    dashboard = json.dumps(template["Resources"]["Dashboard"]["Properties"]["DashboardBody"])
    for metric in (
        "Requests",
        "SessionsReturned",
        "ValidationFailures",
        "UnauthorizedRequests",
        "DynamoDBThrottles",
        "DynamoDBErrors",
        "InvalidStoredItems",
        "ReadCapacityUnits",
    ):
        assert metric in emitted
        assert metric in dashboard
    assert '"ChargingSessions"' in text


def test_api_cors_is_off_by_default_and_its_lists_are_the_browser_contract(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["CorsAllowedOrigins"]
    assert (parameter["Type"], parameter["Default"]) == ("CommaDelimitedList", "")
    cors = template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    condition, configuration, otherwise = cors["Fn::If"]
    assert (condition, otherwise) == ("HasCors", {"Ref": "AWS::NoValue"})
    assert configuration == {
        "AllowOrigins": {"Ref": "CorsAllowedOrigins"},
        "AllowMethods": ["GET"],
        "AllowHeaders": ["authorization", "content-type", "accept", "if-none-match", "x-request-id"],
        "ExposeHeaders": ["etag", "link", "retry-after", "x-request-id", "x-total-count"],
        "MaxAge": 600,
    }
    assert cors_configuration(template) == configuration  # what the local server answers CORS with


def test_api_has_access_logs_and_throttling(template: dict[str, Any]) -> None:
    api = template["Resources"]["HttpApi"]["Properties"]
    assert api["AccessLogSettings"]["DestinationArn"]
    assert json.loads(api["AccessLogSettings"]["Format"])["requestId"] == "$context.requestId"
    assert api["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
    }
    for parameter in (
        "Stage",
        "LogLevel",
        "MaxTake",
        "NamespaceClaim",
        "JwtIssuer",
        "JwtAudience",
        "ReservedConcurrency",
        "EnableGradualDeployment",
    ):
        assert parameter in template["Parameters"]


DEBUG_SWITCHES = (
    "POWERTOOLS_LOGGER_LOG_EVENT",  # the Logger logs each event, Authorization header included
    "POWERTOOLS_DEV",  # the resolver prints each event; logs multi-line; metrics off
    "POWERTOOLS_DEBUG",  # Powertools' own DEBUG logs on stdout
    "POWERTOOLS_EVENT_HANDLER_DEBUG",  # v2's resolver debug switch (unread by v3; pinned against a downgrade)
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE",  # response bodies into X-Ray
    "POWERTOOLS_TRACER_CAPTURE_ERROR",  # exception objects into X-Ray
)


def test_debug_switches_that_would_leak_the_event_are_pinned_off(template: dict[str, Any]) -> None:
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    for name in DEBUG_SWITCHES:
        assert shared.get(name) == "false", f"{name} must be the literal string 'false'"
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            own = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert not set(own) & set(DEBUG_SWITCHES), "a function must not override the pinned switches"


def test_the_route_can_require_a_scope_and_requires_none_by_default(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["RequiredScope"]
    assert parameter["Type"] == "String" and parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    for scope in ("", "charging-sessions/sessions.read", "https://api.example.com/read", "sessions:read"):
        assert pattern.fullmatch(scope), scope
    for scope in ("two scopes", 'quote"d', "back\\slash", "tab\there"):
        assert not pattern.fullmatch(scope), scope
    assert template["Conditions"]["HasRequiredScope"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "RequiredScope"}, ""]}]}
    auth = template["Resources"]["ListSessionsFunction"]["Properties"]["Events"]["ListForNamespace"]["Properties"]
    assert auth["Auth"]["Authorizer"] == template["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]
    # One element that disappears when no scope is set: an empty list, i.e. any valid token passes.
    assert auth["Auth"]["AuthorizationScopes"] == [
        {"Fn::If": ["HasRequiredScope", {"Ref": "RequiredScope"}, {"Ref": "AWS::NoValue"}]}
    ]


def test_the_function_has_a_reserved_concurrency_by_default(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["ReservedConcurrency"]
    assert parameter["Default"] == 50 and parameter["MinValue"] == 0
    assert "unreserved pool" in parameter["Description"]
    assert template["Conditions"]["HasReservedConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]}]
    }
    function = template["Resources"]["ListSessionsFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    # The default is more than the route's throttle needs at a normal duration (burst x ~0.1 s).
    burst = template["Parameters"]["ThrottlingBurstLimit"]["Default"]
    assert burst * 0.1 < parameter["Default"]


def test_cloudwatch_may_use_the_alarm_key_only_for_this_stacks_alarms(template: dict[str, Any]) -> None:
    statements = template["Resources"]["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    [cloudwatch] = [s for s in statements if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {
            "aws:SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-*"
            }
        },
    }
    alarms = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    for alarm in alarms:  # the ArnLike pattern covers every alarm of the stack
        assert alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-")


def test_snapstart_is_an_option_off_by_default_on_the_published_versions(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["EnableSnapStart"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("false", ["false", "true"])
    assert template["Conditions"]["UseSnapStart"] == {"Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]}
    function = template["Resources"]["ListSessionsFunction"]["Properties"]
    assert function["SnapStart"] == {
        "Fn::If": ["UseSnapStart", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]
    }
    assert function["AutoPublishAlias"] == "live"  # SnapStart applies to the versions the alias publishes
    assert template["Globals"]["Function"]["Runtime"] in ("python3.12", "python3.13")  # SnapStart for Python
    dashboard = json.dumps(template["Resources"]["Dashboard"])
    assert "Restore Duration" in dashboard and "@initDuration" in dashboard
