"""Prometheus metrics: requests by route and status, latency, database pool use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response


class Metrics:
    """One registry per app, so several apps in one test process never collide."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["service", "method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "db_pool_connections_in_use",
            "Database connections checked out",
            ["service", "pool"],
            registry=self.registry,
        )
        self.pool_size = Gauge(
            "db_pool_connections", "Database connections open", ["service", "pool"], registry=self.registry
        )
        self.service = service
        self._pool_probes: list[Callable[[], list[tuple[str, int, int]]]] = []
        # The children of each (method, route, status): prometheus_client's labels() checks and joins
        # the label values on every call; a route has few of them, so they are looked up once.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(self.service, method, route, str(status)),
                self.latency.labels(self.service, method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def add_pool_probe_list(self, probe: Callable[[], list[tuple[str, int, int]]]) -> None:
        """``probe()`` returns (pool name, connections open, connections in use) per pool."""
        self._pool_probes.append(probe)

    def render(self) -> bytes:
        for probe in self._pool_probes:
            for name, size, in_use in probe():
                self.pool_size.labels(self.service, name).set(size)
                self.pool_in_use.labels(self.service, name).set(in_use)
        return generate_latest(self.registry)


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
