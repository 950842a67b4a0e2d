"""Webhooks for the street offices' systems (Standard Webhooks): endpoints registered by integration
clients, deliveries of the events of their street, signed, retried, logged.

SSRF: an endpoint must be https (outside the development profile) and its host must resolve only to
public addresses (not loopback, private, link-local — the cloud metadata address among them —,
multicast or reserved); this is checked when it is registered and again at every delivery, which
then connects to the very address it checked (no second lookup a rebinding DNS could answer
differently). Redirects are not followed; timeouts are short.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import logging
import secrets
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from standardwebhooks.webhooks import Webhook

from gateway.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gateway.webhooks.schemas import (
    AttemptPublic,
    DeliveryPage,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.periodic import Periodic
from shared.pii import PiiCipher
from shared.relay import backoff
from shared.security import Principal

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
_SEAL_FIELD = "webhook-secret"
ROTATION_OVERLAP = timedelta(hours=24)
FAILURES_BEFORE_DISABLE = 50
MAX_ATTEMPTS = 15
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
BATCH = 50


class UnsafeTarget(ValueError):
    """The URL may not be called: ``reason`` says why (without echoing the URL)."""


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# The ports a webhook may use when the private lane is closed (production); with it open (development,
# GATEWAY_WEBHOOK_ALLOW_PRIVATE_TARGETS) any port, so that a receiver on the developer's machine works.
ALLOWED_PORTS = frozenset({443, 8443})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052's well-known prefix: the last 32 bits are IPv4
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # the deprecated ::a.b.c.d form


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and that a router may deliver to: 6to4 (2002::/16),
    Teredo (2001::/32: server and client), NAT64 (64:ff9b::/96) and IPv4-compatible (::/96)."""
    found = [ip.sixtofour] if ip.sixtofour is not None else []
    found += list(ip.teredo or ())
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _global(ip.ipv4_mapped)
        return _global(ip) and all(_global(inner) for inner in _embedded_ipv4(ip))
    return _global(ip)


@dataclass(frozen=True)
class Target:
    url: str
    host: str
    port: int
    address: str  # the address checked, which the delivery connects to


async def vet(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """The URL and the address to connect to, or ``UnsafeTarget``."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeTarget("must be an absolute https URL")
    if parts.scheme != "https" and not allow_private:
        raise UnsafeTarget("must use https")
    if parts.username or parts.password:
        raise UnsafeTarget("must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("its port is not a number from 1 to 65535") from exc
    if not allow_private and port not in ALLOWED_PORTS:
        raise UnsafeTarget(f"its port must be one of {', '.join(map(str, sorted(ALLOWED_PORTS)))}")
    try:
        addresses = [parts.hostname] if _is_ip(parts.hostname) else await resolver(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget("its host does not resolve") from exc
    if not addresses:
        raise UnsafeTarget("its host does not resolve")
    if not allow_private and not all(_public(address) for address in addresses):
        raise UnsafeTarget("its host resolves to a loopback, private, link-local or reserved address")
    return Target(url=url, host=parts.hostname, port=port, address=addresses[0])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _pinned(target: Target) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL with the checked address in place of the host; the Host header and TLS name stay the
    host's, so certificates are checked against the name."""
    parts = urlsplit(target.url)
    literal = f"[{target.address}]" if ":" in target.address else target.address
    netloc = f"{literal}:{target.port}"
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    default_port = 443 if parts.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    return url, {"host": host_header}, extensions


# -- secrets -----------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class Secrets:
    """Endpoint secrets rest sealed (AES-GCM under the gateway's key-encryption secret)."""

    def __init__(self, sealer: PiiCipher) -> None:
        self.sealer = sealer

    def seal(self, secret: str) -> bytes:
        return self.sealer.encrypt(secret, field=_SEAL_FIELD)

    def open(self, sealed: bytes) -> str:
        return self.sealer.decrypt(sealed, field=_SEAL_FIELD)


def signature_header(secrets_: list[str], message_id: str, timestamp: datetime, body: bytes) -> str:
    """``v1,<sig>`` per secret, space-separated (both during a rotation)."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body.decode()) for secret in secrets_)


# -- registration ------------------------------------------------------------------------------


def _client_of(principal: Principal) -> str:
    assert principal.client_id is not None
    return principal.client_id


def _kept_by(principal: Principal) -> tuple[Any, Any]:
    """The caller's endpoints that it has not deleted: all it may list, read, change or count."""
    return col(WebhookEndpoint.client_id) == _client_of(principal), col(WebhookEndpoint.deleted_at).is_(None)


async def _own(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, lock: bool = False
) -> WebhookEndpoint:
    statement = select(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id, *_kept_by(principal))
    endpoint = await session.scalar(statement.with_for_update() if lock else statement)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id} of yours")
    return endpoint


