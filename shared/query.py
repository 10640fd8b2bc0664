"""Query parameters checked the same way by every route that does not validate them with a
model of its own: an unknown one is refused, never ignored, so a client's typo is told."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from shared.errors import InvalidQueryError, ParameterProblem


def checked_parameters(
    query: Mapping[str, str], required: Collection[str] = (), optional: Collection[str] = ()
) -> dict[str, str]:
    """The parameters, once each is one the route takes and each required one has a value.

    Raises:
        InvalidQueryError: every unknown, missing or empty parameter, each with its reason.
    """
    known = set(required) | set(optional)
    problems = [ParameterProblem(name, "unknown parameter") for name in query if name not in known]
    problems += [
        ParameterProblem(name, "required" if name not in query else "must not be empty")
        for name in required
        if not query.get(name)
    ]
    if problems:
        raise InvalidQueryError(problems)
    return dict(query)
