"""The gateway's routing layer against real upstream servers on loopback: what is forwarded, what comes
back, how failures look to a client, the circuit breaker, and which calls are (never) retried."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.config import LARGE_BODIES
from gateway.routing.circuit import CircuitBreaker, CircuitState
from gateway.routing.proxy import BeforeForward, ProxyMiddleware, ServiceProxy
from shared.metrics import Metrics
from shared.middleware import JSON_BODY_BYTES, PHOTO_BODY_BYTES, BodyLimits, RequestContextMiddleware
from tests.support.live import free_port

pytestmark = [pytest.mark.no_db]

PROBLEM = "application/problem+json"
CONFLICT_BODY = (
    b'{"type":"https://grid-platform.example/problems/conflict","title":"Conflict","status":409,'
    b'"detail":"the order is already dispatched","state":"dispatched","request_id":"r-1"}'
)
BIG = bytes(range(256)) * 8192  # 2 MiB, over the proxy's buffering limit
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


# --- upstreams ------------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn inside the test loop; the test process keeps its own signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Upstream:
    """A real HTTP server on loopback running ``app``, counting the requests that reach it."""

    def __init__(self, name: str, port: int | None = None) -> None:
        self.name = name
        self.port = port or free_port()
        self.hits = 0
        self.release = asyncio.Event()  # lets the slow handler finish at teardown
        self._server = _Server(
            uvicorn.Config(self._counted(_service_app(self)), host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _counted(self, app: ASGIApp) -> ASGIApp:
        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.hits += 1
            await app(scope, receive, send)

        return counted

    async def __aenter__(self) -> Upstream:
        self._server.config.lifespan = "off"
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the upstream did not start")
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.release.set()
        self._server.should_exit = True
        assert self._task is not None
        await self._task


def _service_app(upstream: Upstream) -> Starlette:
    """Echoes what it received; a few paths answer otherwise (conflict, slow, big, unavailable)."""

    async def handle(request: Request) -> Response:
        last = request.url.path.rsplit("/", 1)[-1]
        if last == "conflict":
            return Response(CONFLICT_BODY, status_code=409, media_type=PROBLEM)
        if last == "unavailable":
            return Response(b'{"status":503,"title":"own"}', status_code=503, media_type=PROBLEM)
        if last == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(upstream.release.wait(), 5)
            return PlainTextResponse("late")
        if last == "big-sized":
            return Response(BIG, media_type="application/octet-stream")
        if last == "big-chunked":

            async def chunks() -> AsyncIterator[bytes]:
                for start in range(0, len(BIG), 65536):
                    yield BIG[start : start + 65536]

            return StreamingResponse(chunks(), media_type="application/octet-stream")
        body = await request.body()
        echo = {
            "service": upstream.name,
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "headers": [[name.decode(), value.decode()] for name, value in request.scope["headers"]],
            "body": body.hex(),
        }
        hop_headers = {
            "x-upstream": upstream.name,
            "keep-alive": "timeout=5",
            "connection": "x-hop-resp",
            "x-hop-resp": "secret",
            "proxy-authenticate": "Basic",
            "x-request-id": "set-by-upstream",
        }
        return JSONResponse(echo, headers=hop_headers)

    return Starlette(routes=[Route("/{path:path}", handle, methods=ALL_METHODS)])


class RawUpstream:
    """A bare TCP server speaking just enough HTTP/1.1: per request, ``plan`` says whether to ``drop``
    the connection after reading the whole request (body included), ``answer`` 200, ``cut-<n>``:
    start an answer of n bytes and break it off, or ``html-<status>``: a load balancer's own error page
    (nginx's, when the replica behind it died)."""

    def __init__(self, plan: list[str], port: int | None = None) -> None:
        self.plan = plan
        self.port = port or free_port()
        self.hits = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        self.hits += 1
        action = self.plan[min(self.hits, len(self.plan)) - 1]
        if action == "drop":
            writer.transport.abort()  # a reset, no answer at all
            return
        if action.startswith("cut-"):  # promise a body of that size, send 10 bytes of it, reset
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: " + action[4:].encode() + b"\r\n\r\n0123456789")
            await writer.drain()
            writer.transport.abort()
            return
        if action.startswith("html-"):
            page = (
                b"<html><head><title>" + action[5:].encode() + b" Bad Gateway</title></head><body>nginx</body></html>"
            )
            writer.write(
                b"HTTP/1.1 " + action[5:].encode() + b" Bad Gateway\r\ncontent-type: text/html\r\nretry-after: 7\r\n"
                b"content-length: " + str(len(page)).encode() + b"\r\nconnection: close\r\n\r\n" + page
            )
            await writer.drain()
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> RawUpstream:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


# --- the gateway under test ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Gateway:
    client: httpx.AsyncClient
    proxy: ServiceProxy
    metrics: Metrics
    fallback_hits: list[str]


ROUTES = {"grids": "grids", "streets": "grids", "orders": "orders", "menu": "orders", "jobs": "jobs"}


@contextlib.asynccontextmanager
async def gateway(
    service_urls: dict[str, str],
    *,
    before_forward: BeforeForward | None = None,
    clock: Clock | None = None,
    connect_timeout: float = 1.0,
    total_timeout: float = 3.0,
    failure_threshold: int = 5,
    open_seconds: float = 10.0,
) -> AsyncIterator[Gateway]:
    urls = {name: "http://127.0.0.1:9" for name in set(ROUTES.values())} | service_urls
    proxy = ServiceProxy(
        routes=ROUTES,
        service_urls=urls,
        connect_timeout=connect_timeout,
        total_timeout=total_timeout,
        pool_size=8,
        failure_threshold=failure_threshold,
        open_seconds=open_seconds,
        clock=clock or time.monotonic,
    )
    await proxy.start()
    fallback_hits: list[str] = []

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        fallback_hits.append(scope["path"])
        await PlainTextResponse("the gateway itself")(scope, receive, send)

    metrics = Metrics("gateway")
    app = RequestContextMiddleware(
        ProxyMiddleware(fallback, proxy=proxy, before_forward=before_forward),
        metrics=metrics,
        body_limits=BodyLimits(JSON_BODY_BYTES, LARGE_BODIES),
    )
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://gateway.test") as client:
            yield Gateway(client, proxy, metrics, fallback_hits)
    finally:
        await proxy.close()


def header_values(echo: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in echo["headers"] if key == name]


# --- forwarding ----------------------------------------------------------------------------------------


async def test_forwards_method_path_query_body_and_credentials() -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}) as gw:
        response = await gw.client.patch(
            "/api/v1/grids/a%2Fb/members?limit=5&q=%E7%BD%91%20x",
            content=b"\x00\x01binary\xff",
            headers={"Authorization": "Bearer tok.en", "X-Request-ID": "req-abc", "Content-Type": "x/y"},
        )
    assert response.status_code == 200
    echo = response.json()
    assert echo["method"] == "PATCH"
    assert echo["raw_path"] == "/api/v1/grids/a%2Fb/members"  # not decoded, not re-encoded
    assert echo["query"] == "limit=5&q=%E7%BD%91%20x"
    assert bytes.fromhex(echo["body"]) == b"\x00\x01binary\xff"
    assert header_values(echo, "authorization") == ["Bearer tok.en"]
    assert header_values(echo, "content-type") == ["x/y"]
    assert header_values(echo, "content-length") == ["9"]
    assert header_values(echo, "x-request-id") == ["req-abc"]
    assert header_values(echo, "host") == [f"127.0.0.1:{grids.port}"]
    assert header_values(echo, "x-forwarded-proto") == ["https"]
    assert header_values(echo, "user-agent") == ["python-httpx/" + httpx.__version__]  # the client's, not aiohttp's
    # The answer: the service's headers, the gateway's request id once.
    assert response.headers["x-upstream"] == "grids"
    assert response.headers.get_list("x-request-id") == ["req-abc"]


