"""The stack's settings, read from ``Pulumi.<stack>.yaml`` and validated in one place.

The platform's settings are top-level keys (``serverless-fleet:logLevel``). Each system has
its own namespace, one object under its name (``serverless-fleet:mentions``), validated by
the system's own model, whose defaults are the seeds' values: a stack file sets only what
differs. A missing or malformed value stops the program before any resource is declared,
with the key's name in the message.

Nothing here imports Pulumi at module level: operator commands read the same settings from
the stack files without the Pulumi SDK (``read_settings``, ``read_system_settings``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from pydantic.alias_generators import to_camel

from shared.names import PROJECT

ROOT = Path(__file__).resolve().parent.parent
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class CamelModel(BaseModel):
    """Settings as the stack files spell them (camelCase), frozen, unknown keys refused (a
    misspelt key would otherwise silently fall back to its default)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


class SystemSettings(CamelModel):
    """Base of every system's settings namespace: every field has a default."""


SettingsT = TypeVar("SettingsT", bound=SystemSettings)


class ApiThrottle(CamelModel):
    burst_limit: int = Field(gt=0)
    rate_limit: float = Field(gt=0)


class ApiQuota(CamelModel):
    limit: int = Field(gt=0)
    period: Literal["DAY", "WEEK", "MONTH"]


class QueueSettings(CamelModel):
    visibility_timeout_seconds: int = Field(ge=0, le=43200)
    max_receive_count: int = Field(ge=1, le=1000)
    dlq_retention_days: int = Field(ge=1, le=14)
    message_retention_days: int = Field(default=4, ge=1, le=14)


class FailedEventSettings(CamelModel):
    """How long and how often a scheduled event is retried before it is kept in the system's
    failed-events queue (EventBridge's target retry policy, Lambda's async invoke config)."""

    maximum_event_age_seconds: int = Field(default=3600, ge=60, le=21600)
    # Lambda allows 0-2 retries of an asynchronous invocation.
    maximum_retry_attempts: int = Field(default=2, ge=0, le=2)


class StackSettings(CamelModel):
    """The platform's settings: what every system's functions, APIs and alarms share."""

    model_config = ConfigDict(extra="ignore")  # the systems' namespaces sit beside these

    stack: str
    region: str
    log_level: LogLevel
    log_retention_days: int
    lambda_memory_mb: int | None = Field(default=None, ge=128, le=10240)
    api_throttle: ApiThrottle
    api_quota: ApiQuota
    alarm_email: EmailStr
    protect_data: bool
    # Every API's 5xx-rate alarm fires at this share of requests in five minutes.
    api_5xx_alarm_percent: float = Field(default=5.0, gt=0, le=100)
    failed_events: FailedEventSettings = FailedEventSettings()
    # How long a warm function keeps a secret before reading it again.
    secrets_cache_seconds: int = Field(default=300, ge=0, le=3600)


def _decode(raw: str) -> Any:
    """Pulumi hands structured values over as JSON text and scalars as plain text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def available_stacks(root: Path = ROOT) -> list[str]:
    """The stacks this repository configures: one ``Pulumi.<stack>.yaml`` each."""
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in root.glob("Pulumi.*.yaml")
    )


def stack_values(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The typed values of ``Pulumi.<stack>.yaml``: ``{"serverless-fleet:logLevel": "DEBUG"}``.

    Raises:
        FileNotFoundError: there is no such stack file.
    """
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no stack file {path.name}")
    return dict(yaml.safe_load(path.read_text()).get("config", {}))


def _project_values(values: dict[str, Any]) -> dict[str, Any]:
    prefix = f"{PROJECT}:"
    return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}


def unknown_keys(values: dict[str, Any]) -> list[str]:
    """The project's keys in ``values`` (``"serverless-fleet:x"``) that are neither a platform
    setting nor a system's namespace: a misspelt or retired key would otherwise be ignored."""
    from infra.registry import SYSTEMS

    known = {f.alias or n for n, f in StackSettings.model_fields.items()} | set(SYSTEMS)
    return sorted(f"{PROJECT}:{k}" for k in _project_values(values) if k not in known)


def read_settings(stack: str, root: Path = ROOT) -> StackSettings:
    """The platform's settings of a stack, from its file (no Pulumi needed).

    Raises:
        ValueError: the file has a key that is no setting (it names it).
        pydantic.ValidationError: a key is missing or invalid (the message names it).
    """
    values = stack_values(stack, root)
    unknown = unknown_keys(values)
    if unknown:
        raise ValueError(f"Pulumi.{stack}.yaml: unknown settings {unknown}")
    return StackSettings.model_validate(
        {**_project_values(values), "stack": stack, "region": values.get("aws:region")}
    )


def read_system_settings(
    stack: str, system: str, model: type[SettingsT], root: Path = ROOT
) -> SettingsT:
    """One system's namespace of a stack, from its file, defaults filled in."""
    return model.model_validate(_project_values(stack_values(stack, root)).get(system) or {})


def load_settings() -> StackSettings:
    """The platform's settings of the stack Pulumi is running.

    Raises:
        pydantic.ValidationError: a key is missing or invalid (the message names it).
    """
    import pulumi

    config = pulumi.Config()
    values: dict[str, Any] = {
        "stack": pulumi.get_stack(),
        "region": pulumi.Config("aws").require("region"),
    }
    for name, field in StackSettings.model_fields.items():
        alias = field.alias or name
        if name in values:
            continue
        raw = config.get(alias)
        if raw is not None:
            values[alias] = _decode(raw)
    return StackSettings.model_validate(values)


def load_system_settings(system: str, model: type[SettingsT]) -> SettingsT:
    """One system's namespace of the stack Pulumi is running, defaults filled in.

    Raises:
        pydantic.ValidationError: a key is invalid or unknown (the message names it).
    """
    import pulumi

    raw = pulumi.Config().get(system)
    return model.model_validate(_decode(raw) if raw is not None else {})
