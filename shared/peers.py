"""Calls to the platform's other services on behalf of the caller.

A service that needs a fact another service owns (where a resident lives, whether an account is on
the roster of a grid) asks the owner over HTTP with the caller's own access token, so the owner
applies its own scope rules: a grid worker's question about a resident of another grid is answered
404 by the residents service, exactly as if the worker had asked it directly. Nothing is copied
but the ids and codes the answer carries.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

from shared.errors import Forbidden, ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)


class Peers:
    """One HTTP client per peer service, built once per process (``app.state.peers``)."""

    def __init__(
        self,
        urls: dict[str, str],
        *,
        timeout: float = 5.0,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self._clients = {
            name: httpx.AsyncClient(
                base_url=url, timeout=timeout, transport=(transports or {}).get(name), follow_redirects=False
            )
            for name, url in urls.items()
        }

    async def get(self, service: str, path: str, *, authorization: str, **params: Any) -> dict[str, Any] | None:
        """The JSON answer of ``GET path`` at ``service``, asked with the caller's ``Authorization``
        header; None when the owner answers 404 (absent, or outside the caller's scope)."""
        client = self._clients.get(service)
        if client is None:
            raise ServiceUnavailable(f"no address is configured for the {service} service")
        try:
            response = await client.get(path, params=params or None, headers={"Authorization": authorization})
        except httpx.HTTPError as exc:
            log.warning("the %s service could not be asked: %s", service, type(exc).__name__)
            raise ServiceUnavailable(f"the {service} service cannot be reached just now; try again shortly") from exc
        if response.status_code == 404:
            return None
        if response.status_code == 401:
            raise Unauthorized(f"the {service} service did not accept the token")
        if response.status_code == 403:
            raise Forbidden(f"the {service} service does not let your role see this")
        if response.status_code != 200:
            log.warning("the %s service answered %s to %s", service, response.status_code, path)
            raise ServiceUnavailable(f"the {service} service could not answer just now; try again shortly")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ServiceUnavailable(f"the {service} service answered something unreadable") from exc
        return body

    async def post(self, service: str, path: str, *, authorization: str, json: Any) -> tuple[int, Any]:
        """``POST path`` at ``service`` with a JSON body; its status and JSON answer, whatever they are."""
        client = self._clients.get(service)
        if client is None:
            raise ServiceUnavailable(f"no address is configured for the {service} service")
        try:
            response = await client.post(path, json=json, headers={"Authorization": authorization})
            return response.status_code, response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the %s service could not be asked: %s", service, type(exc).__name__)
            raise ServiceUnavailable(f"the {service} service cannot be reached just now; try again shortly") from exc

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


@dataclass(frozen=True, slots=True)
class ResidentHome:
    """Where a resident lives, as the registry has it now."""

    resident_id: uuid.UUID
    household_id: uuid.UUID
    grid_code: str
    community_code: str
    street_code: str


def peers_of(request: Request) -> Peers:
    peers: Peers = request.app.state.peers
    return peers


def authorization_of(request: Request) -> str:
    return request.headers.get("authorization", "")


async def resident_home(request: Request, resident_id: uuid.UUID) -> ResidentHome | None:
    """The resident's household and places, if the caller may see the resident; None otherwise."""
    body = await peers_of(request).get(
        "residents", f"/api/v1/residents/{resident_id}", authorization=authorization_of(request)
    )
    if body is None:
        return None
    return ResidentHome(
        resident_id=uuid.UUID(str(body["id"])),
        household_id=uuid.UUID(str(body["household_id"])),
        grid_code=str(body["grid_code"]),
        community_code=str(body["community_code"]),
        street_code=str(body["street_code"]),
    )
