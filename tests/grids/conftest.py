"""The grids tests' fixtures. The ``grids`` client, the demo ``roster`` and ``registry`` and the simulated
gateway (``fake_gateway``) come from tests/conftest.py (other processes' tests use them too); here, what
that gateway knows in each test, and a grids app whose gateway is down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from services.grids.app import create_app
from services.grids.config import Settings
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.support.fakes import FakeGateway
from tests.support.loopback import LoopbackServer, QuietHandler


@pytest.fixture(autouse=True)
def gateway_accounts(fake_gateway: FakeGateway) -> Iterator[FakeGateway]:
    """The simulated gateway the grids app asks about accounts, knowing none at the start of each test."""
    fake_gateway.reset()
    yield fake_gateway
    fake_gateway.reset()


@pytest.fixture
def gateway_knows_any_account(gateway_accounts: FakeGateway) -> FakeGateway:
    """The simulated gateway answers 200 for any account id (for tests about something else)."""
    gateway_accounts.knows_any = True
    return gateway_accounts


@pytest.fixture
async def grids_with_gateway_down(
    database_urls: dict[str, str], keys: TestKeys, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A grids app of its own, built from its settings as in production, whose ``gateway_url`` points at
    a port where nothing listens any more."""
    gone = LoopbackServer(QuietHandler)
    gone.close()
    settings = Settings(
        database_url=database_urls["grids"], profile="test", gateway_url=gone.base_url, photo_dir=str(tmp_path)
    )
    app = create_app(settings, verifier=keys.verifier())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://grids.test") as client:
            yield client


@pytest.fixture
async def grids_500(start_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The grids app answering a crash with its 500, as a user meets it, rather than raising into the test."""
    transport = httpx.ASGITransport(app=await start_app("grids"), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://grids.test") as client:
        yield client
