"""Reading compounds, buildings and households on the read fast lane (``shared.fastlane``): their lists and
their single reads, each shape of a read (the caller's scope parts, the filters given) built and compiled
once, the statements selecting exactly the fields of the response models."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import orjson
from sqlalchemy import Integer, String, Uuid, bindparam, func, literal_column, select, true, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel import col

from services.residents.events import HEAD
from services.residents.models import Building, Compound, Household, Resident
from services.residents.places.access import (
    building_scope,
    building_scope_clause,
    compound_scope,
    compound_scope_clause,
)
from services.residents.registry.access import (
    ScopeShape,
    household_scope_clause,
    resident_scope_clause,
    scope_of,
    sees_sensitive,
)
from services.residents.registry.queries import summary_columns
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.pii import mask_name
from shared.security import Principal


def _keyset(statement: Any, name: Any, row_id: Any, after: bool) -> PreparedQuery:
    """A page ordered by (a text column, the id), after the cursor's (``after_name``, ``after_id``), of
    ``limit`` rows (one more than the page, so ``page_of`` knows whether more follow)."""
    if after:
        statement = statement.where(
            tuple_(name, row_id) > tuple_(bindparam("after_name", type_=String()), bindparam("after_id", type_=Uuid()))
        )
    return PreparedQuery(statement.order_by(name, row_id).limit(bindparam("limit", type_=Integer())))


def _page_values(values: dict[str, Any], limit: int, cursor: str | None) -> dict[str, Any]:
    if cursor:
        values["after_name"], values["after_id"] = decode_cursor(cursor, (str, uuid.UUID))
    values["limit"] = limit + 1
    return values


# -- compounds -------------------------------------------------------------------------------------

_COMPOUND = (col(Compound.id), col(Compound.name), col(Compound.community_code), col(Compound.street_code))


@functools.lru_cache(maxsize=64)
def _compounds_query(shape: ScopeShape, by_community: bool, after: bool) -> PreparedQuery:
    statement = select(*_COMPOUND).where(compound_scope_clause(shape))
    if by_community:
        statement = statement.where(col(Compound.community_code) == bindparam("community_code", type_=String()))
    return _keyset(statement, col(Compound.name), col(Compound.id), after)


async def list_compounds(
    *, lane: FastLane, principal: Principal, community_code: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Compounds of the caller's places by name, as rows of ``CompoundPublic``'s fields."""
    shape, values = compound_scope(principal)
    values["community_code"] = community_code
    query = _compounds_query(shape, community_code is not None, bool(cursor))
    rows = await lane.fetch_prepared(query, _page_values(values, limit, cursor))
    items, next_cursor = page_of(rows, limit, lambda row: (row["name"], row["id"]))
    return [dict(row) for row in items], next_cursor


@functools.lru_cache(maxsize=64)
def _compound_query(shape: ScopeShape) -> PreparedQuery:
    return PreparedQuery(
        select(*_COMPOUND).where(
            col(Compound.id) == bindparam("compound_id", type_=Uuid()), compound_scope_clause(shape)
        )
    )


async def get_compound(*, lane: FastLane, principal: Principal, compound_id: uuid.UUID) -> dict[str, Any]:
    shape, values = compound_scope(principal)
    values["compound_id"] = compound_id
    rows = await lane.fetch_found(_compound_query(shape), values, f"no compound {compound_id} in your scope")
    return dict(rows[0])


# -- buildings -------------------------------------------------------------------------------------

_BUILDING = (
    col(Building.id),
    col(Building.compound_id),
    col(Building.name),
    col(Building.floors),
    col(Building.units),
    col(Building.grid_code),
    col(Building.community_code),
    col(Building.street_code),
)


@functools.lru_cache(maxsize=128)
def _buildings_query(shape: ScopeShape, by_compound: bool, by_grid: bool, after: bool) -> PreparedQuery:
    statement = select(*_BUILDING).where(building_scope_clause(shape))
    if by_compound:
        statement = statement.where(col(Building.compound_id) == bindparam("compound_id", type_=Uuid()))
    if by_grid:
        statement = statement.where(col(Building.grid_code) == bindparam("grid_code", type_=String()))
    return _keyset(statement, col(Building.name), col(Building.id), after)


