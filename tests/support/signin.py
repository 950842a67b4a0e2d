"""Signing in at the gateway as a demo account (password ``demo12345``, ``shared.demo``), in-process
or over loopback alike, and the Authorization header a token makes."""

from __future__ import annotations

from typing import Any

import httpx

from shared.demo import PASSWORD
from tests.support.answers import ok


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """The gateway's answer to a password login: access_token, refresh_token, ..."""
    return ok(await client.post("/api/v1/auth/login", json={"username": username, "password": password}))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def as_user(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Sign in as a demo account; its Authorization header."""
    return bearer((await login(client, username))["access_token"])
