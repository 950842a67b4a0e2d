"""Activities (一月一主题): staff publish them; residents sign up to take part and party members and
volunteers to serve, each within a capacity and with a waiting list; people are checked in at the
venue, by staff or with the code shown there; volunteers who served earn points in the orders
service's ledger (the ``activity.volunteer_served`` event).

Every change to an activity's sign-ups first locks the activity's row, so people signing up into its
last place at the same moment are served one after the other, and a cancellation promotes the first
waiting person of the same role in the same transaction.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    false,
    func,
    null,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from services.grids import life
from services.grids.activities import access
from services.grids.activities.schemas import (
    ActivityCreate,
    ActivityPublic,
    ActivityUpdate,
    SignupCreate,
    SignupPublic,
)
from services.grids.models import Activity, ActivitySignup, Member, PartyOrg, VolunteerTeam, outbox_event
from shared import outbox
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.peers import ResidentHome
from shared.places import community_of
from shared.scope import ScopeParts, scope_values
from shared.security import Principal

# Who may serve as a volunteer: people of the roster bound to a grid of the activity's community.
VOLUNTEER_ROLES = ("party_member", "volunteer", "grid_worker", "building_head")
MAX_LENGTH = timedelta(days=7)

S = ActivitySignup


def _counts() -> Any:
    """Per activity: confirmed participants and volunteers, people waiting, people checked in."""
    return (
        select(
            func.count().filter(col(S.role) == "participant", col(S.state) == "confirmed").label("participants"),
            func.count().filter(col(S.role) == "volunteer", col(S.state) == "confirmed").label("volunteers"),
            func.count().filter(col(S.state) == "waiting").label("waiting"),
            func.count().filter(col(S.checked_in_at).is_not(None)).label("checked_in"),
        )
        .where(col(S.activity_id) == col(Activity.id))
        .lateral("counts")
    )


async def visible(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, *, lock: bool = False, manage: bool = False
) -> Activity:
    statement = select(Activity).where(
        col(Activity.id) == activity_id, access.manage(principal) if manage else access.scope(principal)
    )
    activity = await session.scalar(statement.with_for_update() if lock else statement)
    if activity is None:
        raise NotFound(f"no activity {activity_id} in your scope")
    return activity


async def _public(session: AsyncSession, activity: Activity) -> ActivityPublic:
    counts = _counts()
    row = (
        await session.execute(
            select(counts).select_from(Activity).join(counts, true()).where(col(Activity.id) == activity.id)
        )
    ).one()
    return ActivityPublic.model_validate({**activity.model_dump(), **row._mapping})


def mine(principal: Principal) -> ColumnElement[bool]:
    """The caller's own sign-ups: by account, or as the resident their token names."""
    conditions = []
    if (account_id := principal.account_id) is not None:
        conditions.append(col(S.account_id) == account_id)
    if principal.has_role("resident") and (resident_id := _uuid(principal.resident_id or "")) is not None:
        conditions.append(col(S.resident_id) == resident_id)
    return or_(*conditions) if conditions else false()


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def signup_public(signup: ActivitySignup, position: int | None) -> SignupPublic:
    return SignupPublic.model_validate(
        {**signup.model_dump(), "position": position if signup.state == "waiting" else None}
    )


async def _with_position(session: AsyncSession, signup: ActivitySignup) -> SignupPublic:
    position = None
    if signup.state == "waiting":
        position = await session.scalar(
            select(func.count()).where(
                col(S.activity_id) == signup.activity_id,
                col(S.role) == signup.role,
                col(S.state) == "waiting",
                tuple_(col(S.queued_at), col(S.id)) <= tuple_(signup.queued_at, signup.id),
            )
        )
    return signup_public(signup, position)


# -- reading (the read fast lane) -----------------------------------------------------------

