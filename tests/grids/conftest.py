"""The grids tests' fixtures. The ``grids`` client, the demo ``roster`` and ``registry`` come from
tests/conftest.py (other processes' tests use them too)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import AppFactory


@pytest.fixture
async def grids_500(start_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The grids app answering a crash with its 500, as a user meets it, rather than raising into the test."""
    transport = httpx.ASGITransport(app=await start_app("grids"), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://grids.test") as client:
        yield client
