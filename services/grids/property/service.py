"""Red property (红色物业): property companies (with or without a party branch, 物业党支部), who manages
each compound from when to when (a company, or the owners themselves, 业主自治自管) with the handovers
between them (新老物业交接), and the owners' committees (业主委员会) and property management committees
of compounds, their members and terms (换届). Joint meetings are in ``meetings``.

Compounds are the residents service's: a compound named in a request is looked up there with the
caller's token (``clients.OtherServices.compound``), and its id, name and community are kept on the rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, case, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import life
from services.grids.clients import CompoundFact
from services.grids.models import (
    CommitteeMember,
    CompoundManagement,
    Member,
    PropertyCommittee,
    PropertyCompany,
    outbox_event,
)
from services.grids.property import access
from services.grids.property.schemas import (
    CommitteeCreate,
    CommitteeMemberIn,
    CommitteeMemberPublic,
    CommitteePublic,
    CompanyCreate,
    CompanyPublic,
    CompanyUpdate,
    CompoundProperty,
    ManagementCreate,
    ManagementPublic,
    ReElection,
)
from shared import outbox
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.peers import ResidentHome
from shared.scope import any_of
from shared.security import Principal

C = PropertyCompany
M = CompoundManagement
K = PropertyCommittee


# -- companies -------------------------------------------------------------------------------


async def _company_public(session: AsyncSession, company: PropertyCompany) -> CompanyPublic:
    compounds = (
        await session.scalars(
            select(col(M.compound_name))
            .where(col(M.company_id) == company.id, col(M.ended_on).is_(None))
            .order_by(col(M.compound_name))
        )
    ).all()
    return CompanyPublic.model_validate(
        {**company.model_dump(), "has_party_branch": company.party_branch is not None, "compounds": list(compounds)}
    )


async def _company(session: AsyncSession, principal: Principal, company_id: uuid.UUID, *, manage: bool = False) -> C:
    company = await session.scalar(
        select(C).where(col(C.id) == company_id, access.managed(principal, C) if manage else access.scope(principal, C))
    )
    if company is None:
        raise NotFound(f"no property company {company_id} in your scope")
    return company


async def get_company(*, session: AsyncSession, principal: Principal, company_id: uuid.UUID) -> CompanyPublic:
    return await _company_public(session, await _company(session, principal, company_id))


async def list_companies(
    *, session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[CompanyPublic], str | None]:
    statement = select(C).where(access.scope(principal, C))
    if cursor:
        name, after = decode_cursor(cursor, (str, uuid.UUID))
        statement = statement.where(tuple_(col(C.name), col(C.id)) > tuple_(name, after))
    rows = (await session.scalars(statement.order_by(col(C.name), col(C.id)).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda company: (company.name, company.id))
    return [await _company_public(session, company) for company in items], next_cursor


async def _name_free(session: AsyncSession, community_code: str, name: str, company_id: uuid.UUID | None) -> None:
    holder = await session.scalar(select(col(C.id)).where(col(C.community_code) == community_code, col(C.name) == name))
    if holder is not None and holder != company_id:
        raise Conflict(f"the community has a property company named {name} already")


async def create_company(*, session: AsyncSession, principal: Principal, company_in: CompanyCreate) -> CompanyPublic:
    community = await life.managed_community(session, principal, company_in.community_code)
    await _name_free(session, community.code, company_in.name, None)
    company = C(
        name=company_in.name,
        party_branch=company_in.party_branch,
        community_code=community.code,
        street_code=community.street_code,
    )
    session.add(company)
    await session.flush()
    return await _company_public(session, company)


async def update_company(
    *, session: AsyncSession, principal: Principal, company_id: uuid.UUID, changes: CompanyUpdate
) -> CompanyPublic:
    company = await _company(session, principal, company_id, manage=True)
    values = changes.model_dump(exclude_unset=True)
    if "name" in values:
        if values["name"] is None:
            raise ValidationFailed.on("name", "a company keeps a name")
        await _name_free(session, company.community_code, values["name"], company.id)
    for field, value in values.items():
        setattr(company, field, value)
    await session.flush()
    return await _company_public(session, company)


# -- who manages a compound --------------------------------------------------------------------


async def _management_public(session: AsyncSession, rows: list[CompoundManagement]) -> list[ManagementPublic]:
    ids = sorted({row.company_id for row in rows if row.company_id})
    names: dict[uuid.UUID | None, str] = {}
    if ids:
        names.update(
            (await session.execute(select(col(C.id), col(C.name)).where(any_of(col(C.id), ids, Uuid())))).all()
        )
    return [
        ManagementPublic.model_validate({**row.model_dump(), "company_name": names.get(row.company_id)}) for row in rows
    ]


async def compound(*, session: AsyncSession, principal: Principal, compound_id: uuid.UUID) -> CompoundProperty:
    """A compound's management, now and before, and its committees in office."""
    history = (
        await session.scalars(
            select(M)
            .where(col(M.compound_id) == compound_id, access.scope(principal, M))
            .order_by(col(M.started_on).desc(), col(M.created_at).desc())
        )
    ).all()
    committees = (
        await session.scalars(
            select(K)
            .where(col(K.compound_id) == compound_id, col(K.ended_on).is_(None), access.scope(principal, K))
            .order_by(col(K.kind))
        )
    ).all()
    known = history[0] if history else committees[0] if committees else None
    if known is None:
        raise NotFound(f"no property records of compound {compound_id} in your scope")
    periods = await _management_public(session, list(history))
    return CompoundProperty(
        compound_id=compound_id,
        compound_name=known.compound_name,
        community_code=known.community_code,
        management=periods[0] if periods and periods[0].ended_on is None else None,
        history=periods,
        committees=[await _committee_public(session, committee) for committee in committees],
    )


