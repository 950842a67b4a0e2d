"""``/livez`` (the process answers, no database) and ``/readyz`` (database reachable, not shutting down).

``/readyz`` also names the background loops that have failed for longer than
``<PREFIX>LOOP_FAILING_SECONDS`` (``"status": "degraded"``), and still answers 200: a relay fails when the
process it delivers to is down, and taking every sender out of its load balancer for that would spread
one outage over the platform. Alerts come from the loops' metrics (docs/OPERATIONS.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared import periodic
from shared.db import Database


async def livez(request: Request) -> Response:
    return JSONResponse({"status": "ok", "service": request.app.title})


async def readyz(request: Request) -> Response:
    if getattr(request.app.state, "shutting_down", False):
        return JSONResponse({"status": "shutting_down"}, status_code=503)
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None or not await db.ping():
        return JSONResponse({"status": "database_unreachable"}, status_code=503)
    failing = periodic.failing(request.app.state.settings.loop_failing_seconds)
    if failing:
        return JSONResponse({"status": "degraded", "failing": [loop.state() for loop in failing]})
    return JSONResponse({"status": "ready"})
