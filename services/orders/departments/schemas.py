"""What the departments API takes and answers: a street's departments (职能部门) and the calls of 吹哨报到."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.orders.catalogue.classes import DepartmentKind
from services.orders.schemas import TEXT, Input
from shared.places import DepartmentCode
from shared.vocabularies import CALL_LIGHTS, DEPARTMENT_KINDS, listed

# The light of a call's clock (docs/DOMAIN.md "吹哨报到"): while it runs, green / yellow / red; once the step is
# done, whether it was done by its limit; none without a clock.
CallLight = Literal["green", "yellow", "red", "done_on_time", "done_late", "none"]
KIND_LABELS = listed(DEPARTMENT_KINDS)
LIGHT_LABELS = listed(CALL_LIGHTS)
# An office line: digits with dashes (010-65001234, 12345), never a person's mobile.
PHONE = r"^[0-9][0-9-]{2,19}$"


class DepartmentCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "朝阳区城管执法局示范街道执法队", "kind": "urban_management", "phone": "010-65001234"},
                {"name": "示范街道市场监管所", "kind": "market_regulation"},
            ]
        },
    )

    name: str = Field(
        min_length=1, max_length=60, pattern=TEXT, description="the department's name, unique in the street"
    )
    kind: DepartmentKind = Field(description="what sort of department (职能部门类别): " + KIND_LABELS)
    phone: str | None = Field(
        default=None, max_length=20, pattern=PHONE, description="the department's office line (digits and dashes)"
    )


class DepartmentUpdate(Input):
    """The fields to change; a field left out keeps its value."""

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        pattern=TEXT,
        description="the department's new name, unique in the street (null is refused)",
    )
    phone: str | None = Field(default=None, max_length=20, pattern=PHONE, description="the office line; null: none")
    active: bool | None = Field(
        default=None, description="false: no more cases or calls go to it (its cases stay); true: back (null refused)"
    )


class DepartmentPublic(BaseModel):
    code: str = Field(description="the department's code: the street's code, D and two digits (110105001D01)")
    street_code: str = Field(description="the street (街道) the department serves, 9-digit street code")
    name: str = Field(description="the department's name, unique in the street")
    kind: DepartmentKind = Field(description="what sort of department: " + KIND_LABELS)
    phone: str | None = Field(description="the department's office line; null when not given")
    active: bool = Field(description="false: no more cases or calls go to it")
    created_at: datetime = Field(description="when the department was registered")
    updated_at: datetime = Field(description="when it last changed")


class DepartmentList(BaseModel):
    items: list[DepartmentPublic] = Field(description="the departments of the caller's street, by code")


# -- 吹哨报到 ---------------------------------------------------------------------------------------


class WhistleIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "department_codes": ["110105001D01", "110105001D02"],
                    "note": "幸福里小区东门占道经营、油烟扰民，请城管、市场监管到场联合处置",
                }
            ]
        },
    )

    department_codes: list[DepartmentCode] = Field(
        min_length=1,
        max_length=20,
        description="the departments called (职能部门代码, 110105001D01), of the order's street",
    )
    note: str | None = Field(
        default=None, max_length=300, pattern=TEXT, description="what the departments are called for"
    )


class CallNote(Input):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "已到场，联合执法取缔占道经营摊点"}]}
    )

    note: str | None = Field(
        default=None, max_length=2000, pattern=TEXT, description="what the department says: on arrival, or its report"
    )


class CallPublic(BaseModel):
    id: uuid.UUID = Field(description="the call's id")
    order_id: uuid.UUID = Field(description="the case (order) the department was called to")
    department_code: str = Field(description="the department called, 110105001D01")
    department_name: str = Field(description="the department's name")
    called_by: str = Field(description="the account that blew the whistle (吹哨)")
    called_at: datetime = Field(description="when it was called; both clocks start then")
    note: str | None = Field(description="what it was called for; null when not said")
    sign_due_at: datetime | None = Field(description="签到时限: by when it must sign for the call (working time)")
    report_due_at: datetime | None = Field(description="报到时限: by when it must report (working time)")
    signed_at: datetime | None = Field(description="when it signed for the call (签到); null until then")
    signed_by: str | None = Field(description="the department's account that signed; null until then")
    reported_at: datetime | None = Field(description="when it reported (报到); null until then")
    reported_by: str | None = Field(description="the department's account that reported; null until then")
    report: str | None = Field(description="its report; null until it reports or when it wrote none")
    sign_light: CallLight = Field(description="the light of the sign-for clock: " + LIGHT_LABELS)
    report_light: CallLight = Field(description="the light of the report clock: " + LIGHT_LABELS)


class CallList(BaseModel):
    items: list[CallPublic] = Field(description="the case's calls, oldest first")