async def hand_over(
    *, session: AsyncSession, principal: Principal, compound: CompoundFact | None, management_in: ManagementCreate
) -> ManagementPublic:
    """A compound passes to a company or to its owners (新老物业交接): the current period ends the day
    the next one starts."""
    place = access.managed_compound(principal, compound)
    company = None
    if management_in.mode == "company":
        if management_in.company_id is None:
            raise ValidationFailed.on("company_id", "say which company takes over")
        company = await session.scalar(
            select(C).where(col(C.id) == management_in.company_id, col(C.community_code) == place.community_code)
        )
        if company is None:
            raise ValidationFailed.on("company_id", "no such property company in the compound's community")
    elif management_in.company_id is not None:
        raise ValidationFailed.on("company_id", "a self-managed compound has no company")
    # One handover of a compound at a time (there is no row of the compound itself to lock).
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"compound:{place.id}"})
    current = await session.scalar(select(M).where(col(M.compound_id) == place.id, col(M.ended_on).is_(None)))
    if current is not None:
        if management_in.started_on <= current.started_on:
            raise ValidationFailed.on("started_on", "a handover comes after the current period's start")
        if current.mode == management_in.mode and current.company_id == management_in.company_id:
            raise Conflict("the compound is managed that way already")
        current.ended_on = management_in.started_on
    row = M(
        compound_id=place.id,
        compound_name=place.name,
        community_code=place.community_code,
        street_code=place.street_code,
        mode=management_in.mode,
        company_id=company.id if company else None,
        started_on=management_in.started_on,
        handover_notes=management_in.handover_notes,
        recorded_by=life.account_of(principal),
    )
    session.add(row)
    await session.flush()
    await outbox.emit(
        session,
        outbox_event,
        type="property.management_changed",
        aggregate_id=str(place.id),
        payload={
            "compound_id": str(place.id),
            "community_code": place.community_code,
            "street_code": place.street_code,
            "mode": row.mode,
            "company_id": str(row.company_id) if row.company_id else None,
            "previous_company_id": str(current.company_id) if current and current.company_id else None,
            "started_on": row.started_on.isoformat(),
        },
    )
    return (await _management_public(session, [row]))[0]


# -- committees ------------------------------------------------------------------------------


# director, then deputies, then members (the strings' own order would put deputy_director first)
_POSITION_RANK = case({"director": 0, "deputy_director": 1}, value=col(CommitteeMember.position), else_=2)


async def _committee_public(session: AsyncSession, committee: PropertyCommittee) -> CommitteePublic:
    rows = (
        await session.execute(
            select(CommitteeMember, col(Member.name))
            .outerjoin(Member, col(Member.id) == col(CommitteeMember.member_id))
            .where(col(CommitteeMember.committee_id) == committee.id)
            .order_by(_POSITION_RANK, col(CommitteeMember.id))
        )
    ).all()
    members = [CommitteeMemberPublic.model_validate({**row.model_dump(), "name": name}) for row, name in rows]
    return CommitteePublic.model_validate({**committee.model_dump(), "members": members})


async def _committee(
    session: AsyncSession, principal: Principal, committee_id: uuid.UUID, *, manage: bool = False
) -> PropertyCommittee:
    statement = select(K).where(
        col(K.id) == committee_id, access.managed(principal, K) if manage else access.scope(principal, K)
    )
    committee = await session.scalar(statement.with_for_update() if manage else statement)
    if committee is None:
        raise NotFound(f"no committee {committee_id} in your scope")
    return committee


async def get_committee(*, session: AsyncSession, principal: Principal, committee_id: uuid.UUID) -> CommitteePublic:
    return await _committee_public(session, await _committee(session, principal, committee_id))


