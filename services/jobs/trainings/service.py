"""Skills trainings (技能培训): a course with a capacity and a waiting list. Every change of who holds a
place takes the training's row lock first, so two enrolments never take the last place twice and a
freed place goes to exactly one waiting resident: the first (by the order they enrolled in)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Uuid, case, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from services.jobs import access, events
from services.jobs.models import Attendance, Enrolment, Seeker, Training
from services.jobs.trainings.schemas import EnrolmentPublic, TrainingCreate, TrainingPublic, TrainingUpdate
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.peers import ResidentHome
from shared.places import street_of
from shared.scope import any_of
from shared.security import Principal

HOLDING = ("enrolled", "completed")  # states that hold a place
LIVE = ("enrolled", "waiting", "completed")


def scope(principal: Principal) -> Any:
    """Every training for people; their street's for integration clients."""
    if principal.machine:
        return access.any_condition(
            access.area(principal, community=col(Training.community_code), street=col(Training.street_code))
        )
    return true()


def _enrolment_columns() -> tuple[Any, ...]:
    ahead = aliased(Enrolment)
    position = (
        select(func.count())
        .where(
            col(ahead.training_id) == col(Enrolment.training_id),
            col(ahead.state) == "waiting",
            col(ahead.seq) <= col(Enrolment.seq),
        )
        .correlate(Enrolment)
        .scalar_subquery()
    )
    attended = (
        select(func.count())
        .where(col(Attendance.enrolment_id) == col(Enrolment.id))
        .correlate(Enrolment)
        .scalar_subquery()
    )
    return (
        col(Enrolment.id),
        col(Enrolment.training_id),
        col(Enrolment.resident_id),
        col(Enrolment.community_code),
        col(Enrolment.state),
        case((col(Enrolment.state) == "waiting", position), else_=None).label("position"),
        attended.label("attended"),
        col(Enrolment.created_at),
        col(Enrolment.updated_at),
        col(Enrolment.completed_at),
    )


async def enrolment_public(session: AsyncSession, enrolment_id: uuid.UUID) -> EnrolmentPublic:
    row = (await session.execute(select(*_enrolment_columns()).where(col(Enrolment.id) == enrolment_id))).one()
    return EnrolmentPublic.model_validate(dict(row._mapping))


def _counts() -> tuple[Any, Any]:
    def count(states: tuple[str, ...]) -> Any:
        return (
            select(func.count())
            .where(col(Enrolment.training_id) == col(Training.id), any_of(col(Enrolment.state), states))
            .correlate(Training)
            .scalar_subquery()
        )

    return count(HOLDING).label("enrolled"), count(("waiting",)).label("waiting")


async def _public(
    session: AsyncSession, principal: Principal, training: Training, enrolled: int, waiting: int
) -> TrainingPublic:
    mine = None
    if (me := access.own_resident(principal)) is not None:
        mine_id = await session.scalar(
            select(col(Enrolment.id))
            .where(col(Enrolment.training_id) == training.id, col(Enrolment.resident_id) == me)
            .order_by(col(Enrolment.seq).desc())
            .limit(1)
        )
        mine = await enrolment_public(session, mine_id) if mine_id is not None else None
    return TrainingPublic.model_validate(
        {**training.model_dump(), "enrolled": enrolled, "waiting": waiting, "my_enrolment": mine}
    )


async def get(*, session: AsyncSession, principal: Principal, training_id: uuid.UUID) -> TrainingPublic:
    row = (
        await session.execute(select(Training, *_counts()).where(col(Training.id) == training_id, scope(principal)))
    ).first()
    if row is None:
        raise NotFound(f"no training {training_id}")
    return await _public(session, principal, *row)


