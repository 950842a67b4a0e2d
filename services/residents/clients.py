"""Facts the residents service needs from the processes that own them, asked with the caller's own token
(``shared.peers``), so the owner applies its own scope: whether a grid exists (grids service), asked where
a building's grid is written, never on a read. Routes take them as a FastAPI dependency,
``OtherServicesDep``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.peers import authorization_of, peers_of


class OtherServices:
    """The grids service, asked on behalf of the request's caller."""

    def __init__(self, request: Request) -> None:
        self._peers, self._authorization = peers_of(request), authorization_of(request)

    async def grid_exists(self, grid_code: str) -> bool:
        """Whether the grid exists and the caller may see it (``GET /api/v1/grids/{code}``: 404 when not);
        503 while the grids service cannot answer."""
        body = await self._peers.get("grids", f"/api/v1/grids/{grid_code}", authorization=self._authorization)
        return body is not None


OtherServicesDep = Annotated[OtherServices, Depends(OtherServices)]
