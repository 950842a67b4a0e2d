"""The residents tests' fixtures (the demo ``registry`` comes from tests/conftest.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ClientFactory


@pytest.fixture
async def residents(client_for: ClientFactory) -> httpx.AsyncClient:
    return await client_for("residents")
