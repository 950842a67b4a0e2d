from __future__ import annotations

import httpx
import pytest

from deploy.demo import run_loader
from services.residents.demo import load as load_registry
from tests.conftest import ClientFactory


@pytest.fixture
async def orders(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for("orders")


@pytest.fixture
async def registry(database_urls: dict[str, str]) -> None:
    """The demo community's residents in the residents service."""
    await run_loader(load_registry, database_urls["residents"])
