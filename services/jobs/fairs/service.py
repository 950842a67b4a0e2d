"""Job fairs (招聘会): held by a community or a whole street, with the employers taking part and, on a
fair's page, their open postings; residents sign up. Fairs are public to everyone signed in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, false, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access
from services.jobs.fairs.schemas import FairCreate, FairDetail, FairEmployerEntry, FairPublic, FairSignupPublic
from services.jobs.models import Employer, Fair, FairEmployer, FairSignup, Posting
from services.jobs.postings import service as postings
from services.jobs.postings.schemas import PostingSummary
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.places import community_of, street_of
from shared.security import Principal


def scope(principal: Principal) -> Any:
    """Every fair for people; their street's for integration clients."""
    if principal.machine:
        return access.any_condition(
            access.area(principal, community=col(Fair.community_code), street=col(Fair.street_code))
        )
    return true()


def _counted(principal: Principal) -> Any:
    employers = select(func.count()).where(col(FairEmployer.fair_id) == col(Fair.id)).correlate(Fair).scalar_subquery()
    signups = select(func.count()).where(col(FairSignup.fair_id) == col(Fair.id)).correlate(Fair).scalar_subquery()
    me = access.own_resident(principal)
    signed_up = (
        exists().where(col(FairSignup.fair_id) == col(Fair.id), col(FairSignup.resident_id) == me)
        if me is not None
        else false()
    )
    return select(Fair, employers.label("employers"), signups.label("signups"), signed_up.label("signed_up"))


def _public(row: Any) -> FairPublic:
    fair, employers, signups, signed_up = row
    return FairPublic.model_validate(
        {**fair.model_dump(), "employers": employers, "signups": signups, "signed_up": bool(signed_up)}
    )


def _may_hold(principal: Principal, fair: Fair) -> bool:
    if fair.community_code is not None:
        return principal.manages(fair.community_code)
    return fair.street_code in principal.places_of("street_admin")


async def create(*, session: AsyncSession, principal: Principal, fair_in: FairCreate) -> tuple[Fair, bool]:
    if fair_in.community_code is not None:
        street = street_of(fair_in.community_code)
        if fair_in.street_code not in (None, street):
            raise ValidationFailed.on("street_code", "not the street of the community")
    elif fair_in.street_code is not None:
        street = fair_in.street_code
    else:
        raise ValidationFailed.on("community_code", "name the community (or the street) holding the fair")
    fair = Fair(**fair_in.model_dump(exclude={"id", "street_code"}), street_code=street, created_by=principal.sub)
    if not _may_hold(principal, fair):
        raise Forbidden("only the community's staff (or the street's admins, for a street fair) hold a fair there")
    if fair_in.id is not None and (known := await session.get(Fair, fair_in.id)) is not None:
        if not _may_hold(principal, known):
            raise Conflict("this id belongs to another fair")
        return known, False
    if fair.ends_at <= fair.starts_at:
        raise ValidationFailed.on("ends_at", "a fair ends after it starts")
    if fair_in.id is not None:
        fair.id = fair_in.id
    session.add(fair)
    await session.flush()
    return fair, True


async def get_public(*, session: AsyncSession, principal: Principal, fair_id: uuid.UUID) -> FairPublic:
    row = (await session.execute(_counted(principal).where(col(Fair.id) == fair_id, scope(principal)))).first()
    if row is None:
        raise NotFound(f"no fair {fair_id}")
    return _public(row)


async def detail(*, session: AsyncSession, principal: Principal, fair_id: uuid.UUID) -> FairDetail:
    """The fair's page: every employer taking part, with its open postings."""
    fair = await get_public(session=session, principal=principal, fair_id=fair_id)
    taking_part = (
        await session.scalars(
            select(Employer)
            .join(FairEmployer, col(FairEmployer.employer_id) == col(Employer.id))
            .where(col(FairEmployer.fair_id) == fair_id)
            .order_by(col(Employer.name), col(Employer.id))
        )
    ).all()
    rows = (
        await session.execute(
            select(*postings.summary_columns())
            .join(Employer, col(Employer.id) == col(Posting.employer_id))
            .join(FairEmployer, col(FairEmployer.employer_id) == col(Posting.employer_id))
            .where(col(FairEmployer.fair_id) == fair_id, postings.taking_applications())
            .order_by(col(Posting.created_at).desc(), col(Posting.id).desc())
        )
    ).all()
    offers: dict[uuid.UUID, list[PostingSummary]] = {e.id: [] for e in taking_part}
    for row in rows:
        offers[row.employer_id].append(PostingSummary.model_validate(dict(row._mapping)))
    entries = [
        FairEmployerEntry(employer_id=e.id, name=e.name, kind=e.kind, postings=offers[e.id]) for e in taking_part
    ]
    return FairDetail.model_validate({**fair.model_dump(), "offers": entries})


