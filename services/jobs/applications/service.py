"""Applications: a seeker applies (or staff apply for them), withdraws; the posting's community staff or
its employer move it applied → shortlisted → interviewed → hired, or reject it with a reason. A hire
that fills the headcount closes the posting. Employers see their applicants masked (no resident id)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access, events
from services.jobs.applications.schemas import ApplicantBrief, ApplicationCreate, ApplicationPublic
from services.jobs.models import Application, Posting, Seeker
from services.jobs.postings import service as postings
from services.jobs.seekers import service as seekers
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
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


def _with_parts() -> Any:
    return (
        select(Application, col(Posting.title), Seeker)
        .join(Posting, col(Posting.id) == col(Application.posting_id))
        .join(Seeker, col(Seeker.resident_id) == col(Application.resident_id))
    )


async def get(*, session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> ApplicationPublic:
    row = (await session.execute(_with_parts().where(col(Application.id) == application_id, scope(principal)))).first()
    if row is None:
        raise NotFound(f"no application {application_id} in your scope")
    return public_of(principal, *row)


async def list_applications(
    *,
    session: AsyncSession,
    principal: Principal,
    posting_id: uuid.UUID | None,
    state: str | None,
    resident_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ApplicationPublic], str | None]:
    """Newest first, in the caller's scope."""
    statement = _with_parts().where(scope(principal))
    if posting_id is not None:
        statement = statement.where(col(Application.posting_id) == posting_id)
    if state is not None:
        statement = statement.where(col(Application.state) == state)
    if resident_id is not None:
        statement = statement.where(col(Application.resident_id) == resident_id)
    if cursor:
        at, after = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
        statement = statement.where(tuple_(col(Application.created_at), col(Application.id)) < tuple_(at, after))
    statement = statement.order_by(col(Application.created_at).desc(), col(Application.id).desc()).limit(limit + 1)
    rows = (await session.execute(statement)).all()
    items, next_cursor = page_of(rows, limit, lambda row: (row[0].created_at.isoformat(), row[0].id))
    return [public_of(principal, *row) for row in items], next_cursor


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