async def test_a_request_id_is_made_and_forwarded_when_the_client_sends_none() -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}) as gw:
        response = await gw.client.get("/api/v1/grids")
    sent = header_values(response.json(), "x-request-id")
    assert len(sent) == 1 and len(sent[0]) == 32
    assert response.headers.get_list("x-request-id") == sent


async def test_forwarded_for_appends_the_client_address() -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}) as gw:
        response = await gw.client.get("/api/v1/grids", headers={"X-Forwarded-For": "203.0.113.7"})
        alone = await gw.client.get("/api/v1/grids")
    assert header_values(response.json(), "x-forwarded-for") == ["203.0.113.7, 127.0.0.1"]
    assert header_values(alone.json(), "x-forwarded-for") == ["127.0.0.1"]


async def test_hop_by_hop_headers_are_stripped_both_ways() -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}) as gw:
        response = await gw.client.get(
            "/api/v1/grids/1",
            headers={
                "Connection": "keep-alive, X-Hop-Req",
                "X-Hop-Req": "secret",
                "Keep-Alive": "timeout=9",
                "TE": "trailers",
                "Trailer": "x-checksum",
                "Proxy-Authorization": "Basic cHJveHk=",
                "Upgrade": "websocket",
                "X-Kept": "yes",
            },
        )
    assert response.status_code == 200
    sent = {name for name, _ in response.json()["headers"]}
    hop = {"connection", "x-hop-req", "keep-alive", "te", "trailer", "proxy-authorization", "upgrade"}
    assert not sent & hop, sent & hop
    assert "x-kept" in sent
    # The upstream answered with Keep-Alive, Proxy-Authenticate and a header named in Connection.
    received = set(response.headers.keys())
    assert not received & {"connection", "keep-alive", "x-hop-resp", "proxy-authenticate"}
    assert response.headers["x-upstream"] == "grids"


