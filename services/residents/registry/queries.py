"""Reading residents on the read fast lane (``shared.fastlane``): the list with its search, and one resident.

Each shape of a read (the parts of the caller's scope, whether they see sensitive tags, the filters given)
is built and compiled once, then only its values are filled. The statements select exactly the fields of
``ResidentSummary`` / ``ResidentPublic``: the ID number and phone as the masks stored beside their
ciphertexts (nothing is decrypted), the tags without the sensitive ones for roles that may not see them."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Integer, LargeBinary, String, Uuid, bindparam, false, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col

from services.residents import people
from services.residents.models import Building, Household, Resident
from services.residents.registry.access import (
    SENSITIVE_TAGS,
    ScopeShape,
    resident_scope_clause,
    scope_of,
    sees_sensitive,
)
from services.residents.registry.service import ID_FIELD, PHONE_FIELD
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.pii import PiiCipher
from shared.security import Principal


def _tags(sensitive: bool) -> Any:
    """The resident's tags as the caller may see them: without the sensitive ones unless their role needs
    them (``access.visible_tags``, in the SQL: the order kept, every occurrence removed)."""
    tags: Any = col(Resident.tags)
    if not sensitive:
        for code in sorted(SENSITIVE_TAGS):
            tags = func.array_remove(tags, literal(code, String()), type_=ARRAY(String(40)))
    return tags.label("tags")


def summary_columns(sensitive: bool) -> tuple[Any, ...]:
    """``ResidentSummary``'s fields, by name."""
    return (
        col(Resident.id),
        col(Resident.name),
        col(Resident.gender),
        col(Resident.birth_date),
        col(Resident.id_number_masked).label("id_number"),
        col(Resident.phone_masked).label("phone"),
        col(Resident.household_id),
        col(Resident.relation),
        col(Resident.residence_type),
        _tags(sensitive),
        col(Resident.grid_code),
        col(Resident.community_code),
        col(Resident.street_code),
    )


def _public_columns(sensitive: bool) -> tuple[Any, ...]:
    """``ResidentPublic``'s fields, by name."""
    return (
        *summary_columns(sensitive),
        col(Resident.registered_residence),
        col(Resident.origin_township),
        col(Resident.employment),
        col(Resident.skills),
        col(Resident.guardian_id),
        col(Resident.created_at),
        col(Resident.updated_at),
    )


# -- one resident ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _one_query(shape: ScopeShape, sensitive: bool) -> PreparedQuery:
    return PreparedQuery(
        select(*_public_columns(sensitive)).where(
            col(Resident.id) == bindparam("resident_id", type_=Uuid()), resident_scope_clause(shape)
        )
    )


async def get(*, lane: FastLane, principal: Principal, resident_id: uuid.UUID) -> dict[str, Any]:
    """A resident of the caller's scope, as ``ResidentPublic``'s fields (404 outside it)."""
    shape, values = scope_of(principal)
    values["resident_id"] = resident_id
    rows = await lane.fetch_found(
        _one_query(shape, sees_sensitive(principal)), values, f"no resident {resident_id} in your scope"
    )
    return dict(rows[0])


# -- finding people --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    grid_code: str | None = None
    compound_id: uuid.UUID | None = None
    building_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    tags: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    residence_type: str | None = None
    q: str | None = None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search(pii: PiiCipher, q: str) -> tuple[str, Any]:
    """``q``: a full phone or ID number (blind index), else a name: exact or prefix, by characters, full
    pinyin or initials (张三 ← zhangsan, zhang, zs). Which of them, and the value to look for."""
    text = q.strip()
    try:
        return "phone", pii.blind_index(people.check_phone(text), field=PHONE_FIELD)
    except people.InvalidValue:
        pass
    try:
        return "id_number", pii.blind_index(people.check_id_number(text).value, field=ID_FIELD)
    except people.InvalidValue:
        pass
    key = people.search_key(text)
    if key and key.isascii():
        return "keys", _prefix(key)
    return "name", _prefix(text)


def _search_condition(kind: str) -> Any:
    if kind == "phone":
        return col(Resident.phone_index) == bindparam("q", type_=LargeBinary())
    if kind == "id_number":
        return col(Resident.id_number_index) == bindparam("q", type_=LargeBinary())
    if kind == "keys":
        pattern = bindparam("q", type_=String())
        return or_(col(Resident.name_pinyin).like(pattern), col(Resident.name_initials).like(pattern))
    return col(Resident.name).like(bindparam("q", type_=String()))


