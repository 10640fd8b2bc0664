"""The configuration API (seed 002 §10.3) behind the routes: read the configuration with
its cost, estimate a draft as it is typed, save a change (its cost impact answered, its
audit logged), list the history, undo a change. Each function takes its store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.trends.config_store import ConfigStore, Person, Version
from chalicelib.trends.configuration import TrendsConfig
from chalicelib.trends.exceptions import (
    ConfigConflictError,
    InvalidConfigError,
    UnauthorizedError,
)
from chalicelib.trends.pricing import cost_impact, estimate
from shared.errors import FieldProblem, InvalidQueryError, ParameterProblem
from shared.json_body import parse_json_object
from shared.observability import logger
from shared.query import checked_parameters

HISTORY_PAGE = 20
MAX_HISTORY_PAGE = 100
audit_log = logger("trends-config-audit")


class SaveRequest(BaseModel):
    """``PUT /config``: the whole configuration and the version it was edited from."""

    model_config = ConfigDict(extra="forbid")
    base_version: int = Field(ge=0)
    config: TrendsConfig


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    config: TrendsConfig


def parse(model: type[BaseModel], raw: bytes | str | None) -> Any:
    """The body as ``model``.

    Raises:
        MalformedJsonError, NestingTooDeepError: not a JSON object.
        InvalidConfigError: every bad field, each with its reason.
    """
    body = parse_json_object(raw)
    try:
        return model.model_validate(body)
    except ValidationError as err:
        raise InvalidConfigError(
            [
                FieldProblem(
                    ".".join(str(p) for p in e["loc"]) or "body",
                    e["msg"].removeprefix("Value error, "),
                )
                for e in err.errors(include_url=False)
            ]
        ) from None


def person(claims: dict[str, Any], client_id: str) -> Person:
    """Who is asking, from the ID token's claims API Gateway's authorizer checked (it accepts
    any app client of the pool: the audience is checked here).

    Raises:
        UnauthorizedError: no claims, not an ID token, or one of another app client.
    """
    sub = claims.get("sub")
    if not sub or claims.get("token_use") != "id" or claims.get("aud") != client_id:
        raise UnauthorizedError()
    email = claims.get("email")
    return Person(str(sub), str(email) if email else None)


def _described(version: Version) -> dict[str, Any]:
    return {
        "version": version.version,
        "config": version.config.as_json(),
        "changed_by": version.changed_by,
        "changed_at": version.changed_at,
        "cost": estimate(version.config).as_json(),
    }


def current_config(store: ConfigStore) -> dict[str, Any]:
    return _described(store.current())


def estimate_draft(raw: bytes | str | None) -> dict[str, Any]:
    """A draft's cost, nothing stored (the page asks as people type)."""
    draft: EstimateRequest = parse(EstimateRequest, raw)
    return {"cost": estimate(draft.config).as_json()}


def _audited(saved: Version, who: Person) -> dict[str, Any]:
    impact = cost_impact(saved.previous, saved.config)
    audit_log.info(
        "configuration changed",
        extra={
            "action": saved.action,
            "version": saved.version,
            "undo_of": saved.undo_of,
            "changed_by": {"sub": who.sub, "email": who.email},
            "changed_at": saved.changed_at,
            "before": saved.previous.as_json() if saved.previous else None,
            "after": saved.config.as_json(),
            "cost_change": impact["change"],
        },
    )
    return _described(saved) | {"cost_impact": impact}


def save_config(
    store: ConfigStore, raw: bytes | str | None, who: Person, now: datetime
) -> dict[str, Any]:
    """Raises InvalidConfigError, ConfigConflictError (409), DatabaseError."""
    request: SaveRequest = parse(SaveRequest, raw)
    base = store.current()
    if base.version != request.base_version:
        raise ConfigConflictError(base.version)
    return _audited(store.save(request.config, base, who, now), who)


def undo_change(store: ConfigStore, version: str, who: Person, now: datetime) -> dict[str, Any]:
    """Raises InvalidQueryError (not a number), VersionNotFoundError, ConfigConflictError."""
    if not version.isdigit():
        raise InvalidQueryError([ParameterProblem("version", "a version number")])
    return _audited(store.undo(int(version), who, now), who)


def config_history(store: ConfigStore, query: dict[str, str]) -> dict[str, Any]:
    """``?limit=&before=``: the versions older than ``before``, newest first, and the
    ``before`` of the next page (None at the first version)."""
    params = checked_parameters(query, optional=("limit", "before"))
    problems = []
    limit, before = HISTORY_PAGE, None
    if "limit" in params:
        if params["limit"].isdigit() and 1 <= int(params["limit"]) <= MAX_HISTORY_PAGE:
            limit = int(params["limit"])
        else:
            problems.append(ParameterProblem("limit", f"a whole number 1-{MAX_HISTORY_PAGE}"))
    if "before" in params:
        if params["before"].isdigit():
            before = int(params["before"])
        else:
            problems.append(ParameterProblem("before", "a version number"))
    if problems:
        raise InvalidQueryError(problems)
    versions = store.history(limit, before)
    oldest = versions[-1].version if versions else None
    return {
        "versions": [v.as_json() for v in versions],
        "before": oldest if oldest is not None and oldest > 1 and len(versions) == limit else None,
    }