async def list_buildings(
    *,
    lane: FastLane,
    principal: Principal,
    compound_id: uuid.UUID | None,
    grid_code: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Buildings of the caller's places by name, as rows of ``BuildingPublic``'s fields."""
    shape, values = building_scope(principal)
    values.update(compound_id=compound_id, grid_code=grid_code)
    query = _buildings_query(shape, compound_id is not None, grid_code is not None, bool(cursor))
    rows = await lane.fetch_prepared(query, _page_values(values, limit, cursor))
    items, next_cursor = page_of(rows, limit, lambda row: (row["name"], row["id"]))
    return [dict(row) for row in items], next_cursor


# -- households ------------------------------------------------------------------------------------

_HOUSEHOLD = (
    col(Household.id),
    col(Household.building_id),
    col(Building.compound_id),
    col(Household.unit),
    col(Household.room),
    col(Household.address),
    col(Household.grid_code),
    col(Household.community_code),
    col(Household.street_code),
)


@functools.lru_cache(maxsize=128)
def _households_query(shape: ScopeShape, by_building: bool, by_grid: bool, after: bool) -> PreparedQuery:
    """Households with their compound and their head (the earliest registered resident whose relation is
    ``head``, as ``events.facts_statement`` says): the head's name, masked after, and the phone's mask
    stored beside its ciphertext."""
    head = (
        select(col(Resident.name).label("name"), col(Resident.phone_masked).label("phone"))
        .where(col(Resident.household_id) == col(Household.id), col(Resident.relation) == literal_column(f"'{HEAD}'"))
        .order_by(col(Resident.created_at), col(Resident.id))
        .limit(1)
        .lateral("head")
    )
    statement = (
        select(*_HOUSEHOLD, head.c.name.label("contact_name"), head.c.phone.label("contact_phone"))
        .join(Building, col(Building.id) == col(Household.building_id))
        .outerjoin(head, true())
        .where(household_scope_clause(shape))
    )
    if by_building:
        statement = statement.where(col(Household.building_id) == bindparam("building_id", type_=Uuid()))
    if by_grid:
        statement = statement.where(col(Household.grid_code) == bindparam("grid_code", type_=String()))
    return _keyset(statement, col(Household.address), col(Household.id), after)


async def list_households(
    *,
    lane: FastLane,
    principal: Principal,
    building_id: uuid.UUID | None,
    grid_code: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Households of the caller's scope by address, as rows of ``HouseholdSummary``'s fields: the head's
    name masked (张*), the phone as its stored mask."""
    shape, values = scope_of(principal)
    values.update(building_id=building_id, grid_code=grid_code)
    query = _households_query(shape, building_id is not None, grid_code is not None, bool(cursor))
    rows = await lane.fetch_prepared(query, _page_values(values, limit, cursor))
    items, next_cursor = page_of(rows, limit, lambda row: (row["address"], row["id"]))
    households = [dict(row) for row in items]
    for household in households:
        name = household["contact_name"]
        household["contact_name"] = mask_name(name) if name else None
    return households, next_cursor


def _json_object(columns: tuple[Any, ...]) -> Any:
    """``json_build_object`` of labelled columns, keyed by their labels."""
    pairs: list[Any] = []
    for column in columns:
        pairs += [literal_column(f"'{column.key}'"), column]
    return func.json_build_object(*pairs)


@functools.lru_cache(maxsize=64)
def _household_query(shape: ScopeShape, sensitive: bool) -> PreparedQuery:
    """A household of the caller's scope with its compound and, as one JSON array, those of its residents
    the caller may see (head first, then by age, as ``ResidentSummary``)."""
    residents = (
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(
                        _json_object(summary_columns(sensitive)),
                        col(Resident.relation) != literal_column(f"'{HEAD}'"),
                        col(Resident.birth_date),
                        col(Resident.id),
                    )
                ),
                literal_column("'[]'::json"),
            )
        )
        .where(col(Resident.household_id) == col(Household.id), resident_scope_clause(shape))
        .scalar_subquery()
    )
    return PreparedQuery(
        select(*_HOUSEHOLD, residents.label("residents"))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Household.id) == bindparam("household_id", type_=Uuid()), household_scope_clause(shape))
    )


async def get_household(*, lane: FastLane, principal: Principal, household_id: uuid.UUID) -> dict[str, Any]:
    """A household and its residents, as ``HouseholdPublic``'s fields (404 outside the caller's scope)."""
    shape, values = scope_of(principal)
    values["household_id"] = household_id
    rows = await lane.fetch_found(
        _household_query(shape, sees_sensitive(principal)), values, f"no household {household_id} in your scope"
    )
    household = dict(rows[0])
    household["residents"] = orjson.Fragment(household["residents"])  # JSON already, from the database
    return household