async def list_trainings(
    *,
    session: AsyncSession,
    principal: Principal,
    upcoming: bool,
    community_code: str | None,
    skill: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[TrainingPublic], str | None]:
    """By start, soonest first; ``upcoming``: those not over yet."""
    statement = select(Training, *_counts()).where(scope(principal))
    if upcoming:
        statement = statement.where(col(Training.ends_on) >= func.current_date())
    if community_code:
        statement = statement.where(col(Training.community_code) == community_code)
    if skill:
        statement = statement.where(col(Training.skill) == skill)
    if cursor:
        on, after = decode_cursor(cursor, (date.fromisoformat, uuid.UUID))
        statement = statement.where(tuple_(col(Training.starts_on), col(Training.id)) > tuple_(on, after))
    rows = (await session.execute(statement.order_by(col(Training.starts_on), col(Training.id)).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda row: (row[0].starts_on.isoformat(), row[0].id))
    return [await _public(session, principal, *row) for row in items], next_cursor


async def create(*, session: AsyncSession, principal: Principal, training_in: TrainingCreate) -> tuple[Training, bool]:
    access.require_manager(principal, training_in.community_code, "run trainings there")
    if training_in.id is not None and (known := await session.get(Training, training_in.id)) is not None:
        if not principal.manages(known.community_code):
            raise Conflict("this id belongs to another training")
        return known, False
    if training_in.ends_on < training_in.starts_on:
        raise ValidationFailed.on("ends_on", "a training ends on or after the day it starts")
    training = Training(
        **training_in.model_dump(exclude={"id"}, exclude_none=True),
        street_code=street_of(training_in.community_code),
        created_by=principal.sub,
    )
    if training_in.id is not None:
        training.id = training_in.id
    session.add(training)
    await session.flush()
    return training, True


async def _locked(session: AsyncSession, principal: Principal, training_id: uuid.UUID) -> Training:
    training = await session.scalar(
        select(Training).where(col(Training.id) == training_id, scope(principal)).with_for_update()
    )
    if training is None:
        raise NotFound(f"no training {training_id}")
    return training


async def _held(session: AsyncSession, training: Training) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(col(Enrolment.training_id) == training.id, any_of(col(Enrolment.state), HOLDING))
        )
        or 0
    )


async def update(
    *, session: AsyncSession, principal: Principal, training_id: uuid.UUID, changes: TrainingUpdate
) -> Training:
    """Change a training; more places go to the first waiting at once."""
    training = await _locked(session, principal, training_id)
    access.require_manager(principal, training.community_code, "change its trainings")
    values = changes.model_dump(exclude_unset=True)
    for key, value in values.items():
        if value is None and key not in ("description", "schedule"):
            raise ValidationFailed.on(key, "this field cannot be emptied")
    for key, value in values.items():
        setattr(training, key, value if value is not None else "")
    if training.ends_on < training.starts_on:
        raise ValidationFailed.on("ends_on", "a training ends on or after the day it starts")
    held = await _held(session, training)
    if training.capacity < held:
        raise ValidationFailed.on("capacity", f"fewer than the {held} places already taken")
    training.updated_at = datetime.now(UTC)
    await session.flush()
    for _ in range(training.capacity - held):
        if not await _promote_first(session, training):
            break
    return training


async def _promote_first(session: AsyncSession, training: Training) -> bool:
    """Give a free place to the first waiting resident (the training's row is locked by the caller)."""
    first = await session.scalar(
        select(Enrolment)
        .where(col(Enrolment.training_id) == training.id, col(Enrolment.state) == "waiting")
        .order_by(col(Enrolment.seq))
        .limit(1)
        .with_for_update()
    )
    if first is None:
        return False
    first.state, first.updated_at = "enrolled", datetime.now(UTC)
    await session.flush()
    await events.enrolment_event(session, "enrolment.promoted", first)
    return True


async def enrol(
    *, session: AsyncSession, principal: Principal, training_id: uuid.UUID, home: ResidentHome
) -> Enrolment:
    """A place while there is one, else the end of the waiting list; one live enrolment a resident."""
    training = await _locked(session, principal, training_id)
    if training.ends_on < datetime.now(UTC).date():
        raise Conflict("the training is over")
    state = "enrolled" if await _held(session, training) < training.capacity else "waiting"
    enrolment = Enrolment(
        training_id=training.id,
        resident_id=home.resident_id,
        household_id=home.household_id,
        grid_code=home.grid_code,
        community_code=home.community_code,
        street_code=home.street_code,
        state=state,
        created_by=principal.sub,
    )
    session.add(enrolment)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("this resident is on this training already") from exc
    return enrolment


def _enrolment_scope(principal: Principal) -> Any:
    """One's own enrolments; those of residents of, or of trainings run by, the caller's communities."""
    conditions = access.area(principal, community=col(Enrolment.community_code), street=col(Enrolment.street_code))
    conditions += access.area(principal, community=col(Training.community_code), street=col(Training.street_code))
    if (me := access.own_resident(principal)) is not None:
        conditions.append(col(Enrolment.resident_id) == me)
    return access.any_condition(conditions)


