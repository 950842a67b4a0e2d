"""Applications: a seeker applies (or staff apply for them), withdraws; the posting's community staff or
its employer move it applied → shortlisted → interviewed → hired, or reject it with a reason. A hire
that fills the headcount closes the posting. Employers see their applicants masked (no resident id)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Uuid,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access, events
from services.jobs.applications.schemas import ApplicantBrief, ApplicationCreate, ApplicationPublic
from services.jobs.models import Application, EmployerAccount, Posting, Seeker
from services.jobs.postings import service as postings
from services.jobs.seekers import service as seekers
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.places import STREET_LENGTH
from shared.security import Principal

# The states each move may start from.
MOVES: dict[str, tuple[str, ...]] = {
    "shortlisted": ("applied",),
    "interviewed": ("shortlisted",),
    "hired": ("shortlisted", "interviewed"),
    "rejected": ("applied", "shortlisted", "interviewed"),
    "withdrawn": ("applied", "shortlisted", "interviewed"),
}


def scope(principal: Principal) -> Any:
    """One's own applications; those to postings of, or from seekers of, the caller's communities and
    street; those to an employer account's postings."""
    conditions = access.area(principal, community=col(Application.community_code), street=col(Application.street_code))
    if not principal.machine:
        conditions += access.area(
            principal, community=col(Application.seeker_community_code), street=col(Application.seeker_street_code)
        )
    if (me := access.own_resident(principal)) is not None:
        conditions.append(col(Application.resident_id) == me)
    if (own := access.own_employers(principal)) is not None:
        conditions.append(col(Application.employer_id).in_(own.scalar_subquery()))
    return access.any_condition(conditions)


def shows_resident(principal: Principal, application: Application) -> bool:
    """The seeker themselves and the staff of either community see who applied; employers do not."""
    if principal.machine:
        return False
    return (
        application.resident_id == access.own_resident(principal)
        or principal.manages(application.community_code)
        or principal.manages(application.seeker_community_code)
    )


def public_of(principal: Principal, application: Application, title: str, seeker: Seeker) -> ApplicationPublic:
    applicant = ApplicantBrief(
        resident_id=application.resident_id if shows_resident(principal, application) else None,
        label=f"求职者 {application.id.hex[:4].upper()}",
        community_code=application.seeker_community_code,
        skills=list(seeker.skills),
        labour_capacity=seeker.labour_capacity,
        hours_per_day=seeker.hours_per_day,
    )
    return ApplicationPublic.model_validate(
        {**application.model_dump(), "posting_title": title, "applicant": applicant}
    )


# -- reads on the fast lane ----------------------------------------------------------------------

# Constants in the SQL text, not parameters.
_STREET_LENGTH: Any = literal_column(str(STREET_LENGTH))
_FOUR: Any = literal_column("4")
Shape = tuple[bool, bool, bool, bool, bool]  # machine, streets, communities, own resident, employer account


def _scope_of(principal: Principal) -> tuple[Shape, dict[str, Any]]:
    """The parts of ``scope`` (and of ``shows_resident``) the caller has, and the values that fill them."""
    if principal.machine:
        streets, communities = [principal.street_code] if principal.street_code else [], []
    else:
        streets, communities = list(principal.places_of("street_admin")), list(principal.places_of("community_staff"))
    me = access.own_resident(principal)
    account = principal.account_id if principal.has_role("employer") else None
    shape = (principal.machine, bool(streets), bool(communities), me is not None, account is not None)
    return shape, {"scope_streets": streets, "scope_communities": communities, "me": me, "account_id": account}


def _scope_clause(machine: bool, streets: bool, communities: bool, me: bool, employer: bool) -> Any:
    """``scope`` with named parameters; an employer account's employer is found inside the statement."""
    areas = [(col(Application.community_code), col(Application.street_code))]
    if not machine:
        areas.append((col(Application.seeker_community_code), col(Application.seeker_street_code)))
    parts = []
    for community, street in areas:
        if streets:
            parts.append(street == access.any_param("scope_streets"))
        if communities:
            parts.append(community == access.any_param("scope_communities"))
    if me:
        parts.append(col(Application.resident_id) == bindparam("me", type_=Uuid()))
    if employer:
        parts.append(
            col(Application.employer_id).in_(
                select(col(EmployerAccount.employer_id))
                .where(col(EmployerAccount.account_id) == bindparam("account_id", type_=Uuid()))
                .scalar_subquery()
            )
        )
    return access.any_condition(parts)