async def test_a_service_problem_passes_through_byte_for_byte() -> None:
    async with Upstream("orders") as orders, gateway({"orders": orders.url}) as gw:
        response = await gw.client.post("/api/v1/orders/42/conflict", json={"x": 1})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.content == CONFLICT_BODY
    assert response.headers["content-length"] == str(len(CONFLICT_BODY))


async def test_bodies_over_a_routes_limit_are_refused_before_they_are_passed_on() -> None:
    """1 MiB of JSON on every route; the services' photo routes (LARGE_BODIES) take 6 MiB."""
    async with Upstream("orders") as orders, gateway({"orders": orders.url}) as gw:
        json_body = b'{"note": "' + b"x" * JSON_BODY_BYTES + b'"}'
        refused = await gw.client.post("/api/v1/orders/o-1/cancel", content=json_body)
        assert refused.status_code == 413 and refused.headers["content-type"] == "application/problem+json"
        photo = b"\x89PNG" + b"\0" * (2 * 1024 * 1024)
        passed = await gw.client.post("/api/v1/orders/o-1/photos", content=photo)
        assert passed.status_code == 200 and bytes.fromhex(passed.json()["body"]) == photo
        too_big = await gw.client.post("/api/v1/orders/o-1/photos", content=b"\0" * (PHOTO_BODY_BYTES + 1))
        assert too_big.status_code == 413
    assert gw.fallback_hits == []


@pytest.mark.parametrize("path", ["/api/v1/grids/big-sized", "/api/v1/grids/big-chunked"])
async def test_large_answers_are_streamed_intact(path: str) -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}) as gw:
        response = await gw.client.get(path)
    assert response.status_code == 200
    assert response.content == BIG
    assert response.headers.get("transfer-encoding") is None  # hop-by-hop: the gateway's server frames it


async def test_head_answers_headers_without_a_body() -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}) as gw:
        response = await gw.client.head("/api/v1/grids/7")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0
    assert grids.hits == 1


# --- routing --------------------------------------------------------------------------------------------


