"""The Pulumi program: every system of the registry, composed; what each exports, exported."""

from __future__ import annotations

from infra.program import declare, export

export(declare())
