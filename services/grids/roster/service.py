"""The roster: members, their bindings (what the gateway puts into tokens), the party tree and the
十联户 links of party members to households. Every read is scoped in its WHERE clause."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import Integer, String, Uuid, bindparam, delete, exists, func, select, true, tuple_
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
    MemberCreate,
    MemberPublic,
    MemberSummary,
    MemberUpdate,
    PartyOrgCreate,
    PartyOrgNode,
)
from shared import outbox
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery, nested_arrays, nested_rows
from shared.pagination import decode_cursor, page_of
from shared.places import COMMUNITY_LENGTH, GRID_LENGTH, STREET_LENGTH, community_of, is_department_code, street_of
from shared.scope import any_of
from shared.security import Principal

NOT_ON_ROSTER = "you are not on the roster of any community"
# The level of place each role is bound to, by the length of its code.
PLACE_LEVEL = {"street_admin": STREET_LENGTH, "community_staff": COMMUNITY_LENGTH, "employer": COMMUNITY_LENGTH}
# The roles held at the street itself, by its own people (who belong to no community).
STREET_ROLES = ("street_admin", "department")


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
        raise Forbidden(NOT_ON_ROSTER)
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


# -- reading (the read fast lane) -----------------------------------------------------------

_SUMMARY = tuple(col(getattr(Member, name)) for name in MemberSummary.model_fields)
_BINDING = tuple(BindingPublic.model_fields)


def _with_bindings() -> Any:
    """The member's bindings (of the enclosing query), by role and place, as one array per field."""
    order = (col(Binding.role), col(Binding.place_code))
    return nested_arrays("binding", Binding, _BINDING, order, col(Binding.member_id) == col(Member.id))


def _member_public(row: Any) -> dict[str, Any]:
    """``MemberPublic``'s fields from a row of ``_member_query``."""
    member = dict(row)
    member["bindings"] = nested_rows(member, "binding", _BINDING)
    return member


@functools.lru_cache(maxsize=64)
def _member_query(shape: access.MemberScope | None) -> PreparedQuery:
    """One member with their bindings: the caller's own (``shape`` None, by ``account_id``), or
    ``member_id`` if it is in the caller's scope."""
    bindings = _with_bindings()
    statement = select(*_SUMMARY, *bindings.c).select_from(Member).join(bindings, true())
    if shape is None:
        statement = statement.where(col(Member.account_id) == bindparam("account_id", type_=Uuid()))
    else:
        statement = statement.where(col(Member.id) == bindparam("member_id", type_=Uuid()), access.member_clause(shape))
    return PreparedQuery(statement)


async def my_member(*, lane: FastLane, principal: Principal) -> dict[str, Any]:
    """The caller's own roster entry and bindings (``MemberPublic``'s fields)."""
    account_id = principal.account_id
    rows = await lane.fetch_prepared(_member_query(None), {"account_id": account_id}) if account_id else []
    if not rows:
        raise Forbidden(NOT_ON_ROSTER)
    return _member_public(rows[0])


async def get_member(*, lane: FastLane, principal: Principal, member_id: uuid.UUID) -> dict[str, Any]:
    """A member in the caller's scope with their bindings (``MemberPublic``'s fields)."""
    shape, values = access.member_shape(principal)
    rows = await lane.fetch_found(
        _member_query(shape), {**values, "member_id": member_id}, f"no member {member_id} in your scope"
    )
    return _member_public(rows[0])


_MEMBER_FILTERS = {
    "party_org_id": lambda: col(Member.party_org_id) == bindparam("party_org_id", type_=Uuid()),
    "by_account": lambda: col(Member.account_id) == bindparam("by_account", type_=Uuid()),
    "q": lambda: col(Member.name).like(bindparam("q", type_=String()), escape="/"),
    "after": lambda: (
        tuple_(col(Member.name), col(Member.id))
        > tuple_(bindparam("after_name", type_=String()), bindparam("after_id", type_=Uuid()))
    ),
}


