"""Visits (走访): recorded offline by grid workers and party members and synced in batches, their
photos, and coverage per grid. Who may record and who may see is part of every query."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    Integer,
    String,
    Uuid,
    any_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    true,
    tuple_,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids.models import Grid, Household, HouseholdLink, Member, Visit, VisitPhoto, outbox_event
from services.grids.roster import service as roster
from services.grids.visits import access
from services.grids.visits.schemas import (
    CoverageReport,
    GridCoverage,
    PhotoPublic,
    VisitIn,
    VisitPublic,
    VisitResult,
)
from shared import outbox, photos
from shared.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery, nested_arrays, nested_rows
from shared.pagination import decode_cursor, page_of
from shared.scope import ScopeParts, any_of, place_scope, scope_clause, scope_values
from shared.security import Principal

COVERAGE_DAYS = 30
MAX_PHOTOS_PER_VISIT = 9
FUTURE_SLACK = timedelta(hours=1)  # phone clocks drift; a visit an hour "ahead" is still taken

# Why a visit is rejected, and what a single create answers for it.
TAKEN = "this id belongs to a visit recorded by someone else"
NO_HOUSEHOLD = "no household of yours with this id"
IN_FUTURE = "visited_at is in the future"
HALF_GPS = "give both lat and lng, or neither"
_SINGLE_ERRORS: dict[str, Callable[[], DomainError]] = {
    TAKEN: lambda: Conflict(TAKEN),
    NO_HOUSEHOLD: lambda: NotFound("no household with this id in your scope"),
    IN_FUTURE: lambda: ValidationFailed.on("visited_at", IN_FUTURE),
    HALF_GPS: lambda: ValidationFailed.on("lat", HALF_GPS),
}


_OUTSIDE_SQL = text(
    "SELECT t.i, NOT (g.boundary @> point(t.lng, t.lat)) AS outside"
    " FROM unnest(:idx, :codes, :lngs, :lats) AS t(i, code, lng, lat)"
    " JOIN grid g ON g.code = t.code WHERE g.boundary IS NOT NULL"
).bindparams(
    bindparam("idx", type_=ARRAY(Integer)),
    bindparam("codes", type_=ARRAY(String)),
    bindparam("lngs", type_=ARRAY(Float)),
    bindparam("lats", type_=ARRAY(Float)),
)


async def _outside_flags(session: AsyncSession, points: list[tuple[int, str, float, float]]) -> dict[int, bool]:
    """For each (index, grid, lng, lat): whether the point lies outside the grid's boundary, asked of
    the database in one statement (grids without a boundary give no answer)."""
    if not points:
        return {}
    rows = await session.execute(
        _OUTSIDE_SQL,
        {
            "idx": [p[0] for p in points],
            "codes": [p[1] for p in points],
            "lngs": [p[2] for p in points],
            "lats": [p[3] for p in points],
        },
    )
    return {int(i): bool(outside) for i, outside in rows}


async def sync(*, session: AsyncSession, principal: Principal, visits: list[VisitIn]) -> list[VisitResult]:
    """Create the visits not there yet; a result per visit, in the order sent. Sending a visit again
    answers ``exists``; a household the caller may not visit answers ``rejected``."""
    member = await roster.own_member(session, principal)
    ids = [v.id for v in visits]
    households = {
        h.id: h
        for h in (
            await session.scalars(
                select(Household).where(
                    any_of(col(Household.id), [v.household_id for v in visits], Uuid()),
                    access.visitable(principal, member),
                )
            )
        ).all()
    }
    existing = dict(
        (
            await session.execute(select(col(Visit.id), col(Visit.member_id)).where(any_of(col(Visit.id), ids, Uuid())))
        ).all()
    )
    now = datetime.now(UTC)
    results: dict[uuid.UUID, VisitResult] = {}
    rows: list[dict[str, Any]] = []
    for visit in visits:
        if visit.id in results:
            continue
        reason = None
        if visit.id in existing:
            if existing[visit.id] == member.id:
                results[visit.id] = VisitResult(id=visit.id, status="exists")
                continue
            reason = TAKEN
        elif visit.household_id not in households:
            reason = NO_HOUSEHOLD
        elif visit.visited_at > now + FUTURE_SLACK:
            reason = IN_FUTURE
        elif (visit.lat is None) != (visit.lng is None):
            reason = HALF_GPS
        if reason is not None:
            results[visit.id] = VisitResult(id=visit.id, status="rejected", reason=reason)
            continue
        household = households[visit.household_id]
        rows.append(
            {
                **visit.model_dump(),
                "member_id": member.id,
                "grid_code": household.grid_code,
                "community_code": household.community_code,
                "street_code": household.street_code,
                "outside_grid": None,
                "created_at": now,
            }
        )
    flags = await _outside_flags(
        session,
        [(i, row["grid_code"], row["lng"], row["lat"]) for i, row in enumerate(rows) if row["lat"] is not None],
    )
    for i, row in enumerate(rows):
        row["outside_grid"] = flags.get(i)
    created: set[uuid.UUID] = set()
    if rows:
        created = set(
            (
                await session.scalars(
                    insert(Visit).values(rows).on_conflict_do_nothing(index_elements=["id"]).returning(col(Visit.id))
                )
            ).all()
        )
    for row in rows:
        # Not inserted: the same visit arrived through another request a moment earlier.
        results[row["id"]] = VisitResult(id=row["id"], status="created" if row["id"] in created else "exists")
        if row["id"] in created and row["follow_up"]:
            await emit_follow_up(session, row, recorded_by=member.account_id)
    return [results[visit.id] for visit in visits]


async def emit_follow_up(
    session: AsyncSession, visit: Mapping[str, Any], *, recorded_by: uuid.UUID | None = None
) -> None:
    """A visit with a problem to hand on: the orders service makes an ``issue`` order of it, placed
    in the name of the account that recorded the visit."""
    await outbox.emit(
        session,
        outbox_event,
        type="visit.follow_up_needed",
        aggregate_id=str(visit["id"]),
        payload={
            "visit_id": str(visit["id"]),
            "household_id": str(visit["household_id"]),
            "member_id": str(visit["member_id"]),
            "recorded_by": str(recorded_by) if recorded_by else None,
            "grid_code": visit["grid_code"],
            "community_code": visit["community_code"],
            "street_code": visit["street_code"],
            "kind": visit["kind"],
        },
    )


async def record(*, session: AsyncSession, principal: Principal, visit_in: VisitIn) -> tuple[VisitPublic, bool]:
    """One visit: the visit and True when created, False when it was there already."""
    (result,) = await sync(session=session, principal=principal, visits=[visit_in])
    if result.status == "rejected":
        raise _SINGLE_ERRORS[result.reason or ""]()
    visit, _ = await _visible_visit(session, principal, visit_in.id)
    return await public_of(session, visit), result.status == "created"


async def _visible_visit(
    session: AsyncSession, principal: Principal, visit_id: uuid.UUID
) -> tuple[Visit, Member | None]:
    member = await roster.member_of(session, principal)
    visit = await session.scalar(select(Visit).where(col(Visit.id) == visit_id, access.visit_scope(principal, member)))
    if visit is None:
        raise NotFound(f"no visit {visit_id} in your scope")
    return visit, member


_VISIT = tuple(col(getattr(Visit, name)) for name in VisitPublic.model_fields if name != "photos")
_PHOTO = tuple(PhotoPublic.model_fields)


@functools.lru_cache(maxsize=64)
def _one_query(areas: ScopeParts, grid_worker: bool, party_member: bool) -> PreparedQuery:
    """One visit in the caller's scope, with its photos in the order they came as one array per field."""
    order = (col(VisitPhoto.created_at), col(VisitPhoto.id))
    photos = nested_arrays("photo", VisitPhoto, _PHOTO, order, col(VisitPhoto.visit_id) == col(Visit.id))
    statement = (
        select(*_VISIT, *photos.c)
        .select_from(Visit)
        .join(photos, true())
        .where(col(Visit.id) == bindparam("visit_id", type_=Uuid()), _scope(areas, grid_worker, party_member))
    )
    return PreparedQuery(statement)


