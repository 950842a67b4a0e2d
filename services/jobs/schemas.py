"""What several of the jobs API's concepts take and answer alike: the kinds and categories, shifts and
labour capacity, skills, the client's own id for a new row, dates and times written as text, and the
statistics (which span postings, applications and trainings). Each concept's own schemas are in its
package (``employers/schemas.py`` ...). Inputs forbid unknown fields; enum values are lowercase English,
their Chinese names in the descriptions."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field, StringConstraints

from shared.places import GroupBy

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
Shift = Literal["day", "evening", "night", "flexible"]
Capacity = Literal["full", "half", "weak"]

Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


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


def day_shift() -> list[Shift]:
    return ["day"]


class StatsRow(BaseModel):
    place_code: str = Field(description="the grid, community or street code, as grouped")
    month: str = Field(description="YYYY-MM, China time")
    postings: int = Field(description="postings opened in the month")
    applications: int = Field(description="applications made in the month")
    hires: int = Field(description="applications hired in the month")
    trainees: int = Field(description="training places taken in the month")


class JobStats(BaseModel):
    group_by: GroupBy = Field(description="the level place_code is at: grid, community or street")
    items: list[StatsRow] = Field(description="a row per place and month with any figure, by place code then month")
