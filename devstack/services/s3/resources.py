"""S3's resource types: buckets created in moto in the stack's region with their tags, and
their configuration resources (separate in Pulumi) put on them as declared: encryption,
public access block, versioning, CORS, lifecycle and notifications to queues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devstack.services.base import Clients, LocalType, camel_to_pascal, tag_list
from devstack.services.outputs import Created, with_name

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def bucket(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The bucket in the stack's region, with its tags."""
    client: S3Client = clients("s3")
    region = clients.region
    bucket_name = inputs["bucket"]
    if region == "us-east-1":  # the one region that refuses a location constraint
        client.create_bucket(Bucket=bucket_name)
    else:
        client.create_bucket(
            Bucket=bucket_name,
            CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
        )
    if inputs.get("tags"):
        client.put_bucket_tagging(Bucket=bucket_name, Tagging={"TagSet": tag_list(inputs)})
    return bucket_name, {
        **inputs,
        "arn": f"arn:aws:s3:::{bucket_name}",
        "bucketDomainName": f"{bucket_name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket_name}.s3.{region}.amazonaws.com",
        "region": region,
    }


def bucket_outputs(region: str, name: str, inputs: dict[str, Any]) -> Created:
    outputs = with_name(name, inputs)
    physical = str(inputs.get("bucket") or outputs["name"])
    return physical, outputs | {"bucket": physical, "arn": f"arn:aws:s3:::{physical}"}


def encryption(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    rules = camel_to_pascal(inputs["rules"])
    for rule in rules:  # the API spells it SSEAlgorithm
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if "SseAlgorithm" in default:
            default["SSEAlgorithm"] = default.pop("SseAlgorithm")
    clients("s3").put_bucket_encryption(
        Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return inputs["bucket"], inputs


def public_access_block(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    keys = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    clients("s3").put_public_access_block(
        Bucket=inputs["bucket"],
        PublicAccessBlockConfiguration={
            key[:1].upper() + key[1:]: bool(inputs.get(key)) for key in keys
        },
    )
    return inputs["bucket"], inputs


def versioning(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    status = inputs["versioningConfiguration"]["status"]
    clients("s3").put_bucket_versioning(
        Bucket=inputs["bucket"], VersioningConfiguration={"Status": status}
    )
    return inputs["bucket"], inputs


def cors(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    rules = [
        {k: v for k, v in rule.items() if k != "MaxAgeSeconds"}
        | {"MaxAgeSeconds": rule.get("MaxAgeSeconds", 0)}
        for rule in camel_to_pascal(inputs["corsRules"])
    ]
    clients("s3").put_bucket_cors(Bucket=inputs["bucket"], CORSConfiguration={"CORSRules": rules})
    return inputs["bucket"], inputs


def lifecycle(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    rules = []
    for rule in camel_to_pascal(inputs["rules"]):
        rule["ID"] = rule.pop("Id")
        rule["Filter"] = rule.get("Filter") or {"Prefix": ""}
        rules.append(rule)
    clients("s3").put_bucket_lifecycle_configuration(
        Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return inputs["bucket"], inputs


def notification(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """Queue notifications as declared: moto's S3 then sends each matching event to the
    queue (and, as S3 does, an ``s3:TestEvent`` once, now)."""
    queues = []
    for queue in inputs.get("queues") or []:
        rules = [
            {"Name": rule_name, "Value": queue[key]}
            for rule_name, key in (("prefix", "filterPrefix"), ("suffix", "filterSuffix"))
            if queue.get(key)
        ]
        entry: dict[str, Any] = {"QueueArn": queue["queueArn"], "Events": queue["events"]}
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": rules}}
        queues.append(entry)
    clients("s3").put_bucket_notification_configuration(
        Bucket=inputs["bucket"], NotificationConfiguration={"QueueConfigurations": queues}
    )
    return inputs["bucket"], inputs


_ENCRYPTION = "BucketServerSideEncryptionConfiguration"
TYPES = {
    "aws:s3/bucket:Bucket": LocalType(offline=bucket_outputs, create=bucket),
    f"aws:s3/bucketServerSideEncryptionConfiguration:{_ENCRYPTION}": LocalType(create=encryption),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": LocalType(create=public_access_block),
    "aws:s3/bucketVersioning:BucketVersioning": LocalType(create=versioning),
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": LocalType(create=cors),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": LocalType(create=lifecycle),
    "aws:s3/bucketNotification:BucketNotification": LocalType(create=notification),
}