async def test_resources_go_to_the_service_that_owns_them() -> None:
    async with (
        Upstream("grids") as grids,
        Upstream("orders") as orders,
        gateway({"grids": grids.url, "orders": orders.url}) as gw,
    ):
        assert (await gw.client.get("/api/v1/grids/x")).json()["service"] == "grids"
        assert (await gw.client.get("/api/v1/streets")).json()["service"] == "grids"
        assert (await gw.client.get("/api/v1/orders")).json()["service"] == "orders"
        assert (await gw.client.get("/api/v1/menu/items")).json()["service"] == "orders"
        unknown = await gw.client.get("/api/v1/unknown/1")
        prefix_only = await gw.client.get("/api/v1/ordersx")
        internal = await gw.client.get("/internal/events")
        internal_other = await gw.client.post("/internal/outbox/replay", json={"event_ids": []})
        internal_bare = await gw.client.get("/internal")
        # The relays' signed deliveries reach the gateway's own app (which checks the signature), never a service.
        deliveries = await gw.client.post("/internal/events", json={"id": "e-1"})
        hits = (grids.hits, orders.hits)
        rendered = gw.metrics.render().decode()
    assert hits == (2, 2)
    assert unknown.status_code == 200 and unknown.text == "the gateway itself"
    assert prefix_only.text == "the gateway itself"
    assert gw.fallback_hits == ["/api/v1/unknown/1", "/api/v1/ordersx", "/internal/events"]
    assert deliveries.text == "the gateway itself"
    for answer in (internal, internal_other, internal_bare):
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["status"] == 404
    # Metrics label proxied requests by resource, not by URL.
    assert 'route="/api/v1/grids/* -> grids"' in rendered
    assert 'route="/api/v1/menu/* -> orders"' in rendered
    assert "/api/v1/grids/x" not in rendered


def test_service_for_matches_the_first_segment_only() -> None:
    proxy = ServiceProxy(
        routes=ROUTES,
        service_urls={name: "http://127.0.0.1:9" for name in set(ROUTES.values())},
        connect_timeout=1,
        total_timeout=1,
        pool_size=1,
        failure_threshold=1,
        open_seconds=1,
    )
    assert proxy.service_for("/api/v1/orders") == "orders"
    assert proxy.service_for("/api/v1/orders/") == "orders"
    assert proxy.service_for("/api/v1/menu/1/x") == "orders"
    assert proxy.service_for("/api/v1/ordersx") is None
    assert proxy.service_for("/api/v1") is None
    assert proxy.service_for("/api/v2/orders") is None
    assert proxy.service_for("/internal/events") is None
    assert proxy.service_for("/orders") is None


async def test_before_forward_can_answer_instead_of_the_service() -> None:
    seen: list[str] = []

    async def guard(scope: Scope) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
        seen.append(scope["route"].path)
        if dict(scope["headers"]).get(b"authorization") is None:
            return 401, b'{"status":401}', [(b"www-authenticate", b"Bearer")]
        return None

    async with Upstream("orders") as orders, gateway({"orders": orders.url}, before_forward=guard) as gw:
        refused = await gw.client.get("/api/v1/orders")
        allowed = await gw.client.get("/api/v1/orders", headers={"Authorization": "Bearer t"})
        own = await gw.client.get("/api/v1/me")
        hits = orders.hits
    assert refused.status_code == 401 and refused.content == b'{"status":401}'
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.headers["content-type"] == PROBLEM  # a refusal without a type is a problem
    assert allowed.status_code == 200
    assert own.text == "the gateway itself"
    assert hits == 1
    assert seen == ["/api/v1/orders/* -> orders"] * 2  # never asked about the gateway's own routes


# --- failures ------------------------------------------------------------------------------------------


async def test_a_stopped_service_is_a_quick_502_naming_the_service() -> None:
    async with gateway({"jobs": f"http://127.0.0.1:{free_port()}"}, connect_timeout=1.0) as gw:
        started = time.perf_counter()
        response = await gw.client.get("/api/v1/jobs/1", headers={"X-Request-ID": "req-502"})
        elapsed = time.perf_counter() - started
    assert response.status_code == 502
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 502 and body["request_id"] == "req-502"
    assert "jobs" in body["detail"] and "127.0.0.1" not in response.text
    assert elapsed < 1.0 + 1


