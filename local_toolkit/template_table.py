"""The sessions table and the HTTP API's CORS configuration as ``template.yaml`` defines them, for emulations
(moto, the local server) and tests.

Read from the template, never restated, so that what runs locally has the key schema, attribute
definitions and indexes that deploy, and answers CORS with the lists API Gateway is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_RESOURCE = "SessionsTable"
API_RESOURCE = "HttpApi"
_REPO_TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


def find_template(explicit: str | Path | None = None) -> Path:
    """The template: an explicit path, else ``./template.yaml``, else the one beside this source tree."""
    for candidate in (explicit, Path.cwd() / "template.yaml", _REPO_TEMPLATE):
        if candidate is not None and Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError("template.yaml not found; pass its path")


def load_template(path: str | Path | None = None) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template; intrinsic tags (``!Ref``, ``!Sub``...) become plain
    ``{"Ref": ...}`` / ``{"Fn::Sub": ...}`` mappings, as in the template's JSON form."""
    import yaml

    class TemplateLoader(yaml.SafeLoader):
        pass

    def intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
        name = tag_suffix if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag_suffix == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    TemplateLoader.add_multi_constructor("!", intrinsic)
    with open(find_template(path), encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=TemplateLoader)  # noqa: S506 - SafeLoader subclass
    return document


def table_properties(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``SessionsTable`` resource's properties."""
    template = template if template is not None else load_template()
    resource = template["Resources"][TABLE_RESOURCE]
    if resource["Type"] != "AWS::DynamoDB::Table":
        raise ValueError(f"{TABLE_RESOURCE} is not an AWS::DynamoDB::Table")
    properties: dict[str, Any] = resource["Properties"]
    return properties


def cors_configuration(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``HttpApi`` resource's ``CorsConfiguration`` as it applies when CORS is on: the mapping itself, or, when
    it is written ``!If [Condition, {...}, !Ref AWS::NoValue]``, the mapping of its true branch. Empty when the
    API has none. ``AllowOrigins`` is left as written (a ``Ref`` to the parameter the deployment sets)."""
    template = template if template is not None else load_template()
    resource = template["Resources"][API_RESOURCE]
    if resource["Type"] != "AWS::Serverless::HttpApi":
        raise ValueError(f"{API_RESOURCE} is not an AWS::Serverless::HttpApi")
    configuration: Any = resource["Properties"].get("CorsConfiguration")
    if isinstance(configuration, dict) and set(configuration) == {"Fn::If"}:
        configuration = next((branch for branch in configuration["Fn::If"][1:] if _is_cors_mapping(branch)), None)
    if configuration is None or configuration == {"Ref": "AWS::NoValue"}:
        return {}
    if not _is_cors_mapping(configuration):
        raise ValueError(f"{API_RESOURCE}'s CorsConfiguration is not a mapping of CORS settings: {configuration!r}")
    found: dict[str, Any] = configuration
    return found


def _is_cors_mapping(value: object) -> bool:
    """Whether a template value is a CORS configuration mapping (not an intrinsic function such as ``Ref``)."""
    return isinstance(value, dict) and bool(value) and not any(key == "Ref" or key.startswith("Fn::") for key in value)


def create_table_request(table_name: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """``CreateTable`` arguments for the template's table, under another name."""
    properties = table_properties(template)
    request: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    indexes = [
        {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
        for index in properties.get("GlobalSecondaryIndexes", [])
    ]
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    return request


def create_table(client: DynamoDBClient, table_name: str, template: dict[str, Any] | None = None) -> None:
    client.create_table(**create_table_request(table_name, template))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