async def list_fairs(
    *,
    session: AsyncSession,
    principal: Principal,
    upcoming: bool,
    community_code: str | None,
    street_code: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[FairPublic], str | None]:
    """By start, soonest first; ``upcoming``: those not over yet."""
    statement = _counted(principal).where(scope(principal))
    if upcoming:
        statement = statement.where(col(Fair.ends_at) >= func.now())
    if community_code:
        statement = statement.where(col(Fair.community_code) == community_code)
    if street_code:
        statement = statement.where(col(Fair.street_code) == street_code)
    if cursor:
        at, after = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
        statement = statement.where(tuple_(col(Fair.starts_at), col(Fair.id)) > tuple_(at, after))
    rows = (await session.execute(statement.order_by(col(Fair.starts_at), col(Fair.id)).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda row: (row[0].starts_at.isoformat(), row[0].id))
    return [_public(row) for row in items], next_cursor


async def _held(session: AsyncSession, principal: Principal, fair_id: uuid.UUID) -> Fair:
    fair = await session.scalar(select(Fair).where(col(Fair.id) == fair_id, scope(principal)))
    if fair is None:
        raise NotFound(f"no fair {fair_id}")
    if not _may_hold(principal, fair):
        raise Forbidden("only those who hold the fair change who takes part")
    return fair


async def add_employer(
    *, session: AsyncSession, principal: Principal, fair_id: uuid.UUID, employer_id: uuid.UUID
) -> bool:
    """An employer of the fair's street takes part (False: it did already)."""
    fair = await _held(session, principal, fair_id)
    employer = await session.get(Employer, employer_id)
    if employer is None:
        raise NotFound(f"no employer {employer_id}")
    if employer.street_code != fair.street_code:
        raise ValidationFailed.on("employer_id", "not an employer of the fair's street")
    inserted = await session.scalar(
        insert(FairEmployer)
        .values(fair_id=fair.id, employer_id=employer.id)
        .on_conflict_do_nothing()
        .returning(col(FairEmployer.fair_id))
    )
    return inserted is not None


async def remove_employer(
    *, session: AsyncSession, principal: Principal, fair_id: uuid.UUID, employer_id: uuid.UUID
) -> None:
    fair = await _held(session, principal, fair_id)
    result = await session.execute(
        delete(FairEmployer).where(col(FairEmployer.fair_id) == fair.id, col(FairEmployer.employer_id) == employer_id)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"employer {employer_id} does not take part in fair {fair_id}")


async def sign_up(*, session: AsyncSession, principal: Principal, fair_id: uuid.UUID) -> tuple[FairSignupPublic, bool]:
    """The calling resident signs up (True), or is signed up already (False)."""
    me = access.own_resident(principal)
    if me is None or not principal.grid_code:
        raise Forbidden("residents sign up for themselves")
    fair = await session.scalar(select(Fair).where(col(Fair.id) == fair_id, scope(principal)))
    if fair is None:
        raise NotFound(f"no fair {fair_id}")
    if await session.scalar(select(func.now() > col(Fair.ends_at)).where(col(Fair.id) == fair.id)):
        raise Conflict("the fair is over")
    inserted = await session.scalar(
        insert(FairSignup)
        .values(fair_id=fair.id, resident_id=me, community_code=community_of(principal.grid_code))
        .on_conflict_do_nothing()
        .returning(col(FairSignup.created_at))
    )
    signup = await session.get(FairSignup, (fair.id, me))
    assert signup is not None
    return FairSignupPublic.model_validate(signup, from_attributes=True), inserted is not None


async def cancel_signup(*, session: AsyncSession, principal: Principal, fair_id: uuid.UUID) -> None:
    me = access.own_resident(principal)
    result = await session.execute(
        delete(FairSignup).where(col(FairSignup.fair_id) == fair_id, col(FairSignup.resident_id) == me)
    )
    if me is None or not getattr(result, "rowcount", 0):
        raise NotFound(f"you have not signed up for fair {fair_id}")
