"""In-process HTTP between the platform's apps: one transport that sends each request to the app
named by its host (``http://orders.test`` → the orders app), as the relay's deliveries need."""

from __future__ import annotations

import httpx


class RoutingTransport(httpx.AsyncBaseTransport):
    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.routes.get(request.url.host)
        if transport is None:
            return httpx.Response(502, text=f"no app for {request.url.host}")
        return await transport.handle_async_request(request)
