"""The end-to-end tests' platforms. The demo community behind a real gateway, with the grids, residents
and orders services as real processes, is started once per run and shared by the tests of the order
loop, community life and the street office; tests that need a platform of their own (one they stop
parts of, or other services) keep their own fixture in their module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from deploy.processes import BY_NAME
from shared.testing import prepare_databases
from tests.conftest import database_prefix
from tests.support.live import demo_gateway

SHARED = ("grids", "residents", "orders")


@pytest.fixture(scope="package")
async def shared_database_urls(admin_url: str) -> dict[str, str]:
    """Databases of the shared platform's own: the other tests empty theirs before each test."""
    names = ("gateway", *SHARED)
    return await prepare_databases(
        admin_url, {name: BY_NAME[name].migrations for name in names}, prefix=database_prefix("e2e")
    )


@pytest.fixture(scope="package")
async def gateway(shared_database_urls: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the shared platform's gateway. Its tests see each other's data: each finds what
    it made by its ids, and counts from what it read before."""
    async with demo_gateway(shared_database_urls, SHARED, {"GATEWAY_WEBHOOK_INTERVAL_SECONDS": "0.2"}) as client:
        yield client
