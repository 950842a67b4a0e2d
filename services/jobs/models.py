"""The jobs tables: its own SQLModel registry, so its metadata holds only its tables.

No resident's personal data is kept here: seekers, applications and enrolments carry the resident's
id and the codes of where they live (copied when the row is made), never a name, phone or ID number.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Identity, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import naming_convention_metadata
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class JobsModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    pass


metadata = JobsModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)

# Applications still in progress (staff or the employer move them on), and those that hold the
# seeker's one place per posting (a new application needs the old one rejected or withdrawn).
OPEN_APPLICATION_STATES = ("applied", "shortlisted", "interviewed")
LIVE_APPLICATION_STATES = (*OPEN_APPLICATION_STATES, "hired")


def _now() -> datetime:
    return datetime.now(UTC)


def _text_array(length: int) -> ARRAY[str]:
    return ARRAY(String(length))


class Employer(JobsModel, table=True):
    """社区工厂 / 扶贫车间, hotels, hospitals, supermarkets... The contact phone exists only encrypted
    (AES-GCM, key id inside), as an HMAC blind index for exact lookup, and masked."""

    __table_args__ = (UniqueConstraint("community_code", "name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    address: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=2000)
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone_encrypted: bytes | None = None
    contact_phone_index: bytes | None = Field(default=None, index=True)
    contact_phone_masked: str | None = Field(default=None, max_length=11)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class EmployerAccount(JobsModel, table=True):
    """Which employer a gateway account (role ``employer``) acts for; one employer per account."""

    __tablename__ = "employer_account"

    account_id: uuid.UUID = Field(primary_key=True)
    employer_id: uuid.UUID = Field(foreign_key="employer.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class ContactReveal(JobsModel, table=True):
    """Every reveal of an employer's clear contact phone: who, when, why. Append-only (a trigger)."""

    __tablename__ = "contact_reveal"

    id: int | None = Field(default=None, sa_column_kwargs={"autoincrement": True}, primary_key=True)
    at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    account_id: str = Field(max_length=64)
    employer_id: uuid.UUID = Field(foreign_key="employer.id", index=True)
    purpose: str = Field(max_length=200)
    request_id: str | None = Field(default=None, max_length=100)