async def list_enrolments(
    *,
    session: AsyncSession,
    principal: Principal,
    training_id: uuid.UUID,
    state: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[EnrolmentPublic], str | None]:
    """A training's enrolments the caller may see, in the order they enrolled."""
    await get(session=session, principal=principal, training_id=training_id)
    statement = (
        select(*_enrolment_columns(), col(Enrolment.seq))
        .join(Training, col(Training.id) == col(Enrolment.training_id))
        .where(col(Enrolment.training_id) == training_id, _enrolment_scope(principal))
    )
    if state:
        statement = statement.where(col(Enrolment.state) == state)
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        statement = statement.where(col(Enrolment.seq) > after)
    rows = (await session.execute(statement.order_by(col(Enrolment.seq)).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda row: (row.seq,))
    return [
        EnrolmentPublic.model_validate({k: v for k, v in row._mapping.items() if k != "seq"}) for row in items
    ], next_cursor


async def _enrolment(
    session: AsyncSession, principal: Principal, training: Training, enrolment_id: uuid.UUID
) -> Enrolment:
    enrolment = await session.scalar(
        select(Enrolment)
        .join(Training, col(Training.id) == col(Enrolment.training_id))
        .where(
            col(Enrolment.id) == enrolment_id, col(Enrolment.training_id) == training.id, _enrolment_scope(principal)
        )
        .with_for_update(of=Enrolment)
    )
    if enrolment is None:
        raise NotFound(f"no enrolment {enrolment_id} on training {training.id} in your scope")
    return enrolment


async def withdraw(
    *, session: AsyncSession, principal: Principal, training_id: uuid.UUID, enrolment_id: uuid.UUID
) -> Enrolment:
    """The resident (or staff for them) leaves the training or its waiting list; a place freed goes to
    the first waiting."""
    training = await _locked(session, principal, training_id)
    enrolment = await _enrolment(session, principal, training, enrolment_id)
    if enrolment.state not in ("enrolled", "waiting"):
        raise Conflict(f"an enrolment that is {enrolment.state} is not withdrawn", extra={"state": enrolment.state})
    freed = enrolment.state == "enrolled"
    enrolment.state, enrolment.updated_at = "withdrawn", datetime.now(UTC)
    await session.flush()
    if freed:
        await _promote_first(session, training)
    return enrolment


async def attend(
    *,
    session: AsyncSession,
    principal: Principal,
    training_id: uuid.UUID,
    session_on: date,
    enrolment_ids: list[uuid.UUID],
) -> int:
    """Record who came to one session; the number newly recorded."""
    training = await _locked(session, principal, training_id)
    access.require_manager(principal, training.community_code, "keep its trainings' attendance")
    if not training.starts_on <= session_on <= training.ends_on:
        raise ValidationFailed.on("session_on", "not a day of the training")
    wanted = list(dict.fromkeys(enrolment_ids))
    found = set(
        (
            await session.scalars(
                select(col(Enrolment.id)).where(
                    any_of(col(Enrolment.id), wanted, Uuid()),
                    col(Enrolment.training_id) == training.id,
                    any_of(col(Enrolment.state), HOLDING),
                )
            )
        ).all()
    )
    if missing := [i for i, e in enumerate(wanted) if e not in found]:
        raise ValidationFailed.on(f"enrolment_ids.{missing[0]}", "not a place taken on this training")
    inserted = await session.scalars(
        insert(Attendance)
        .values([{"enrolment_id": e, "session_on": session_on} for e in wanted])
        .on_conflict_do_nothing()
        .returning(col(Attendance.enrolment_id))
    )
    return len(inserted.all())


async def complete(
    *, session: AsyncSession, principal: Principal, training_id: uuid.UUID, enrolment_id: uuid.UUID
) -> Enrolment:
    """The resident completed the training: its skill goes onto their seeker profile (a new profile,
    not yet looking for work, when they have none)."""
    training = await _locked(session, principal, training_id)
    access.require_manager(principal, training.community_code, "complete its trainings")
    enrolment = await _enrolment(session, principal, training, enrolment_id)
    if enrolment.state != "enrolled":
        raise Conflict(f"an enrolment that is {enrolment.state} is not completed", extra={"state": enrolment.state})
    now = datetime.now(UTC)
    enrolment.state, enrolment.completed_at, enrolment.updated_at = "completed", now, now
    seeker = await session.get(Seeker, enrolment.resident_id, with_for_update=True)
    if seeker is None:
        session.add(
            Seeker(
                resident_id=enrolment.resident_id,
                household_id=enrolment.household_id,
                grid_code=enrolment.grid_code,
                community_code=enrolment.community_code,
                street_code=enrolment.street_code,
                skills=[training.skill],
                hours_per_day=8,
                labour_capacity="full",
                active=False,
                updated_by=principal.sub,
            )
        )
    elif training.skill not in seeker.skills:
        seeker.skills = [*seeker.skills, training.skill]
        seeker.updated_at, seeker.updated_by = now, principal.sub
    await session.flush()
    await events.enrolment_event(session, "training.completed", enrolment, skill=training.skill)
    return enrolment
