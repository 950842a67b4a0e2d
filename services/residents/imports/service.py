"""Importing a register (CSV or xlsx) into one community, all or nothing, and exporting one.

Rows are checked first (``sheets.read_sheet``), then against the database: the places they name,
ID numbers already registered (one blind-index query for the whole sheet), guardians for minors.
The grids of new buildings are asked of the grids service, once per grid. Any error means nothing is
written; a dry run only reports. The writing uses COPY, the household events too (``events``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import BYTEA
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.residents import events, people
from services.residents.clients import OtherServices
from services.residents.imports.access import community_for
from services.residents.imports.schemas import ImportError_, ImportReport
from services.residents.imports.sheets import RowError, SheetRow, read_sheet, write_sheet
from services.residents.models import Building, Compound, Household, Resident, Tag
from services.residents.registry import service as registry
from services.residents.registry.access import resident_scope, visible_tags
from services.residents.vocab import EMPLOYMENT, GENDERS, RELATIONS, RESIDENCE_TYPES, STANDARD_TAGS
from shared.errors import ValidationFailed
from shared.households import HouseholdFact
from shared.pii import PiiCipher, mask_name, mask_phone
from shared.places import community_of, street_of
from shared.scope import any_of
from shared.security import Principal

ID_COLUMN, PLACE_COLUMN, GRID_COLUMN = "身份证号", "楼栋", "网格编码"
ADULT_RELATIONS = ("head", "spouse", "parent", "grandparent", "sibling", "other")


async def import_sheet(
    *,
    session: AsyncSession,
    pii: PiiCipher,
    principal: Principal,
    others: OtherServices,
    community_code: str | None,
    data: bytes,
    filename: str | None,
    dry_run: bool,
) -> ImportReport:
    community = community_for(principal, community_code)
    try:
        rows, errors = read_sheet(data, filename, None)
    except ValueError as exc:
        raise ValidationFailed.on("file", str(exc)) from exc
    total = len(rows) + len({e.row for e in errors if e.row > 1})  # the rows read, good or bad
    plan = _Plan(community, pii)
    await plan.load_places(session)
    for row in rows:
        plan.place(row, errors)
    await plan.check_grids(others, errors)
    await plan.check_registered(session, rows, errors)
    plan.assign_guardians(rows, errors)
    report_errors = [ImportError_(row=e.row, column=e.column, reason=e.reason) for e in sorted(errors, key=_order)]
    if errors or dry_run:
        return ImportReport(dry_run=dry_run, rows=total, created=0, errors=report_errors)
    created = await plan.write(session, rows)
    return ImportReport(dry_run=False, rows=total, created=created, errors=[])


def _order(error: RowError) -> tuple[int, str]:
    return error.row, error.column


class _Plan:
    """The places and people an import will write, worked out before anything is written."""

    def __init__(self, community: str, pii: PiiCipher) -> None:
        self.community = community
        self.street = street_of(community)
        self.pii = pii
        self.compounds: dict[str, uuid.UUID] = {}
        self.buildings: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, str]] = {}  # → (id, grid)
        self.households: dict[tuple[uuid.UUID, str, str], tuple[uuid.UUID, str]] = {}  # → (id, grid)
        self.new_compounds: list[dict[str, Any]] = []
        self.new_buildings: list[dict[str, Any]] = []
        self.new_households: list[dict[str, Any]] = []
        self.building_row: dict[uuid.UUID, int] = {}  # a new building → the first row naming it
        self.compound_names: dict[uuid.UUID, str] = {}
        self.household_of: dict[int, tuple[uuid.UUID, str]] = {}  # row → (household, grid)
        self.guardian_of: dict[int, uuid.UUID] = {}
        self.ids: dict[int, uuid.UUID] = {}
        self.local_tags: set[str] = set()
        self.known_tags: set[str] = set(STANDARD_TAGS)

    async def load_places(self, session: AsyncSession) -> None:
        for compound in (
            await session.scalars(select(Compound).where(col(Compound.community_code) == self.community))
        ).all():
            self.compounds[compound.name] = compound.id
            self.compound_names[compound.id] = compound.name
        buildings = (
            await session.scalars(select(Building).where(col(Building.community_code) == self.community))
        ).all()
        for b in buildings:
            self.buildings[(b.compound_id, b.name)] = (b.id, b.grid_code)
        for h in (
            await session.scalars(select(Household).where(col(Household.community_code) == self.community))
        ).all():
            self.households[(h.building_id, h.unit, h.room)] = (h.id, h.grid_code)
        self.known_tags |= set(
            (await session.scalars(select(col(Tag.code)).where(col(Tag.community_code) == self.community))).all()
        )

    def place(self, row: SheetRow, errors: list[RowError]) -> None:
        compound_id = self.compounds.get(row.compound)
        if compound_id is None:
            compound_id = self.compounds[row.compound] = uuid.uuid4()
            self.compound_names[compound_id] = row.compound
            self.new_compounds.append(
                {"id": compound_id, "name": row.compound, "community_code": self.community, "street_code": self.street}
            )
        building = self.buildings.get((compound_id, row.building))
        if building is None:
            if row.grid_code is None:
                errors.append(RowError(row.row, PLACE_COLUMN, "a new building needs its grid (网格编码)"))
                return
            if community_of(row.grid_code) != self.community:
                errors.append(RowError(row.row, GRID_COLUMN, "the grid is not in this community"))
                return
            building = self.buildings[(compound_id, row.building)] = (uuid.uuid4(), row.grid_code)
            self.building_row[building[0]] = row.row
            self.new_buildings.append(
                {
                    "id": building[0],
                    "compound_id": compound_id,
                    "name": row.building,
                    "grid_code": row.grid_code,
                    "community_code": self.community,
                    "street_code": self.street,
                }
            )
        elif row.grid_code is not None and row.grid_code != building[1]:
            errors.append(RowError(row.row, GRID_COLUMN, "the building lies in another grid"))
            return
        household = self.households.get((building[0], row.unit, row.room))
        if household is None:
            household = self.households[(building[0], row.unit, row.room)] = (uuid.uuid4(), building[1])
            self.new_households.append(
                {
                    "id": household[0],
                    "building_id": building[0],
                    "unit": row.unit,
                    "room": row.room,
                    "address": f"{row.compound}{row.building}{row.unit}{row.room}",
                    "grid_code": building[1],
                    "community_code": self.community,
                    "street_code": self.street,
                    "created_at": datetime.now(UTC),
                }
            )
        self.household_of[row.row] = household
        self.ids[row.row] = uuid.uuid4()
        self.local_tags |= {t for t in row.tags if t not in self.known_tags}

    async def check_grids(self, others: OtherServices, errors: list[RowError]) -> None:
        """The grids of the new buildings must exist in the grids service: one question per grid."""
        for grid_code in sorted({b["grid_code"] for b in self.new_buildings}):
            if not await others.grid_exists(grid_code):
                errors.extend(
                    RowError(self.building_row[b["id"]], GRID_COLUMN, "the grids service knows no such grid")
                    for b in self.new_buildings
                    if b["grid_code"] == grid_code
                )

    async def check_registered(self, session: AsyncSession, rows: Sequence[SheetRow], errors: list[RowError]) -> None:
        indexes = {self.pii.blind_index(row.id_number, field=registry.ID_FIELD): row.row for row in rows}
        taken = (
            await session.scalars(
                select(col(Resident.id_number_index)).where(
                    any_of(col(Resident.id_number_index), list(indexes), BYTEA())
                )
            )
        ).all()
        for index in taken:
            errors.append(RowError(indexes[index], ID_COLUMN, "a resident with this ID number is already registered"))

    def assign_guardians(self, rows: Sequence[SheetRow], errors: list[RowError]) -> None:
        """A child under 14 gets the household's first adult of the sheet as guardian."""
        today = datetime.now(UTC).date()
        adults: dict[uuid.UUID, uuid.UUID] = {}
        for row in rows:
            if row.row in self.household_of and people.age_on(row.birth_date, today) >= registry.ADULT_AGE:
                adults.setdefault(self.household_of[row.row][0], self.ids[row.row])
        for row in rows:
            if row.row not in self.household_of or people.age_on(row.birth_date, today) >= registry.GUARDIAN_AGE:
                continue
            guardian = adults.get(self.household_of[row.row][0])
            if guardian is None:
                errors.append(
                    RowError(row.row, ID_COLUMN, "a resident under 14 needs an adult of the household in the sheet")
                )
            else:
                self.guardian_of[row.row] = guardian

    async def write(self, session: AsyncSession, rows: Sequence[SheetRow]) -> int:
        connection = await (await session.connection()).get_raw_connection()
        raw = connection.driver_connection
        assert raw is not None
        now = datetime.now(UTC)
        for table, new in (
            ("compound", self.new_compounds),
            ("building", self.new_buildings),
            ("household", self.new_households),
        ):
            if new:
                columns = list(new[0])
                await raw.copy_records_to_table(
                    table, records=[tuple(r[c] for c in columns) for r in new], columns=columns
                )
        household_events = self.created_events(rows)
        new_households = {h["id"] for h in self.new_households}
        heads_before = await events.heads(
            session,
            {
                household
                for row in rows
                if row.relation == events.HEAD and (household := self.household_of[row.row][0]) not in new_households
            },
        )
        if self.local_tags:
            await raw.copy_records_to_table(
                "tag",
                records=[(t, t, False, True, self.community) for t in sorted(self.local_tags)],
                columns=["code", "name", "sensitive", "local", "community_code"],
            )
        records = []
        resident_events = []
        for row in rows:
            household, grid = self.household_of[row.row]
            sealed = registry.seal(
                self.pii, people.IdNumber(value=row.id_number, birth_date=row.birth_date, gender=row.gender), row.phone
            )
            pinyin, initials = people.name_keys(row.name)
            resident_id = self.ids[row.row]
            records.append(
                (
                    resident_id, household, row.relation, row.name, pinyin, initials,
                    sealed.gender, sealed.birth_date, sealed.id_number_encrypted, sealed.id_number_index,
                    sealed.id_number_masked, sealed.phone_encrypted, sealed.phone_index, sealed.phone_masked,
                    row.registered_residence, row.residence_type, row.origin_township, row.employment,
                    list(row.skills), sorted(set(row.tags)), self.guardian_of.get(row.row),
                    grid, self.community, self.street, now, now,
                )
            )  # fmt: skip
            resident_events.append(
                (
                    uuid.uuid4(),
                    "resident.created",
                    str(resident_id),
                    json.dumps(
                        {
                            "resident_id": str(resident_id),
                            "household_id": str(household),
                            "grid_code": grid,
                            "community_code": self.community,
                            "street_code": self.street,
                        }
                    ),
                )
            )
        await raw.copy_records_to_table("resident", records=records, columns=RESIDENT_COLUMNS)
        # Households that had no head and get one from the sheet.
        for household_id, fact in (await events.facts(session, heads_before)).items():
            if heads_before[household_id] != (fact.contact_name, fact.contact_phone):
                household_events.append(events.outbox_record("household.updated", fact))
        await raw.copy_records_to_table(
            "outbox_event", records=household_events + resident_events, columns=OUTBOX_COLUMNS
        )
        return len(records)

    def created_events(self, rows: Sequence[SheetRow]) -> list[tuple[uuid.UUID, str, str, str]]:
        """``household.created`` of every new household, built here rather than read back: its head is
        the sheet's head row of the smallest resident id, as ``events.facts_statement`` orders heads
        written at the same instant."""
        heads: dict[uuid.UUID, SheetRow] = {}
        for row in rows:
            household = self.household_of[row.row][0]
            if row.relation == events.HEAD and (
                household not in heads or self.ids[row.row] < self.ids[heads[household].row]
            ):
                heads[household] = row
        compound_of = {b["id"]: b["compound_id"] for b in self.new_buildings} | {
            building_id: compound_id for (compound_id, _), (building_id, _) in self.buildings.items()
        }
        records = []
        for new in self.new_households:
            head = heads.get(new["id"])
            compound_id = compound_of[new["building_id"]]
            fact = HouseholdFact(
                household_id=new["id"],
                building_id=new["building_id"],
                compound_id=compound_id,
                compound_name=self.compound_names[compound_id],
                address=new["address"],
                grid_code=new["grid_code"],
                community_code=self.community,
                street_code=self.street,
                contact_name=mask_name(head.name) if head else None,
                contact_phone=mask_phone(head.phone) if head and head.phone else None,
            )
            records.append(events.outbox_record("household.created", fact))
        return records


