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
from shared.vocabularies import PROPERTY_PROBLEMS, listed

ManagementMode = Literal["company", "self_managed"]
CommitteeKind = Literal["owners_committee", "management_committee"]
Position = Literal["director", "deputy_director", "member"]
ProblemCategory = Literal["leak", "facade", "fumes", "pets", "noise", "parking", "e_bike", "other"]
PROBLEM_DESCRIPTION = listed(PROPERTY_PROBLEMS)


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

    name: str | None = Field(
        default=None, min_length=1, max_length=100, description="the company's new name, unique in its community"
    )
    party_branch: str | None = Field(default=None, min_length=1, max_length=100, description="null: none any more")


class CompanyPublic(BaseModel):
    id: uuid.UUID = Field(description="the property company's id")
    community_code: str = Field(description="the community (社区) it is recorded in, 12-digit community code")
    street_code: str = Field(description="the street (街道) of that community, 9-digit street code")
    name: str = Field(description="the company's name, e.g. 江南物业服务有限公司")
    party_branch: str | None = Field(description="its party branch (物业党支部); null: it has none")
    has_party_branch: bool = Field(description="whether it has a party branch (红色物业)")
    compounds: list[str] = Field(description="the compounds it manages now")
    created_at: datetime = Field(description="when it was recorded, ISO 8601 with time zone")


CompanyPage = Page[CompanyPublic]


class ManagementCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mode": "company",
                    "company_id": "2de530a2-9253-4328-9004-78288312be9a",
                    "started_on": "2026-01-01",
                    "handover_notes": "新老物业交接: 钥匙、图纸、维修资金账目已移交; 3号楼电梯维保合同待续签",
                },
                {"mode": "self_managed", "started_on": "2026-07-01", "handover_notes": "原物业撤场, 业主自治自管"},
            ]
        },
    )

    mode: ManagementMode = Field(description="company: a property company; self_managed: 业主自治自管")
    company_id: uuid.UUID | None = Field(default=None, description="the company taking over (mode company)")
    started_on: Day = Field(description="the day of the handover (新老物业交接)")
    handover_notes: str = Field(default="", max_length=2000, description="what was handed over, what is open")


class ManagementPublic(BaseModel):
    id: uuid.UUID = Field(description="the management period's id")
    compound_id: uuid.UUID = Field(description="the compound (小区), by the residents service's id")
    compound_name: str = Field(description="the compound's name when the period was recorded, e.g. 江南小区")
    community_code: str = Field(description="the compound's community (社区), 12-digit community code")
    mode: ManagementMode = Field(description="company: a property company; self_managed: 业主自治自管")
    company_id: uuid.UUID | None = Field(description="the managing property company; null when self-managed")
    company_name: str | None = Field(description="that company's name now; null when self-managed")
    started_on: date = Field(description="the day of the handover that began the period (YYYY-MM-DD)")
    ended_on: date | None = Field(description="the day the next period began; null for the current one")
    handover_notes: str = Field(description="what was handed over and what was left open (新老物业交接); may be empty")
    created_at: datetime = Field(description="when the handover was recorded, ISO 8601 with time zone")


class CommitteeMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resident_id: uuid.UUID | None = Field(default=None, description="an owner, by the registry's id")
    member_id: uuid.UUID | None = Field(default=None, description="or someone of the roster")
    position: Position = Field(
        default="member", description="director 主任, deputy_director 副主任, member 委员 (the default)"
    )


class CommitteeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "owners_committee",
                    "compound_id": "821f3d94-8b2e-4f63-be93-eade10bef159",
                    "name": "幸福里小区第三届业主委员会",
                    "term_starts_on": "2026-03-01",
                    "term_ends_on": "2031-02-28",
                    "members": [
                        {"resident_id": "4c5f181e-70c2-4f86-9290-69ba48b15bb6", "position": "director"},
                        {"member_id": "a27c4e7e-5ee0-470c-8d7c-131cf918a89a", "position": "deputy_director"},
                        {"resident_id": "060f3092-18ea-422c-921c-98ebf2fbdfe0"},
                    ],
                }
            ]
        },
    )

    kind: CommitteeKind = Field(description="owners_committee 业主委员会, management_committee 物业管理委员会")
    compound_id: uuid.UUID = Field(description="the compound (小区) it serves, by the residents service's id")
    name: str = Field(min_length=1, max_length=100, description="e.g. 江南小区第三届业主委员会")
    term_starts_on: Day = Field(description="the first day of the term (YYYY-MM-DD)")
    term_ends_on: Day = Field(description="the day the term is due to end (YYYY-MM-DD), after its start")
    members: list[CommitteeMemberIn] = Field(
        default_factory=list, max_length=30, description="its members for the term, each person once (up to 30)"
    )


