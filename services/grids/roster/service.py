"""The roster: members, their bindings (what the gateway puts into tokens), the party tree and the
十联户 links of party members to households. Every read is scoped in its WHERE clause."""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid, delete, exists, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids.clients import OtherServices
from services.grids.models import (
    PARTY_LEVELS,
    Binding,
    Community,
    Grid,
    Household,
    HouseholdLink,
    Member,
    PartyOrg,
    Street,
    Visit,
    outbox_event,
)
from services.grids.roster import access
from services.grids.roster.schemas import (
    AccountBindings,
    BindingIn,
    BindingPublic,
    LinkedHousehold,
    MemberCreate,
    MemberPublic,
    MemberSummary,
    MemberUpdate,
    PartyOrgCreate,
    PartyOrgNode,
)
from shared import outbox
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.places import COMMUNITY_LENGTH, GRID_LENGTH, STREET_LENGTH, community_of, street_of
from shared.scope import any_of
from shared.security import Principal

# The level of place each role is bound to, by the length of its code.
PLACE_LEVEL = {"street_admin": STREET_LENGTH, "community_staff": COMMUNITY_LENGTH, "employer": COMMUNITY_LENGTH}


async def member_of(session: AsyncSession, principal: Principal) -> Member | None:
    """The caller's own roster entry (by the account id in their token)."""
    account_id = principal.account_id
    if account_id is None:
        return None
    member: Member | None = await session.scalar(select(Member).where(col(Member.account_id) == account_id))
    return member


async def own_member(session: AsyncSession, principal: Principal) -> Member:
    member = await member_of(session, principal)
    if member is None:
        raise Forbidden("you are not on the roster of any community")
    return member


# -- what goes into tokens -------------------------------------------------------------------


async def account_bindings(session: AsyncSession, account_id: uuid.UUID) -> AccountBindings:
    """An account's roles and the places of each; an account not on the roster has none."""
    member = await session.scalar(select(Member).where(col(Member.account_id) == account_id))
    places: dict[str, list[str]] = {}
    if member is not None:
        rows = await session.execute(
            select(col(Binding.role), col(Binding.place_code))
            .where(col(Binding.member_id) == member.id)
            .order_by(col(Binding.role), col(Binding.place_code))
        )
        for role, place in rows:
            places.setdefault(role, []).append(place)
    return AccountBindings(
        account_id=account_id, member_id=member.id if member else None, roles=sorted(places), places=places
    )


# -- who may see and manage whom -------------------------------------------------------------


async def _visible_member(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID, *, lock: bool = False
) -> Member:
    statement = select(Member).where(col(Member.id) == member_id, access.member_scope(principal))
    member = await session.scalar(statement.with_for_update() if lock else statement)
    if member is None:
        raise NotFound(f"no member {member_id} in your scope")
    return member


