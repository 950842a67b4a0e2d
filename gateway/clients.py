"""Calls to the services' internal endpoints, with an internal machine token of the gateway's own.

What the gateway asks when it issues a token (docs/ARCHITECTURE.md "Identity"): the grids service,
which owns the roster, for an account's roles and places; the residents service, which owns the
registry, for where a resident lives. A service that cannot be reached means no token, rather than
one with stale places. Every service is also asked about its set-aside events (``events.deadletters``)."""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from gateway.auth.tokens import TokenIssuer
from shared.errors import ServiceUnavailable
from shared.security import MACHINE_AUDIENCE

log = logging.getLogger(__name__)
INTERNAL_SCOPE = "internal"


class InternalClient:
    """One service's internal endpoints, called with the gateway's internal token."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        issuer: TokenIssuer,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.issuer = issuer
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)
        self._token: tuple[str, float] | None = None

    def _internal_token(self) -> str:
        now = time.time()
        if self._token is None or self._token[1] - 60 < now:
            token = self.issuer.access_token(
                "service:gateway", {"client_id": "gateway", "scope": INTERNAL_SCOPE}, audience=MACHINE_AUDIENCE
            )
            self._token = (token, now + self.issuer.access_ttl)
        return self._token[0]

    async def call(
        self, method: str, path: str, *, json: Any = None, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        """The JSON answer; None for a 404 when ``missing_ok``; 503 when the service cannot answer."""
        try:
            response = await self._client.request(
                method, path, json=json, headers={"Authorization": f"Bearer {self._internal_token()}"}
            )
            if missing_ok and response.status_code == 404:
                return None
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the %s service could not be asked: %s", self.name, exc)
            raise ServiceUnavailable(f"the {self.name} service cannot be reached just now; try again shortly") from exc

    async def close(self) -> None:
        await self._client.aclose()


class Roster(InternalClient):
    async def bindings(self, account_id: str) -> dict[str, list[str]]:
        """role → place codes of the account, as the roster has them now."""
        body = await self.call("GET", f"/internal/accounts/{account_id}/bindings") or {}
        places = body.get("places") or {}
        return {str(role): [str(code) for code in places.get(role, [])] for role in body.get("roles") or []}


class Registry(InternalClient):
    async def compound_households(self, compound_id: str) -> list[str]:
        """The households of a compound, as the registry has them now."""
        body = await self.call("GET", f"/internal/compounds/{compound_id}/households") or {}
        return [str(h) for h in body.get("household_ids", [])]

    async def resident(self, *, resident_id: str | None = None, phone: str | None = None) -> dict[str, str] | None:
        """Where a resident lives (resident_id, household_id, grid_code), by id or full phone; None
        when the registry has no such resident."""
        body = {"resident_id": resident_id} if resident_id else {"phone": phone}
        answer = await self.call("POST", "/internal/residents/lookup", json=body, missing_ok=True)
        return {key: str(value) for key, value in answer.items()} if answer else None


def _internal_clients(request: Request) -> dict[str, InternalClient]:
    clients: dict[str, InternalClient] = request.app.state.internal_clients
    return clients


# Every configured service's client, by name (built once in the lifespan).
InternalClientsDep = Annotated[dict[str, InternalClient], Depends(_internal_clients)]