def _shown_resident(machine: bool, streets: bool, communities: bool, me: bool) -> Any:
    """``shows_resident`` in SQL: the seeker themselves and those who manage either community (its
    staff, its street's admins) see the resident id; employers and integration clients see null."""
    shows = []
    if not machine:
        if me:
            shows.append(col(Application.resident_id) == bindparam("me", type_=Uuid()))
        for community in (col(Application.community_code), col(Application.seeker_community_code)):
            if communities:
                shows.append(community == access.any_param("scope_communities"))
            if streets:
                shows.append(func.left(community, _STREET_LENGTH) == access.any_param("scope_streets"))
    if not shows:
        return null().cast(Uuid()).label("applicant_resident_id")
    return case((or_(*shows), col(Application.resident_id)), else_=null()).label("applicant_resident_id")


def _public_select(shape: Shape) -> Any:
    """Exactly ``ApplicationPublic``'s fields, in the order ``_public`` reads them."""
    label = func.concat(literal_column("'求职者 '"), func.upper(func.left(cast(col(Application.id), String()), _FOUR)))
    return (
        select(
            col(Application.id),
            col(Application.posting_id),
            col(Posting.title).label("posting_title"),
            col(Application.employer_id),
            _shown_resident(*shape[:4]),
            label.label("applicant_label"),
            col(Application.seeker_community_code),
            col(Seeker.skills),
            col(Seeker.labour_capacity),
            col(Seeker.hours_per_day),
            col(Application.state),
            col(Application.reason),
            col(Application.created_at),
            col(Application.updated_at),
            col(Application.hired_at),
        )
        .join(Posting, col(Posting.id) == col(Application.posting_id))
        .join(Seeker, col(Seeker.resident_id) == col(Application.resident_id))
        .where(_scope_clause(*shape))
    )


def _public(row: Any) -> dict[str, Any]:
    """A row of ``_public_select`` as ``ApplicationPublic``, its applicant nested."""
    (
        application_id,
        posting_id,
        posting_title,
        employer_id,
        resident_id,
        label,
        community_code,
        skills,
        labour_capacity,
        hours_per_day,
        state,
        reason,
        created_at,
        updated_at,
        hired_at,
    ) = row
    return {
        "id": application_id,
        "posting_id": posting_id,
        "posting_title": posting_title,
        "employer_id": employer_id,
        "applicant": {
            "resident_id": resident_id,
            "label": label,
            "community_code": community_code,
            "skills": skills,
            "labour_capacity": labour_capacity,
            "hours_per_day": hours_per_day,
        },
        "state": state,
        "reason": reason,
        "created_at": created_at,
        "updated_at": updated_at,
        "hired_at": hired_at,
    }


@functools.cache
def _one_query(shape: Shape) -> PreparedQuery:
    return PreparedQuery(_public_select(shape).where(col(Application.id) == bindparam("application_id", type_=Uuid())))


# ``resident_id`` filters on the resident id the caller is shown, so that a caller who sees null there
# (an employer, an integration client) cannot learn from the filter whether a resident applied.
_FILTERS: dict[str, Callable[[Shape], Any]] = {
    "posting_id": lambda shape: col(Application.posting_id) == bindparam("posting_id", type_=Uuid()),
    "state": lambda shape: col(Application.state) == bindparam("state", type_=String()),
    "resident_id": lambda shape: _shown_resident(*shape[:4]).element == bindparam("resident_id", type_=Uuid()),
}


@functools.lru_cache(maxsize=256)
def _list_query(shape: Shape, filters: tuple[str, ...], after: bool) -> PreparedQuery:
    statement = _public_select(shape).where(*(_FILTERS[name](shape) for name in filters))
    if after:
        statement = statement.where(
            tuple_(col(Application.created_at), col(Application.id))
            < tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid()))
        )
    statement = statement.order_by(col(Application.created_at).desc(), col(Application.id).desc())
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer())))


async def public_row(*, lane: FastLane, principal: Principal, application_id: uuid.UUID) -> dict[str, Any]:
    """One application in the caller's scope, as ``ApplicationPublic`` (the fast lane's ``get``)."""
    shape, values = _scope_of(principal)
    values["application_id"] = application_id
    rows = await lane.fetch_found(_one_query(shape), values, f"no application {application_id} in your scope")
    return _public(rows[0])


