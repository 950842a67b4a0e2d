"""Finding a request's route without trying every route of the process.

FastAPI (0.16x) matches a request by asking each included router, which asks each of its routes, in
order: about 5 µs a route, so a process with a hundred routes spent more on finding the route than on
the database read behind it (see bench/README.md). ``RouteIndex`` groups the API routers' routes by
the first segments of their paths and their number of segments; a request tries only the routes of
its group, in the order
FastAPI would have tried them, and is served by the first that matches fully. Anything else (no full
match, a wrong method, FastAPI's own documentation routes, routes added to the app later) goes on to
FastAPI's router, which answers exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.convertors import PathConvertor
from starlette.routing import BaseRoute, Match, Route, get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

# Segments of a path that pick its group: ("api", "v1", "visits") for /api/v1/visits/{visit_id}.
KEY_SEGMENTS = 3


def _static_key(route: Route) -> tuple[str, ...] | None:
    """The route's group: its first segments and how many it has; None when a parameter sits in the
    segments that pick it, or one may span several segments (``{name:path}``)."""
    segments = route.path_format.strip("/").split("/")
    if len(segments) < KEY_SEGMENTS or any("{" in segment for segment in segments[:KEY_SEGMENTS]):
        return None
    if any(isinstance(convertor, PathConvertor) for convertor in route.param_convertors.values()):
        return None
    return (*segments[:KEY_SEGMENTS], str(len(segments)))


def _request_key(path: str) -> tuple[str, ...]:
    segments = path.strip("/").split("/")
    return (*segments[:KEY_SEGMENTS], str(len(segments)))


class RouteIndex:
    """An ASGI app in front of a router: ``routes`` indexed, everything else left to ``fallback``."""

    def __init__(self, fallback: ASGIApp, *, router: object, routes: Iterable[BaseRoute]) -> None:
        self.fallback = fallback
        self.router = router
        ordered: list[tuple[tuple[str, ...] | None, Route]] = [
            (_static_key(route), route) for route in routes if isinstance(route, Route)
        ]
        groups = {key for key, _ in ordered if key is not None}
        # Each group keeps the routes that may match its paths, in the routers' order: its own and
        # those with a parameter in the key segments (which may match any group's paths).
        self._groups: dict[tuple[str, ...], Sequence[Route]] = {
            group: tuple(route for key, route in ordered if key is None or key == group) for group in groups
        }
        self._others: Sequence[Route] = tuple(route for key, route in ordered if key is None)

    def candidates(self, path: str) -> Sequence[Route]:
        return self._groups.get(_request_key(path), self._others)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.candidates(get_route_path(scope)):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self.router)
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        # No route takes it (or only with another method): FastAPI's router answers 404, 405 or a
        # redirect exactly as it would have.
        await self.fallback(scope, receive, send)


def api_routes(app: Any) -> Iterator[APIRoute]:
    """The API routes an app serves: FastAPI (0.16x) keeps each included router as it is, behind an
    entry of the app's routes that names it (``original_router``)."""
    for entry in app.routes:
        router = getattr(entry, "original_router", None)
        for route in router.routes if router is not None else [entry]:
            if isinstance(route, APIRoute):
                yield route
