"""Asking the grids service, which owns the roster, for an account's roles and places when a token
is issued (ARCHITECTURE.md "Identity"). The gateway signs in to it with an internal machine token of
its own; a roster that cannot be reached means no token, rather than one with stale places."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from gateway.tokens import TokenIssuer
from shared.errors import ServiceUnavailable
from shared.security import MACHINE_AUDIENCE

log = logging.getLogger(__name__)
INTERNAL_SCOPE = "internal"


class RosterClient:
    def __init__(
        self,
        *,
        base_url: str,
        issuer: TokenIssuer,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.issuer = issuer
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)
        self._token: tuple[str, float] | None = None

    def _internal_token(self) -> str:
        now = time.time()
        if self._token is None or self._token[1] - 60 < now:
            token = self.issuer.access_token(
                "service:gateway",
                {"client_id": "gateway", "scope": INTERNAL_SCOPE},
                audience=MACHINE_AUDIENCE,
            )
            self._token = (token, now + self.issuer.access_ttl)
        return self._token[0]

    async def bindings(self, account_id: str) -> dict[str, list[str]]:
        """role → place codes of the account, as the roster has them now."""
        try:
            response = await self._client.get(
                f"/internal/accounts/{account_id}/bindings",
                headers={"Authorization": f"Bearer {self._internal_token()}"},
            )
            response.raise_for_status()
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the roster could not be asked for account %s: %s", account_id, exc)
            raise ServiceUnavailable("the roster cannot be reached just now; try again shortly") from exc
        places = body.get("places") or {}
        return {str(role): [str(code) for code in places.get(role, [])] for role in body.get("roles") or []}

    async def close(self) -> None:
        await self._client.aclose()
