"""Prometheus metrics: requests by route and status, latency, database pool use.

They are served on a port of their own (``<PREFIX>METRICS_PORT``), never on the API's: the gateway
routes its clients to the API port only, so no client of the platform can read them; Prometheus
scrapes the metrics port (the Kubernetes manifests' annotations, docs/OPERATIONS.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from shared import periodic

log = logging.getLogger(__name__)
PoolProbe = Callable[[], list[tuple[str, int, int]]]


class _Loops(Collector):
    """Each background loop's last success and failures (shared.periodic), read when scraped."""

    def __init__(self, service: str) -> None:
        self.service = service

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        labels = ["service", "loop"]
        success = GaugeMetricFamily(
            "background_loop_last_success_timestamp_seconds",
            "When the loop last ran without failing (Unix time; its start while it never has)",
            labels=labels,
        )
        failures = CounterMetricFamily(
            "background_loop_failures", "Runs of the loop that failed since the process started", labels=labels
        )
        in_a_row = GaugeMetricFamily(
            "background_loop_failures_in_a_row", "Runs of the loop that failed since its last success", labels=labels
        )
        for loop in sorted(periodic.RUNNING, key=lambda loop: loop.name):
            success.add_metric([self.service, loop.name], loop.last_success or loop.started_at or 0.0)
            failures.add_metric([self.service, loop.name], loop.failures)
            in_a_row.add_metric([self.service, loop.name], loop.failures_in_a_row)
        yield success
        yield failures
        yield in_a_row


class _Pools(Collector):
    """The database pools' connections, read when scraped."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.probes: list[PoolProbe] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        size = GaugeMetricFamily("db_pool_connections", "Database connections open", labels=["service", "pool"])
        in_use = GaugeMetricFamily(
            "db_pool_connections_in_use", "Database connections checked out", labels=["service", "pool"]
        )
        for probe in self.probes:
            for name, opened, used in probe():
                size.add_metric([self.service, name], opened)
                in_use.add_metric([self.service, name], used)
        yield size
        yield in_use


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
        self._pools = _Pools(service)
        self.registry.register(self._pools)
        self.registry.register(_Loops(service))
        self.service = service
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

    def add_pool_probe_list(self, probe: PoolProbe) -> None:
        """``probe()`` returns (pool name, connections open, connections in use) per pool."""
        self._pools.probes.append(probe)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def serve(self, host: str, port: int) -> Callable[[], None]:
        """Serve ``GET /metrics`` on ``host:port`` (prometheus_client's server, in a thread of its own);
        the function that stops it."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        log.info("metrics served", extra={"event": "metrics", "port": server.server_port})

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

        return stop
