"""The gateway's routing layer: ``/api/v1/<resource>/...`` forwarded to the service that owns it.

Pure ASGI on a pooled aiohttp client, because the hop has a budget (docs/ARCHITECTURE.md: through the
gateway at least 50% of the throughput of calling the service directly): no framework request
objects, no JSON parsing, the request body read once, small answers read whole and sent in one
message, large or unsized ones streamed.

Failures are the gateway's own problem+json answers, naming the service and never its URL:
unreachable → 502, too slow → 504, circuit open → 503 with ``Retry-After``. So is a 5xx that is not
problem+json — a load balancer's or a server's own page (nginx's HTML 502 when a replica died): 503
stays 503 (with the upstream's ``Retry-After``), 504 stays 504, any other becomes 502; it counts as a
failure for the circuit. A service's own answers, problem+json included, pass through unchanged.

Retries: a request is retried once only when repeating it is harmless — GET, HEAD and OPTIONS,
or any method carrying an ``Idempotency-Key`` (the service deduplicates it) — and only after a
connection error before any answer came back (refused, reset, a pooled keep-alive connection the
service had already closed), or after a 502 or 503 that is not the service's own problem+json (the
connection it came on is closed, not reused). Never after a timeout: the service may still be
working on it, and a second wait would double the client's. A POST/PUT/PATCH/DELETE without a key is
sent at most once, whatever happens (aiohttp's own retry of PUT/DELETE on a stale connection is
switched off).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from yarl import URL

from gateway.routing.circuit import CircuitBreaker
from shared.context import current_request_id
from shared.errors import PROBLEM_MEDIA_TYPE, send_problem
from shared.events import BATCH_PATH, EVENTS_PATH

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
INTERNAL_PREFIX = "/internal/"

# RFC 9110 §7.6.1, plus the non-standard Proxy-Connection some clients still send.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Host and Content-Length are the upstream request's own (aiohttp sets them); Expect was already
# handled by the gateway's server when it read the body; the X- headers are set afresh below.
_REQUEST_DROPPED = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"expect",
    b"x-request-id",
    b"x-forwarded-for",
    b"x-forwarded-proto",
}
# The gateway's own server adds Date and Server to every answer (a second Date is invalid).
_RESPONSE_DROPPED = HOP_BY_HOP | {b"date", b"server"}
# ... and the gateway's request-context middleware adds X-Request-ID (the same id: we sent it).
_RESPONSE_DROPPED_WITH_ID = _RESPONSE_DROPPED | {b"x-request-id"}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Answers up to this size (by Content-Length) are read whole and sent in one ASGI message.
BUFFER_LIMIT = 1024 * 1024
# Below uvicorn's default --timeout-keep-alive (5 s), so the pool drops an idle connection before
# the service does, and a request rarely meets a connection the service has just closed.
KEEPALIVE_SECONDS = 4.0
DNS_CACHE_SECONDS = 60
_SKIP_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
_PROBLEM_CONTENT_TYPE = (b"content-type", PROBLEM_MEDIA_TYPE.encode())


@dataclass(frozen=True, slots=True)
class ProxyRoute:
    """What ``scope["route"]`` holds for a proxied request: metrics label it by ``path``."""

    path: str
    service: str


class _Upstream:
    __slots__ = ("name", "base_url", "breaker", "session", "unreachable", "too_slow", "unavailable")

    def __init__(self, name: str, base_url: str, breaker: CircuitBreaker) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker
        self.session: aiohttp.ClientSession | None = None
        self.unreachable = f"the {name} service is unreachable"
        self.too_slow = f"the {name} service did not answer in time"
        self.unavailable = f"the {name} service is unavailable, retry later"


class _Failed(Exception):
    """The upstream call failed before an answer could be passed on: the status to answer with."""

    def __init__(self, status: int) -> None:
        self.status = status


class ServiceProxy:
    """A connection pool and a circuit breaker per service, and the forwarding of one request."""

    def __init__(
        self,
        *,
        routes: dict[str, str],
        service_urls: dict[str, str],
        connect_timeout: float,
        total_timeout: float,
        pool_size: int,
        failure_threshold: int,
        open_seconds: float,
        slow_paths: dict[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        unknown = sorted(set(routes.values()) - set(service_urls))
        if unknown:
            raise ValueError(f"routes name services without a URL: {', '.join(unknown)}")
        self._routes = {
            resource: ProxyRoute(path=f"{API_PREFIX}{resource}/* -> {service}", service=service)
            for resource, service in routes.items()
        }
        self._upstreams = {
            name: _Upstream(
                name,
                url,
                CircuitBreaker(failure_threshold=failure_threshold, open_seconds=open_seconds, clock=clock),
            )
            for name, url in service_urls.items()
        }
        self._timeout = aiohttp.ClientTimeout(total=total_timeout, sock_connect=connect_timeout)
        # Paths whose work takes longer than the others' (a register's import): their own total timeout.
        self._slow = {
            path: aiohttp.ClientTimeout(total=seconds, sock_connect=connect_timeout)
            for path, seconds in (slow_paths or {}).items()
        }
        self._pool_size = pool_size

    async def start(self) -> None:
        """Open the pools; inside the running event loop (the gateway's lifespan)."""
        for upstream in self._upstreams.values():
            if upstream.session is not None:
                continue
            # One pool per service: a hung service can hold at most its own pool_size connections.
            connector = aiohttp.TCPConnector(
                limit=self._pool_size,
                keepalive_timeout=KEEPALIVE_SECONDS,
                ttl_dns_cache=DNS_CACHE_SECONDS,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
            )
            # aiohttp retries PUT and DELETE on a dropped pooled connection by itself; whether a call
            # may be repeated is decided here (Idempotency-Key), so that retry is switched off.
            session._retry_connection = False
            upstream.session = session

    async def close(self) -> None:
        for upstream in self._upstreams.values():
            if upstream.session is not None:
                await upstream.session.close()
                upstream.session = None

    def route_for(self, path: str) -> ProxyRoute | None:
        """The route of ``/api/v1/<resource>`` or ``/api/v1/<resource>/...``, None for anything else."""
        if not path.startswith(API_PREFIX):
            return None
        resource = path[len(API_PREFIX) :].partition("/")[0]
        return self._routes.get(resource)

    def service_for(self, path: str) -> str | None:
        route = self.route_for(path)
        return route.service if route is not None else None

    def breaker(self, service: str) -> CircuitBreaker:
        return self._upstreams[service].breaker

    async def forward(self, scope: Scope, receive: Receive, send: Send, service: str) -> None:
        """Send the request to ``service`` and stream its answer back (or answer 502/503/504)."""
        upstream = self._upstreams[service]
        session = upstream.session
        if session is None:
            raise RuntimeError("ServiceProxy.start() has not been awaited")
        if "route" not in scope:
            scope["route"] = self.route_for(scope["path"]) or ProxyRoute(f"{API_PREFIX}* -> {service}", service)

        breaker = upstream.breaker
        if not breaker.allow():
            await send_problem(send, 503, upstream.unavailable, (b"retry-after", str(breaker.retry_after()).encode()))
            return
        trial = not breaker.closed  # we are the half-open circuit's one trial request
        settled = False
        try:
            method: str = scope["method"]
            headers, has_body, has_key = _request_headers(scope)
            body: bytes | None = None
            if has_body:
                body = await _read_body(receive)
                if body is None:
                    return  # the client went away before sending its body
            url = _target(upstream.base_url, scope)
            attempts = 2 if has_key or method in SAFE_METHODS else 1
            try:
                limits = self._slow.get(scope["path"])
                response = await _send_request(session, method, url, headers, body, attempts, limits)
                if attempts > 1 and response.status in (502, 503) and not _is_problem(response):
                    response.close()  # once more, and not on that connection
                    response = await _send_request(session, method, url, headers, body, 1, limits)
            except _Failed as failure:
                breaker.record_failure()
                settled = True
                detail = upstream.too_slow if failure.status == 504 else upstream.unreachable
                await send_problem(send, failure.status, detail)
                return
            if response.status >= 500 and not _is_problem(response):
                breaker.record_failure()
                settled = True
                await _upstream_page(response, send, upstream)
                return
            breaker.record_success()  # the service answered: it is up, whatever the status
            settled = True
            await self._relay(response, method, send, upstream)
        finally:
            if trial and not settled:
                breaker.release_trial()

    async def _relay(self, response: aiohttp.ClientResponse, method: str, send: Send, upstream: _Upstream) -> None:
        status = response.status
        dropped = _RESPONSE_DROPPED if current_request_id() is None else _RESPONSE_DROPPED_WITH_ID
        headers = _response_headers(response.raw_headers, dropped)
        length = response.content_length
        if method == "HEAD" or status < 200 or status in (204, 304):
            response.release()
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if length is not None and length <= BUFFER_LIMIT:
            try:
                content = await response.read()
            except (aiohttp.ClientError, OSError) as exc:  # OSError covers TimeoutError
                response.close()
                upstream.breaker.record_failure()
                status = 504 if isinstance(exc, TimeoutError) else 502
                await send_problem(send, status, upstream.too_slow if status == 504 else upstream.unreachable)
                return
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        # Large or unsized: stream. Content-Length stays when the service gave one (the bytes are
        # passed through as they are); without it the gateway's server frames the answer chunked.
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            while True:
                try:
                    chunk = await response.content.readany()
                except (aiohttp.ClientError, OSError):
                    # The status line is gone already; the only honest signal left is an aborted answer.
                    upstream.breaker.record_failure()
                    log.warning("upstream answer broken off", extra={"service": upstream.name})
                    raise
                if not chunk:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except BaseException:
            response.close()  # never hand a half-read connection back to the pool
            raise
        response.release()
        await send({"type": "http.response.body", "body": b""})


def _is_problem(response: aiohttp.ClientResponse) -> bool:
    return response.content_type == PROBLEM_MEDIA_TYPE


async def _upstream_page(response: aiohttp.ClientResponse, send: Send, upstream: _Upstream) -> None:
    """A 5xx that is not the service's problem+json, answered as the gateway's own problem+json."""
    status = response.status if response.status in (503, 504) else 502
    retry_after = response.headers.get("Retry-After", "")
    response.close()
    log.warning("upstream answered %s without problem+json", response.status, extra={"service": upstream.name})
    if status == 503:
        seconds = retry_after if retry_after.isdigit() else "1"
        await send_problem(send, 503, upstream.unavailable, (b"retry-after", seconds.encode()))
    else:
        await send_problem(send, status, upstream.too_slow if status == 504 else upstream.unreachable)


async def _send_request(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    headers: list[tuple[str, str]],
    body: bytes | None,
    attempts: int,
    limits: aiohttp.ClientTimeout | None = None,
) -> aiohttp.ClientResponse:
    for attempt in range(attempts):
        try:
            return await session.request(
                method, url, headers=headers, data=body, allow_redirects=False, timeout=limits or session.timeout
            )
        except TimeoutError as exc:  # aiohttp's connect and read timeouts are TimeoutErrors too
            raise _Failed(504) from exc
        except aiohttp.ClientConnectionError as exc:
            if attempt + 1 < attempts:
                continue
            raise _Failed(502) from exc
        except (aiohttp.ClientError, OSError) as exc:  # e.g. a malformed answer
            raise _Failed(502) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _request_headers(scope: Scope) -> tuple[list[tuple[str, str]], bool, bool]:
    """The headers to send upstream, whether the request has a body, and whether it has an Idempotency-Key."""
    headers: list[tuple[str, str]] = []
    has_body = False
    has_key = False
    connection: bytes | None = None
    forwarded_for: str | None = None
    incoming_id: str | None = None
    for name, value in scope["headers"]:
        if name in _REQUEST_DROPPED:
            if name == b"content-length":
                has_body = value.strip() not in (b"0", b"")
            elif name == b"transfer-encoding":
                has_body = True
            elif name == b"connection":
                connection = value if connection is None else connection + b"," + value
            elif name == b"x-forwarded-for":
                text = value.decode("latin-1")
                forwarded_for = text if forwarded_for is None else f"{forwarded_for}, {text}"
            elif name == b"x-request-id":
                incoming_id = value.decode("latin-1")
            continue
        if name == b"idempotency-key":
            has_key = True
        headers.append((name.decode("latin-1"), value.decode("latin-1")))
    if connection is not None:
        named = {token.strip().lower().decode("latin-1") for token in connection.split(b",")}
        headers = [(name, value) for name, value in headers if name.lower() not in named]
        has_key = has_key and "idempotency-key" not in named

    request_id = current_request_id() or incoming_id
    if request_id is not None:
        headers.append(("x-request-id", request_id))
    client = scope.get("client")
    if client:
        forwarded_for = client[0] if forwarded_for is None else f"{forwarded_for}, {client[0]}"
    if forwarded_for is not None:
        headers.append(("x-forwarded-for", forwarded_for))
    headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
    return headers, has_body, has_key


def _response_headers(raw: Iterable[tuple[bytes, bytes]], dropped: frozenset[bytes]) -> list[tuple[bytes, bytes]]:
    headers: list[tuple[bytes, bytes]] = []
    connection: list[bytes] = []
    for name, value in raw:
        lowered = name.lower()
        if lowered in dropped:
            if lowered == b"connection":
                connection.extend(token.strip().lower() for token in value.split(b","))
            continue
        headers.append((lowered, value))
    if connection:
        headers = [(name, value) for name, value in headers if name not in connection]
    return headers


def _target(base_url: str, scope: Scope) -> URL:
    raw_path: bytes | None = scope.get("raw_path")
    # Some ASGI servers (httpx's test transport) put the query in raw_path too.
    path = raw_path.partition(b"?")[0].decode("latin-1") if raw_path else _quote_path(scope["path"])
    query: bytes = scope.get("query_string", b"")
    target = f"{base_url}{path}?{query.decode('latin-1')}" if query else f"{base_url}{path}"
    return URL(target, encoded=True)


def _quote_path(path: str) -> str:
    return quote(path, safe="/:@!$&'()*+,;=-._~")


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body (its size is capped by the request-context middleware), None on disconnect."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


BeforeForward = Callable[[Scope], Awaitable[tuple[int, bytes, list[tuple[bytes, bytes]]] | None]]


class ProxyMiddleware:
    """Proxied resources go to their service, after ``before_forward`` (authentication, disabled
    accounts, rate limits) had its say; ``/internal/`` is never reachable from outside; everything
    else is the gateway's own app.

    ``before_forward(scope)`` returns None to let the request through, or ``(status, body, headers)``
    to answer instead (Content-Type defaults to problem+json, Content-Length is added). It runs with
    ``scope["route"]`` already set, so refusals are labelled by resource in the metrics too."""

    def __init__(self, app: ASGIApp, *, proxy: ServiceProxy, before_forward: BeforeForward | None = None) -> None:
        self.app = app
        self.proxy = proxy
        self.before_forward = before_forward

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            route = self.proxy.route_for(path)
            if route is not None:
                scope["route"] = route
                if self.before_forward is not None:
                    answer = await self.before_forward(scope)
                    if answer is not None:
                        await _send_answer(send, *answer)
                        return
                await self.proxy.forward(scope, receive, send, route.service)
                return
            if path.startswith(INTERNAL_PREFIX) or path == INTERNAL_PREFIX[:-1]:
                # The one internal door of the gateway: the services' relays deliver events here (one,
                # or a batch), signed with the platform's events secret (checked by the route).
                if not (path in (EVENTS_PATH, BATCH_PATH) and scope["method"] == "POST"):
                    await send_problem(send, 404, "not found")
                    return
        await self.app(scope, receive, send)


async def _send_answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """``before_forward``'s refusal; without a Content-Type it is taken as the problem+json it always is."""
    names = {name.lower() for name, _ in headers}
    headers = list(headers)
    if b"content-type" not in names:
        headers.append(_PROBLEM_CONTENT_TYPE)
    if b"content-length" not in names:
        headers.append((b"content-length", str(len(body)).encode()))
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
