"""What people configure (seed 002 §10.1, §10.3): the topics videos are made about, the
prompt each topic's script starts from, and the video settings (length, voice, style,
resolution). Validated here, with defaults for everything, so the page, the API and part 2's
pipeline read one model.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TOPIC_NAMES = ("education", "investing", "tourism", "technology", "health", "finance")
Style = Literal["explainer", "documentary", "news", "tutorial", "storytelling"]
Engine = Literal["standard", "neural", "long-form", "generative"]
Resolution = Literal["540p", "720p"]
# Polly's English voices by engine (the ones a topic may choose).
VOICES: dict[str, tuple[str, ...]] = {
    "standard": ("Joanna", "Matthew", "Amy", "Brian", "Salli", "Joey"),
    "neural": ("Joanna", "Matthew", "Amy", "Brian", "Ruth", "Stephen", "Danielle", "Gregory"),
    "long-form": ("Danielle", "Gregory", "Ruth", "Patrick"),
    "generative": ("Ruth", "Matthew", "Danielle", "Stephen", "Joanna", "Amy"),
}
DEFAULT_PROMPTS = {
    "education": "Explain {trend} clearly for curious learners, with one memorable example.",
    "investing": "Explain what {trend} means for long-term investors. No personal advice.",
    "tourism": "Show why travellers are talking about {trend}: places, costs and tips.",
    "technology": "Explain {trend} for a general audience: what it is, why now, what next.",
    "health": "Summarise {trend} with evidence-based facts. Not medical advice.",
    "finance": "Explain how {trend} affects everyday money decisions, with numbers.",
}


class _Strict(BaseModel):
    """Unknown fields are refused by name: a misspelt setting never silently falls back."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class VideoSettings(_Strict):
    # Seed 002 §10.2: 1-20 minutes, 5-10 by default.
    min_minutes: int = Field(default=5, ge=1, le=20)
    max_minutes: int = Field(default=10, ge=1, le=20)
    style: Style = "explainer"
    voice_engine: Engine = "neural"
    voice: str = "Matthew"
    resolution: Resolution = "720p"
    # Seconds of generated footage per minute of video (the rest reuses clips and stills).
    generated_seconds_per_minute: int = Field(default=10, ge=0, le=60)

    @model_validator(mode="after")
    def _consistent(self) -> VideoSettings:
        if self.min_minutes > self.max_minutes:
            raise ValueError("min_minutes must not exceed max_minutes")
        if self.voice not in VOICES[self.voice_engine]:
            raise ValueError(
                f"voice {self.voice!r} is not a {self.voice_engine} voice: "
                f"one of {', '.join(VOICES[self.voice_engine])}"
            )
        return self

    @property
    def typical_minutes(self) -> float:
        return (self.min_minutes + self.max_minutes) / 2


class TopicSettings(_Strict):
    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")
    enabled: bool = True
    videos_per_day: int = Field(default=1, ge=0, le=10)
    prompt: str = Field(min_length=10, max_length=2000)
    style: Style | None = None  # None: the video settings' style

    @field_validator("prompt")
    @classmethod
    def _names_the_trend(cls, value: str) -> str:
        if "{trend}" not in value:
            raise ValueError("the prompt must contain {trend}, where the trend's name goes")
        return value


def default_topics() -> tuple[TopicSettings, ...]:
    return tuple(TopicSettings(name=n, prompt=DEFAULT_PROMPTS[n]) for n in TOPIC_NAMES)


class TrendsConfig(_Strict):
    topics: tuple[TopicSettings, ...] = Field(default_factory=default_topics, min_length=1)
    video: VideoSettings = VideoSettings()

    @field_validator("topics")
    @classmethod
    def _distinct(cls, value: tuple[TopicSettings, ...]) -> tuple[TopicSettings, ...]:
        names = [t.name for t in value]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"topic names repeat: {', '.join(repeated)}")
        return value

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
