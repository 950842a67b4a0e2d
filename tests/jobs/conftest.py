from __future__ import annotations

from typing import Any

import httpx
import pytest

from deploy.demo import run_loader
from services.residents.demo import load_sign_in_homes
from shared.testing import TestKeys
from tests.jobs.helpers import People


@pytest.fixture
async def jobs(client_for: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await client_for("jobs")
    return client


@pytest.fixture
def people(keys: TestKeys) -> People:
    return People(keys)


@pytest.fixture
async def sign_in_homes(database_urls: dict[str, str]) -> None:
    """The households of the ten demo residents in the residents service (staff look them up there):
    a smaller load than the root ``registry`` (the demo's whole register), all the jobs tests need."""
    await run_loader(load_sign_in_homes, database_urls["residents"])
