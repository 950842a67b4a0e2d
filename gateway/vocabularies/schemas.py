"""What ``GET /api/v1/vocabularies`` answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Term(BaseModel):
    value: str = Field(description="what the API takes and answers")
    label: str = Field(description="the Chinese label (what the import also accepts in a cell)")
    description: str


class Vocabulary(BaseModel):
    field: str
    used_in: str
    terms: list[Term]


class Vocabularies(BaseModel):
    items: list[Vocabulary]