class Posting(JobsModel, table=True):
    """A job posting. ``search_tokens`` are the characters, character pairs and latin words of its title,
    employer and skills (GIN-indexed: PostgreSQL's own text search does not split Chinese)."""

    __table_args__ = (
        CheckConstraint("wage_min <= wage_max", name="wage_range"),
        CheckConstraint("hired <= headcount", name="hired_within_headcount"),
        Index("ix_posting_open_created", "created_at", "id", postgresql_where="state = 'open'"),
        Index("ix_posting_community_created", "community_code", "created_at", "id"),
        Index("ix_posting_search_tokens", "search_tokens", postgresql_using="gin"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    employer_id: uuid.UUID = Field(foreign_key="employer.id", index=True)
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=4000)
    category: str = Field(max_length=20)
    wage_min: int
    wage_max: int
    wage_unit: str = Field(max_length=10)
    hours_per_day: int
    shifts: list[str] = Field(default_factory=list, sa_type=_text_array(10))
    headcount: int
    hired: int = 0
    skills: list[str] = Field(default_factory=list, sa_type=_text_array(50))
    suits_weak_labour: bool = False
    community_code: str = Field(max_length=12)
    street_code: str = Field(index=True, max_length=9)
    grid_code: str | None = Field(default=None, max_length=15)
    address: str | None = Field(default=None, max_length=200)
    state: str = Field(default="draft", max_length=10)
    closed_reason: str | None = Field(default=None, max_length=10)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    opened_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    search_text: str = Field(default="", sa_type=Text)
    search_tokens: list[str] = Field(default_factory=list, sa_type=ARRAY(Text))
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Seeker(JobsModel, table=True):
    """A resident's job-seeker profile, keyed by the resident's id; where they live is copied from the
    token (or the residents service, when staff fill it in for them)."""

    resident_id: uuid.UUID = Field(primary_key=True)
    household_id: uuid.UUID
    grid_code: str = Field(max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    skills: list[str] = Field(default_factory=list, sa_type=_text_array(50))
    desired_categories: list[str] = Field(default_factory=list, sa_type=_text_array(20))
    hours_per_day: int
    shifts: list[str] = Field(default_factory=list, sa_type=_text_array(10))
    labour_capacity: str = Field(max_length=10)
    preferred_places: list[str] = Field(default_factory=list, sa_type=_text_array(15))
    active: bool = True
    updated_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Application(JobsModel, table=True):
    """A seeker's application to a posting; at most one live (applied, shortlisted, interviewed, hired)
    per seeker and posting, which a partial unique index holds even against concurrent requests."""

    __table_args__ = (
        Index(
            "uq_application_active",
            "posting_id",
            "resident_id",
            unique=True,
            postgresql_where="state IN ('applied', 'shortlisted', 'interviewed', 'hired')",
        ),
        Index("ix_application_resident_created", "resident_id", "created_at", "id"),
        Index("ix_application_posting_created", "posting_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    posting_id: uuid.UUID = Field(foreign_key="posting.id")
    resident_id: uuid.UUID = Field(foreign_key="seeker.resident_id")
    employer_id: uuid.UUID = Field(foreign_key="employer.id", index=True)
    community_code: str = Field(index=True, max_length=12)  # the posting's
    street_code: str = Field(index=True, max_length=9)
    seeker_community_code: str = Field(index=True, max_length=12)
    seeker_street_code: str = Field(max_length=9)
    state: str = Field(default="applied", max_length=12)
    reason: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    hired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Fair(JobsModel, table=True):
    """招聘会: held by a community (or by the street, with no community)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(max_length=100)
    venue: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    community_code: str | None = Field(default=None, index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class FairEmployer(JobsModel, table=True):
    __tablename__ = "fair_employer"

    fair_id: uuid.UUID = Field(foreign_key="fair.id", primary_key=True, ondelete="CASCADE")
    employer_id: uuid.UUID = Field(foreign_key="employer.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class FairSignup(JobsModel, table=True):
    __tablename__ = "fair_signup"

    fair_id: uuid.UUID = Field(foreign_key="fair.id", primary_key=True, ondelete="CASCADE")
    resident_id: uuid.UUID = Field(primary_key=True, index=True)
    community_code: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Training(JobsModel, table=True):
    """技能培训: a course with a capacity; completing it adds ``skill`` to the seeker's profile."""

    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="dates"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(max_length=100)
    skill: str = Field(max_length=50)
    description: str = Field(default="", max_length=2000)
    venue: str = Field(max_length=200)
    schedule: str = Field(default="", max_length=200)
    starts_on: date = Field(index=True)
    ends_on: date
    sessions: int
    capacity: int
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class Enrolment(JobsModel, table=True):
    """A resident on a training: enrolled, or waiting in ``seq`` order for a place to free."""

    __table_args__ = (
        Index(
            "uq_enrolment_active",
            "training_id",
            "resident_id",
            unique=True,
            postgresql_where="state IN ('enrolled', 'waiting', 'completed')",
        ),
        Index("ix_enrolment_training_state_seq", "training_id", "state", "seq"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), nullable=False, unique=True))
    training_id: uuid.UUID = Field(foreign_key="training.id")
    resident_id: uuid.UUID = Field(index=True)
    household_id: uuid.UUID
    grid_code: str = Field(max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(max_length=9)
    state: str = Field(max_length=10)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Attendance(JobsModel, table=True):
    """One session attended by an enrolled resident."""

    enrolment_id: uuid.UUID = Field(foreign_key="enrolment.id", primary_key=True, ondelete="CASCADE")
    session_on: date = Field(primary_key=True)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
