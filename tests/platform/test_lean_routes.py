"""The shared layer's shortcuts for reads answer exactly as FastAPI would: the lean GET routes
(shared.leanroutes), the query parameters a request does not carry (shared.speedups), the route
index (shared.routing) and the access log's direct line (shared.logging). Each is compared with the
general path it stands in for, on the orders service's real routes, with good and bad input."""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies import utils as dependency_utils
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams

from shared import leanroutes
from shared.logging import configure_logging, log_access
from shared.routing import RouteIndex, api_routes
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.orders.support import add_menu_item, place, resident, staff

# The reads the benchmark (bench/reads.py) measures, by process: each must stay lean.
HOT_READS = {
    "orders": ["/api/v1/orders", "/api/v1/orders/{order_id}", "/api/v1/points/me", "/api/v1/points/leaderboard"],
    "grids": [
        "/api/v1/visits",
        "/api/v1/visits/{visit_id}",
        "/api/v1/notices",
        "/api/v1/activities",
        "/api/v1/members",
        "/api/v1/members/me/households",
        "/api/v1/grids",
    ],
    "residents": ["/api/v1/residents", "/api/v1/residents/{resident_id}"],
    "jobs": ["/api/v1/postings", "/api/v1/postings/{posting_id}"],
    "gateway": ["/api/v1/me", "/api/v1/me/notifications"],
}


def get_route(app: FastAPI, path: str) -> APIRoute:
    return next(route for route in api_routes(app) if route.path == path and "GET" in (route.methods or ()))


@pytest.fixture
async def orders_app(start_app: AppFactory) -> FastAPI:
    return await start_app("orders")


@pytest.fixture
async def client(orders_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=orders_app), base_url="http://orders.test") as c:
        yield c


@pytest.mark.parametrize("name", sorted(HOT_READS))
async def test_every_hot_read_is_served_lean(start_app: AppFactory, name: str) -> None:
    app = await start_app(name)
    for path in HOT_READS[name]:
        route = get_route(app, path)
        assert hasattr(route.app, "fastapi_app"), f"{name} {path} is no longer lean: {leanroutes.plan(route)}"


def same(answer: httpx.Response) -> tuple[int, str, Any]:
    body = answer.json() if answer.content else None
    return answer.status_code, answer.headers.get("content-type", ""), body


async def both(client: httpx.AsyncClient, route: APIRoute, url: str, headers: dict[str, str]) -> list[Any]:
    """The answer of the lean app, then of FastAPI's own app for the same route."""
    answers = []
    lean = route.app
    headers = {**headers, "X-Request-ID": "same-request"}
    try:
        answers.append(same(await client.get(url, headers=headers)))
        route.app = lean.fastapi_app  # type: ignore[attr-defined]
        answers.append(same(await client.get(url, headers=headers)))
    finally:
        route.app = lean
    return answers


LIST_QUERIES = [
    "",
    "?state=placed&state=dispatched&limit=5",
    "?kind=service&mine=true",
    "?grabbable=true&overdue=false",
    "?limit=0",
    "?limit=abc",
    "?state=bogus",
    "?resident_id=nope",
    "?mine=maybe",
    "?grid_code=1",
    "?since=yesterday",
    "?cursor=garbage",
    "?state=",
    "?limit=5&limit=6",
    "?unknown=1",
]


@pytest.mark.parametrize("query", LIST_QUERIES)
async def test_the_order_list_answers_as_fastapi_does(
    orders_app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, query: str
) -> None:
    item = await add_menu_item(client, keys)
    await place(client, resident(keys), item["id"])
    route = get_route(orders_app, "/api/v1/orders")
    lean, general = await both(client, route, f"/api/v1/orders{query}", staff(keys))
    assert lean == general
    assert lean[0] in (200, 422) and (lean[0] == 200 or lean[1] == "application/problem+json")


