"""DynamoDB's resource types: tables created in moto with the declared keys, indexes, TTL,
point-in-time recovery, encryption and stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devstack.services.base import Clients, LocalType, tag_list
from devstack.services.outputs import ACCOUNT_ID, Created, with_name

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _index(spec: dict[str, Any], hash_key: str | None = None) -> dict[str, Any]:
    """A GSI (``keySchemas``) or LSI (the table's hash key + ``rangeKey``) for create_table."""
    if spec.get("keySchemas"):
        schema = [
            {"AttributeName": k["attributeName"], "KeyType": k["keyType"]}
            for k in spec["keySchemas"]
        ]
    else:
        schema = [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": spec["rangeKey"], "KeyType": "RANGE"},
        ]
    projection: dict[str, Any] = {"ProjectionType": spec.get("projectionType", "ALL")}
    if spec.get("nonKeyAttributes"):
        projection["NonKeyAttributes"] = spec["nonKeyAttributes"]
    return {"IndexName": spec["name"], "KeySchema": schema, "Projection": projection}


def table(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    client: DynamoDBClient = clients("dynamodb")
    name = inputs["name"]
    schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": schema,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]
        ],
        "BillingMode": inputs.get("billingMode", "PAY_PER_REQUEST"),
        "SSESpecification": {
            "Enabled": bool((inputs.get("serverSideEncryption") or {}).get("enabled"))
        },
        "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled")),
    }
    if inputs.get("globalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [_index(i) for i in inputs["globalSecondaryIndexes"]]
    if inputs.get("localSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [
            _index(i, hash_key=inputs["hashKey"]) for i in inputs["localSecondaryIndexes"]
        ]
    if inputs.get("tags"):
        request["Tags"] = tag_list(inputs)
    if inputs.get("streamEnabled"):
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": inputs["streamViewType"],
        }
    created = client.create_table(**request)["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        client.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    return name, {**inputs, "arn": created["TableArn"], "streamArn": created.get("LatestStreamArn")}


def table_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    arn = f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{outputs['name']}"
    return outputs["name"], outputs | {"arn": arn, "streamArn": f"{arn}/stream/1"}


TYPES = {
    "aws:dynamodb/table:Table": LocalType(offline=table_outputs, create=table),
}