async def _managed_member(session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> Member:
    member = await _visible_member(session, principal, member_id, lock=True)
    if not principal.manages(member.community_code or member.street_code):
        raise Forbidden("only the community's staff or the street's admins may change its roster")
    return member


# -- members ---------------------------------------------------------------------------------


async def list_members(
    *,
    session: AsyncSession,
    principal: Principal,
    role: str | None,
    grid_code: str | None,
    party_org_id: uuid.UUID | None,
    q: str | None,
    limit: int,
    cursor: str | None,
    account_id: uuid.UUID | None = None,
) -> tuple[list[MemberSummary], str | None]:
    statement = select(Member).where(access.member_scope(principal))
    if role is not None or grid_code is not None:
        bound = [col(Binding.member_id) == col(Member.id)]
        if role is not None:
            bound.append(col(Binding.role) == role)
        if grid_code is not None:
            bound.append(col(Binding.grid_code) == grid_code)
        statement = statement.where(exists().where(*bound))
    if party_org_id is not None:
        statement = statement.where(col(Member.party_org_id) == party_org_id)
    if account_id is not None:
        statement = statement.where(col(Member.account_id) == account_id)
    if q:
        statement = statement.where(col(Member.name).contains(q, autoescape=True))
    if cursor:
        name, after = decode_cursor(cursor, (str, uuid.UUID))
        statement = statement.where(tuple_(col(Member.name), col(Member.id)) > tuple_(name, after))
    rows = (await session.scalars(statement.order_by(col(Member.name), col(Member.id)).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda m: (m.name, m.id))
    return [MemberSummary.model_validate(m, from_attributes=True) for m in items], next_cursor


async def public_member(session: AsyncSession, member: Member) -> MemberPublic:
    bindings = (
        await session.scalars(
            select(Binding)
            .where(col(Binding.member_id) == member.id)
            .order_by(col(Binding.role), col(Binding.place_code))
        )
    ).all()
    return MemberPublic.model_validate(
        {
            **member.model_dump(),
            "bindings": [BindingPublic.model_validate(b, from_attributes=True) for b in bindings],
        }
    )


async def get_member(*, session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> MemberPublic:
    return await public_member(session, await _visible_member(session, principal, member_id))


async def _check_party_org(
    session: AsyncSession, org_id: uuid.UUID | None, community_code: str | None, field: str
) -> None:
    if org_id is None:
        return
    org = await session.get(PartyOrg, org_id)
    if org is None or org.community_code not in (None, community_code):
        raise ValidationFailed.on(field, "no such party organisation in the member's community")


async def create_member(
    *, session: AsyncSession, principal: Principal, member_in: MemberCreate, others: OtherServices
) -> Member:
    community = await session.get(Community, member_in.community_code)
    if community is None or not principal.manages(member_in.community_code):
        raise NotFound(f"no community {member_in.community_code} you manage")
    await _check_party_org(session, member_in.party_org_id, member_in.community_code, "party_org_id")
    if member_in.account_id is not None:
        await _check_account_free(session, member_in.account_id, None)
        await _check_account_known(others, member_in.account_id)
    member = Member(
        **member_in.model_dump(exclude={"bindings"}),
        street_code=community.street_code,
    )
    session.add(member)
    await session.flush()
    await _set_bindings(session, principal, member, member_in.bindings, field="bindings")
    await outbox.emit(
        session,
        outbox_event,
        type="member.created",
        aggregate_id=str(member.id),
        payload={"member_id": str(member.id), "community_code": member.community_code},
    )
    return member


async def _check_account_known(others: OtherServices, account_id: uuid.UUID) -> None:
    """The account is one the gateway knows in the caller's places (asked with the caller's token),
    checked before anything is written."""
    if not await others.gateway_account(account_id):
        raise ValidationFailed.on("account_id", "no such account in your places")


async def _check_account_free(session: AsyncSession, account_id: uuid.UUID, member_id: uuid.UUID | None) -> None:
    holder = await session.scalar(select(col(Member.id)).where(col(Member.account_id) == account_id))
    if holder is not None and holder != member_id:
        raise Conflict("that account already belongs to another member")


async def update_member(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID, changes: MemberUpdate, others: OtherServices
) -> Member:
    member = await _managed_member(session, principal, member_id)
    values = changes.model_dump(exclude_unset=True)
    if "party_org_id" in values:
        await _check_party_org(session, values["party_org_id"], member.community_code, "party_org_id")
    if values.get("account_id") is not None and values["account_id"] != member.account_id:
        await _check_account_free(session, values["account_id"], member.id)
        await _check_account_known(others, values["account_id"])
    if "name" in values and values["name"] is None:
        raise ValidationFailed.on("name", "a member keeps a name")
    for key, value in values.items():
        setattr(member, key, value)
    await session.flush()
    if "account_id" in values:
        await _bindings_changed(session, member)
    return member


async def replace_bindings(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID, bindings: list[BindingIn]
) -> Member:
    member = await _managed_member(session, principal, member_id)
    await session.execute(delete(Binding).where(col(Binding.member_id) == member.id))
    await _set_bindings(session, principal, member, bindings, field="bindings")
    await _bindings_changed(session, member)
    return member


async def _bindings_changed(session: AsyncSession, member: Member) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type="member.bindings_changed",
        aggregate_id=str(member.id),
        payload={"member_id": str(member.id), "account_id": str(member.account_id) if member.account_id else None},
    )


async def _set_bindings(
    session: AsyncSession, principal: Principal, member: Member, bindings: list[BindingIn], *, field: str
) -> None:
    seen: set[tuple[str, str]] = set()
    for index, binding in enumerate(bindings):
        where = f"{field}.{index}.place_code"
        if (binding.role, binding.place_code) in seen:
            raise ValidationFailed.on(where, "the same binding twice")
        seen.add((binding.role, binding.place_code))
        length = PLACE_LEVEL.get(binding.role, GRID_LENGTH)
        if len(binding.place_code) != length:
            raise ValidationFailed.on(where, f"a {binding.role} is bound to a {length}-digit place code")
        row = Binding(
            member_id=member.id,
            role=binding.role,
            place_code=binding.place_code,
            street_code=street_of(binding.place_code),
        )
        if binding.role == "street_admin":
            if binding.place_code != member.street_code or binding.place_code not in principal.places_of(
                "street_admin"
            ):
                raise Forbidden("only a street's admins may bind street admins, in their own street")
            exists_row: object = await session.get(Street, binding.place_code)
        elif binding.role in ("community_staff", "employer"):
            row.community_code = binding.place_code
            exists_row = await session.get(Community, binding.place_code)
        else:
            row.community_code, row.grid_code = community_of(binding.place_code), binding.place_code
            exists_row = await session.get(Grid, binding.place_code)
        if exists_row is None:
            raise ValidationFailed.on(where, f"no place {binding.place_code}")
        if binding.role != "street_admin" and community_of(binding.place_code) != member.community_code:
            raise ValidationFailed.on(where, "a member is bound to places of their own community")
        session.add(row)
    await session.flush()


# -- 十联户 ------------------------------------------------------------------------------------


async def linked_households(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID | None, limit: int, cursor: str | None
) -> tuple[list[LinkedHousehold], str | None]:
    """A party member's linked households (their own with ``member_id`` None), contact data masked."""
    member = await own_member(session, principal) if member_id is None else None
    if member is None:
        assert member_id is not None
        member = await _visible_member(session, principal, member_id)
    last_visit = (
        select(func.max(col(Visit.visited_at)))
        .where(col(Visit.household_id) == col(Household.id))
        .correlate(Household)
        .scalar_subquery()
    )
    statement = (
        select(Household, col(HouseholdLink.created_at), last_visit)
        .join(HouseholdLink, col(HouseholdLink.household_id) == col(Household.id))
        .where(col(HouseholdLink.member_id) == member.id, col(Household.removed_at).is_(None))
    )
    if cursor:
        address, after = decode_cursor(cursor, (str, uuid.UUID))
        statement = statement.where(tuple_(col(Household.address), col(Household.id)) > tuple_(address, after))
    rows = (await session.execute(statement.order_by(col(Household.address), col(Household.id)).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda row: (row[0].address, row[0].id))
    return [
        LinkedHousehold(
            id=household.id,
            grid_code=household.grid_code,
            address=household.address,
            contact_name=household.contact_name,
            contact_phone=household.contact_phone,
            linked_at=linked_at,
            last_visited_at=last_visited_at,
        )
        for household, linked_at, last_visited_at in items
    ], next_cursor


async def link_household(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID, household_id: uuid.UUID
) -> bool:
    """Link a party member to a household of their community; False when the link was there already."""
    member = await _managed_member(session, principal, member_id)
    if member.party_kind is None:
        raise ValidationFailed.on("member_id", "only party members are linked to households")
    household = await session.scalar(
        select(Household).where(
            col(Household.id) == household_id,
            col(Household.community_code) == member.community_code,
            col(Household.removed_at).is_(None),
        )
    )
    if household is None:
        raise NotFound(f"no household {household_id} in the member's community")
    if await session.get(HouseholdLink, (member.id, household_id)) is not None:
        return False
    session.add(HouseholdLink(member_id=member.id, household_id=household_id))
    await session.flush()
    return True


async def unlink_household(
    *, session: AsyncSession, principal: Principal, member_id: uuid.UUID, household_id: uuid.UUID
) -> None:
    member = await _managed_member(session, principal, member_id)
    result = await session.execute(
        delete(HouseholdLink).where(
            col(HouseholdLink.member_id) == member.id, col(HouseholdLink.household_id) == household_id
        )
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"member {member_id} is not linked to household {household_id}")


# -- the party tree --------------------------------------------------------------------------


async def party_tree(*, session: AsyncSession, principal: Principal) -> list[PartyOrgNode]:
    orgs = (
        await session.scalars(select(PartyOrg).where(access.org_scope(principal)).order_by(col(PartyOrg.name)))
    ).all()
    counts = dict(
        (
            await session.execute(
                select(col(Member.party_org_id), func.count())
                .where(any_of(col(Member.party_org_id), [o.id for o in orgs], Uuid()))
                .group_by(col(Member.party_org_id))
            )
        ).all()
    )
    nodes = {
        org.id: PartyOrgNode(
            id=org.id,
            level=org.level,
            name=org.name,
            place_code=org.place_code,
            compound=org.compound,
            building=org.building,
            members=counts.get(org.id, 0),
        )
        for org in orgs
    }
    roots: list[PartyOrgNode] = []
    for org in orgs:
        parent = nodes.get(org.parent_id) if org.parent_id else None
        (parent.children if parent else roots).append(nodes[org.id])
    return roots


async def create_party_org(*, session: AsyncSession, principal: Principal, org_in: PartyOrgCreate) -> PartyOrg:
    parent = await session.scalar(
        select(PartyOrg).where(col(PartyOrg.id) == org_in.parent_id, access.org_scope(principal))
    )
    if parent is None:
        raise NotFound(f"no party organisation {org_in.parent_id} in your scope")
    level_index = PARTY_LEVELS.index(parent.level) + 1
    if level_index >= len(PARTY_LEVELS):
        raise ValidationFailed.on("parent_id", "a building party group is the lowest level")
    level = PARTY_LEVELS[level_index]
    community_code = parent.community_code
    if level == "community_org":
        if (
            org_in.community_code is None
            or street_of(org_in.community_code) != parent.street_code
            or await session.get(Community, org_in.community_code) is None
        ):
            raise ValidationFailed.on(
                "community_code", "a community party organisation needs a community of the street"
            )
        community_code = org_in.community_code
    if level == "street_committee":
        raise Forbidden("street party working committees are set up by the county")
    assert community_code is not None
    if not principal.manages(community_code):
        raise Forbidden("only the community's staff or the street's admins may change its party organisation")
    if level == "compound_branch" and not org_in.compound:
        raise ValidationFailed.on("compound", "a compound branch names its compound (小区)")
    if level == "building_group" and not org_in.building:
        raise ValidationFailed.on("building", "a building group names its building (楼栋)")
    if level == "building_group" and org_in.compound not in (None, parent.compound):
        raise ValidationFailed.on("compound", "a building group lies in its branch's compound")
    org = PartyOrg(
        parent_id=parent.id,
        level=level,
        name=org_in.name,
        place_code=community_code,
        street_code=street_of(community_code),
        community_code=community_code,
        compound=org_in.compound or parent.compound,
        building=org_in.building if level == "building_group" else None,
    )
    session.add(org)
    await session.flush()
    return org