async def get(*, lane: FastLane, principal: Principal, visit_id: uuid.UUID) -> dict[str, Any]:
    """A visit in the caller's scope with its photos, as ``VisitPublic``'s fields."""
    scope, values = _scope_values(principal)
    values["visit_id"] = visit_id
    rows = await lane.fetch_found(_one_query(*scope), values, f"no visit {visit_id} in your scope")
    visit = dict(rows[0])
    visit["photos"] = nested_rows(visit, "photo", _PHOTO)
    return visit


async def public_of(session: AsyncSession, visit: Visit) -> VisitPublic:
    photo_rows = (
        await session.scalars(
            select(VisitPhoto).where(col(VisitPhoto.visit_id) == visit.id).order_by(col(VisitPhoto.created_at))
        )
    ).all()
    return VisitPublic.model_validate(
        {**visit.model_dump(), "photos": [PhotoPublic.model_validate(p, from_attributes=True) for p in photo_rows]}
    )


_SUMMARY_COLUMNS = (
    col(Visit.id),
    col(Visit.member_id),
    col(Visit.household_id),
    col(Visit.grid_code),
    col(Visit.kind),
    col(Visit.visited_at),
    col(Visit.outside_grid),
    col(Visit.follow_up),
)
_FILTERS = {
    "grid_code": lambda: col(Visit.grid_code) == bindparam("grid_code"),
    "member_id": lambda: col(Visit.member_id) == bindparam("member_id", type_=Uuid()),
    "household_id": lambda: col(Visit.household_id) == bindparam("household_id", type_=Uuid()),
    "since": lambda: col(Visit.visited_at) >= bindparam("since", type_=DateTime(timezone=True)),
    "until": lambda: col(Visit.visited_at) < bindparam("until", type_=DateTime(timezone=True)),
}