async def test_callers_and_single_reads_answer_as_fastapi_does(
    orders_app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    item = await add_menu_item(client, keys)
    placed = await place(client, resident(keys), item["id"])
    listing, one = get_route(orders_app, "/api/v1/orders"), get_route(orders_app, "/api/v1/orders/{order_id}")
    employer = keys.headers(roles=["employer"])
    cases = [
        (listing, "/api/v1/orders", {}, 401),
        (listing, "/api/v1/orders", {"Authorization": "Bearer not-a-token"}, 401),
        (listing, "/api/v1/orders", employer, 403),
        (listing, "/api/v1/orders?mine=true", resident(keys), 200),
        (one, f"/api/v1/orders/{placed['id']}", resident(keys), 200),
        (one, f"/api/v1/orders/{placed['id']}", resident(keys, "13900000002"), 404),
        (one, f"/api/v1/orders/{uuid.uuid4()}", staff(keys), 404),
        (one, "/api/v1/orders/not-an-id", staff(keys), 422),
    ]
    for route, url, headers, status in cases:
        lean, general = await both(client, route, url, headers)
        assert lean == general, url
        assert lean[0] == status, (url, lean)
    own = (await both(client, listing, "/api/v1/orders", resident(keys)))[0]
    assert [order["id"] for order in own[2]["items"]] == [placed["id"]]
    assert (await both(client, listing, "/api/v1/orders", resident(keys, "13900000002")))[0][2]["items"] == []


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_absent_parameters_read_as_fastapi_reads_them(orders_app: FastAPI, query: str) -> None:
    fields = get_route(orders_app, "/api/v1/orders").dependant.query_params
    patched = dependency_utils.request_params_to_args
    general = patched.__wrapped__  # type: ignore[attr-defined]
    received = QueryParams(query.lstrip("?"))
    values, errors = patched(fields, received)
    expected_values, expected_errors = general(fields, received)
    assert values == expected_values
    assert comparable(errors) == comparable(expected_errors)
    assert set(values) | {error["loc"][1] for error in errors} == {field.name for field in fields}


def comparable(errors: list[Any]) -> list[Any]:
    """Validation errors with their exceptions as text (exceptions compare by identity)."""
    return [{**error, "ctx": {key: str(value) for key, value in error.get("ctx", {}).items()}} for error in errors]


PATHS = [
    "/api/v1/orders",
    "/api/v1/orders/",
    "/api/v1/orders/stats",
    f"/api/v1/orders/{uuid.UUID(int=1)}",
    f"/api/v1/orders/{uuid.UUID(int=1)}/timeline",
    f"/api/v1/orders/{uuid.UUID(int=1)}/timeline/more",
    "/api/v1/points/me",
    "/api/v1/nothing",
    "/api",
    "/livez",
]


@pytest.mark.parametrize("path", PATHS)
async def test_the_route_index_finds_what_fastapi_finds(
    orders_app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, path: str
) -> None:
    index = orders_app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    headers = {**staff(keys), "X-Request-ID": "same-request"}
    answers = []
    try:
        for method in ("GET", "DELETE"):
            answers.append(same(await client.request(method, path, headers=headers)))
        orders_app.router.middleware_stack = index.fallback  # type: ignore[assignment]
        for method in ("GET", "DELETE"):
            answers.append(same(await client.request(method, path, headers=headers)))
    finally:
        orders_app.router.middleware_stack = index
    assert answers[:2] == answers[2:]


def test_the_access_line_is_the_formatters_line(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        configure_logging("orders")
        log_access("GET", "/api/v1/orders", 200, 1.25)
        logging.getLogger("access").info(
            "request", extra={"method": "GET", "path": "/api/v1/orders", "status": 200, "duration_ms": 1.25}
        )
    finally:
        root.handlers[:], root.level = saved
    direct, general = (json.loads(line) for line in stream.getvalue().splitlines())
    assert direct.pop("ts")[:10] == general.pop("ts")[:10]
    assert list(direct.items()) == list(general.items())
    assert direct["path"] == "/api/v1/orders" and direct["service"] == "orders"
