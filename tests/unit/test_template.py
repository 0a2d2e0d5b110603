"""template.yaml agrees with the storage contract in code, and grants the function only reads."""

from __future__ import annotations

from typing import Any

import pytest

from charging_sessions import storage_keys as keys
from charging_sessions.template_table import load_template, table_properties


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
            {"AttributeName": keys.SK, "KeyType": "RANGE"},
        ]
    keys_only = {view.keys_index for view in keys.VIEWS if view.keys_index}
    for name, index in indexes.items():
        assert index["Projection"]["ProjectionType"] == ("KEYS_ONLY" if name in keys_only else "ALL")
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == dict.fromkeys(
        [keys.PK, keys.SK, *keys.INDEX_ATTRIBUTES.values()], "S"
    )


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
    assert statements, "the function needs its read statement"
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert set(actions) <= {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem"}
        assert statement["Resource"] == [
            {"Fn::GetAtt": ["SessionsTable", "Arn"]},
            {"Fn::Sub": "${SessionsTable.Arn}/index/*"},
        ]


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
