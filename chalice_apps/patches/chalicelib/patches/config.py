"""The ingester's settings as the program hands them over (``env.INGESTER_CONFIG``): the
stack's ``patches`` namespace plus what the program derives (the breaker's trial time)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# What patchwork.kernel.org allows in one page (Patchwork's MAX_REST_RESULTS_PER_PAGE).
MAX_PAGE_SIZE = 250


class IngesterConfig(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    # The hourly run: the first one reaches this far back; later ones start at the cursor
    # (the newest patch date stored) less the overlap, for patches Patchwork files late.
    first_run_lookback_hours: int = Field(ge=1)
    overlap_minutes: int = Field(ge=0)
    # The daily refresh re-reads this many days (state changes of older patches).
    refresh_days: int = Field(ge=1)
    # The weekly refresh re-reads the threads of patches in these states from this many days.
    discussion_refresh_days: int = Field(ge=1)
    active_states: tuple[str, ...] = Field(min_length=1)
    # Asked of Patchwork per page; the server may cap it lower.
    page_size: int = Field(ge=1, le=MAX_PAGE_SIZE)
    # ``limits`` notation, per invocation: "5/second".
    patchwork_rate_limit: str
    lore_rate_limit: str
    # The public-inbox to read threads from ("all" holds every list).
    lore_inbox: str = Field(min_length=1)
    # The breaker opens after this many consecutive failures of a service, lets one trial
    # call through after the cool-down, and gives a trial this long before another may try.
    breaker_failures: int = Field(ge=1)
    breaker_cooldown_seconds: int = Field(ge=1)
    breaker_trial_seconds: int = Field(ge=1)
    # A message body larger than this goes to S3 (an item holds 400 KB in all).
    inline_body_max_bytes: int = Field(ge=1, le=300_000)