async def list_committees(
    *,
    session: AsyncSession,
    principal: Principal,
    compound_id: uuid.UUID | None,
    kind: str | None,
    in_office: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[CommitteePublic], str | None]:
    """Committees, the latest terms first."""
    statement = select(K).where(access.scope(principal, K))
    if compound_id is not None:
        statement = statement.where(col(K.compound_id) == compound_id)
    if kind is not None:
        statement = statement.where(col(K.kind) == kind)
    if in_office:
        statement = statement.where(col(K.ended_on).is_(None))
    if cursor:
        starts, after = decode_cursor(cursor, (_day, uuid.UUID))
        statement = statement.where(tuple_(col(K.term_starts_on), col(K.id)) < tuple_(starts, after))
    rows = (
        await session.scalars(statement.order_by(col(K.term_starts_on).desc(), col(K.id).desc()).limit(limit + 1))
    ).all()
    items, next_cursor = page_of(rows, limit, lambda committee: (committee.term_starts_on.isoformat(), committee.id))
    return [await _committee_public(session, committee) for committee in items], next_cursor


def _day(value: Any) -> Any:
    return datetime.fromisoformat(str(value)).date()


async def _members(
    session: AsyncSession,
    committee: PropertyCommittee,
    members: list[CommitteeMemberIn],
    homes: dict[uuid.UUID, ResidentHome],
) -> None:
    """``homes``: where the registry says the owners named live, as it answered the caller."""
    seen: set[uuid.UUID] = set()
    for index, member_in in enumerate(members):
        where = f"members.{index}"
        if (member_in.resident_id is None) == (member_in.member_id is None):
            raise ValidationFailed.on(f"{where}.resident_id", "give a resident_id or a member_id")
        if member_in.resident_id is not None:
            home = homes.get(member_in.resident_id)
            if home is None or home.community_code != committee.community_code:
                raise ValidationFailed.on(f"{where}.resident_id", "no such resident in the compound's community")
        elif not await session.scalar(
            select(func.count()).where(
                col(Member.id) == member_in.member_id, col(Member.community_code) == committee.community_code
            )
        ):
            raise ValidationFailed.on(f"{where}.member_id", "no such member on the community's roster")
        person = member_in.resident_id or member_in.member_id
        assert person is not None
        if person in seen:
            raise ValidationFailed.on(where, "the same person twice")
        seen.add(person)
        session.add(CommitteeMember(committee_id=committee.id, **member_in.model_dump()))
    await session.flush()


def _check_term(starts: Any, ends: Any) -> None:
    if ends <= starts:
        raise ValidationFailed.on("term_ends_on", "a term ends after it starts")


async def create_committee(
    *,
    session: AsyncSession,
    principal: Principal,
    committee_in: CommitteeCreate,
    compound: CompoundFact | None,
    homes: dict[uuid.UUID, ResidentHome],
) -> CommitteePublic:
    place = access.managed_compound(principal, compound)
    _check_term(committee_in.term_starts_on, committee_in.term_ends_on)
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"committee:{place.id}"})
    if await session.scalar(
        select(func.count()).where(
            col(K.compound_id) == place.id, col(K.kind) == committee_in.kind, col(K.ended_on).is_(None)
        )
    ):
        raise Conflict("the compound has such a committee in office: re-elect it (换届) instead")
    committee = K(
        kind=committee_in.kind,
        compound_id=place.id,
        compound_name=place.name,
        community_code=place.community_code,
        street_code=place.street_code,
        name=committee_in.name,
        term_starts_on=committee_in.term_starts_on,
        term_ends_on=committee_in.term_ends_on,
    )
    session.add(committee)
    await session.flush()
    await _members(session, committee, committee_in.members, homes)
    return await _committee_public(session, committee)


async def re_elect(
    *,
    session: AsyncSession,
    principal: Principal,
    committee_id: uuid.UUID,
    election: ReElection,
    homes: dict[uuid.UUID, ResidentHome],
) -> CommitteePublic:
    """换届: the committee's term ends the day the next one starts, with its new members."""
    previous = await _committee(session, principal, committee_id, manage=True)
    if previous.ended_on is not None:
        raise Conflict("that term has ended: re-elect the committee in office")
    _check_term(election.term_starts_on, election.term_ends_on)
    if election.term_starts_on <= previous.term_starts_on:
        raise ValidationFailed.on("term_starts_on", "the next term starts after the current one did")
    previous.ended_on = election.term_starts_on
    committee = K(
        kind=previous.kind,
        compound_id=previous.compound_id,
        compound_name=previous.compound_name,
        community_code=previous.community_code,
        street_code=previous.street_code,
        name=election.name,
        term_starts_on=election.term_starts_on,
        term_ends_on=election.term_ends_on,
        previous_id=previous.id,
    )
    session.add(committee)
    await session.flush()
    await _members(session, committee, election.members, homes)
    return await _committee_public(session, committee)
