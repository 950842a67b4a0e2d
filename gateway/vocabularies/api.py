"""``GET /api/v1/vocabularies``: every enumerated field of the API, public (forms and spreadsheets
need them before anyone signs in) and cacheable. The same labels are the OpenAPI document's
``x-enumDescriptions``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from gateway.vocabularies.schemas import Term, Vocabularies, Vocabulary
from shared.errors import NotFound, problem_responses
from shared.security import allow_public
from shared.vocabularies import VOCABULARIES

router = APIRouter(prefix="/api/v1/vocabularies", tags=["vocabularies"], dependencies=[Depends(allow_public())])

_ALL = [
    Vocabulary(
        field=name,
        used_in=used_in,
        terms=[Term(value=value, label=label, description=text) for value, (label, text) in entries.items()],
    )
    for name, (used_in, entries) in VOCABULARIES.items()
]
_ANSWERS = {None: Vocabularies(items=_ALL).model_dump_json()} | {
    vocabulary.field: Vocabularies(items=[vocabulary]).model_dump_json() for vocabulary in _ALL
}


@router.get("", response_model=Vocabularies, responses=problem_responses(404, 422), summary="词表 (Vocabularies)")
async def vocabularies(
    field: Annotated[str | None, Query(max_length=40, description="only this field's, e.g. relation")] = None,
) -> Response:
    """Every enumerated field of the API with its values, Chinese labels and meanings: the registry's
    居住类型, 与户主关系, 就业状态 and standard tags, the orders' kinds, states and channels, the accounts'
    roles, the visits', notices', activities', property's and job board's kinds and states."""
    answer = _ANSWERS.get(field)
    if answer is None:
        raise NotFound(f"no vocabulary {field}; the fields are: {', '.join(VOCABULARIES)}")
    return Response(answer, media_type="application/json", headers={"Cache-Control": "max-age=3600"})
