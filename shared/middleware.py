"""Pure-ASGI middleware every process runs: request id, body size limit, metrics and access log.

One middleware instead of four keeps the per-request cost low (see the gateway's budget).
"""

from __future__ import annotations

import os
import re
import time

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.context import reset_request_id, set_request_id
from shared.errors import PROBLEM_MEDIA_TYPE, problem_bytes
from shared.logging import log_access
from shared.metrics import Metrics

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
QUIET_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


class _BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing lets it through as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = None
        content_length = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _VALID_REQUEST_ID.match(candidate):
                    request_id = candidate
            elif name == b"content-length":
                try:
                    content_length = int(value)
                except ValueError:
                    content_length = None
        request_id = request_id or os.urandom(16).hex()
        token = set_request_id(request_id)
        started = time.perf_counter()
        status_holder = [500]
        raw_id = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", raw_id)]
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge(self.max_body_bytes)
            return message

        try:
            if content_length is not None and content_length > self.max_body_bytes:
                await self._too_large(send_with_id)
            else:
                try:
                    await self.app(scope, limited_receive, send_with_id)
                except _BodyTooLarge:
                    await self._too_large(send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            status = status_holder[0]
            self.metrics.observe(scope["method"], template, status, elapsed)
            if scope["path"] not in QUIET_PATHS:
                log_access(scope["method"], template, status, round(elapsed * 1000, 2))
            reset_request_id(token)

    async def _too_large(self, send: Send) -> None:
        body = problem_bytes(413, f"the request body is larger than {self.max_body_bytes} bytes")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
