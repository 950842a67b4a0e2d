"""Checking people in at an activity: by staff, or by the person with the code shown at the venue
(compared in constant time). A volunteer checked in has served: the orders service credits the
activity's points to its ledger (``activity.volunteer_served``, once per activity and account)."""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import life
from services.grids.activities import service as activities
from services.grids.activities.schemas import SignupPublic
from services.grids.models import Activity, ActivitySignup, Member, outbox_event
from shared import outbox
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.security import Principal

S = ActivitySignup
CODE_OPENS_BEFORE = timedelta(hours=1)  # the venue's code works from an hour before the start ...
CODE_CLOSES_AFTER = timedelta(hours=1)  # ... to an hour after the end
STAFF_OPENS_BEFORE = timedelta(days=1)  # staff check people in from the day before (arrivals, lists)


async def check_in(
    *, session: AsyncSession, principal: Principal, activity_id: uuid.UUID, signup_id: uuid.UUID
) -> SignupPublic:
    """Staff check a person in at the venue; checking in twice changes nothing."""
    activity = await activities.visible(session, principal, activity_id, lock=True, manage=True)
    if life.now() < activity.starts_at - STAFF_OPENS_BEFORE:
        raise Conflict("check-in opens the day before the activity")
    signup = await session.scalar(select(S).where(col(S.id) == signup_id, col(S.activity_id) == activity.id))
    if signup is None:
        raise NotFound(f"no sign-up {signup_id} on this activity")
    return await _check_in(session, activity, signup, by=life.account_of(principal), method="staff")


async def check_in_with_code(
    *, session: AsyncSession, principal: Principal, activity_id: uuid.UUID, code: str
) -> SignupPublic:
    """A person checks themselves in with the code shown at the venue."""
    activity = await activities.visible(session, principal, activity_id, lock=True)
    at = life.now()
    if not activity.starts_at - CODE_OPENS_BEFORE <= at <= activity.ends_at + CODE_CLOSES_AFTER:
        raise Conflict("check-in with the venue's code is open from an hour before the start to an hour after the end")
    signup = await session.scalar(
        select(S).where(col(S.activity_id) == activity.id, activities.mine(principal)).limit(1)
    )
    if signup is None:
        raise NotFound("you have not signed up for this activity")
    if not hmac.compare_digest(code.encode(), activity.check_in_code.encode()):
        raise ValidationFailed.on("code", "not the code shown at the venue")
    return await _check_in(session, activity, signup, by=life.account_of(principal), method="code")


async def _check_in(
    session: AsyncSession, activity: Activity, signup: ActivitySignup, *, by: uuid.UUID, method: str
) -> SignupPublic:
    if activity.state != "published":
        raise Conflict("the activity was cancelled", extra={"state": activity.state})
    if signup.checked_in_at is not None:
        return activities.signup_public(signup, None)
    if signup.state != "confirmed":
        raise Conflict(f"a {signup.state} sign-up cannot be checked in", extra={"state": signup.state})
    signup.checked_in_at, signup.checked_in_by, signup.check_in_method = life.now(), by, method
    await session.flush()
    await activities.emit_signup(session, activity, signup, "activity.checked_in", method=method)
    if signup.role == "volunteer" and signup.account_id is not None:
        await _served(session, activity, signup)
    return activities.signup_public(signup, None)


async def _served(session: AsyncSession, activity: Activity, signup: ActivitySignup) -> None:
    """A volunteer served: the orders service credits the points to its ledger (once per activity
    and account, however often the event arrives)."""
    if activity.points <= 0:
        return
    grid_code = signup.grid_code or activity.grid_code or await life.first_grid(session, activity.community_code)
    if grid_code is None:
        return
    name = signup.name or await session.scalar(
        select(col(Member.name)).where(col(Member.account_id) == signup.account_id)
    )
    assert signup.checked_in_at is not None
    await outbox.emit(
        session,
        outbox_event,
        type="activity.volunteer_served",
        aggregate_id=str(activity.id),
        payload={
            "activity_id": str(activity.id),
            "account_id": str(signup.account_id),
            "account_name": name,
            "grid_code": grid_code,
            "community_code": activity.community_code,
            "street_code": activity.street_code,
            "points": activity.points,
            "served_at": signup.checked_in_at.isoformat(),
        },
    )
