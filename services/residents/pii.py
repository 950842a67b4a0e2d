"""The process's PII cipher (keys from the settings, set up by ``app``), as a FastAPI dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.pii import PiiCipher


async def _pii(request: Request) -> PiiCipher:  # async: a sync dependency costs a thread hop
    pii: PiiCipher = request.app.state.pii
    return pii


PiiDep = Annotated[PiiCipher, Depends(_pii)]