class ReElection(BaseModel):
    """换届: the next term of a committee."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="the new term's name, e.g. 江南小区第四届业主委员会")
    term_starts_on: Day = Field(
        description="the new term's first day (YYYY-MM-DD), after the current term's start, which ends that day"
    )
    term_ends_on: Day = Field(description="the day the new term is due to end (YYYY-MM-DD), after its start")
    members: list[CommitteeMemberIn] = Field(
        default_factory=list, max_length=30, description="the new term's members, each person once (up to 30)"
    )


class CommitteeMemberPublic(BaseModel):
    id: uuid.UUID = Field(description="the committee membership's id")
    resident_id: uuid.UUID | None = Field(description="an owner, by the registry's id; null for a roster member")
    member_id: uuid.UUID | None = Field(description="someone of the roster (花名册), by id; null for an owner")
    name: str | None = Field(description="for members of the roster; owners are named by the registry")
    position: Position = Field(description="director 主任, deputy_director 副主任, member 委员")


class CommitteePublic(BaseModel):
    id: uuid.UUID = Field(description="the id of the committee's term; each re-election (换届) makes a new one")
    kind: CommitteeKind = Field(description="owners_committee 业主委员会, management_committee 物业管理委员会")
    compound_id: uuid.UUID = Field(description="the compound (小区) it serves, by the residents service's id")
    compound_name: str = Field(description="the compound's name when the committee was recorded")
    community_code: str = Field(description="the compound's community (社区), 12-digit community code")
    name: str = Field(description="the committee's name for this term, e.g. 江南小区第三届业主委员会")
    term_starts_on: date = Field(description="the first day of the term (YYYY-MM-DD)")
    term_ends_on: date = Field(description="the day the term is due to end (YYYY-MM-DD)")
    previous_id: uuid.UUID | None = Field(description="the term before this one (换届); null for a first term")
    ended_on: date | None = Field(description="the day the next term began; null while in office")
    members: list[CommitteeMemberPublic] = Field(description="the term's members and their positions")
    created_at: datetime = Field(description="when the term was recorded, ISO 8601 with time zone")


CommitteePage = Page[CommitteePublic]


class CompoundProperty(BaseModel):
    """Who manages a compound now and before, and its committees in office."""

    compound_id: uuid.UUID = Field(description="the compound (小区), by the residents service's id")
    compound_name: str = Field(description="the compound's name, as last recorded here")
    community_code: str = Field(description="the compound's community (社区), 12-digit community code")
    management: ManagementPublic | None = Field(description="the current one")
    history: list[ManagementPublic] = Field(description="every period, newest first")
    committees: list[CommitteePublic] = Field(description="committees in office")


class ProblemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: uuid.UUID = Field(description="an issue order of the orders service")
    category: ProblemCategory = Field(description=PROBLEM_DESCRIPTION)
    summary: str = Field(default="", max_length=300, description="the problem in a few words, e.g. 顶层住户房屋漏水")
    solved_on: Day | None = Field(default=None, description="when it was solved, once it is")


class ProblemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    solved_on: Day | None = Field(description="when it was solved; null: not solved after all")


class ProblemPublic(BaseModel):
    order_id: uuid.UUID = Field(description="the issue order (问题) of the orders service it is")
    category: ProblemCategory = Field(description=PROBLEM_DESCRIPTION)
    summary: str = Field(description="the problem in a few words; may be empty")
    grid_code: str | None = Field(description="the order's grid (网格), 15-digit grid code; null if not known")
    solved_on: date | None = Field(description="the day it was solved (YYYY-MM-DD); null: not solved yet")


class MeetingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_code": "110105001001",
                    "compound_id": "821f3d94-8b2e-4f63-be93-eade10bef159",
                    "title": "幸福里小区环境整治联席会",
                    "held_at": "2026-11-12T15:00:00+08:00",
                    "attendees": ["社区党委", "物业党支部", "业主委员会", "社区民警"],
                    "decisions": "物业两周内在3号楼南侧加装电动车充电桩; 网格员每周巡查楼道飞线充电",
                    "problems": [
                        {
                            "order_id": "ecea3028-ebd7-4898-88fe-85d62703c84e",
                            "category": "e_bike",
                            "summary": "3号楼电动车飞线充电",
                        }
                    ],
                }
            ]
        },
    )

    community_code: str | None = Field(default=None, pattern=COMMUNITY_PATTERN, description="default: the caller's")
    compound_id: uuid.UUID | None = Field(default=None, description="the compound it was about, if one")
    title: str = Field(
        min_length=1, max_length=100, description="what the meeting was about, e.g. 江南小区环境整治联席会"
    )
    held_at: When = Field(description="when it was held, ISO 8601 with time zone")
    attendees: list[Attendee] = Field(
        default_factory=list,
        max_length=30,
        description="organisations and roles at the table, e.g. 社区党委, 物业党支部, 业主委员会, 社区民警",
    )
    decisions: str = Field(default="", max_length=4000, description="what the meeting decided, free text")
    problems: list[ProblemIn] = Field(
        default_factory=list, max_length=50, description="the issue orders it dealt with, each once (up to 50)"
    )


class MeetingPublic(BaseModel):
    id: uuid.UUID = Field(description="the joint meeting's id")
    community_code: str = Field(description="the community (社区) that held it, 12-digit community code")
    street_code: str = Field(description="the street (街道) of that community, 9-digit street code")
    compound_id: uuid.UUID | None = Field(description="the compound (小区) it was about; null: not about one compound")
    compound_name: str | None = Field(description="that compound's name; null when compound_id is")
    title: str = Field(description="what the meeting was about")
    held_at: datetime = Field(description="when it was held, ISO 8601 with time zone")
    attendees: list[str] = Field(description="organisations and roles at the table (not people's names)")
    decisions: str = Field(description="what the meeting decided; may be empty")
    problems: list[ProblemPublic] = Field(description="the issue orders it dealt with, by category")
    created_at: datetime = Field(description="when it was recorded, ISO 8601 with time zone")


MeetingPage = Page[MeetingPublic]


class PropertyYear(BaseModel):
    year: int = Field(description="the calendar year, in China time (UTC+8)")
    meetings: int = Field(description="joint meetings held")
    problems: int = Field(description="problems they dealt with")
    solved: int = Field(description="problems solved that year")


class PropertyStats(BaseModel):
    """The joint meetings' work per year, in the caller's scope."""

    years: list[PropertyYear] = Field(description="the years with any meeting or solved problem, oldest first")