# ActivityPublic's fields of the activity itself (the counts come from ``_counts``), and SignupPublic's
# fields but ``position`` (``_position``).
_ACTIVITY = tuple(col(getattr(Activity, name)) for name in ActivityPublic.model_fields if name in Activity.model_fields)
_COUNTS = ("participants", "volunteers", "waiting", "checked_in")
_SIGNUP_FIELDS = tuple(name for name in SignupPublic.model_fields if name != "position")


def _position(signup: Any) -> Any:
    """A waiting sign-up's place on its waiting list (1 is next); null for the others."""
    other = aliased(S, name="queued")
    ahead = (
        select(func.count())
        .select_from(other)
        .where(
            col(other.activity_id) == signup.activity_id,
            col(other.role) == signup.role,
            col(other.state) == "waiting",
            tuple_(col(other.queued_at), col(other.id)) <= tuple_(signup.queued_at, signup.id),
        )
        .scalar_subquery()
    )
    return case((signup.state == "waiting", ahead), else_=null()).label("position")


def _signups_of_activity(*conditions: Any) -> Any:
    """The sign-ups of the activity of the enclosing query, with their place on the waiting lists."""
    return select(*(col(getattr(S, name)) for name in _SIGNUP_FIELDS), _position(S)).where(
        col(S.activity_id) == col(Activity.id), *conditions
    )


def _mine(parts: tuple[str, ...]) -> ColumnElement[bool]:
    """The caller's own sign-ups (``mine``) with named parameters: by account ("account", ``account_id``),
    or as the resident their token names ("resident", ``resident_id``)."""
    conditions = []
    if "account" in parts:
        conditions.append(col(S.account_id) == bindparam("account_id", type_=Uuid()))
    if "resident" in parts:
        conditions.append(col(S.resident_id) == bindparam("resident_id", type_=Uuid()))
    return or_(*conditions) if conditions else false()


def _mine_values(principal: Principal) -> tuple[tuple[str, ...], dict[str, Any]]:
    parts: list[str] = []
    values: dict[str, Any] = {}
    if (account_id := principal.account_id) is not None:
        parts.append("account")
        values["account_id"] = account_id
    if principal.has_role("resident") and (resident_id := _uuid(principal.resident_id or "")) is not None:
        parts.append("resident")
        values["resident_id"] = resident_id
    return tuple(parts), values


def _scope(shape: life.LifeScope) -> ColumnElement[bool]:
    return life.community_clause(shape, street=col(Activity.street_code), community=col(Activity.community_code))


_ID = bindparam("activity_id", type_=Uuid())


@functools.lru_cache(maxsize=128)
def _one_query(shape: life.LifeScope, mine_parts: tuple[str, ...]) -> PreparedQuery:
    """One activity in the caller's scope, its counts, and the caller's own sign-up as ``my_*`` columns."""
    counts = _counts()
    own = _signups_of_activity(_mine(mine_parts)).limit(1).lateral("own")
    statement = (
        select(*_ACTIVITY, *(counts.c[name] for name in _COUNTS), *(c.label(f"my_{c.name}") for c in own.c))
        .select_from(Activity)
        .join(counts, true())
        .outerjoin(own, true())
        .where(col(Activity.id) == _ID, _scope(shape))
    )
    return PreparedQuery(statement)


async def get(*, lane: FastLane, principal: Principal, activity_id: uuid.UUID) -> dict[str, Any]:
    """``ActivityDetail``'s fields: the activity, its counts and the caller's own sign-up."""
    shape, values = life.community_shape(principal)
    mine_parts, mine_values = _mine_values(principal)
    rows = await lane.fetch_prepared(
        _one_query(shape, mine_parts), {**values, **mine_values, "activity_id": activity_id}
    )
    if not rows:
        raise NotFound(f"no activity {activity_id} in your scope")
    detail = dict(rows[0])
    own = {name: detail.pop(f"my_{name}") for name in (*_SIGNUP_FIELDS, "position")}
    detail["my_signup"] = own if own["id"] is not None else None
    return detail