OUTBOX_COLUMNS = ["id", "type", "aggregate_id", "payload"]
RESIDENT_COLUMNS = [
    "id", "household_id", "relation", "name", "name_pinyin", "name_initials",
    "gender", "birth_date", "id_number_encrypted", "id_number_index",
    "id_number_masked", "phone_encrypted", "phone_index", "phone_masked",
    "registered_residence", "residence_type", "origin_township", "employment",
    "skills", "tags", "guardian_id",
    "grid_code", "community_code", "street_code", "created_at", "updated_at",
]  # fmt: skip


EXPORT_HEADERS = [
    "姓名", "性别", "出生日期", "身份证号", "手机号", "小区", "楼栋", "单元", "门牌号",
    "与户主关系", "居住类型", "户籍地", "原籍乡镇", "就业状态", "技能", "标签", "网格编码",
]  # fmt: skip


async def export_sheet(*, session: AsyncSession, principal: Principal, grid_code: str | None) -> bytes:
    """The residents in the caller's scope as an xlsx, ID numbers and phones masked."""
    statement = (
        select(Resident, Household, Building, Compound)
        .join(Household, col(Household.id) == col(Resident.household_id))
        .join(Building, col(Building.id) == col(Household.building_id))
        .join(Compound, col(Compound.id) == col(Building.compound_id))
        .where(resident_scope(principal))
        .order_by(col(Resident.grid_code), col(Household.address), col(Resident.id))
    )
    if grid_code is not None:
        statement = statement.where(col(Resident.grid_code) == grid_code)
    result = await session.stream(statement.execution_options(yield_per=2000))
    rows = []
    async for resident, household, building, compound in result:
        rows.append(
            [
                resident.name, GENDERS.get(resident.gender, ""), resident.birth_date.isoformat(),
                resident.id_number_masked, resident.phone_masked, compound.name, building.name,
                household.unit, household.room, RELATIONS.get(resident.relation, resident.relation),
                RESIDENCE_TYPES.get(resident.residence_type, resident.residence_type), resident.registered_residence,
                resident.origin_township, EMPLOYMENT.get(resident.employment or "", None), list(resident.skills),
                [STANDARD_TAGS.get(t, (t, False))[0] for t in visible_tags(resident.tags, principal)],
                resident.grid_code,
            ]
        )  # fmt: skip
    return write_sheet(EXPORT_HEADERS, rows)