def _in_buildings(by_building: bool, by_compound: bool) -> Any:
    """Residents of the households of a building, of a compound's buildings, or both."""
    households = select(col(Household.id)).join(Building, col(Building.id) == col(Household.building_id))
    if by_building:
        households = households.where(col(Building.id) == bindparam("building_id", type_=Uuid()))
    if by_compound:
        households = households.where(col(Building.compound_id) == bindparam("compound_id", type_=Uuid()))
    return col(Resident.household_id).in_(households.scalar_subquery())


_FILTERS = {
    "grid_code": lambda: col(Resident.grid_code) == bindparam("grid_code", type_=String()),
    "household_id": lambda: col(Resident.household_id) == bindparam("household_id", type_=Uuid()),
    "tags": lambda: col(Resident.tags).contains(bindparam("tags", type_=ARRAY(String(40)))),
    "born_by": lambda: col(Resident.birth_date) <= bindparam("born_by", type_=Date()),
    "born_after": lambda: col(Resident.birth_date) > bindparam("born_after", type_=Date()),
    "residence_type": lambda: col(Resident.residence_type) == bindparam("residence_type", type_=String()),
}


@functools.lru_cache(maxsize=512)
def _list_query(
    shape: ScopeShape,
    sensitive: bool,
    filters: tuple[str, ...],
    places: tuple[bool, bool],
    hidden_tag: bool,
    search: str | None,
    after: bool,
) -> PreparedQuery:
    """One prepared statement per shape of the residents list."""
    statement = select(*summary_columns(sensitive)).where(
        resident_scope_clause(shape), *(_FILTERS[name]() for name in filters)
    )
    if any(places):
        statement = statement.where(_in_buildings(*places))
    if hidden_tag:
        statement = statement.where(false())  # a hidden tag is not a way to learn who bears it
    if search is not None:
        statement = statement.where(_search_condition(search))
    if after:
        statement = statement.where(
            tuple_(col(Resident.name), col(Resident.id))
            > tuple_(bindparam("after_name", type_=String()), bindparam("after_id", type_=Uuid()))
        )
    statement = statement.order_by(col(Resident.name), col(Resident.id))
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer())))


def list_statement(
    *, pii: PiiCipher, principal: Principal, filters: Filters, limit: int, cursor: str | None
) -> tuple[PreparedQuery, dict[str, Any]]:
    """The prepared statement of this page of the list and the values that fill it."""
    shape, values = scope_of(principal)
    sensitive = sees_sensitive(principal)
    given: list[str] = []
    for name in ("grid_code", "household_id", "residence_type"):
        if value := getattr(filters, name):
            given.append(name)
            values[name] = value
    hidden_tag = False
    if filters.tags:
        wanted = [t for t in filters.tags if sensitive or t not in SENSITIVE_TAGS]
        hidden_tag = len(wanted) < len(filters.tags)
        given.append("tags")
        values["tags"] = wanted
    today = datetime.now(UTC).date()
    if filters.min_age is not None:
        given.append("born_by")
        values["born_by"] = _years_before(today, filters.min_age)
    if filters.max_age is not None:
        given.append("born_after")
        values["born_after"] = _years_before(today, filters.max_age + 1)
    if filters.building_id:
        values["building_id"] = filters.building_id
    if filters.compound_id:
        values["compound_id"] = filters.compound_id
    kind = None
    if filters.q:
        kind, values["q"] = _search(pii, filters.q)
    if cursor:
        values["after_name"], values["after_id"] = decode_cursor(cursor, (str, uuid.UUID))
    values["limit"] = limit + 1
    places = (bool(filters.building_id), bool(filters.compound_id))
    return _list_query(shape, sensitive, tuple(given), places, hidden_tag, kind, bool(cursor)), values


async def search(
    *, lane: FastLane, pii: PiiCipher, principal: Principal, filters: Filters, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Residents in the caller's scope by name, as rows of ``ResidentSummary``'s fields."""
    query, values = list_statement(pii=pii, principal=principal, filters=filters, limit=limit, cursor=cursor)
    rows = await lane.fetch_prepared(query, values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["name"], row["id"]))
    return [dict(row) for row in items], next_cursor
