"""Fixtures for the whole suite: one real PostgreSQL, a migrated database per process, clean tables
before every test, apps running their real lifespan, and clients that speak to them over ASGI."""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from deploy.demo import run_loader
from deploy.processes import BY_NAME, PROCESSES
from services.grids.demo import load_roster
from services.residents.demo import load as load_registry
from shared.peers import Peers
from shared.testing import TestKeys, Truncator, prepare_databases, test_server_url
from tests.support.fakes import FakeGateway
from tests.support.live import free_port
from tests.support.objectstore import ObjectStore, SeaweedServer

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.support.progress", "tests.support.scheduling"]


def database_prefix(purpose: str = "test") -> str:
    """The names of this run's databases start with this: ``test_grids``, or ``test_gw1_grids`` in
    pytest-xdist's worker gw1, so that workers on the same server never share a database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{purpose}_{worker}_" if worker else f"{purpose}_"


@pytest.fixture(scope="session")
def keys() -> TestKeys:
    return TestKeys()


@pytest.fixture(scope="session")
def admin_url() -> Any:
    url, server = test_server_url(ROOT)
    yield url
    del server  # pgserver stops the embedded server when the test process exits


@pytest.fixture(scope="session")
async def database_urls(admin_url: str) -> AsyncIterator[dict[str, str]]:
    urls = await prepare_databases(
        admin_url, {spec.name: spec.migrations for spec in PROCESSES}, prefix=database_prefix()
    )
    yield urls


@pytest.fixture(scope="session")
async def truncator(database_urls: dict[str, str]) -> AsyncIterator[Truncator]:
    truncator = Truncator()
    for url in database_urls.values():
        await truncator.add(url)
    yield truncator
    await truncator.close()


@pytest.fixture
async def empty_tables(truncator: Truncator) -> None:
    await truncator.truncate()


@pytest.fixture(autouse=True)
def clean_tables(request: pytest.FixtureRequest) -> None:
    """Each test starts on empty tables (tests marked ``no_db`` skip the server entirely; those marked
    ``keep_tables`` share a live platform whose fixture empties and fills the tables once)."""
    if "no_db" not in request.keywords and "keep_tables" not in request.keywords:
        request.getfixturevalue("empty_tables")


@pytest.fixture
async def roster(database_urls: dict[str, str]) -> None:
    """The demo community's roster in the grids service: its members, their bindings (who may take
    which grid's orders) and the party organisation."""
    await run_loader(load_roster, database_urls["grids"])


@pytest.fixture
async def registry(database_urls: dict[str, str]) -> None:
    """The demo community's residents, households and compounds in the residents service."""
    await run_loader(load_registry, database_urls["residents"])


# The services others ask on behalf of a caller (shared.peers).
PEERS = ("residents", "grids", "orders")

AppFactory = Callable[[str], Awaitable[FastAPI]]


class LazyApp(httpx.AsyncBaseTransport):
    """A peer's in-process app, started at the first call: services ask each other (grids asks orders,
    which asks grids), so a peer cannot be started before the app that calls it is built."""

    def __init__(self, start: AppFactory, name: str) -> None:
        self.start, self.name = start, name
        self.inner: httpx.ASGITransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.inner is None:
            self.inner = httpx.ASGITransport(app=await self.start(self.name))
        return await self.inner.handle_async_request(request)


@pytest.fixture(scope="session")
def fake_gateway() -> Iterator[FakeGateway]:
    """The gateway's account lookup, as the services ask it on a caller's behalf (a loopback server:
    the services' real HTTP client runs); it knows no account until a test says so."""
    gateway = FakeGateway()
    yield gateway
    gateway.close()


@pytest.fixture(scope="session")
async def start_app(
    database_urls: dict[str, str],
    keys: TestKeys,
    tmp_path_factory: pytest.TempPathFactory,
    fake_gateway: FakeGateway,
) -> AsyncIterator[AppFactory]:
    """``await start_app("grids")``: the process's app on its test database, lifespan started, once."""
    apps: dict[str, FastAPI] = {}
    async with AsyncExitStack() as stack:

        async def start(name: str) -> FastAPI:
            if name not in apps:
                spec = BY_NAME[name]
                config = importlib.import_module(f"{spec.package}.config")
                settings = config.Settings(database_url=database_urls[name], profile="test", metrics_port=free_port())
                if "photo_dir" in config.Settings.model_fields:
                    settings.photo_dir = str(tmp_path_factory.mktemp(f"{name}-photos"))
                app_module = importlib.import_module(f"{spec.package}.app")
                extra: dict[str, Any] = {}
                if "peers" in inspect.signature(app_module.create_app).parameters:
                    # Calls on behalf of the caller reach the other services' apps in this process.
                    transports: dict[str, httpx.AsyncBaseTransport] = {
                        peer: LazyApp(start, peer) for peer in PEERS if peer != name
                    }
                    # The gateway, over HTTP on loopback.
                    urls = {peer: f"http://{peer}.test" for peer in transports} | {"gateway": fake_gateway.base_url}
                    extra["peers"] = Peers(urls, transports=transports)
                app: FastAPI = app_module.create_app(settings, verifier=keys.verifier(), **extra)
                await stack.enter_async_context(app.router.lifespan_context(app))
                apps[name] = app
            return apps[name]

        yield start


ClientFactory = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_for(start_app: AppFactory) -> AsyncIterator[ClientFactory]:
    async with AsyncExitStack() as stack:

        async def make(name: str) -> httpx.AsyncClient:
            app = await start_app(name)
            transport = httpx.ASGITransport(app=app)
            return await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test")
            )

        yield make


@pytest.fixture
async def grids(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for("grids")


@pytest.fixture
async def orders(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for("orders")


@pytest.fixture(scope="session")
def object_store() -> Iterator[ObjectStore]:
    """A real S3-compatible object store on loopback (SeaweedFS), with a bucket, for the whole session."""
    server = SeaweedServer()
    try:
        yield server.store
    finally:
        server.close()
