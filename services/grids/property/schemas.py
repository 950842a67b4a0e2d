"""Red property (红色物业) as the API takes and answers it: property companies, who manages a compound
(and the handovers), owners' and property management committees with their terms, joint meetings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.grids.life import When
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN

ManagementMode = Literal["company", "self_managed"]
CommitteeKind = Literal["owners_committee", "management_committee"]
Position = Literal["director", "deputy_director", "member"]
ProblemCategory = Literal["leak", "facade", "fumes", "pets", "noise", "parking", "e_bike", "other"]
PROBLEM_DESCRIPTION = (
    "leak 房屋漏水, facade 外墙脱落, fumes 油烟, pets 宠物, noise 噪声, parking 停车, e_bike 飞线充电, other"
)


def _plausible(value: date) -> date:
    if not 2000 <= value.year <= 2100:
        raise ValueError("a date between the years 2000 and 2100")
    return value


Day = Annotated[date, AfterValidator(_plausible)]
Attendee = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class CompanyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_code: str | None = Field(default=None, pattern=COMMUNITY_PATTERN, description="default: the caller's")
    name: str = Field(min_length=1, max_length=100, description="e.g. 江南物业服务有限公司")
    party_branch: str | None = Field(
        default=None, min_length=1, max_length=100, description="its party branch (物业党支部), if it has one"
    )


class CompanyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    party_branch: str | None = Field(default=None, min_length=1, max_length=100, description="null: none any more")


class CompanyPublic(BaseModel):
    id: uuid.UUID
    community_code: str
    street_code: str
    name: str
    party_branch: str | None
    has_party_branch: bool
    compounds: list[str] = Field(description="the compounds it manages now")
    created_at: datetime


CompanyPage = Page[CompanyPublic]


class ManagementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: ManagementMode = Field(description="company: a property company; self_managed: 业主自治自管")
    company_id: uuid.UUID | None = Field(default=None, description="the company taking over (mode company)")
    started_on: Day = Field(description="the day of the handover (新老物业交接)")
    handover_notes: str = Field(default="", max_length=2000, description="what was handed over, what is open")


class ManagementPublic(BaseModel):
    id: uuid.UUID
    compound_id: uuid.UUID
    compound_name: str
    community_code: str
    mode: ManagementMode
    company_id: uuid.UUID | None
    company_name: str | None
    started_on: date
    ended_on: date | None
    handover_notes: str
    created_at: datetime


class CommitteeMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resident_id: uuid.UUID | None = Field(default=None, description="an owner, by the registry's id")
    member_id: uuid.UUID | None = Field(default=None, description="or someone of the roster")
    position: Position = "member"


class CommitteeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CommitteeKind = Field(description="owners_committee 业主委员会, management_committee 物业管理委员会")
    compound_id: uuid.UUID
    name: str = Field(min_length=1, max_length=100, description="e.g. 江南小区第三届业主委员会")
    term_starts_on: Day
    term_ends_on: Day
    members: list[CommitteeMemberIn] = Field(default_factory=list, max_length=30)


class ReElection(BaseModel):
    """换届: the next term of a committee."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    term_starts_on: Day
    term_ends_on: Day
    members: list[CommitteeMemberIn] = Field(default_factory=list, max_length=30)


class CommitteeMemberPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID | None
    member_id: uuid.UUID | None
    name: str | None = Field(description="for members of the roster; owners are named by the registry")
    position: Position


class CommitteePublic(BaseModel):
    id: uuid.UUID
    kind: CommitteeKind
    compound_id: uuid.UUID
    compound_name: str
    community_code: str
    name: str
    term_starts_on: date
    term_ends_on: date
    previous_id: uuid.UUID | None
    ended_on: date | None
    members: list[CommitteeMemberPublic]
    created_at: datetime


CommitteePage = Page[CommitteePublic]


class CompoundProperty(BaseModel):
    """Who manages a compound now and before, and its committees in office."""

    compound_id: uuid.UUID
    compound_name: str
    community_code: str
    management: ManagementPublic | None = Field(description="the current one")
    history: list[ManagementPublic] = Field(description="every period, newest first")
    committees: list[CommitteePublic] = Field(description="committees in office")


class ProblemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: uuid.UUID = Field(description="an issue order of the orders service")
    category: ProblemCategory = Field(description=PROBLEM_DESCRIPTION)
    summary: str = Field(default="", max_length=300)
    solved_on: Day | None = Field(default=None, description="when it was solved, once it is")


class ProblemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    solved_on: Day | None = Field(description="when it was solved; null: not solved after all")


class ProblemPublic(BaseModel):
    order_id: uuid.UUID
    category: ProblemCategory
    summary: str
    grid_code: str | None
    solved_on: date | None


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_code: str | None = Field(default=None, pattern=COMMUNITY_PATTERN, description="default: the caller's")
    compound_id: uuid.UUID | None = Field(default=None, description="the compound it was about, if one")
    title: str = Field(min_length=1, max_length=100)
    held_at: When
    attendees: list[Attendee] = Field(
        default_factory=list,
        max_length=30,
        description="organisations and roles at the table, e.g. 社区党委, 物业党支部, 业主委员会, 社区民警",
    )
    decisions: str = Field(default="", max_length=4000)
    problems: list[ProblemIn] = Field(default_factory=list, max_length=50)


class MeetingPublic(BaseModel):
    id: uuid.UUID
    community_code: str
    street_code: str
    compound_id: uuid.UUID | None
    compound_name: str | None
    title: str
    held_at: datetime
    attendees: list[str]
    decisions: str
    problems: list[ProblemPublic]
    created_at: datetime


MeetingPage = Page[MeetingPublic]


class PropertyYear(BaseModel):
    year: int
    meetings: int = Field(description="joint meetings held")
    problems: int = Field(description="problems they dealt with")
    solved: int = Field(description="problems solved that year")


class PropertyStats(BaseModel):
    """The joint meetings' work per year, in the caller's scope."""

    years: list[PropertyYear]
