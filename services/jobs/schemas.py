"""What the jobs API takes and answers: employers, postings, seekers, applications and matches
(fairs and trainings: ``schemas_fairs``). Inputs forbid unknown fields; enum values are lowercase
English, their Chinese names in the descriptions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shared.pagination import Page

EmployerKind = Literal["workshop", "factory", "hotel", "hospital", "supermarket", "other"]
Category = Literal[
    "manufacturing",
    "handicraft",
    "hospitality",
    "catering",
    "healthcare",
    "retail",
    "cleaning",
    "security",
    "logistics",
    "agriculture",
    "domestic",
    "other",
]
WageUnit = Literal["month", "day", "hour", "piece"]
Shift = Literal["day", "evening", "night", "flexible"]
Capacity = Literal["full", "half", "weak"]
PostingState = Literal["draft", "open", "closed"]
ApplicationState = Literal["applied", "shortlisted", "interviewed", "hired", "rejected", "withdrawn"]

Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
PlaceCode = Annotated[str, StringConstraints(pattern=r"^(\d{9}|\d{12}|\d{15})$")]
CommunityCode = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
GridCode = Annotated[str, StringConstraints(pattern=r"^\d{15}$")]
Fen = Annotated[int, Field(ge=0, le=100_000_000, strict=True, description="in fen (分)")]


def _text_only(value: Any) -> Any:
    """JSON gives dates and times as text; a number is not taken for one (pydantic would read it as a
    Unix time)."""
    if not isinstance(value, str):
        raise ValueError("a date or time is written as ISO 8601 text")
    return value


# Inputs take exactly the JSON types their schema names: no "3" for 3, no 0 for false, no 0 for a date.
InputDate = Annotated[date, BeforeValidator(_text_only)]
InputDateTime = Annotated[AwareDatetime, BeforeValidator(_text_only)]
ClientId = Annotated[
    uuid.UUID | None,
    Field(default=None, description="the client's own id for the new row: sending it again answers the first one"),
]


def _day_shift() -> list[Shift]:
    return ["day"]


EMPLOYER_KIND_DOC = "workshop 扶贫车间, factory 社区工厂, hotel 酒店, hospital 医院, supermarket 超市, other 其他"
CAPACITY_DOC = "full 全劳动力, half 半劳动力, weak 弱劳动力 (elderly, disabled, carers)"


# -- employers ------------------------------------------------------------------------------


class EmployerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ClientId = None
    name: str = Field(min_length=1, max_length=100)
    kind: EmployerKind = Field(description=EMPLOYER_KIND_DOC)
    community_code: CommunityCode = Field(description="the community the employer operates in")
    address: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=2000)
    contact_name: str | None = Field(default=None, min_length=1, max_length=50, description="联系人")
    contact_phone: str | None = Field(default=None, max_length=20, description="mainland mobile: stored encrypted")


class EmployerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: EmployerKind | None = None
    address: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    contact_name: str | None = Field(default=None, min_length=1, max_length=50)
    contact_phone: str | None = Field(default=None, max_length=20, description="null clears it")


class EmployerPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: EmployerKind
    community_code: str
    street_code: str
    address: str | None
    description: str
    contact_name: str | None = Field(description="in full for the community's staff and the employer, else masked")
    contact_phone: str | None = Field(description="masked: 138****1234")
    created_at: datetime
    updated_at: datetime


EmployerPage = Page[EmployerPublic]


class EmployerAccountPublic(BaseModel):
    account_id: uuid.UUID
    employer_id: uuid.UUID
    created_at: datetime


class ContactRevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=2, max_length=200, description="why the clear phone is needed (audited)")


class ContactRevealed(BaseModel):
    contact_name: str | None
    contact_phone: str | None


# -- postings -------------------------------------------------------------------------------


class PostingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ClientId = None
    employer_id: uuid.UUID | None = Field(default=None, description="required for staff; an employer posts its own")
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=4000)
    category: Category
    wage_min: Fen
    wage_max: Fen
    wage_unit: WageUnit = Field(description="per month 月薪, day 日薪, hour 时薪, or piece 计件")
    hours_per_day: int = Field(ge=1, le=24, strict=True)
    shifts: list[Shift] = Field(default_factory=_day_shift, min_length=1, max_length=4)
    headcount: int = Field(
        ge=1, le=10_000, strict=True, description="people wanted; the posting closes when they are hired"
    )
    skills: list[Skill] = Field(default_factory=list, max_length=20, description="skills wanted")
    suits_weak_labour: bool = Field(default=False, strict=True, description="suits weak or half labour (弱/半劳动力)")
    grid_code: GridCode | None = Field(default=None, description="a grid of the employer's community")
    address: str | None = Field(default=None, max_length=200)
    expires_at: InputDateTime | None = Field(default=None, description="no applications after this")


class PostingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=4000)
    category: Category | None = None
    wage_min: Fen | None = None
    wage_max: Fen | None = None
    wage_unit: WageUnit | None = None
    hours_per_day: int | None = Field(default=None, ge=1, le=24, strict=True)
    shifts: list[Shift] | None = Field(default=None, min_length=1, max_length=4)
    headcount: int | None = Field(default=None, ge=1, le=10_000, strict=True)
    skills: list[Skill] | None = Field(default=None, max_length=20)
    suits_weak_labour: bool | None = Field(default=None, strict=True)
    grid_code: GridCode | None = None
    address: str | None = Field(default=None, max_length=200)
    expires_at: InputDateTime | None = None


class PostingSummary(BaseModel):
    id: uuid.UUID
    employer_id: uuid.UUID
    employer_name: str
    title: str
    category: Category
    wage_min: int
    wage_max: int
    wage_unit: WageUnit
    hours_per_day: int
    shifts: list[Shift]
    headcount: int
    hired: int
    skills: list[str]
    suits_weak_labour: bool
    community_code: str
    street_code: str
    grid_code: str | None
    state: PostingState
    expires_at: datetime | None
    opened_at: datetime | None
    created_at: datetime


class PostingPublic(PostingSummary):
    description: str
    address: str | None
    closed_reason: Literal["filled", "closed", "expired"] | None = Field(
        description="filled by hires, closed by hand, or past its expiry"
    )
    closed_at: datetime | None
    updated_at: datetime


PostingPage = Page[PostingSummary]


GroupBy = Literal["grid", "community", "street"]


class StatsRow(BaseModel):
    place_code: str = Field(description="the grid, community or street code, as grouped")
    month: str = Field(description="YYYY-MM, China time")
    postings: int = Field(description="postings opened in the month")
    applications: int = Field(description="applications made in the month")
    hires: int = Field(description="applications hired in the month")
    trainees: int = Field(description="training places taken in the month")


class JobStats(BaseModel):
    group_by: GroupBy
    items: list[StatsRow]


# -- seekers --------------------------------------------------------------------------------


class SeekerIn(BaseModel):
    """A seeker's whole profile (PUT): what they can do and what they look for."""

    model_config = ConfigDict(extra="forbid")

    skills: list[Skill] = Field(default_factory=list, max_length=20)
    desired_categories: list[Category] = Field(default_factory=list, max_length=12)
    hours_per_day: int = Field(ge=1, le=24, strict=True, description="hours a day they can work")
    shifts: list[Shift] = Field(default_factory=_day_shift, min_length=1, max_length=4)
    labour_capacity: Capacity = Field(description=CAPACITY_DOC)
    preferred_places: list[PlaceCode] = Field(
        default_factory=list, max_length=10, description="grid, community or street codes they would work in"
    )
    active: bool = Field(default=True, strict=True, description="looking for work now")


