"""The vault: a resident's clear ID number or phone for a stated purpose, every reveal audited first."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.residents.models import RevealAudit
from services.residents.registry import service as registry
from services.residents.vault.access import audit_scope, may_reveal
from services.residents.vault.schemas import RevealRecord
from shared.context import current_request_id
from shared.errors import Forbidden
from shared.pagination import decode_cursor, page_of
from shared.pii import PiiCipher
from shared.security import Principal


async def reveal(
    *,
    session: AsyncSession,
    pii: PiiCipher,
    principal: Principal,
    resident_id: uuid.UUID,
    fields: list[str],
    purpose: str,
) -> dict[str, str | None]:
    resident = await registry.get(session=session, principal=principal, resident_id=resident_id)
    role = may_reveal(principal, resident)
    if role is None:
        raise Forbidden("only the community's staff or the grid's worker may reveal personal data")
    wanted = sorted(set(fields))
    session.add(
        RevealAudit(
            account_id=principal.sub,
            role=role,
            resident_id=resident.id,
            fields=wanted,
            purpose=purpose,
            request_id=current_request_id(),
            community_code=resident.community_code,
            street_code=resident.street_code,
        )
    )
    await session.flush()
    revealed: dict[str, str | None] = {}
    if registry.ID_FIELD in wanted:
        revealed[registry.ID_FIELD] = pii.decrypt(resident.id_number_encrypted, field=registry.ID_FIELD)
    if registry.PHONE_FIELD in wanted:
        revealed[registry.PHONE_FIELD] = (
            pii.decrypt(resident.phone_encrypted, field=registry.PHONE_FIELD) if resident.phone_encrypted else None
        )
    return revealed


async def reveal_audit(
    *, session: AsyncSession, principal: Principal, resident_id: uuid.UUID | None, limit: int, cursor: str | None
) -> tuple[list[RevealRecord], str | None]:
    """The audit of the caller's communities (staff) or streets (admins), newest first."""
    statement = select(RevealAudit).where(audit_scope(principal))
    if resident_id is not None:
        statement = statement.where(col(RevealAudit.resident_id) == resident_id)
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        statement = statement.where(col(RevealAudit.id) < after)
    rows = (await session.scalars(statement.order_by(col(RevealAudit.id).desc()).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda r: (r.id,))
    return [RevealRecord.model_validate(r, from_attributes=True) for r in items], next_cursor
