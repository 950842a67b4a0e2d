"""The residents tables: its own SQLModel registry, so its metadata holds only its tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import DateTime, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import naming_convention_metadata
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class ResidentsModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    pass


metadata = ResidentsModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)


def _now() -> datetime:
    return datetime.now(UTC)


class Compound(ResidentsModel, table=True):
    """小区: groups buildings, may span grids."""

    __table_args__ = (UniqueConstraint("community_code", "name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    community_code: str = Field(max_length=12)
    street_code: str = Field(index=True, max_length=9)


class Building(ResidentsModel, table=True):
    """楼栋, in one grid."""

    __table_args__ = (UniqueConstraint("compound_id", "name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    compound_id: uuid.UUID = Field(foreign_key="compound.id")
    name: str = Field(max_length=50)
    floors: int | None = None
    units: int | None = None
    grid_code: str = Field(index=True, max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)


class Household(ResidentsModel, table=True):
    """户: a flat of a building (unit + room), with its head among its residents."""

    __table_args__ = (
        UniqueConstraint("building_id", "unit", "room"),
        # The lists of households (by address) of a grid and of a community.
        Index("ix_household_grid_address", "grid_code", "address", "id"),
        Index("ix_household_community_address", "community_code", "address", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    building_id: uuid.UUID = Field(foreign_key="building.id", index=True)
    unit: str = Field(max_length=20)
    room: str = Field(max_length=20)
    address: str = Field(max_length=200)
    grid_code: str = Field(index=True, max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Tag(ResidentsModel, table=True):
    """Local tags (the "X" of GB/T 31000 "9+X"), per community; the nine standard ones are in
    ``vocab.STANDARD_TAGS``. Together they are the catalogue."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=40)
    sensitive: bool = False
    local: bool = False
    community_code: str | None = Field(default=None, max_length=12)  # a local tag's community


class Resident(ResidentsModel, table=True):
    """居民. The ID number and phone exist only encrypted (AES-GCM, key id inside) and as HMAC
    blind indexes for exact lookup; name search uses stored pinyin keys (no pg_trgm embedded)."""

    __table_args__ = (
        Index("ix_resident_grid_name", "grid_code", "name", "id"),
        Index(
            "ix_resident_grid_pinyin",
            "grid_code",
            "name_pinyin",
            "id",
            postgresql_ops={"name_pinyin": "text_pattern_ops"},
        ),
        Index(
            "ix_resident_grid_initials",
            "grid_code",
            "name_initials",
            "id",
            postgresql_ops={"name_initials": "text_pattern_ops"},
        ),
        Index("ix_resident_name_prefix", "name", "id", postgresql_ops={"name": "text_pattern_ops"}),
        Index("ix_resident_pinyin_prefix", "name_pinyin", "id", postgresql_ops={"name_pinyin": "text_pattern_ops"}),
        Index(
            "ix_resident_initials_prefix", "name_initials", "id", postgresql_ops={"name_initials": "text_pattern_ops"}
        ),
        Index("ix_resident_tags", "tags", postgresql_using="gin"),
        Index("ix_resident_grid_birth", "grid_code", "birth_date"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    relation: str = Field(max_length=20)
    name: str = Field(max_length=50)
    name_pinyin: str = Field(max_length=200)
    name_initials: str = Field(max_length=50)
    gender: str = Field(max_length=1)
    birth_date: date
    id_number_encrypted: bytes
    id_number_index: bytes = Field(unique=True)
    id_number_masked: str = Field(max_length=18)  # what responses show: 110105********002X
    phone_encrypted: bytes | None = None
    phone_index: bytes | None = Field(default=None, index=True)
    phone_masked: str | None = Field(default=None, max_length=11)  # 138****1234
    registered_residence: str | None = Field(default=None, max_length=200)
    residence_type: str = Field(max_length=20)
    origin_township: str | None = Field(default=None, max_length=100)
    employment: str | None = Field(default=None, max_length=20)
    skills: list[str] = Field(default_factory=list, sa_type=ARRAY(String(50)))
    tags: list[str] = Field(default_factory=list, sa_type=ARRAY(String(40)))
    guardian_id: uuid.UUID | None = Field(default=None, foreign_key="resident.id")
    grid_code: str = Field(max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class RevealAudit(ResidentsModel, table=True):
    """Every reveal of clear personal data: append-only, enforced by a trigger in the database."""

    __tablename__ = "reveal_audit"

    id: int | None = Field(default=None, sa_column_kwargs={"autoincrement": True}, primary_key=True)
    at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True), index=True)
    account_id: str = Field(max_length=64)
    role: str = Field(max_length=20)
    resident_id: uuid.UUID = Field(index=True)
    fields: list[str] = Field(sa_type=ARRAY(String(20)))
    purpose: str = Field(max_length=200)
    request_id: str | None = Field(default=None, max_length=100)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(max_length=9)
