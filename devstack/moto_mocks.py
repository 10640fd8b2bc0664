"""Pulumi mocks that create what the program declares in moto (in-process or the server).

Tables, queues, topics and their subscriptions, secrets, buckets, state machines, log groups
with their metric filters, and metric alarms become real moto resources (and, through
``moto_data.py``, buckets' configurations and notifications, queue policies, Cognito user
pools and clients, Glue databases and Athena workgroups) with the declared
keys, indexes, TTL, redrive, attributes, definitions, patterns and thresholds; their outputs
(ARN, URL) are moto's or AWS's format. The local stack evaluates the alarms and filters it
finds there (``alarm_watch.py``). EventBridge rules and targets, roles and their inline
policies, topic policies and budgets are created in moto too (``moto_data.py``). Resources
that only matter to AWS itself (functions, the API) get realistic made-up outputs, and the
local runtime reads their inputs (a function's handler and environment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import botocore
import moto
from botocore.exceptions import ClientError

from devstack.fake_arns import fake_outputs
from devstack.moto_data import CREATORS, NAMED_CREATORS, Clients
from devstack.program import RecordingMocks
from devstack.pulumi_mocks import MockResourceArgs

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import SubscribeInputTypeDef
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

# Pulumi's queue inputs -> SQS attribute names.
_QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
}


def _attribute(value: Any) -> str:
    """SQS attribute text: Pulumi hands numbers over as floats and SQS wants "600", "true"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _tags(inputs: dict[str, Any]) -> list[Any]:
    return [{"Key": k, "Value": v} for k, v in (inputs.get("tags") or {}).items()]


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


def _int(value: Any) -> int | None:
    """Pulumi hands integers to mocks as floats."""
    return None if value is None else int(value)


def _dimension_list(dimensions: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()]


def _metric_query(query: dict[str, Any]) -> dict[str, Any]:
    """One of an alarm's ``metricQueries`` as PutMetricAlarm's ``Metrics`` entry."""
    entry: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("returnData"))}
    for key, name in (("expression", "Expression"), ("label", "Label"), ("period", "Period")):
        if query.get(key) is not None:
            entry[name] = _int(query[key]) if key == "period" else query[key]
    metric = query.get("metric")
    if metric:
        stat: dict[str, Any] = {
            "Metric": {
                "Namespace": metric["namespace"],
                "MetricName": metric["metricName"],
                "Dimensions": _dimension_list(metric.get("dimensions")),
            },
            "Period": _int(metric["period"]),
            "Stat": metric["stat"],
        }
        if metric.get("unit"):
            stat["Unit"] = metric["unit"]
        entry["MetricStat"] = stat
    return entry


# Pulumi's alarm inputs -> PutMetricAlarm's parameters, as given.
_ALARM_PARAMETERS = {
    "alarmDescription": "AlarmDescription",
    "namespace": "Namespace",
    "metricName": "MetricName",
    "statistic": "Statistic",
    "extendedStatistic": "ExtendedStatistic",
    "unit": "Unit",
    "comparisonOperator": "ComparisonOperator",
    "treatMissingData": "TreatMissingData",
    "evaluateLowSampleCountPercentiles": "EvaluateLowSampleCountPercentile",
    "thresholdMetricId": "ThresholdMetricId",
    "alarmActions": "AlarmActions",
    "okActions": "OKActions",
    "insufficientDataActions": "InsufficientDataActions",
    "actionsEnabled": "ActionsEnabled",
}


class UnroutedCallError(RuntimeError):
    """moto could not route an AWS call the program's resource needs: its version does not
    know the operation, or the installed botocore speaks a wire protocol it does not (botocore
    1.44.18 moved Athena to REST paths moto 5.2.6 does not serve). Raised at start, naming
    the service, the operation, the resource and both versions, instead of a trace from deep
    inside the program run."""


def _unrouted(err: ClientError) -> bool:
    """moto's answers for a call it has no route or implementation for."""
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    error = err.response.get("Error", {})
    text = f"{error.get('Code', '')} {error.get('Message', '')}"
    return status in {404, 501} and (
        "not yet implemented" in text.lower() or error.get("Code") in {"404", "NotImplemented"}
    )