async def list_applications(
    *,
    lane: FastLane,
    principal: Principal,
    posting_id: uuid.UUID | None,
    state: str | None,
    resident_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, in the caller's scope, as ``ApplicationPublic``."""
    shape, values = _scope_of(principal)
    filters = {"posting_id": posting_id, "state": state, "resident_id": resident_id}
    present = tuple(name for name, value in filters.items() if value is not None)
    values.update((name, filters[name]) for name in present)
    values["limit"] = limit + 1
    if cursor:
        values["after_at"], values["after_id"] = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
    rows = await lane.fetch_prepared(_list_query(shape, present, bool(cursor)), values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["created_at"].isoformat(), row["id"]))
    return [_public(row) for row in items], next_cursor


async def create(
    *, session: AsyncSession, principal: Principal, body: ApplicationCreate
) -> tuple[Application, str, Seeker]:
    """Apply for oneself, or (staff, grid workers) for a seeker of theirs; one live application per
    seeker and posting (409 while one is)."""
    me = access.own_resident(principal)
    resident_id = body.resident_id or me
    if resident_id is None:
        raise ValidationFailed.on("resident_id", "name the resident you apply for")
    seeker = await session.scalar(
        select(Seeker).where(col(Seeker.resident_id) == resident_id, seekers.scope(principal))
    )
    if seeker is None:
        if resident_id == me:
            raise Conflict("fill in your seeker profile first (PUT /api/v1/seekers/me)")
        raise NotFound(f"no seeker profile of resident {resident_id} in your scope")
    if resident_id != me and not principal.has_role("community_staff", "street_admin", "grid_worker"):
        raise Forbidden("only staff apply for someone else")
    posting = await session.scalar(select(Posting).where(col(Posting.id) == body.posting_id, postings.scope(principal)))
    if posting is None:
        raise NotFound(f"no posting {body.posting_id}")
    taking = await session.scalar(
        select(col(Posting.id)).where(col(Posting.id) == posting.id, postings.taking_applications())
    )
    if taking is None:
        raise Conflict("the posting does not take applications (not open, or past its expiry)")
    application = Application(
        posting_id=posting.id,
        resident_id=seeker.resident_id,
        employer_id=posting.employer_id,
        community_code=posting.community_code,
        street_code=posting.street_code,
        seeker_community_code=seeker.community_code,
        seeker_street_code=seeker.street_code,
        state="applied",
        created_by=principal.sub,
    )
    session.add(application)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("this seeker has an application to this posting already") from exc
    await events.application_event(session, "submitted", application)
    return application, posting.title, seeker


async def move(
    *,
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    to_state: str,
    reason: str | None = None,
) -> tuple[Application, str, Seeker]:
    """One step of an application. The posting is locked first (as closing it does), so a hire and a
    close, or two hires, are taken one after the other and the headcount holds."""
    found = await session.scalar(
        select(col(Application.posting_id)).where(col(Application.id) == application_id, scope(principal))
    )
    if found is None:
        raise NotFound(f"no application {application_id} in your scope")
    posting = await session.scalar(select(Posting).where(col(Posting.id) == found).with_for_update())
    application = await session.scalar(
        select(Application).where(col(Application.id) == application_id).with_for_update()
    )
    assert posting is not None and application is not None
    if to_state == "withdrawn":
        if application.resident_id != access.own_resident(principal):
            raise Forbidden("only the seeker withdraws their application")
    elif not await postings.keeps(session, principal, posting):
        raise Forbidden("only the posting's community staff or its employer move its applications")
    if application.state not in MOVES[to_state]:
        raise Conflict(
            f"an application that is {application.state} cannot become {to_state}",
            extra={"state": application.state},
        )
    now = datetime.now(UTC)
    before = application.state
    application.state, application.updated_at = to_state, now
    if to_state == "rejected":
        application.reason = reason
    if to_state == "hired":
        if posting.state != "open" or posting.hired >= posting.headcount:
            raise Conflict("the posting is not open for hires (closed, or filled)", extra={"state": posting.state})
        application.hired_at = now
        posting.hired += 1
        posting.updated_at = now
    await session.flush()
    await events.application_event(session, "status_changed", application, from_state=before, to_state=to_state)
    if to_state == "hired":
        await events.application_event(session, "hired", application)
        if posting.hired >= posting.headcount:
            await postings.shut(session, posting, reason="filled")
    seeker = await session.get(Seeker, application.resident_id)
    assert seeker is not None
    return application, posting.title, seeker
