"""``Idempotency-Key`` on POSTs (API.md): a replay answers the first response, the same key with a
different body answers 422, and a replay while the first is still in flight answers 409.

A pure-ASGI middleware backed by the process's own ``idempotency_record`` table. Records are
scoped to the caller (a hash of its credentials) so one client's key never replays to another.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PROBLEM_MEDIA_TYPE, problem_bytes

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

_CLAIM = """
INSERT INTO idempotency_record (caller, key, request_hash, created_at)
VALUES ($1, $2, $3, now())
ON CONFLICT (caller, key) DO UPDATE
   SET request_hash = EXCLUDED.request_hash, created_at = now()
 WHERE idempotency_record.completed_at IS NULL AND idempotency_record.created_at < $4
    OR idempotency_record.created_at < $5
RETURNING caller
"""


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, pool_getter: object) -> None:
        self.app = app
        self._pool_getter = pool_getter

    def _pool(self) -> asyncpg.Pool | None:
        getter = self._pool_getter
        return getter() if callable(getter) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(b"idempotency-key")
        pool = self._pool()
        if raw_key is None or pool is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > KEY_MAX_LENGTH:
            await _answer(send, 422, f"Idempotency-Key must be 1-{KEY_MAX_LENGTH} characters")
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

        now = datetime.now(UTC)
        claimed = await pool.fetchval(_CLAIM, caller, key, digest, now - IN_FLIGHT_EXPIRY, now - RECORD_TTL)
        if claimed is None:
            row = await pool.fetchrow(
                "SELECT request_hash, status_code, response_headers, response_body"
                " FROM idempotency_record WHERE caller = $1 AND key = $2",
                caller,
                key,
            )
            if row is None:  # deleted between the two statements: the first attempt failed
                await _answer(send, 409, "a request with this Idempotency-Key is being retried")
            elif row["request_hash"] != digest:
                await _answer(send, 422, "this Idempotency-Key was used with a different request")
            elif row["status_code"] is None:
                await _answer(send, 409, "a request with this Idempotency-Key is still in progress")
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
            return

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        status = 500
        kept_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() in _REPLAYED_HEADERS:
                        kept_headers.append((name.decode("latin-1"), value.decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            if status >= 500:
                # A server failure is not an answer to replay: free the key for a retry.
                await pool.execute("DELETE FROM idempotency_record WHERE caller = $1 AND key = $2", caller, key)
            else:
                await pool.execute(
                    "UPDATE idempotency_record SET status_code = $3, response_headers = $4,"
                    " response_body = $5, completed_at = now() WHERE caller = $1 AND key = $2",
                    caller,
                    key,
                    status,
                    orjson.dumps(kept_headers),
                    b"".join(chunks),
                )


async def _answer(send: Send, status: int, detail: str) -> None:
    body = problem_bytes(status, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
