"""The grids service's tables: its own SQLModel registry, so its metadata holds only its tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, get_args

from sqlalchemy import Column, Date, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.grids.places.geometry import PgPolygon, Position
from services.grids.roster.schemas import MemberRole
from shared.db import naming_convention_metadata
from shared.events import inbox_table
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class GridsModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    pass


metadata = GridsModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)
inbox_event = inbox_table(metadata)


def _now() -> datetime:
    return datetime.now(UTC)


def _at(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _texts(length: int) -> Any:
    return Field(default_factory=list, sa_column=Column(ARRAY(String(length)), nullable=False, server_default="{}"))


def _long_text() -> Any:
    return Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


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

# An employer account (jobs service) is bound to the community its employer operates in; a department's
# account (职能部门, the orders service's departments) to its department code, 110105001D01.
MEMBER_ROLES: tuple[str, ...] = get_args(MemberRole)
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
    """The grids service's copy of a household (the residents service owns it; ``households.py`` keeps
    the copy from its ``household.*`` events and the resync): where it is, its compound and a masked
    contact, enough to visit it, to list it for its linked party member and to show it its compound's
    notices. A removed household keeps its row (its visits point at it), marked ``removed_at``."""

    id: uuid.UUID = Field(primary_key=True)
    grid_code: str = Field(index=True, max_length=15)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(index=True, max_length=9)
    # Null until the copy first hears the household's facts from the residents service.
    building_id: uuid.UUID | None = Field(default=None)
    compound_id: uuid.UUID | None = Field(default=None, index=True)
    compound_name: str | None = Field(default=None, max_length=100)
    address: str = Field(max_length=200)
    contact_name: str | None = Field(default=None, max_length=50)  # masked: 张*
    contact_phone: str | None = Field(default=None, max_length=20)  # masked: 139****0001
    removed_at: datetime | None = _at()
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
        Index("ix_visit_street_time", "street_code", "visited_at", "id"),
        Index("ix_visit_community_time", "community_code", "visited_at", "id"),
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


# -- community life: activities (一月一主题) ------------------------------------------------------

ACTIVITY_KINDS = (
    "volunteer_service",  # 志愿服务
    "culture_sports",  # 文体活动
    "festival_care",  # 节日关怀走访: 重阳, 春节
    "haircut",  # 义剪
    "clinic",  # 义诊
    "night_school",  # 农民夜校
    "after_school",  # 四点半课堂
    "red_culture",  # 红色文化宣讲
    "other",
)
TARGET_GROUPS = ("everyone", "elderly", "children", "youth", "women", "disabled")
ORGANISER_KINDS = ("community", "party_org", "volunteer_team", "partner_unit")


class Activity(GridsModel, table=True):
    """An activity a community publishes; residents sign up to take part, volunteers to serve. The
    check-in code is shown at the venue and read only by the community's staff."""

    __table_args__ = (Index("ix_activity_community_start", "community_code", "starts_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    community_code: str = Field(max_length=12)
    street_code: str = Field(index=True, max_length=9)
    grid_code: str | None = Field(default=None, max_length=15)  # the grid of the venue, when known
    theme: str = Field(max_length=100)  # the month's theme (一月一主题)
    title: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    description: str = _long_text()
    venue: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    capacity: int  # participants
    volunteer_capacity: int = 0  # volunteers wanted
    target_groups: list[str] = _texts(20)
    organiser_kind: str = Field(max_length=20)
    organiser_id: uuid.UUID | None = Field(default=None)
    organiser_name: str = Field(max_length=100)
    points: int = 5  # credited to each volunteer who served
    check_in_code: str = Field(max_length=6)
    state: str = Field(default="published", max_length=20)  # published, cancelled
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class ActivitySignup(GridsModel, table=True):
    """A sign-up: a resident taking part (by resident id) or an account serving as a volunteer. One row
    per person and activity; cancelling and signing up again reuses it, at the end of the queue."""

    __tablename__ = "activity_signup"
    __table_args__ = (
        UniqueConstraint("activity_id", "account_id", name="uq_activity_signup_account"),
        UniqueConstraint("activity_id", "resident_id", name="uq_activity_signup_resident"),
        Index("ix_activity_signup_queue", "activity_id", "role", "state", "queued_at", "id"),
        Index("ix_activity_signup_account", "account_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    activity_id: uuid.UUID = Field(foreign_key="activity.id", ondelete="CASCADE")
    role: str = Field(max_length=20)  # participant, volunteer
    state: str = Field(max_length=20)  # confirmed, waiting, cancelled
    account_id: uuid.UUID | None = Field(default=None)
    resident_id: uuid.UUID | None = Field(default=None)
    name: str | None = Field(default=None, max_length=100)  # volunteers only: the name they act under
    grid_code: str | None = Field(default=None, max_length=15)  # where the person lives or serves
    signed_up_by: uuid.UUID | None = Field(default=None)
    queued_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    confirmed_at: datetime | None = _at()
    cancelled_at: datetime | None = _at()
    checked_in_at: datetime | None = _at()
    checked_in_by: uuid.UUID | None = Field(default=None)
    check_in_method: str | None = Field(default=None, max_length=10)  # staff, code


# -- notices (公告) ------------------------------------------------------------------------------

NOTICE_LEVELS = ("community", "grid", "compound")
NOTICE_CATEGORIES = ("policy", "outage", "job_fair", "anti_fraud", "safety", "other")


class Notice(GridsModel, table=True):
    """A notice to a community, a grid or a compound (the residents service's compound id)."""

    __table_args__ = (Index("ix_notice_community_order", "community_code", "pinned", "published_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    community_code: str = Field(max_length=12)
    street_code: str = Field(index=True, max_length=9)
    level: str = Field(max_length=20)
    grid_code: str | None = Field(default=None, max_length=15)
    compound_id: uuid.UUID | None = Field(default=None)
    compound_name: str | None = Field(default=None, max_length=100)
    category: str = Field(max_length=20)
    title: str = Field(max_length=100)
    body: str = _long_text()
    pinned: bool = False
    urgent: bool = False
    expires_at: datetime | None = _at()
    published_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))
    published_by: uuid.UUID | None = Field(default=None)
    publisher_name: str | None = Field(default=None, max_length=100)
    withdrawn_at: datetime | None = _at()


class NoticeRead(GridsModel, table=True):
    """Who has read a notice (per account)."""

    __tablename__ = "notice_read"

    notice_id: uuid.UUID = Field(foreign_key="notice.id", primary_key=True, ondelete="CASCADE")
    account_id: uuid.UUID = Field(primary_key=True)
    read_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


# -- volunteer teams (志愿服务队) ------------------------------------------------------------------


class VolunteerTeam(GridsModel, table=True):
    __tablename__ = "volunteer_team"
    __table_args__ = (UniqueConstraint("community_code", "name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    community_code: str = Field(max_length=12)
    street_code: str = Field(index=True, max_length=9)
    name: str = Field(max_length=100)
    description: str = _long_text()
    services: list[str] = _texts(50)  # what it offers: 义剪, 上门探访, 课业辅导 ...
    leader_member_id: uuid.UUID | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class TeamMember(GridsModel, table=True):
    """A member of a team: someone of the roster (party member, volunteer) or a resident (by id)."""

    __tablename__ = "team_member"
    __table_args__ = (
        UniqueConstraint("team_id", "member_id", name="uq_team_member_member"),
        UniqueConstraint("team_id", "resident_id", name="uq_team_member_resident"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="volunteer_team.id", index=True, ondelete="CASCADE")
    member_id: uuid.UUID | None = Field(default=None, foreign_key="member.id", ondelete="CASCADE")
    resident_id: uuid.UUID | None = Field(default=None)
    joined_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class TeamMenuItem(GridsModel, table=True):
    """A team offers an item of the orders service's menu, so dispatch can offer the team."""

    __tablename__ = "team_menu_item"

    team_id: uuid.UUID = Field(foreign_key="volunteer_team.id", primary_key=True, ondelete="CASCADE")
    menu_item_id: uuid.UUID = Field(primary_key=True, index=True)
    name: str = Field(max_length=60)


# -- red property (红色物业) ----------------------------------------------------------------------

MANAGEMENT_MODES = ("company", "self_managed")
COMMITTEE_KINDS = ("owners_committee", "management_committee")
COMMITTEE_POSITIONS = ("director", "deputy_director", "member")
PROBLEM_CATEGORIES = ("leak", "facade", "fumes", "pets", "noise", "parking", "e_bike", "other")


class PropertyCompany(GridsModel, table=True):
    """A property company (物业公司) serving compounds of a community, with or without its own party
    branch (物业党支部)."""

    __tablename__ = "property_company"
    __table_args__ = (UniqueConstraint("community_code", "name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    community_code: str = Field(max_length=12)
    street_code: str = Field(index=True, max_length=9)
    name: str = Field(max_length=100)
    party_branch: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class CompoundManagement(GridsModel, table=True):
    """Who manages a compound from when to when: a company, or the owners themselves (业主自治自管).
    A new row ends the previous one: the handover (新老物业交接), with its notes."""

    __tablename__ = "compound_management"
    __table_args__ = (Index("ix_compound_management_compound", "compound_id", "started_on"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    compound_id: uuid.UUID
    compound_name: str = Field(max_length=100)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(max_length=9)
    mode: str = Field(max_length=20)
    company_id: uuid.UUID | None = Field(default=None, foreign_key="property_company.id", index=True)
    started_on: date = Field(sa_type=Date)
    ended_on: date | None = Field(default=None, sa_type=Date)
    handover_notes: str = _long_text()
    recorded_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class PropertyCommittee(GridsModel, table=True):
    """An owners' committee (业主委员会) or a property management committee (物业管理委员会) of a
    compound, for one term; a re-election (换届) starts the next term as a new row."""

    __tablename__ = "property_committee"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=30)
    compound_id: uuid.UUID = Field(index=True)
    compound_name: str = Field(max_length=100)
    community_code: str = Field(index=True, max_length=12)
    street_code: str = Field(max_length=9)
    name: str = Field(max_length=100)
    term_starts_on: date = Field(sa_type=Date)
    term_ends_on: date = Field(sa_type=Date)
    previous_id: uuid.UUID | None = Field(default=None, foreign_key="property_committee.id")
    ended_on: date | None = Field(default=None, sa_type=Date)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class CommitteeMember(GridsModel, table=True):
    """A member of a committee's term: a resident (by id) or someone of the roster."""

    __tablename__ = "committee_member"
    __table_args__ = (
        UniqueConstraint("committee_id", "resident_id", name="uq_committee_member_resident"),
        UniqueConstraint("committee_id", "member_id", name="uq_committee_member_member"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    committee_id: uuid.UUID = Field(foreign_key="property_committee.id", index=True, ondelete="CASCADE")
    resident_id: uuid.UUID | None = Field(default=None)
    member_id: uuid.UUID | None = Field(default=None, foreign_key="member.id", ondelete="CASCADE")
    position: str = Field(max_length=20)


class JointMeeting(GridsModel, table=True):
    """The red-property joint meeting (联席会议): community party organisation, property company,
    owners' committee and others around one table, the problems they dealt with and what they decided."""

    __tablename__ = "joint_meeting"
    __table_args__ = (Index("ix_joint_meeting_community_held", "community_code", "held_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    community_code: str = Field(max_length=12)
    street_code: str = Field(index=True, max_length=9)
    compound_id: uuid.UUID | None = Field(default=None)
    compound_name: str | None = Field(default=None, max_length=100)
    title: str = Field(max_length=100)
    held_at: datetime = Field(sa_type=DateTime(timezone=True))
    attendees: list[str] = _texts(100)  # organisations and roles around the table, not people's names
    decisions: str = _long_text()
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = Field(default_factory=_now, sa_type=DateTime(timezone=True))


class MeetingProblem(GridsModel, table=True):
    """A problem a joint meeting dealt with: an ``issue`` order of the orders service."""

    __tablename__ = "meeting_problem"

    meeting_id: uuid.UUID = Field(foreign_key="joint_meeting.id", primary_key=True, ondelete="CASCADE")
    order_id: uuid.UUID = Field(primary_key=True, index=True)
    category: str = Field(max_length=20)
    summary: str = Field(default="", max_length=300)
    grid_code: str | None = Field(default=None, max_length=15)
    solved_on: date | None = Field(default=None, sa_type=Date)
