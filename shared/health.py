"""``/livez`` (the process answers, no database) and ``/readyz`` (database reachable, not shutting down)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.db import Database


async def livez(request: Request) -> Response:
    return JSONResponse({"status": "ok", "service": request.app.title})


async def readyz(request: Request) -> Response:
    if getattr(request.app.state, "shutting_down", False):
        return JSONResponse({"status": "shutting_down"}, status_code=503)
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None or not await db.ping():
        return JSONResponse({"status": "database_unreachable"}, status_code=503)
    return JSONResponse({"status": "ready"})
