"""Who may call Open311: anyone at the door; the reads of a street's requests and the posting of one
need an integration client's ``api_key`` with the ``open311`` scope (``service.client_caller``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.security import Principal, allow_public

Anyone = Annotated[Principal | None, Depends(allow_public())]
