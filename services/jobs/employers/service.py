"""Employers and the accounts that act for them. The contact phone is kept only encrypted, with a
blind index for exact lookup, and answered masked; the clear phone comes from an audited reveal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access
from services.jobs.employers.schemas import EmployerAccountPublic, EmployerCreate, EmployerPublic, EmployerUpdate
from services.jobs.models import ContactReveal, Employer, EmployerAccount
from shared.context import current_request_id
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.pii import PiiCipher, is_mainland_mobile, mask_phone
from shared.places import street_of
from shared.security import Principal

PHONE_FIELD = "contact_phone"


def mask_name(name: str) -> str:
    """``王经理`` → ``王**``."""
    return name[:1] + "*" * (len(name) - 1)


def checked_phone(raw: str) -> str:
    """A mainland mobile number as its 11 digits (spaces, dashes and a leading +86 ignored)."""
    digits = "".join(raw.split()).replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not (digits.isascii() and is_mainland_mobile(digits)):
        raise ValidationFailed.on(PHONE_FIELD, "not a mainland mobile number (11 digits, starting 13-19)")
    return digits


def _set_phone(employer: Employer, pii: PiiCipher, raw: str | None) -> None:
    phone = checked_phone(raw) if raw is not None and raw.strip() else None
    employer.contact_phone_encrypted = pii.encrypt(phone, field=PHONE_FIELD) if phone else None
    employer.contact_phone_index = pii.blind_index(phone, field=PHONE_FIELD) if phone else None
    employer.contact_phone_masked = mask_phone(phone) if phone else None


def _scope(principal: Principal) -> Any:
    """Employers of the caller's communities or street, and an employer account's own."""
    conditions = access.area(principal, community=col(Employer.community_code), street=col(Employer.street_code))
    if (own := access.own_employers(principal)) is not None:
        conditions.append(col(Employer.id).in_(own.scalar_subquery()))
    return access.any_condition(conditions)


async def _sees_contact(session: AsyncSession, principal: Principal, employer: Employer) -> bool:
    return principal.manages(employer.community_code) or employer.id in await access.employer_ids(session, principal)


async def public_of(session: AsyncSession, principal: Principal, employer: Employer) -> EmployerPublic:
    full = await _sees_contact(session, principal, employer)
    values = employer.model_dump()
    name = employer.contact_name
    values["contact_name"] = name if full or name is None else mask_name(name)
    values["contact_phone"] = employer.contact_phone_masked
    return EmployerPublic.model_validate(values)


async def visible(
    session: AsyncSession, principal: Principal, employer_id: uuid.UUID, *, lock: bool = False
) -> Employer:
    """An employer the caller may read: any, for people signed in (employers are public, their contact
    masked); those of their street, for integration clients."""
    statement = select(Employer).where(col(Employer.id) == employer_id)
    if principal.machine:
        statement = statement.where(_scope(principal))
    employer = await session.scalar(statement.with_for_update() if lock else statement)
    if employer is None:
        raise NotFound(f"no employer {employer_id}")
    return employer


async def managed(session: AsyncSession, principal: Principal, employer_id: uuid.UUID) -> Employer:
    """An employer the caller keeps: staff of its community, admins of its street (404 outside them)."""
    areas = access.area(principal, community=col(Employer.community_code), street=col(Employer.street_code))
    employer = await session.scalar(
        select(Employer).where(col(Employer.id) == employer_id, access.any_condition(areas)).with_for_update()
    )
    if employer is None:
        raise NotFound(f"no employer {employer_id} you keep")
    return employer


async def create(
    *, session: AsyncSession, pii: PiiCipher, principal: Principal, employer_in: EmployerCreate
) -> tuple[Employer, bool]:
    """The new employer and True; with a client id sent before, the employer made then and False."""
    access.require_manager(principal, employer_in.community_code, "register employers there")
    if employer_in.id is not None and (known := await session.get(Employer, employer_in.id)) is not None:
        if not principal.manages(known.community_code):
            raise Conflict("this id belongs to another employer")
        return known, False
    employer = Employer(
        **employer_in.model_dump(exclude={"id", "contact_phone"}, exclude_none=True),
        street_code=street_of(employer_in.community_code),
    )
    if employer_in.id is not None:
        employer.id = employer_in.id
    _set_phone(employer, pii, employer_in.contact_phone)
    await _save(session, employer)
    return employer, True


async def _save(session: AsyncSession, employer: Employer) -> None:
    session.add(employer)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("the community already has an employer of this name") from exc


async def update(
    *, session: AsyncSession, pii: PiiCipher, principal: Principal, employer_id: uuid.UUID, changes: EmployerUpdate
) -> Employer:
    """Staff change their employers; an employer account changes its own."""
    statement = select(Employer).where(col(Employer.id) == employer_id, _scope(principal)).with_for_update()
    employer = await session.scalar(statement)
    if employer is None:
        raise NotFound(f"no employer {employer_id} you keep")
    if principal.machine:
        raise Forbidden("integration clients read only")
    values = changes.model_dump(exclude_unset=True)
    for required in ("name", "kind", "description"):
        if required in values and values[required] is None:
            raise ValidationFailed.on(required, "this field cannot be emptied")
    if "contact_phone" in values:
        _set_phone(employer, pii, values.pop("contact_phone"))
    for key, value in values.items():
        setattr(employer, key, value)
    employer.updated_at = datetime.now(UTC)
    await _save(session, employer)
    return employer


async def list_employers(
    *,
    session: AsyncSession,
    pii: PiiCipher,
    principal: Principal,
    q: str | None,
    kind: str | None,
    community_code: str | None,
    phone: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[EmployerPublic], str | None]:
    """Employers the caller keeps (or their own), by name; ``phone`` finds one by its contact's full
    number (blind index), ``q`` by part of its name."""
    statement = select(Employer).where(_scope(principal))
    if q:
        statement = statement.where(col(Employer.name).contains(q, autoescape=True))
    if kind:
        statement = statement.where(col(Employer.kind) == kind)
    if community_code:
        statement = statement.where(col(Employer.community_code) == community_code)
    if phone:
        statement = statement.where(
            col(Employer.contact_phone_index) == pii.blind_index(checked_phone(phone), field=PHONE_FIELD)
        )
    if cursor:
        name, after = decode_cursor(cursor, (str, uuid.UUID))
        statement = statement.where(tuple_(col(Employer.name), col(Employer.id)) > tuple_(name, after))
    rows = (await session.scalars(statement.order_by(col(Employer.name), col(Employer.id)).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda e: (e.name, e.id))
    return [await public_of(session, principal, e) for e in items], next_cursor


async def mine(*, session: AsyncSession, principal: Principal) -> Employer:
    own = access.own_employers(principal)
    employer = None
    if own is not None:
        employer = await session.scalar(select(Employer).where(col(Employer.id).in_(own.scalar_subquery())))
    if employer is None:
        raise NotFound("your account does not act for an employer yet: the community's staff link it")
    return employer


# -- accounts --------------------------------------------------------------------------------


async def link_account(
    *, session: AsyncSession, principal: Principal, employer_id: uuid.UUID, account_id: uuid.UUID
) -> bool:
    """Let an account (bound to role ``employer`` on the grids roster) act for this employer; False
    when it did already. An account acts for one employer only."""
    employer = await managed(session, principal, employer_id)
    held = await session.get(EmployerAccount, account_id, with_for_update=True)
    if held is not None:
        if held.employer_id != employer.id:
            raise Conflict("that account acts for another employer")
        return False
    session.add(EmployerAccount(account_id=account_id, employer_id=employer.id))
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("that account was just linked to an employer") from exc
    return True


async def unlink_account(
    *, session: AsyncSession, principal: Principal, employer_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    employer = await managed(session, principal, employer_id)
    result = await session.execute(
        delete(EmployerAccount).where(
            col(EmployerAccount.employer_id) == employer.id, col(EmployerAccount.account_id) == account_id
        )
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"account {account_id} does not act for employer {employer_id}")


async def accounts(
    *, session: AsyncSession, principal: Principal, employer_id: uuid.UUID
) -> list[EmployerAccountPublic]:
    employer = await managed(session, principal, employer_id)
    rows = (
        await session.scalars(
            select(EmployerAccount)
            .where(col(EmployerAccount.employer_id) == employer.id)
            .order_by(col(EmployerAccount.created_at), col(EmployerAccount.account_id))
        )
    ).all()
    return [EmployerAccountPublic.model_validate(row, from_attributes=True) for row in rows]


# -- the clear contact -------------------------------------------------------------------------


async def reveal(
    *, session: AsyncSession, pii: PiiCipher, principal: Principal, employer_id: uuid.UUID, purpose: str
) -> dict[str, str | None]:
    """The contact in clear, for the community's staff and the street's admins, with the reveal audited."""
    employer = await managed(session, principal, employer_id)
    session.add(
        ContactReveal(
            account_id=principal.sub, employer_id=employer.id, purpose=purpose, request_id=current_request_id()
        )
    )
    await session.flush()
    phone = (
        pii.decrypt(employer.contact_phone_encrypted, field=PHONE_FIELD) if employer.contact_phone_encrypted else None
    )
    return {"contact_name": employer.contact_name, "contact_phone": phone}
