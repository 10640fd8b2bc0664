"""The Pulumi program: compose the systems, export what operators and the local stack need."""

from __future__ import annotations

import pulumi

from infra.comms import CommsArgs, CommsSystem
from infra.components.chalice_package import load_package
from infra.mentions import MentionsArgs, MentionsSystem
from infra.settings import load_settings

settings = load_settings()

comms = CommsSystem("comms", CommsArgs(settings=settings, package=load_package("comms")))

mentions = MentionsSystem(
    "mentions", MentionsArgs(settings=settings, package=load_package("mentions"))
)

pulumi.export("comms_api_url", comms.api_url)
pulumi.export("comms_api_key_id", comms.api_key_id)
pulumi.export("company_data_table", comms.company_data.name)
pulumi.export("comms_queue_urls", {channel: q.url for channel, q in comms.channel_queues.items()})
pulumi.export("mentions_table", mentions.mentions.name)
pulumi.export("mentions_api_url", mentions.api_url)
pulumi.export("mentions_api_key_id", mentions.api_key_id)
