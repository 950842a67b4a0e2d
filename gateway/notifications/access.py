"""Who has an inbox: every signed-in person (machine clients have none)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.security import ROLES, Principal, allow

Reader = Annotated[Principal, Depends(allow(*ROLES))]