_LIST_FILTERS = {
    "month": lambda: and_(
        col(Activity.starts_at) >= bindparam("month_start", type_=DateTime(timezone=True)),
        col(Activity.starts_at) < bindparam("month_end", type_=DateTime(timezone=True)),
    ),
    "kind": lambda: col(Activity.kind) == bindparam("kind", type_=String()),
    "state": lambda: col(Activity.state) == bindparam("state", type_=String()),
    "community_code": lambda: col(Activity.community_code) == bindparam("community_code", type_=String()),
    "open": lambda: and_(
        col(Activity.state) == "published", col(Activity.ends_at) > bindparam("now", type_=DateTime(timezone=True))
    ),
    "after": lambda: (
        tuple_(col(Activity.starts_at), col(Activity.id))
        > tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid()))
    ),
}


@functools.lru_cache(maxsize=256)
def _list_query(shape: life.LifeScope, filters: tuple[str, ...]) -> PreparedQuery:
    """One prepared statement per shape of the activities list (scope parts, filters given)."""
    counts = _counts()
    statement = (
        select(*_ACTIVITY, *(counts.c[name] for name in _COUNTS))
        .select_from(Activity)
        .join(counts, true())
        .where(_scope(shape), *(_LIST_FILTERS[name]() for name in filters))
        .order_by(col(Activity.starts_at), col(Activity.id))
    )
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer)))


