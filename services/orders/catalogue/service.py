"""The case classes as a street counts them: the national catalogue (``classes``) with the street's own limits
(``case_limit``) over its defaults. ``limits_for`` is what the case loop calls when a stage's clock starts."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.catalogue import access
from services.orders.catalogue.classes import (
    BEFORE_FILING_LIMITS,
    CLASSES,
    STAGES,
    URGENCIES,
    CaseClass,
    CaseType,
    Stage,
)
from services.orders.catalogue.schemas import CaseClassPublic, LimitPublic, LimitsUpdate
from services.orders.models import CaseLimit
from services.orders.orders.schemas import Urgency
from shared.errors import NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.security import Principal

# (class code, urgency, stage) -> the street's own minutes
Own = dict[tuple[str, str, str], int]


def find_class(code: str) -> CaseClass | None:
    """The small class of this code, None when the catalogue has none."""
    return CLASSES.get(code)


def get_class(code: str) -> CaseClass:
    found = CLASSES.get(code)
    if found is None:
        raise NotFound(f"no case class {code}")
    return found


async def _own(session: AsyncSession, street_code: str, class_codes: Iterable[str] | None = None) -> Own:
    statement = select(
        col(CaseLimit.class_code), col(CaseLimit.urgency), col(CaseLimit.stage), col(CaseLimit.minutes)
    ).where(col(CaseLimit.street_code) == street_code)
    if class_codes is not None:
        statement = statement.where(col(CaseLimit.class_code).in_(list(class_codes)))
    rows = (await session.execute(statement)).all()
    return {(code, urgency, stage): minutes for code, urgency, stage, minutes in rows}


async def limits_for(
    session: AsyncSession, street_code: str, class_code: str | None, urgency: Urgency | None
) -> dict[str, int]:
    """The working minutes of each stage (``verify`` ... ``close``) of a case of this class and urgency in this
    street: the street's own limits over the national defaults. A case with no class yet (``class_code``
    None) gets the national limits of the stages before filing (``verify``, ``file``) only; no urgency counts
    as ``normal``. An unknown class is a 422 naming ``class_code``."""
    urgency = urgency or "normal"
    if class_code is None:
        return {stage: minutes for stage, minutes in BEFORE_FILING_LIMITS[urgency].items()}
    found = find_class(class_code)
    if found is None:
        raise ValidationFailed.on("class_code", f"no case class {class_code} in the catalogue")
    own = await _own(session, street_code, [class_code])
    return {stage: own.get((class_code, urgency, stage), minutes) for stage, minutes in found.limits[urgency].items()}


def _limit(case_class: CaseClass, own: Own, urgency: Urgency, stage: Stage) -> LimitPublic:
    national = case_class.limits[urgency][stage]
    key = (case_class.code, urgency, stage)
    return LimitPublic(
        urgency=urgency, stage=stage, minutes=own.get(key, national), national_minutes=national, own=key in own
    )


def _public(case_class: CaseClass, own: Own) -> CaseClassPublic:
    limits = [_limit(case_class, own, urgency, stage) for urgency in URGENCIES for stage in STAGES]
    return CaseClassPublic(
        code=case_class.code,
        type=case_class.type,
        major_code=case_class.major_code,
        major_name=case_class.major_name,
        name=case_class.name,
        department_kind=case_class.department_kind,
        limits=limits,
    )


@functools.cache
def _national() -> dict[str, dict[str, Any]]:
    """Every class as answered with the national limits only, built once (the catalogue is code)."""
    return {code: _public(case_class, {}).model_dump(mode="json") for code, case_class in CLASSES.items()}


_OWN_LIMITS = PreparedQuery(
    select(col(CaseLimit.class_code), col(CaseLimit.urgency), col(CaseLimit.stage), col(CaseLimit.minutes)).where(
        col(CaseLimit.street_code) == bindparam("street_code", type_=String())
    )
)


async def list_classes(
    *, lane: FastLane, principal: Principal, street_code: str | None, type: CaseType | None, q: str | None
) -> dict[str, Any]:
    """The catalogue with the limits of the caller's street, filtered by type and by a part of the name (of the
    small or the large class), as ``CaseClassPage``'s fields: the national answer built once, and only the
    classes the street set limits of built again (one indexed read on the fast lane)."""
    street = access.street_for(principal, street_code)
    rows = await lane.fetch_prepared(_OWN_LIMITS, {"street_code": street})
    own: Own = {(row["class_code"], row["urgency"], row["stage"]): row["minutes"] for row in rows}
    changed = {code for code, _, _ in own}
    national = _national()
    items = [
        _public(case_class, own).model_dump(mode="json") if code in changed else national[code]
        for code, case_class in CLASSES.items()
        if (type is None or case_class.type == type)
        and (not q or q in case_class.name or q in case_class.major_name or case_class.code.startswith(q))
    ]
    return {"street_code": street, "items": items}


async def read_class(
    *, session: AsyncSession, principal: Principal, code: str, street_code: str | None
) -> CaseClassPublic:
    case_class = get_class(code)
    street = access.street_for(principal, street_code)
    return _public(case_class, await _own(session, street, [code]))


async def set_limits(
    *, session: AsyncSession, principal: Principal, code: str, street_code: str | None, limits_in: LimitsUpdate
) -> CaseClassPublic:
    """A street admin sets their street's own limits of a class (others of the class keep theirs)."""
    case_class = get_class(code)
    street = access.street_for(principal, street_code, keep=True)
    for limit in limits_in.limits:
        statement = insert(CaseLimit).values(
            street_code=street, class_code=code, urgency=limit.urgency, stage=limit.stage, minutes=limit.minutes
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["street_code", "class_code", "urgency", "stage"],
                set_={"minutes": statement.excluded.minutes},
            )
        )
    return _public(case_class, await _own(session, street, [code]))


async def reset_limits(
    *,
    session: AsyncSession,
    principal: Principal,
    code: str,
    street_code: str | None,
    urgency: Urgency | None,
    stage: Stage | None,
) -> CaseClassPublic:
    """Back to the national limits: all of the class's, or those of one urgency and/or stage."""
    case_class = get_class(code)
    street = access.street_for(principal, street_code, keep=True)
    statement = delete(CaseLimit).where(col(CaseLimit.street_code) == street, col(CaseLimit.class_code) == code)
    if urgency is not None:
        statement = statement.where(col(CaseLimit.urgency) == urgency)
    if stage is not None:
        statement = statement.where(col(CaseLimit.stage) == stage)
    await session.execute(statement)
    return _public(case_class, await _own(session, street, [code]))
