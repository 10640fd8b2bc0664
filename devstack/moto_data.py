"""What ``MotoMocks`` creates for data and identity: a bucket's configuration resources
(encryption, public access block, versioning, CORS, lifecycle, notifications to a queue), a
queue's policy, a topic's policy, Cognito user pools and their app clients, Glue databases
and Athena workgroups, EventBridge rules and their targets (moto's events then delivers a
matching ``PutEvents`` to a queue target), IAM roles and their inline policies, and AWS
Budgets, each as the program declares it. Each function takes the clients (pointed
at moto) and the resource's inputs, and returns its physical id and outputs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3

from devstack.fake_arns import fake_outputs

Created = tuple[str, dict[str, Any]]


class Clients:
    """One boto3 client per service, made on first use and shared by the threads Pulumi
    registers resources on: making a client loads its service model (tens of milliseconds),
    and a session may make clients on one thread at a time, while a client serves any
    number."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.session = session
        self.region = str(session.region_name)
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        """An untyped client: the inputs are Pulumi's, checked by the service, not by mypy."""
        with self._lock:
            if service not in self._made:
                self._made[service] = self.session.client(service)  # type: ignore[call-overload]
            return self._made[service]


def _int(value: Any) -> int:
    return int(value)  # Pulumi hands integers to mocks as floats


