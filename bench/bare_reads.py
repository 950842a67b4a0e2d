"""The baseline of the reads benchmark: Starlette, an asyncpg pool and orjson, nothing else.

``GET /r/<key>`` runs, in order, the very statements a service ran for one request of that read
(recorded by ``bench.reads`` from the service's own code: text, arguments, and which ran on the same
connection, transaction statements included) and answers the last query's rows as JSON; a read that
ran no SQL (``GET /api/v1/me`` answers from the token) answers the service's body as it was. No auth,
no middleware, no validation models: the floor of what Python does for the same SQL on the same data.

Run: ``BARE_DATABASE_URL=postgresql://... BARE_READS_FILE=reads.pickle python -m uvicorn bench.bare_reads:app``.
The file is a pickle of ``{key: [Step, ...] or Answer}`` (below); ``BARE_POOL_SIZE`` (default 10,
the services' fast-lane pool) sizes the pool.
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

POOL_MAX_SIZE = 10  # as the services' fast lane (ProcessSettings.fastlane_pool_size)
METHODS = frozenset({"fetch", "fetchrow", "fetchval", "execute"})


@dataclass(frozen=True)
class Step:
    """One statement a service ran for a request: on which of its connections (``conn``: the order in
    which the request first used them), through which path (``lane``: ``fast lane``, ``ORM`` or
    ``transaction`` for BEGIN/COMMIT), the asyncpg method, the SQL text and its arguments."""

    conn: int
    lane: str
    method: str
    sql: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Answer:
    """A read that runs no SQL (it answers from the token): the bare handler dumps its body."""

    body: Any


def runs(steps: Sequence[Step]) -> list[list[Step]]:
    """The steps cut where the connection changes: each run goes on one pooled connection, as it did in
    the service (a transaction's statements stay together)."""
    result: list[list[Step]] = []
    for step in steps:
        if result and result[-1][0].conn == step.conn:
            result[-1].append(step)
        else:
            result.append([step])
    return result


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):  # asyncpg's own UUID type is not one orjson knows
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, asyncpg.Record):
        return dict(value)
    return str(value)


def dump(method: str, result: Any) -> bytes:
    """The last statement's answer as the services shape it: a page of rows, one row, or a value."""
    if method == "fetch":
        return orjson.dumps({"items": [dict(row) for row in result]}, default=_default)
    if method == "fetchrow":
        return orjson.dumps(dict(result) if result is not None else None, default=_default)
    return orjson.dumps({"value": result}, default=_default)


_pool: asyncpg.Pool | None = None
_reads: dict[str, list[list[Step]] | Answer] = {}


def _dsn(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def load(path: Path) -> dict[str, list[list[Step]] | Answer]:
    """The reads of the file (``{key: [Step, ...] or Answer}``, pickled), statements cut into runs."""
    recorded: dict[str, list[Step] | Answer] = pickle.loads(path.read_bytes())  # noqa: S301 - bench.reads wrote it
    return {key: plan if isinstance(plan, Answer) else runs(plan) for key, plan in recorded.items()}


async def _keep_session(_connection: asyncpg.Connection) -> None:
    pass


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global _pool
    _reads.update(load(Path(os.environ["BARE_READS_FILE"])))
    size = int(os.environ.get("BARE_POOL_SIZE", POOL_MAX_SIZE))
    # Like the service's fast-lane pool (shared.db.keep_session): connections go back without asyncpg's
    # reset round trip, so the comparison is like for like.
    _pool = await asyncpg.create_pool(
        _dsn(os.environ["BARE_DATABASE_URL"]), min_size=1, max_size=size, reset=_keep_session
    )
    try:
        yield
    finally:
        await _pool.close()


async def read(request: Request) -> Response:
    plan = _reads.get(request.path_params["key"])
    if plan is None:
        return Response(b'{"detail":"no such read"}', status_code=404, media_type="application/json")
    if isinstance(plan, Answer):
        return Response(orjson.dumps(plan.body, default=_default), media_type="application/json")
    assert _pool is not None
    method, result = "fetch", None
    for run in plan:
        if len(run) == 1:  # one statement: the pool acquires and releases around it, as the fast lane does
            step = run[0]
            answer = await getattr(_pool, step.method)(step.sql, *step.args)
            if step.lane != "transaction":
                method, result = step.method, answer
            continue
        async with _pool.acquire() as conn:
            for step in run:
                answer = await getattr(conn, step.method)(step.sql, *step.args)
                if step.lane != "transaction":  # the rows answered are the last query's, not COMMIT's
                    method, result = step.method, answer
    return Response(dump(method, result), media_type="application/json")


async def livez(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(routes=[Route("/r/{key}", read), Route("/livez", livez)], lifespan=lifespan)
