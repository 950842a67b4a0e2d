"""A street's departments (职能部门): registered by its admins, read by its people and systems. A department's
code is the street's code, ``D`` and the next two digits (01-99); its accounts are bound to that code on the
roster (role ``department``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.departments import access
from services.orders.departments.schemas import DepartmentCreate, DepartmentUpdate
from services.orders.models import Department, outbox_event
from shared import outbox
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.places import department_code
from shared.scope import any_of
from shared.security import Principal

MAX_DEPARTMENTS = 99


async def list_departments(*, session: AsyncSession, principal: Principal, active: bool | None) -> list[Department]:
    """The departments of the caller's streets, by code."""
    streets = access.streets_of(principal)
    if not streets:
        return []
    statement = select(Department).where(any_of(col(Department.street_code), streets))
    if active is not None:
        statement = statement.where(col(Department.active) == active)
    return list((await session.scalars(statement.order_by(col(Department.code)))).all())


async def get(*, session: AsyncSession, principal: Principal, code: str) -> Department:
    department = await session.get(Department, code)
    if department is None or department.street_code not in access.streets_of(principal):
        raise NotFound(f"no department {code} in your street")
    return department


async def create(*, session: AsyncSession, principal: Principal, department_in: DepartmentCreate) -> Department:
    """Register a department of the caller's street (street admins), with the street's next code."""
    streets = access.kept_streets(principal)
    if len(streets) != 1:
        raise ValidationFailed.on("name", "you run several streets: a department is registered by one street's admin")
    (street,) = streets
    # One registration at a time per street: the next code is read and taken in one go.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"departments:{street}"})
    taken = await session.scalar(
        select(col(Department.code)).where(
            col(Department.street_code) == street, col(Department.name) == department_in.name
        )
    )
    if taken is not None:
        raise Conflict.on("name", f"the street has a department of this name ({taken})")
    last = await session.scalar(select(func.max(col(Department.code))).where(col(Department.street_code) == street))
    number = int(last[-2:]) + 1 if last else 1
    if number > MAX_DEPARTMENTS:
        raise Conflict(f"a street has at most {MAX_DEPARTMENTS} departments")
    now = datetime.now(UTC)
    department = Department(
        code=department_code(street, number),
        street_code=street,
        name=department_in.name,
        kind=department_in.kind,
        phone=department_in.phone,
        created_at=now,
        updated_at=now,
    )
    session.add(department)
    await session.flush()
    await _event(session, "department.created", department)
    return department


async def update(
    *, session: AsyncSession, principal: Principal, code: str, department_in: DepartmentUpdate
) -> Department:
    """Rename a department, change its line, take it out of service or back (the street's admins)."""
    department = await session.scalar(select(Department).where(col(Department.code) == code).with_for_update())
    if department is None or department.street_code not in access.kept_streets(principal):
        raise NotFound(f"no department {code} in your street")
    changes = department_in.model_dump(exclude_unset=True)
    for field in ("name", "active"):
        if field in changes and changes[field] is None:
            raise ValidationFailed.on(field, "may not be null")
    if (name := changes.get("name")) is not None and name != department.name:
        taken = await session.scalar(
            select(col(Department.code)).where(
                col(Department.street_code) == department.street_code, col(Department.name) == name
            )
        )
        if taken is not None:
            raise Conflict.on("name", f"the street has a department of this name ({taken})")
    for key, value in changes.items():
        setattr(department, key, value)
    department.updated_at = datetime.now(UTC)
    await session.flush()
    await _event(session, "department.updated", department, changed=sorted(changes))
    return department


async def _event(session: AsyncSession, event_type: str, department: Department, **extra: Any) -> None:
    """Codes and states only: the street's systems fetch the department for its name."""
    await outbox.emit(
        session,
        outbox_event,
        type=event_type,
        aggregate_id=department.code,
        payload={
            "department_code": department.code,
            "street_code": department.street_code,
            "kind": department.kind,
            "active": department.active,
            **extra,
        },
    )
