"""GET routes served without FastAPI's general request machinery, where nothing of it is needed.

For every request FastAPI (0.16x) opens two exit stacks, builds an empty response for dependencies
to write headers into, reads the body, works out cache keys and generator checks for each dependency
and solves them recursively: about a quarter of the CPU of a hot read (profiled with cProfile on
``GET /api/v1/orders/{id}``, bench/README.md), for features the platform's reads do not use.

``lean`` gives a route a smaller ASGI app when its shape allows, and leaves the route to FastAPI
otherwise. It allows: a GET route whose endpoint is a coroutine declared to return a ``Response`` (it
serialises its own JSON, ``shared.fastlane.json_response``), with path and query parameters only,
whose dependencies are coroutines without sub-dependencies, parameters other than the request, yield,
security scopes or limits of concurrency (the access policies of ``shared.security``, the fast lane).
The lean app does what FastAPI does for that shape, in the same order: each dependency called once
(cached per request as FastAPI does), then the path and query parameters read and validated by
FastAPI's own ``request_params_to_args`` (its errors raised as the same ``RequestValidationError``),
then the endpoint, then its response. Dependency overrides (tests) send the request to FastAPI's app.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi.dependencies import utils as dependency_utils
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, _extract_endpoint_context
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

# (parameter name or None, the dependency's callable, the name it takes the request under or None)
_Step = tuple[str | None, Callable[..., Awaitable[Any]], str | None]


def _simple_dependency(dependant: Dependant) -> _Step | None:
    if dependant.dependencies or dependant.path_params or dependant.query_params or dependant.header_params:
        return None
    if dependant.cookie_params or dependant.body_params or not dependant.use_cache:
        return None
    if dependant.websocket_param_name or dependant.http_connection_param_name or dependant.response_param_name:
        return None
    if dependant.background_tasks_param_name or dependant.security_scopes_param_name or dependant.own_oauth_scopes:
        return None
    if dependant.concurrency is not None or dependant.call is None:
        return None
    call = dependant.call
    function = call if inspect.isroutine(call) else getattr(call, "__call__", None)  # noqa: B004
    if not inspect.iscoroutinefunction(function):
        return None  # a sync dependency runs in FastAPI's thread pool; a generator needs its exit stack
    return dependant.name, call, dependant.request_param_name


def _returns_response(endpoint: Callable[..., Any]) -> bool:
    try:
        returned = typing.get_type_hints(endpoint).get("return")
    except Exception:  # an annotation that does not resolve: FastAPI's app, which knows what to do
        return False
    return isinstance(returned, type) and issubclass(returned, Response)


def plan(route: APIRoute) -> list[_Step] | None:
    """The dependencies a lean app calls for ``route``, in FastAPI's order; None when it needs FastAPI's."""
    dependant = route.dependant
    if not route.methods or not route.methods <= {"GET", "HEAD"}:
        return None
    if dependant.header_params or dependant.cookie_params or dependant.body_params:
        return None
    if dependant.response_param_name or dependant.background_tasks_param_name:
        return None
    if dependant.security_scopes_param_name or dependant.websocket_param_name:
        return None
    if dependant.http_connection_param_name or not inspect.iscoroutinefunction(dependant.call):
        return None
    if not _returns_response(route.endpoint):
        return None
    steps = [_simple_dependency(sub) for sub in dependant.dependencies]
    if any(step is None for step in steps):
        return None
    return [step for step in steps if step is not None]


def lean_app(route: APIRoute, steps: list[_Step]) -> ASGIApp:
    dependant = route.dependant
    endpoint: Callable[..., Awaitable[Response]] = dependant.call  # type: ignore[assignment]
    request_name = dependant.request_param_name
    path_params, query_params = dependant.path_params, dependant.query_params
    context = _extract_endpoint_context(endpoint)
    context["path"] = f"GET {dependant.path}"
    fastapi_app = route.app
    overrides = route.dependency_overrides_provider

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if overrides is not None and getattr(overrides, "dependency_overrides", None):
            await fastapi_app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        values: dict[str, Any] = {}
        solved: dict[Any, Any] = {}
        for name, call, takes_request in steps:
            if call in solved:
                value = solved[call]
            else:
                value = solved[call] = await (call(**{takes_request: request}) if takes_request else call())
            if name is not None:
                values[name] = value
        errors: list[Any] = []
        if path_params:
            read, errors = dependency_utils.request_params_to_args(path_params, request.path_params)
            values.update(read)
        if query_params:
            read, query_errors = dependency_utils.request_params_to_args(query_params, request.query_params)
            values.update(read)
            errors = [*errors, *query_errors]
        if errors:
            raise RequestValidationError(errors, endpoint_ctx=context)
        if request_name is not None:
            values[request_name] = request
        response = await endpoint(**values)
        await response(scope, receive, send)

    app.fastapi_app = fastapi_app  # type: ignore[attr-defined]  # FastAPI's own, which tests compare with
    return app


def lean(routes: Iterable[Any]) -> int:
    """Give each route of ``routes`` that allows it a lean app; the number of routes so served."""
    count = 0
    for route in routes:
        if isinstance(route, APIRoute):
            steps = plan(route)
            if steps is not None:
                route.app = lean_app(route, steps)
                count += 1
    return count
