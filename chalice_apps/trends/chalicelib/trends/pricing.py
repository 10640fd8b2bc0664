"""What a configuration costs (seed 002 §10.3): per video and per month, from the settings and
the prices of the services the video pipeline pays for, kept in one table.

Prices are on-demand, us-east-1, in US dollars, as AWS lists them when this was written;
review ``PRICES`` when AWS changes them (one place). The estimate is deliberately simple and
says what it assumes: the typical video lasts the middle of the allowed range; narration
runs at ``NARRATION_CHARS_PER_MINUTE``; a month is 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from chalicelib.trends.configuration import TrendsConfig

# Unit prices, by service and what is billed.
PRICES: Final[dict[str, float]] = {
    # Bedrock Luma Ray2 text-to-video, per second of video generated.
    "bedrock_video_second_540p": 0.75,
    "bedrock_video_second_720p": 1.50,
    # Polly, per character synthesised.
    "polly_character_standard": 4.00 / 1_000_000,
    "polly_character_neural": 16.00 / 1_000_000,
    "polly_character_long-form": 100.00 / 1_000_000,
    "polly_character_generative": 30.00 / 1_000_000,
    # Bedrock text (the script writer, a Nova Lite class model), per 1,000 tokens.
    "bedrock_text_input_1k_tokens": 0.00006,
    "bedrock_text_output_1k_tokens": 0.00024,
    # MediaConvert basic tier, per minute of HD (720p-1080p) output.
    "mediaconvert_hd_minute": 0.0150,
}
# About 150 spoken words a minute of about 6 characters with the space.
NARRATION_CHARS_PER_MINUTE: Final = 900
DAYS_PER_MONTH: Final = 30


@dataclass(frozen=True)
class Estimate:
    """The cost of one typical video, item by item, and of a month of the configured
    output."""

    per_video: dict[str, float]
    videos_per_month: int

    @property
    def video_total(self) -> float:
        return sum(self.per_video.values())

    @property
    def month_total(self) -> float:
        return self.video_total * self.videos_per_month

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "per_video": {k: round(v, 4) for k, v in self.per_video.items()}
            | {"total": round(self.video_total, 2)},
            "videos_per_month": self.videos_per_month,
            "per_month": round(self.month_total, 2),
        }


def estimate(config: TrendsConfig) -> Estimate:
    """The estimate of ``config`` (see the module for what it assumes)."""
    video = config.video
    minutes = video.typical_minutes
    return Estimate(
        per_video={
            "bedrock_video": minutes
            * video.generated_seconds_per_minute
            * PRICES[f"bedrock_video_second_{video.resolution}"],
            "polly_narration": minutes
            * NARRATION_CHARS_PER_MINUTE
            * PRICES[f"polly_character_{video.voice_engine}"],
            "mediaconvert": minutes * PRICES["mediaconvert_hd_minute"],
        },
        videos_per_month=DAYS_PER_MONTH * sum(t.videos_per_day for t in config.topics if t.enabled),
    )


def cost_impact(before: TrendsConfig | None, after: TrendsConfig) -> dict[str, Any]:
    """What a change does to the costs: both estimates and the difference."""
    new = estimate(after)
    old = estimate(before) if before is not None else None
    return {
        "before": old.as_json() if old else None,
        "after": new.as_json(),
        "change": {
            "per_video": round(new.video_total - (old.video_total if old else 0.0), 2),
            "per_month": round(new.month_total - (old.month_total if old else 0.0), 2),
        },
    }
