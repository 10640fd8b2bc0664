"""The configuration's versions (``names.CONFIG_TABLE``): the newest is in force; each is the
audit record of the change that made it (who, when, the configuration before and after) and
any change can be undone from the history, which writes a new version restoring the state
before it (history is never rewritten).

Two people saving at once cannot lose a change: a save names the version it was made on and
is refused (``ConfigConflictError``) if another was saved since; the write itself is
conditional on its version not existing yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from boto3.dynamodb.conditions import Key

from chalicelib.trends.configuration import TrendsConfig
from chalicelib.trends.exceptions import (
    ConfigConflictError,
    DatabaseError,
    VersionNotFoundError,
)
from chalicelib.trends.names import CONFIG_ID
from shared.dynamo import aws_errors
from shared.timestamps import utc_iso

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

Action = Literal["update", "undo"]


@dataclass(frozen=True)
class Person:
    """Who changed something: the token's ``sub`` and e-mail."""

    sub: str
    email: str | None


@dataclass(frozen=True)
class Version:
    version: int
    config: TrendsConfig
    previous: TrendsConfig | None
    action: str
    changed_by: dict[str, Any] | None
    changed_at: str | None
    undo_of: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "action": self.action,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at,
            "undo_of": self.undo_of,
            "before": self.previous.as_json() if self.previous else None,
            "after": self.config.as_json(),
        }


# Before anyone saves, the defaults are in force as version 0.
DEFAULTS = Version(0, TrendsConfig(), None, "defaults", None, None)


def _version(item: dict[str, Any]) -> Version:
    previous = item.get("previous")
    return Version(
        version=int(item["version"]),
        config=TrendsConfig.model_validate(_plain(item["config"])),
        previous=TrendsConfig.model_validate(_plain(previous)) if previous else None,
        action=str(item["action"]),
        changed_by=_plain(item.get("changed_by")),
        changed_at=item.get("changed_at"),
        undo_of=int(item["undo_of"]) if item.get("undo_of") is not None else None,
    )


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints (the configuration holds no fractions)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value)
    return value


class ConfigStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def _query(self, **query: Any) -> list[dict[str, Any]]:
        with aws_errors("reading the configuration", DatabaseError):
            answer = self._table.query(
                KeyConditionExpression=Key("config_id").eq(CONFIG_ID)
                & query.pop("condition", Key("version").gte(0)),
                ScanIndexForward=False,
                **query,
            )
        return list(answer.get("Items") or [])

    def current(self) -> Version:
        """The version in force (the defaults, version 0, before the first save)."""
        items = self._query(Limit=1, ConsistentRead=True)
        return _version(items[0]) if items else DEFAULTS

    def get(self, version: int) -> Version:
        """Raises VersionNotFoundError."""
        with aws_errors(f"reading configuration version {version}", DatabaseError):
            item = self._table.get_item(
                Key={"config_id": CONFIG_ID, "version": version}, ConsistentRead=True
            ).get("Item")
        if item is None:
            raise VersionNotFoundError(version)
        return _version(item)

    def history(self, limit: int, before: int | None) -> list[Version]:
        """The newest ``limit`` versions older than ``before`` (all when None), newest
        first."""
        condition = Key("version").lt(before) if before is not None else Key("version").gte(0)
        return [_version(i) for i in self._query(Limit=limit, condition=condition)]

    def save(
        self,
        config: TrendsConfig,
        base: Version,
        who: Person,
        now: datetime,
        action: Action = "update",
        undo_of: int | None = None,
    ) -> Version:
        """Write ``config`` as the version after ``base``.

        Raises:
            ConfigConflictError: ``base`` is no longer the newest version.
            DatabaseError: DynamoDB failed after boto3's retries.
        """
        latest = self.current()
        if latest.version != base.version:
            raise ConfigConflictError(latest.version)
        saved = Version(
            version=base.version + 1,
            config=config,
            previous=base.config,
            action=action,
            changed_by={"sub": who.sub, "email": who.email},
            changed_at=utc_iso(now.isoformat()),
            undo_of=undo_of,
        )
        item: dict[str, Any] = {
            "config_id": CONFIG_ID,
            "version": saved.version,
            "config": config.as_json(),
            "previous": base.config.as_json(),
            "action": action,
            "changed_by": saved.changed_by,
            "changed_at": saved.changed_at,
        }
        if undo_of is not None:
            item["undo_of"] = undo_of
        with aws_errors(
            "saving the configuration",
            DatabaseError,
            on_condition=lambda: ConfigConflictError(self.current().version),
        ):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(version)")
        return saved

    def undo(self, version: int, who: Person, now: datetime) -> Version:
        """Restore the configuration as it was before ``version``'s change, as a new version.

        Raises:
            VersionNotFoundError: no such version (version 0, the defaults, is no change).
            ConfigConflictError: another save came in meanwhile.
        """
        if version < 1:
            raise VersionNotFoundError(version)
        target = self.get(version)
        restored = target.previous or TrendsConfig()
        return self.save(restored, self.current(), who, now, action="undo", undo_of=version)
