"""The grids service's tables: its own SQLModel registry, so its metadata holds only its tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.grids.geometry import PgPolygon, Position
from shared.db import naming_convention_metadata
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class GridsModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    pass


metadata = GridsModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)


def _now() -> datetime:
    return datetime.now(UTC)


class Street(GridsModel, table=True):
    """街道 / 镇: county code + 3 digits."""

    code: str = Field(primary_key=True, max_length=9)
    name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Community(GridsModel, table=True):
    """社区 (居委会) or 村委会: street code + 3 digits."""

    code: str = Field(primary_key=True, max_length=12)
    street_code: str = Field(foreign_key="street.code", index=True, max_length=9)
    name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Grid(GridsModel, table=True):
    """网格: community code + 3-digit sequence, with an optional boundary (GiST-indexed)."""

    __table_args__ = (Index("ix_grid_boundary", "boundary", postgresql_using="gist"),)

    code: str = Field(primary_key=True, max_length=15)
    community_code: str = Field(foreign_key="community.code", index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    name: str = Field(max_length=100)
    boundary: list[Position] | None = Field(default=None, sa_type=PgPolygon)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


# -- the roster and party organisation ---------------------------------------------------------

# An employer account (jobs service) is bound to the community its employer operates in.
MEMBER_ROLES = (
    "street_admin",
    "community_staff",
    "grid_worker",
    "party_member",
    "volunteer",
    "building_head",
    "employer",
)
PARTY_KINDS = ("resident", "work_unit", "co_building")  # 居民党员 / 在职党员双报到 / 共驻共建
PARTY_LEVELS = ("county_committee", "street_committee", "community_org", "compound_branch", "building_group")


class PartyOrg(GridsModel, table=True):
    """A node of the five-level party tree: 县委 → 街道党工委 → 社区党组织 → 小区党支部 → 楼栋党小组."""

    __tablename__ = "party_org"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="party_org.id", index=True)
    level: str = Field(max_length=20)
    name: str = Field(max_length=100)
    # The place it sits in: the county (6 digits) for the committee, else a street or community code.
    place_code: str = Field(index=True, max_length=12)
    street_code: str | None = Field(default=None, index=True, max_length=9)
    community_code: str | None = Field(default=None, index=True, max_length=12)
    compound: str | None = Field(default=None, max_length=100)
    building: str | None = Field(default=None, max_length=50)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Member(GridsModel, table=True):
    """A person of the roster (staff, grid worker, party member, volunteer, partner unit ...),
    linked to the gateway account they sign in with. No ID numbers or phones here."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID | None = Field(default=None, unique=True)
    name: str = Field(max_length=100)
    street_code: str = Field(index=True, max_length=9)
    community_code: str | None = Field(default=None, index=True, max_length=12)  # None: a street's admin
    party_kind: str | None = Field(default=None, max_length=20)
    party_org_id: uuid.UUID | None = Field(default=None, foreign_key="party_org.id", index=True)
    work_unit: str | None = Field(default=None, max_length=100)
    full_time: bool | None = Field(default=None)
    is_unit: bool = Field(default=False)  # a partner unit 共建单位 rather than a person
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Binding(GridsModel, table=True):
    """Member → role → place: what the gateway puts into the member's tokens."""

    __table_args__ = (UniqueConstraint("member_id", "role", "place_code"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)
    place_code: str = Field(max_length=15)
    street_code: str = Field(index=True, max_length=9)
    community_code: str | None = Field(default=None, index=True, max_length=12)
    grid_code: str | None = Field(default=None, index=True, max_length=15)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Household(GridsModel, table=True):
    """The grids service's copy of a household (the residents service owns it): where it is and
    a masked contact, enough to visit it and to list it for its linked party member."""

    id: uuid.UUID = Field(primary_key=True)
    grid_code: str = Field(index=True, max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    address: str = Field(max_length=200)
    contact_name: str | None = Field(default=None, max_length=50)  # masked: 张*
    contact_phone: str | None = Field(default=None, max_length=20)  # masked: 139****0001
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class HouseholdLink(GridsModel, table=True):
    """十联户 / 党员联系到户: a party member linked to a household."""

    __tablename__ = "household_link"

    member_id: uuid.UUID = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    household_id: uuid.UUID = Field(foreign_key="household.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


# -- visits ---------------------------------------------------------------------------------

VISIT_KINDS = ("routine", "wedding_funeral", "illness", "family_change", "dispute", "accident")


class Visit(GridsModel, table=True):
    """走访: the id is the app's own (made offline), so creating it twice is harmless."""

    __table_args__ = (
        Index("ix_visit_grid_time", "grid_code", "visited_at", "id"),
        Index("ix_visit_member_time", "member_id", "visited_at", "id"),
        Index("ix_visit_household_time", "household_id", "visited_at", "id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    member_id: uuid.UUID = Field(foreign_key="member.id")
    household_id: uuid.UUID = Field(foreign_key="household.id")
    grid_code: str = Field(max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    kind: str = Field(max_length=20)
    visited_at: datetime = Field(sa_type=DateTime(timezone=True))
    lat: float | None = Field(default=None)
    lng: float | None = Field(default=None)
    outside_grid: bool | None = Field(default=None)  # null: no GPS, or no boundary to check
    notes: str = Field(default="", max_length=2000)
    follow_up: bool = Field(default=False)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class VisitPhoto(GridsModel, table=True):
    __tablename__ = "visit_photo"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visit.id", index=True, ondelete="CASCADE")
    content_type: str = Field(max_length=20)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