def public(endpoint: WebhookEndpoint) -> WebhookPublic:
    return WebhookPublic.model_validate(endpoint, from_attributes=True)


async def register(
    *, session: AsyncSession, principal: Principal, body: WebhookCreate, keys: Secrets, allow_private: bool,
    resolver: Resolver = system_resolver,
) -> WebhookCreated:  # fmt: skip
    try:
        await vet(str(body.url), allow_private=allow_private, resolver=resolver)
    except UnsafeTarget as exc:
        raise ValidationFailed.on("url", exc.args[0]) from exc
    count = await session.scalar(select(func.count()).select_from(WebhookEndpoint).where(*_kept_by(principal)))
    if (count or 0) >= 20:
        raise Conflict("a client keeps at most 20 webhook endpoints")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        client_id=_client_of(principal),
        url=str(body.url),
        event_types=list(dict.fromkeys(body.event_types)),
        description=body.description,
        secret_sealed=keys.seal(secret),
    )
    session.add(endpoint)
    await session.flush()
    return WebhookCreated(**public(endpoint).model_dump(), secret=secret)


async def update(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, body: WebhookUpdate, allow_private: bool,
    resolver: Resolver = system_resolver,
) -> WebhookEndpoint:  # fmt: skip
    endpoint = await _own(session, principal, endpoint_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes and changes["url"] is not None:
        try:
            await vet(str(changes["url"]), allow_private=allow_private, resolver=resolver)
        except UnsafeTarget as exc:
            raise ValidationFailed.on("url", exc.args[0]) from exc
        endpoint.url = str(changes["url"])
    if changes.get("event_types") is not None:
        endpoint.event_types = list(dict.fromkeys(changes["event_types"]))
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("enabled") is True:
        endpoint.enabled, endpoint.disabled_reason, endpoint.failure_streak = True, None, 0
    elif changes.get("enabled") is False:
        endpoint.enabled, endpoint.disabled_reason = False, "disabled by the client"
    endpoint.updated_at = datetime.now(UTC)
    await session.flush()
    return endpoint


async def rotate(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, keys: Secrets
) -> WebhookCreated:
    """A new secret signs from now on; the old one signs too, beside it, for a day."""
    endpoint = await _own(session, principal, endpoint_id, lock=True)
    secret = new_secret()
    endpoint.previous_secret_sealed = endpoint.secret_sealed
    endpoint.previous_secret_expires_at = datetime.now(UTC) + ROTATION_OVERLAP
    endpoint.secret_sealed = keys.seal(secret)
    endpoint.updated_at = datetime.now(UTC)
    await session.flush()
    return WebhookCreated(**public(endpoint).model_dump(), secret=secret)


async def list_endpoints(*, session: AsyncSession, principal: Principal) -> list[WebhookPublic]:
    rows = await session.scalars(
        select(WebhookEndpoint).where(*_kept_by(principal)).order_by(col(WebhookEndpoint.created_at))
    )
    return [public(e) for e in rows.all()]


async def get(*, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    return await _own(session, principal, endpoint_id)


async def delete(*, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> None:
    endpoint = await _own(session, principal, endpoint_id, lock=True)
    endpoint.enabled, endpoint.disabled_reason = False, "deleted by the client"
    endpoint.url = ""
    endpoint.updated_at = endpoint.deleted_at = datetime.now(UTC)
    await session.flush()


async def deliveries(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, limit: int, cursor: str | None
) -> DeliveryPage:
    """The delivery log: newest first, each with its attempts."""
    endpoint = await _own(session, principal, endpoint_id)
    statement = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        statement = statement.where(col(WebhookDelivery.id) < after)
    rows = (await session.scalars(statement.order_by(col(WebhookDelivery.id).desc()).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda d: (d.id,))
    attempts: dict[int, list[AttemptPublic]] = {}
    if items:
        for attempt in (
            await session.scalars(
                select(WebhookAttempt)
                .where(col(WebhookAttempt.delivery_id).in_([d.id for d in items]))
                .order_by(col(WebhookAttempt.id))
            )
        ).all():
            attempts.setdefault(attempt.delivery_id, []).append(
                AttemptPublic.model_validate(attempt, from_attributes=True)
            )
    return DeliveryPage(
        items=[DeliveryPublic.model_validate({**d.model_dump(), "log": attempts.get(d.id or 0, [])}) for d in items],
        next_cursor=next_cursor,
    )


async def redeliver(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, delivery_id: int
) -> DeliveryPublic:
    """Put a delivery that was set aside (or failed) back in line."""
    endpoint = await _own(session, principal, endpoint_id)
    delivery = await session.scalar(
        select(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.endpoint_id) == endpoint.id)
        .with_for_update()
    )
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id} of this endpoint")
    if delivery.delivered_at is not None:
        raise Conflict("this delivery was delivered already")
    delivery.dead_at, delivery.attempts, delivery.next_attempt_at = None, 0, datetime.now(UTC)
    await session.flush()
    return DeliveryPublic.model_validate({**delivery.model_dump(), "log": []})


# -- delivering --------------------------------------------------------------------------------


_CLAIM = """
SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.aggregate_id, d.body, d.attempts, d.created_at,
       e.url, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at,
       (SELECT max(p.id) FROM webhook_delivery p
         WHERE p.endpoint_id = d.endpoint_id AND p.aggregate_id = d.aggregate_id AND p.id < d.id
           AND p.delivered_at IS NULL AND p.dead_at IS NULL) AS before_id
  FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
 WHERE d.delivered_at IS NULL AND d.dead_at IS NULL AND d.next_attempt_at <= $1 AND e.enabled
   AND NOT EXISTS (
       SELECT 1 FROM webhook_delivery p
        WHERE p.endpoint_id = d.endpoint_id AND p.aggregate_id = d.aggregate_id AND p.id < d.id
          AND p.delivered_at IS NULL AND p.dead_at IS NULL AND p.next_attempt_at > $1)
 ORDER BY d.id
 LIMIT $2
   FOR UPDATE OF d SKIP LOCKED
"""


_LOG_ATTEMPT = (
    "INSERT INTO webhook_attempt (delivery_id, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)"
)
_DELIVERED = (
    "UPDATE webhook_delivery SET delivered_at = $2, attempts = attempts + 1, last_status = $3, last_error = NULL"
    " WHERE id = $1"
)
_FAILED = (
    "UPDATE webhook_delivery SET attempts = $2, last_status = $3, last_error = $4, next_attempt_at = $5,"
    " dead_at = $6 WHERE id = $1"
)
_STREAK_RESET = "UPDATE webhook_endpoint SET failure_streak = 0 WHERE id = $1"
_STREAK_UP = "UPDATE webhook_endpoint SET failure_streak = failure_streak + 1 WHERE id = $1 RETURNING failure_streak"
_DISABLE = "UPDATE webhook_endpoint SET enabled = false, disabled_reason = $2, updated_at = $3 WHERE id = $1"


@dataclass
class DispatchResult:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: int = 0


class Dispatcher:
    """Sends due deliveries; safe with several gateway replicas (``FOR UPDATE SKIP LOCKED``), and in
    order per endpoint and aggregate (an order's events arrive as they happened)."""

    def __init__(
        self,
        *,
        pool_getter: Callable[[], asyncpg.Pool | None],
        keys: Secrets,
        allow_private: bool,
        interval: float = 1.0,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool_getter = pool_getter
        self.keys = keys
        self.allow_private = allow_private
        self.resolver = resolver
        self.clock = clock
        self._client = httpx.AsyncClient(timeout=TIMEOUT, transport=transport, follow_redirects=False)
        self.poller = Periodic(self._drain, interval=interval, name="webhook dispatcher")

    async def _drain(self) -> None:
        while sum(vars(await self.run_once()).values()) >= BATCH:
            pass

    async def run_once(self) -> DispatchResult:
        pool = self._pool_getter()
        result = DispatchResult()
        if pool is None:
            return result
        now = self.clock()
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, now, BATCH)
            sent: set[int] = set()
            disabled: set[uuid.UUID] = set()
            for row in rows:
                if row["endpoint_id"] in disabled:
                    continue
                if row["before_id"] is not None and row["before_id"] not in sent:
                    continue  # an earlier event of its aggregate failed, or another replica holds it
                status, error, took = await self.send(row, now)
                await conn.execute(_LOG_ATTEMPT, row["id"], now, status, error, took)
                if status is not None and 200 <= status < 300:
                    await conn.execute(_DELIVERED, row["id"], now, status)
                    await conn.execute(_STREAK_RESET, row["endpoint_id"])
                    sent.add(row["id"])
                    result.delivered += 1
                    continue
                streak = await conn.fetchval(_STREAK_UP, row["endpoint_id"])
                if status == 410 or streak >= FAILURES_BEFORE_DISABLE:
                    reason = "the endpoint answered 410 Gone" if status == 410 else f"{streak} failures in a row"
                    await conn.execute(_DISABLE, row["endpoint_id"], reason, now)
                    disabled.add(row["endpoint_id"])
                    result.disabled += 1
                attempts = row["attempts"] + 1
                dead = attempts >= MAX_ATTEMPTS
                retry_at = now + timedelta(seconds=backoff(attempts))
                await conn.execute(_FAILED, row["id"], attempts, status, error, retry_at, now if dead else None)
                if dead:
                    result.dead += 1
                else:
                    result.failed += 1
        return result

    async def send(self, row: Any, now: datetime) -> tuple[int | None, str | None, int]:
        """(status, error, milliseconds) of one POST to the endpoint."""
        started = time.monotonic()
        try:
            target = await vet(row["url"], allow_private=self.allow_private, resolver=self.resolver)
        except UnsafeTarget as exc:
            return None, f"refused: {exc.args[0]}", 0
        keys = [self.keys.open(row["secret_sealed"])]
        if row["previous_secret_sealed"] is not None and (row["previous_secret_expires_at"] or now) > now:
            keys.append(self.keys.open(row["previous_secret_sealed"]))
        body: bytes = row["body"]
        message_id = str(row["event_id"])
        url, host, extensions = _pinned(target)
        headers = {
            **host,
            "content-type": "application/json",
            "user-agent": "grid-platform-webhooks/1",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature_header(keys, message_id, now, body),
        }
        try:
            response = await self._client.post(url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__, int((time.monotonic() - started) * 1000)
        return response.status_code, None, int((time.monotonic() - started) * 1000)

    async def send_test(self, endpoint: WebhookEndpoint) -> tuple[int | None, str | None, int]:
        """A ``webhook.test`` message now, outside the queue: what the endpoint answered."""
        now = self.clock()
        message_id = f"test_{uuid.uuid4().hex}"
        body = (
            '{"type": "webhook.test", "timestamp": "' + now.isoformat() + '", "data": {"endpoint_id": "'
            + str(endpoint.id) + '"}}'
        ).encode()  # fmt: skip
        row = {
            "url": endpoint.url,
            "secret_sealed": endpoint.secret_sealed,
            "previous_secret_sealed": endpoint.previous_secret_sealed,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at,
            "body": body,
            "event_id": message_id,
        }
        return await self.send(row, now)

    def start(self) -> None:
        self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
        await self._client.aclose()
