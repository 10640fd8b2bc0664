"""Everything one Chalice package asks for: a function per handler, its SQS and DynamoDB
stream sources, its schedules and its REST API (behind keys or Cognito authorizers), and the
alarms every one of them has (an Errors alarm per function, a 5xx-rate alarm on the API).
Nothing here repeats what the package says."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.components.alarms import api_5xx_rate_alarm, function_errors_alarm
from infra.components.chalice_package import ChalicePackage, PackagedHandler
from infra.components.failed_events import FailedEventsQueue
from infra.components.function import FunctionAccess, PackagedFunction, PackagedFunctionArgs
from infra.components.queue import QueueWithDlq
from infra.components.rest_api import KeyedRestApi, KeyedRestApiArgs
from infra.components.scheduler import SchedulerSchedule, SchedulerScheduleArgs, TimedRun
from infra.components.table import Table
from infra.settings import StackSettings
from shared.names import physical

# What the Lambda service needs to poll a queue for a function (event source mapping).
SQS_CONSUMER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
# What the Lambda service needs to read a table's stream for a function.
STREAM_CONSUMER_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
# A batch of stream records a function keeps failing is retried this often, split in two
# each time, and dropped once this old, so one bad record cannot block its shard for a day.
STREAM_RETRY_ATTEMPTS = 10
STREAM_RECORD_AGE_SECONDS = 3600
# AWS's guidance: a queue's visibility timeout is at least six times its consumer's timeout,
# or a message still being worked on (or retried by Lambda) becomes visible again.
VISIBILITY_TO_TIMEOUT = 6


def kebab(logical_id: str) -> str:
    """``APIHandler`` -> ``api-handler``, ``WhatsappProcessor`` -> ``whatsapp-processor``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", logical_id).lower()


@dataclass
class ChaliceAppArgs:
    package: ChalicePackage
    settings: StackSettings
    tags: dict[str, str]
    # Per handler (by the package's logical id): environment and IAM statements. Every
    # handler of the package must be listed, so none ships without a decision on its rights.
    access: dict[str, FunctionAccess]
    # The system's alert topic: every function's Errors alarm and the API's 5xx alarm.
    alarm_topic_arn: pulumi.Input[str]
    # The queues ``@app.on_sqs_message(queue=...)`` names, by that name.
    queues: dict[str, QueueWithDlq] = field(default_factory=dict)
    # Schedule expressions that override the package's, by logical id (stack config).
    schedules: dict[str, str] = field(default_factory=dict)
    # EventBridge Scheduler schedules (in a time zone) of plain functions, by logical id.
    timed: dict[str, tuple[TimedRun, ...]] = field(default_factory=dict)
    # The tables ``@app.on_dynamodb_record`` reads the streams of, by their base name.
    streams: dict[str, Table] = field(default_factory=dict)
    api_name: str | None = None
    keyless_paths: dict[str, str] = field(default_factory=dict)
    # The user pool ARN of each Cognito authorizer the routes name, by its name.
    authorizers: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    # Where a scheduled event is kept once its retries are spent (EventBridge's target DLQ
    # and the function's on-failure destination); needed when a handler has a schedule.
    failed_events: FailedEventsQueue | None = None
    # When set, every handler but the API's own is told the API's URL in this variable
    # (e.g. to give Twilio a status callback URL on the app's own API).
    api_url_variable: str | None = None


