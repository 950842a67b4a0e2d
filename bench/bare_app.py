"""The baseline of the fastlane benchmark: Starlette, an asyncpg pool and orjson, nothing else.

``GET /api/v1/grids?street_code=&limit=`` runs the very SQL the grids service runs for a street
admin of that street asking for that street (``bench.fastlane`` checks that the texts match), and
answers the same JSON shape. No auth, no middleware, no validation models.

Run: ``BARE_DATABASE_URL=postgresql://... python -m uvicorn bench.bare_app:app``.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

POOL_MAX_SIZE = 10  # as the service's fast lane (ProcessSettings.fastlane_pool_size)

# As SQLAlchemy compiles the service's statement (see bench.fastlane.service_sql).
SQL = (
    "SELECT grid.code, grid.name, grid.community_code, grid.street_code, grid.created_at \n"
    "FROM grid \n"
    "WHERE grid.street_code = ANY ($1::VARCHAR[]) AND grid.street_code = $2::VARCHAR ORDER BY grid.code \n"
    " LIMIT $3::INTEGER"
)

_pool: asyncpg.Pool | None = None


def _dsn(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global _pool
    url = os.environ.get("BARE_DATABASE_URL")
    if not url:  # the load generator's calibration needs only /livez
        yield
        return
    _pool = await asyncpg.create_pool(_dsn(url), min_size=1, max_size=POOL_MAX_SIZE)
    try:
        yield
    finally:
        await _pool.close()


def _cursor(code: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([code])).rstrip(b"=").decode()


async def list_grids(request: Request) -> Response:
    street_code = request.query_params["street_code"]
    limit = int(request.query_params.get("limit", "20"))
    assert _pool is not None
    rows = await _pool.fetch(SQL, [street_code], street_code, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor(rows[-1]["code"])
    body = orjson.dumps({"items": [dict(row) for row in rows], "next_cursor": next_cursor})
    return Response(body, media_type="application/json")


async def livez(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(
    routes=[Route("/api/v1/grids", list_grids), Route("/livez", livez)],
    lifespan=lifespan,
)
