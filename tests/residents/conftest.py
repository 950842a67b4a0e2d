"""The residents tests' fixtures (the demo ``registry`` and ``roster`` come from tests/conftest.py). The
residents app asks the grids service whether a new building's grid exists: in these tests, the real grids
app of this process (tests/conftest.py wires the peers), which knows the demo grids once ``demo_grids``
has loaded them; ``residents_asking`` counts those questions, ``residents_without_grids`` cannot reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from services.residents.app import create_app
from services.residents.config import Settings
from shared.peers import Peers
from shared.testing import TestKeys
from tests.conftest import AppFactory, ClientFactory
from tests.support.loopback import LoopbackServer, QuietHandler


@pytest.fixture
async def residents(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for("residents")


@pytest.fixture
async def demo_grids(roster: None) -> None:
    """The demo community's grids in the grids service (with its roster), so buildings may lie in them."""


class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner`` and keeps their paths in ``asked``."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.asked = inner, list[str]()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.path)
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def _residents_app(settings: Settings, keys: TestKeys, peers: Peers | None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, verifier=keys.verifier(), peers=peers)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://residents.test") as client:
            yield client


@pytest.fixture
async def residents_asking(
    database_urls: dict[str, str], keys: TestKeys, start_app: AppFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingTransport]]:
    """A residents app of its own whose questions to the grids app are counted."""
    counting = CountingTransport(httpx.ASGITransport(app=await start_app("grids")))
    peers = Peers({"grids": "http://grids.test"}, transports={"grids": counting})
    settings = Settings(database_url=database_urls["residents"], profile="test")
    async with _residents_app(settings, keys, peers) as client:
        yield client, counting


@pytest.fixture
async def residents_without_grids(database_urls: dict[str, str], keys: TestKeys) -> AsyncIterator[httpx.AsyncClient]:
    """A residents app of its own, built from its settings as in production, whose grids service address is
    a port where nothing listens any more."""
    gone = LoopbackServer(QuietHandler)
    gone.close()
    settings = Settings(database_url=database_urls["residents"], profile="test", service_urls={"grids": gone.base_url})
    async with _residents_app(settings, keys, None) as client:
        yield client
