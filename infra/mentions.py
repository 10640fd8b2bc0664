"""mentions (seed 000): the mentions table, so far. The ingester app, its schedule, the read
route and the monitoring come with the rest of issue 5."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.components.table import Index, Table, TableArgs
from infra.components.tags import fleet_tags
from infra.settings import StackSettings
from shared import names
from shared.names import physical

SYSTEM = "mentions"


@dataclass
class MentionsArgs:
    settings: StackSettings


class MentionsSystem(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: MentionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fleet:mentions:MentionsSystem", name, None, opts)
        settings = args.settings
        self.mentions = Table(
            f"{name}-mentions",
            TableArgs(
                table_name=physical(names.MENTIONS_TABLE, settings.stack),
                hash_key="mention_id",
                range_key="timestamp",
                attributes={"mention_id": "S", "timestamp": "S", "source": "S"},
                global_indexes=[Index("source-timestamp-index", "source", "timestamp")],
                # Items carry expires_at = stored time + mentionsRetentionDays (the ingester
                # writes it); DynamoDB deletes them after that.
                ttl_attribute=names.MENTIONS_TTL_ATTRIBUTE,
                tags=fleet_tags(settings.stack, SYSTEM),
                protect=settings.protect_data,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"mentions_table": self.mentions.name})