def _scope(areas: ScopeParts, grid_worker: bool, party_member: bool) -> ColumnElement[bool]:
    """The visits the caller may see (``access.visit_scope``) with named parameters (``_scope_values``).
    The caller's own member is found inside the statement (by the account id in the token), so a read
    is one round trip."""
    own_member = select(col(Member.id)).where(col(Member.account_id) == bindparam("account_id", type_=Uuid()))
    conditions = [scope_clause(areas, street=col(Visit.street_code), community=col(Visit.community_code), grid=None)]
    if grid_worker:
        conditions.append(col(Visit.grid_code) == any_(bindparam("worker_grids", type_=ARRAY(String))))
    conditions.append(col(Visit.member_id) == own_member.scalar_subquery())
    if party_member:
        conditions.append(
            exists().where(
                col(HouseholdLink.member_id) == own_member.scalar_subquery(),
                col(HouseholdLink.household_id) == col(Visit.household_id),
            )
        )
    return or_(*conditions)


def _scope_values(principal: Principal) -> tuple[tuple[ScopeParts, bool, bool], dict[str, Any]]:
    """The shape of ``_scope`` for the caller (its arguments), and the values that fill it."""
    parts, values = scope_values(principal)
    areas = tuple(part for part in parts if part != "grid")
    worker_grids = list(principal.places_of("grid_worker"))
    values.update(worker_grids=worker_grids, account_id=principal.account_id)
    return (areas, bool(worker_grids), principal.has_role("party_member")), values


def _newest(statement: Any, filters: tuple[str, ...], after: bool) -> Any:
    """``statement`` with the list's filters, after the cursor, newest first, one page (and one row)."""
    statement = statement.where(*(_FILTERS[name]() for name in filters))
    if after:
        statement = statement.where(
            tuple_(col(Visit.visited_at), col(Visit.id))
            < tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid()))
        )
    return statement.order_by(col(Visit.visited_at).desc(), col(Visit.id).desc()).limit(
        bindparam("limit", type_=Integer)
    )


@functools.lru_cache(maxsize=256)
def _list_query(
    areas: ScopeParts, grid_worker: bool, party_member: bool, filters: tuple[str, ...], after: bool
) -> PreparedQuery:
    """One prepared statement per shape of the visits list: the page of each part of the caller's scope
    (``_scope``'s conditions), each read newest first along its own index (one grid, one member, one
    household at a time), then the newest of those. One condition ORed over the five million visits of a
    big street could follow no index and sorted them all (1.4 s a page, bench ``reads-scale``). The
    indexes: ``ix_visit_{street,community,grid,member,household}_time``."""
    own_member = select(col(Member.id)).where(col(Member.account_id) == bindparam("account_id", type_=Uuid()))
    branches: list[Any] = []

    def per_code(column: Any, parameter: str) -> Any:
        """The newest visits of each code in ``parameter`` (an array), along ``column``'s index."""
        code = (
            func.unnest(bindparam(parameter, type_=ARRAY(String))).table_valued("code").render_derived(name=parameter)
        )
        page = _newest(select(*_SUMMARY_COLUMNS).where(column == code.c.code), filters, after).lateral()
        return select(*page.c).select_from(code.join(page, true()))

    if "street" in areas:
        branches.append(per_code(col(Visit.street_code), "scope_streets"))
    if "community" in areas:
        branches.append(per_code(col(Visit.community_code), "scope_communities"))
    if grid_worker:
        branches.append(per_code(col(Visit.grid_code), "worker_grids"))
    branches.append(
        _newest(select(*_SUMMARY_COLUMNS).where(col(Visit.member_id) == own_member.scalar_subquery()), filters, after)
    )
    if party_member:
        link = (
            select(col(HouseholdLink.household_id))
            .where(col(HouseholdLink.member_id) == own_member.scalar_subquery())
            .subquery("link")
        )
        page = _newest(
            select(*_SUMMARY_COLUMNS).where(col(Visit.household_id) == link.c.household_id), filters, after
        ).lateral()
        branches.append(select(*page.c).select_from(link.join(page, true())))
    pages = union(*branches).subquery("pages") if len(branches) > 1 else branches[0].subquery("pages")
    statement = (
        select(*pages.c).order_by(pages.c.visited_at.desc(), pages.c.id.desc()).limit(bindparam("limit", type_=Integer))
    )
    return PreparedQuery(statement)