async def list_activities(
    *,
    lane: FastLane,
    principal: Principal,
    month: str | None,
    kind: str | None,
    state: str | None,
    open_only: bool,
    community_code: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Activities of the caller's communities, by start time, as rows of ``ActivityPublic``'s fields."""
    shape, values = life.community_shape(principal)
    given = {"kind": kind, "state": state, "community_code": community_code}
    filters = [name for name, value in given.items() if value is not None]
    values.update(given, limit=limit + 1)
    if month is not None:
        filters.append("month")
        values["month_start"], values["month_end"] = life.month_bounds(month)
    if open_only:
        filters.append("open")
        values["now"] = life.now()
    if cursor:
        filters.append("after")
        values["after_at"], values["after_id"] = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
    rows = await lane.fetch_prepared(_list_query(shape, tuple(filters)), values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["starts_at"].isoformat(), row["id"]))
    return [dict(row) for row in items], next_cursor


async def check_in_code(*, session: AsyncSession, principal: Principal, activity_id: uuid.UUID) -> str:
    """The code to show at the venue: for the staff who run the activity only."""
    activity = await visible(session, principal, activity_id, manage=True)
    return activity.check_in_code


_SIGNUP_FILTERS = {
    "role": lambda: col(S.role) == bindparam("role", type_=String()),
    "state": lambda: col(S.state) == bindparam("state", type_=String()),
    "after": lambda: (
        tuple_(col(S.queued_at), col(S.id))
        > tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid()))
    ),
}


@functools.lru_cache(maxsize=128)
def _signups_query(managed: ScopeParts, filters: tuple[str, ...]) -> PreparedQuery:
    """A page of an activity's sign-ups, if the caller runs the activity: no row at all when they do not
    (404), one row of nulls when the page is empty."""
    page = (
        _signups_of_activity(*(_SIGNUP_FILTERS[name]() for name in filters))
        .order_by(col(S.queued_at), col(S.id))
        .limit(bindparam("limit", type_=Integer))
        .lateral("page")
    )
    manages = life.manage_clause(managed, street=col(Activity.street_code), community=col(Activity.community_code))
    statement = select(*page.c).select_from(Activity).outerjoin(page, true()).where(col(Activity.id) == _ID, manages)
    return PreparedQuery(statement)


async def list_signups(
    *,
    lane: FastLane,
    principal: Principal,
    activity_id: uuid.UUID,
    role: str | None,
    state: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Attendance, for the staff who run the activity: every sign-up in the order it came, as rows of
    ``SignupPublic``'s fields."""
    _, values = scope_values(principal)
    given = {"role": role, "state": state}
    filters = [name for name, value in given.items() if value is not None]
    values.update(given, activity_id=activity_id, limit=limit + 1)
    if cursor:
        filters.append("after")
        values["after_at"], values["after_id"] = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
    rows = await lane.fetch_found(
        _signups_query(life.manage_parts(principal), tuple(filters)), values, f"no activity {activity_id} in your scope"
    )
    if rows[0]["id"] is None:
        return [], None
    items, next_cursor = page_of(rows, limit, lambda row: (row["queued_at"].isoformat(), row["id"]))
    return [dict(row) for row in items], next_cursor


# -- publishing ------------------------------------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationFailed.on("ends_at", "an activity ends after it starts")
    if ends_at - starts_at > MAX_LENGTH:
        raise ValidationFailed.on("ends_at", "an activity lasts a week at most")


async def _organiser(
    session: AsyncSession, community_code: str, community_name: str, kind: str, organiser_id: uuid.UUID | None
) -> str:
    """The organiser's name, once its id is found in the community."""
    if kind == "community":
        if organiser_id is not None:
            raise ValidationFailed.on("organiser_id", "the community organises it itself: no organiser id")
        return community_name
    if organiser_id is None:
        raise ValidationFailed.on("organiser_id", f"say which {kind.replace('_', ' ')} organises it")
    name: str | None
    if kind == "party_org":
        name = await session.scalar(
            select(col(PartyOrg.name)).where(
                col(PartyOrg.id) == organiser_id, col(PartyOrg.community_code) == community_code
            )
        )
    elif kind == "volunteer_team":
        name = await session.scalar(
            select(col(VolunteerTeam.name)).where(
                col(VolunteerTeam.id) == organiser_id, col(VolunteerTeam.community_code) == community_code
            )
        )
    else:
        name = await session.scalar(
            select(col(Member.name)).where(
                col(Member.id) == organiser_id, col(Member.community_code) == community_code, col(Member.is_unit)
            )
        )
    if name is None:
        raise ValidationFailed.on("organiser_id", f"no such {kind.replace('_', ' ')} in the community")
    return name


async def create(*, session: AsyncSession, principal: Principal, activity_in: ActivityCreate) -> ActivityPublic:
    community = await life.managed_community(session, principal, activity_in.community_code)
    _check_times(activity_in.starts_at, activity_in.ends_at)
    if activity_in.grid_code is not None:
        await life.grid_of_community(session, activity_in.grid_code, community.code, "grid_code")
    organiser_name = await _organiser(
        session, community.code, community.name, activity_in.organiser_kind, activity_in.organiser_id
    )
    activity = Activity(
        **activity_in.model_dump(exclude={"community_code"}),
        community_code=community.code,
        street_code=community.street_code,
        organiser_name=organiser_name,
        check_in_code=f"{secrets.randbelow(1_000_000):06d}",
        created_by=life.account_of(principal),
    )
    session.add(activity)
    await session.flush()
    await _emit(
        session, activity, "activity.published", {"starts_at": activity.starts_at.isoformat(), "kind": activity.kind}
    )
    return await _public(session, activity)


async def update(
    *, session: AsyncSession, principal: Principal, activity_id: uuid.UUID, changes: ActivityUpdate
) -> ActivityPublic:
    activity = await visible(session, principal, activity_id, lock=True, manage=True)
    if activity.state == "cancelled":
        raise Conflict("the activity was cancelled", extra={"state": activity.state})
    values = changes.model_dump(exclude_unset=True)
    for field, value in values.items():
        if value is None:
            raise ValidationFailed.on(field, "give a value, or leave the field out")
    _check_times(values.get("starts_at", activity.starts_at), values.get("ends_at", activity.ends_at))
    for role, field in (("participant", "capacity"), ("volunteer", "volunteer_capacity")):
        if field in values and values[field] < await _confirmed(session, activity.id, role):
            raise ValidationFailed.on(field, "fewer places than people already confirmed: cancel some first")
    for field, value in values.items():
        setattr(activity, field, value)
    await session.flush()
    for role in ("participant", "volunteer"):
        await _promote(session, activity, role)
    await _emit(session, activity, "activity.updated", {"fields": sorted(values)})
    return await _public(session, activity)


async def cancel(*, session: AsyncSession, principal: Principal, activity_id: uuid.UUID) -> ActivityPublic:
    """Call the activity off; its sign-ups stay, so people can see that it was cancelled."""
    activity = await visible(session, principal, activity_id, lock=True, manage=True)
    if activity.state != "cancelled":
        if any(
            await session.scalars(
                select(col(S.id)).where(col(S.activity_id) == activity.id, col(S.checked_in_at).is_not(None)).limit(1)
            )
        ):
            raise Conflict("people were checked in already: the activity took place")
        activity.state = "cancelled"
        await session.flush()
        await _emit(session, activity, "activity.cancelled", {})
    return await _public(session, activity)


# -- signing up and cancelling ---------------------------------------------------------------


async def _confirmed(session: AsyncSession, activity_id: uuid.UUID, role: str) -> int:
    count: int = (
        await session.scalar(
            select(func.count()).where(
                col(S.activity_id) == activity_id, col(S.role) == role, col(S.state) == "confirmed"
            )
        )
        or 0
    )
    return count


def _capacity(activity: Activity, role: str) -> int:
    return activity.capacity if role == "participant" else activity.volunteer_capacity


async def _promote(session: AsyncSession, activity: Activity, role: str) -> list[ActivitySignup]:
    """Give free places to the first people waiting for them (the activity's row is locked)."""
    free = _capacity(activity, role) - await _confirmed(session, activity.id, role)
    if free <= 0:
        return []
    waiting = (
        await session.scalars(
            select(S)
            .where(col(S.activity_id) == activity.id, col(S.role) == role, col(S.state) == "waiting")
            .order_by(col(S.queued_at), col(S.id))
            .limit(free)
        )
    ).all()
    at = life.now()
    for signup in waiting:
        signup.state, signup.confirmed_at = "confirmed", at
        await emit_signup(session, activity, signup, "activity.signup_promoted")
    await session.flush()
    return list(waiting)


def _open_for_signups(activity: Activity) -> None:
    if activity.state != "published":
        raise Conflict("the activity was cancelled", extra={"state": activity.state})
    if life.now() >= activity.starts_at:
        raise Conflict("the activity has begun: sign-ups are closed")


async def sign_up(
    *,
    session: AsyncSession,
    principal: Principal,
    activity_id: uuid.UUID,
    signup_in: SignupCreate,
    home: ResidentHome | None,
) -> tuple[SignupPublic, bool]:
    """Sign up (a place, or a place on the waiting list); False when the person was signed up already.
    ``home``: where the resident named by staff or a grid worker lives, as the registry told them."""
    activity = await visible(session, principal, activity_id, lock=True)
    _open_for_signups(activity)
    me = life.account_of(principal)
    values: dict[str, Any] = {"role": signup_in.role, "signed_up_by": me}
    if signup_in.role == "volunteer":
        if signup_in.resident_id is not None:
            raise ValidationFailed.on("resident_id", "volunteers sign up themselves")
        grids = [
            code
            for role in VOLUNTEER_ROLES
            for code in principal.places_of(role)
            if community_of(code) == activity.community_code
        ]
        if not grids:
            raise Forbidden("only party members and volunteers of the community serve at its activities")
        if activity.volunteer_capacity == 0:
            raise ValidationFailed.on("role", "this activity wants no volunteers")
        values.update(account_id=me, resident_id=None, name=principal.name, grid_code=grids[0])
        same_person = col(S.account_id) == me
    elif home is not None:
        if home.community_code != activity.community_code:
            raise ValidationFailed.on("resident_id", "the resident does not live in the activity's community")
        values.update(account_id=None, resident_id=home.resident_id, name=None, grid_code=home.grid_code)
        same_person = col(S.resident_id) == home.resident_id
    else:
        resident_id = _uuid(principal.resident_id or "")
        if (
            resident_id is None
            or not principal.has_role("resident")
            or community_of(principal.grid_code or "") != activity.community_code
        ):
            raise Forbidden("only residents of the community take part (staff may sign a resident up)")
        values.update(account_id=me, resident_id=resident_id, name=None, grid_code=principal.grid_code)
        same_person = or_(col(S.account_id) == me, col(S.resident_id) == resident_id)
    signup = await session.scalar(select(S).where(col(S.activity_id) == activity.id, same_person).limit(1))
    if signup is not None and signup.state != "cancelled":
        return await _with_position(session, signup), False
    at = life.now()
    full = await _confirmed(session, activity.id, signup_in.role) >= _capacity(activity, signup_in.role)
    values.update(
        state="waiting" if full else "confirmed",
        queued_at=at,
        confirmed_at=None if full else at,
        cancelled_at=None,
    )
    if signup is None:
        signup = S(activity_id=activity.id, **values)
        session.add(signup)
    else:
        if signup.account_id is not None:
            values["account_id"] = signup.account_id
        for field, value in values.items():
            setattr(signup, field, value)
    await session.flush()
    await emit_signup(session, activity, signup, "activity.signed_up")
    return await _with_position(session, signup), True


def _own_or_managed(principal: Principal, activity: Activity) -> ColumnElement[bool]:
    """Sign-ups the caller may change: their own, those they made for a resident, and all of an
    activity they run."""
    if principal.manages(activity.community_code):
        return true()
    me = life.account_of(principal)
    return or_(mine(principal), col(S.signed_up_by) == me)


async def cancel_signup(
    *, session: AsyncSession, principal: Principal, activity_id: uuid.UUID, signup_id: uuid.UUID
) -> SignupPublic:
    activity = await visible(session, principal, activity_id, lock=True)
    signup = await session.scalar(
        select(S).where(col(S.id) == signup_id, col(S.activity_id) == activity.id, _own_or_managed(principal, activity))
    )
    if signup is None:
        raise NotFound(f"no sign-up {signup_id} of yours on this activity")
    if signup.state == "cancelled":
        return signup_public(signup, None)
    if signup.checked_in_at is not None:
        raise Conflict("checked in already: the sign-up stands")
    if life.now() >= activity.starts_at:
        raise Conflict("the activity has begun")
    had_place = signup.state == "confirmed"
    signup.state, signup.cancelled_at = "cancelled", life.now()
    await session.flush()
    await emit_signup(session, activity, signup, "activity.signup_cancelled")
    if had_place:
        await _promote(session, activity, signup.role)
    return signup_public(signup, None)


# -- events (ids, codes and states only) -----------------------------------------------------


async def _emit(session: AsyncSession, activity: Activity, type: str, extra: dict[str, Any]) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type=type,
        aggregate_id=str(activity.id),
        payload={
            "activity_id": str(activity.id),
            "community_code": activity.community_code,
            "street_code": activity.street_code,
            **extra,
        },
    )


async def emit_signup(
    session: AsyncSession, activity: Activity, signup: ActivitySignup, type: str, **extra: Any
) -> None:
    await _emit(
        session,
        activity,
        type,
        {
            "signup_id": str(signup.id),
            "role": signup.role,
            "state": signup.state,
            "account_id": str(signup.account_id) if signup.account_id else None,
            "resident_id": str(signup.resident_id) if signup.resident_id else None,
            "grid_code": signup.grid_code,
            **extra,
        },
    )
