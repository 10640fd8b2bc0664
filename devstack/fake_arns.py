"""Outputs AWS would compute for a resource (ARN, URL, id), made up in AWS's own formats.

Used for every resource in infra tests, and in the local stack for the resources moto does not
need to hold (roles, functions, log groups): IAM policies and environment variables then carry
realistic ARNs.
"""

from __future__ import annotations

from typing import Any

from devstack.program import RecordingMocks
from devstack.pulumi_mocks import MockResourceArgs
from devstack.services.outputs import ACCOUNT_ID
from devstack.services.outputs import short_id as _short_id


def fake_outputs(
    type_token: str, name: str, inputs: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    """The physical id and outputs of one resource, inputs included (as the provider does)."""
    acct = ACCOUNT_ID
    physical = str(inputs.get("name") or name)
    out: dict[str, Any] = {**inputs, "name": physical}
    match type_token:
        case "aws:sqs/queue:Queue":
            url = f"https://sqs.{region}.amazonaws.com/{acct}/{physical}"
            out |= {"arn": f"arn:aws:sqs:{region}:{acct}:{physical}", "url": url}
            return url, out
        case "aws:dynamodb/table:Table":
            arn = f"arn:aws:dynamodb:{region}:{acct}:table/{physical}"
            return physical, out | {"arn": arn, "streamArn": f"{arn}/stream/1"}
        case "aws:sns/topic:Topic":
            arn = f"arn:aws:sns:{region}:{acct}:{physical}"
            return arn, out | {"arn": arn}
        case "aws:cloudwatch/logGroup:LogGroup":
            return physical, out | {"arn": f"arn:aws:logs:{region}:{acct}:log-group:{physical}"}
        case "aws:iam/role:Role":
            return physical, out | {"arn": f"arn:aws:iam::{acct}:role/{physical}"}
        case "aws:lambda/function:Function":
            arn = f"arn:aws:lambda:{region}:{acct}:function:{physical}"
            invoke = (
                f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
            )
            return physical, out | {"arn": arn, "invokeArn": invoke}
        case "aws:apigateway/restApi:RestApi":
            api_id = _short_id(physical)
            return api_id, out | {
                "executionArn": f"arn:aws:execute-api:{region}:{acct}:{api_id}",
                "rootResourceId": _short_id(api_id),
            }
        case "aws:apigateway/stage:Stage":
            url = (
                f"https://{inputs.get('restApi')}.execute-api.{region}.amazonaws.com/"
                f"{inputs.get('stageName')}"
            )
            return _short_id(name), out | {"invokeUrl": url}
        case "aws:apigateway/apiKey:ApiKey":
            return _short_id(name), out | {"value": _short_id("key" + name, 40)}
        case "aws:cloudwatch/eventRule:EventRule":
            physical = str(inputs.get("name") or f"{name}-{_short_id(name, 7)}")
            arn = f"arn:aws:events:{region}:{acct}:rule/{physical}"
            return physical, out | {"name": physical, "arn": arn}
        case "aws:secretsmanager/secret:Secret":
            arn = f"arn:aws:secretsmanager:{region}:{acct}:secret:{physical}-{_short_id(name, 6)}"
            return arn, out | {"arn": arn}
        case "aws:s3/bucket:Bucket":
            physical = str(inputs.get("bucket") or physical)
            return physical, out | {"bucket": physical, "arn": f"arn:aws:s3:::{physical}"}
        case "aws:sfn/stateMachine:StateMachine":
            arn = f"arn:aws:states:{region}:{acct}:stateMachine:{physical}"
            return arn, out | {"arn": arn}
        case "aws:kms/key:Key":
            key_id = (
                f"{_short_id(name, 8)}-{_short_id(name + 'k', 4)}-4a6b-8c9d-{_short_id(name, 12)}"
            )
            return key_id, out | {
                "arn": f"arn:aws:kms:{region}:{acct}:key/{key_id}",
                "keyId": key_id,
            }
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return physical, out | {"arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{physical}"}
        case "aws:cognito/userPool:UserPool":
            pool_id = f"{region}_{_short_id(physical, 9)}"
            return pool_id, out | {
                "arn": f"arn:aws:cognito-idp:{region}:{acct}:userpool/{pool_id}",
                "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
            }
        case "aws:cognito/userPoolClient:UserPoolClient":
            return _short_id(physical, 26), out
        case "aws:glue/catalogDatabase:CatalogDatabase":
            arn = f"arn:aws:glue:{region}:{acct}:database/{physical}"
            return f"{acct}:{physical}", out | {"arn": arn, "catalogId": acct}
        case "aws:scheduler/schedule:Schedule":
            group = str(inputs.get("groupName") or "default")
            arn = f"arn:aws:scheduler:{region}:{acct}:schedule/{group}/{physical}"
            return f"{group}/{physical}", out | {"arn": arn, "groupName": group}
        case "aws:budgets/budget:Budget":
            arn = f"arn:aws:budgets::{acct}:budget/{physical}"
            return f"{acct}:{physical}", out | {"arn": arn, "accountId": acct}
        case "aws:athena/workgroup:Workgroup":
            return physical, out | {"arn": f"arn:aws:athena:{region}:{acct}:workgroup/{physical}"}
        case _:
            return f"{name}-{_short_id(name, 8)}", out


class OfflineMocks(RecordingMocks):
    """Mocks that create nothing: every resource gets made-up outputs (infra tests, ``env``)."""

    def create(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return fake_outputs(args.typ, args.name, dict(args.inputs), self.region)
