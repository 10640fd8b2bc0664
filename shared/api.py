"""The one error mapper: every route of every app answers errors in one shape.

``../shared/specs/errors.md`` fixes the shape::

    {"status": "error", "error_code": "...", "message": "...", "request_id": ... or null,
     "errors": [{"field" | "parameter": ..., "reason": ...}]}     # only with problems

``ApiApp`` is the Chalice app of every system's API. Each of its routes runs inside the
mapper, so a route is the call and its return: typed refusals (``ApiError``) become their
status and code; ``TransientError`` a 503 with ``Retry-After``; ``ConfigurationError`` and
any other exception a 500 ``INTERNAL_ERROR`` whose details are logged with the traceback and
never sent. A Chalice middleware cannot do the first part (it never sees a view's
exception: Chalice has already turned it into its own 500 response), so the mapper wraps
each view as it is registered; a middleware then gives the answers Chalice makes before a
view runs (415 for a content type the route does not take, 405) the same shape.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Chalice, ChaliceViewError, Request, Response

from shared.errors import (
    ApiError,
    InternalError,
    ServiceUnavailableError,
    TransientError,
)
from shared.http import json_response

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

# What a 429 or 503 tells the client to wait when the error does not say (seconds).
DEFAULT_RETRY_AFTER_SECONDS = 5
_MUST_SAY_WHEN = {429, 503}


class _ChaliceRefusal(ApiError):
    """An answer Chalice made itself (``BadRequestError`` from ``json_body``, a 415), kept
    with its status and a code made from its name: ``UnsupportedMediaType`` ->
    ``UNSUPPORTED_MEDIA_TYPE``."""

    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = _upper_snake(name.removesuffix("Error"))


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def as_api_error(err: Exception) -> ApiError:
    """The refusal an exception is answered with. Only an ``ApiError`` or a Chalice 4xx
    keeps its message; anything else is told without its text."""
    if isinstance(err, ApiError):
        return err
    if isinstance(err, TransientError):
        return ServiceUnavailableError()
    if isinstance(err, ChaliceViewError) and err.STATUS_CODE < 500:
        return _ChaliceRefusal(err.STATUS_CODE, type(err).__name__, str(err))
    return InternalError()


def error_response(error: ApiError) -> Response:
    """The shared JSON body, with ``Retry-After`` on a 429 or 503."""
    body: dict[str, Any] = {
        "status": "error",
        "error_code": error.error_code,
        "message": error.message,
        "request_id": error.request_id,
    }
    if error.problems:
        body["errors"] = [problem.as_json() for problem in error.problems]
    response = json_response(error.status, body)
    retry_after = error.retry_after
    if retry_after is None and error.status in _MUST_SAY_WHEN:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def map_error(err: Exception, log: Logger) -> Response:
    """Log ``err`` (a refusal as one info line; a 5xx with its traceback) and answer it."""
    error = as_api_error(err)
    fields = {"status": error.status, "error_code": error.error_code}
    if error.status >= 500:
        log.error("request failed", exc_info=err, extra=fields)
    else:
        log.info(
            "request refused",
            extra=fields | {"reason": error.message, "request_id": error.request_id},
        )
    return error_response(error)


def _is_shaped(body: object) -> bool:
    return isinstance(body, dict) and body.get("status") == "error" and "error_code" in body


def _mapped_route(
    register: Callable[[Callable[..., Any]], Any], log: Logger
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route decorator registering the view inside the mapper (and returning it as is)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def mapped(**path_parameters: Any) -> Any:
            try:
                return view(**path_parameters)
            except Exception as err:  # the one mapper: see the module's docstring
                return map_error(err, log)

        register(mapped)
        return view

    return decorator


class ApiBlueprint(Blueprint):
    """A Chalice blueprint whose routes run inside the mapper, as ``ApiApp``'s do; the only
    kind ``ApiApp.register_blueprint`` takes."""

    def __init__(self, import_name: str, log: Logger) -> None:
        super().__init__(import_name)
        self._api_log = log

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        return _mapped_route(super().route(path, **kwargs), self._api_log)


class ApiApp(Chalice):
    """A Chalice app whose routes answer every error in the shared shape.

    Register routes as usual (``@app.route(...)``); each view is wrapped by the mapper, and
    so is each route of an ``ApiBlueprint`` (a plain Blueprint is refused).
    ``request`` and ``query`` give a view the current request without ``Optional``.
    """

    def __init__(self, app_name: str, log: Logger) -> None:
        super().__init__(app_name=app_name)
        self._api_log = log
        self.register_middleware(self._shape_chalice_answers, "http")

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        return _mapped_route(super().route(path, **kwargs), self._api_log)

    def register_blueprint(
        self, blueprint: Blueprint, name_prefix: str | None = None, url_prefix: str | None = None
    ) -> None:
        """Register an ``ApiBlueprint``'s routes (each inside the mapper).

        Raises:
            TypeError: a plain Chalice ``Blueprint``, whose routes would skip the mapper.
        """
        if not isinstance(blueprint, ApiBlueprint):
            raise TypeError(
                f"blueprint {blueprint!r} is a plain Chalice Blueprint: its routes would answer "
                "errors outside the shared shape; make it an ApiBlueprint"
            )
        super().register_blueprint(blueprint, name_prefix=name_prefix, url_prefix=url_prefix)

    @property
    def request(self) -> Request:
        """The request being handled (routes only run with one)."""
        if self.current_request is None:
            raise RuntimeError("no request is being handled")
        return self.current_request

    @property
    def query(self) -> dict[str, str]:
        """The query string's parameters (the last value of a repeated one)."""
        return dict(self.request.query_params or {})

    def _shape_chalice_answers(
        self, event: Request, get_response: Callable[[Request], Response]
    ) -> Response:
        """Give the shared shape to what Chalice answers before or around a view: 415, 405,
        and its own 500 (its body is never passed on)."""
        response = get_response(event)
        if response.status_code < 400 or _is_shaped(response.body):
            return response
        body = response.body if isinstance(response.body, dict) else {}
        if response.status_code >= 500:
            self._api_log.error("Chalice answered a 500", extra={"path": event.path})
            error: ApiError = InternalError()
        else:
            error = _ChaliceRefusal(
                response.status_code,
                str(body.get("Code") or "BadRequest"),
                str(body.get("Message") or "the request was refused"),
            )
        shaped = error_response(error)
        for name, value in response.headers.items():
            if name.lower() != "content-type":
                shaped.headers.setdefault(name, value)
        return shaped