class MotoMocks(RecordingMocks):
    """Creates each declared resource the local stack uses through boto3 (pointed at moto)."""

    def __init__(self, region: str, session: boto3.session.Session | None = None) -> None:
        super().__init__(region)
        self._clients = Clients(session or boto3.session.Session(region_name=region))

    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """The resource created in moto.

        Raises:
            UnroutedCallError: moto cannot route a call the resource needs.
        """
        try:
            return self._create(args)
        except ClientError as err:
            if not _unrouted(err):
                raise
            service = args.typ.split(":")[1].split("/")[0]
            raise UnroutedCallError(
                f"moto {moto.__version__} cannot route {service} {err.operation_name}, needed "
                f"to create {args.typ} {args.name!r} (botocore {botocore.__version__}): "
                f"{err}. Pin a botocore moto serves, or a moto that serves it "
                "(README: Locks)."
            ) from err

    def _create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        match args.typ:
            case "aws:dynamodb/table:Table":
                return self._table(inputs)
            case "aws:sqs/queue:Queue":
                return self._queue(inputs)
            case "aws:sns/topic:Topic":
                return self._topic(inputs)
            case "aws:secretsmanager/secret:Secret":
                return self._secret(inputs)
            case "aws:sfn/stateMachine:StateMachine":
                return self._state_machine(inputs)
            case "aws:s3/bucket:Bucket":
                return self._bucket(inputs)
            case "aws:sns/topicSubscription:TopicSubscription":
                return self._subscription(inputs)
            case "aws:cloudwatch/logGroup:LogGroup":
                return self._log_group(args.name, inputs)
            case "aws:cloudwatch/logMetricFilter:LogMetricFilter":
                return self._metric_filter(args.name, inputs)
            case "aws:cloudwatch/metricAlarm:MetricAlarm":
                return self._alarm(args.name, inputs)
            case typ if typ in CREATORS:
                return CREATORS[typ](self._clients, inputs)
            case typ if typ in NAMED_CREATORS:
                return NAMED_CREATORS[typ](self._clients, args.name, inputs)
            case _:
                return fake_outputs(args.typ, args.name, inputs, self.region)

    def _table(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        client: DynamoDBClient = self._clients("dynamodb")
        name = inputs["name"]
        schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
        if inputs.get("rangeKey"):
            schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": schema,
            "AttributeDefinitions": [
                {"AttributeName": a["name"], "AttributeType": a["type"]}
                for a in inputs["attributes"]
            ],
            "BillingMode": inputs.get("billingMode", "PAY_PER_REQUEST"),
            "SSESpecification": {
                "Enabled": bool((inputs.get("serverSideEncryption") or {}).get("enabled"))
            },
            "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled")),
        }
        if inputs.get("globalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = [
                _index(i) for i in inputs["globalSecondaryIndexes"]
            ]
        if inputs.get("localSecondaryIndexes"):
            request["LocalSecondaryIndexes"] = [
                _index(i, hash_key=inputs["hashKey"]) for i in inputs["localSecondaryIndexes"]
            ]
        if inputs.get("tags"):
            request["Tags"] = _tags(inputs)
        if inputs.get("streamEnabled"):
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": inputs["streamViewType"],
            }
        table = client.create_table(**request)["TableDescription"]
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
        return name, {**inputs, "arn": table["TableArn"], "streamArn": table.get("LatestStreamArn")}

    def _queue(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        client: SQSClient = self._clients("sqs")
        attributes: dict[Any, str] = {
            attr: _attribute(inputs[key])
            for key, attr in _QUEUE_ATTRIBUTES.items()
            if inputs.get(key) is not None
        }
        if inputs.get("fifoQueue"):
            attributes["FifoQueue"] = "true"
        url = client.create_queue(
            QueueName=inputs["name"], Attributes=attributes, tags=inputs.get("tags") or {}
        )["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, {**inputs, "arn": arn, "url": url}

    def _secret(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The secret with no value, as the program declares it; operators (or the local
        stack's demo data) put the value."""
        client: SecretsManagerClient = self._clients("secretsmanager")
        arn = client.create_secret(
            Name=inputs["name"], Description=inputs.get("description", ""), Tags=_tags(inputs)
        )["ARN"]
        return arn, {**inputs, "arn": arn}

    def _state_machine(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The definition as declared; with execution on (the local stack's server), moto
        runs it, its Lambda tasks going to the local Lambda service."""
        client: SFNClient = self._clients("stepfunctions")
        request: dict[str, Any] = {
            "name": inputs["name"],
            "definition": inputs["definition"],
            "roleArn": inputs["roleArn"],
            "type": inputs.get("type") or "STANDARD",
            "tags": [{"key": k, "value": v} for k, v in (inputs.get("tags") or {}).items()],
        }
        logging = inputs.get("loggingConfiguration") or {}
        if logging.get("logDestination"):
            request["loggingConfiguration"] = {
                "level": logging.get("level", "OFF"),
                "includeExecutionData": bool(logging.get("includeExecutionData")),
                "destinations": [
                    {"cloudWatchLogsLogGroup": {"logGroupArn": logging["logDestination"]}}
                ],
            }
        if inputs.get("tracingConfiguration"):
            request["tracingConfiguration"] = inputs["tracingConfiguration"]
        arn = client.create_state_machine(**request)["stateMachineArn"]
        return arn, {**inputs, "arn": arn, "status": "ACTIVE"}

    def _bucket(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The bucket in the stack's region, with its tags. Its configuration resources
        (encryption, versioning, public access block, lifecycle, CORS, notifications) are
        separate in Pulumi, created by ``moto_data.py``."""
        client: S3Client = self._clients("s3")
        name = inputs["bucket"]
        if self.region == "us-east-1":  # the one region that refuses a location constraint
            client.create_bucket(Bucket=name)
        else:
            client.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
            )
        if inputs.get("tags"):
            client.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(inputs)})
        return name, {
            **inputs,
            "arn": f"arn:aws:s3:::{name}",
            "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
            "region": self.region,
        }

    def _topic(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        client: SNSClient = self._clients("sns")
        arn = client.create_topic(Name=inputs["name"], Tags=_tags(inputs))["TopicArn"]
        return arn, {**inputs, "arn": arn}

    def _subscription(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Subscribed as declared; e-mail subscriptions need no confirmation locally (their
        mail goes to the local inbox)."""
        client: SNSClient = self._clients("sns")
        request: SubscribeInputTypeDef = {
            "TopicArn": inputs["topic"],
            "Protocol": inputs["protocol"],
            "Endpoint": inputs["endpoint"],
            "ReturnSubscriptionArn": True,
        }
        attributes = {}
        if inputs.get("rawMessageDelivery"):
            attributes["RawMessageDelivery"] = "true"
        if inputs.get("filterPolicy"):
            attributes["FilterPolicy"] = inputs["filterPolicy"]
        if attributes:
            request["Attributes"] = attributes
        arn = client.subscribe(**request)["SubscriptionArn"]
        return arn, {**inputs, "arn": arn}

    def _log_group(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The group with its retention: where a metric filter is put."""
        group_id, outputs = fake_outputs(
            "aws:cloudwatch/logGroup:LogGroup", name, inputs, self.region
        )
        client = self._clients("logs")
        client.create_log_group(logGroupName=outputs["name"], tags=inputs.get("tags") or {})
        if inputs.get("retentionInDays"):
            client.put_retention_policy(
                logGroupName=outputs["name"], retentionInDays=int(inputs["retentionInDays"])
            )
        return group_id, outputs

    def _metric_filter(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        transformation = inputs["metricTransformation"]
        metric: dict[str, Any] = {
            "metricName": transformation["name"],
            "metricNamespace": transformation["namespace"],
            "metricValue": transformation["value"],
        }
        if transformation.get("defaultValue") is not None:
            metric["defaultValue"] = float(transformation["defaultValue"])
        if transformation.get("dimensions"):
            metric["dimensions"] = transformation["dimensions"]
        if transformation.get("unit"):
            metric["unit"] = transformation["unit"]
        filter_name = str(inputs.get("name") or name)
        self._clients("logs").put_metric_filter(
            logGroupName=inputs["logGroupName"],
            filterName=filter_name,
            filterPattern=inputs.get("pattern", ""),
            metricTransformations=[metric],
        )
        return filter_name, {**inputs, "name": filter_name}

    def _alarm(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The alarm as declared (a metric and statistic, or metric queries), in the state
        moto starts alarms in; the local stack's evaluation moves it."""
        alarm_id, outputs = fake_outputs(
            "aws:cloudwatch/metricAlarm:MetricAlarm", name, inputs, self.region
        )
        request: dict[str, Any] = {
            "AlarmName": outputs["name"],
            "EvaluationPeriods": _int(inputs["evaluationPeriods"]),
            "Threshold": float(inputs.get("threshold") or 0),
        }
        for key, parameter in _ALARM_PARAMETERS.items():
            if inputs.get(key) is not None:
                request[parameter] = inputs[key]
        for key, parameter in (("period", "Period"), ("datapointsToAlarm", "DatapointsToAlarm")):
            if inputs.get(key) is not None:
                request[parameter] = _int(inputs[key])
        if inputs.get("dimensions"):
            request["Dimensions"] = _dimension_list(inputs["dimensions"])
        if inputs.get("metricQueries"):
            request["Metrics"] = [_metric_query(q) for q in inputs["metricQueries"]]
        if inputs.get("tags"):
            request["Tags"] = _tags(inputs)
        self._clients("cloudwatch").put_metric_alarm(**request)
        return alarm_id, outputs
