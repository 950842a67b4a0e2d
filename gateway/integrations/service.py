"""Integration clients: created, rotated, disabled, enabled and deleted by the admins of their street,
each act audited in its transaction; and the check of a client's credentials for the token grant."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway import audit
from gateway.auth import passwords
from gateway.context import GatewayContext
from gateway.integrations.access import in_scope, streets_of
from gateway.integrations.schemas import ClientCreate, ClientCreated, ClientPage, ClientPublic
from gateway.models import IntegrationClient, WebhookEndpoint
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.security import Principal

# After a rotation the previous secret keeps working this long, so the street's system can switch over.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)


def _subject(client_id: str) -> str:
    """The ``sub`` of the client's tokens, as the revocation list names it."""
    return f"client:{client_id}"


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def public(client: IntegrationClient) -> ClientPublic:
    return ClientPublic(
        client_id=client.client_id,
        name=client.name,
        street_code=client.street_code,
        scopes=client.scopes.split(),
        enabled=client.enabled,
        created_at=client.created_at,
        rotated_at=client.rotated_at,
        previous_secret_expires_at=client.previous_secret_expires_at,
        disabled_at=client.disabled_at,
    )


def _with_secret(client: IntegrationClient, secret: str) -> ClientCreated:
    return ClientCreated(**public(client).model_dump(), client_secret=secret)


def _street(principal: Principal, wanted: str | None) -> str:
    streets = streets_of(principal)
    if wanted is None:
        if len(streets) != 1:
            raise ValidationFailed.on("street_code", "required: you administer more than one street")
        return streets[0]
    if wanted not in streets:
        raise Forbidden("you are not an admin of this street")
    return wanted


async def create(*, session: AsyncSession, principal: Principal, client_in: ClientCreate) -> ClientCreated:
    street = _street(principal, client_in.street_code)
    secret = _new_secret()
    client = IntegrationClient(
        client_id="c_" + secrets.token_urlsafe(12),
        secret_hash=await passwords.hash_in_thread(secret),
        name=client_in.name,
        street_code=street,
        scopes=" ".join(client_in.scopes),
        created_by=principal.sub,
    )
    session.add(client)
    await session.flush()
    await _audit(session, principal, "client.created", client, ["name", "scopes", "street_code"])
    return _with_secret(client, secret)


async def list_clients(*, session: AsyncSession, principal: Principal, limit: int, cursor: str | None) -> ClientPage:
    """Newest first, keyset by (created_at, client_id)."""
    statement = select(IntegrationClient).where(in_scope(principal))
    if cursor:
        at, after = decode_cursor(cursor, (datetime.fromisoformat, str))
        statement = statement.where(
            tuple_(col(IntegrationClient.created_at), col(IntegrationClient.client_id)) < tuple_(at, after)
        )
    statement = statement.order_by(col(IntegrationClient.created_at).desc(), col(IntegrationClient.client_id).desc())
    rows = (await session.scalars(statement.limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda c: (c.created_at.isoformat(), c.client_id))
    return ClientPage(items=[public(c) for c in items], next_cursor=next_cursor)


async def get(*, session: AsyncSession, principal: Principal, client_id: str, lock: bool = False) -> IntegrationClient:
    """A client of the caller's streets, not deleted; any other answers 404, whether or not it exists."""
    statement = select(IntegrationClient).where(col(IntegrationClient.client_id) == client_id, in_scope(principal))
    client = await session.scalar(statement.with_for_update() if lock else statement)
    if client is None:
        raise NotFound(f"no integration client {client_id} in your streets")
    return client


async def rotate(*, session: AsyncSession, principal: Principal, client_id: str) -> ClientCreated:
    """A new secret; the one it replaces keeps working for a day (one before that stops now)."""
    client = await get(session=session, principal=principal, client_id=client_id, lock=True)
    secret = _new_secret()
    now = datetime.now(UTC)
    client.previous_secret_hash = client.secret_hash
    client.previous_secret_expires_at = now + PREVIOUS_SECRET_GRACE
    client.secret_hash = await passwords.hash_in_thread(secret)
    client.rotated_at = now
    await session.flush()
    await _audit(session, principal, "client.rotated", client, ["client_secret"])
    return _with_secret(client, secret)


async def set_enabled(
    *, session: AsyncSession, context: GatewayContext, principal: Principal, client_id: str, enabled: bool
) -> IntegrationClient:
    """A disabled client gets no token, and its live tokens stop: at once on this replica, on the others
    within a second, at the services when they next poll the revocation list."""
    client = await get(session=session, principal=principal, client_id=client_id, lock=True)
    if client.enabled != enabled:
        client.enabled = enabled
        client.disabled_at = None if enabled else datetime.now(UTC)
        await session.flush()
        await _audit(session, principal, "client.enabled" if enabled else "client.disabled", client, ["enabled"])
    if enabled:
        context.disabled.discard(_subject(client.client_id))
    else:
        context.disabled.add(_subject(client.client_id))
    return client


async def delete(*, session: AsyncSession, context: GatewayContext, principal: Principal, client_id: str) -> None:
    """Kept as a row (its audit and webhook endpoints name it) that never signs in again and is never
    listed; its tokens stop as a disabled client's do, and its webhook endpoints are disabled."""
    client = await get(session=session, principal=principal, client_id=client_id, lock=True)
    now = datetime.now(UTC)
    client.deleted_at = now
    client.enabled = False
    client.disabled_at = client.disabled_at or now
    await session.execute(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.client_id) == client.client_id, col(WebhookEndpoint.enabled))
        .values(enabled=False, disabled_reason="client deleted", updated_at=now)
    )
    await session.flush()
    await _audit(session, principal, "client.deleted", client, ["deleted_at", "enabled"])
    context.disabled.add(_subject(client.client_id))


async def authenticate(*, session: AsyncSession, client_id: str, client_secret: str) -> IntegrationClient | None:
    """The client, when the secret is its current one, or the previous one before that expires, and it
    is enabled and not deleted; else None. An unknown client costs one hash check all the same."""
    client = await session.get(IntegrationClient, client_id)
    ok = await passwords.verify_password(client.secret_hash if client else None, client_secret)
    if client is None:
        return None
    if not ok and client.previous_secret_hash and client.previous_secret_expires_at:
        if client.previous_secret_expires_at > datetime.now(UTC):
            ok = await passwords.verify_password(client.previous_secret_hash, client_secret)
    if not ok or not client.enabled or client.deleted_at is not None:
        return None
    return client


async def _audit(
    session: AsyncSession, principal: Principal, action: str, client: IntegrationClient, changed: list[str]
) -> None:
    await audit.record(
        session,
        principal=principal,
        action=action,
        target_type="client",
        target_id=client.client_id,
        place_code=client.street_code,
        changed=changed,
    )
