"""EventBridge Scheduler schedules: a cron or rate expression evaluated in a time zone
(``America/New_York``: daylight saving is Scheduler's business, not a UTC cron to edit twice
a year), a target retried as the stack says, and what could not be delivered kept in the
system's failed-events queue.

Scheduler calls the target with a role of its own (it has no resource policy to lean on):
one role per schedule, allowed exactly the target's start action on the target's ARN and
``sqs:SendMessage`` on its dead-letter queue (Scheduler sends there with the same role).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components.function import policy_document
from infra.settings import FailedEventSettings

# What starts a target, by the kind of ARN it is.
START_ACTIONS = {"lambda": "lambda:InvokeFunction", "states": "states:StartExecution"}
# Scheduler's context attributes, replaced in the input at each invocation.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
ATTEMPT = "<aws.scheduler.attempt-number>"


@dataclass(frozen=True)
class TimedRun:
    """When a target runs: ``key`` names the schedule (``daily-analysis``), ``expression``
    is ``cron(...)`` or ``rate(...)`` in AWS's dialect, evaluated in ``timezone`` (IANA)."""

    key: str
    expression: str
    timezone: str
    description: str


def schedule_input(schedule_name: str) -> str:
    """The event a target gets: the schedule's name, the time the invocation was scheduled
    for (the same on each retry, so a retried run can recognise itself) and the attempt."""
    return json.dumps(
        {"schedule": schedule_name, "scheduled_time": SCHEDULED_TIME, "attempt": ATTEMPT}
    )


@dataclass
class SchedulerScheduleArgs:
    schedule_name: str
    run: TimedRun
    # The function's or state machine's ARN, and which of the two (START_ACTIONS' keys).
    target_arn: pulumi.Input[str]
    target_kind: str
    dead_letter_arn: pulumi.Input[str]
    retry: FailedEventSettings
    tags: dict[str, str]


class SchedulerSchedule(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: SchedulerScheduleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:scheduling:SchedulerSchedule", name, None, opts)
        if args.target_kind not in START_ACTIONS:
            raise ValueError(f"{args.schedule_name}: a schedule targets {sorted(START_ACTIONS)}")
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.schedule_name}-scheduler",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "scheduler.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            # Only this account's schedules may use the role.
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": account.account_id}
                            },
                        }
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=f"{args.schedule_name}-scheduler",
            role=self.role.id,
            policy=policy_document(
                [
                    {
                        "Sid": "StartTarget",
                        "Action": [START_ACTIONS[args.target_kind]],
                        "Resource": [args.target_arn],
                    },
                    {
                        "Sid": "KeepUndeliveredEvents",
                        "Action": ["sqs:SendMessage"],
                        "Resource": [args.dead_letter_arn],
                    },
                ]
            ),
            opts=child,
        )
        run = args.run
        self.schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=args.schedule_name,
            description=run.description,
            schedule_expression=run.expression,
            schedule_expression_timezone=run.timezone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            state="ENABLED",
            target=aws.scheduler.ScheduleTargetArgs(
                arn=args.target_arn,
                role_arn=self.role.arn,
                input=schedule_input(args.schedule_name),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=args.retry.maximum_event_age_seconds,
                    maximum_retry_attempts=args.retry.maximum_retry_attempts,
                ),
                dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(
                    arn=args.dead_letter_arn
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.arn = self.schedule.arn
        self.register_outputs({"arn": self.arn})
