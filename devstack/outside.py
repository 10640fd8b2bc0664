"""Which outside APIs the local stack fakes and which it calls for real.

The fakes are the default. A service is called for real when its credentials are in the
environment ``make dev`` starts in; the stack then stores them in the secrets the functions
read (as an operator would in AWS), starts no fake for it and points nothing at one. Each
system's profile says which variables a service needs (``Fake.real_variables``); the README
lists them. Bedrock, answered on the local AWS endpoint, is the exception: ``BEDROCK_REAL=1``
and the operator's AWS credentials make that endpoint forward Converse to the real one
(``real_bedrock``), with credentials that stay in the stack's process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ProfileNotFound


@dataclass(frozen=True, repr=False)
class RealServices:
    """The credentials of the services called for real, by the name stack.json gives their
    fakes: ``{"twilio": {"TWILIO_ACCOUNT_SID": ..., ...}}``. Never printed."""

    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print a credential
        return f"RealServices(real={self.services()})"

    def services(self) -> list[str]:
        """The services called for real, by the name stack.json uses for their fakes."""
        return sorted(self.values)

    def get(self, service: str) -> Mapping[str, str] | None:
        """A service's variables, or None when it is faked."""
        return self.values.get(service)


def real_services(
    environ: Mapping[str, str], wanted: Mapping[str, tuple[str, ...]]
) -> RealServices:
    """The services of ``wanted`` (name -> the variables it needs) whose variables are all
    set in ``environ``.

    Raises:
        ValueError: some of a service's variables are set and others are not (it names the
            missing ones), since a half-configured real account cannot work.
    """
    chosen: dict[str, dict[str, str]] = {}
    for service, variables in wanted.items():
        values = {name: environ.get(name, "") for name in variables}
        missing = [name for name, value in values.items() if not value]
        if missing and len(missing) < len(variables):
            raise ValueError(f"a real {service} account needs {missing} too (or none of them set)")
        if not missing:
            chosen[service] = values
    return RealServices(chosen)


# Bedrock is an AWS service, not a fake of a profile: it is answered on the local AWS
# endpoint (``services/bedrock/converse.py``) unless the operator opts in with real AWS credentials.
BEDROCK_REAL = "BEDROCK_REAL"
_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
# The operator's AWS credentials: read once by ``real_bedrock``, then taken out of the
# stack's environment, so no local process (they all inherit it) ever holds them.
OPERATOR_CREDENTIALS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    *_KEYS,
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)


def real_bedrock(environ: Mapping[str, str], region: str) -> Any | None:
    """A ``bedrock-runtime`` client on real Bedrock in ``region`` when ``BEDROCK_REAL`` is
    set (not ``0``), else None. Its credentials are the environment's keys
    (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN`` if set) or else
    its ``AWS_PROFILE``, fixed now, before the stack puts its dummy ones in the environment;
    its endpoint is the regional one and configured endpoints are ignored (profile refreshes
    too), so ``AWS_ENDPOINT_URL`` (the local endpoint) can never redirect it. It calls nothing
    until the first Converse; botocore retries nothing (the function's client retries).

    Raises:
        ValueError: opted in without credentials, with half the keys, or with an unknown
            profile.
    """
    if environ.get(BEDROCK_REAL, "") in ("", "0"):
        return None
    keys = {name: environ.get(name, "") for name in _KEYS}
    profile = environ.get("AWS_PROFILE", "")
    if any(keys.values()) and not all(keys.values()):
        missing = [name for name, value in keys.items() if not value]
        raise ValueError(f"{BEDROCK_REAL}=1 with AWS keys needs {missing} too")
    core = botocore.session.Session(profile=None if all(keys.values()) else profile or None)
    core.set_config_variable("region", region)
    core.set_config_variable("ignore_configured_endpoint_urls", True)
    if all(keys.values()):
        token = environ.get("AWS_SESSION_TOKEN") or None
        core.set_credentials(keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"], token)
    elif not profile:
        raise ValueError(
            f"{BEDROCK_REAL}=1 calls real Bedrock, which needs real AWS credentials in make "
            f"dev's environment: AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            f"(and AWS_SESSION_TOKEN); or unset {BEDROCK_REAL} to use the local Bedrock"
        )
    try:
        found = core.get_credentials()
    except ProfileNotFound as err:
        raise ValueError(f"{BEDROCK_REAL}=1: {err}") from None
    if found is None:
        raise ValueError(f"{BEDROCK_REAL}=1: the profile {profile!r} has no credentials")
    return boto3.Session(botocore_session=core).client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=f"https://bedrock-runtime.{region}.amazonaws.com",
        config=Config(retries={"total_max_attempts": 1}),
    )
