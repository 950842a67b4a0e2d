from __future__ import annotations

import httpx
import pytest

from deploy.demo import run_loader
from services.grids.demo import load_roster
from services.residents.demo import load as load_registry
from tests.conftest import ClientFactory


@pytest.fixture
async def orders(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for("orders")


@pytest.fixture
async def roster(database_urls: dict[str, str]) -> None:
    """The demo community's roster in the grids service: who may take which grid's orders."""
    await run_loader(load_roster, database_urls["grids"])


@pytest.fixture
async def registry(database_urls: dict[str, str]) -> None:
    """The demo community's residents in the residents service."""
    await run_loader(load_registry, database_urls["residents"])
