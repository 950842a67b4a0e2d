"""``Idempotency-Key`` on POSTs (API.md): a replay answers the first response, the same key with a
different body answers 422, and a replay while the first is still in flight answers 409.

A pure-ASGI middleware backed by the process's own ``idempotency_record`` table. Records are
scoped to the caller (a hash of its credentials) so one client's key never replays to another.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import (
    DATABASE_UNAVAILABLE,
    SATURATED_RETRY_AFTER,
    DatabaseUnavailable,
    database_unavailable,
    send_problem,
)

log = logging.getLogger(__name__)

KEY_MAX_LENGTH = 255
# A first request that has not finished in this long is taken as lost (its process died).
IN_FLIGHT_EXPIRY = timedelta(seconds=60)
RECORD_TTL = timedelta(hours=24)


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_record",
        metadata,
        Column("caller", String(64), primary_key=True),
        Column("key", String(KEY_MAX_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_headers", LargeBinary, nullable=True),
        Column("response_body", LargeBinary, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("completed_at", DateTime(timezone=True), nullable=True),
    )


_REPLAYED_HEADERS = {b"content-type", b"location"}

# The claim: a new record, or one whose time is up (a first attempt that never finished under an earlier
# version of this middleware, which committed its claim apart from the write; a record older than the TTL).
_CLAIM = """
INSERT INTO idempotency_record (caller, key, request_hash, created_at)
VALUES (:caller, :key, :digest, now())
ON CONFLICT (caller, key) DO UPDATE
   SET request_hash = EXCLUDED.request_hash, created_at = now(), status_code = NULL,
       response_headers = NULL, response_body = NULL, completed_at = NULL
 WHERE idempotency_record.completed_at IS NULL AND idempotency_record.created_at < :in_flight_before
    OR idempotency_record.created_at < :expired_before
RETURNING caller
"""
_RECORDED = """
SELECT request_hash, status_code, response_headers, response_body
  FROM idempotency_record WHERE caller = :caller AND key = :key
"""
_ANSWERED = """
UPDATE idempotency_record
   SET status_code = :status, response_headers = :headers, response_body = :body, completed_at = now()
 WHERE caller = :caller AND key = :key
"""
# How long a second attempt waits for the first one's claim before it is told the first is in flight.
CLAIM_WAIT = "200ms"
_LOCK_NOT_AVAILABLE = "55P03"
_RETRY_AFTER = (b"retry-after", str(SATURATED_RETRY_AFTER).encode())
# Where the claim's connection waits for the request's session (shared.db), in the ASGI scope.
SCOPE_CONNECTION = "grid.idempotent_connection"


class IdempotencyMiddleware:
    """The first attempt's claim on the key, the request's own writes and its answer are one transaction:
    the claim is taken on an ORM connection whose transaction the request's session joins
    (``shared.db``: its commit is a savepoint's), and the answer is recorded and committed with them,
    before it is sent. A process killed in the middle leaves nothing (PostgreSQL rolls the transaction
    back), so the retry is applied as if it were the first; a retry while the first is still running
    finds the claim locked and answers 409."""

    def __init__(self, app: ASGIApp, *, engine_getter: Callable[[], AsyncEngine | None]) -> None:
        self.app = app
        self._engine_getter = engine_getter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(b"idempotency-key")
        engine = self._engine_getter()
        if raw_key is None or engine is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > KEY_MAX_LENGTH:
            await send_problem(send, 422, f"Idempotency-Key must be 1-{KEY_MAX_LENGTH} characters")
            return

        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        caller = hashlib.sha256(headers.get(b"authorization", b"anonymous")).hexdigest()
        digest = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + bytes(body)
        ).hexdigest()
        names = {"caller": caller, "key": key}

        try:
            # Whatever is not committed here is rolled back when the connection goes back to the pool.
            async with engine.connect() as conn:
                transaction = await conn.begin()
                claimed = await _claim(conn, names, digest)
                if claimed is None:
                    await send_problem(send, 409, "a request with this Idempotency-Key is still in progress")
                    return
                if not claimed:
                    await _replay(conn, names, digest, send)
                    return
                answer = await self._run(scope, bytes(body), receive, conn)
                # A server failure is not an answer to replay: nothing of it is kept, the key is free.
                if answer.status < 500:
                    await conn.execute(
                        text(_ANSWERED),
                        {
                            **names,
                            "status": answer.status,
                            "headers": orjson.dumps(answer.kept_headers),
                            "body": b"".join(answer.chunks),
                        },
                    )
                    await transaction.commit()
        except (DatabaseUnavailable, PoolTimeout, DBAPIError) as exc:
            if not isinstance(exc, DatabaseUnavailable | PoolTimeout) and not database_unavailable(exc):
                raise
            log.warning("idempotent request not kept: the database is unavailable", extra={"error": type(exc).__name__})
            await send_problem(send, 503, DATABASE_UNAVAILABLE, _RETRY_AFTER)
            return
        await answer.send_to(send)

    async def _run(self, scope: Scope, body: bytes, receive: Receive, conn: AsyncConnection) -> _Answer:
        """The request's answer, held back (its session's work is not committed yet)."""
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        answer = _Answer()
        await self.app({**scope, SCOPE_CONNECTION: conn}, replay_receive, answer.capture)
        return answer


class _Answer:
    def __init__(self) -> None:
        self.status = 500
        self.messages: list[Message] = []
        self.kept_headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []

    async def capture(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() in _REPLAYED_HEADERS:
                    self.kept_headers.append((name.decode("latin-1"), value.decode("latin-1")))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
        self.messages.append(message)

    async def send_to(self, send: Send) -> None:
        for message in self.messages:
            await send(message)


async def _claim(conn: AsyncConnection, names: dict[str, str], digest: str) -> bool | None:
    """True: the key is this request's now. False: it has an answer (or a different request's claim)
    already. None: another attempt holds it and is still running."""
    now = datetime.now(UTC)
    await conn.execute(text(f"SET LOCAL lock_timeout = '{CLAIM_WAIT}'"))
    try:
        async with conn.begin_nested():
            claimed = await conn.scalar(
                text(_CLAIM),
                {
                    **names,
                    "digest": digest,
                    "in_flight_before": now - IN_FLIGHT_EXPIRY,
                    "expired_before": now - RECORD_TTL,
                },
            )
    except DBAPIError as exc:
        if (
            getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE
            and getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None) != _LOCK_NOT_AVAILABLE
        ):
            raise  # as it is: a lost connection must not be hidden by a statement that can no longer run
        outcome = None
    else:
        outcome = claimed is not None
    await conn.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
    return outcome


async def _replay(conn: AsyncConnection, names: dict[str, str], digest: str, send: Send) -> None:
    row = (await conn.execute(text(_RECORDED), names)).mappings().first()
    if row is None:  # deleted between the two statements (a TTL sweep): try again
        await send_problem(send, 409, "a request with this Idempotency-Key is being retried")
    elif row["request_hash"] != digest:
        await send_problem(send, 422, "this Idempotency-Key was used with a different request")
    elif row["status_code"] is None:
        await send_problem(send, 409, "a request with this Idempotency-Key is still in progress")
    else:
        replay_headers = [tuple(h) for h in orjson.loads(row["response_headers"])]
        await send(
            {
                "type": "http.response.start",
                "status": row["status_code"],
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in replay_headers]
                + [(b"idempotent-replayed", b"true")],
            }
        )
        await send({"type": "http.response.body", "body": row["response_body"]})