async def list_visits(
    *,
    lane: FastLane,
    principal: Principal,
    filters: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, in the caller's scope (as ``_visit_scope``), as rows of ``VisitSummary``'s fields."""
    scope, values = _scope_values(principal)
    given = {name: value for name, value in filters.items() if value is not None}
    values.update(given, limit=limit + 1)
    after = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID)) if cursor else None
    if after is not None:
        values["after_at"], values["after_id"] = after
    query = _list_query(*scope, tuple(sorted(given)), after is not None)
    rows = await lane.fetch_prepared(query, values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["visited_at"].isoformat(), row["id"]))
    return [dict(row) for row in items], next_cursor


async def coverage(*, session: AsyncSession, principal: Principal, community_code: str | None) -> CoverageReport:
    """Per grid in scope: households visited in the last 30 days out of all (removed ones not counted)."""
    since = datetime.now(UTC) - timedelta(days=COVERAGE_DAYS)
    in_grid = (col(Household.grid_code) == col(Grid.code), col(Household.removed_at).is_(None))
    households = select(func.count()).where(*in_grid).correlate(Grid).scalar_subquery()
    visited = (
        select(func.count())
        .where(
            *in_grid,
            exists().where(col(Visit.household_id) == col(Household.id), col(Visit.visited_at) >= since),
        )
        .correlate(Grid)
        .scalar_subquery()
    )
    statement = select(col(Grid.code), households, visited).where(
        place_scope(principal, street=col(Grid.street_code), community=col(Grid.community_code), grid=col(Grid.code))
    )
    if community_code is not None:
        statement = statement.where(col(Grid.community_code) == community_code)
    rows = (await session.execute(statement.order_by(col(Grid.code)))).all()
    return CoverageReport(
        since=since,
        items=[
            GridCoverage(grid_code=code, households=total, visited=seen, ratio=round(seen / total, 4) if total else 0.0)
            for code, total, seen in rows
        ],
    )


# -- photos ----------------------------------------------------------------------------------


async def add_photo(
    *, session: AsyncSession, principal: Principal, storage: photos.PhotoStorage, visit_id: uuid.UUID, data: bytes
) -> tuple[PhotoPublic, bool]:
    """Store a photo of one's own visit; the same photo sent again answers the one stored (False)."""
    visit, member = await _visible_visit(session, principal, visit_id)
    if member is None or visit.member_id != member.id:
        raise Forbidden("only the one who recorded a visit adds its photos")
    checked = await photos.accept_upload(data)
    await session.execute(select(col(Visit.id)).where(col(Visit.id) == visit.id).with_for_update())
    stored = (await session.scalars(select(VisitPhoto).where(col(VisitPhoto.visit_id) == visit.id))).all()
    photo, created = await photos.keep_once(
        session=session,
        storage=storage,
        data=data,
        checked=checked,
        owner_id=visit.id,
        stored=stored,
        limit=MAX_PHOTOS_PER_VISIT,
        owner="a visit",
        new_row=lambda c: VisitPhoto(
            visit_id=visit.id, content_type=c.content_type, size=c.size, sha256=c.sha256, storage_key=""
        ),
    )
    return PhotoPublic.model_validate(photo, from_attributes=True), created


async def photo_bytes(
    *,
    session: AsyncSession,
    principal: Principal,
    storage: photos.PhotoStorage,
    visit_id: uuid.UUID,
    photo_id: uuid.UUID,
) -> tuple[bytes, str]:
    visit, _ = await _visible_visit(session, principal, visit_id)
    photo = await session.scalar(
        select(VisitPhoto).where(col(VisitPhoto.id) == photo_id, col(VisitPhoto.visit_id) == visit.id)
    )
    return await photos.stored_bytes(storage, photo, photo_id, f"visit {visit_id}")
