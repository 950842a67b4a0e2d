"""``GET /api/v1/vocabularies``: every enumerated field of the registry and the orders, public (forms
and spreadsheets need them before anyone signs in) and cacheable."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from gateway.vocabularies.schemas import Term, Vocabularies, Vocabulary
from shared.security import allow_public
from shared.vocabularies import VOCABULARIES

router = APIRouter(prefix="/api/v1/vocabularies", tags=["vocabularies"], dependencies=[Depends(allow_public())])

_ANSWER = Vocabularies(
    items=[
        Vocabulary(
            field=name,
            used_in=used_in,
            terms=[Term(value=value, label=label, description=text) for value, (label, text) in entries.items()],
        )
        for name, (used_in, entries) in VOCABULARIES.items()
    ]
).model_dump_json()


@router.get("", response_model=Vocabularies)
async def vocabularies() -> Response:
    """The values of 居住类型, 与户主关系, 就业状态, the standard tags, and the orders' kinds, states,
    channels, takers and menu categories: value, Chinese label, meaning."""
    return Response(_ANSWER, media_type="application/json", headers={"Cache-Control": "max-age=3600"})
