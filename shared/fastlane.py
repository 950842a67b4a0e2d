"""The read fast lane: SQLAlchemy builds the statement, asyncpg runs it, rows go straight into
the response schema. Measured on the hot list paths at 3-4x the ORM session path (see bench/)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import Compiled
from starlette.responses import Response

from shared.errors import DatabaseUnavailable, FastLaneBusy, NotFound, connection_failures

_DIALECT = asyncpg_dialect()
_CACHE_SIZE = 512


class PreparedQuery:
    """A statement compiled once, at import or first use, with named bind parameters
    (``bindparam("name")``) that each call fills: building and compiling SQLAlchemy statements costs
    more than the whole rest of a list request, so hot paths build each shape only once."""

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("the fast lane cannot run IN (...) lists: use shared.scope.any_of instead")
        self.sql: str = compiled.string
        self.names: list[str] = list(getattr(compiled, "positiontup", None) or [])
        self._defaults: dict[str, Any] = dict(compiled.construct_params(_check=False))

    def args(self, values: dict[str, Any]) -> list[Any]:
        missing = [name for name in self.names if name not in values and self._defaults.get(name) is None]
        if missing:
            raise KeyError(f"no value for {', '.join(missing)}")
        return [values[name] if name in values else self._defaults[name] for name in self.names]


class FastLane:
    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float = 10.0) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout
        self._compiled: OrderedDict[Any, Compiled] = OrderedDict()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection of the pool, waited for at most ``acquire_timeout`` seconds (then FastLaneBusy)."""
        try:
            # The wait bounded here rather than by asyncpg's ``acquire(timeout=)``, which runs the
            # wait as a task of its own and then bounds the release too: a timer is all it needs.
            # (A new connection that cannot be opened is DatabaseUnavailable, its own connect timeout too.)
            async with asyncio.timeout(self.acquire_timeout), connection_failures():
                acquired = await self.pool.acquire()
        except TimeoutError as exc:
            raise FastLaneBusy(f"no fast-lane connection free within {self.acquire_timeout} s") from exc
        try:
            async with connection_failures():  # the server went away under the statement: 503 as well
                yield acquired
        except DatabaseUnavailable:
            with contextlib.suppress(asyncpg.InterfaceError):  # the pool may have taken it back already
                acquired.terminate()  # a connection the server left, or left mid-operation: never reused
            raise
        finally:
            await self.pool.release(acquired)

    def compile(self, statement: Executable) -> tuple[str, list[Any]]:
        """SQL text with ``$n`` placeholders and its arguments; the compiled form is cached by the
        statement's structure, so only the bound values are extracted on a cache hit."""
        key = statement._generate_cache_key()  # type: ignore[attr-defined]
        compiled = self._compiled.get(key.key) if key is not None else None
        if compiled is None:
            # compiled with its cache key, so later statements of the same shape reuse it
            compiled = statement._compiler(_DIALECT, cache_key=key)  # type: ignore[attr-defined]
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("the fast lane cannot run IN (...) lists: use shared.scope.any_of instead")
            if key is not None:
                self._compiled[key.key] = compiled
                if len(self._compiled) > _CACHE_SIZE:
                    self._compiled.popitem(last=False)
        params: Any = compiled.construct_params(extracted_parameters=key.bindparams if key is not None else None)
        positions: list[str] = getattr(compiled, "positiontup", None) or []
        return compiled.string, [params[name] for name in positions]

    async def fetch_prepared(self, query: PreparedQuery, values: dict[str, Any]) -> list[asyncpg.Record]:
        async with self.connection() as connection:
            return await connection.fetch(query.sql, *query.args(values))

    async def fetch_found(self, query: PreparedQuery, values: dict[str, Any], missing: str) -> list[asyncpg.Record]:
        """``fetch_prepared``, or NotFound (404, ``missing`` its detail) when no row is in the caller's
        scope: a single object's read."""
        rows = await self.fetch_prepared(query, values)
        if not rows:
            raise NotFound(missing)
        return rows

    async def fetch(self, statement: Executable) -> list[asyncpg.Record]:
        """Run a statement whose values are bound in it (a scope of the caller, filters): compiled once
        per shape, like a prepared query, with only the values extracted per call."""
        sql, args = self.compile(statement)
        async with self.connection() as connection:
            return await connection.fetch(sql, *args)

    async def fetchrow(self, statement: Executable) -> asyncpg.Record | None:
        sql, args = self.compile(statement)
        async with self.connection() as connection:
            return await connection.fetchrow(sql, *args)


def nested_arrays(
    prefix: str, model: Any, fields: Sequence[str], order: Sequence[Any], link: ColumnElement[bool]
) -> Any:
    """A LATERAL subquery, joined ``ON true``, with the rows of ``model`` that ``link`` ties to the row
    of the enclosing query, as one array per field (``<prefix>_<field>``) sorted by ``order``: a row
    and its list in one statement, without one row per child. ``nested_rows`` makes them dicts again."""
    aggregates = (
        func.array_agg(aggregate_order_by(getattr(model, name), *order)).label(f"{prefix}_{name}") for name in fields
    )
    return select(*aggregates).where(link).lateral(prefix)


def nested_rows(row: dict[str, Any], prefix: str, fields: Sequence[str]) -> list[dict[str, Any]]:
    """The list ``nested_arrays`` put in ``row``, as dicts of ``fields``; its arrays taken out of ``row``."""
    columns = [row.pop(f"{prefix}_{name}") or [] for name in fields]
    return [dict(zip(fields, values, strict=True)) for values in zip(*columns, strict=True)]


def json_response(payload: Any, status_code: int = 200) -> Response:
    """Rows straight to JSON (orjson): the route still declares its response model for the OpenAPI,
    and the query selects exactly that model's columns; schemathesis checks that they agree. A UTC time
    ends in ``Z``, as the response models (pydantic) write it, so a read and a write of the same object
    answer the same JSON."""
    return Response(
        orjson.dumps(payload, default=_default, option=orjson.OPT_UTC_Z),
        status_code=status_code,
        media_type="application/json",
    )


def _default(value: Any) -> Any:
    """What orjson does not know by itself: asyncpg's own UUID type (a ``uuid.UUID`` subclass)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
