"""What the case-class API takes and answers: the catalogue's small classes with the limits of each stage as
the caller's street has them, and a street's own limits to set."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.orders.catalogue.classes import MAX_MINUTES, CaseType, DepartmentKind, Stage
from services.orders.orders.schemas import Urgency
from services.orders.schemas import Input
from shared.vocabularies import CASE_STAGES, CASE_TYPES, URGENCIES, listed


class LimitPublic(BaseModel):
    urgency: Urgency = Field(description="the case's urgency: " + listed(URGENCIES))
    stage: Stage = Field(description="the stage of the case clock: " + listed(CASE_STAGES))
    minutes: int = Field(description="the limit the street counts, in working minutes (工作分钟)")
    national_minutes: int = Field(description="the national catalogue's default, in working minutes")
    own: bool = Field(description="true: the street set this limit itself; false: the national default")


class CaseClassPublic(BaseModel):
    code: str = Field(description="the small class's code (小类编码): type digit, large class, small class")
    type: CaseType = Field(description="部件 or 事件: " + listed(CASE_TYPES))
    major_code: str = Field(description="the large class's two digits (大类编码)")
    major_name: str = Field(description="the large class (大类), e.g. 街面秩序")
    name: str = Field(description="the small class (小类), e.g. 占道经营")
    department_kind: DepartmentKind | None = Field(
        description="the kind of department that usually handles it (处置部门); null: none in particular"
    )
    limits: list[LimitPublic] = Field(description="the limit of each urgency and stage, urgent first, in stage order")


class CaseClassPage(BaseModel):
    street_code: str = Field(description="the street (街道) whose limits are shown, 9-digit code")
    items: list[CaseClassPublic] = Field(description="the small classes, in catalogue order")


class LimitIn(Input):
    urgency: Urgency = Field(description="urgent or normal: " + listed(URGENCIES))
    stage: Stage = Field(description="the stage: " + listed(CASE_STAGES))
    minutes: int = Field(ge=1, le=MAX_MINUTES, description="the street's own limit, in working minutes (1-525600)")


class LimitsUpdate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "limits": [
                        {"urgency": "normal", "stage": "handle", "minutes": 180},
                        {"urgency": "urgent", "stage": "handle", "minutes": 45},
                    ]
                }
            ]
        },
    )

    limits: list[LimitIn] = Field(
        min_length=1,
        max_length=12,
        description="the limits to set, one per urgency and stage; those left out keep what they were",
    )

    @field_validator("limits")
    @classmethod
    def _once_each(cls, limits: list[LimitIn]) -> list[LimitIn]:
        seen = [(limit.urgency, limit.stage) for limit in limits]
        if len(set(seen)) != len(seen):
            raise ValueError("each urgency and stage at most once")
        return limits