async def test_a_slow_service_is_a_504_within_the_total_timeout() -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}, total_timeout=0.5) as gw:
        started = time.perf_counter()
        response = await gw.client.get("/api/v1/grids/slow")
        elapsed = time.perf_counter() - started
        hits = grids.hits
    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM
    assert "grids" in response.json()["detail"]
    assert 0.4 < elapsed < 1.5
    assert hits == 1  # a timeout is never retried


async def test_the_circuit_opens_then_recovers_when_the_service_comes_back() -> None:
    clock = Clock()
    port = free_port()
    async with gateway({"orders": f"http://127.0.0.1:{port}"}, clock=clock, failure_threshold=2, open_seconds=10) as gw:
        for _ in range(2):
            assert (await gw.client.get("/api/v1/orders")).status_code == 502
        async with Upstream("orders", port=port) as orders:
            refused = await gw.client.get("/api/v1/orders")
            assert refused.status_code == 503
            assert refused.headers["content-type"] == PROBLEM
            assert refused.headers["retry-after"] == "10"
            assert "orders" in refused.json()["detail"]
            clock.now += 4
            assert (await gw.client.get("/api/v1/orders")).headers["retry-after"] == "6"
            assert orders.hits == 0  # an open circuit does not contact the service

            clock.now += 6.5  # half-open: one trial goes through, its success closes the circuit
            trial = await gw.client.get("/api/v1/orders")
            assert trial.status_code == 200 and trial.json()["service"] == "orders"
            assert gw.proxy.breaker("orders").state is CircuitState.CLOSED
            assert (await gw.client.get("/api/v1/orders/2")).status_code == 200
            assert orders.hits == 2


async def test_a_failed_trial_opens_the_circuit_again() -> None:
    clock = Clock()
    async with gateway(
        {"orders": f"http://127.0.0.1:{free_port()}"}, clock=clock, failure_threshold=1, open_seconds=5
    ) as gw:
        assert (await gw.client.get("/api/v1/orders")).status_code == 502
        assert (await gw.client.get("/api/v1/orders")).status_code == 503
        clock.now += 5
        assert (await gw.client.get("/api/v1/orders")).status_code == 502  # the trial
        again = await gw.client.get("/api/v1/orders")
    assert again.status_code == 503 and again.headers["retry-after"] == "5"


async def test_the_services_own_errors_do_not_open_the_circuit() -> None:
    async with Upstream("grids") as grids, gateway({"grids": grids.url}, failure_threshold=2) as gw:
        answers = [await gw.client.get("/api/v1/grids/unavailable") for _ in range(4)]
        hits = grids.hits
    assert [a.status_code for a in answers] == [503] * 4
    assert all(a.content == b'{"status":503,"title":"own"}' for a in answers)  # the service's, passed through
    assert hits == 4


async def test_an_answer_broken_off_early_is_a_502() -> None:
    async with RawUpstream(["cut-100"]) as raw, gateway({"orders": raw.url}) as gw:
        response = await gw.client.get("/api/v1/orders")
    assert response.status_code == 502
    assert response.headers["content-type"] == PROBLEM


async def test_a_large_answer_broken_off_midway_is_aborted_not_passed_on_as_complete() -> None:
    async with RawUpstream(["cut-5000000"]) as raw, gateway({"orders": raw.url}) as gw:
        with pytest.raises(aiohttp.ClientPayloadError):  # the gateway's server then drops the connection
            await gw.client.get("/api/v1/orders")


# --- retries ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_a_write_without_idempotency_key_is_sent_once(method: str) -> None:
    async with RawUpstream(["drop", "answer"]) as raw, gateway({"orders": raw.url}) as gw:
        response = await gw.client.request(method, "/api/v1/orders/1", content=b'{"kind":"service"}')
        hits = raw.hits
    assert response.status_code == 502
    assert response.headers["content-type"] == PROBLEM
    assert hits == 1