@functools.lru_cache(maxsize=256)
def _list_query(shape: access.MemberScope, bound: tuple[str, ...], filters: tuple[str, ...]) -> PreparedQuery:
    """One prepared statement per shape of the members list: scope, the binding asked for (``role``,
    ``grid_code``), the other filters."""
    statement = select(*_SUMMARY).where(access.member_clause(shape), *(_MEMBER_FILTERS[name]() for name in filters))
    if bound:
        binding = [col(Binding.member_id) == col(Member.id)]
        if "role" in bound:
            binding.append(col(Binding.role) == bindparam("role", type_=String()))
        if "grid_code" in bound:
            binding.append(col(Binding.grid_code) == bindparam("grid_code", type_=String()))
        statement = statement.where(exists().where(*binding))
    statement = statement.order_by(col(Member.name), col(Member.id))
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer)))


def _contains(text: str) -> str:
    """A LIKE pattern (escape character ``/``) for names containing ``text`` as it is."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


async def list_members(
    *,
    lane: FastLane,
    principal: Principal,
    role: str | None,
    grid_code: str | None,
    party_org_id: uuid.UUID | None,
    q: str | None,
    limit: int,
    cursor: str | None,
    account_id: uuid.UUID | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Members in the caller's scope by name, as rows of ``MemberSummary``'s fields."""
    shape, values = access.member_shape(principal)
    bound = tuple(name for name, value in (("role", role), ("grid_code", grid_code)) if value is not None)
    given = {"party_org_id": party_org_id, "by_account": account_id, "q": _contains(q) if q else None}
    filters = [name for name, value in given.items() if value is not None]
    values.update(given, role=role, grid_code=grid_code, limit=limit + 1)
    if cursor:
        filters.append("after")
        values["after_name"], values["after_id"] = decode_cursor(cursor, (str, uuid.UUID))
    rows = await lane.fetch_prepared(_list_query(shape, bound, tuple(filters)), values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["name"], row["id"]))
    return [dict(row) for row in items], next_cursor


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
    if member_in.community_code is None:
        street_code = await _street_member_street(session, principal, member_in.bindings)
    else:
        community = await session.get(Community, member_in.community_code)
        if community is None or not principal.manages(member_in.community_code):
            raise NotFound(f"no community {member_in.community_code} you manage")
        street_code = community.street_code
    await _check_party_org(session, member_in.party_org_id, member_in.community_code, "party_org_id")
    if member_in.account_id is not None:
        await _check_account_free(session, member_in.account_id, None)
        await _check_account_known(others, member_in.account_id)
    member = Member(
        **member_in.model_dump(exclude={"bindings"}),
        street_code=street_code,
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


async def _street_member_street(session: AsyncSession, principal: Principal, bindings: list[BindingIn]) -> str:
    """The street of a member of no community (a department's people, a street admin): the one street of
    their bindings, all of them street-level, which the caller runs as its admin."""
    streets = {street_of(b.place_code) for b in bindings}
    if not bindings or any(b.role not in STREET_ROLES for b in bindings) or len(streets) != 1:
        raise ValidationFailed.on(
            "community_code",
            "say the member's community: only a street's own people (street_admin, department) belong to none",
        )
    (street,) = streets
    if street not in principal.places_of("street_admin"):
        raise Forbidden("only the street's admins add the street's own people")
    if await session.get(Street, street) is None:
        raise NotFound(f"no street {street}")
    return street


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
        if (binding.role == "department") != is_department_code(binding.place_code):
            raise ValidationFailed.on(where, "a department (and only it) is bound to a department code (110105001D01)")
        length = PLACE_LEVEL.get(binding.role, GRID_LENGTH)
        if binding.role != "department" and len(binding.place_code) != length:
            raise ValidationFailed.on(where, f"a {binding.role} is bound to a {length}-digit place code")
        row = Binding(
            member_id=member.id,
            role=binding.role,
            place_code=binding.place_code,
            street_code=street_of(binding.place_code),
        )
        if binding.role == "department":
            # A department (职能部门) is the street's: its admins bind its people, community staff never.
            if street_of(binding.place_code) not in principal.places_of("street_admin"):
                raise Forbidden("only the street's admins bind people to its departments")
            if street_of(binding.place_code) != member.street_code:
                raise ValidationFailed.on(where, "a member is bound to departments of their own street")
            exists_row: object = await session.get(Street, street_of(binding.place_code))
        elif binding.role == "street_admin":
            if binding.place_code != member.street_code or binding.place_code not in principal.places_of(
                "street_admin"
            ):
                raise Forbidden("only a street's admins may bind street admins, in their own street")
            exists_row = await session.get(Street, binding.place_code)
        elif binding.role in ("community_staff", "employer"):
            row.community_code = binding.place_code
            exists_row = await session.get(Community, binding.place_code)
        else:
            row.community_code, row.grid_code = community_of(binding.place_code), binding.place_code
            exists_row = await session.get(Grid, binding.place_code)
        if exists_row is None:
            raise ValidationFailed.on(where, f"no place {binding.place_code}")
        if binding.role not in STREET_ROLES and community_of(binding.place_code) != member.community_code:
            raise ValidationFailed.on(where, "a member is bound to places of their own community")
        session.add(row)
    await session.flush()


# -- 十联户 ------------------------------------------------------------------------------------


_LINKED: tuple[Any, ...] = (
    col(Household.id),
    col(Household.grid_code),
    col(Household.address),
    col(Household.contact_name),  # masked in the copy: 张*
    col(Household.contact_phone),  # masked in the copy: 139****0001
    col(HouseholdLink.created_at).label("linked_at"),
    select(func.max(col(Visit.visited_at)))
    .where(col(Visit.household_id) == col(Household.id))
    .correlate(Household)
    .scalar_subquery()
    .label("last_visited_at"),
)


@functools.lru_cache(maxsize=64)
def _households_query(shape: access.MemberScope | None, after: bool) -> PreparedQuery:
    """A page of a party member's linked households: the caller's own (``shape`` None, by
    ``account_id``), or those of ``member_id`` if the member is in the caller's scope. No row at all
    when there is no such member; one row of nulls when the page is empty."""
    page = (
        select(*_LINKED)
        .join(HouseholdLink, col(HouseholdLink.household_id) == col(Household.id))
        .where(col(HouseholdLink.member_id) == col(Member.id), col(Household.removed_at).is_(None))
    )
    if after:
        page = page.where(
            tuple_(col(Household.address), col(Household.id))
            > tuple_(bindparam("after_address", type_=String()), bindparam("after_id", type_=Uuid()))
        )
    linked = (
        page.order_by(col(Household.address), col(Household.id))
        .limit(bindparam("limit", type_=Integer))
        .lateral("linked")
    )
    statement = select(*linked.c).select_from(Member).outerjoin(linked, true())
    if shape is None:
        statement = statement.where(col(Member.account_id) == bindparam("account_id", type_=Uuid()))
    else:
        statement = statement.where(col(Member.id) == bindparam("member_id", type_=Uuid()), access.member_clause(shape))
    return PreparedQuery(statement)


async def linked_households(
    *, lane: FastLane, principal: Principal, member_id: uuid.UUID | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A party member's linked households (their own with ``member_id`` None), contact data masked, as
    rows of ``LinkedHousehold``'s fields."""
    shape: access.MemberScope | None
    values: dict[str, Any]
    if member_id is None:
        shape, values = None, {"account_id": principal.account_id}
        if values["account_id"] is None:
            raise Forbidden(NOT_ON_ROSTER)
    else:
        shape, values = access.member_shape(principal)
        values["member_id"] = member_id
    values["limit"] = limit + 1
    if cursor:
        values["after_address"], values["after_id"] = decode_cursor(cursor, (str, uuid.UUID))
    rows = await lane.fetch_prepared(_households_query(shape, bool(cursor)), values)
    if not rows:
        if member_id is None:
            raise Forbidden(NOT_ON_ROSTER)
        raise NotFound(f"no member {member_id} in your scope")
    if rows[0]["id"] is None:
        return [], None
    items, next_cursor = page_of(rows, limit, lambda row: (row["address"], row["id"]))
    return [dict(row) for row in items], next_cursor


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
