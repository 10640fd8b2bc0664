"""A Patchwork patch as we store and serve it, or the reason it cannot be.

The patches table's index keys are derived here and only here, so a patch whose state (or
submitter, or series) changed upstream gets new keys from the same function that made the
old ones: ``STATUS#UNDER-REVIEW``, ``SUBMITTER#<email>``, ``SERIES#<id>``, each sorted by the
patch date. ``fingerprint`` summarises what Patchwork said, so a patch seen again unchanged
is recognised without comparing fields one by one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.timestamps import utc_iso


def status_key(state: str) -> str:
    return f"STATUS#{state.upper()}"


def submitter_key(email: str) -> str:
    return f"SUBMITTER#{email.strip().lower()}"


def series_key(series_id: str) -> str:
    return f"SERIES#{series_id}"


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = ""
    email: str = Field(min_length=3, max_length=320)


class SeriesRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    name: str = ""
    version: int = 1


class Patch(BaseModel):
    """What we keep of a Patchwork patch (its list view's fields)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[0-9]{1,20}$")
    project: str = Field(min_length=1)
    name: str = Field(min_length=1)
    state: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    archived: bool = False
    date: str
    submitter: Person
    series: SeriesRef | None = None
    # The Message-ID without angle brackets: the key into lore.
    msgid: str = Field(min_length=3)
    web_url: str = ""
    mbox: str = ""
    hash: str | None = None
    commit_ref: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _utc(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("missing date")
        return utc_iso(value)

    @field_validator("msgid", mode="before")
    @classmethod
    def _bare_msgid(cls, value: Any) -> Any:
        return value.strip().strip("<>") if isinstance(value, str) else value

    def fingerprint(self) -> str:
        """A digest of everything Patchwork said about the patch."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def item(self) -> dict[str, Any]:
        """The patches table item: the patch, its index keys and its fingerprint (no
        discussion summary: the thread worker owns that)."""
        item: dict[str, Any] = {
            **{k: v for k, v in self.model_dump(mode="json").items() if v is not None},
            "status_key": status_key(self.state),
            "submitter_key": submitter_key(self.submitter.email),
            "fingerprint": self.fingerprint(),
        }
        if self.series is not None:
            item["series_key"] = series_key(self.series.id)
        return item


@dataclass(frozen=True)
class InvalidPatch:
    patch_id: str | None
    reason: str


def _first_series(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, list) and raw and isinstance(raw[0], dict):
        first = raw[0]
        return {
            "id": str(first.get("id") or ""),
            "name": first.get("name") or "",
            "version": first.get("version") or 1,
        }
    return None


def to_patch(raw: dict[str, Any]) -> Patch | InvalidPatch:
    """One patch of Patchwork's list view."""
    project = raw.get("project")
    submitter = raw.get("submitter") if isinstance(raw.get("submitter"), dict) else {}
    try:
        return Patch.model_validate(
            {
                "id": str(raw.get("id") or ""),
                "project": (project.get("link_name") if isinstance(project, dict) else project)
                or "",
                "name": raw.get("name") or "",
                "state": raw.get("state") or "",
                "archived": bool(raw.get("archived")),
                "date": raw.get("date"),
                "submitter": {
                    "name": (submitter or {}).get("name") or "",
                    "email": (submitter or {}).get("email") or "",
                },
                "series": _first_series(raw.get("series")),
                "msgid": raw.get("msgid") or "",
                "web_url": raw.get("web_url") or "",
                "mbox": raw.get("mbox") or "",
                "hash": raw.get("hash"),
                "commit_ref": raw.get("commit_ref"),
            }
        )
    except ValidationError as err:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'patch'}: {e['msg']}" for e in err.errors()
        )
        return InvalidPatch(str(raw["id"]) if raw.get("id") else None, reasons)


# What the read API shows of a stored patch (specs/patches.md).
PUBLIC_FIELDS = ("id", "project", "name", "state", "archived", "date", "msgid", "web_url")


def public_patch(item: dict[str, Any]) -> dict[str, Any]:
    """A stored item as the read API shows it."""
    submitter = item.get("submitter") or {}
    series = item.get("series")
    return {
        **{field: item.get(field) for field in PUBLIC_FIELDS},
        "submitter": {"name": submitter.get("name", ""), "email": submitter.get("email", "")},
        "series": (
            {"id": series["id"], "name": series.get("name", ""), "version": int(series["version"])}
            if series
            else None
        ),
    }