class ChaliceApp(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ChaliceAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:compute:ChaliceApp", name, None, opts)
        package, settings = args.package, args.settings
        undeclared = sorted(set(package.handlers) - set(args.access))
        if undeclared:
            raise ValueError(f"{package.app}: no access declared for handlers {undeclared}")
        unknown = sorted(set(args.timed) - set(package.handlers))
        if unknown:
            raise ValueError(f"{package.app}: timed runs for unknown handlers {unknown}")
        code = pulumi.FileArchive(str(package.zip_path))
        self.functions: dict[str, PackagedFunction] = {}
        self.api: KeyedRestApi | None = None
        # The API's handler and the API first, so the other functions can be told its URL.
        ordered = sorted(package.handlers.items(), key=lambda h: h[0] != package.api_handler)
        for logical_id, handler in ordered:
            access = self._with_sqs_rights(handler, args.access[logical_id], args.queues)
            access = self._with_stream_rights(handler, access, args.streams)
            if handler.schedules or args.timed.get(logical_id):
                access = self._with_failure_destination(handler, access, args.failed_events)
            if self.api is not None and args.api_url_variable:
                access = FunctionAccess(
                    {**access.environment, args.api_url_variable: self.api.url},
                    access.statements,
                )
            function_name = physical(f"{package.app}-{kebab(logical_id)}", settings.stack)
            function = PackagedFunction(
                f"{name}-{kebab(logical_id)}",
                PackagedFunctionArgs(
                    function_name=function_name,
                    service_name=f"{package.app}-{kebab(logical_id)}",
                    handler=handler,
                    code=code,
                    access=access,
                    stack=settings.stack,
                    log_level=settings.log_level,
                    log_retention_days=settings.log_retention_days,
                    memory_mb=settings.lambda_memory_mb,
                    tags=args.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.functions[logical_id] = function
            function_errors_alarm(
                f"{name}-{kebab(logical_id)}",
                function.function.name,
                args.alarm_topic_arn,
                args.tags,
                self,
            )
            self._connect_queues(name, handler, function, args.queues, args.tags)
            self._connect_streams(name, handler, function, args.streams, args.tags)
            self._schedule(name, handler, function, args)
            self._timed(name, handler, function, args)
            if logical_id == package.api_handler:
                self.api = self._api(name, args, function)
        self.register_outputs({})

    def _api(self, name: str, args: ChaliceAppArgs, handler: PackagedFunction) -> KeyedRestApi:
        if args.api_name is None or args.package.swagger is None:
            raise ValueError(f"{args.package.app} has routes: give its API a name")
        api = KeyedRestApi(
            f"{name}-rest",
            KeyedRestApiArgs(
                api_name=args.api_name,
                stage_name=args.settings.stack,
                swagger=args.package.swagger,
                handler=handler.function,
                throttle=args.settings.api_throttle,
                quota=args.settings.api_quota,
                tags=args.tags,
                keyless_paths=args.keyless_paths,
                authorizers=args.authorizers,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        api_5xx_rate_alarm(
            f"{name}-api-5xx",
            api_name=api.api.name,
            stage=args.settings.stack,
            percent=args.settings.api_5xx_alarm_percent,
            topic_arn=args.alarm_topic_arn,
            tags=args.tags,
            parent=self,
        )
        return api

    @staticmethod
    def _with_failure_destination(
        handler: PackagedHandler, access: FunctionAccess, failed: FailedEventsQueue | None
    ) -> FunctionAccess:
        """Lambda sends a failed asynchronous invocation to its destination with the
        function's own role, so the role may send to that one queue."""
        if failed is None:
            raise ValueError(f"{handler.logical_id} has a schedule: give the app failed_events")
        keep = {"Sid": "KeepFailedEvents", "Action": ["sqs:SendMessage"], "Resource": [failed.arn]}
        return FunctionAccess(access.environment, [*access.statements, keep])

    @staticmethod
    def _with_sqs_rights(
        handler: PackagedHandler, access: FunctionAccess, queues: dict[str, QueueWithDlq]
    ) -> FunctionAccess:
        missing = [s.queue for s in handler.sqs_sources if s.queue not in queues]
        if missing:
            raise ValueError(f"{handler.logical_id} consumes unknown queues {missing}")
        if not handler.sqs_sources:
            return access
        consume = {
            "Sid": "ConsumeOwnQueue",
            "Action": SQS_CONSUMER_ACTIONS,
            "Resource": [queues[s.queue].arn for s in handler.sqs_sources],
        }
        return FunctionAccess(access.environment, [consume, *access.statements])

    @staticmethod
    def _with_stream_rights(
        handler: PackagedHandler, access: FunctionAccess, streams: dict[str, Table]
    ) -> FunctionAccess:
        missing = [s.table for s in handler.stream_sources if s.table not in streams]
        if missing:
            raise ValueError(f"{handler.logical_id} reads the streams of unknown tables {missing}")
        if not handler.stream_sources:
            return access
        read = {
            "Sid": "ReadOwnStream",
            "Action": STREAM_CONSUMER_ACTIONS,
            "Resource": [streams[s.table].stream_arn for s in handler.stream_sources],
        }
        return FunctionAccess(access.environment, [read, *access.statements])

    def _connect_streams(
        self,
        name: str,
        handler: PackagedHandler,
        function: PackagedFunction,
        streams: dict[str, Table],
        tags: dict[str, str],
    ) -> None:
        for source in handler.stream_sources:
            aws.lambda_.EventSourceMapping(
                f"{name}-{kebab(handler.logical_id)}-{source.table}-stream",
                event_source_arn=streams[source.table].stream_arn,
                function_name=function.arn,
                starting_position=source.starting_position,
                batch_size=source.batch_size,
                maximum_batching_window_in_seconds=source.batching_window_seconds,
                maximum_retry_attempts=STREAM_RETRY_ATTEMPTS,
                maximum_record_age_in_seconds=STREAM_RECORD_AGE_SECONDS,
                bisect_batch_on_function_error=True,
                # A failed record is reported by its sequence number: Lambda retries from it.
                function_response_types=["ReportBatchItemFailures"],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[function.policy]),
            )

    def _connect_queues(
        self,
        name: str,
        handler: PackagedHandler,
        function: PackagedFunction,
        queues: dict[str, QueueWithDlq],
        tags: dict[str, str],
    ) -> None:
        for source in handler.sqs_sources:
            queue = queues[source.queue]
            if queue.visibility_timeout_seconds < VISIBILITY_TO_TIMEOUT * handler.timeout_seconds:
                raise ValueError(
                    f"{handler.logical_id}: queue '{source.queue}' has a visibility timeout of "
                    f"{queue.visibility_timeout_seconds}s, under {VISIBILITY_TO_TIMEOUT} x the "
                    f"function's {handler.timeout_seconds}s timeout"
                )
            aws.lambda_.EventSourceMapping(
                f"{name}-{kebab(handler.logical_id)}-{source.queue}-source",
                event_source_arn=queue.arn,
                function_name=function.arn,
                batch_size=source.batch_size,
                maximum_batching_window_in_seconds=source.batching_window_seconds,
                # Chalice cannot set this: without it one failed message re-runs the batch.
                function_response_types=["ReportBatchItemFailures"],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[function.policy]),
            )

    def _schedule(
        self, name: str, handler: PackagedHandler, function: PackagedFunction, args: ChaliceAppArgs
    ) -> None:
        """One rule per schedule, whose target retries as the stack says and keeps what it
        could not deliver; the function's asynchronous invocations likewise end, after their
        retries, in the failed-events queue with their error."""
        failed = args.failed_events
        if not handler.schedules or failed is None:
            return
        retry = args.settings.failed_events
        override = args.schedules.get(handler.logical_id)
        for index, expression in enumerate(handler.schedules):
            resource = f"{name}-{kebab(handler.logical_id)}-schedule-{index}"
            rule = aws.cloudwatch.EventRule(
                resource,
                schedule_expression=override or expression,
                description=f"Runs {handler.logical_id} ({handler.handler})",
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.cloudwatch.EventTarget(
                f"{resource}-target",
                rule=rule.name,
                arn=function.arn,
                retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=retry.maximum_event_age_seconds,
                    maximum_retry_attempts=retry.maximum_retry_attempts,
                ),
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=failed.arn),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.lambda_.Permission(
                f"{resource}-invoke",
                action="lambda:InvokeFunction",
                function=function.function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            failed.allow_rule(rule.arn)
        self._async_failures(name, handler, function, args, failed)

    def _timed(
        self, name: str, handler: PackagedHandler, function: PackagedFunction, args: ChaliceAppArgs
    ) -> None:
        """One EventBridge Scheduler schedule per timed run of the handler, its target
        retried as the stack says and its undeliverable events kept, like a rule's; the
        function's own failed runs end in the same queue."""
        runs = args.timed.get(handler.logical_id, ())
        failed = args.failed_events
        if not runs:
            return
        if failed is None:
            raise ValueError(f"{handler.logical_id} has a schedule: give the app failed_events")
        for run in runs:
            SchedulerSchedule(
                f"{name}-{run.key}",
                SchedulerScheduleArgs(
                    schedule_name=physical(f"{args.package.app}-{run.key}", args.settings.stack),
                    run=run,
                    target_arn=function.arn,
                    target_kind="lambda",
                    dead_letter_arn=failed.arn,
                    retry=args.settings.failed_events,
                    tags=args.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if not handler.schedules:  # else _schedule declared it
            self._async_failures(name, handler, function, args, failed)

    def _async_failures(
        self,
        name: str,
        handler: PackagedHandler,
        function: PackagedFunction,
        args: ChaliceAppArgs,
        failed: FailedEventsQueue,
    ) -> None:
        """Lambda retries a failed asynchronous run as the stack says, then sends it (with
        its error) to the failed-events queue."""
        retry = args.settings.failed_events
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-{kebab(handler.logical_id)}-async",
            function_name=function.function.name,
            maximum_event_age_in_seconds=retry.maximum_event_age_seconds,
            maximum_retry_attempts=retry.maximum_retry_attempts,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=failed.arn
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[function.policy]),
        )
