"""Pure-ASGI middleware every process runs: request id, body size limit, metrics and access log.

One middleware instead of four keeps the per-request cost low (see the gateway's budget).

Body limits: every route takes the process's ``max_body_bytes`` (1 MiB, JSON); a route that takes
more (a photo, a register to import) says so with ``openapi_extra=body_limit(n)``, which also documents
it in the API (``x-max-body-bytes``). The limit is chosen by method and path before anything reads
the body (the idempotency middleware reads it before routing).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import HTTPException
from fastapi.routing import APIRoute
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.context import reset_request_id, set_request_id
from shared.errors import send_problem
from shared.logging import log_access
from shared.metrics import Metrics

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
QUIET_PATHS = frozenset({"/livez", "/readyz"})
JSON_BODY_BYTES = 1024 * 1024
PHOTO_BODY_BYTES = 6 * 1024 * 1024  # a photo of up to 5 MB (shared.photos) and its multipart frame
IMPORT_BODY_BYTES = 32 * 1024 * 1024  # a register of 100,000 rows is a few MB
SYNC_BODY_BYTES = 6 * 1024 * 1024  # an offline sync of 200 visits with their notes passes 1 MiB
LIMIT_KEY = "x-max-body-bytes"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def body_limit(max_bytes: int) -> dict[str, Any]:
    """``openapi_extra`` of a route whose body may be larger than the process's limit."""
    return {LIMIT_KEY: max_bytes}


class BodyLimits:
    """The largest body a request may send: its route's own limit, else the process's."""

    def __init__(self, default: int, own: Mapping[str, int] | None = None) -> None:
        """``own``: "METHOD /path/{param}" → bytes."""
        self.default = default
        self.own = dict(own or {})
        self._patterns = []
        for route, limit in sorted(self.own.items()):
            method, path = route.split(" ", 1)
            self._patterns.append((method, compile_path(path)[0], limit))

    @classmethod
    def of_routes(cls, default: int, routes: Iterable[Any], also: Mapping[str, int] | None = None) -> BodyLimits:
        """The limits the routes declare (``body_limit``), and ``also`` (routes served by middleware)."""
        own = dict(also or {})
        for route in routes:
            if isinstance(route, APIRoute) and route.openapi_extra and LIMIT_KEY in route.openapi_extra:
                for method in route.methods or ():
                    own[f"{method} {route.path}"] = int(route.openapi_extra[LIMIT_KEY])
        return cls(default, own)

    def limit(self, method: str, path: str) -> int:
        if method in _BODY_METHODS:
            for own_method, pattern, limit in self._patterns:
                if own_method == method and pattern.match(path):
                    return limit
        return self.default


class _BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing lets it through as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, body_limits: BodyLimits) -> None:
        self.app = app
        self.metrics = metrics
        self.body_limits = body_limits

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
        max_body_bytes = self.body_limits.limit(scope["method"], scope["path"])

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body_bytes:
                    raise _BodyTooLarge(max_body_bytes)
            return message

        try:
            if content_length is not None and content_length > max_body_bytes:
                await send_problem(send_with_id, 413, f"the request body is larger than {max_body_bytes} bytes")
            else:
                try:
                    await self.app(scope, limited_receive, send_with_id)
                except _BodyTooLarge:
                    await send_problem(send_with_id, 413, f"the request body is larger than {max_body_bytes} bytes")
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            status = status_holder[0]
            self.metrics.observe(scope["method"], template, status, elapsed)
            if scope["path"] not in QUIET_PATHS:
                log_access(scope["method"], template, status, round(elapsed * 1000, 2))
            reset_request_id(token)
