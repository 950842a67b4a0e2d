"""No read of the grids service asks another process: a GET handler takes no ``OtherServicesDep`` (the
residents and orders services, the gateway) and no request to make a call of its own with; the facts a
read needs are in the service's own tables (the household copy, the roster) or in the token."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request

from services.grids.app import create_app
from services.grids.clients import OtherServices


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:  # an included router
            yield from _api_routes(router.routes)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def test_no_get_handler_asks_another_process() -> None:
    reads = [route for route in _api_routes(create_app().routes) if "GET" in (route.methods or ())]
    own = [route for route in reads if route.endpoint.__module__.startswith("services.grids.")]
    assert len(own) > 30  # every read of the service, the included routers' too
    for route in reads:
        assert OtherServices not in set(_calls(route.dependant)), route.path
    for route in own:  # the process's shared routes (health, outbox) read the request's app state
        parameters = inspect.signature(route.endpoint).parameters.values()
        assert not any(p.annotation in (Request, "Request") for p in parameters), route.path