async def test_a_write_with_idempotency_key_is_retried_once() -> None:
    async with RawUpstream(["drop", "answer"]) as raw, gateway({"orders": raw.url}) as gw:
        response = await gw.client.post("/api/v1/orders", content=b"{}", headers={"Idempotency-Key": "k-1"})
        hits = raw.hits
    assert response.status_code == 200 and response.text == "ok"
    assert hits == 2


async def test_a_get_is_retried_once_after_a_dropped_connection() -> None:
    async with RawUpstream(["drop", "answer"]) as raw, gateway({"orders": raw.url}) as gw:
        response = await gw.client.get("/api/v1/orders")
        hits = raw.hits
    assert response.status_code == 200 and response.text == "ok"
    assert hits == 2


async def test_a_get_is_retried_only_once() -> None:
    async with RawUpstream(["drop"]) as raw, gateway({"orders": raw.url}) as gw:
        response = await gw.client.get("/api/v1/orders")
        hits = raw.hits
    assert response.status_code == 502
    assert hits == 2


@pytest.mark.parametrize(
    ("page", "answered"), [("html-502", 502), ("html-500", 502), ("html-503", 503), ("html-504", 504)]
)
async def test_an_upstreams_own_error_page_becomes_the_gateways_problem(page: str, answered: int) -> None:
    async with RawUpstream([page]) as raw, gateway({"orders": raw.url}) as gw:
        response = await gw.client.post("/api/v1/orders", content=b"{}", headers={"X-Request-ID": "req-lb"})
        hits = raw.hits
    assert response.status_code == answered and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == answered and "orders" in problem["detail"] and problem["request_id"] == "req-lb"
    assert "nginx" not in response.text and "127.0.0.1" not in response.text
    assert response.headers.get("retry-after") == ("7" if answered == 503 else None)
    assert hits == 1  # a write without Idempotency-Key: sent once


@pytest.mark.parametrize("page", ["html-502", "html-503"])
async def test_a_get_and_a_keyed_write_are_retried_once_after_a_load_balancers_502_or_503(page: str) -> None:
    async with RawUpstream([page, "answer"]) as raw, gateway({"orders": raw.url}) as gw:
        read = await gw.client.get("/api/v1/orders")
        assert read.status_code == 200 and read.text == "ok" and raw.hits == 2
        raw.hits = 0
        write = await gw.client.post("/api/v1/orders", content=b"{}", headers={"Idempotency-Key": "k-lb"})
        assert write.status_code == 200 and raw.hits == 2


async def test_a_get_meeting_the_error_page_twice_is_a_502_problem() -> None:
    async with RawUpstream(["html-502"]) as raw, gateway({"orders": raw.url}) as gw:
        response = await gw.client.get("/api/v1/orders")
        hits = raw.hits
    assert response.status_code == 502 and response.headers["content-type"] == PROBLEM and hits == 2


# --- the circuit breaker alone ------------------------------------------------------------------------


def test_breaker_opens_after_consecutive_failures_only() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, open_seconds=10, clock=clock)
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()  # resets the run
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    assert not breaker.allow()
    assert breaker.retry_after() == 10
    clock.now += 9.2
    assert not breaker.allow() and breaker.retry_after() == 1


def test_breaker_half_open_lets_one_trial_through_and_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, open_seconds=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the trial
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED
    assert all(breaker.allow() for _ in range(3))


def test_breaker_reopens_when_the_trial_fails() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, open_seconds=10, clock=clock)
    breaker.record_failure()
    clock.now += 12
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN and breaker.retry_after() == 10
    clock.now += 10
    assert breaker.allow()


def test_breaker_gives_up_a_trial_that_never_reports() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, open_seconds=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.release_trial()  # its caller was cancelled
    assert breaker.allow()
    clock.now += 10  # and this one vanished without even that
    assert breaker.allow()
