"""What ``GET /api/v1/vocabularies`` answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Term(BaseModel):
    value: str = Field(description="what the API takes and answers")
    label: str = Field(description="the Chinese label (what the import also accepts in a cell)")
    description: str = Field(description="what the value means, in English")


class Vocabulary(BaseModel):
    field: str = Field(description="the vocabulary's name, as `?field=` takes it (e.g. relation, order_state)")
    used_in: str = Field(description="the service and the fields that take these values")
    terms: list[Term] = Field(description="every value the fields take, in the API's order")


class Vocabularies(BaseModel):
    items: list[Vocabulary] = Field(description="the vocabularies asked for: all of them, or the one `field` names")