def _camel_to_pascal(value: Any) -> Any:
    """Pulumi's camelCase inputs as the S3 API's PascalCase parameters, recursively."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _camel_to_pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_to_pascal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def encryption(clients: Clients, inputs: dict[str, Any]) -> Created:
    rules = _camel_to_pascal(inputs["rules"])
    for rule in rules:  # the API spells it SSEAlgorithm
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if "SseAlgorithm" in default:
            default["SSEAlgorithm"] = default.pop("SseAlgorithm")
    clients("s3").put_bucket_encryption(
        Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return inputs["bucket"], inputs


def public_access_block(clients: Clients, inputs: dict[str, Any]) -> Created:
    keys = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    clients("s3").put_public_access_block(
        Bucket=inputs["bucket"],
        PublicAccessBlockConfiguration={
            key[:1].upper() + key[1:]: bool(inputs.get(key)) for key in keys
        },
    )
    return inputs["bucket"], inputs


def versioning(clients: Clients, inputs: dict[str, Any]) -> Created:
    status = inputs["versioningConfiguration"]["status"]
    clients("s3").put_bucket_versioning(
        Bucket=inputs["bucket"], VersioningConfiguration={"Status": status}
    )
    return inputs["bucket"], inputs


def cors(clients: Clients, inputs: dict[str, Any]) -> Created:
    rules = [
        {k: v for k, v in rule.items() if k != "MaxAgeSeconds"}
        | {"MaxAgeSeconds": rule.get("MaxAgeSeconds", 0)}
        for rule in _camel_to_pascal(inputs["corsRules"])
    ]
    clients("s3").put_bucket_cors(Bucket=inputs["bucket"], CORSConfiguration={"CORSRules": rules})
    return inputs["bucket"], inputs


def lifecycle(clients: Clients, inputs: dict[str, Any]) -> Created:
    rules = []
    for rule in _camel_to_pascal(inputs["rules"]):
        rule["ID"] = rule.pop("Id")
        rule["Filter"] = rule.get("Filter") or {"Prefix": ""}
        rules.append(rule)
    clients("s3").put_bucket_lifecycle_configuration(
        Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return inputs["bucket"], inputs


def notification(clients: Clients, inputs: dict[str, Any]) -> Created:
    """Queue notifications as declared: moto's S3 then sends each matching event to the
    queue (and, as S3 does, an ``s3:TestEvent`` once, now)."""
    queues = []
    for queue in inputs.get("queues") or []:
        rules = [
            {"Name": name, "Value": queue[key]}
            for name, key in (("prefix", "filterPrefix"), ("suffix", "filterSuffix"))
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


def queue_policy(clients: Clients, inputs: dict[str, Any]) -> Created:
    clients("sqs").set_queue_attributes(
        QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]}
    )
    return inputs["queueUrl"], inputs


def user_pool(clients: Clients, inputs: dict[str, Any]) -> Created:
    policy = inputs.get("passwordPolicy") or {}
    request: dict[str, Any] = {
        "PoolName": inputs["name"],
        "UsernameAttributes": inputs.get("usernameAttributes") or [],
        "AutoVerifiedAttributes": inputs.get("autoVerifiedAttributes") or [],
        "MfaConfiguration": inputs.get("mfaConfiguration", "OFF"),
        "UserPoolTags": inputs.get("tags") or {},
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": _int(policy.get("minimumLength", 8)),
                "RequireUppercase": bool(policy.get("requireUppercase")),
                "RequireLowercase": bool(policy.get("requireLowercase")),
                "RequireNumbers": bool(policy.get("requireNumbers")),
                "RequireSymbols": bool(policy.get("requireSymbols")),
            }
        },
    }
    admin_only = (inputs.get("adminCreateUserConfig") or {}).get("allowAdminCreateUserOnly")
    request["AdminCreateUserConfig"] = {"AllowAdminCreateUserOnly": bool(admin_only)}
    pool = clients("cognito-idp").create_user_pool(**request)["UserPool"]
    region = clients.region
    return pool["Id"], {
        **inputs,
        "arn": pool["Arn"],
        "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool['Id']}",
    }


def user_pool_client(clients: Clients, inputs: dict[str, Any]) -> Created:
    units = inputs.get("tokenValidityUnits") or {}
    request: dict[str, Any] = {
        "UserPoolId": inputs["userPoolId"],
        "ClientName": inputs["name"],
        "GenerateSecret": bool(inputs.get("generateSecret")),
        "ExplicitAuthFlows": inputs.get("explicitAuthFlows") or [],
    }
    for key, parameter, unit in (
        ("idTokenValidity", "IdTokenValidity", "idToken"),
        ("accessTokenValidity", "AccessTokenValidity", "accessToken"),
        ("refreshTokenValidity", "RefreshTokenValidity", "refreshToken"),
    ):
        if inputs.get(key) is not None:
            request[parameter] = _int(inputs[key])
            if units.get(unit):
                request.setdefault("TokenValidityUnits", {})[parameter.removesuffix("Validity")] = (
                    units[unit]
                )
    client = clients("cognito-idp").create_user_pool_client(**request)["UserPoolClient"]
    return client["ClientId"], {**inputs, "id": client["ClientId"]}


def glue_database(clients: Clients, inputs: dict[str, Any]) -> Created:
    database: dict[str, Any] = {"Name": inputs["name"]}
    if inputs.get("description"):
        database["Description"] = inputs["description"]
    clients("glue").create_database(DatabaseInput=database)
    return fake_outputs(
        "aws:glue/catalogDatabase:CatalogDatabase", inputs["name"], inputs, clients.region
    )


def athena_workgroup(clients: Clients, inputs: dict[str, Any]) -> Created:
    """The workgroup with its configuration, which the local Athena (``athena.py``) reads
    for each query: result location, encryption, bytes-scanned cutoff."""
    given = inputs.get("configuration") or {}
    result = _camel_to_pascal(given.get("resultConfiguration") or {})
    configuration: dict[str, Any] = {
        "ResultConfiguration": result,
        "EnforceWorkGroupConfiguration": bool(given.get("enforceWorkgroupConfiguration")),
        "PublishCloudWatchMetricsEnabled": bool(given.get("publishCloudwatchMetricsEnabled")),
    }
    if given.get("bytesScannedCutoffPerQuery"):
        configuration["BytesScannedCutoffPerQuery"] = _int(given["bytesScannedCutoffPerQuery"])
    clients("athena").create_work_group(
        Name=inputs["name"],
        Configuration=configuration,
        Tags=[{"Key": k, "Value": v} for k, v in (inputs.get("tags") or {}).items()],
    )
    return fake_outputs("aws:athena/workgroup:Workgroup", inputs["name"], inputs, clients.region)


def scheduler_schedule(clients: Clients, inputs: dict[str, Any]) -> Created:
    """An EventBridge Scheduler schedule as declared (expression, time zone, target with its
    input, retry policy and dead-letter queue); the local stack fires it
    (``schedules.py``)."""
    target = inputs["target"]
    request: dict[str, Any] = {
        "Name": inputs["name"],
        "GroupName": inputs.get("groupName") or "default",
        "ScheduleExpression": inputs["scheduleExpression"],
        "FlexibleTimeWindow": _camel_to_pascal(inputs["flexibleTimeWindow"]),
        "State": inputs.get("state") or "ENABLED",
        "Target": _camel_to_pascal(target),
    }
    for key, parameter in (
        ("scheduleExpressionTimezone", "ScheduleExpressionTimezone"),
        ("description", "Description"),
    ):
        if inputs.get(key):
            request[parameter] = inputs[key]
    clients("scheduler").create_schedule(**request)
    return fake_outputs("aws:scheduler/schedule:Schedule", inputs["name"], inputs, clients.region)


def topic_policy(clients: Clients, inputs: dict[str, Any]) -> Created:
    clients("sns").set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=inputs["policy"]
    )
    return inputs["arn"], inputs


def event_rule(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    """The rule on the default bus, with its pattern or schedule. The local stack fires
    schedules itself (``schedules.py``); moto's events matches ``PutEvents`` against
    patterns."""
    rule_id, outputs = fake_outputs(
        "aws:cloudwatch/eventRule:EventRule", name, inputs, clients.region
    )
    request: dict[str, Any] = {"Name": outputs["name"], "State": inputs.get("state") or "ENABLED"}
    for key, parameter in (
        ("eventPattern", "EventPattern"),
        ("scheduleExpression", "ScheduleExpression"),
        ("description", "Description"),
    ):
        if inputs.get(key):
            request[parameter] = inputs[key]
    if inputs.get("tags"):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
    arn = clients("events").put_rule(**request)["RuleArn"]
    return rule_id, outputs | {"arn": arn}


def event_target(clients: Clients, inputs: dict[str, Any]) -> Created:
    target: dict[str, Any] = {
        "Id": inputs.get("targetId") or inputs["rule"],
        "Arn": inputs["arn"],
    }
    for key, parameter in (
        ("input", "Input"),
        ("retryPolicy", "RetryPolicy"),
        ("deadLetterConfig", "DeadLetterConfig"),
    ):
        if inputs.get(key):
            target[parameter] = _camel_to_pascal(inputs[key])
    clients("events").put_targets(Rule=inputs["rule"], Targets=[target])
    return f"{inputs['rule']}-{target['Id']}", inputs | {"targetId": target["Id"]}


# Pulumi's mock runtime creates resources on several threads, and moto's IAM backend reads
# its roles while another thread adds one ("dictionary changed size during iteration"):
# the program's IAM calls go one at a time.
_IAM_CALLS = threading.Lock()


def role(clients: Clients, name: str, inputs: dict[str, Any]) -> Created:
    role_id, outputs = fake_outputs("aws:iam/role:Role", name, inputs, clients.region)
    request: dict[str, Any] = {
        "RoleName": outputs["name"],
        "AssumeRolePolicyDocument": inputs["assumeRolePolicy"],
    }
    if inputs.get("description"):
        request["Description"] = inputs["description"]
    if inputs.get("tags"):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
    with _IAM_CALLS:
        created = clients("iam").create_role(**request)["Role"]
    return role_id, outputs | {"arn": created["Arn"], "uniqueId": created["RoleId"]}


def role_policy(clients: Clients, inputs: dict[str, Any]) -> Created:
    with _IAM_CALLS:
        clients("iam").put_role_policy(
            RoleName=inputs["role"], PolicyName=inputs["name"], PolicyDocument=inputs["policy"]
        )
    return f"{inputs['role']}:{inputs['name']}", inputs


def budget(clients: Clients, inputs: dict[str, Any]) -> Created:
    """The budget with its limit, cost filters and notifications (each with its topic and
    e-mail subscribers), in the account the program runs in."""
    account = clients("sts").get_caller_identity()["Account"]
    request: dict[str, Any] = {
        "BudgetName": inputs["name"],
        "BudgetType": inputs["budgetType"],
        "TimeUnit": inputs["timeUnit"],
        "BudgetLimit": {"Amount": str(inputs["limitAmount"]), "Unit": inputs["limitUnit"]},
        "CostFilters": {f["name"]: f["values"] for f in inputs.get("costFilters") or []},
    }
    notifications = [
        {
            "Notification": {
                "NotificationType": n["notificationType"],
                "ComparisonOperator": n["comparisonOperator"],
                "Threshold": float(n["threshold"]),
                "ThresholdType": n["thresholdType"],
            },
            "Subscribers": [
                {"SubscriptionType": "SNS", "Address": arn}
                for arn in n.get("subscriberSnsTopicArns") or []
            ]
            + [
                {"SubscriptionType": "EMAIL", "Address": address}
                for address in n.get("subscriberEmailAddresses") or []
            ],
        }
        for n in inputs.get("notifications") or []
    ]
    clients("budgets").create_budget(
        AccountId=account, Budget=request, NotificationsWithSubscribers=notifications
    )
    arn = f"arn:aws:budgets::{account}:budget/{inputs['name']}"
    return f"{account}:{inputs['name']}", inputs | {"arn": arn, "accountId": account}


_ENCRYPTION = "BucketServerSideEncryptionConfiguration"
CREATORS: dict[str, Callable[[Clients, dict[str, Any]], Created]] = {
    f"aws:s3/bucketServerSideEncryptionConfiguration:{_ENCRYPTION}": encryption,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": public_access_block,
    "aws:s3/bucketVersioning:BucketVersioning": versioning,
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": cors,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lifecycle,
    "aws:s3/bucketNotification:BucketNotification": notification,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:cognito/userPool:UserPool": user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": user_pool_client,
    "aws:glue/catalogDatabase:CatalogDatabase": glue_database,
    "aws:athena/workgroup:Workgroup": athena_workgroup,
    "aws:scheduler/schedule:Schedule": scheduler_schedule,
    "aws:sns/topicPolicy:TopicPolicy": topic_policy,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
    "aws:budgets/budget:Budget": budget,
}
# Types whose physical name Pulumi makes up from the logical one when the program gives none
# (a Chalice schedule's rule): their creators take the logical name too.
NAMED_CREATORS: dict[str, Callable[[Clients, str, dict[str, Any]], Created]] = {
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:iam/role:Role": role,
}
