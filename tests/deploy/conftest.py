"""The deploy commands' tests: the gateway's and the grids service's databases of their own, emptied
before each test, named by the environment as the commands read them (``GATEWAY_DATABASE_URL``, ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from deploy.processes import BY_NAME
from shared.testing import Truncator, prepare_databases
from tests.conftest import database_prefix


@pytest.fixture(scope="module")
async def urls(admin_url: str) -> AsyncIterator[dict[str, str]]:
    migrations = {name: BY_NAME[name].migrations for name in ("gateway", "grids")}
    yield await prepare_databases(admin_url, migrations, prefix=database_prefix("deploy"))


@pytest.fixture(scope="module")
async def truncator(urls: dict[str, str]) -> AsyncIterator[Truncator]:
    truncator = Truncator()
    for url in urls.values():
        await truncator.add(url)
    yield truncator
    await truncator.close()


@pytest.fixture
async def env(urls: dict[str, str], truncator: Truncator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Empty tables, and the commands pointed at them."""
    await truncator.truncate()
    monkeypatch.setenv("GATEWAY_DATABASE_URL", urls["gateway"])
    monkeypatch.setenv("GRIDS_DATABASE_URL", urls["grids"])
    # Servers' databases: the commands take the profile from the environment, as the processes do.
    monkeypatch.setenv("GATEWAY_PROFILE", "development")
    monkeypatch.setenv("GRIDS_PROFILE", "development")
    return urls