class SeekerPublic(BaseModel):
    resident_id: uuid.UUID
    grid_code: str
    community_code: str
    street_code: str
    skills: list[str]
    desired_categories: list[Category]
    hours_per_day: int
    shifts: list[Shift]
    labour_capacity: Capacity
    preferred_places: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


SeekerPage = Page[SeekerPublic]


# -- applications ---------------------------------------------------------------------------


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    posting_id: uuid.UUID
    resident_id: uuid.UUID | None = Field(default=None, description="staff applying for a resident of theirs")


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, description="told to the seeker")


class ApplicantBrief(BaseModel):
    """What an application shows of its seeker; employers see no resident id."""

    resident_id: uuid.UUID | None = Field(description="null for employers and integration clients (masked)")
    label: str = Field(description="a stable pseudonym of the applicant for this application, e.g. 求职者 3F2A")
    community_code: str
    skills: list[str]
    labour_capacity: Capacity
    hours_per_day: int


class ApplicationPublic(BaseModel):
    id: uuid.UUID
    posting_id: uuid.UUID
    posting_title: str
    employer_id: uuid.UUID
    applicant: ApplicantBrief
    state: ApplicationState
    reason: str | None = Field(description="why it was rejected")
    created_at: datetime
    updated_at: datetime
    hired_at: datetime | None


ApplicationPage = Page[ApplicationPublic]


# -- matching -------------------------------------------------------------------------------

Factor = Literal["skills", "capacity", "hours", "place", "category", "freshness"]


class MatchReason(BaseModel):
    factor: Factor
    points: int
    detail: str


class PostingMatch(BaseModel):
    """A posting for a seeker: its score (0-100) and every factor that made it."""

    score: int
    reasons: list[MatchReason]
    posting: PostingSummary


class SeekerMatch(BaseModel):
    score: int
    reasons: list[MatchReason]
    seeker: SeekerPublic


PostingMatchPage = Page[PostingMatch]
SeekerMatchPage = Page[SeekerMatch]
